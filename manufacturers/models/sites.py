"""Sites: the places organisations manufacture, and the reads the map, directory and API make of them."""

import re
from math import cos, radians

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, GistIndex
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import connections, models
from django.db.models import ExpressionWrapper, F, Func, Prefetch, Q
from django.db.models.expressions import RawSQL
from django.db.models.functions import ASin, Cos, Floor, Power, Radians, Sin, Sqrt
from django.db.models.lookups import Range
from django.db.models.sql.where import AND, WhereNode
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.geometry import EARTH_RADIUS_KM, box_around
from core.models import TimeStampedModel, staff_user_field

from .map_grid import MAX_MAP_FEATURES, frames_in_view, map_grid_cell
from .organisations import Organisation
from .reference import Capability, LicenceType, Region, Technology

# A full UK postcode ("SG1 2NY") or only its outward code ("SG1"): the sources often give no more.
UK_POSTCODE_PATTERN = r"^[A-Z]{1,2}[0-9][A-Z0-9]?(?: [0-9][A-Z]{2})?$"
uk_postcode_validator = RegexValidator(
    UK_POSTCODE_PATTERN,
    _('Enter a UK postcode such as "SG1 2NY", or its outward code such as "SG1", in capitals.'),
)


class SiteStatus(models.TextChoices):
    OPERATIONAL = "operational", _("Operational")
    PLANNED = "planned", _("Planned")
    CLOSED = "closed", _("Closed")


class SiteConfidence(models.TextChoices):
    HIGH = "high", _("High: a recent specific source confirms the site and its activity")
    MEDIUM = "medium", _("Medium: real site, but older or indirect evidence")
    LOW = "low", _("Low: unconfirmed")


class LocationPrecision(models.TextChoices):
    # The demo data places sites at their town's GeoNames point, not at the gate.
    TOWN = "town", _("Town centre (approximate)")
    SITE = "site", _("Site")


def search_query(text: str) -> SearchQuery | None:
    """A prefix-matching tsquery from free text: "bio vect" finds "biologics" and "viral vectors"."""
    words = re.findall(r"\w+", text.lower())
    if not words:
        return None
    # Only \w characters reach the raw tsquery, so user input cannot inject tsquery syntax.
    return SearchQuery(" & ".join(f"{word}:*" for word in words[:12]), search_type="raw", config="english")


def _ids(terms) -> list[int]:
    return [term.pk for term in terms]


def planar_distance(latitude: float, longitude: float) -> RawSQL:
    """Distance in plain degrees, the order the GiST index on point(longitude, latitude) walks in."""
    return RawSQL("point(longitude, latitude) <-> point(%s, %s)", (longitude, latitude))


