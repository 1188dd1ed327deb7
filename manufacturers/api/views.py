"""The manufacturers resources of the partner API: sites, organisations, regions and the taxonomies."""

from django.db.models import Count, Prefetch
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date
from django_filters.utils import translate_validation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.renderers import TemplateHTMLRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from casestudies.models import CaseStudy
from mmip_portal.api.licensing import ATTRIBUTION, LICENCE
from mmip_portal.api.negotiation import FirstRendererNegotiation
from mmip_portal.api.pagination import KeysetCursorPagination
from mmip_portal.api.renderers import CSVRenderer, GeoJSONRenderer, ORJSONRenderer, csv_lines, json_bytes
from mmip_portal.api.views import PortalAPIMixin

from ..models import Capability, Licence, LicenceType, Organisation, Region, Site, Technology
from . import exports
from . import serializers as s
from .filters import OrganisationApiFilter, SiteApiFilter
from .queries import EXPORT_VALUES, sites_with_taxonomy_slugs
from .schema import SITE_FILTER_PARAMETERS


def site_freshness_sources() -> list:
    """What a site's representation shows: the site, its organisation, region and licences."""
    return [
        (Site.objects.all(), "updated_at"),
        (Organisation.objects.all(), "updated_at"),
        (Licence.objects.all(), "updated_at"),
        (Region.objects.all(), "updated_at"),
    ]


def published_case_study_sources() -> list:
    # A scheduled case study goes live with no write: its go-live time counts as a change.
    return [
        (CaseStudy.objects.all(), "updated_at"),
        (CaseStudy.objects.filter(go_live_at__lte=timezone.now()), "go_live_at"),
    ]


def format_parameter(*formats: str) -> OpenApiParameter:
    return OpenApiParameter(
        "format",
        str,
        enum=list(formats),
        description="The response format. GeoJSON can also be asked for with `Accept: application/geo+json`.",
    )


CSV_RESPONSE = OpenApiResponse(OpenApiTypes.STR, description="UTF-8 CSV with a header row.")


@extend_schema_view(
    list=extend_schema(
        summary="List sites",
        description=(
            "Sites matching the filters, a page at a time. Follow `next` (or the `Link` header) to walk "
            "them all: cursors stay stable while the data changes. `updated_since` gives only what changed."
        ),
        parameters=[*SITE_FILTER_PARAMETERS, format_parameter("json", "geojson", "csv")],
        responses={
            (200, "application/json"): s.SiteListSerializer(many=True),
            (200, "application/geo+json"): s.SiteFeatureCollectionSerializer,
            (200, "text/csv"): CSV_RESPONSE,
        },
    ),
    retrieve=extend_schema(
        summary="One site",
        parameters=[format_parameter("json", "geojson", "csv")],
        responses={
            (200, "application/json"): s.SiteDetailSerializer,
            (200, "application/geo+json"): s.SiteGeoJSONSerializer,
            (200, "text/csv"): CSV_RESPONSE,
        },
    ),
)
class SiteViewSet(PortalAPIMixin, viewsets.ReadOnlyModelViewSet):
    """Sites: where organisations make medicines, with capabilities, technologies and licences."""

    lookup_field = "slug"
    filterset_class = SiteApiFilter
    pagination_class = KeysetCursorPagination
    renderer_classes = [ORJSONRenderer, GeoJSONRenderer, CSVRenderer]
    serializer_classes = {
        "list": s.SiteListSerializer,
        "retrieve": s.SiteDetailSerializer,
        "geojson": s.SiteGeoJSONSerializer,
        "csv": s.SiteCSVSerializer,
    }

    def freshness_sources(self):
        if self.action == "retrieve" and self.representation == "json":
            return site_freshness_sources() + published_case_study_sources()
        return site_freshness_sources()

    def get_queryset(self):
        if self.action == "retrieve" and self.representation == "json":
            return Site.objects.for_detail().prefetch_related(
                Prefetch(
                    "case_studies",
                    queryset=CaseStudy.objects.published().newest_first(),
                    to_attr="published_case_studies",
                )
            )
        return sites_with_taxonomy_slugs().annotate(**EXPORT_VALUES)

    @extend_schema(
        summary="Count sites per facet",
        description=(
            "For each facet (region, capability, technology, licence, organisation_kind, status), how many "
            "sites each value gives under the other filters: the directory's facet counts, as JSON. "
            "For example `?region=wales` counts sites per capability in Wales."
        ),
        parameters=SITE_FILTER_PARAMETERS,
        responses=s.FacetCountsSerializer,
    )
    @action(detail=False, url_path="facets", renderer_classes=[ORJSONRenderer], pagination_class=None)
    def facets(self, request):
        site_filter = self.filterset_class(request.query_params, queryset=Site.objects.all(), request=request)
        if not site_filter.is_valid():
            raise translate_validation(site_filter.errors)
        return Response(site_filter.cached_facet_counts())


