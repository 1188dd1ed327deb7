"""What a file's rows can match in the database, read in batches before any row is checked.

Only what the rows can match is read: organisations by name or Companies House number, their
sites by slug, name or postcode, the slugs a new row's slug could collide with, and sites near
the rows' coordinates for the duplicate warnings (as the few values compared, not as sites), and
the links and licences of the sites the rows match. Each batch of LOAD_BATCH rows costs the same
eight queries at most, so checking a row costs none and memory and queries grow with the file,
not with the database.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator

from django.db import connection
from django.db.models import Q
from django.db.models.functions import Lower

from core.numbers import is_whole_number
from core.slugs import slug_base

from .. import quality
from ..models import Capability, Licence, LicenceType, Organisation, Site, Technology
from ..services import short_name, site_slug_text
from .parsing import Vocabulary, companies_house_number, normalise_postcode

LOAD_BATCH = 5000  # keys per IN (...) when loading what a file can match


def chunks(values: Iterable, size: int | None = None) -> Iterator[list]:
    values, size = list(values), size or LOAD_BATCH
    for start in range(0, len(values), size):
        yield values[start : start + size]


def organisation_slug_base(name: str) -> str:
    return slug_base(short_name(name), fallback="organisation")


def site_slug_base(organisation_name: str, site_name: str) -> str:
    return slug_base(site_slug_text(organisation_name, site_name), fallback="site")


def slugs_starting(model, bases: Iterable[str]) -> list[str]:
    """The saved slugs of `model` that start with any of `bases`.

    One LIKE per base, which PostgreSQL plans as one scan of the slug's pattern index each; written
    as SQL, since the ORM takes seconds to compile the thousands of conditions of a large file.
    """
    bases = sorted(bases)
    if not bases:
        return []
    condition = " OR ".join(["slug LIKE %s"] * len(bases))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT slug FROM {connection.ops.quote_name(model._meta.db_table)} WHERE {condition}",  # noqa: S608
            [connection.ops.prep_for_like_query(base) + "%" for base in bases],
        )
        return [slug for (slug,) in cursor.fetchall()]


class RowKeys:
    """The natural keys in one batch of a file's rows: what the batch can match in the database."""

    def __init__(self, rows: list[dict]):
        self.organisation_names, self.numbers, self.slugs = set(), set(), set()
        self.site_names, self.postcodes = set(), set()
        self.names_with_numbers = set()
        self.slug_bases = {"site": set(), "organisation": set()}
        # Cells of the duplicate checks' grid (quality.duplicate_cell) holding the rows, by row of cells.
        self.cells = defaultdict(set)
        for raw in rows:
            self._add(raw)

    def _add(self, raw: dict) -> None:
        organisation, site_name = raw.get("organisation", ""), raw.get("site_name", "")
        name = organisation.lower()
        self.organisation_names.add(name)
        number = companies_house_number(raw.get("companies_house_number", ""))
        if number:
            self.numbers.add(number)
            self.names_with_numbers.add((name, number))
        if raw.get("slug"):
            self.slugs.add(raw["slug"])
        self.site_names.add(site_name.lower())
        postcode = normalise_postcode(raw.get("postcode_district", ""))
        if postcode:
            self.postcodes.add(postcode)
        self.slug_bases["organisation"].add(organisation_slug_base(organisation))
        self.slug_bases["site"].add(site_slug_base(organisation, site_name))
        try:
            latitude, longitude = float(raw.get("latitude", "")), float(raw.get("longitude", ""))
        except ValueError:
            return
        if abs(latitude) <= 90 and abs(longitude) <= 180:
            row, column = quality.duplicate_cell(latitude, longitude)
            self.cells[row].add(column)

    def nearby(self) -> Q:
        """Sites in the grid cells around the rows: a few boxes, adjacent cells merged."""
        height = quality.DUPLICATE_CELL_DEGREES
        width = height * 2
        boxes = []
        for row, columns in self.cells.items():
            ordered = sorted(columns)
            start = end = ordered[0]
            for column in [*ordered[1:], None]:
                if column is not None and column <= end + 3:
                    end = column
                    continue
                boxes.append(
                    Q(
                        latitude__gte=(row - 1) * height,
                        latitude__lt=(row + 2) * height,
                        longitude__gte=(start - 1) * width,
                        longitude__lt=(end + 2) * width,
                    )
                )
                if column is not None:
                    start = end = column
        return Q(pk__in=[]) | Q(*boxes, _connector=Q.OR)


