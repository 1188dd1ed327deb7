"""The landscape spreadsheet: reading CSV and XLSX files, the SiteImporter, and export rows.

The columns are those staff and partners already keep (fixtures/sites.csv), plus three optional
ones an export adds so a round trip can match renamed sites and organisations: ``slug``,
``companies_house_number`` and ``status``. A column missing from a file leaves that attribute
alone; a column present but empty in a row clears it (organisation columns excepted: an empty
``organisation_type``, ``website`` or ``companies_house_number`` leaves the organisation's as it is,
because many rows share one organisation).
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.text import slugify
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from core.cache import bump_landscape_version

from . import quality
from .models import (
    Capability,
    Licence,
    LicenceType,
    Organisation,
    OrganisationKind,
    Site,
    SiteConfidence,
    SiteStatus,
    Technology,
)
from .selectors import case_study_links_to_closed_sites
from .services import (
    HISTORY_REASON_LENGTH,
    ORGANISATION_KIND_EXPORT_LABELS,
    ORGANISATION_KIND_LABELS,
    ImportReport,
    RowError,
    RowResult,
    SitesImportError,
    _short_name,
    _stamp_history,
    _website_url,
)

COLUMNS = [
    "organisation",
    "organisation_type",
    "site_name",
    "town",
    "postcode_district",
    "region",
    "latitude",
    "longitude",
    "capabilities",
    "technologies",
    "licence_types",
    "licence_basis",
    "website",
    "source",
    "confidence",
]
OPTIONAL_COLUMNS = ["slug", "companies_house_number", "status"]
EXPORT_COLUMNS = COLUMNS + OPTIONAL_COLUMNS
REQUIRED_COLUMNS = ["organisation", "site_name", "town", "region", "latitude", "longitude"]
# Other spellings of a header that mean the same column.
COLUMN_ALIASES = {
    "site": "site_name",
    "postcode": "postcode_district",
    "sources": "source",
    "licences": "licence_types",
    "companies_house": "companies_house_number",
}
SITE_FIELD_COLUMNS = {
    "name": "site_name",
    "slug": "slug",
    "status": "status",
    "town": "town",
    "postcode": "postcode_district",
    "region": "region",
    "latitude": "latitude",
    "longitude": "longitude",
    "source_urls": "source",
    "confidence": "confidence",
}
ORGANISATION_FIELD_COLUMNS = {
    "name": "organisation",
    "kind": "organisation_type",
    "website": "website",
    "companies_house_number": "companies_house_number",
}
SOURCE_SEPARATOR = " | "
SLUG_SEPARATOR = ";"


# --- Reading files -------------------------------------------------------------------------------


def normalise_header(value) -> str:
    text = re.sub(r"[\s\-]+", "_", str(value or "").strip().lower())
    return COLUMN_ALIASES.get(text, text)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) > 180:
        value = int(value)  # a number a spreadsheet stored as float, such as a Companies House number
    return str(value).strip()


def rows_from_table(header: list, records: Iterable[list]) -> Iterator[dict]:
    """Dicts keyed by normalised column, one per record, blank records included (they keep row numbers)."""
    columns = [normalise_header(name) for name in header]
    for record in records:
        values = [_cell(value) for value in record]
        values += [""] * (len(columns) - len(values))
        yield {column: value for column, value in zip(columns, values, strict=False) if column}


def rows_from_csv(handle) -> Iterator[dict]:
    reader = csv.reader(handle)
    header = next(reader, [])
    if header and header[0].startswith("\ufeff"):
        header[0] = header[0][1:]
    yield from rows_from_table(header, reader)


def rows_from_xlsx(content: bytes) -> Iterator[dict]:
    import openpyxl

    workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    rows = workbook.active.iter_rows(values_only=True)
    header = list(next(rows, []) or [])
    yield from rows_from_table(header, rows)


def rows_from_dataset(dataset) -> Iterator[dict]:
    """Rows of a tablib Dataset (what django-import-export reads an upload into)."""
    yield from rows_from_table(list(dataset.headers or []), dataset)


# --- Export ------------------------------------------------------------------------------------


def sites_for_export(queryset):
    return queryset.select_related("organisation", "region").prefetch_related(
        "capabilities", "technologies", "licences__licence_type"
    )


def site_export_row(site: Site) -> dict:
    """One site in the import's columns, so that importing the row back changes nothing."""
    licences = sorted(site.licences.all(), key=lambda licence: licence.licence_type.slug)
    bases = {licence.basis for licence in licences}
    return {
        "organisation": site.organisation.name,
        "organisation_type": ORGANISATION_KIND_EXPORT_LABELS[site.organisation.kind],
        "site_name": site.name,
        "town": site.town,
        "postcode_district": site.postcode,
        "region": site.region.name,
        "latitude": site.latitude,
        "longitude": site.longitude,
        "capabilities": SLUG_SEPARATOR.join(sorted(obj.slug for obj in site.capabilities.all())),
        "technologies": SLUG_SEPARATOR.join(sorted(obj.slug for obj in site.technologies.all())),
        "licence_types": SLUG_SEPARATOR.join(licence.licence_type.slug for licence in licences),
        "licence_basis": (
            bases.pop() if len(bases) == 1 else SLUG_SEPARATOR.join(licence.basis for licence in licences)
        ),
        "website": site.organisation.website,
        "source": SOURCE_SEPARATOR.join(site.source_urls),
        "confidence": site.confidence,
        "slug": site.slug,
        "companies_house_number": site.organisation.companies_house_number,
        "status": site.status,
    }


