"""The home page, insights, search, open data and the about pages: thin views over pages.insights and pages.search."""

from math import ceil

from django.conf import settings
from django.db.models import Max
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from casestudies.models import CaseStudy
from core import csv_safety
from manufacturers.api.downloads import data_dictionary
from manufacturers.models import Capability, LicenceType, Organisation, Region, Site, Technology
from workstreams.models import Workstream

from .insights import CHARTS_BY_KEY, cached_landscape_insights, site_filter_for
from .search import KINDS, RESULTS_PER_GROUP, RESULTS_PER_PAGE, SearchForm, portal_search

# Filters the insights form has no controls for (they come from the map), kept when it is submitted.
KEPT_FILTERS = ("bbox", "near", "radius_km")
HOME_CHART_ROWS = 6


def home(request):
    """What the portal is, with the landscape in live figures, a choropleth and the newest case studies."""
    insights = cached_landscape_insights(site_filter_for({}))
    context = {
        "site_count": insights.figures.sites,
        "organisation_count": insights.figures.organisations,
        "region_count": insights.figures.regions,
        # Not cached: a scheduled case study goes live by the clock, with no write to bump the cache.
        "case_study_count": CaseStudy.objects.published().count(),
        "latest_case_studies": CaseStudy.objects.published()
        .newest_first()
        .select_related("organisation")[:3],
        "region_chart": insights.chart("regions"),
        "mix_charts": [
            insights.chart(key).top(HOME_CHART_ROWS) for key in ("capabilities", "technologies", "licences")
        ],
        "workstreams": Workstream.objects.order_by("position"),
    }
    return render(request, "pages/home.html", context)


@require_GET
def insights(request):
    """Every analysis of the landscape, filtered by the directory's filters, each with its data table."""
    site_filter = site_filter_for(request.GET)
    if not site_filter.is_valid():
        return render(request, "pages/insights.html", {"filter": site_filter}, status=400)
    directory_url = reverse("manufacturers:site-list") + (
        f"?{request.GET.urlencode()}" if request.GET else ""
    )
    context = {
        "filter": site_filter,
        "insights": cached_landscape_insights(site_filter),
        "directory_url": directory_url,
        "kept_filters": [(name, value) for name in KEPT_FILTERS for value in request.GET.getlist(name)],
    }
    return render(request, "pages/insights.html", context)


@require_GET
def insights_csv(request, chart):
    """One chart's data table as CSV, under the same filters as the page it came from."""
    if chart not in CHARTS_BY_KEY:
        raise Http404("No such chart.")
    site_filter = site_filter_for(request.GET)
    if not site_filter.is_valid():
        errors = "\n".join(f"{field}: {' '.join(messages)}" for field, messages in site_filter.errors.items())
        return HttpResponse(errors + "\n", status=400, content_type="text/plain; charset=utf-8")
    table = cached_landscape_insights(site_filter).chart(chart)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="mmip-{slugify(chart)}.csv"'
    writer = csv_safety.writer(response)
    writer.writerow(["slug", "name", "sites"])
    for row in table.rows:
        writer.writerow([row.slug, row.label, row.value])
    return response


@require_GET
def search(request):
    """One search box for the whole portal, results grouped by kind with counts and highlighted snippets."""
    form = SearchForm(request.GET)
    if not form.is_valid():
        return render(request, "pages/search.html", {"form": form}, status=400)
    text, kind, page = form.cleaned_data["q"], form.cleaned_data["kind"], form.cleaned_data["page"] or 1
    context = {"form": form, "q": text, "kind": kind, "kinds": KINDS}
    if text:
        if kind:
            groups = portal_search(
                text, kinds=[kind], limit=RESULTS_PER_PAGE, offset=(page - 1) * RESULTS_PER_PAGE
            )
            context["page_number"] = page
            context["page_count"] = max(ceil(groups[0].total / RESULTS_PER_PAGE), 1)
        else:
            groups = portal_search(text, limit=RESULTS_PER_GROUP)
        context["groups"] = groups
        context["total"] = sum(group.total for group in groups)
    return render(request, "pages/search.html", context)


@require_GET
def open_data(request):
    """What the portal's data holds, its licence, dictionary, downloads and how to cite it."""
    context = {
        "counts": {
            "sites": Site.objects.count(),
            "organisations": Organisation.objects.with_sites().count(),
            "regions": Region.objects.count(),
            "capabilities": Capability.objects.active().count(),
            "technologies": Technology.objects.active().count(),
            "licence_types": LicenceType.objects.active().count(),
        },
        **Site.objects.aggregate(last_updated=Max("updated_at"), last_verified=Max("last_verified_on")),
        "today": timezone.localdate(),
        "insights_url": reverse("pages:insights"),
        "contact_url": reverse("pages:contact"),
        # The same descriptions as the API's data dictionary, so the two never disagree.
        "site_columns": next(d for d in data_dictionary(request) if d["name"] == "sites.csv")["fields"],
    }
    return render(request, "pages/data.html", context)


@require_GET
def about(request):
    return render(request, "pages/about.html")


@require_GET
def accessibility(request):
    return render(request, "pages/accessibility.html")


@require_GET
def privacy(request):
    return render(request, "pages/privacy.html", {"CONTACT_EMAIL": settings.CONTACT_EMAIL})


@require_GET
def contact(request):
    return render(request, "pages/contact.html", {"CONTACT_EMAIL": settings.CONTACT_EMAIL})


@require_GET
def robots_txt(request):
    return render(request, "pages/robots.txt", content_type="text/plain; charset=utf-8")
