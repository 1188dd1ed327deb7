"""Organisations, regions, taxonomies, workstreams, initiatives and published case studies."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from casestudies.models import CaseStudy
from manufacturers.models import Capability
from tests.casestudies.factories import CaseStudyFactory
from tests.manufacturers.factories import OrganisationFactory, SiteFactory, TechnologyFactory
from tests.workstreams.factories import InitiativeFactory

pytestmark = pytest.mark.django_db


def test_organisation_list_and_detail(api_client):
    organisation = OrganisationFactory(name="Alpha Biologics", slug="alpha-biologics", kind="biotech")
    SiteFactory.create_batch(2, organisation=organisation)
    OrganisationFactory(name="Beta Generics", slug="beta-generics", kind="generic")

    body = api_client.get(reverse("api-v1:organisation-list")).json()
    assert body["count"] == 2
    assert body["previous"] is None
    assert [(row["slug"], row["site_count"]) for row in body["results"]] == [
        ("alpha-biologics", 2),
        ("beta-generics", 0),
    ]
    assert api_client.get(reverse("api-v1:organisation-list"), {"kind": "generic"}).json()["count"] == 1

    detail = api_client.get(reverse("api-v1:organisation-detail", kwargs={"slug": "alpha-biologics"})).json()
    assert detail["kind"] == "biotech"
    assert len(detail["sites"]) == 2
    assert detail["sites"][0]["url"].startswith("http://testserver/api/v1/sites/")


def test_organisations_as_csv(api_client):
    OrganisationFactory(name="Alpha Biologics", slug="alpha-biologics", kind="academic_catapult")
    response = api_client.get(reverse("api-v1:organisation-list"), {"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert rows[0]["name"] == "Alpha Biologics"
    assert rows[0]["organisation_type"] == "academic/catapult"


def test_page_number_paging_and_its_400s(api_client):
    OrganisationFactory.create_batch(5)
    url = reverse("api-v1:organisation-list")
    first = api_client.get(url, {"page_size": 2})
    body = first.json()
    assert body["count"] == 5
    assert body["next"] == "http://testserver/api/v1/organisations/?page=2&page_size=2"
    assert first["Link"] == '<http://testserver/api/v1/organisations/?page=2&page_size=2>; rel="next"'
    last = api_client.get(url, {"page_size": 2, "page": 3}).json()
    assert len(last["results"]) == 1
    assert last["next"] is None
    assert api_client.get(url, {"page": "two"}).json() == {"page": ["Enter a whole number of 1 or more."]}
    assert api_client.get(url, {"page_size": "0"}).json() == {
        "page_size": ["Enter a whole number from 1 to 200."]
    }
    beyond = api_client.get(url, {"page": 9})
    assert beyond.status_code == 404
    assert beyond.json() == {"detail": "There is no page 9 of this list."}


def test_regions_with_boundaries(api_client):
    SiteFactory()  # in the East of England
    body = api_client.get(reverse("api-v1:region-list")).json()
    assert body["count"] == 12
    east = next(row for row in body["results"] if row["slug"] == "east-of-england")
    assert east["site_count"] == 1
    assert "boundary" not in east
    detail = api_client.get(reverse("api-v1:region-detail", kwargs={"slug": "wales"})).json()
    assert detail["boundary"]["type"] == "MultiPolygon"
    geojson = api_client.get(reverse("api-v1:region-list"), {"format": "geojson"}).json()
    assert geojson["type"] == "FeatureCollection"
    assert {feature["geometry"]["type"] for feature in geojson["features"]} == {"MultiPolygon"}
    assert geojson["numberMatched"] == 12


@pytest.mark.parametrize(
    ("list_name", "detail_name", "slug"),
    [
        ("capability-list", "capability-detail", "viral_vectors"),
        ("technology-list", "technology-detail", None),
        ("licence-type-list", "licence-type-detail", "mia"),
    ],
)
def test_taxonomies(api_client, list_name, detail_name, slug):
    body = api_client.get(reverse(f"api-v1:{list_name}"), {"page_size": 200}).json()
    assert body["count"] == len(body["results"]) > 0
    slug = slug or body["results"][0]["slug"]
    detail = api_client.get(reverse(f"api-v1:{detail_name}", kwargs={"slug": slug})).json()
    assert detail["slug"] == slug
    assert detail["url"] == f"http://testserver{reverse(f'api-v1:{detail_name}', kwargs={'slug': slug})}"


def test_workstreams_and_initiatives(api_client):
    partner = OrganisationFactory()
    initiative = InitiativeFactory(partners=[partner], title="Skills bootcamp")
    workstreams = api_client.get(reverse("api-v1:workstream-list")).json()
    assert [row["position"] for row in workstreams["results"]] == [1, 2, 3, 4, 5]
    detail = api_client.get(reverse("api-v1:workstream-detail", kwargs={"slug": "skills"})).json()
    assert initiative.slug in [row["slug"] for row in detail["initiatives"]]
    body = api_client.get(reverse("api-v1:initiative-detail", kwargs={"slug": initiative.slug})).json()
    assert body["partners"][0]["slug"] == partner.slug
    assert body["workstream"]["slug"] == "skills"


def test_drafts_and_scheduled_case_studies_never_leak(api_client):
    published = CaseStudyFactory(published=True, slug="published")
    hidden = [
        CaseStudyFactory(slug="draft"),
        CaseStudyFactory(slug="in-review", status=CaseStudy.Status.IN_REVIEW),
        CaseStudyFactory(
            published=True, slug="scheduled", go_live_at=timezone.now() + datetime.timedelta(days=1)
        ),
        CaseStudyFactory(
            published=True,
            slug="withdrawn",
            status=CaseStudy.Status.WITHDRAWN,
            withdrawn_reason="Superseded.",
        ),
    ]
    body = api_client.get(reverse("api-v1:case-study-list")).json()
    assert [row["slug"] for row in body["results"]] == [published.slug]
    assert body["count"] == 1
    for case_study in hidden:
        response = api_client.get(reverse("api-v1:case-study-detail", kwargs={"slug": case_study.slug}))
        # A withdrawn case study says so, with its public reason, and nothing of its content.
        withdrawn = case_study.status == CaseStudy.Status.WITHDRAWN
        assert response.status_code == (410 if withdrawn else 404)
        assert case_study.title not in response.content.decode()
    # Nor through a site that a draft is about.
    site = SiteFactory()
    CaseStudyFactory(slug="draft-about-a-site", sites=[site])
    detail = api_client.get(reverse("api-v1:site-detail", kwargs={"slug": site.slug})).json()
    assert detail["case_studies"] == []
    assert "draft" not in api_client.get(reverse("api-v1:case-study-list")).content.decode()


def test_published_case_study_detail(api_client):
    site = SiteFactory()
    case_study = CaseStudyFactory(published=True, sites=[site], technologies=[TechnologyFactory()])
    body = api_client.get(reverse("api-v1:case-study-detail", kwargs={"slug": case_study.slug})).json()
    assert body["body"].startswith("## The challenge")
    assert body["sites"][0]["slug"] == site.slug
    assert body["organisation"]["slug"] == case_study.organisation.slug


def test_api_root_links_everything(api_client, db):
    body = api_client.get(reverse("api-v1:root")).json()
    assert body["resources"]["sites"] == "http://testserver/api/v1/sites/"
    assert body["downloads"]["sites_csv"] == "http://testserver/api/v1/downloads/sites.csv"
    assert body["documentation"]["ogc_api_features"] == "http://testserver/api/ogc/"


# Query counts: flat in the number of rows for every list.


def _grow(kind: str, count: int):
    if kind == "organisation":
        for organisation in OrganisationFactory.create_batch(count):
            SiteFactory(organisation=organisation)
    elif kind == "initiative":
        partners = OrganisationFactory.create_batch(2)
        InitiativeFactory.create_batch(count, partners=partners)
    elif kind == "case-study":
        technology = TechnologyFactory()
        CaseStudyFactory.create_batch(count, published=True, technologies=[technology])
    elif kind == "capability":
        capability = Capability.objects.first()
        SiteFactory.create_batch(count, capabilities=[capability])


@pytest.mark.parametrize(
    ("url_name", "kind", "params", "queries"),
    [
        # Every list: 1 count, 1 page, then 1 for Last-Modified (the newest change in its tables).
        # page of organisations with their site counts
        ("organisation-list", "organisation", {}, 3),
        ("organisation-list", "organisation", {"format": "csv"}, 3),
        # page of regions with their site counts
        ("region-list", "capability", {}, 3),
        ("region-list", "capability", {"format": "geojson"}, 3),
        # page with site counts
        ("capability-list", "capability", {}, 3),
        ("technology-list", "capability", {}, 3),
        ("licence-type-list", "capability", {}, 3),
        ("workstream-list", "initiative", {}, 3),
        # page with workstream; partners prefetch
        ("initiative-list", "initiative", {}, 4),
        # page with organisation and workstream; technologies; topics
        ("case-study-list", "case-study", {}, 5),
    ],
)
def test_list_queries_do_not_grow_with_rows(
    api_client, django_assert_num_queries, url_name, kind, params, queries
):
    _grow(kind, 5)
    with django_assert_num_queries(queries):
        assert api_client.get(reverse(f"api-v1:{url_name}"), params).status_code == 200
    _grow(kind, 45)
    with django_assert_num_queries(queries):
        assert api_client.get(reverse(f"api-v1:{url_name}"), params).status_code == 200
