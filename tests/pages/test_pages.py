"""The public shell: home page figures, the main pages, and what the public must never see."""

import pytest
from django.urls import reverse

from tests.casestudies.factories import CaseStudyFactory
from tests.manufacturers.factories import OrganisationFactory, SiteFactory, region
from tests.workstreams.factories import InitiativeFactory

pytestmark = pytest.mark.django_db


def test_home_page_shows_live_counts(client):
    organisation = OrganisationFactory()
    SiteFactory.create_batch(3, organisation=organisation)
    SiteFactory(region=region("scotland"))
    OrganisationFactory(name="Partner without sites")
    CaseStudyFactory(published=True, title="A published case study")
    CaseStudyFactory(title="A draft case study")
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert response.context["site_count"] == 4
    assert response.context["organisation_count"] == 2  # organisations with sites
    assert response.context["region_count"] == 2
    assert response.context["case_study_count"] == 1
    html = response.content.decode()
    assert "A published case study" in html
    assert "A draft case study" not in html


def test_home_page_query_count_is_flat(client, django_assert_num_queries):
    # totals, 6 facet counts, 3 taxonomy names, regions, case-study count, newest case studies,
    # workstreams (tests/pages/test_home.py details them)
    SiteFactory.create_batch(2)
    with django_assert_num_queries(14):
        client.get(reverse("home"))
    SiteFactory.create_batch(20)
    CaseStudyFactory.create_batch(3, published=True)
    with django_assert_num_queries(14):
        client.get(reverse("home"))


def test_header_navigation_and_footer_attribution(client):
    html = client.get(reverse("home")).content.decode()
    for label in ["Map", "Directory", "Workstreams", "Case studies"]:
        assert f">{label}</a>" in html
    assert "GeoNames" in html
    assert "Open Government Licence v3.0" in html
    assert 'href="#main"' in html  # skip link


def test_public_pages_answer(client):
    site = SiteFactory()
    initiative = InitiativeFactory()
    case_study = CaseStudyFactory(published=True, organisation=site.organisation, sites=[site])
    for url in [
        reverse("manufacturers:site-list"),
        site.get_absolute_url(),
        reverse("manufacturers:organisation-list"),
        site.organisation.get_absolute_url(),
        reverse("manufacturers:map"),
        reverse("workstreams:workstream-list"),
        initiative.workstream.get_absolute_url(),
        initiative.get_absolute_url(),
        reverse("casestudies:case-study-list"),
        case_study.get_absolute_url(),
    ]:
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("status", ["draft", "in_review"])
def test_unpublished_case_studies_are_not_found(client, status):
    case_study = CaseStudyFactory(status=status)
    assert client.get(case_study.get_absolute_url()).status_code == 404
    assert case_study.title not in client.get(reverse("casestudies:case-study-list")).content.decode()
