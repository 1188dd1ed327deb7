"""One serializer per representation of each manufacturers resource (STYLE.md §6).

The help_text of the CSV and GeoJSON serializers is the data dictionary: the page at
/api/v1/data-dictionary/ is built from it, so the documentation cannot drift from the files.
"""

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from ..models import Capability, Licence, LicenceType, Organisation, Region, Site, Technology
from ..services import ORGANISATION_KIND_LABELS

# The landscape spreadsheet's `organisation_type` label for each kind (fixtures/sites.csv).
ORGANISATION_TYPE_LABELS = {}
for _label, _kind in ORGANISATION_KIND_LABELS.items():
    ORGANISATION_TYPE_LABELS.setdefault(_kind.value, _label)


class WebURLField(serializers.Field):
    """The absolute address of an object's public web page (its get_absolute_url())."""

    def __init__(self, *, view_name: str, lookup_field: str = "slug", **kwargs):
        self.view_name = view_name
        self.lookup_field = lookup_field
        kwargs.update(source="*", read_only=True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        slug = value[self.lookup_field] if isinstance(value, dict) else getattr(value, self.lookup_field)
        path = reverse(self.view_name, kwargs={"slug": slug})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


extend_schema_field({"type": "string", "format": "uri"})(WebURLField)


def api_url(view_name: str, **kwargs):
    return serializers.HyperlinkedIdentityField(
        view_name=f"api-v1:{view_name}", lookup_field="slug", **kwargs
    )


# Summaries: how one resource refers to another.


class OrganisationSummarySerializer(serializers.ModelSerializer):
    url = api_url("organisation-detail")

    class Meta:
        model = Organisation
        fields = ["id", "slug", "name", "kind", "url"]


class RegionSummarySerializer(serializers.ModelSerializer):
    url = api_url("region-detail")

    class Meta:
        model = Region
        fields = ["code", "slug", "name", "url"]


class CapabilitySummarySerializer(serializers.ModelSerializer):
    url = api_url("capability-detail")

    class Meta:
        model = Capability
        fields = ["slug", "name", "url"]


class TechnologySummarySerializer(serializers.ModelSerializer):
    url = api_url("technology-detail")

    class Meta:
        model = Technology
        fields = ["slug", "name", "url"]


class LicenceTypeSummarySerializer(serializers.ModelSerializer):
    url = api_url("licence-type-detail")

    class Meta:
        model = LicenceType
        fields = ["slug", "name", "url"]


class SiteSummarySerializer(serializers.ModelSerializer):
    url = api_url("site-detail")

    class Meta:
        model = Site
        fields = ["id", "slug", "name", "town", "status", "url"]


# Sites.

SLUG_LIST = serializers.ListField(child=serializers.SlugField(), read_only=True)


class SiteListSerializer(serializers.ModelSerializer):
    url = api_url("site-detail", help_text="This site in the API.")
    web_url = WebURLField(view_name="manufacturers:site-detail", help_text="This site's page on the portal.")
    organisation = OrganisationSummarySerializer(read_only=True)
    region = RegionSummarySerializer(read_only=True)
    capabilities = serializers.ListField(
        child=serializers.SlugField(),
        source="capability_slugs",
        read_only=True,
        help_text="Capability slugs.",
    )
    technologies = serializers.ListField(
        child=serializers.SlugField(),
        source="technology_slugs",
        read_only=True,
        help_text="Technology slugs.",
    )
    licence_types = serializers.ListField(
        child=serializers.SlugField(),
        source="licence_type_slugs",
        read_only=True,
        help_text="Slugs of the MHRA licence types held for the site.",
    )

    class Meta:
        model = Site
        fields = [
            "id",
            "slug",
            "url",
            "web_url",
            "name",
            "organisation",
            "status",
            "town",
            "postcode",
            "region",
            "latitude",
            "longitude",
            "location_precision",
            "capabilities",
            "technologies",
            "licence_types",
            "confidence",
            "created_at",
            "updated_at",
        ]


class LicenceSerializer(serializers.Serializer):
    licence_type = LicenceTypeSummarySerializer(read_only=True)
    reference = serializers.CharField(read_only=True, help_text="The MHRA licence number, where known.")
    basis = serializers.ChoiceField(choices=Licence.Basis.choices, read_only=True)
    source_url = serializers.URLField(read_only=True, allow_blank=True)


class CaseStudySummarySerializer(serializers.Serializer):
    slug = serializers.SlugField(read_only=True)
    title = serializers.CharField(read_only=True)
    url = serializers.HyperlinkedIdentityField(view_name="api-v1:case-study-detail", lookup_field="slug")


class SiteDetailSerializer(SiteListSerializer):
    capabilities = CapabilitySummarySerializer(many=True, read_only=True)
    technologies = TechnologySummarySerializer(many=True, read_only=True)
    licences = LicenceSerializer(many=True, read_only=True)
    case_studies = CaseStudySummarySerializer(
        many=True, read_only=True, source="published_case_studies", help_text="Published case studies only."
    )

    class Meta(SiteListSerializer.Meta):
        fields = [
            *(field for field in SiteListSerializer.Meta.fields if field != "licence_types"),
            "licences",
            "source_urls",
            "last_verified_on",
            "case_studies",
        ]


class PointGeometrySerializer(serializers.Serializer):
    type = serializers.CharField(help_text="Point.")
    coordinates = serializers.ListField(
        child=serializers.FloatField(), min_length=2, max_length=2, help_text="[longitude, latitude], WGS84."
    )


@extend_schema_field(PointGeometrySerializer)
class PointGeometryField(serializers.Field):
    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, value):
        get = value.get if isinstance(value, dict) else lambda name: getattr(value, name)
        return {"type": "Point", "coordinates": [get("longitude"), get("latitude")]}


