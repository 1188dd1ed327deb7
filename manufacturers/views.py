"""The public directory (sites and organisations), their pages, and the map with its JSON endpoints.

Every list and the map read the same URL grammar (SiteFilter), so a search can be shared and
carried between the list, the map and the CSV download.
"""

from django import forms
from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import DetailView

from core import geojson
from core.api.pagination import EstimatedCountPaginator
from core.cache import LANDSCAPE, cached

from .filters import DirectorySiteFilter, OrganisationFilter, SiteFilter
from .models import Capability, Organisation, Region, Site, Technology

RESULTS_PER_PAGE = 25
# The list beside the map names at most this many of the sites in view; it links to the rest.
MAP_LIST_LIMIT = 50
# The whole world, for a cluster request that names no view.
WORLD = {"west": -180.0, "south": -90.0, "east": 180.0, "north": 90.0}


def _shared_query(request) -> str:
    """The filters of this request as a query string, for links to the list, the map and the download."""
    query = request.GET.copy()
    for key in ("page", "ordering"):
        query.pop(key, None)
    return query.urlencode()


def _facets(directory_filter, counts, request) -> list[dict]:
    """The sidebar's facets: each value's label, count under the other filters, and whether it is chosen."""
    labels = directory_filter.value_labels()
    facets = []
    for name in directory_filter.FACETS:
        chosen = {part.strip() for item in request.GET.getlist(name) for part in item.split(",")}
        facet_counts = counts.get(name, {})
        values = [
            {"value": value, "label": label, "count": facet_counts.get(value, 0), "checked": value in chosen}
            for value, label in labels[name].items()
            if facet_counts.get(value) or value in chosen
        ]
        facets.append(
            {
                "name": name,
                "label": directory_filter.filters[name].label,
                "values": values,
                "field": directory_filter.form[name],
                # Regions are the first thing most visitors narrow by; long lists start folded.
                "open": bool(chosen) or name == "region" or len(values) <= 8,
            }
        )
    return facets


def _directory(request, directory_filter, results, template_name):
    """Render a directory page: results, facets, chips, sort and pages; 400 with messages for bad input."""
    context = {"filter": directory_filter, "shared_query": _shared_query(request)}
    if not directory_filter.is_valid():
        # Keep the facets in the sidebar, counted under the filters that were valid, so the
        # visitor can pick a real value where the bad one was.
        valid_part = request.GET.copy()
        for name in directory_filter.errors:
            valid_part.pop(name, None)
            if name == "near":
                valid_part.pop("radius_km", None)
        fallback = type(directory_filter)(valid_part, queryset=directory_filter.queryset, request=request)
        if fallback.is_valid():
            context["facets"] = _facets(directory_filter, fallback.cached_facet_counts(), request)
        return render(request, template_name, context, status=400)
    # No exact COUNT(*) over a big list: above a threshold the total is PostgreSQL's estimate.
    page = EstimatedCountPaginator(results(), RESULTS_PER_PAGE).get_page(request.GET.get("page"))
    chips = directory_filter.chips()
    context |= {
        "page": page,
        "chips": chips,
        "facets": _facets(directory_filter, directory_filter.cached_facet_counts(), request),
    }
    if not page.paginator.count and chips:
        # Suggest the filters whose removal would give results, most results first.
        suggestions = [dict(chip, count=directory_filter.count_without(chip["facet"])) for chip in chips]
        context["suggestions"] = sorted(suggestions, key=lambda chip: -chip["count"])
    return render(request, template_name, context)


def site_list(request):
    """The directory of sites: faceted filters in the URL, so every search can be shared."""
    site_filter = DirectorySiteFilter(request.GET, queryset=Site.objects.for_directory())
    return _directory(request, site_filter, lambda: site_filter.qs, "manufacturers/site_list.html")


def organisation_list(request):
    """The directory of organisations: those with at least one site matching the filters."""
    organisation_filter = OrganisationFilter(request.GET, queryset=Site.objects.all())
    return _directory(
        request,
        organisation_filter,
        organisation_filter.organisations,
        "manufacturers/organisation_list.html",
    )


def _map_point(site, **extra) -> dict:
    return {
        "name": str(site),
        "url": site.get_absolute_url(),
        "latitude": site.latitude,
        "longitude": site.longitude,
        **extra,
    }


