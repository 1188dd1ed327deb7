"""The OGC API - Features service: landing page, conformance, collections, and the sites as features."""

from django import forms
from django.db.models import Max, Min
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django_filters.utils import translate_validation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core import geojson
from core.api.filters import ISO8601Field
from core.api.licensing import LICENCE
from core.api.renderers import GeoJSONRenderer, ORJSONRenderer
from core.api.views import PortalAPIMixin

from ...models import Site
from ..filters import SiteApiFilter
from ..queries import EXPORT_VALUES, sites_with_taxonomy_slugs
from ..serializers import SiteGeoJSONSerializer
from ..views import site_freshness_sources

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
JSON = "application/json"
GEOJSON = "application/geo+json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
COLLECTION_ID = "sites"

F_PARAMETER = OpenApiParameter(
    "f", str, enum=["json", "geojson"], description="The response format (or use the Accept header)."
)


class OGCView(PortalAPIMixin, APIView):
    """An OGC API resource: JSON, errors in DRF's shape, the API's keys and limits."""

    renderer_classes = [ORJSONRenderer]
    extra_query_parameters = ("f",)

    def get_format_suffix(self, **kwargs):
        # OGC clients say `f=json`; DRF's own `format=` works too.
        return self.request.query_params.get("f") or super().get_format_suffix(**kwargs)

    def link(self, name: str, *, rel: str, type: str, title: str = "", query: str = "", **kwargs) -> dict:
        href = self.request.build_absolute_uri(reverse(name, kwargs=kwargs or None)) + query
        link = {"href": href, "rel": rel, "type": type}
        if title:
            link["title"] = title
        return link


def _collection(view: OGCView) -> dict:
    extent = Site.objects.aggregate(
        west=Min("longitude"), south=Min("latitude"), east=Max("longitude"), north=Max("latitude")
    )
    bbox = [extent["west"], extent["south"], extent["east"], extent["north"]]
    if None in bbox:
        bbox = [-8.65, 49.86, 1.77, 60.86]  # the UK, while there are no sites
    return {
        "id": COLLECTION_ID,
        "title": _("Medicines manufacturing sites in the UK"),
        "description": _(
            "Sites of organisations that make medicines, with their capabilities, technologies and MHRA "
            "licences. Points are town-level (GeoNames) unless location_precision says site."
        ),
        "itemType": "feature",
        "crs": [CRS84],
        "extent": {"spatial": {"bbox": [bbox], "crs": CRS84}},
        "links": [
            view.link(
                "ogc:collection", rel="self", type=JSON, title=_("This collection"), collection_id="sites"
            ),
            view.link(
                "ogc:items", rel="items", type=GEOJSON, title=_("The sites as GeoJSON"), collection_id="sites"
            ),
            {"href": LICENCE["url"], "rel": "license", "type": "text/html", "title": LICENCE["name"]},
            view.link(
                "api-v1:data-dictionary", rel="describedby", type="text/html", title=_("Data dictionary")
            ),
        ],
    }


def _object_schema(name: str) -> OpenApiResponse:
    return OpenApiResponse(OpenApiTypes.OBJECT, description=name)


class LandingPageView(OGCView):
    @extend_schema(
        operation_id="getLandingPage",
        summary="Landing page",
        parameters=[F_PARAMETER],
        responses=_object_schema("Landing page"),
    )
    def get(self, request):
        return Response(
            {
                "title": _("MMIP innovation landscape: OGC API - Features"),
                "description": _(
                    "UK medicines manufacturing sites as an OGC API - Features service, for QGIS, ArcGIS and GDAL."
                ),
                "links": [
                    self.link("ogc:landing-page", rel="self", type=JSON, title=_("This document")),
                    self.link(
                        "ogc:openapi",
                        rel="service-desc",
                        type=OPENAPI,
                        title=_("The API definition"),
                        query="?format=json",
                    ),
                    self.link(
                        "ogc:api-docs", rel="service-doc", type="text/html", title=_("The API documentation")
                    ),
                    self.link(
                        "ogc:conformance", rel="conformance", type=JSON, title=_("Conformance classes")
                    ),
                    self.link("ogc:collections", rel="data", type=JSON, title=_("The collections")),
                    {"href": LICENCE["url"], "rel": "license", "type": "text/html", "title": LICENCE["name"]},
                ],
            }
        )


class ConformanceView(OGCView):
    @extend_schema(
        operation_id="getConformanceDeclaration",
        summary="Conformance classes",
        parameters=[F_PARAMETER],
        responses=_object_schema("conformsTo"),
    )
    def get(self, request):
        return Response({"conformsTo": CONFORMANCE})


class CollectionsView(OGCView):
    @extend_schema(
        operation_id="getCollections",
        summary="The collections",
        parameters=[F_PARAMETER],
        responses=_object_schema("Collections"),
    )
    def get(self, request):
        return Response(
            {
                "links": [self.link("ogc:collections", rel="self", type=JSON, title=_("This document"))],
                "collections": [_collection(self)],
            }
        )


def _known_collection(collection_id: str):
    if collection_id != COLLECTION_ID:
        raise exceptions.NotFound(
            _("There is no collection %(id)s: the only one is sites.") % {"id": collection_id}
        )


class CollectionView(OGCView):
    @extend_schema(
        operation_id="describeCollection",
        summary="The sites collection",
        parameters=[F_PARAMETER],
        responses=_object_schema("Collection"),
    )
    def get(self, request, collection_id):
        _known_collection(collection_id)
        return Response(_collection(self))


