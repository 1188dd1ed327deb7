"""What every representation shares: web and API links, GeoJSON geometry, and summaries of one
resource inside another."""

from functools import partial

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ...models import Capability, LicenceType, Organisation, Region, Site, Technology


def row_value(row, name):
    """A field of a model instance, or a key of a row of values (the CSV and GeoJSON querysets)."""
    return row[name] if isinstance(row, dict) else getattr(row, name)


# Stands in for a slug while an address is reversed once, to be filled in for every row.
SLUG_PLACEHOLDER = "mmip-slug-placeholder"


class SlugAddresses:
    """The addresses of one view for many slugs: reversed once per request, then filled in.

    A page of a hundred sites links each to itself twice, to its organisation and to its
    region; reversing each of those four hundred addresses cost more than the page's queries.
    Slugs are [-a-zA-Z0-9_] (SlugField), which an address holds as they are.
    """

    def __init__(self, reverse_placeholder):
        self._reverse_placeholder = reverse_placeholder
        self._request = self._parts = None

    def __call__(self, request, slug: str) -> str:
        if self._parts is None or request is not self._request:
            self._request, self._parts = request, self._reverse_placeholder(request).split(SLUG_PLACEHOLDER)
        return slug.join(self._parts)


class WebURLField(serializers.Field):
    """The absolute address of an object's public web page (its get_absolute_url())."""

    def __init__(self, *, view_name: str, lookup_field: str = "slug", **kwargs):
        self.view_name = view_name
        self.lookup_field = lookup_field
        kwargs.update(source="*", read_only=True)
        super().__init__(**kwargs)
        self.addresses = SlugAddresses(self._address)

    def _address(self, request, slug=SLUG_PLACEHOLDER) -> str:
        path = reverse(self.view_name, kwargs={"slug": slug})
        return request.build_absolute_uri(path) if request else path

    def to_representation(self, value):
        slug = value[self.lookup_field] if isinstance(value, dict) else getattr(value, self.lookup_field)
        return self.addresses(self.context.get("request"), slug)


extend_schema_field({"type": "string", "format": "uri"})(WebURLField)


class _Placeholder:
    pk = 0
    slug = SLUG_PLACEHOLDER


class SlugIdentityField(serializers.HyperlinkedIdentityField):
    """DRF's link to an object by its slug, reversed once per request and format (SlugAddresses)."""

    def __init__(self, **kwargs):
        super().__init__(lookup_field="slug", **kwargs)
        self.addresses = {}

    def _reverse_placeholder(self, request, *, view_name, format):
        return super().get_url(_Placeholder(), view_name, request, format)

    def get_url(self, obj, view_name, request, format):
        if getattr(obj, "pk", None) in (None, ""):
            return None
        if format not in self.addresses:
            self.addresses[format] = SlugAddresses(
                partial(self._reverse_placeholder, view_name=view_name, format=format)
            )
        return self.addresses[format](request, obj.slug)


def api_url(view_name: str, **kwargs):
    return SlugIdentityField(view_name=f"api-v1:{view_name}", **kwargs)


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


class LinkSerializer(serializers.Serializer):
    rel = serializers.CharField()
    type = serializers.CharField()
    href = serializers.URLField()