@extend_schema_field({"type": "string", "enum": ["Feature"]})
class FeatureTypeField(serializers.Field):
    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, value):
        return "Feature"


def _get(row, name):
    return row[name] if isinstance(row, dict) else getattr(row, name)


class SitePropertiesSerializer(serializers.Serializer):
    """A site's attributes as flat GeoJSON properties, which GIS tools show as the layer's columns."""

    slug = serializers.SlugField(read_only=True, help_text="The site's stable identifier in URLs.")
    name = serializers.CharField(read_only=True, help_text="The site's name, without its organisation.")
    organisation = serializers.CharField(
        source="organisation_name", read_only=True, help_text="The organisation that runs the site."
    )
    organisation_slug = serializers.SlugField(
        read_only=True, help_text="The organisation's stable identifier."
    )
    organisation_kind = serializers.CharField(
        read_only=True, help_text="large_pharma, cdmo, biotech, generic, nhs, academic_catapult or other."
    )
    status = serializers.CharField(read_only=True, help_text="operational, planned or closed.")
    town = serializers.CharField(read_only=True, help_text="The town the site is in or near.")
    postcode = serializers.CharField(read_only=True, help_text="A full postcode or only its outward code.")
    region = serializers.SlugField(source="region_slug", read_only=True, help_text="The ITL1 region's slug.")
    region_name = serializers.CharField(read_only=True, help_text="The ITL1 region's name.")
    capabilities = serializers.ListField(
        child=serializers.CharField(),
        source="capability_slugs",
        read_only=True,
        help_text="Capability slugs.",
    )
    technologies = serializers.ListField(
        child=serializers.CharField(),
        source="technology_slugs",
        read_only=True,
        help_text="Technology slugs.",
    )
    licence_types = serializers.ListField(
        child=serializers.CharField(),
        source="licence_type_slugs",
        read_only=True,
        help_text="Licence type slugs.",
    )
    location_precision = serializers.CharField(
        read_only=True,
        help_text="town: the point is the town's centre (GeoNames), not the gate; site: the site.",
    )
    confidence = serializers.CharField(read_only=True, help_text="high, medium or low.")
    url = WebURLField(view_name="manufacturers:site-detail", help_text="The site's page on the portal.")
    updated_at = serializers.DateTimeField(read_only=True, help_text="When the site's record last changed.")


class SiteGeoJSONSerializer(serializers.Serializer):
    """A site as an RFC 7946 Feature: a WGS84 point and flat properties."""

    type = FeatureTypeField()
    id = serializers.IntegerField(read_only=True, help_text="The site's stable numeric id.")
    geometry = PointGeometryField()
    properties = SitePropertiesSerializer(source="*", read_only=True)


class LinkSerializer(serializers.Serializer):
    rel = serializers.CharField()
    type = serializers.CharField()
    href = serializers.URLField()


@extend_schema_serializer(many=False)
class SiteFeatureCollectionSerializer(serializers.Serializer):
    """A page of sites as a GeoJSON FeatureCollection (schema only: GeoJSONRenderer builds it)."""

    type = serializers.CharField(help_text="FeatureCollection.")
    numberMatched = serializers.IntegerField(help_text="How many sites match, over all pages.")  # noqa: N815
    numberReturned = serializers.IntegerField(help_text="How many sites are on this page.")  # noqa: N815
    features = SiteGeoJSONSerializer(many=True)
    links = LinkSerializer(many=True, help_text="`next` and `prev` pages, where there are any.")