def sites_export_dataset(queryset):
    """A tablib Dataset of the sites in EXPORT_COLUMNS, for CSV or XLSX."""
    import tablib

    dataset = tablib.Dataset(headers=EXPORT_COLUMNS)
    for site in sites_for_export(queryset).order_by("organisation__name", "name", "pk"):
        row = site_export_row(site)
        dataset.append([row[column] for column in EXPORT_COLUMNS])
    return dataset


# --- Import ------------------------------------------------------------------------------------


@dataclass
class _Organisation:
    """An organisation as the file wants it: an existing row (maybe changed) or a new one."""

    instance: Organisation
    first_row: int
    is_new: bool
    changes: list[str] = field(default_factory=list)
    given: dict = field(default_factory=dict)  # field -> (value, row) for conflict reports


@dataclass
class _Row:
    number: int
    organisation: _Organisation
    site: Site
    is_new: bool
    changes: list[str]
    changed_fields: list[str]
    m2m: dict  # "capabilities"/"technologies" -> set of pks, or absent
    licences: dict | None  # licence type pk -> basis, or None when the file has no such column


def _slugs(value: str) -> list[str]:
    return list(dict.fromkeys(item.strip() for item in (value or "").split(SLUG_SEPARATOR) if item.strip()))


def _urls(value: str) -> list[str]:
    return [item.strip() for item in (value or "").split("|") if item.strip()]


def normalise_postcode(value: str) -> str:
    text = re.sub(r"\s+", "", (value or "").upper())
    # "SG12NY" -> "SG1 2NY": the inward code is always a digit and two letters.
    if len(text) >= 5 and re.fullmatch(r"[A-Z0-9]+[0-9][A-Z]{2}", text):
        return f"{text[:-3]} {text[-3:]}"
    return text


LOAD_BATCH = 5000  # keys per IN (...) when loading what a file can match
DUPLICATE_CELL_DEGREES = 0.001  # the grid quality.likely_duplicates searches: 0.001° × 0.002°


def _chunks(values: Iterable, size: int | None = None) -> Iterator[list]:
    values, size = list(values), size or LOAD_BATCH
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _companies_house_number(value: str) -> str:
    number = (value or "").strip().upper()
    return number.zfill(8) if number.isdigit() else number


def _slug_base(kind: str, text: str) -> str:
    return slugify(text)[:80].rstrip("-") or kind


def _startswith(bases: Iterable[str]) -> Q:
    return Q(pk__in=[]) | Q(*(Q(slug__startswith=base) for base in bases), _connector=Q.OR)


