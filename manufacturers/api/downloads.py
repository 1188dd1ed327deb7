"""Bulk downloads of the landscape (CSV and GeoJSON, streamed) and their data dictionary."""

from django.db.models import Count
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers as drf
from rest_framework.renderers import TemplateHTMLRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from core import geojson
from core.api.licensing import ATTRIBUTION, LICENCE
from core.api.negotiation import FirstRendererNegotiation
from core.api.renderers import CSVRenderer, GeoJSONRenderer, ORJSONRenderer, csv_lines
from core.api.views import PortalAPIMixin

from ..models import Organisation
from . import exports
from . import serializers as s
from .views import CSV_RESPONSE, format_parameter, site_freshness_sources


def organisation_rows_for_export():
    return (
        Organisation.objects.annotate(site_count=Count("sites"))
        .order_by("id")
        .values(
            "id",
            "slug",
            "name",
            "kind",
            "website",
            "companies_house_number",
            "site_count",
            "description",
            "updated_at",
        )
    )


class DownloadView(PortalAPIMixin, APIView):
    """A whole dataset as one file, streamed a part at a time so memory stays flat however large it grows."""

    content_negotiation_class = FirstRendererNegotiation
    filename = ""
    cache_max_age = 3600
    quota_bucket = "downloads"  # without a key: a nightly download's own limits (core.api.quotas)

    def allowed_query_parameters(self):
        return set()

    def freshness_sources(self):
        return site_freshness_sources()

    def content(self):
        """The file, as an iterator of bytes."""
        raise NotImplementedError

    def get(self, request):
        last_modified = self.get_last_modified()
        stamp = int(last_modified.timestamp()) if last_modified else None
        not_modified = get_conditional_response(request, last_modified=stamp)
        if not_modified is not None:
            return self._headers(not_modified, last_modified)
        response = StreamingHttpResponse(self.content(), content_type=self.content_type)
        response["Content-Disposition"] = f'attachment; filename="{self.filename}"'
        return self._headers(response, last_modified)

    def _headers(self, response, last_modified):
        if last_modified is not None:
            response["Last-Modified"] = http_date(last_modified.timestamp())
        dictionary = self.request.build_absolute_uri(reverse("api-v1:data-dictionary"))
        response["Link"] = f'<{LICENCE["url"]}>; rel="license", <{dictionary}>; rel="describedby"'
        patch_cache_control(response, public=True, max_age=self.cache_max_age)
        return response


class CSVDownloadView(DownloadView):
    renderer_classes = [CSVRenderer]
    content_type = "text/csv; charset=utf-8; header=present"
    serializer_class = None
    chunk_size = 500

    def content(self):
        return self.stream(self.rows().iterator(chunk_size=self.chunk_size))

    def rows(self):
        raise NotImplementedError

    def stream(self, rows):
        serializer = self.serializer_class(context={"request": self.request})
        columns = list(serializer.fields)
        for line in csv_lines(columns, (serializer.to_representation(row) for row in rows)):
            yield line.encode("utf-8")


@extend_schema(
    summary="Download every site as CSV",
    description=(
        "All sites, one row each, in the landscape spreadsheet's columns; streamed. Licence: OGL v3.0 "
        "(coordinates: GeoNames, CC BY 4.0). See the data dictionary for every column."
    ),
    responses={(200, "text/csv"): CSV_RESPONSE},
)
class SitesCSVDownloadView(CSVDownloadView):
    filename = "mmip-sites.csv"
    serializer_class = s.SiteCSVSerializer
    batch_size = exports.BATCH_SIZE

    def content(self):
        # Written by PostgreSQL a batch at a time (exports.py): the serialiser's lines, far faster.
        header = next(csv_lines(list(self.serializer_class().fields), []))
        yield header.encode("utf-8")
        for text in exports.site_csv_lines(self.request, self.batch_size):
            yield text.encode("utf-8")


@extend_schema(
    summary="Download every organisation as CSV",
    description="All organisations, one row each; streamed. Licence: OGL v3.0.",
    responses={(200, "text/csv"): CSV_RESPONSE},
)
class OrganisationsCSVDownloadView(CSVDownloadView):
    filename = "mmip-organisations.csv"
    serializer_class = s.OrganisationCSVSerializer

    def rows(self):
        return organisation_rows_for_export()


@extend_schema(
    summary="Download every site as GeoJSON",
    description=(
        "All sites as one RFC 7946 FeatureCollection, streamed, with the licence and attribution as "
        "members of the collection."
    ),
    responses={(200, "application/geo+json"): OpenApiResponse(OpenApiTypes.OBJECT)},
)
class SitesGeoJSONDownloadView(DownloadView):
    renderer_classes = [GeoJSONRenderer]
    content_type = "application/geo+json"
    filename = "mmip-sites.geojson"

    batch_size = exports.BATCH_SIZE

    def content(self):
        head, tail = geojson.collection_envelope(
            name="mmip_sites",
            licence=LICENCE,
            attribution=ATTRIBUTION,
            data_dictionary=self.request.build_absolute_uri(reverse("api-v1:data-dictionary")),
        )
        yield head
        for text in exports.site_geojson_features(self.request, self.batch_size):
            yield text.encode("utf-8")
        yield tail


# The data dictionary.


def _field_type(field) -> str:
    if isinstance(field, drf.IntegerField):
        return "integer"
    if isinstance(field, drf.FloatField):
        return "number"
    if isinstance(field, drf.DateTimeField):
        return "date-time (ISO 8601)"
    if isinstance(field, drf.ListField):
        return "array of strings"
    if isinstance(field, s.WebURLField):
        return "URL"
    return "text"


def _fields(serializer_class) -> list[dict]:
    return [
        {"name": name, "type": _field_type(field), "description": str(field.help_text or "")}
        for name, field in serializer_class().fields.items()
    ]


def data_dictionary(request) -> list[dict]:
    def url(name):
        return request.build_absolute_uri(reverse(name))

    return [
        {
            "name": "sites.csv",
            "url": url("api-v1:download-sites-csv"),
            "media_type": "text/csv",
            "description": "Every site, one row each. Multi-valued cells are joined with ; (sources with ' | ').",
            "fields": _fields(s.SiteCSVSerializer),
        },
        {
            "name": "sites.geojson",
            "url": url("api-v1:download-sites-geojson"),
            "media_type": "application/geo+json",
            "description": (
                "Every site as a GeoJSON Feature: a WGS84 point (longitude, latitude) and these properties. "
                "The Feature's id is the site's numeric id."
            ),
            "fields": _fields(s.SitePropertiesSerializer),
        },
        {
            "name": "organisations.csv",
            "url": url("api-v1:download-organisations-csv"),
            "media_type": "text/csv",
            "description": "Every organisation, one row each.",
            "fields": _fields(s.OrganisationCSVSerializer),
        },
    ]


@extend_schema(
    summary="Data dictionary",
    description="Every field of each bulk download, with its type and meaning. HTML, or JSON with ?format=json.",
    parameters=[format_parameter("html", "json")],
    responses={(200, "application/json"): OpenApiTypes.OBJECT, (200, "text/html"): OpenApiTypes.STR},
)
class DataDictionaryView(PortalAPIMixin, APIView):
    renderer_classes = [TemplateHTMLRenderer, ORJSONRenderer]
    template_name = "api/data_dictionary.html"

    def get(self, request):
        return Response(
            {"downloads": data_dictionary(request), "licence": LICENCE, "attribution": ATTRIBUTION}
        )