class SiteCSVSerializer(serializers.Serializer):
    """One CSV row per site, in the landscape spreadsheet's columns (fixtures/sites.csv) and then ours."""

    organisation = serializers.CharField(source="organisation_name", help_text="The organisation's name.")
    organisation_type = serializers.SerializerMethodField(
        help_text="large pharma, cdmo, biotech, generic manufacturer, nhs, academic/catapult or other."
    )
    site_name = serializers.CharField(source="name", help_text="The site's name, without its organisation.")
    town = serializers.CharField(help_text="The town the site is in or near.")
    postcode_district = serializers.CharField(
        source="postcode",
        help_text="The postcode, or only its outward code (such as SG1) where that is all we know.",
    )
    region = serializers.CharField(source="region_name", help_text="The ITL1 region's name.")
    latitude = serializers.FloatField(help_text="WGS84 decimal degrees. Town-level: see location precision.")
    longitude = serializers.FloatField(help_text="WGS84 decimal degrees (negative west of Greenwich).")
    capabilities = serializers.SerializerMethodField(help_text="Capability slugs, joined with ;.")
    technologies = serializers.SerializerMethodField(help_text="Technology slugs, joined with ;.")
    licence_types = serializers.SerializerMethodField(help_text="MHRA licence type slugs, joined with ;.")
    licence_basis = serializers.SerializerMethodField(
        help_text=(
            "confirmed (named in a source) or inferred (the activity requires it): one value when every "
            "licence has the same basis, otherwise one per licence type in the same order, joined with ;."
        )
    )
    website = serializers.CharField(source="organisation_website", help_text="The organisation's website.")
    source = serializers.SerializerMethodField(help_text="The sources for the row, joined with ' | '.")
    confidence = serializers.CharField(help_text="high, medium or low: how sure we are of the row.")
    id = serializers.IntegerField(help_text="The site's stable numeric id.")
    slug = serializers.SlugField(help_text="The site's stable identifier in URLs.")
    status = serializers.CharField(help_text="operational, planned or closed.")
    url = WebURLField(view_name="manufacturers:site-detail", help_text="The site's page on the portal.")
    updated_at = serializers.DateTimeField(help_text="When the site's record last changed (ISO 8601).")

    def get_organisation_type(self, row) -> str:
        return ORGANISATION_TYPE_LABELS.get(_get(row, "organisation_kind"), "other")

    def get_capabilities(self, row) -> str:
        return ";".join(_get(row, "capability_slugs") or [])

    def get_technologies(self, row) -> str:
        return ";".join(_get(row, "technology_slugs") or [])

    def get_licence_types(self, row) -> str:
        return ";".join(_get(row, "licence_type_slugs") or [])

    def get_licence_basis(self, row) -> str:
        bases = _get(row, "licence_bases") or []
        return bases[0] if len(set(bases)) == 1 else ";".join(bases)

    def get_source(self, row) -> str:
        return " | ".join(_get(row, "source_urls") or [])


# Organisations.


class OrganisationListSerializer(serializers.ModelSerializer):
    url = api_url("organisation-detail")
    web_url = WebURLField(view_name="manufacturers:organisation-detail")
    site_count = serializers.IntegerField(read_only=True, help_text="How many sites the organisation has.")

    class Meta:
        model = Organisation
        fields = [
            "id",
            "slug",
            "url",
            "web_url",
            "name",
            "kind",
            "website",
            "companies_house_number",
            "site_count",
            "created_at",
            "updated_at",
        ]


class OrganisationDetailSerializer(OrganisationListSerializer):
    sites = SiteSummarySerializer(many=True, read_only=True)

    class Meta(OrganisationListSerializer.Meta):
        fields = [*OrganisationListSerializer.Meta.fields, "description", "sites"]


class OrganisationCSVSerializer(serializers.Serializer):
    """One CSV row per organisation."""

    id = serializers.IntegerField(help_text="The organisation's stable numeric id.")
    slug = serializers.SlugField(help_text="The organisation's stable identifier in URLs.")
    name = serializers.CharField(help_text="The organisation's name.")
    organisation_type = serializers.SerializerMethodField(
        help_text="large pharma, cdmo, biotech, generic manufacturer, nhs, academic/catapult or other."
    )
    kind = serializers.CharField(
        help_text="The same as organisation_type, as a code: large_pharma, cdmo, biotech, generic, nhs, "
        "academic_catapult or other."
    )
    website = serializers.CharField(help_text="The organisation's website.")
    companies_house_number = serializers.CharField(help_text="Its Companies House number, where known.")
    site_count = serializers.IntegerField(help_text="How many of its sites are in the dataset.")
    description = serializers.CharField(help_text="A short description.")
    url = WebURLField(view_name="manufacturers:organisation-detail", help_text="Its page on the portal.")
    updated_at = serializers.DateTimeField(
        help_text="When the organisation's record last changed (ISO 8601)."
    )

    def get_organisation_type(self, row) -> str:
        return ORGANISATION_TYPE_LABELS.get(_get(row, "kind"), "other")


