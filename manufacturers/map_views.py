"""The map (/map/) and the JSON it draws from: region shading, server clusters, the list of sites
in view, place labels for orientation, and the "near" box's suggestions.

Every endpoint reads the directory's URL grammar (SiteFilter), so a map view can be shared and
carried to the list and the download. Bad parameters answer 400 with field-keyed messages.
"""

from django import forms
from django.db.models import F
from django.db.models.functions import Floor
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from core import geojson
from core.api.pagination import KeysetCursorPagination
from core.api.renderers import ORJSONRenderer
from core.cache import LANDSCAPE, cached

from . import places
from .filters import DEFAULT_RADIUS_KM, BoundingBoxField, SiteFilter
from .map_config import map_config
from .models import MAP_CELL_PIXELS, Place, Region, Site, map_grid_cell
from .views import facet_rows, near_choices, shared_query

# The list beside the map shows this many of the sites in view a page.
MAP_LIST_PAGE = 50
# The whole world, for a request that names no view.
WORLD = {"west": -180.0, "south": -90.0, "east": 180.0, "north": 90.0}
UK_VIEW = {"west": -8.7, "south": 49.8, "east": 1.8, "north": 60.9}
# Place labels: never more than this many in one view, one per cell of this many pixels, and
# only places this populous at each zoom (from the GeoNames populations).
MAX_LABELS = 60
LABEL_CELL_PIXELS = 140
LABEL_MIN_POPULATION = {4: 500_000, 5: 250_000, 6: 100_000, 7: 40_000, 8: 15_000, 9: 5_000, 10: 2_000}


def site_map(request):
    """The map page: the same filter form as the directory; the browser fetches the rest."""
    view_form = MapViewForm(request.GET)
    site_filter = SiteFilter(_filters_only(request.GET), queryset=Site.objects.all())
    context = {
        "filter": site_filter,
        "shared_query": shared_query(request),
        "map_config": map_config(),
        "view_form": view_form,
    }
    if not (view_form.is_valid() & site_filter.is_valid()):
        context["near_choices"] = near_choices(site_filter, request)
        return render(request, "manufacturers/site_map.html", context, status=400)
    context |= {
        "chips": site_filter.chips(),
        "facets": facet_rows(site_filter, site_filter.cached_facet_counts(), request),
    }
    return render(request, "manufacturers/site_map.html", context)


class MapViewForm(forms.Form):
    """Where the map looks: `center=lat,lon` and `zoom`, kept in the URL so a view can be shared."""

    zoom = forms.IntegerField(label=_("Zoom"), min_value=0, max_value=22, required=False)
    center = forms.CharField(label=_("Centre"), max_length=60, required=False)

    def clean_center(self):
        value = self.cleaned_data["center"]
        if not value:
            return None
        point = places.resolve(value) if places.COORDINATES.match(value) else None
        if point is None:
            raise forms.ValidationError(_("Give the centre as latitude,longitude."), code="invalid")
        return point


VIEW_PARAMETERS = ("center", "zoom")


def _filters_only(query):
    """The filters of a map URL, without where the map looks (which filters nothing)."""
    query = query.copy()
    for name in VIEW_PARAMETERS:
        query.pop(name, None)
    return query


def _errors(form) -> dict[str, list[str]]:
    """Field-keyed messages, the shape the API uses for a 400."""
    return {field: [str(message) for message in messages] for field, messages in form.errors.items()}


def map_regions(request):
    """Region boundaries as GeoJSON, each with how many sites match the filters (for the choropleth)."""
    site_filter = SiteFilter(_filters_only(request.GET), queryset=Site.objects.all())
    if not site_filter.is_valid():
        return JsonResponse(_errors(site_filter.form), status=400)
    return JsonResponse(
        cached(LANDSCAPE, ("map_regions", site_filter.cache_key()), lambda: _regions(site_filter))
    )


