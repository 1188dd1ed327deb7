from django.shortcuts import render

from casestudies.models import CaseStudy
from pages.insights import cached_landscape_insights, site_filter_for
from workstreams.models import Workstream

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
    return render(request, "mmip_portal/home.html", context)