class SiteQuerySet(models.QuerySet):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._origin = None  # the point within_radius() measures from

    def _clone(self):
        clone = super()._clone()
        clone._origin = self._origin
        return clone

    def operational(self):
        return self.filter(status=SiteStatus.OPERATIONAL)

    def in_region(self, region):
        return self.filter(region=region)

    def in_regions(self, regions):
        # By id, not a subquery on the slugs: knowing the ids, the planner reads how many sites
        # each region holds from the column's statistics. Through the subquery it assumed an
        # average region, and walked the name index past 235,000 sites for a page of London's.
        return self.filter(region_id__in=_ids(regions))

    # By the id arrays on the row (GIN), which the database keeps equal to the link tables.
    def with_any_capability(self, capabilities):
        return self.filter(capability_ids__overlap=_ids(capabilities))

    def with_any_technology(self, technologies):
        return self.filter(technology_ids__overlap=_ids(technologies))

    def with_any_licence(self, licence_types):
        return self.filter(licence_type_ids__overlap=_ids(licence_types))

    def count_by_term(
        self, column: str, term, *, distinct_organisations: bool = False
    ) -> list[tuple[str, int]]:
        """(slug, count) for each term of `term`'s vocabulary in the id array `column` of these sites.

        One pass over the matching rows: the arrays unnested and grouped, no link table joined.
        Counts sites, or the distinct organisations with such a site.
        """
        sites_sql, params = self.order_by().values("organisation_id", column).query.sql_with_params()
        # Each site once per term (the arrays hold distinct ids); its organisation is never null.
        counted = "DISTINCT matched.organisation_id" if distinct_organisations else "matched.organisation_id"
        sql = (
            f"SELECT t.slug, count({counted}) FROM ({sites_sql}) AS matched "  # noqa: S608 (ORM-compiled SQL)
            f"CROSS JOIN LATERAL unnest(matched.{column}) AS linked(term_id) "
            f"JOIN {term._meta.db_table} t ON t.id = linked.term_id GROUP BY t.slug"
        )
        with connections[self.db].cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def of_organisation_kinds(self, kinds):
        return self.filter(organisation__kind__in=kinds)

    def search(self, text: str):
        """Sites matching free text, annotated with `rank`: the portal's one site search.

        The directory, the map, the API, insights and the site-wide search all come here. Names
        (the site's and its organisation's) weigh most, then what the site does (the names and
        synonyms of its capabilities, technologies and licence types) and where it is, then the
        organisation's description: migration 0008 keeps `search_vector` so.
        """
        query = search_query(text)
        return self if query is None else self.matching(query)

    def matching(self, query: SearchQuery):
        """Sites whose search vector matches a prepared tsquery (see `search_query`), with `rank`."""
        return self.filter(search_vector=query).annotate(rank=SearchRank(F("search_vector"), query))

    def within_bbox(self, *, south, west, north, east):
        # A range scan on the (latitude, longitude) index. Boxes that cross the antimeridian
        # are not handled: UK data never needs them.
        return self.filter(latitude__range=(south, north), longitude__range=(west, east))

    def with_distance_from(self, latitude: float, longitude: float):
        """Annotate `distance_km`, the great-circle (haversine) distance from a point."""
        lat1, lon1 = radians(latitude), radians(longitude)
        lat2, lon2 = Radians(F("latitude")), Radians(F("longitude"))
        half_chord = Power(Sin((lat2 - lat1) / 2), 2) + cos(lat1) * Cos(lat2) * Power(
            Sin((lon2 - lon1) / 2), 2
        )
        return self.annotate(
            distance_km=ExpressionWrapper(
                2 * EARTH_RADIUS_KM * ASin(Sqrt(half_chord)), output_field=models.FloatField()
            )
        )

    def within_radius(self, latitude: float, longitude: float, radius_km: float):
        """Sites within `radius_km` of a point, annotated with `distance_km`.

        A bounding box first, so the (latitude, longitude) index does the coarse work and the
        trigonometry runs only on the rows inside it. The queryset remembers the point, for
        `rows`.
        """
        box = box_around(latitude, longitude, radius_km)
        queryset = (
            self.within_bbox(**box).with_distance_from(latitude, longitude).filter(distance_km__lte=radius_km)
        )
        queryset._origin = (latitude, longitude, box)
        return queryset

    def rows(self, start: int, stop: int):
        """The rows from `start` to `stop` of this queryset, exactly as `self[start:stop]` gives them.

        Nearest first from a point (ordered by `distance_km`), that slice would compute the
        haversine of every site in the radius and sort them: tens of thousands at a million sites
        for a page of a hundred. Instead the GiST index's KNN walk (nearest_to's) reads `stop`
        rows in planar order, cheaply; the farthest of them by great circle bounds how far the
        true first `stop` can lie, since any `stop` rows do; and the page is read from the box
        around that bound. Exact whatever the planar order's skew, which at 55°N rates a degree of
        longitude (64 km) as far as one of latitude (111 km).
        """
        if self._origin is None or not self.query.order_by or self.query.order_by[0] != "distance_km":
            return self[start:stop]
        latitude, longitude, box = self._origin
        knn = (self._without_box(box) if box else self).order_by(planar_distance(latitude, longitude))
        reach = list(knn.values_list("distance_km", flat=True)[:stop])
        if not reach:
            return self.none()
        # A millimetre more, so rounding never leaves the farthest of them outside its own box.
        return self.within_bbox(**box_around(latitude, longitude, max(reach) + 1e-6))[start:stop]

    def _without_box(self, box: dict):
        """This queryset without within_radius()'s bounding box, which only ever narrowed the
        haversine's circle (still applied) for the (latitude, longitude) index.

        For the KNN walk: given the box, the planner weighs that index and a sort against the walk
        on its estimate of the sites in the box, which clustered sites make ten times too low
        (3,308 for 19,988 round Manchester at a million), and picks the sort: 170 ms, not 1.
        """
        bounds = {"latitude": (box["south"], box["north"]), "longitude": (box["west"], box["east"])}

        def is_bound(child) -> bool:
            field = getattr(getattr(child, "lhs", None), "target", None)
            return (
                isinstance(child, Range) and field is not None and bounds.get(field.name) == tuple(child.rhs)
            )

        def drop(node):
            node.children = [child for child in node.children if not is_bound(child)]
            for child in node.children:
                if isinstance(child, WhereNode) and child.connector == AND and not child.negated:
                    drop(child)

        queryset = self._chain()  # clones the WHERE tree, so this one keeps its box
        drop(queryset.query.where)
        return queryset

    def nearest_to(self, latitude: float, longitude: float):
        """Sites ordered nearest first, by the GiST index on point(longitude, latitude) (KNN, core PostgreSQL).

        The index orders by planar distance in degrees, which is close to the true order over
        the short distances between UK sites; `distance_km` is the exact great-circle figure.
        """
        return self.with_distance_from(latitude, longitude).order_by(planar_distance(latitude, longitude))

    def nearest(self, latitude: float, longitude: float, count: int) -> list:
        """The `count` sites nearest a point by great-circle distance, nearest first (then by name)."""
        queryset = self.with_distance_from(latitude, longitude).order_by("distance_km", "name", "id")
        queryset._origin = (latitude, longitude, None)
        return list(queryset.rows(0, count))

    def clustered(self, *, zoom: int, west: float, south: float, east: float, north: float):
        """The sites in a map view grouped into grid cells, one row per cell and region, never more
        than MAX_MAP_FEATURES.

        Clusters never merge sites of different regions, so none reaches across the Irish Sea or
        a border. Each row has `count`, the `region_id`, the mean position (`mean_latitude`,
        `mean_longitude`), the extent of its sites (`south`, `west`, `north`, `east`) and, for a
        row holding one site, that site's `slug`, `name` and `organisation_name` (the minimum of
        one value is the value). One GROUP BY over the (latitude, longitude) index's range scan;
        `map_grid_cell` sizes the grid for the regions whose frames reach the view, which is why
        the cap holds whatever the data.
        """
        frames = Region.objects.values_list("min_longitude", "min_latitude", "max_longitude", "max_latitude")
        view = {"west": west, "south": south, "east": east, "north": north}
        cell_latitude, cell_longitude = map_grid_cell(
            zoom=zoom, groups=frames_in_view(frames, **view), **view
        )
        return (
            self.within_bbox(**view)
            .order_by()
            .annotate(
                cell_y=Floor(F("latitude") / cell_latitude),
                cell_x=Floor(F("longitude") / cell_longitude),
            )
            .values("cell_y", "cell_x", "region_id")
            .annotate(
                count=models.Count("pk"),
                mean_latitude=models.Avg("latitude"),
                mean_longitude=models.Avg("longitude"),
                south=models.Min("latitude"),
                north=models.Max("latitude"),
                west=models.Min("longitude"),
                east=models.Max("longitude"),
                slug=models.Min("slug"),
                name=models.Min("name"),
                organisation_name=models.Min("organisation__name"),
                region_slug=models.Min("region__slug"),
            )
            .order_by("-count", "cell_y", "cell_x", "region_id")[:MAX_MAP_FEATURES]
        )

    def for_directory(self):
        return self.select_related("organisation", "region").prefetch_related("capabilities", "technologies")

    def for_detail(self):
        # The region's boundary is kilobytes of coordinates, which a site's page fetches apart.
        return (
            self.select_related("organisation", "region", "last_verified_by")
            .defer("region__boundary")
            .prefetch_related(
                "capabilities",
                "technologies",
                Prefetch(
                    "licences", queryset=Site.licence_types.through.objects.select_related("licence_type")
                ),
            )
        )