class _RowKeys:
    """The natural keys in one batch of a file's rows: what the batch can match in the database."""

    def __init__(self, rows: list[dict]):
        self.organisation_names, self.numbers, self.slugs = set(), set(), set()
        self.site_names, self.postcodes = set(), set()
        self.names_with_numbers = set()
        self.slug_bases = {"site": set(), "organisation": set()}
        # Grid cells (as quality.likely_duplicates draws them) around each row, by band of latitude.
        self.cells = defaultdict(set)
        for raw in rows:
            organisation, site_name = raw.get("organisation", ""), raw.get("site_name", "")
            name = organisation.lower()
            self.organisation_names.add(name)
            number = _companies_house_number(raw.get("companies_house_number", ""))
            if number:
                self.numbers.add(number)
                self.names_with_numbers.add((name, number))
            if raw.get("slug"):
                self.slugs.add(raw["slug"])
            self.site_names.add(site_name.lower())
            postcode = normalise_postcode(raw.get("postcode_district", ""))
            if postcode:
                self.postcodes.add(postcode)
            self.slug_bases["organisation"].add(_slug_base("organisation", _short_name(organisation)))
            self.slug_bases["site"].add(
                _slug_base("site", f"{_short_name(organisation)} {_short_name(site_name)}")
            )
            try:
                latitude, longitude = float(raw.get("latitude", "")), float(raw.get("longitude", ""))
            except ValueError:
                continue
            if abs(latitude) <= 90 and abs(longitude) <= 180:
                self.cells[int(latitude // DUPLICATE_CELL_DEGREES)].add(
                    int(longitude // (DUPLICATE_CELL_DEGREES * 2))
                )

    def nearby(self) -> Q:
        """Sites in the grid cells around the rows: a few boxes, adjacent cells merged."""
        cell = DUPLICATE_CELL_DEGREES
        boxes = []
        for lat_cell, lon_cells in self.cells.items():
            ordered = sorted(lon_cells)
            start = end = ordered[0]
            for lon_cell in [*ordered[1:], None]:
                if lon_cell is not None and lon_cell <= end + 3:
                    end = lon_cell
                    continue
                boxes.append(
                    Q(
                        latitude__gte=(lat_cell - 1) * cell,
                        latitude__lt=(lat_cell + 2) * cell,
                        longitude__gte=(start - 1) * cell * 2,
                        longitude__lt=(end + 2) * cell * 2,
                    )
                )
                if lon_cell is not None:
                    start = end = lon_cell
        return Q(pk__in=[]) | Q(*boxes, _connector=Q.OR)


def _display(value) -> str:
    if isinstance(value, list | tuple | set):
        return ", ".join(sorted(str(item) for item in value)) or "(none)"
    if value in (None, ""):
        return "(blank)"
    return str(value)


class SiteImporter:
    """Validate every row of a landscape spreadsheet, then write all of it or none of it."""

    def __init__(self, *, by=None, source_name: str = ""):
        self.by = by
        self.source_name = source_name
        self.report = ImportReport()

    # The import reads up front only what the file's rows can match (organisations by name or
    # Companies House number, their sites by slug, name or postcode, sites near the rows'
    # coordinates for the duplicate warnings), in batches of LOAD_BATCH keys, so checking a row
    # costs no queries and the memory and queries grow with the file, not with the database.
    def _load(self, rows: list[dict]):
        self.vocab = {
            "capabilities": {obj.slug: obj for obj in Capability.objects.all()},
            "technologies": {obj.slug: obj for obj in Technology.objects.all()},
            "licence_types": {obj.slug: obj for obj in LicenceType.objects.all()},
        }
        self.shapes = quality.RegionShapes.load()
        self.regions = {}
        for region in self.shapes.regions:
            for key in (region.name, region.slug, region.code):
                self.regions[key.lower()] = region
        self.regions_by_pk = {region.pk: region for region in self.shapes.regions}

        self.organisations_by_pk: dict[int, Organisation] = {}
        self.used_slugs = {"site": set(), "organisation": set()}
        batches = [_RowKeys(batch) for batch in _chunks(rows)]
        for keys in batches:
            organisations = Organisation.objects.annotate(name_lower=Lower("name")).order_by()
            found = organisations.filter(
                Q(name_lower__in=keys.organisation_names) | Q(companies_house_number__in=keys.numbers)
            ).union(organisations.filter(_startswith(keys.slug_bases["organisation"])))
            for org in found:
                self.organisations_by_pk[org.pk] = org
                self._add_used_slug("organisation", org.slug, keys.slug_bases["organisation"])
        self._index_organisations()

        sites: dict[int, Site] = {}
        self.site_m2m = {"capabilities": defaultdict(set), "technologies": defaultdict(set)}
        self.site_licences = defaultdict(dict)
        for keys in batches:
            # A row may name an organisation that another row matched by its number (a rename):
            # that organisation's number joins this batch's keys.
            numbers = keys.numbers | self._renamed_numbers(keys.organisation_names, batches)
            matched = Q(slug__in=keys.slugs) | Q(
                Q(name_lower__in=keys.site_names) | Q(postcode__in=keys.postcodes),
                organisation__in=Organisation.objects.annotate(name_lower=Lower("name"))
                .filter(Q(name_lower__in=keys.organisation_names) | Q(companies_house_number__in=numbers))
                .values("pk"),
            )
            # One statement, but each part planned on its own index (an OR of them is a scan).
            sites_with = (
                Site.objects.annotate(name_lower=Lower("name")).select_related("organisation").order_by()
            )
            found = sites_with.filter(matched).union(
                sites_with.filter(_startswith(keys.slug_bases["site"])), sites_with.filter(keys.nearby())
            )
            for site in found:
                sites[site.pk] = site
                self._add_used_slug("site", site.slug, keys.slug_bases["site"])
            matched_sites = Site.objects.annotate(name_lower=Lower("name")).filter(matched).values("pk")
            through = Site.capabilities.through.objects.filter(site_id__in=matched_sites)
            for site_id, pk in through.values_list("site_id", "capability_id"):
                self.site_m2m["capabilities"][site_id].add(pk)
            through = Site.technologies.through.objects.filter(site_id__in=matched_sites)
            for site_id, pk in through.values_list("site_id", "technology_id"):
                self.site_m2m["technologies"][site_id].add(pk)
            for licence in Licence.objects.filter(site_id__in=matched_sites):
                self.site_licences[licence.site_id][licence.licence_type_id] = licence
            self.used_slugs["site"].update(keys.slugs)

        self.sites_by_slug = {}
        self.sites_by_name = {}
        self.sites_by_postcode = defaultdict(list)
        for site in sites.values():
            site.region = self.regions_by_pk[site.region_id]
            # One instance per organisation, so a renamed organisation is renamed everywhere.
            site.organisation = self.organisations_by_pk.get(site.organisation_id, site.organisation)
            self.sites_by_slug[site.slug] = site
            self.sites_by_name[(site.organisation_id, site.name.lower())] = site
            if site.postcode:
                self.sites_by_postcode[(site.organisation_id, site.postcode)].append(site)
        # The saved sites a row might duplicate (same organisation and postcode, or nearby).
        self.existing_sites = list(sites.values())
        self.type_slugs = {obj.pk: obj.slug for obj in self.vocab["licence_types"].values()}

    def _renamed_numbers(self, names: set[str], batches: list[_RowKeys]) -> set[str]:
        """Numbers of organisations that rows in other batches rename to one of `names`."""
        numbers = set()
        for keys in batches:
            for name, number in keys.names_with_numbers:
                if name in names and number in self.organisations_by_number:
                    numbers.add(number)
        return numbers

    def _add_used_slug(self, kind: str, slug: str, bases: set[str]) -> None:
        base, _, suffix = slug.rpartition("-")
        if slug in bases or (suffix.isdigit() and base in bases):
            self.used_slugs[kind].add(slug)

    def _index_organisations(self):
        organisations = self.organisations_by_pk.values()
        self.organisations_by_name = {org.name.lower(): org for org in organisations}
        self.organisations_by_number = {
            org.companies_house_number: org for org in organisations if org.companies_house_number
        }

    def run(self, rows: Iterable[dict], *, dry_run: bool = False) -> ImportReport:
        rows = list(rows)
        self._load(rows)
        self.report.dry_run = dry_run
        self.file_organisations: dict[object, _Organisation] = {}
        self.seen_sites: dict[object, int] = {}
        planned: list[_Row] = []
        columns: set[str] | None = None
        # Sites named in the file: a postcode match never takes a site another row names.
        self.names_in_file = {
            (raw.get("organisation", "").lower(), raw.get("site_name", "").lower()) for raw in rows
        }
        for number, raw in enumerate(rows, start=2):
            if columns is None:
                columns = set(raw)
                if not self._check_header(columns):
                    break
            if not any(raw.values()):
                continue  # a blank line between blocks of rows
            row = self._plan_row(number, raw, columns)
            if row is not None:
                planned.append(row)
        if columns is None:
            self.report.errors.append(RowError(1, "", "The file has no rows under the header."))
        self._warn_duplicates(planned)
        if self.report.errors:
            self.report.errors.sort(key=lambda error: error.row)
            raise SitesImportError(self.report.errors, self.report)
        for row in planned:
            label = f"{row.organisation.instance.name}, {row.site.name}"
            if row.is_new:
                action, bucket = "created", self.report.created
            elif row.changes:
                action, bucket = "updated", self.report.updated
            else:
                action, bucket = "unchanged", self.report.unchanged
            bucket.append(label)
            self.report.rows.append(RowResult(row.number, action, label, row.changes, row.site.pk))
        for org in {id(o): o for o in self.file_organisations.values()}.values():
            if org.is_new:
                self.report.organisations_created.append(org.instance.name)
            elif org.changes:
                self.report.organisations_updated.append(org.instance.name)
        if not dry_run:
            try:
                self._write(planned)
            except (IntegrityError, ValidationError) as conflict:
                # Someone changed the same organisations or sites between the checks and the
                # writes; the transaction has rolled back, so the file can simply be tried again.
                error = RowError(
                    1,
                    "",
                    "The data changed while the file was being imported. Nothing was written; import it again.",
                )
                raise SitesImportError([error], self.report) from conflict
            for result, row in zip(self.report.rows, planned, strict=True):
                result.site_pk = row.site.pk
        return self.report

    def _check_header(self, columns: set[str]) -> bool:
        known = set(EXPORT_COLUMNS)
        for column in sorted(columns - known):
            self.report.errors.append(
                RowError(
                    1, column, f"Unknown column {column!r}. The columns are: {', '.join(EXPORT_COLUMNS)}."
                )
            )
        for column in REQUIRED_COLUMNS:
            if column not in columns:
                self.report.errors.append(RowError(1, column, "This column is missing."))
        return not self.report.errors

    # --- One row ---------------------------------------------------------------------------

    def _plan_row(self, number: int, raw: dict, columns: set[str]) -> _Row | None:
        errors: list[RowError] = []

        def error(column, message):
            errors.append(RowError(number, column, message))

        org_name = raw.get("organisation", "")
        site_name = raw.get("site_name", "")
        if not org_name:
            error("organisation", "This column is required.")
        if not site_name:
            error("site_name", "This column is required.")

        kind = None
        if raw.get("organisation_type"):
            kind = ORGANISATION_KIND_LABELS.get(raw["organisation_type"].lower())
            if kind is None and raw["organisation_type"].lower() in OrganisationKind.values:
                kind = OrganisationKind(raw["organisation_type"].lower())
            if kind is None:
                error(
                    "organisation_type",
                    f"Unknown organisation type {raw['organisation_type']!r}. Use one of: "
                    + ", ".join(ORGANISATION_KIND_EXPORT_LABELS.values())
                    + ".",
                )
        region = None
        if raw.get("region"):
            region = self.regions.get(raw["region"].lower())
            if region is None:
                error("region", f"Unknown region {raw['region']!r}.")
        else:
            error("region", "This column is required.")

        coordinates = {}
        for column in ("latitude", "longitude"):
            try:
                coordinates[column] = float(raw.get(column, ""))
            except ValueError:
                error(
                    column,
                    f"Enter a number, not {raw.get(column)!r}."
                    if raw.get(column)
                    else "This column is required.",
                )

        chosen = {}
        for column, lookup in self.vocab.items():
            if column not in columns:
                continue
            chosen[column] = []
            for slug in _slugs(raw.get(column, "")):
                term = lookup.get(slug)
                if term is None:
                    error(column, f"Unknown slug {slug!r}.")
                elif not term.is_active:
                    error(column, f"{slug!r} is retired; use its replacement.")
                else:
                    chosen[column].append(term)

        licences = None
        if "licence_types" in columns:
            bases = [basis.lower() for basis in _slugs(raw.get("licence_basis", ""))] or ["inferred"]
            types = chosen.get("licence_types", [])
            if len(bases) == 1:
                bases = bases * len(types)
            if len(bases) != len(types) and types:
                error("licence_basis", "Give one basis for all licences, or one per licence type.")
            for basis in bases:
                if basis not in Licence.Basis.values:
                    error("licence_basis", f"Unknown licence basis {basis!r}. Use confirmed or inferred.")
            licences = {term.pk: basis for term, basis in zip(types, bases, strict=False)}

        status = raw.get("status", "").lower() if "status" in columns else None
        if status and status not in SiteStatus.values:
            error("status", f"Unknown status {status!r}. Use one of: {', '.join(SiteStatus.values)}.")
        confidence = raw.get("confidence", "").lower() if "confidence" in columns else None
        if confidence and confidence not in SiteConfidence.values:
            error("confidence", f"Unknown confidence {confidence!r}. Use high, medium or low.")
        slug = raw.get("slug", "")
        if slug:
            try:
                validate_slug(slug)
            except ValidationError:
                error("slug", f"{slug!r} is not a slug: use letters, numbers, hyphens and underscores.")
        if errors:
            self.report.errors.extend(errors)
            return None

        organisation = self._organisation(number, raw, kind, error)
        if organisation is None:
            self.report.errors.extend(errors)
            return None
        site, is_new = self._match_site(number, organisation, site_name, slug, raw, error)
        if errors:
            self.report.errors.extend(errors)
            return None

        values = {
            "name": site_name,
            "town": raw.get("town", ""),
            "region": region,
            "latitude": coordinates["latitude"],
            "longitude": coordinates["longitude"],
        }
        if "postcode_district" in columns:
            values["postcode"] = normalise_postcode(raw.get("postcode_district", ""))
        if "source" in columns:
            values["source_urls"] = _urls(raw.get("source", ""))
        if confidence is not None:
            values["confidence"] = confidence or SiteConfidence.MEDIUM
        if status is not None:
            values["status"] = status or SiteStatus.OPERATIONAL
        if slug:
            values["slug"] = slug
        changes, changed_fields = [], []
        for name, value in values.items():
            old = getattr(site, name) if not is_new else None
            if is_new or old != value:
                if not is_new:
                    changes.append(f"{name}: {_display(old)} → {_display(value)}")
                    changed_fields.append(name)
                setattr(site, name, value)
        if is_new and not site.slug:
            site.slug = self._new_slug(
                "site", f"{_short_name(organisation.instance.name)} {_short_name(site_name)}"
            )

        # Field validation without queries: foreign keys and uniqueness are resolved above.
        try:
            site.clean_fields(exclude=["organisation", "region", "slug", "last_verified_by", "search_vector"])
        except ValidationError as invalid:
            for name, messages in invalid.message_dict.items():
                for message in messages:
                    error(SITE_FIELD_COLUMNS.get(name, name), message)
        for name, message in self.shapes.location_errors(
            latitude=site.latitude, longitude=site.longitude, region=region
        ).items():
            error(SITE_FIELD_COLUMNS[name], message)
        if errors:
            self.report.errors.extend(errors)
            return None

        m2m = {}
        for column in ("capabilities", "technologies"):
            if column in chosen:
                wanted = {term.pk for term in chosen[column]}
                m2m[column] = wanted
                old = set() if is_new else self.site_m2m[column][site.pk]
                if not is_new and old != wanted:
                    by_pk = {term.pk: term.slug for term in self.vocab[column].values()}
                    changes.append(
                        f"{column}: {_display({by_pk[pk] for pk in old})} → {_display({by_pk[pk] for pk in wanted})}"
                    )
        if licences is not None and not is_new:
            old = {pk: licence.basis for pk, licence in self.site_licences[site.pk].items()}
            if old != licences:
                changes.append(
                    f"licences: {_display(self._licence_labels(old))} → {_display(self._licence_labels(licences))}"
                )
        if organisation.first_row == number and organisation.changes:
            changes.extend(f"organisation {change}" for change in organisation.changes)
        return _Row(number, organisation, site, is_new, changes, changed_fields, m2m, licences)

    def _licence_labels(self, licences: dict) -> set[str]:
        return {f"{self.type_slugs[pk]} ({basis})" for pk, basis in licences.items()}

    def _organisation(self, number, raw, kind, error) -> _Organisation | None:
        name = raw["organisation"]
        number_given = _companies_house_number(raw.get("companies_house_number", ""))
        existing = (
            number_given and self.organisations_by_number.get(number_given)
        ) or self.organisations_by_name.get(name.lower())
        key = existing.pk if existing else name.lower()
        org = self.file_organisations.get(key)
        if org is None:
            instance = existing or Organisation(name=name, kind=kind or OrganisationKind.OTHER)
            org = _Organisation(instance=instance, first_row=number, is_new=existing is None)
            self.file_organisations[key] = org
            self.file_organisations[name.lower()] = org
            if org.is_new:
                instance.slug = self._new_slug("organisation", _short_name(name))
        wanted = {"name": name}
        if kind is not None:
            wanted["kind"] = kind
        if raw.get("website"):
            wanted["website"] = _website_url(raw["website"])
        if number_given:
            wanted["companies_house_number"] = number_given
        ok = True
        for field_name, value in wanted.items():
            previous = org.given.get(field_name)
            if previous and previous[0] != value:
                error(
                    ORGANISATION_FIELD_COLUMNS[field_name],
                    f"{_display(value)} conflicts with row {previous[1]} ({_display(previous[0])}) for the same organisation.",
                )
                ok = False
                continue
            org.given.setdefault(field_name, (value, number))
            current = getattr(org.instance, field_name)
            if current != value:
                if not org.is_new:
                    org.changes.append(f"{field_name}: {_display(current)} → {_display(value)}")
                setattr(org.instance, field_name, value)
        if ok and org.first_row == number:
            try:
                org.instance.clean_fields(exclude=["slug", "search_vector"])
            except ValidationError as invalid:
                for field_name, messages in invalid.message_dict.items():
                    for message in messages:
                        error(ORGANISATION_FIELD_COLUMNS.get(field_name, field_name), message)
                ok = False
            other = self.organisations_by_name.get(name.lower())
            if other is not None and other.pk != org.instance.pk:
                error("organisation", f"Another organisation is already called {name!r}.")
                ok = False
            other = self.organisations_by_number.get(number_given) if number_given else None
            if other is not None and other.pk != org.instance.pk:
                error("companies_house_number", f"{number_given} belongs to {other.name}.")
                ok = False
        return org if ok else None

    def _match_site(self, number, organisation: _Organisation, name, slug, raw, error) -> tuple[Site, bool]:
        """The existing site this row describes (by slug, name, or postcode), or a new one."""
        org_pk = organisation.instance.pk
        site = None
        if slug:
            site = self.sites_by_slug.get(slug)
            if site is not None and site.organisation_id != org_pk:
                error(
                    "slug",
                    f"{slug!r} is a site of {site.organisation.name}, not of {organisation.instance.name}.",
                )
        elif org_pk is not None:
            site = self.sites_by_name.get((org_pk, name.lower()))
            if site is None:
                postcode = normalise_postcode(raw.get("postcode_district", ""))
                candidates = self.sites_by_postcode.get((org_pk, postcode), []) if postcode else []
                # Only an unambiguous postcode renames a site, and only one that no other row
                # names or has already claimed; otherwise the row is a new site.
                if (
                    len(candidates) == 1
                    and candidates[0].pk not in self.seen_sites
                    and (organisation.instance.name.lower(), candidates[0].name.lower())
                    not in self.names_in_file
                ):
                    site = candidates[0]
        if site is not None:
            key = site.pk
        elif slug:
            key = ("slug", slug)
            self.used_slugs["site"].add(slug)
        else:
            key = (id(organisation), name.lower())
        if key in self.seen_sites:
            error("site_name", f"Duplicate row: row {self.seen_sites[key]} already describes this site.")
        self.seen_sites[key] = number
        if site is None:
            return Site(organisation=organisation.instance), True
        return site, False

    def _new_slug(self, kind: str, text: str) -> str:
        base = _slug_base(kind, text)
        candidate, n = base, 2
        while candidate in self.used_slugs[kind]:
            candidate = f"{base}-{n}"
            n += 1
        self.used_slugs[kind].add(candidate)
        return candidate

    # --- Warnings ---------------------------------------------------------------------------

    def _warn_duplicates(self, planned: list[_Row]) -> None:
        in_file = {row.site.pk for row in planned if not row.is_new}
        points = [quality.site_point(site) for site in self.existing_sites if site.pk not in in_file]
        row_points = []
        for row in planned:
            site = row.site
            row_points.append(
                quality.SitePoint(
                    key=("row", row.number),
                    label=f"row {row.number} ({row.organisation.instance.name}, {site.name})",
                    organisation_key=row.organisation.instance.name.lower(),
                    postcode=site.postcode,
                    latitude=site.latitude,
                    longitude=site.longitude,
                    precise=site.location_precision == Site.LocationPrecision.SITE,
                )
            )
        for first, second, reason in quality.likely_duplicates(points + row_points):
            rows = [point for point in (first, second) if isinstance(point.key, tuple)]
            if not rows:
                continue
            this, other = (first, second) if first in rows else (second, first)
            self.report.warnings.append(
                RowError(this.key[1], "site_name", f"May duplicate {other.label} ({reason}).")
            )
        self._warn_closed_sites_in_case_studies(planned)
        self.report.warnings.sort(key=lambda warning: warning.row)

    def _warn_closed_sites_in_case_studies(self, planned: list[_Row]) -> None:
        closing = {
            row.site.pk: row.number
            for row in planned
            if "status" in row.changed_fields and row.site.status == SiteStatus.CLOSED
        }
        if not closing:
            return
        links = case_study_links_to_closed_sites(site_ids=closing)
        for site_id, title in links.values_list("site_id", "casestudy__title"):
            self.report.warnings.append(
                RowError(
                    closing[site_id],
                    "status",
                    f"The case study {title!r} links to this site, which will be closed.",
                )
            )

    # --- Writing ----------------------------------------------------------------------------

    @transaction.atomic
    def _write(self, planned: list[_Row]) -> None:
        """Bulk inserts and updates, each with its history records, in one transaction.

        Bulk writes send no save signals, so the landscape's cached reads are invalidated here,
        once, when the transaction commits. The site search vector is kept by its trigger.
        """
        reason = f"Import {self.source_name}".strip() if self.source_name else "Spreadsheet import"
        history = {"default_user": self.by, "default_change_reason": reason[:HISTORY_REASON_LENGTH]}
        now = timezone.now()
        organisations = list({id(o): o for o in self.file_organisations.values()}.values())
        bulk_create_with_history(
            [org.instance for org in organisations if org.is_new], Organisation, batch_size=500, **history
        )
        changed = [org for org in organisations if not org.is_new and org.changes]
        fields = {name for org in changed for name in org.given}
        for org in changed:
            org.instance.updated_at = now
            _stamp_history(org.instance, by=self.by, reason=reason)
        if changed:
            bulk_update_with_history(
                [org.instance for org in changed],
                Organisation,
                sorted(fields | {"updated_at"}),
                batch_size=500,
                **history,
            )

        new_rows = [row for row in planned if row.is_new]
        for row in new_rows:
            row.site.organisation = row.organisation.instance  # now saved, with a pk
        bulk_create_with_history([row.site for row in new_rows], Site, batch_size=500, **history)

        # Sites that changed in any way are saved, even when only capabilities or licences
        # changed, so each site's history shows the import (with what changed in its reason).
        updated = [row for row in planned if not row.is_new and row.changes]
        for row in updated:
            detail = ", ".join(dict.fromkeys(change.split(":")[0] for change in row.changes))
            row.site.updated_at = now
            _stamp_history(row.site, by=self.by, reason=f"{reason}: {detail}")
        if updated:
            fields = {name for row in updated for name in row.changed_fields}
            bulk_update_with_history(
                [row.site for row in updated],
                Site,
                sorted(fields | {"updated_at"}),
                batch_size=500,
                **history,
            )

        for column, target in (("capabilities", "capability_id"), ("technologies", "technology_id")):
            model = getattr(Site, column).through
            replaced = [
                row
                for row in updated
                if column in row.m2m and self.site_m2m[column][row.site.pk] != row.m2m[column]
            ]
            for chunk in _chunks([row.site.pk for row in replaced]):
                model.objects.filter(site_id__in=chunk).delete()
            model.objects.bulk_create(
                [
                    model(site_id=row.site.pk, **{target: pk})
                    for row in [*new_rows, *replaced]
                    for pk in row.m2m.get(column, ())
                ],
                batch_size=1000,
            )

        new_licences, changed_licences = [], []
        for row in new_rows:
            for type_pk, basis in (row.licences or {}).items():
                new_licences.append(Licence(site=row.site, licence_type_id=type_pk, basis=basis))
        for row in updated:
            if row.licences is None:
                continue
            existing = self.site_licences[row.site.pk]
            for type_pk in existing.keys() - row.licences.keys():
                # Few and rare: deleted one by one so each leaves its history record.
                _stamp_history(existing[type_pk], by=self.by, reason=reason)
                existing[type_pk].delete()
            for type_pk, basis in row.licences.items():
                licence = existing.get(type_pk)
                if licence is None:
                    new_licences.append(Licence(site=row.site, licence_type_id=type_pk, basis=basis))
                elif licence.basis != basis:
                    licence.basis = basis
                    licence.updated_at = now
                    _stamp_history(licence, by=self.by, reason=reason)
                    changed_licences.append(licence)
        if changed_licences:
            bulk_update_with_history(
                changed_licences, Licence, ["basis", "updated_at"], batch_size=500, **history
            )
        bulk_create_with_history(new_licences, Licence, batch_size=500, **history)
        bump_landscape_version()
