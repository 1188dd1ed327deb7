"""The public directory (sites and organisations) and their pages; the map is in map_views.py.

Every list and the map read the same URL grammar (SiteFilter), so a search can be shared and
carried between the list, the map and the CSV download.
"""

from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.generic import DetailView

from core.paging import DirectoryPaginator, PageRefused

from .filters import OrganisationFilter, SiteFilter
from .map_config import map_tiles
from .models import Capability, Organisation, OrganisationSlugRedirect, Site, Technology

RESULTS_PER_PAGE = 25


def shared_query(request) -> str:
    """The filters of this request as a query string, for links to the list, the map and the download."""
    query = request.GET.copy()
    # Where the map looks (center, zoom) is not a filter: the list and the API would refuse it.
    for key in ("page", "ordering", "center", "zoom", "cursor"):
        query.pop(key, None)
    return query.urlencode()


def near_choices(directory_filter, request) -> list[dict]:
    """For an ambiguous `near` ("Newport"), the same search with each place it could mean."""
    errors = directory_filter.form.errors.as_data().get("near", [])
    options = next((error.params["options"] for error in errors if error.code == "ambiguous_place"), [])
    choices = []
    for label in options:
        query = request.GET.copy()
        query["near"] = label
        query.pop("page", None)
        choices.append({"label": label, "url": f"{request.path}?{query.urlencode()}"})
    return choices


def facet_rows(directory_filter, counts, request) -> list[dict]:
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
    context = {"filter": directory_filter, "shared_query": shared_query(request)}
    if not directory_filter.is_valid():
        context["near_choices"] = near_choices(directory_filter, request)
        # Keep the facets in the sidebar, counted under the filters that were valid, so the
        # visitor can pick a real value where the bad one was.
        valid_part = request.GET.copy()
        for name in directory_filter.errors:
            valid_part.pop(name, None)
            if name == "near":
                valid_part.pop("radius_km", None)
        fallback = type(directory_filter)(valid_part, queryset=directory_filter.queryset, request=request)
        if fallback.is_valid():
            context["facets"] = facet_rows(directory_filter, fallback.cached_facet_counts(), request)
        return render(request, template_name, context, status=400)
    chips = directory_filter.chips()
    context |= {
        "chips": chips,
        "facets": facet_rows(directory_filter, directory_filter.cached_facet_counts(), request),
    }
    # No exact COUNT(*) over a big list (above a threshold the total is PostgreSQL's estimate),
    # and no OFFSET past the numbered pages: deeper pages are read by keyset.
    paginator = DirectoryPaginator(results(), RESULTS_PER_PAGE)
    try:
        page = paginator.get_page(request.GET.get("page"), request.GET.get("cursor"))
    except PageRefused as refused:
        context["page_error"] = refused
        return render(request, template_name, context, status=400)
    context["page"] = page
    if not page.paginator.count and chips:
        # Suggest the filters whose removal would give results, most results first.
        suggestions = [dict(chip, count=directory_filter.count_without(chip["facet"])) for chip in chips]
        context["suggestions"] = sorted(suggestions, key=lambda chip: -chip["count"])
    return render(request, template_name, context)


def site_list(request):
    """The directory of sites: faceted filters in the URL, so every search can be shared."""
    site_filter = SiteFilter(request.GET, queryset=Site.objects.for_directory())
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


def _region_url(slug: str) -> str:
    # The small maps fetch their regions' boundaries: kilobytes of coordinates each, which inline
    # would weigh on every page and every cached copy of it.
    return reverse("manufacturers:map-region", kwargs={"slug": slug})


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
            "region_urls": [_region_url(site.region.slug)],
            "tiles": map_tiles(),
        }
        case_studies = site.case_studies.published().newest_first()
        return super().get_context_data(
            nearest_sites=nearest, case_studies=case_studies, map_data=map_data, **kwargs
        )


def organisation_detail(request, slug):
    organisation = Organisation.objects.filter(slug=slug).first()
    if organisation is None:
        # A page merged into another keeps working: one permanent redirect to where it went.
        moved = get_object_or_404(
            OrganisationSlugRedirect.objects.select_related("organisation"), old_slug=slug
        )
        return redirect(moved.organisation, permanent=True)
    sites = list(organisation.sites.select_related("region").defer("region__boundary").order_by("name"))
    region_slugs = dict.fromkeys(site.region.slug for site in sites)
    context = {
        "organisation": organisation,
        "sites": sites,
        "capabilities": Capability.objects.filter(sites__organisation=organisation).distinct(),
        "technologies": Technology.objects.filter(sites__organisation=organisation).distinct(),
        "case_studies": organisation.case_studies.published().newest_first(),
        # Through the reverse relation, so this layer needs no import of the initiatives' app.
        "partnerships": organisation.initiatives.order_by("title"),
        "map_data": {
            "points": [_map_point(site, name=site.name) for site in sites],
            "region_urls": [_region_url(slug) for slug in region_slugs],
            "tiles": map_tiles(),
        },
    }
    return render(request, "manufacturers/organisation_detail.html", context)
