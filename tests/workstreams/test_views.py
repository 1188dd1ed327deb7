"""The workstream pages: aims, initiatives and guides, and the live links into the rest of the portal."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.casestudies.factories import CaseStudyFactory
from tests.manufacturers.factories import OrganisationFactory, SiteFactory, TechnologyFactory, region
from tests.workstreams.factories import InitiativeFactory, workstream

pytestmark = pytest.mark.django_db


def _url(slug):
    return reverse("workstreams:workstream-detail", kwargs={"slug": slug})


def test_workstream_list_shows_the_five_in_order_with_initiative_counts(client, django_assert_num_queries):
    InitiativeFactory.create_batch(2, workstream=workstream("skills"))
    InitiativeFactory(workstream=workstream("skills"), kind="guide")
    with django_assert_num_queries(1):  # the workstreams, with their counts annotated
        response = client.get(reverse("workstreams:workstream-list"))
    names = [item.name for item in response.context["workstreams"]]
    assert names == ["Regulatory environment", "Skills", "Fiscal environment", "Supply chain", "Technology"]
    assert "3 initiatives, including 1 guide" in response.content.decode()


def test_a_workstream_page_shows_its_initiatives_with_status_dates_partners_and_outcomes(client):
    partner = OrganisationFactory(name="Science Industry Partnership")
    InitiativeFactory(
        workstream=workstream("skills"),
        title="Apprenticeship programme",
        status="completed",
        start_date=datetime.date(2014, 7, 1),
        end_date=datetime.date(2016, 3, 1),
        outcome="Trained 300 technicians.",
        partners=[partner],
    )
    html = client.get(_url("skills")).content.decode()
    assert "Apprenticeship programme" in html
    assert "Completed" in html
    assert "July 2014 to March 2016" in html
    assert f'<a href="{partner.get_absolute_url()}">Science Industry Partnership</a>' in html
    assert "Trained 300 technicians." in html


@pytest.mark.parametrize("slug", ["skills", "fiscal-environment"])
def test_skills_and_fiscal_pages_show_guides_apart_from_other_initiatives(client, slug):
    InitiativeFactory(workstream=workstream(slug), title="A funding guide", kind="guide")
    InitiativeFactory(workstream=workstream(slug), title="A workshop", kind="workshop")
    response = client.get(_url(slug))
    page = response.context["page"]
    assert [item.title for item in page.guides] == ["A funding guide"]
    assert [item.title for item in page.initiatives] == ["A workshop"]
    assert 'id="guides-heading"' in response.content.decode()


def test_regulatory_page_lists_every_published_case_study_and_no_drafts(client):
    published = CaseStudyFactory(published=True, title="Point-of-care approval")
    other_workstream = CaseStudyFactory(
        published=True, title="A technology study", workstream=workstream("technology")
    )
    CaseStudyFactory(title="Draft study")
    CaseStudyFactory(
        published=True, title="Scheduled study", go_live_at=timezone.now() + datetime.timedelta(days=2)
    )
    response = client.get(_url("regulatory-environment"))
    assert {case_study.title for case_study in response.context["page"].case_studies} == {
        published.title,
        other_workstream.title,
    }
    html = response.content.decode()
    assert f'href="{published.get_absolute_url()}"' in html
    assert "Draft study" not in html and "Scheduled study" not in html


def test_other_workstreams_list_only_their_own_published_case_studies(client):
    CaseStudyFactory(published=True, title="Regulatory study")
    CaseStudyFactory(published=True, title="Technology study", workstream=workstream("technology"))
    page = client.get(_url("technology")).context["page"]
    assert [case_study.title for case_study in page.case_studies] == ["Technology study"]


def test_technology_page_counts_sites_per_technology_and_links_to_them(client):
    flow = TechnologyFactory(slug="test_flow", name="Test flow chemistry")
    unused = TechnologyFactory(slug="test_unused", name="Test unused technology")
    SiteFactory.create_batch(3, technologies=[flow])
    response = client.get(_url("technology"))
    counts = {technology.slug: technology.site_count for technology in response.context["page"].technologies}
    assert counts["test_flow"] == 3
    assert counts["test_unused"] == 0
    html = response.content.decode()
    assert (
        f'<a href="{reverse("manufacturers:site-list")}?technology=test_flow">Test flow chemistry</a>' in html
    )
    assert "?technology=test_unused" not in html  # nothing to link to
    assert unused.name in html


def test_supply_chain_page_links_into_the_directory_and_the_map(client):
    SiteFactory.create_batch(2, region=region("wales"))
    SiteFactory(region=region("scotland"))
    response = client.get(_url("supply-chain"))
    figures = response.context["page"].supply_chain
    assert (figures.sites, figures.organisations) == (3, 3)
    assert {item.slug: item.site_count for item in figures.regions}["wales"] == 2
    html = response.content.decode()
    assert f'href="{reverse("manufacturers:map")}"' in html
    assert f'href="{reverse("manufacturers:site-list")}"' in html
    assert f'href="{reverse("manufacturers:site-list")}?region=wales"' in html


def test_unknown_workstream_is_a_404(client):
    assert client.get(_url("marketing")).status_code == 404


@pytest.mark.parametrize(
    ("slug", "queries"),
    [
        # workstream; initiatives; partners; published case studies
        ("skills", 4),
        ("regulatory-environment", 4),
        # + technologies with their site counts
        ("technology", 5),
        # + site and organisation totals; regions with their site counts
        ("supply-chain", 6),
    ],
)
def test_workstream_page_query_count_does_not_grow(client, django_assert_num_queries, slug, queries):
    InitiativeFactory(workstream=workstream(slug), partners=[OrganisationFactory()])
    with django_assert_num_queries(queries):
        client.get(_url(slug))
    partners = OrganisationFactory.create_batch(3)
    InitiativeFactory.create_batch(5, workstream=workstream(slug), partners=partners)
    InitiativeFactory.create_batch(2, workstream=workstream(slug), kind="guide", partners=partners)
    CaseStudyFactory.create_batch(3, published=True, workstream=workstream(slug))
    SiteFactory.create_batch(5, technologies=[TechnologyFactory()])
    with django_assert_num_queries(queries):
        client.get(_url(slug))


def test_initiative_page_links_its_partners(client):
    partner = OrganisationFactory(name="CPI")
    initiative = InitiativeFactory(partners=[partner])
    html = client.get(initiative.get_absolute_url()).content.decode()
    assert f'<a href="{partner.get_absolute_url()}">CPI</a>' in html


@pytest.mark.django_db
def test_the_fiscal_page_promises_no_funding_filter_the_directory_does_not_have(client):
    page = client.get(_url("fiscal-environment")).content.decode()
    assert "can be found in the manufacturer directory" not in page
    assert "The directory does not record which sites received grants" in page
