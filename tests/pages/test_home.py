"""The home page: what MMIP is, the landscape in live figures and a choropleth, the newest case studies."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from pages.insights import cached_landscape_insights, site_filter_for
from tests.casestudies.factories import CaseStudyFactory
from tests.manufacturers.factories import (
    CapabilityFactory,
    LicenceFactory,
    LicenceTypeFactory,
    OrganisationFactory,
    SiteFactory,
    TechnologyFactory,
    region,
)

pytestmark = pytest.mark.django_db


def test_home_page_says_what_the_portal_is_and_offers_search_and_the_map(client):
    html = client.get(reverse("home")).content.decode()
    assert "Medicines Manufacturing Industry Partnership (MMIP)" in html
    assert f'action="{reverse("pages:search")}"' in html
    assert f'href="{reverse("manufacturers:map")}"' in html


def test_home_figures_and_charts_match_the_database(client):
    sterile = CapabilityFactory(name="Sterile fill")
    mrna = TechnologyFactory(name="mRNA platform")
    mia = LicenceTypeFactory(name="Test MIA")
    organisation = OrganisationFactory()
    sites = SiteFactory.create_batch(
        3, organisation=organisation, capabilities=[sterile], technologies=[mrna]
    )
    SiteFactory(region=region("scotland"), capabilities=[sterile])
    LicenceFactory(site=sites[0], licence_type=mia)
    response = client.get(reverse("home"))
    context = response.context
    assert (context["site_count"], context["organisation_count"], context["region_count"]) == (4, 2, 2)
    regions = {row.slug: row.value for row in context["region_chart"].rows}
    assert regions["east-of-england"] == 3
    assert regions["scotland"] == 1
    assert regions["wales"] == 0
    assert len(regions) == 12  # every region is drawn, even with no sites
    mix = {chart.key: {row.slug: row.value for row in chart.rows} for chart in context["mix_charts"]}
    assert mix["capabilities"][sterile.slug] == 4
    assert mix["technologies"][mrna.slug] == 3
    assert mix["licences"] == {mia.slug: 1}


def test_home_choropleth_is_accessible_svg_with_a_data_table(client):
    SiteFactory(region=region("wales"))
    html = client.get(reverse("home")).content.decode()
    assert 'role="img" aria-labelledby="home-regions-title home-regions-desc"' in html
    assert '<title id="home-regions-title">Sites per region</title>' in html
    assert '<desc id="home-regions-desc">' in html
    assert html.count('class="map__area') == 12
    assert '<table class="chart-table" id="home-regions-table">' in html
    assert f'href="{reverse("manufacturers:site-list")}?region=wales"' in html


def test_the_map_is_drawn_once_and_cached_without_the_boundaries_it_was_drawn_from(client):
    SiteFactory(region=region("wales"))
    first = client.get(reverse("home"), {"v": "1"}).content.decode()

    cached = cached_landscape_insights(site_filter_for({}))
    again = client.get(reverse("home"), {"v": "2"}).content.decode()

    regions = cached.chart("regions")
    assert len(regions.rows) == 12 and all(row.boundary is None for row in regions.rows)
    assert again.count('class="map__area') == first.count('class="map__area') == 12
    paths = re.findall(r'<path class="map__area[^>]*>', again)
    assert paths == re.findall(r'<path class="map__area[^>]*>', first)


def test_home_shows_only_published_case_studies_newest_first(client):
    now = timezone.now()
    CaseStudyFactory(
        published=True, title="Older study", first_published_at=now - datetime.timedelta(days=90)
    )
    CaseStudyFactory(published=True, title="Newer study", first_published_at=now - datetime.timedelta(days=1))
    CaseStudyFactory(title="Draft study")
    CaseStudyFactory(status="in_review", title="Study in review")
    CaseStudyFactory(published=True, title="Scheduled study", go_live_at=now + datetime.timedelta(days=3))
    response = client.get(reverse("home"))
    assert [case_study.title for case_study in response.context["latest_case_studies"]] == [
        "Newer study",
        "Older study",
    ]
    assert response.context["case_study_count"] == 2
    html = response.content.decode()
    for hidden in ("Draft study", "Study in review", "Scheduled study"):
        assert hidden not in html


def test_home_links_to_every_workstream(client):
    html = client.get(reverse("home")).content.decode()
    for slug in ["regulatory-environment", "skills", "fiscal-environment", "supply-chain", "technology"]:
        assert f'href="{reverse("workstreams:workstream-detail", kwargs={"slug": slug})}"' in html


def test_home_query_count_does_not_grow_with_the_data(client, django_assert_num_queries):
    # 1 totals (sites, organisations, regions); 6 facet counts (region, capability, technology,
    # licence, organisation kind, status); 3 taxonomy names; 1 regions with boundaries;
    # 1 published case-study count; 1 newest case studies; 1 workstreams.
    SiteFactory(capabilities=[CapabilityFactory()])
    with django_assert_num_queries(14):
        client.get(reverse("home"))
    capability, technology = CapabilityFactory(), TechnologyFactory()
    for site in SiteFactory.create_batch(15, capabilities=[capability], technologies=[technology]):
        LicenceFactory(site=site)
    CaseStudyFactory.create_batch(4, published=True)
    with django_assert_num_queries(14):
        client.get(reverse("home"))