class ItemsQuerySerializer(serializers.Serializer):
    limit = serializers.IntegerField(required=False, min_value=1, default=DEFAULT_LIMIT)
    offset = serializers.IntegerField(required=False, min_value=0, default=0)
    datetime = serializers.CharField(required=False)

    def validate_datetime(self, value):
        """An instant, or an interval `start/end` where either end may be `..` (open)."""
        parts = value.split("/")
        if len(parts) > 2:
            raise serializers.ValidationError(_("Give an instant or an interval start/end."))
        field = ISO8601Field(required=False)
        bounds = []
        for part in parts:
            if part in ("..", "") and len(parts) == 2:
                bounds.append(None)
                continue
            try:
                bounds.append(field.clean(part))
            except forms.ValidationError as error:
                raise serializers.ValidationError(error.messages) from None
        if len(bounds) == 2 and None not in bounds and bounds[0] > bounds[1]:
            raise serializers.ValidationError(_("The start must not be after the end."))
        return bounds


@extend_schema(
    operation_id="getFeatures",
    summary="The sites, as GeoJSON features",
    description=(
        "Sites as an RFC 7946 FeatureCollection with `numberMatched`, `numberReturned` and `next`/`prev` links. "
        "`bbox` is west,south,east,north in CRS84; `datetime` matches when a site's record last changed. "
        "The portal's filters (q, region, capability, technology, licence, organisation_kind, status, near, "
        "radius_km, updated_since) work too."
    ),
    parameters=[
        F_PARAMETER,
        OpenApiParameter(
            "limit",
            int,
            description=f"Features per page (default {DEFAULT_LIMIT}; above {MAX_LIMIT} counts as {MAX_LIMIT}).",
        ),
        OpenApiParameter("offset", int, description="How many features to skip (follow the `next` link)."),
        OpenApiParameter(
            "datetime",
            str,
            description="An instant or an interval (start/end, `..` for open) for `updated_at`.",
        ),
    ],
    responses={
        (200, GEOJSON): _object_schema("FeatureCollection"),
        (200, JSON): _object_schema("FeatureCollection"),
    },
)
class ItemsView(OGCView):
    def freshness_sources(self):
        return site_freshness_sources()

    renderer_classes = [GeoJSONRenderer, ORJSONRenderer]
    filterset_class = SiteApiFilter
    extra_query_parameters = ("f", "limit", "offset", "datetime")

    def allowed_query_parameters(self):
        return {"format", *self.extra_query_parameters, *self.filterset_class.base_filters}

    def get(self, request, collection_id):
        _known_collection(collection_id)
        query = ItemsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        limit = min(query.validated_data["limit"], MAX_LIMIT)
        offset = query.validated_data["offset"]
        site_filter = self.filterset_class(
            request.query_params,
            queryset=sites_with_taxonomy_slugs().annotate(**EXPORT_VALUES),
            request=request,
        )
        if not site_filter.is_valid():
            raise translate_validation(site_filter.errors)
        queryset = site_filter.qs
        if "datetime" in query.validated_data:
            bounds = query.validated_data["datetime"]
            if len(bounds) == 1:
                queryset = queryset.filter(updated_at=bounds[0])
            else:
                if bounds[0]:
                    queryset = queryset.filter(updated_at__gte=bounds[0])
                if bounds[1]:
                    queryset = queryset.filter(updated_at__lte=bounds[1])
        matched = queryset.count()
        rows = list(queryset[offset : offset + limit])
        features = SiteGeoJSONSerializer(rows, many=True, context={"request": request}).data
        links = [
            self._page_link("self", offset, limit),
            self.link("ogc:collection", rel="collection", type=JSON, collection_id="sites"),
        ]
        if offset + limit < matched:
            links.append(self._page_link("next", offset + limit, limit))
        if offset > 0:
            links.append(self._page_link("prev", max(offset - limit, 0), limit))
        return Response(
            geojson.feature_collection(
                features, numberMatched=matched, numberReturned=len(features), links=links
            )
        )

    def _page_link(self, rel: str, offset: int, limit: int) -> dict:
        query = self.request.query_params.copy()
        query["offset"] = str(offset)
        query["limit"] = str(limit)
        href = self.request.build_absolute_uri(self.request.path) + "?" + query.urlencode()
        return {"href": href, "rel": rel, "type": GEOJSON}


class ItemView(OGCView):
    def freshness_sources(self):
        return site_freshness_sources()

    renderer_classes = [GeoJSONRenderer, ORJSONRenderer]

    @extend_schema(
        operation_id="getFeature",
        summary="One site, as a GeoJSON feature",
        parameters=[F_PARAMETER],
        responses={(200, GEOJSON): SiteGeoJSONSerializer, (200, JSON): SiteGeoJSONSerializer},
    )
    def get(self, request, collection_id, feature_id):
        _known_collection(collection_id)
        if not feature_id.isdigit():
            raise exceptions.NotFound(_("There is no site with id %(id)s.") % {"id": feature_id})
        site = get_object_or_404(sites_with_taxonomy_slugs().annotate(**EXPORT_VALUES), pk=int(feature_id))
        feature = dict(SiteGeoJSONSerializer(site, context={"request": request}).data)
        feature["links"] = [
            self.link("ogc:item", rel="self", type=GEOJSON, collection_id="sites", feature_id=site.pk),
            self.link("ogc:collection", rel="collection", type=JSON, collection_id="sites"),
            self.link(
                "api-v1:site-detail", rel="alternate", type=JSON, title=_("In the API"), slug=site.slug
            ),
        ]
        return Response(feature)
