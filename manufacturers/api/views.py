"""The manufacturers resources of the partner API: sites, organisations, regions and the taxonomies."""

from django.db.models import Count, Prefetch
from django.http import HttpResponsePermanentRedirect
from django.urls import reverse
from django_filters.utils import translate_validation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.pagination import KeysetCursorPagination
from core.api.renderers import CSVRenderer, GeoJSONRenderer, ORJSONRenderer
from core.api.views import PortalAPIMixin
from core.numbers import is_whole_number

from ..models import Capability, Licence, LicenceType, Organisation, Region, Site, Technology
from ..selectors import case_study_freshness_sources, published_case_studies_prefetch
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
        description=(
            "A site by its slug. A site's numeric `id` works too: it answers 301 with the slug's URL "
            "in `Location`, so a mirror keyed by id can always find a site again after a rename."
        ),
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

    def retrieve(self, request, *args, **kwargs):
        slug = kwargs["slug"]
        if is_whole_number(slug) and len(slug) < 19 and not Site.objects.filter(slug=slug).exists():
            site = Site.objects.filter(pk=int(slug)).only("slug").first()
            if site is not None:
                url = reverse("api-v1:site-detail", kwargs={"slug": site.slug})
                query = request.META.get("QUERY_STRING", "")
                return HttpResponsePermanentRedirect(f"{url}?{query}" if query else url)
        return super().retrieve(request, *args, **kwargs)

    def freshness_sources(self):
        if self.action == "retrieve" and self.representation == "json":
            return site_freshness_sources() + case_study_freshness_sources()
        return site_freshness_sources()

    def get_queryset(self):
        if self.action == "retrieve" and self.representation == "json":
            return Site.objects.for_detail().prefetch_related(published_case_studies_prefetch())
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
            return model.objects.with_site_count().order_by("name", "id")

    ReferenceViewSet.__name__ = ReferenceViewSet.__qualname__ = f"{model.__name__}ViewSet"
    ReferenceViewSet.__doc__ = f"{plural.capitalize()}: a controlled vocabulary, addressed by slug."
    return ReferenceViewSet


CapabilityViewSet = reference_viewset(Capability, s.CapabilitySerializer, "capability", "capabilities")
TechnologyViewSet = reference_viewset(Technology, s.TechnologySerializer, "technology", "technologies")
LicenceTypeViewSet = reference_viewset(LicenceType, s.LicenceTypeSerializer, "licence type", "licence types")