def region_boundary(request, slug):
    """One region's boundary as a GeoJSON Feature: what a site or organisation page's small map
    draws, fetched apart from the page so the page stays a few kilobytes and the boundary is
    cached (by the browser and the shared cache) once for every page in the region."""
    region = get_object_or_404(Region, slug=slug)
    return JsonResponse(geojson.feature(region.boundary, {"slug": region.slug, "name": region.name}, id=slug))


def _regions(site_filter) -> dict:
    counts = site_filter.facet_counts(facets=["region"])["region"]
    features = [
        geojson.feature(
            region.boundary,
            {"slug": region.slug, "name": region.name, "site_count": counts.get(region.slug, 0)},
            id=region.slug,
        )
        for region in Region.objects.all()
    ]
    return geojson.feature_collection(features)


class ClusterForm(forms.Form):
    zoom = forms.IntegerField(label=_("Zoom"), min_value=0, max_value=22)


def map_clusters(request):
    """The sites in a map view, clustered by the server: at most MAX_MAP_FEATURES GeoJSON features.

    Takes the directory's filters plus `zoom` and `bbox` (the view). A feature is a cluster
    (`count` > 1, with the `bounds` to zoom to) or a single site (`url`, `name`), each in one
    `region`. `total` is how many sites are in view, `sites` the first MAP_LIST_PAGE of them for
    the list (in the directory's order) and `sites_next` where the list's next page is.
    """
    view_form = ClusterForm(request.GET)
    site_filter = SiteFilter(_filters_only(request.GET), queryset=Site.objects.all())
    if not (view_form.is_valid() & site_filter.is_valid()):
        return JsonResponse(_errors(view_form) | _errors(site_filter.form), status=400)
    zoom = view_form.cleaned_data["zoom"]
    # Keyed on the exact view: the same view (the opening one, a shared link) is served from the cache.
    key = ("map_clusters", site_filter.cache_key(ordering=True), zoom)
    data = cached(LANDSCAPE, key, lambda: _clusters(site_filter, zoom))
    cursor = data.pop("sites_cursor")
    data["sites_next"] = _list_url(request, cursor) if cursor else None
    return JsonResponse(data)


def _clusters(site_filter, zoom: int) -> dict:
    bbox = site_filter.form.cleaned_data["bbox"] or WORLD
    features = [_cluster_feature(row) for row in site_filter.qs.clustered(zoom=zoom, **bbox)]
    listed = site_filter.qs.select_related("organisation", "region")
    in_view = list(listed[: MAP_LIST_PAGE + 1])
    more = len(in_view) > MAP_LIST_PAGE
    near = site_filter.form.cleaned_data.get("near")
    radius = site_filter.form.cleaned_data.get("radius_km") or DEFAULT_RADIUS_KM
    return geojson.feature_collection(
        features,
        total=sum(feature["properties"]["count"] for feature in features),
        # Where a "near" search measures from, as resolved (a place, a postcode or coordinates).
        near=near
        and {
            "latitude": near.latitude,
            "longitude": near.longitude,
            "label": near.label,
            "radius_km": float(radius),
        },
        sites=[site_in_view(site) for site in in_view[:MAP_LIST_PAGE]],
        # The list's second page starts after the last site listed here (the list endpoint's cursor).
        sites_cursor=MapListPagination().cursor_after(listed, in_view[MAP_LIST_PAGE - 1]) if more else None,
    )


def _list_url(request, cursor: str) -> str:
    """The list endpoint's page after the sites the cluster response lists; its links walk the rest."""
    query = _filters_only(request.GET)
    query.pop("zoom", None)
    query["cursor"] = cursor
    return reverse("manufacturers:map-sites") + "?" + query.urlencode()


def site_in_view(site) -> dict:
    return {"name": str(site), "url": site.get_absolute_url(), "town": site.town, "region": site.region.name}


