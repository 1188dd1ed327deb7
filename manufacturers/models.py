"""Who makes medicines where in the UK: organisations, their sites and the taxonomies that describe them."""

import re
from math import cos, floor, radians

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, GistIndex
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector, SearchVectorField
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Exists, ExpressionWrapper, F, Func, OuterRef, Prefetch, Q
from django.db.models.expressions import RawSQL
from django.db.models.functions import ASin, Cos, Floor, Power, Radians, Sin, Sqrt
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.geometry import EARTH_RADIUS_KM, KM_PER_DEGREE_LATITUDE
from core.models import ReferenceModel, TimeStampedModel

# Companies House numbers: eight digits (England and Wales), or a two-letter prefix and six
# digits (SC Scotland, NI Northern Ireland, OC LLPs, ...).
companies_house_number_validator = RegexValidator(
    r"^(?:\d{8}|[A-Z]{2}\d{6})$",
    _("Enter a Companies House number: eight digits, or two capital letters and six digits."),
)

# A full UK postcode ("SG1 2NY") or only its outward code ("SG1"): the sources often give no more.
UK_POSTCODE_PATTERN = r"^[A-Z]{1,2}[0-9][A-Z0-9]?(?: [0-9][A-Z]{2})?$"
uk_postcode_validator = RegexValidator(
    UK_POSTCODE_PATTERN,
    _('Enter a UK postcode such as "SG1 2NY", or its outward code such as "SG1", in capitals.'),
)


