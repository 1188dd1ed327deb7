"""Sites: in lists, in detail, as GeoJSON features and as rows of sites.csv."""

from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from ...importing.columns import (
    SLUG_SEPARATOR,
    SOURCE_SEPARATOR,
    organisation_type_label,
    organisation_types_text,
)
from ...models import Licence, Site
from .common import (
    CapabilitySummarySerializer,
    FeatureTypeField,
    LicenceTypeSummarySerializer,
    LinkSerializer,
    OrganisationSummarySerializer,
    PointGeometryField,
    RegionSummarySerializer,
    TechnologySummarySerializer,
    WebURLField,
    api_url,
    row_value,
)

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
    distance_km = serializers.SerializerMethodField(
        help_text="Great-circle distance in km from the `near` point; null without `near`."
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
            "distance_km",
            "location_precision",
            "capabilities",
            "technologies",
            "licence_types",
            "confidence",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field({"type": "number", "format": "double", "nullable": True})
    def get_distance_km(self, site) -> float | None:
        distance = getattr(site, "distance_km", None)
        return None if distance is None else round(distance, 3)


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
            *(
                field
                for field in SiteListSerializer.Meta.fields
                if field not in ("licence_types", "distance_km")
            ),
            "licences",
            "source_urls",
            "last_verified_on",
            "case_studies",
        ]


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
    organisation_type = serializers.SerializerMethodField(help_text=f"{organisation_types_text()}.")
    site_name = serializers.CharField(source="name", help_text="The site's name, without its organisation.")
    town = serializers.CharField(help_text="The town the site is in or near.")
    postcode_district = serializers.CharField(
        source="postcode",
        help_text="The postcode, or only its outward code (such as SG1) where that is all we know.",
    )
    region = serializers.CharField(source="region_name", help_text="The ITL1 region's name.")
    latitude = serializers.FloatField(help_text="WGS84 decimal degrees. Town-level: see location precision.")
    longitude = serializers.FloatField(help_text="WGS84 decimal degrees (negative west of Greenwich).")
    capabilities = serializers.SerializerMethodField(
        help_text=f"Capability slugs, joined with {SLUG_SEPARATOR}."
    )
    technologies = serializers.SerializerMethodField(
        help_text=f"Technology slugs, joined with {SLUG_SEPARATOR}."
    )
    licence_types = serializers.SerializerMethodField(
        help_text=f"MHRA licence type slugs, joined with {SLUG_SEPARATOR}."
    )
    licence_basis = serializers.SerializerMethodField(
        help_text=(
            "confirmed (named in a source) or inferred (the activity requires it): one value when every "
            "licence has the same basis, otherwise one per licence type in the same order, joined with ;."
        )
    )
    website = serializers.CharField(source="organisation_website", help_text="The organisation's website.")
    source = serializers.SerializerMethodField(
        help_text=f"The sources for the row, joined with '{SOURCE_SEPARATOR}'."
    )
    confidence = serializers.CharField(help_text="high, medium or low: how sure we are of the row.")
    id = serializers.IntegerField(help_text="The site's stable numeric id.")
    slug = serializers.SlugField(help_text="The site's stable identifier in URLs.")
    status = serializers.CharField(help_text="operational, planned or closed.")
    url = WebURLField(view_name="manufacturers:site-detail", help_text="The site's page on the portal.")
    updated_at = serializers.DateTimeField(help_text="When the site's record last changed (ISO 8601).")

    def get_organisation_type(self, row) -> str:
        return organisation_type_label(row_value(row, "organisation_kind"))

    def get_capabilities(self, row) -> str:
        return SLUG_SEPARATOR.join(row_value(row, "capability_slugs") or [])

    def get_technologies(self, row) -> str:
        return SLUG_SEPARATOR.join(row_value(row, "technology_slugs") or [])

    def get_licence_types(self, row) -> str:
        return SLUG_SEPARATOR.join(row_value(row, "licence_type_slugs") or [])

    def get_licence_basis(self, row) -> str:
        bases = row_value(row, "licence_bases") or []
        return bases[0] if len(set(bases)) == 1 else SLUG_SEPARATOR.join(bases)

    def get_source(self, row) -> str:
        return SOURCE_SEPARATOR.join(row_value(row, "source_urls") or [])


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