def _cluster_feature(row) -> dict:
    properties = {"count": row["count"], "region": row["region_slug"]}
    if row["count"] == 1:
        properties |= {
            "name": f"{row['organisation_name']}, {row['name']}",
            "url": reverse("manufacturers:site-detail", kwargs={"slug": row["slug"]}),
        }
    else:
        properties["bounds"] = [[row["south"], row["west"]], [row["north"], row["east"]]]
    return geojson.feature(
        geojson.point(latitude=row["mean_latitude"], longitude=row["mean_longitude"]), properties
    )


class SiteInViewSerializer(serializers.Serializer):
    def to_representation(self, instance):
        return site_in_view(instance)


class MapListPagination(KeysetCursorPagination):
    page_size = MAP_LIST_PAGE
    max_page_size = 200


class MapSitesView(APIView):
    """Every site in a map view, a page at a time in the directory's order: the list beside the map.

    Keyset cursors (`next`, `previous`) as the API's, so paging deep into a million sites reads a
    page, not everything before it. Not part of the partner API: the map's own, unthrottled.
    """

    renderer_classes = [ORJSONRenderer]
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = []

    def get(self, request):
        site_filter = SiteFilter(
            _filters_only(request.GET), queryset=Site.objects.select_related("organisation", "region")
        )
        if not site_filter.is_valid():
            return JsonResponse(_errors(site_filter.form), status=400)
        paginator = MapListPagination()
        rows = paginator.paginate_queryset(site_filter.qs, request, view=self)
        return paginator.get_paginated_response(SiteInViewSerializer(rows, many=True).data)


class LabelForm(forms.Form):
    # Without a view, the whole UK at the map's opening zoom.
    bbox = BoundingBoxField(label=_("Bounding box"), required=False)
    zoom = forms.IntegerField(label=_("Zoom"), min_value=0, max_value=22, required=False)


def map_places(request):
    """Town and city labels for a map view, thinned so they never pile up: the most populous place
    of each cell of about LABEL_CELL_PIXELS, and only places big enough for the zoom."""
    form = LabelForm(request.GET)
    if not form.is_valid():
        return JsonResponse(_errors(form), status=400)
    view = form.cleaned_data["bbox"] or UK_VIEW
    zoom = 5 if form.cleaned_data["zoom"] is None else form.cleaned_data["zoom"]
    key = ("map_places", sorted(view.items()), zoom)
    return JsonResponse(cached(LANDSCAPE, key, lambda: _labels(view, zoom)))


def _labels(view: dict, zoom: int) -> dict:
    cell_latitude, cell_longitude = map_grid_cell(zoom=zoom, **view)
    scale = LABEL_CELL_PIXELS / MAP_CELL_PIXELS  # map_grid_cell sizes its cells for clusters
    minimum = LABEL_MIN_POPULATION.get(zoom, 500 if zoom > 10 else 500_000)
    # The most populous place of each cell in view (DISTINCT ON): at most as many rows as cells,
    # which map_grid_cell caps; then the biggest of those.
    largest_per_cell = (
        Place.objects.filter(
            latitude__range=(view["south"], view["north"]),
            longitude__range=(view["west"], view["east"]),
            population__gte=minimum,
        )
        .annotate(
            cell_y=Floor(F("latitude") / (cell_latitude * scale)),
            cell_x=Floor(F("longitude") / (cell_longitude * scale)),
        )
        .order_by("cell_y", "cell_x", "-population", "pk")
        .distinct("cell_y", "cell_x")
        .values("cell_y", "cell_x", "name", "latitude", "longitude", "population")
    )
    # Biggest first, so a client that must drop labels drops the smallest.
    labels = sorted(largest_per_cell, key=lambda row: -row["population"])[:MAX_LABELS]
    return {"places": [{key: row[key] for key in ("name", "latitude", "longitude")} for row in labels]}


def place_suggestions(request):
    """Places and postcodes for the "near" box's type-ahead: `?q=stev` gives Stevenage first."""
    text = request.GET.get("q", "")[:100]
    return JsonResponse({"results": places.suggestions(text)})