@extend_schema_view(
    list=extend_schema(
        summary="List organisations",
        parameters=[format_parameter("json", "csv")],
        responses={
            (200, "application/json"): s.OrganisationListSerializer(many=True),
            (200, "text/csv"): CSV_RESPONSE,
        },
    ),
    retrieve=extend_schema(
        summary="One organisation, with its sites",
        parameters=[format_parameter("json", "csv")],
        responses={
            (200, "application/json"): s.OrganisationDetailSerializer,
            (200, "text/csv"): CSV_RESPONSE,
        },
    ),
)
class OrganisationViewSet(PortalAPIMixin, viewsets.ReadOnlyModelViewSet):
    """Organisations: manufacturers, universities, catapults, NHS bodies and trade bodies."""

    lookup_field = "slug"
    filterset_class = OrganisationApiFilter
    renderer_classes = [ORJSONRenderer, CSVRenderer]
    serializer_classes = {
        "list": s.OrganisationListSerializer,
        "retrieve": s.OrganisationDetailSerializer,
        "csv": s.OrganisationCSVSerializer,
    }

    def freshness_sources(self):
        return [(Organisation.objects.all(), "updated_at"), (Site.objects.all(), "updated_at")]

    def get_queryset(self):
        queryset = Organisation.objects.annotate(site_count=Count("sites")).order_by("name", "id")
        if self.action == "retrieve" and self.representation == "json":
            queryset = queryset.prefetch_related(
                Prefetch("sites", queryset=Site.objects.order_by("name", "id"))
            )
        return queryset


@extend_schema_view(
    list=extend_schema(
        summary="List regions",
        description="The 12 ITL1 regions of the UK. As GeoJSON, each region's boundary is its geometry.",
        parameters=[format_parameter("json", "geojson")],
        responses={
            (200, "application/json"): s.RegionListSerializer(many=True),
            (200, "application/geo+json"): s.RegionFeatureCollectionSerializer,
        },
    ),
    retrieve=extend_schema(
        summary="One region, with its boundary",
        parameters=[format_parameter("json", "geojson")],
        responses={
            (200, "application/json"): s.RegionDetailSerializer,
            (200, "application/geo+json"): s.RegionGeoJSONSerializer,
        },
    ),
)
class RegionViewSet(PortalAPIMixin, viewsets.ReadOnlyModelViewSet):
    """Regions (ITL1) with their boundaries (ONS, simplified)."""

    lookup_field = "slug"
    renderer_classes = [ORJSONRenderer, GeoJSONRenderer]
    serializer_classes = {
        "list": s.RegionListSerializer,
        "retrieve": s.RegionDetailSerializer,
        "geojson": s.RegionGeoJSONSerializer,
    }

    def freshness_sources(self):
        return [(Region.objects.all(), "updated_at"), (Site.objects.all(), "updated_at")]

    def get_queryset(self):
        queryset = Region.objects.annotate(site_count=Count("sites")).order_by("code")
        if self.action == "list" and self.representation == "json":
            queryset = queryset.defer("boundary")  # large, and the list does not show it
        return queryset


def reference_viewset(model, serializer_class, noun: str, plural: str):
    @extend_schema_view(
        list=extend_schema(summary=f"List {plural}"),
        retrieve=extend_schema(summary=f"One {noun}"),
    )
    class ReferenceViewSet(PortalAPIMixin, viewsets.ReadOnlyModelViewSet):
        lookup_field = "slug"
        renderer_classes = [ORJSONRenderer]
        serializer_classes = {"list": serializer_class}

        def freshness_sources(self):
            return [(model.objects.all(), "updated_at"), (Site.objects.all(), "updated_at")]

        def get_queryset(self):
            return model.objects.annotate(site_count=Count("sites")).order_by("name", "id")

    ReferenceViewSet.__name__ = ReferenceViewSet.__qualname__ = f"{model.__name__}ViewSet"
    ReferenceViewSet.__doc__ = f"{plural.capitalize()}: a controlled vocabulary, addressed by slug."
    return ReferenceViewSet


CapabilityViewSet = reference_viewset(Capability, s.CapabilitySerializer, "capability", "capabilities")
TechnologyViewSet = reference_viewset(Technology, s.TechnologySerializer, "technology", "technologies")
LicenceTypeViewSet = reference_viewset(LicenceType, s.LicenceTypeSerializer, "licence type", "licence types")


# Bulk downloads.


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
        head = json_bytes(
            {
                "type": "FeatureCollection",
                "name": "mmip_sites",
                "licence": LICENCE,
                "attribution": ATTRIBUTION,
                "data_dictionary": self.request.build_absolute_uri(reverse("api-v1:data-dictionary")),
            }
        )
        yield head[:-1] + b',"features":['
        for text in exports.site_geojson_features(self.request, self.batch_size):
            yield text.encode("utf-8")
        yield b"]}"


# The data dictionary.


def _field_type(field) -> str:
    from rest_framework import serializers as drf

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