# Regions.


class RegionListSerializer(serializers.ModelSerializer):
    url = api_url("region-detail")
    web_url = serializers.SerializerMethodField()
    site_count = serializers.IntegerField(read_only=True)
    centroid = serializers.SerializerMethodField(help_text="[longitude, latitude] of the region's centre.")
    bbox = serializers.SerializerMethodField(help_text="[west, south, east, north]: a rough frame for a map.")

    class Meta:
        model = Region
        fields = [
            "code",
            "nuts_code",
            "slug",
            "url",
            "web_url",
            "name",
            "site_count",
            "centroid",
            "bbox",
            "created_at",
            "updated_at",
        ]

    def get_web_url(self, region) -> str:
        request = self.context.get("request")
        path = region.get_absolute_url()
        return request.build_absolute_uri(path) if request else path

    def get_centroid(self, region) -> list[float]:
        return [region.centroid_longitude, region.centroid_latitude]

    def get_bbox(self, region) -> list[float]:
        return [region.min_longitude, region.min_latitude, region.max_longitude, region.max_latitude]


class RegionDetailSerializer(RegionListSerializer):
    boundary = serializers.JSONField(
        read_only=True, help_text="An RFC 7946 MultiPolygon (WGS84): ONS boundaries, simplified."
    )

    class Meta(RegionListSerializer.Meta):
        fields = [*RegionListSerializer.Meta.fields, "boundary"]


class RegionPropertiesSerializer(serializers.ModelSerializer):
    site_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Region
        fields = ["code", "nuts_code", "slug", "name", "site_count", "updated_at"]


@extend_schema_field({"type": "object", "description": "An RFC 7946 MultiPolygon geometry."})
class BoundaryField(serializers.JSONField):
    pass


class RegionGeoJSONSerializer(serializers.Serializer):
    """A region as an RFC 7946 Feature with its boundary."""

    type = FeatureTypeField()
    id = serializers.SlugField(source="slug", read_only=True)
    geometry = BoundaryField(source="boundary", read_only=True)
    properties = RegionPropertiesSerializer(source="*", read_only=True)


@extend_schema_serializer(many=False)
class RegionFeatureCollectionSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="FeatureCollection.")
    numberMatched = serializers.IntegerField()  # noqa: N815
    numberReturned = serializers.IntegerField()  # noqa: N815
    features = RegionGeoJSONSerializer(many=True)
    links = LinkSerializer(many=True)


# Reference taxonomies.


class ReferenceSerializer(serializers.ModelSerializer):
    site_count = serializers.IntegerField(read_only=True, help_text="How many sites have it.")

    class Meta:
        fields = ["slug", "url", "name", "description", "is_active", "site_count", "created_at", "updated_at"]


class CapabilitySerializer(ReferenceSerializer):
    url = api_url("capability-detail")

    class Meta(ReferenceSerializer.Meta):
        model = Capability


class TechnologySerializer(ReferenceSerializer):
    url = api_url("technology-detail")

    class Meta(ReferenceSerializer.Meta):
        model = Technology


class LicenceTypeSerializer(ReferenceSerializer):
    url = api_url("licence-type-detail")

    class Meta(ReferenceSerializer.Meta):
        model = LicenceType
        fields = [*ReferenceSerializer.Meta.fields, "source_urls"]


class FacetCountsSerializer(serializers.Serializer):
    """For each facet, how many sites each value would give under the other filters."""

    region = serializers.DictField(child=serializers.IntegerField(), help_text="Sites per region slug.")
    capability = serializers.DictField(
        child=serializers.IntegerField(), help_text="Sites per capability slug."
    )
    technology = serializers.DictField(
        child=serializers.IntegerField(), help_text="Sites per technology slug."
    )
    licence = serializers.DictField(
        child=serializers.IntegerField(), help_text="Sites per licence type slug."
    )
    organisation_kind = serializers.DictField(
        child=serializers.IntegerField(), help_text="Sites per kind of organisation."
    )
    status = serializers.DictField(child=serializers.IntegerField(), help_text="Sites per status.")
