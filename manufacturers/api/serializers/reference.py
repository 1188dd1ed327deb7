"""Regions, with their boundaries, and the taxonomies: capabilities, technologies, licence types."""

from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from ...models import Capability, LicenceType, Region, Technology
from .common import FeatureTypeField, LinkSerializer, api_url


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
