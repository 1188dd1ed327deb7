"""/search/: one PostgreSQL full-text search across the portal, grouped by kind, ranked, never showing drafts."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from pages.search import RESULTS_PER_GROUP, RESULTS_PER_PAGE, highlight, portal_search
from tests.casestudies.factories import CaseStudyFactory
from tests.manufacturers.factories import CapabilityFactory, OrganisationFactory, SiteFactory
from tests.workstreams.factories import InitiativeFactory

pytestmark = pytest.mark.django_db

SEARCH = "/search/"


def _groups(response):
    return {group.kind.key: group for group in response.context["groups"]}


def test_one_search_finds_every_kind_grouped_with_counts(client):
    organisation = OrganisationFactory(name="Zephyr Biologics", description="Makes zephyr vaccines.")
    SiteFactory(organisation=organisation, name="Zephyr plant")
    CaseStudyFactory(published=True, title="Zephyr and the regulator")
    InitiativeFactory(title="Zephyr skills programme")
    response = client.get(SEARCH, {"q": "zephyr"})
    assert response.status_code == 200
    groups = _groups(response)
    assert [key for key in groups] == ["organisations", "sites", "case-studies", "initiatives", "workstreams"]
    assert {key: group.total for key, group in groups.items()} == {
        "organisations": 1,
        "sites": 1,
        "case-studies": 1,
        "initiatives": 1,
        "workstreams": 0,
    }
    assert response.context["total"] == 4
    html = response.content.decode()
    assert "4 results for “zephyr”" in html
    assert 'href="#results-case-studies"' in html


def test_workstreams_are_searched_too(client):
    groups = _groups(client.get(SEARCH, {"q": "qualified persons"}))
    assert [hit.title for hit in groups["workstreams"].hits] == ["Skills"]


def test_prefix_words_match_like_the_directory(client):
    OrganisationFactory(name="Vectorworks Therapeutics")
    groups = _groups(client.get(SEARCH, {"q": "vectorw"}))
    assert [hit.title for hit in groups["organisations"].hits] == ["Vectorworks Therapeutics"]


def test_sites_are_found_by_what_they_do(client):
    site = SiteFactory(name="Plant one", capabilities=[CapabilityFactory(name="Lyophilised zebra products")])
    SiteFactory(name="Unrelated plant")
    group = _groups(client.get(SEARCH, {"q": "zebra"}))["sites"]
    assert [hit.url for hit in group.hits] == [site.get_absolute_url()]
    assert "<mark>zebra</mark>" in group.hits[0].snippet


def test_a_title_match_ranks_above_a_body_match(client):
    body_match = CaseStudyFactory(published=True, title="Inspections", body="A note on kestrel lines.")
    summary_match = CaseStudyFactory(published=True, title="Audits", summary="The kestrel approach.")
    title_match = CaseStudyFactory(published=True, title="Kestrel continuous line")
    hits = _groups(client.get(SEARCH, {"q": "kestrel"}))["case-studies"].hits
    assert [hit.url for hit in hits] == [
        title_match.get_absolute_url(),
        summary_match.get_absolute_url(),
        body_match.get_absolute_url(),
    ]


def test_organisation_names_rank_above_descriptions(client):
    OrganisationFactory(name="Alpha Pharma", description="Partners with Osprey on fill-finish.")
    OrganisationFactory(name="Osprey Pharma", description="Makes tablets.")
    hits = _groups(client.get(SEARCH, {"q": "osprey"}))["organisations"].hits
    assert [hit.title for hit in hits] == ["Osprey Pharma", "Alpha Pharma"]


def test_initiative_titles_rank_above_outcomes(client):
    InitiativeFactory(title="Survey of heron needs", outcome="")
    InitiativeFactory(title="Workshop", outcome="Led to the heron survey.")
    hits = _groups(client.get(SEARCH, {"q": "heron"}))["initiatives"].hits
    assert [hit.title for hit in hits] == ["Survey of heron needs", "Workshop"]


@pytest.mark.parametrize("status", ["draft", "in_review", "withdrawn", "archived"])
def test_unpublished_case_studies_never_appear(client, status):
    extra = {"first_published_at": timezone.now()} if status in {"withdrawn", "archived"} else {}
    if status == "withdrawn":
        extra["withdrawn_reason"] = "Superseded."
    CaseStudyFactory(status=status, title="Pelican secret study", **extra)
    response = client.get(SEARCH, {"q": "pelican"})
    assert _groups(response)["case-studies"].total == 0
    assert "Pelican secret study" not in response.content.decode()


def test_scheduled_case_studies_stay_hidden_until_they_go_live(client):
    CaseStudyFactory(
        published=True, title="Pelican future study", go_live_at=timezone.now() + datetime.timedelta(days=1)
    )
    assert _groups(client.get(SEARCH, {"q": "pelican"}))["case-studies"].total == 0


def test_snippets_highlight_matches_and_escape_stored_text(client):
    OrganisationFactory(
        name="Safe Org", description="<script>alert('x')</script> Doses < 5 & puffin **vaccines**."
    )
    response = client.get(SEARCH, {"q": "puffin"})
    snippet = _groups(response)["organisations"].hits[0].snippet
    assert "<mark>puffin</mark>" in snippet
    assert "<script" not in snippet
    assert "Doses &lt; 5 &amp; <mark>puffin</mark> vaccines" in snippet
    assert "**" not in snippet
    assert "<script>alert" not in response.content.decode()


def test_highlight_turns_only_its_own_markers_into_mark_elements():
    assert highlight("a \ue000b\ue001 <i>c</i>") == "a <mark>b</mark> &lt;i&gt;c&lt;/i&gt;"


def test_groups_show_the_best_few_and_link_to_the_rest(client):
    InitiativeFactory.create_batch(RESULTS_PER_GROUP + 2, title="Grebe initiative")
    response = client.get(SEARCH, {"q": "grebe"})
    group = _groups(response)["initiatives"]
    assert (len(group.hits), group.total) == (RESULTS_PER_GROUP, RESULTS_PER_GROUP + 2)
    assert "kind=initiatives" in response.content.decode()


def test_one_kind_is_paginated(client):
    InitiativeFactory.create_batch(RESULTS_PER_PAGE + 3, title="Grebe initiative")
    first = client.get(SEARCH, {"q": "grebe", "kind": "initiatives"})
    assert len(first.context["groups"]) == 1
    assert len(first.context["groups"][0].hits) == RESULTS_PER_PAGE
    assert first.context["page_count"] == 2
    second = client.get(SEARCH, {"q": "grebe", "kind": "initiatives", "page": 2})
    assert len(second.context["groups"][0].hits) == 3
    beyond = client.get(SEARCH, {"q": "grebe", "kind": "initiatives", "page": 9})
    assert beyond.context["groups"][0].total == RESULTS_PER_PAGE + 3
    assert beyond.context["groups"][0].hits == []


def test_bad_parameters_are_a_400_naming_the_field(client):
    response = client.get(SEARCH, {"q": "x", "kind": "people"})
    assert response.status_code == 400
    assert "Select a valid choice. people is not one of the available choices." in response.content.decode()
    response = client.get(SEARCH, {"q": "x" * 201})
    assert response.status_code == 400
    assert "Ensure this value has at most 200 characters (it has 201)." in response.content.decode()
    assert client.get(SEARCH, {"q": "x", "page": "0"}).status_code == 400


def test_an_empty_search_runs_no_queries(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get(SEARCH, {"q": "  "})
    assert response.status_code == 200
    assert "groups" not in response.context
    with django_assert_num_queries(0):
        assert portal_search("!!!")[0].total == 0


def test_search_query_count_does_not_grow_with_results(client, django_assert_num_queries):
    # One query per kind: the rows, their joins and the total (a window count) together.
    SiteFactory(name="Curlew plant")
    with django_assert_num_queries(5):
        client.get(SEARCH, {"q": "curlew"})
    organisation = OrganisationFactory(name="Curlew Labs")
    SiteFactory.create_batch(10, organisation=organisation)
    CaseStudyFactory.create_batch(8, published=True, title="Curlew study", organisation=organisation)
    InitiativeFactory.create_batch(8, title="Curlew initiative", partners=[organisation])
    with django_assert_num_queries(5):
        client.get(SEARCH, {"q": "curlew"})
    with django_assert_num_queries(1):
        client.get(SEARCH, {"q": "curlew", "kind": "sites"})


def test_the_header_search_box_searches_the_whole_portal(client):
    html = client.get(reverse("home")).content.decode()
    assert f'<form class="site-search" role="search" action="{reverse("pages:search")}"' in html