# Columns the database computes (triggers): never history, never news in the changes record.
DATABASE_KEPT_FIELDS = ("search_vector", "capability_ids", "technology_ids", "licence_type_ids")


class Site(TimeStampedModel):
    """A physical place where an organisation manufactures, with its capabilities and licences."""

    change_kind = "site"  # its entries in the changes feed (core.changes)

    Status = SiteStatus
    Confidence = SiteConfidence
    LocationPrecision = LocationPrecision

    # PROTECT: a site never silently disappears with its organisation.
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="sites", verbose_name=_("organisation")
    )
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPERATIONAL)
    # Optimistic locking (core.locking): one more on every save through the services.
    version = models.PositiveIntegerField(_("version"), default=1, db_default=1, editable=False)
    town = models.CharField(_("town"), max_length=100)
    postcode = models.CharField(
        _("postcode"),
        max_length=8,
        blank=True,
        validators=[uk_postcode_validator],
        help_text=_(
            "A full postcode, or only the outward code (such as SG1) when that is all the sources give."
        ),
    )
    region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        related_name="sites",
        verbose_name=_("region"),
        db_index=False,  # site_region_name_id_idx leads with it
    )
    latitude = models.FloatField(_("latitude"), validators=[MinValueValidator(-90), MaxValueValidator(90)])
    longitude = models.FloatField(
        _("longitude"), validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    location_precision = models.CharField(
        _("location precision"),
        max_length=10,
        choices=LocationPrecision.choices,
        default=LocationPrecision.TOWN,
    )
    capabilities = models.ManyToManyField(
        Capability, related_name="sites", blank=True, verbose_name=_("capabilities")
    )
    technologies = models.ManyToManyField(
        Technology, related_name="sites", blank=True, verbose_name=_("technologies")
    )
    licence_types = models.ManyToManyField(
        LicenceType, through="Licence", related_name="sites", blank=True, verbose_name=_("licences")
    )
    # Provenance: where the facts on this row come from and how sure we are of them.
    source_urls = ArrayField(
        models.URLField(max_length=500), blank=True, default=list, verbose_name=_("sources")
    )
    confidence = models.CharField(
        _("confidence"), max_length=10, choices=Confidence.choices, default=Confidence.MEDIUM
    )
    last_verified_on = models.DateField(_("last verified"), null=True, blank=True)
    last_verified_by = staff_user_field(_("last verified by"))
    # Maintained inside the database (migration 0008) from the site's, its organisation's and its
    # vocabulary terms' text, so every write path, COPY included, keeps search current.
    search_vector = SearchVectorField(null=True, editable=False)
    # The ids of the site's capabilities, technologies and licence types, kept inside the database
    # (migration 0015) from the link tables on every write, whatever Django writes here: so the
    # filters and facet counts read one row per site through GIN indexes instead of joining three
    # link tables. The links stay the record; these are an index of them.
    capability_ids = ArrayField(models.BigIntegerField(), default=list, editable=False)
    technology_ids = ArrayField(models.BigIntegerField(), default=list, editable=False)
    licence_type_ids = ArrayField(models.BigIntegerField(), default=list, editable=False)

    objects = SiteQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=list(DATABASE_KEPT_FIELDS))

    class Meta:
        ordering = ["name"]
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        indexes = [
            # The box round a `near=` circle or a bbox; it carries what the facet counts read, so
            # counting the sites near a place reads the index alone, not one table page per site.
            models.Index(
                fields=["latitude", "longitude"],
                include=[
                    "organisation",
                    "region",
                    "status",
                    "capability_ids",
                    "technology_ids",
                    "licence_type_ids",
                ],
                name="site_lat_lon_idx",
            ),
            # KNN ("nearest sites") ordering with the core <-> operator on a point.
            GistIndex(Func("longitude", "latitude", function="point"), name="site_point_gist"),
            GinIndex(fields=["search_vector"], name="site_search_vector_gin"),
            GinIndex(fields=["capability_ids"], name="site_capability_ids_gin"),
            GinIndex(fields=["technology_ids"], name="site_technology_ids_gin"),
            GinIndex(fields=["licence_type_ids"], name="site_licence_type_ids_gin"),
            # Filters by status and region, and every facet count read from the index alone: the
            # table is wide (search vectors) and a count over a million rows must not read it.
            models.Index(
                fields=["status", "region"],
                include=["organisation", "capability_ids", "technology_ids", "licence_type_ids"],
                name="site_facets_idx",
            ),
            # The directory's and the API's default order, so a page reads 50 rows, not sorts them all.
            models.Index(fields=["name", "id"], name="site_name_id_idx"),
            # The same order within a region: names follow towns, so a region's sites gather in
            # one stretch of the name index, and a page of London's walked 235,000 others to it.
            # Its leading column serves the region's foreign key too.
            models.Index(fields=["region", "name", "id"], name="site_region_name_id_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__gte=-90, latitude__lte=90), name="site_latitude_range"
            ),
            models.CheckConstraint(
                condition=Q(longitude__gte=-180, longitude__lte=180), name="site_longitude_range"
            ),
            models.CheckConstraint(
                condition=Q(postcode="") | Q(postcode__regex=UK_POSTCODE_PATTERN),
                name="site_postcode_format",
            ),
            models.CheckConstraint(
                condition=Q(status__in=[choice.value for choice in SiteStatus]),
                name="site_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(confidence__in=[choice.value for choice in SiteConfidence]),
                name="site_confidence_valid",
            ),
        ]

    def __str__(self):
        return f"{self.organisation.name}, {self.name}" if self.organisation_id else self.name

    def get_absolute_url(self):
        return reverse("manufacturers:site-detail", kwargs={"slug": self.slug})