class Region(TimeStampedModel):
    """One of the 12 ITL1 regions of the UK, with the boundary the map shades."""

    code = models.CharField(_("ITL1 code"), max_length=3, unique=True)
    nuts_code = models.CharField(_("NUTS 2018 code"), max_length=3, blank=True)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    centroid_latitude = models.FloatField(_("centroid latitude"))
    centroid_longitude = models.FloatField(_("centroid longitude"))
    # A rough frame for the map, not an official extent.
    min_latitude = models.FloatField(_("south"))
    min_longitude = models.FloatField(_("west"))
    max_latitude = models.FloatField(_("north"))
    max_longitude = models.FloatField(_("east"))
    # RFC 7946 MultiPolygon geometry (WGS84 lon/lat); ONS boundaries, simplified.
    boundary = models.JSONField(_("boundary (GeoJSON geometry)"))

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        constraints = [
            models.CheckConstraint(
                condition=Q(min_latitude__lte=F("max_latitude")) & Q(min_longitude__lte=F("max_longitude")),
                name="region_bbox_ordered",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("manufacturers:site-list") + f"?region={self.slug}"


class Capability(ReferenceModel):
    """What a site can do, such as sterile fill-finish or small-molecule API manufacture."""

    class Meta(ReferenceModel.Meta):
        verbose_name = _("capability")
        verbose_name_plural = _("capabilities")


class Technology(ReferenceModel):
    """A manufacturing technology or modality, such as continuous manufacturing or viral vectors."""

    class Meta(ReferenceModel.Meta):
        verbose_name = _("technology")
        verbose_name_plural = _("technologies")


class LicenceType(ReferenceModel):
    """A kind of MHRA manufacturing licence or authorisation, such as the MIA or the specials licence."""

    source_urls = ArrayField(models.URLField(max_length=500), blank=True, default=list)

    class Meta(ReferenceModel.Meta):
        verbose_name = _("licence type")
        verbose_name_plural = _("licence types")


class OrganisationKind(models.TextChoices):
    LARGE_PHARMA = "large_pharma", _("Large pharma")
    CDMO = "cdmo", _("Contract development and manufacturing (CDMO)")
    BIOTECH = "biotech", _("Biotech")
    GENERIC = "generic", _("Generic manufacturer")
    NHS = "nhs", _("NHS")
    ACADEMIC_CATAPULT = "academic_catapult", _("Academic or catapult")
    OTHER = "other", _("Other")


class OrganisationQuerySet(models.QuerySet):
    def with_sites(self):
        return self.filter(sites__isnull=False).distinct()

    def for_directory(self):
        return self.annotate(site_count=models.Count("sites", distinct=True)).order_by("name")


class Organisation(TimeStampedModel):
    """A manufacturer, university, catapult, NHS body or trade body."""

    Kind = OrganisationKind

    name = models.CharField(_("name"), max_length=200, unique=True)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    website = models.URLField(_("website"), max_length=300, blank=True)
    description = models.TextField(_("description"), blank=True)
    companies_house_number = models.CharField(
        _("Companies House number"),
        max_length=8,
        blank=True,
        validators=[companies_house_number_validator],
    )
    search_vector = models.GeneratedField(
        expression=SearchVector("name", weight="A", config="english")
        + SearchVector("description", weight="C", config="english"),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    objects = OrganisationQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["search_vector"])

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.UniqueConstraint(
                fields=["companies_house_number"],
                condition=~Q(companies_house_number=""),
                name="organisation_companies_house_number_unique",
                violation_error_message=_("Another organisation has this Companies House number."),
            ),
            models.CheckConstraint(
                condition=Q(companies_house_number="")
                | Q(companies_house_number__regex=r"^(\d{8}|[A-Z]{2}\d{6})$"),
                name="organisation_companies_house_number_format",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=[choice.value for choice in OrganisationKind]),
                name="organisation_kind_valid",
            ),
        ]
        indexes = [GinIndex(fields=["search_vector"], name="organisation_search_gin")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("manufacturers:organisation-detail", kwargs={"slug": self.slug})


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


# The most features one map response may carry, however many sites there are.
MAX_MAP_FEATURES = 500
# A cluster spans about this many screen pixels (Leaflet's 256-pixel Web Mercator tiles).
MAP_CELL_PIXELS = 80


def map_grid_cell(*, zoom: int, west: float, south: float, east: float, north: float) -> tuple[float, float]:
    """The (latitude, longitude) size in degrees of the clustering grid for a map view.

    The cell is about MAP_CELL_PIXELS wide at `zoom`, flattened by the cosine of the view's
    middle latitude so cells look square in Web Mercator. It then grows until the view holds
    at most MAX_MAP_FEATURES cells, counting the part-cells on every edge, so no response can
    exceed the cap even for a whole-world view at a high zoom.
    """
    zoom = max(0, min(int(zoom), 22))
    cell_longitude = 360 / (256 * 2**zoom) * MAP_CELL_PIXELS
    middle = radians((south + north) / 2)
    cell_latitude = cell_longitude * max(cos(middle), 0.2)
    width, height = max(east - west, 0.0), max(north - south, 0.0)
    while (floor(width / cell_longitude) + 2) * (floor(height / cell_latitude) + 2) > MAX_MAP_FEATURES:
        cell_longitude *= 1.25
        cell_latitude *= 1.25
    return cell_latitude, cell_longitude


def search_query(text: str) -> SearchQuery | None:
    """A prefix-matching tsquery from free text: "bio vect" finds "biologics" and "viral vectors"."""
    words = re.findall(r"\w+", text.lower())
    if not words:
        return None
    # Only \w characters reach the raw tsquery, so user input cannot inject tsquery syntax.
    return SearchQuery(" & ".join(f"{word}:*" for word in words[:12]), search_type="raw", config="english")


class SiteQuerySet(models.QuerySet):
    def operational(self):
        return self.filter(status=SiteStatus.OPERATIONAL)

    def in_region(self, region):
        return self.filter(region=region)

    def in_regions(self, regions):
        return self.filter(region__in=regions)

    def with_any_capability(self, capabilities):
        through = Site.capabilities.through.objects.filter(
            site_id=OuterRef("pk"), capability__in=capabilities
        )
        return self.filter(Exists(through))

    def with_any_technology(self, technologies):
        through = Site.technologies.through.objects.filter(
            site_id=OuterRef("pk"), technology__in=technologies
        )
        return self.filter(Exists(through))

    def with_any_licence(self, licence_types):
        return self.filter(
            Exists(Licence.objects.filter(site_id=OuterRef("pk"), licence_type__in=licence_types))
        )

    def of_organisation_kinds(self, kinds):
        return self.filter(organisation__kind__in=kinds)

    def search(self, text: str):
        """Sites matching free text, annotated with `rank` (names weigh more than towns, towns more than descriptions)."""
        query = search_query(text)
        if query is None:
            return self
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
        trigonometry runs only on the rows inside it.
        """
        delta_lat = radius_km / KM_PER_DEGREE_LATITUDE
        delta_lon = radius_km / (KM_PER_DEGREE_LATITUDE * max(cos(radians(latitude)), 0.01))
        return (
            self.within_bbox(
                south=latitude - delta_lat,
                north=latitude + delta_lat,
                west=longitude - delta_lon,
                east=longitude + delta_lon,
            )
            .with_distance_from(latitude, longitude)
            .filter(distance_km__lte=radius_km)
        )

    def nearest_to(self, latitude: float, longitude: float):
        """Sites ordered nearest first, by the GiST index on point(longitude, latitude) (KNN, core PostgreSQL).

        The index orders by planar distance in degrees, which is close to the true order over
        the short distances between UK sites; `distance_km` is the exact great-circle figure.
        """
        knn = RawSQL("point(longitude, latitude) <-> point(%s, %s)", (longitude, latitude))
        return self.with_distance_from(latitude, longitude).order_by(knn)

    def nearest(self, latitude: float, longitude: float, count: int) -> list:
        """The `count` sites nearest a point by great-circle distance, nearest first.

        The KNN index orders by planar degrees, in which a degree of longitude counts as much as
        one of latitude though at UK latitudes it is only 0.55 to 0.65 as long: so it proposes
        four times as many candidates and they are re-ranked by `distance_km`.
        """
        candidates = list(self.nearest_to(latitude, longitude)[: count * 4])
        return sorted(candidates, key=lambda site: (site.distance_km, site.name))[:count]

    def clustered(self, *, zoom: int, west: float, south: float, east: float, north: float):
        """The sites in a map view grouped into grid cells: one row per cell, never more than MAX_MAP_FEATURES.

        Each row has `count`, the mean position (`mean_latitude`, `mean_longitude`), the extent
        of its sites (`south`, `west`, `north`, `east`) and, for a cell holding one site, that
        site's `slug`, `name` and `organisation_name` (the minimum of one value is the value).
        One GROUP BY over the (latitude, longitude) index's range scan; see `map_grid_cell`
        for why the cap holds whatever the data.
        """
        cell_latitude, cell_longitude = map_grid_cell(
            zoom=zoom, west=west, south=south, east=east, north=north
        )
        return (
            self.within_bbox(west=west, south=south, east=east, north=north)
            .order_by()
            .annotate(
                cell_y=Floor(F("latitude") / cell_latitude),
                cell_x=Floor(F("longitude") / cell_longitude),
            )
            .values("cell_y", "cell_x")
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
            )
            .order_by("-count", "cell_y", "cell_x")[:MAX_MAP_FEATURES]
        )

    def for_directory(self):
        return self.select_related("organisation", "region").prefetch_related("capabilities", "technologies")

    def for_detail(self):
        return self.select_related("organisation", "region", "last_verified_by").prefetch_related(
            "capabilities",
            "technologies",
            Prefetch("licences", queryset=Licence.objects.select_related("licence_type")),
        )


class Site(TimeStampedModel):
    """A physical place where an organisation manufactures, with its capabilities and licences."""

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
        Region, on_delete=models.PROTECT, related_name="sites", verbose_name=_("region")
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
    last_verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("last verified by"),
    )
    # Maintained by a database trigger (see migration 0003) from the site's and its
    # organisation's text, so every write path, COPY included, keeps search current.
    search_vector = SearchVectorField(null=True, editable=False)

    objects = SiteQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["search_vector"])

    class Meta:
        ordering = ["name"]
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        indexes = [
            models.Index(fields=["latitude", "longitude"], name="site_lat_lon_idx"),
            # KNN ("nearest sites") ordering with the core <-> operator on a point.
            GistIndex(Func("longitude", "latitude", function="point"), name="site_point_gist"),
            GinIndex(fields=["search_vector"], name="site_search_vector_gin"),
            models.Index(fields=["status", "region"], name="site_status_region_idx"),
            # The directory's and the API's default order, so a page reads 50 rows, not sorts them all.
            models.Index(fields=["name", "id"], name="site_name_id_idx"),
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


class LicenceBasis(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed: named in a source")
    INFERRED = "inferred", _("Inferred: the activity described requires it")


class Licence(TimeStampedModel):
    """A licence of one type held for one site, with how we know of it."""

    Basis = LicenceBasis

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="licences", verbose_name=_("site"))
    licence_type = models.ForeignKey(
        LicenceType,
        on_delete=models.PROTECT,
        related_name="licences",
        verbose_name=_("licence type"),
    )
    reference = models.CharField(
        _("licence number"),
        max_length=50,
        blank=True,
        help_text=_("The MHRA licence number, where known."),
    )
    basis = models.CharField(_("basis"), max_length=10, choices=Basis.choices, default=Basis.INFERRED)
    source_url = models.URLField(_("source"), max_length=500, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["licence_type__name"]
        verbose_name = _("licence")
        verbose_name_plural = _("licences")
        constraints = [
            models.UniqueConstraint(
                fields=["site", "licence_type"],
                name="licence_one_per_type_per_site",
                violation_error_message=_("This site already holds a licence of this type."),
            ),
            models.CheckConstraint(
                condition=Q(basis__in=[choice.value for choice in LicenceBasis]),
                name="licence_basis_valid",
            ),
        ]

    def __str__(self):
        return f"{self.licence_type} ({self.get_basis_display()})"

    @property
    def is_confirmed(self):
        return self.basis == self.Basis.CONFIRMED


class CorrectionStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting review")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")


class CorrectionQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(status=CorrectionStatus.PENDING)

    def for_moderation(self):
        return self.select_related("site__organisation", "organisation", "reviewed_by")


class Correction(TimeStampedModel):
    """A member of the public's report that a site or organisation page is wrong.

    Never applied by itself: staff review it, then accept it (applying the change through the
    normal save service, with this correction as the history's reason) or reject it.
    """

    Status = CorrectionStatus

    # Exactly one of site and organisation (see the constraint).
    site = models.ForeignKey(
        Site,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="corrections",
        verbose_name=_("site"),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="corrections",
        verbose_name=_("organisation"),
    )
    message = models.TextField(_("what is wrong"), max_length=4000)
    # Personal data: kept only CORRECTION_EMAIL_RETENTION_DAYS (the privacy note on the form),
    # then erased by `manage.py purge_corrections`.
    email = models.EmailField(_("email"), blank=True)
    email_purged_at = models.DateTimeField(_("email erased at"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)
    changed_fields = models.JSONField(_("fields changed"), default=list, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )

    objects = CorrectionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("correction")
        verbose_name_plural = _("corrections")
        constraints = [
            models.CheckConstraint(
                condition=Q(site__isnull=False, organisation__isnull=True)
                | Q(site__isnull=True, organisation__isnull=False),
                name="correction_exactly_one_target",
                violation_error_message=_("A correction is about one site or one organisation."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=[choice.value for choice in CorrectionStatus]),
                name="correction_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(rejection_reason=""),
                name="correction_rejected_has_reason",
                violation_error_message=_("Give a reason for rejecting the correction."),
            ),
        ]

    def __str__(self):
        return _("Correction #%(pk)s to %(target)s") % {"pk": self.pk, "target": self.target}

    @property
    def target(self):
        return self.site if self.site_id else self.organisation