class SavedRecords:
    """The saved organisations and sites a file can match, their taxonomies and licences, and the
    slugs a new row must not take."""

    def __init__(self):
        self.organisations_by_pk: dict[int, Organisation] = {}
        self.organisations_by_name: dict[str, Organisation] = {}
        self.organisations_by_number: dict[str, Organisation] = {}
        self.sites: dict[int, Site] = {}  # those the rows can match
        self.neighbours: dict[int, tuple] = {}  # near the rows: what the duplicate warnings compare
        self.sites_by_slug: dict[str, Site] = {}
        self.sites_by_name: dict[tuple, Site] = {}
        self.sites_by_postcode: dict[tuple, list[Site]] = defaultdict(list)
        self.site_m2m = {"capabilities": defaultdict(set), "technologies": defaultdict(set)}
        self.site_licences: dict[int, dict[int, Licence]] = defaultdict(dict)
        self.taken_slugs = {"site": set(), "organisation": set()}

    @classmethod
    def load(cls, rows: list[dict], *, regions_by_pk: dict) -> SavedRecords:
        records = cls()
        batches = [RowKeys(batch) for batch in chunks(rows)]
        for keys in batches:
            records._load_organisations(keys)
        records._index_organisations()
        for keys in batches:
            records._load_sites(keys, batches)
        records._index_sites(regions_by_pk)
        return records

    def new_slug(self, kind: str, base: str) -> str:
        """`base`, or base-2, base-3, ...: the first that no saved or earlier row of `kind` has."""
        candidate, n = base, 2
        while candidate in self.taken_slugs[kind]:
            candidate = f"{base}-{n}"
            n += 1
        self.taken_slugs[kind].add(candidate)
        return candidate

    def _load_organisations(self, keys: RowKeys) -> None:
        found = (
            Organisation.objects.annotate(name_lower=Lower("name"))
            .filter(Q(name_lower__in=keys.organisation_names) | Q(companies_house_number__in=keys.numbers))
            .order_by()
        )
        for organisation in found:
            self.organisations_by_pk[organisation.pk] = organisation
        for slug in slugs_starting(Organisation, keys.slug_bases["organisation"]):
            self._take_slug("organisation", slug, keys.slug_bases["organisation"])

    def _index_organisations(self) -> None:
        organisations = self.organisations_by_pk.values()
        self.organisations_by_name = {org.name.lower(): org for org in organisations}
        self.organisations_by_number = {
            org.companies_house_number: org for org in organisations if org.companies_house_number
        }

    def _load_sites(self, keys: RowKeys, batches: list[RowKeys]) -> None:
        # A row may name an organisation that another row matched by its number (a rename):
        # that organisation's number joins this batch's keys.
        numbers = keys.numbers | self._renamed_numbers(keys.organisation_names, batches)
        matched = Q(slug__in=keys.slugs) | Q(
            Q(name_lower__in=keys.site_names) | Q(postcode__in=keys.postcodes),
            organisation__in=Organisation.objects.annotate(name_lower=Lower("name"))
            .filter(Q(name_lower__in=keys.organisation_names) | Q(companies_house_number__in=numbers))
            .values("pk"),
        )
        sites = Site.objects.annotate(name_lower=Lower("name")).select_related("organisation").order_by()
        batch_pks = []
        for site in sites.filter(matched):
            self.sites[site.pk] = site
            batch_pks.append(site.pk)
            self._take_slug("site", site.slug, keys.slug_bases["site"])
        for slug in slugs_starting(Site, keys.slug_bases["site"]):
            self._take_slug("site", slug, keys.slug_bases["site"])
        self._load_neighbours(keys, batch_pks)
        # Relations of the sites the rows can match only, by the ids just read, not by re-running
        # the match as a subquery: a list of ids is an index lookup whatever the planner's
        # statistics say; the subquery, planned on a table the statistics think empty, became a
        # nested loop of minutes.
        self._load_site_relations(batch_pks)
        self.taken_slugs["site"].update(keys.slugs)

    def _load_neighbours(self, keys: RowKeys, batch_pks: list[int]) -> None:
        """The saved sites near the rows that could be their duplicates (quality.likely_duplicates).

        Read as the few values a comparison needs, not as sites: in a dense town they are most of
        what a file reads. A row placed only at its town pairs with a site within 50 m when that
        site is placed precisely or is of the same organisation; only a row that updates a
        precisely placed site pairs with any site near it. So unless the batch matched such a
        site, the others' town-placed sites are left unread.
        """
        nearby = Site.objects.filter(keys.nearby())
        precise = Site.LocationPrecision.SITE
        if not any(self.sites[pk].location_precision == precise for pk in batch_pks):
            nearby = nearby.filter(
                Q(location_precision=precise) | Q(organisation__in=list(self.organisations_by_pk))
            )
        values = nearby.values_list(
            "pk",
            "name",
            "organisation_id",
            "organisation__name",
            "postcode",
            "latitude",
            "longitude",
            "location_precision",
        )
        for pk, name, organisation_id, organisation_name, *place in values:
            self.neighbours[pk] = (name, organisation_id, organisation_name, *place)

    def site_points(self) -> list[quality.SitePoint]:
        """The saved sites the rows are compared with for duplicates, organisations as the file
        leaves them (a renamed organisation under its new name)."""
        points = {}
        for pk, (
            name,
            organisation_id,
            organisation_name,
            postcode,
            latitude,
            longitude,
            precision,
        ) in self.neighbours.items():
            organisation = self.organisations_by_pk.get(organisation_id)
            organisation_name = organisation.name if organisation is not None else organisation_name
            points[pk] = quality.SitePoint(
                key=pk,
                label=f"{organisation_name}, {name}",
                organisation_key=organisation_name.lower(),
                postcode=postcode,
                latitude=latitude,
                longitude=longitude,
                precise=precision == Site.LocationPrecision.SITE,
            )
        points.update({site.pk: quality.site_point(site) for site in self.sites.values()})
        return list(points.values())

    def _load_site_relations(self, matched_sites) -> None:
        through = Site.capabilities.through.objects.filter(site_id__in=matched_sites)
        for site_id, pk in through.values_list("site_id", "capability_id"):
            self.site_m2m["capabilities"][site_id].add(pk)
        through = Site.technologies.through.objects.filter(site_id__in=matched_sites)
        for site_id, pk in through.values_list("site_id", "technology_id"):
            self.site_m2m["technologies"][site_id].add(pk)
        for licence in Licence.objects.filter(site_id__in=matched_sites):
            self.site_licences[licence.site_id][licence.licence_type_id] = licence

    def _renamed_numbers(self, names: set[str], batches: list[RowKeys]) -> set[str]:
        """Numbers of organisations that rows in other batches rename to one of `names`."""
        numbers = set()
        for keys in batches:
            for name, number in keys.names_with_numbers:
                if name in names and number in self.organisations_by_number:
                    numbers.add(number)
        return numbers

    def _take_slug(self, kind: str, slug: str, bases: set[str]) -> None:
        base, _, suffix = slug.rpartition("-")
        if slug in bases or (is_whole_number(suffix) and base in bases):
            self.taken_slugs[kind].add(slug)

    def _index_sites(self, regions_by_pk: dict) -> None:
        for site in self.sites.values():
            site.region = regions_by_pk[site.region_id]
            # One instance per organisation, so a renamed organisation is renamed everywhere.
            site.organisation = self.organisations_by_pk.get(site.organisation_id, site.organisation)
            self.sites_by_slug[site.slug] = site
            self.sites_by_name[(site.organisation_id, site.name.lower())] = site
            if site.postcode:
                self.sites_by_postcode[(site.organisation_id, site.postcode)].append(site)


def load_vocabulary() -> Vocabulary:
    """The taxonomies and the regions with their boundaries: four queries, once per file."""
    return Vocabulary.of(
        capabilities=Capability.objects.all(),
        technologies=Technology.objects.all(),
        licence_types=LicenceType.objects.all(),
        shapes=quality.RegionShapes.load(),
    )