class SiteDetailView(DetailView):
    queryset = Site.objects.for_detail()
    template_name = "manufacturers/site_detail.html"

    def get_context_data(self, **kwargs):
        site = self.object
        nearest = (
            Site.objects.exclude(pk=site.pk)
            .select_related("organisation")
            .nearest(site.latitude, site.longitude, 5)
        )
        map_data = {
            "points": [_map_point(site, current=True)] + [_map_point(other) for other in nearest],
            "regions": [site.region.boundary],
            "tiles": _tiles(),
        }
        case_studies = site.case_studies.published().newest_first()
        return super().get_context_data(
            nearest_sites=nearest, case_studies=case_studies, map_data=map_data, **kwargs
        )


def organisation_detail(request, slug):
    organisation = get_object_or_404(Organisation, slug=slug)
    sites = list(organisation.sites.select_related("region").order_by("name"))
    boundaries = {site.region.slug: site.region.boundary for site in sites}
    context = {
        "organisation": organisation,
        "sites": sites,
        "capabilities": Capability.objects.filter(sites__organisation=organisation).distinct(),
        "technologies": Technology.objects.filter(sites__organisation=organisation).distinct(),
        "case_studies": organisation.case_studies.published().newest_first(),
        "map_data": {
            "points": [_map_point(site, name=site.name) for site in sites],
            "regions": list(boundaries.values()),
            "tiles": _tiles(),
        },
    }
    return render(request, "manufacturers/organisation_detail.html", context)


def _tiles() -> dict | None:
    """The optional background tile layer from settings (none in tests: the regions suffice)."""
    if not settings.MAP_TILES_URL:
        return None
    return {"url": settings.MAP_TILES_URL, "attribution": settings.MAP_TILES_ATTRIBUTION}


def site_map(request):
    """The map page: the same filter form as the directory; the browser fetches regions and clusters."""
    site_filter = SiteFilter(request.GET, queryset=Site.objects.all())
    context = {
        "filter": site_filter,
        "shared_query": _shared_query(request),
        "map_config": {"tiles": _tiles()},
    }
    if not site_filter.is_valid():
        return render(request, "manufacturers/site_map.html", context, status=400)
    context |= {
        "chips": site_filter.chips(),
        "facets": _facets(site_filter, site_filter.cached_facet_counts(), request),
    }
    return render(request, "manufacturers/site_map.html", context)


def _errors(form) -> dict[str, list[str]]:
    """Field-keyed messages, the shape the API uses for a 400."""
    return {field: [str(message) for message in messages] for field, messages in form.errors.items()}


def map_regions(request):
    """Region boundaries as GeoJSON, each with how many sites match the filters (for the choropleth)."""
    site_filter = SiteFilter(request.GET, queryset=Site.objects.all())
    if not site_filter.is_valid():
        return JsonResponse(_errors(site_filter.form), status=400)
    return JsonResponse(
        cached(LANDSCAPE, ("map_regions", site_filter.cache_key()), lambda: _regions(site_filter))
    )


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


class MapViewForm(forms.Form):
    zoom = forms.IntegerField(label=_("Zoom"), min_value=0, max_value=22)


def map_clusters(request):
    """The sites in a map view, clustered by the server: at most MAX_MAP_FEATURES GeoJSON features.

    Takes the directory's filters plus `zoom` and `bbox` (the view). A feature is a cluster
    (`count` > 1, with the `bounds` to zoom to) or a single site (`url`, `name`). `total` is
    how many sites are in view, and `sites` the first MAP_LIST_LIMIT of them for the list.
    """
    view_form = MapViewForm(request.GET)
    site_filter = DirectorySiteFilter(request.GET, queryset=Site.objects.all())
    if not (view_form.is_valid() & site_filter.is_valid()):
        return JsonResponse(_errors(view_form) | _errors(site_filter.form), status=400)
    zoom = view_form.cleaned_data["zoom"]
    # Keyed on the exact view: the same view (the opening one, a shared link) is served from the cache.
    key = ("map_clusters", site_filter.cache_key(ordering=True), zoom)
    return JsonResponse(cached(LANDSCAPE, key, lambda: _clusters(site_filter, zoom)))


def _clusters(site_filter, zoom: int) -> dict:
    bbox = site_filter.form.cleaned_data["bbox"] or WORLD
    features = [_cluster_feature(row) for row in site_filter.qs.clustered(zoom=zoom, **bbox)]
    in_view = site_filter.qs.select_related("organisation", "region")[:MAP_LIST_LIMIT]
    return geojson.feature_collection(
        features,
        total=sum(feature["properties"]["count"] for feature in features),
        sites=[
            {"name": str(site), "url": site.get_absolute_url(), "town": site.town, "region": site.region.name}
            for site in in_view
        ],
    )


def _cluster_feature(row) -> dict:
    properties = {"count": row["count"]}
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
