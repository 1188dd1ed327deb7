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
from core.api.schema import CachedSchemaView
from core.api.views import PortalAPIMixin
from core.numbers import is_whole_number

from ...models import Site
from ..filters import SiteApiFilter
from ..queries import EXPORT_VALUES, sites_with_taxonomy_slugs
from ..serializers import SiteGeoJSONSerializer
from ..views import site_freshness_sources
from .regions import (
    SCHEMA_JSON,
    SchemaJSONRenderer,
    queryables,
    region_extent,
    region_feature,
    region_features,
)

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
MAX_OFFSET = 100_000_000
COLLECTION_ID = "sites"
QUERYABLES_REL = "http://www.opengis.net/def/rel/ogc/1.0/queryables"

F_PARAMETER = OpenApiParameter(
    "f", str, enum=["json"], description="The response format (or use the Accept header)."
)
F_FEATURES_PARAMETER = OpenApiParameter(
    "f", str, enum=["json", "geojson"], description="The response format (or use the Accept header)."
)
COLLECTION_IDS = ("sites", "regions")


class OGCView(PortalAPIMixin, APIView):
    """An OGC API resource: JSON, errors in DRF's shape, the API's keys and limits."""

    renderer_classes = [ORJSONRenderer]
    extra_query_parameters = ("f",)
    quota_bucket = "ogc"  # without a key: GIS clients' own limits (core.api.quotas)

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
                "ogc:queryables",
                rel=QUERYABLES_REL,
                type=SCHEMA_JSON,
                title=_("Queryables"),
                collection_id="sites",
            ),
            view.link(
                "api-v1:data-dictionary", rel="describedby", type="text/html", title=_("Data dictionary")
            ),
        ],
    }


def _regions_collection(view: OGCView) -> dict:
    return {
        "id": "regions",
        "title": _("The UK's ITL1 regions"),
        "description": _("The 12 ITL1 regions, with simplified ONS boundaries and their number of sites."),
        "itemType": "feature",
        "crs": [CRS84],
        "extent": {"spatial": {"bbox": [region_extent()], "crs": CRS84}},
        "links": [
            view.link(
                "ogc:collection", rel="self", type=JSON, title=_("This collection"), collection_id="regions"
            ),
            view.link(
                "ogc:items",
                rel="items",
                type=GEOJSON,
                title=_("The regions as GeoJSON"),
                collection_id="regions",
            ),
            view.link(
                "ogc:queryables",
                rel=QUERYABLES_REL,
                type=SCHEMA_JSON,
                title=_("Queryables"),
                collection_id="regions",
            ),
            {"href": LICENCE["url"], "rel": "license", "type": "text/html", "title": LICENCE["name"]},
        ],
    }


def _describe(view: OGCView, collection_id: str) -> dict:
    _known_collection(collection_id)
    return _regions_collection(view) if collection_id == "regions" else _collection(view)


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
                "collections": [_collection(self), _regions_collection(self)],
            }
        )


def _known_collection(collection_id: str):
    if collection_id not in COLLECTION_IDS:
        raise exceptions.NotFound(
            _("There is no collection %(id)s: there are sites and regions.") % {"id": collection_id}
        )


class CollectionView(OGCView):
    @extend_schema(
        operation_id="describeCollection",
        summary="A collection: sites or regions",
        parameters=[F_PARAMETER],
        responses=_object_schema("Collection"),
    )
    def get(self, request, collection_id):
        return Response(_describe(self, collection_id))


class QueryablesView(OGCView):
    renderer_classes = [SchemaJSONRenderer, ORJSONRenderer]

    @extend_schema(
        operation_id="getQueryables",
        summary="The properties a collection's items can be filtered by",
        parameters=[F_PARAMETER],
        responses={
            (200, SCHEMA_JSON): _object_schema("JSON Schema"),
            (200, JSON): _object_schema("JSON Schema"),
        },
    )
    def get(self, request, collection_id):
        _known_collection(collection_id)
        return Response(queryables(collection_id, request.build_absolute_uri(request.path)))


class ItemsQuerySerializer(serializers.Serializer):
    limit = serializers.IntegerField(required=False, min_value=1, default=DEFAULT_LIMIT)
    # Bounded before it reaches SQL: an OFFSET beyond bigint is a database error, not an empty page.
    offset = serializers.IntegerField(required=False, min_value=0, max_value=MAX_OFFSET, default=0)
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
        F_FEATURES_PARAMETER,
        OpenApiParameter(
            "limit",
            {"type": "integer", "minimum": 1, "default": DEFAULT_LIMIT},
            description=f"Features per page (default {DEFAULT_LIMIT}; above {MAX_LIMIT} counts as {MAX_LIMIT}).",
        ),
        OpenApiParameter(
            "offset",
            {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0},
            description="How many features to skip (follow the `next` link).",
        ),
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
        if collection_id == "regions":
            features, matched = region_features(request, limit=limit, offset=offset)
            return self._page(features, matched, collection_id, offset=offset, limit=limit)
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
        return self._page(features, matched, collection_id, offset=offset, limit=limit)

    def _page(self, features, matched: int, collection_id: str, *, offset: int, limit: int) -> Response:
        links = [
            self._page_link("self", offset, limit),
            self.link("ogc:collection", rel="collection", type=JSON, collection_id=collection_id),
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
        summary="One site or region, as a GeoJSON feature",
        parameters=[F_FEATURES_PARAMETER],
        responses={(200, GEOJSON): _object_schema("Feature"), (200, JSON): _object_schema("Feature")},
    )
    def get(self, request, collection_id, feature_id):
        _known_collection(collection_id)
        if collection_id == "regions":
            feature = region_feature(request, feature_id)
            feature["links"] = [
                self.link(
                    "ogc:item", rel="self", type=GEOJSON, collection_id="regions", feature_id=feature_id
                ),
                self.link("ogc:collection", rel="collection", type=JSON, collection_id="regions"),
            ]
            return Response(feature)
        if not is_whole_number(feature_id) or len(feature_id) > 18:  # beyond bigint: no such site
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


class OGCSchemaView(CachedSchemaView):
    """The OGC API's OpenAPI document, named with the media type OGC API - Features requires.

    GDAL asks for `application/vnd.oai.openapi+json;version=3.0` and refuses the document
    without the version ("Unexpected Content-Type"), which broke `ogrinfo -where`.
    """

    quota_bucket = "ogc"

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if (getattr(request, "accepted_media_type", "") or "").startswith("application/vnd.oai.openapi+json"):
            response.content_type = OPENAPI
        return response
