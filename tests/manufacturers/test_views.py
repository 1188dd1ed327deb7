"""The public directory (/sites/, /organisations/) and the site and organisation pages."""

import json
import re
from math import asin, cos, radians, sin, sqrt

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from manufacturers.models import Capability, Licence, Site
from tests.casestudies.factories import CaseStudyFactory
from tests.manufacturers.factories import (
    LicenceFactory,
    LicenceTypeFactory,
    OrganisationFactory,
    SiteFactory,
    TechnologyFactory,
    region,
)

pytestmark = pytest.mark.django_db

SITES = reverse("manufacturers:site-list")
ORGANISATIONS = reverse("manufacturers:organisation-list")
SCOTTISH_FILL_FINISH = "region=scotland&capability=aseptic_fill_finish"
VECTORS_NEAR_STEVENAGE = "capability=viral_vectors&near=51.9038,-0.1966&radius_km=50"


def _html(response) -> str:
    return response.content.decode()


def _km(lat1, lon1, lat2, lon2) -> float:
    half_chord = (
        sin(radians(lat2 - lat1) / 2) ** 2
        + cos(radians(lat1)) * cos(radians(lat2)) * sin(radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0088 * asin(sqrt(half_chord))


@pytest.fixture
def demo():
    call_command("load_demo_data", verbosity=0)


def _listed_sites(response) -> set[str]:
    return {str(site) for site in response.context["page"]}


# ---- The two questions the directory must answer, against the demo data ----------------------


def test_which_sites_in_scotland_do_sterile_fill_finish(client, demo):
    expected = {
        str(site)
        for site in Site.objects.all()
        if site.region.slug == "scotland" and site.capabilities.filter(slug="aseptic_fill_finish").exists()
    }
    assert expected == {"Symbiosis Pharmaceutical Services, Stirling (Castle Business Park)"}
    response = client.get(f"{SITES}?{SCOTTISH_FILL_FINISH}")
    assert response.status_code == 200
    assert _listed_sites(response) == expected
    html = _html(response)
    assert "1 site</p>" in html
    # The answer can be shared: the map and download links carry the same question.
    shared = SCOTTISH_FILL_FINISH.replace("&", "&amp;")
    assert f'href="/map/?{shared}"' in html
    assert f'href="/api/v1/sites/?format=csv&amp;{shared}"' in html
    # The colleague who opens the shared URL gets the same answer.
    assert _listed_sites(client.get(f"{SITES}?{SCOTTISH_FILL_FINISH}")) == expected


def test_who_makes_viral_vectors_within_50_km_of_stevenage(client, demo):
    expected = {
        str(site)
        for site in Site.objects.all()
        if site.capabilities.filter(slug="viral_vectors").exists()
        and _km(51.9038, -0.1966, site.latitude, site.longitude) <= 50
    }
    assert len(expected) >= 2
    response = client.get(f"{SITES}?{VECTORS_NEAR_STEVENAGE}")
    assert _listed_sites(response) == expected
    # Nearest first, each with its distance.
    distances = [site.distance_km for site in response.context["page"]]
    assert distances == sorted(distances)
    assert re.search(r"\d+\.\d km away", _html(response))

    organisations = client.get(f"{ORGANISATIONS}?{VECTORS_NEAR_STEVENAGE}")
    expected_organisations = {name.split(", ")[0] for name in expected}
    assert {o.name for o in organisations.context["page"]} == expected_organisations


# ---- The directory of sites -------------------------------------------------------------------


@pytest.fixture
def directory():
    aseptic = Capability.objects.get(slug="aseptic_fill_finish")
    vectors = Capability.objects.get(slug="viral_vectors")
    SiteFactory(name="Livingston fill", region=region("scotland"), capabilities=[aseptic])
    SiteFactory(name="Glasgow vectors", region=region("scotland"), capabilities=[vectors])
    SiteFactory(name="Stevenage vectors", capabilities=[vectors, aseptic])


def test_site_list_shows_count_facets_with_counts_and_chips(client, directory):
    response = client.get(f"{SITES}?region=scotland")
    html = _html(response)
    assert response.status_code == 200
    assert "2 sites</p>" in html
    facets = {facet["name"]: facet for facet in response.context["facets"]}
    # A facet's counts are under the other filters: regions ignore the region choice.
    regions = {value["value"]: (value["count"], value["checked"]) for value in facets["region"]["values"]}
    assert regions == {"east-of-england": (1, False), "scotland": (2, True)}
    capabilities = {value["value"]: value["count"] for value in facets["capability"]["values"]}
    assert capabilities == {"aseptic_fill_finish": 1, "viral_vectors": 1}
    assert 'value="scotland" checked' in html
    assert 'Scotland <span class="count">(2)</span>' in html
    # The chip removes the region filter.
    assert f'<a class="chip" href="{SITES}"><span class="chip__label">Region:</span> Scotland' in html


def test_site_list_form_is_a_get_form_that_works_without_javascript(client, directory):
    LicenceFactory(site=Site.objects.first())
    Site.objects.first().technologies.add(TechnologyFactory())
    html = _html(client.get(SITES))
    assert f'<form method="get" action="{SITES}"' in html
    assert 'type="submit"' in html
    for name in ["q", "region", "capability", "technology", "licence", "organisation_kind", "status", "near"]:
        assert f'name="{name}"' in html


def test_site_list_orders_by_the_ordering_parameter(client, directory):
    response = client.get(f"{SITES}?ordering=-name")
    assert [site.name for site in response.context["page"]] == [
        "Stevenage vectors",
        "Livingston fill",
        "Glasgow vectors",
    ]
    assert '<option value="-name" selected>' in _html(response)


def test_site_list_paginates_and_pages_keep_the_filters(client):
    SiteFactory.create_batch(30, region=region("wales"))
    response = client.get(f"{SITES}?region=wales")
    assert len(response.context["page"]) == 25
    assert "Page 1 of 2" in _html(response)
    assert 'href="?region=wales&amp;page=2"' in _html(response)
    second = client.get(f"{SITES}?region=wales&page=2")
    assert len(second.context["page"]) == 5
    first_ids = {site.pk for site in response.context["page"]}
    assert first_ids.isdisjoint({site.pk for site in second.context["page"]})


def test_empty_state_suggests_the_filters_to_remove(client, directory):
    response = client.get(f"{SITES}?region=wales&capability=viral_vectors")
    html = _html(response)
    assert response.status_code == 200
    assert "No sites match this search" in html
    suggestions = [(chip["facet"], chip["count"]) for chip in response.context["suggestions"]]
    # Without the region, 2 sites make viral vectors; without the capability, Wales has none.
    assert suggestions == [("region", 2), ("capability", 0)]
    assert f'href="{SITES}?capability=viral_vectors">Remove “Region: Wales”</a> (2 results)' in html


BAD_INPUT = [
    ("region=atlantis", "region", "atlantis is not a known value. Use one of the slugs listed at /api/v1/."),
    ("near=200,1", "near", "Latitude must be between -90 and 90."),
    ("bbox=1,2,3", "bbox", "Give four numbers: west,south,east,north."),
    (
        "radius_km=10",
        "radius_km",
        "radius_km needs a place to measure from: add near=, such as near=Stevenage.",
    ),
    ("status=demolished", "status", "Select a valid choice. demolished is not one of the available choices."),
]
ORDERING_INPUT = (
    "ordering=password",
    "ordering",
    "Select a valid choice. password is not one of the available choices.",
)


@pytest.mark.parametrize(
    ("url", "query", "field", "message"),
    [(url, *case) for url in (SITES, ORGANISATIONS, reverse("manufacturers:map")) for case in BAD_INPUT]
    # The map has no sort control; the lists do.
    + [(url, *ORDERING_INPUT) for url in (SITES, ORGANISATIONS)],
)
def test_bad_input_is_a_400_with_the_message_next_to_the_field(client, url, query, field, message):
    response = client.get(f"{url}?{query}")
    assert response.status_code == 400
    html = _html(response)
    # In the summary, linking to the field...
    label = response.context["filter"].form[field].label
    assert f'<li><a href="#filter-{field}">{label}: {message}</a></li>' in html
    # ...and next to the field itself.
    assert (
        f'<p class="field-error" id="filter-{field}-error"><span class="visually-hidden">Error: </span>{message}'
        in html
    )
    assert "<title>Error:" in html


@pytest.mark.parametrize("url", [SITES, ORGANISATIONS])
def test_bad_input_keeps_the_facets_counted_under_the_valid_filters(client, url):
    SiteFactory(region=region("wales"), capabilities=[Capability.objects.get(slug="viral_vectors")])
    SiteFactory(region=region("scotland"), capabilities=[Capability.objects.get(slug="viral_vectors")])
    response = client.get(f"{url}?region=atlantis&capability=viral_vectors&status=demolished")
    assert response.status_code == 400
    facets = {facet["name"]: facet for facet in response.context["facets"]}
    # The region facet offers the real regions, with their counts under the valid capability filter,
    # and keeps its error; the valid choice stays ticked.
    assert {value["value"]: value["count"] for value in facets["region"]["values"]} == {
        "scotland": 1,
        "wales": 1,
    }
    assert facets["region"]["field"].errors
    assert [value["value"] for value in facets["capability"]["values"] if value["checked"]] == [
        "viral_vectors"
    ]
    html = _html(response)
    assert 'name="region" value="wales"' in html
    assert 'value="atlantis"' not in html


def test_site_list_query_count_is_flat(client, django_assert_num_queries):
    # the planner's estimate and the count (exact: few rows), page of sites (+ organisation,
    # region), capabilities, technologies; 6 facet counts; the choices of region, capability,
    # technology and licence for the sidebar. (Uncommitted test data: nothing comes from the cache.)
    SiteFactory.create_batch(5, capabilities=[Capability.objects.get(slug="viral_vectors")])
    # Statistics that tell the truth: earlier tests' big rolled-back imports leave the planner
    # expecting thousands of sites, and above 10,000 the total is the estimate (one query fewer).
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE manufacturers_site, manufacturers_organisation")
    with django_assert_num_queries(15):
        client.get(SITES)
    SiteFactory.create_batch(50, capabilities=[Capability.objects.get(slug="viral_vectors")])
    with django_assert_num_queries(15):
        client.get(SITES)
    # With filters: + validating the region and capability slugs.
    with django_assert_num_queries(17):
        client.get(f"{SITES}?region=scotland&capability=viral_vectors&q=site")


# ---- The directory of organisations ----------------------------------------------------------


def test_organisation_list_filters_by_sites_and_counts_organisations(client):
    aseptic = Capability.objects.get(slug="aseptic_fill_finish")
    acme = OrganisationFactory(name="Acme")
    SiteFactory.create_batch(2, organisation=acme, region=region("scotland"), capabilities=[aseptic])
    SiteFactory(organisation=acme, region=region("wales"))
    SiteFactory(organisation=OrganisationFactory(name="Bravo"), region=region("wales"))
    OrganisationFactory(name="No sites yet")
    response = client.get(ORGANISATIONS)
    assert [o.name for o in response.context["page"]] == ["Acme", "Bravo"]
    assert "2 organisations</p>" in _html(response)
    response = client.get(f"{ORGANISATIONS}?capability=aseptic_fill_finish")
    assert [(o.name, o.matching_site_count) for o in response.context["page"]] == [("Acme", 2)]
    assert "2 matching sites" in _html(response)
    regions = {f["name"]: f for f in response.context["facets"]}["region"]["values"]
    # Acme counts once for Scotland although two of its sites are there.
    assert {v["value"]: v["count"] for v in regions} == {"scotland": 1}
    assert 'href="/map/?capability=aseptic_fill_finish"' in _html(response)


def test_organisation_list_query_count_is_flat(client, django_assert_num_queries):
    # the planner's estimate and the count, page of organisations, 6 facet counts, 4 sidebar choice lists
    SiteFactory.create_batch(5)
    with django_assert_num_queries(13):
        client.get(ORGANISATIONS)
    SiteFactory.create_batch(50)
    with django_assert_num_queries(13):
        client.get(ORGANISATIONS)


# ---- The site page ----------------------------------------------------------------------------


@pytest.fixture
def site_with_everything():
    site = SiteFactory(
        name="Fill line",
        postcode="SG1 2NY",
        capabilities=[Capability.objects.get(slug="aseptic_fill_finish")],
        technologies=[TechnologyFactory(name="Isolators")],
        source_urls=["https://www.example.com/press-release"],
    )
    LicenceFactory(
        site=site,
        licence_type=LicenceTypeFactory(name="Manufacturer's licence"),
        basis=Licence.Basis.CONFIRMED,
        source_url="https://www.example.com/register",
        reference="MIA 12345",
    )
    LicenceFactory(
        site=site, licence_type=LicenceTypeFactory(name="Specials licence"), basis=Licence.Basis.INFERRED
    )
    SiteFactory(name="Near", latitude=51.95, longitude=-0.20)
    SiteFactory(name="Far", latitude=55.86, longitude=-4.25, region=region("scotland"))
    CaseStudyFactory(published=True, title="Published study", organisation=site.organisation, sites=[site])
    CaseStudyFactory(title="Draft study", organisation=site.organisation, sites=[site])
    return site


def test_site_page_shows_licences_provenance_nearest_sites_and_case_studies(client, site_with_everything):
    response = client.get(site_with_everything.get_absolute_url())
    html = _html(response)
    assert response.status_code == 200
    assert "Stevenage, SG1 2NY" in html
    assert "Manufacturer&#x27;s licence" in html and "Confirmed" in html and "MIA 12345" in html
    assert 'href="https://www.example.com/register"' in html
    assert "Specials licence" in html and "Inferred" in html
    assert 'href="https://www.example.com/press-release"' in html
    assert "Not yet verified by staff" in html
    assert [site.name for site in response.context["nearest_sites"]] == ["Near", "Far"]
    assert "(5.4 km)" in html
    assert "Published study" in html and "Draft study" not in html
    # The small map draws from JSON in the page, through a static script (no inline code).
    points = response.context["map_data"]["points"]
    assert points[0]["current"] is True
    assert [point["name"].split(", ")[-1] for point in points] == ["Fill line", "Near", "Far"]
    assert '<script id="mini-map-data" type="application/json">' in html
    assert "/static/js/mini_map.js" in html and "/static/leaflet/leaflet.js" in html


def test_the_small_map_fetches_its_region_boundary_apart_from_the_page(client, site_with_everything):
    response = client.get(site_with_everything.get_absolute_url())
    boundary = site_with_everything.region.boundary
    # Not a coordinate of the boundary in the page: it is fetched, and cached, on its own.
    assert json.dumps(boundary["coordinates"][0][0][0]) not in _html(response).replace(" ", "")
    [url] = response.context["map_data"]["region_urls"]
    assert url == "/map/regions/east-of-england.geojson"
    fetched = client.get(url)
    assert fetched.status_code == 200
    assert fetched.json() == {
        "type": "Feature",
        "id": "east-of-england",
        "geometry": boundary,
        "properties": {"slug": "east-of-england", "name": "East of England"},
    }
    assert client.get("/map/regions/atlantis.geojson").status_code == 404


def test_site_page_query_count_is_flat(client, django_assert_num_queries):
    # site (+ organisation, region, verifier), capabilities, technologies, licences (+ types),
    # how far the five nearest reach (the KNN index), those five (+ organisations), published
    # case studies
    sites = SiteFactory.create_batch(5)
    with django_assert_num_queries(7):
        client.get(sites[0].get_absolute_url())
    SiteFactory.create_batch(50)
    for site in sites:
        LicenceFactory(site=site)
    with django_assert_num_queries(7):
        client.get(sites[0].get_absolute_url())


def test_unknown_site_is_a_404(client):
    assert client.get(reverse("manufacturers:site-detail", kwargs={"slug": "nowhere"})).status_code == 404


# ---- The organisation page --------------------------------------------------------------------


def test_organisation_page_shows_sites_map_capabilities_and_case_studies(client):
    organisation = OrganisationFactory(name="Acme", description="Makes sterile medicines.")
    aseptic = Capability.objects.get(slug="aseptic_fill_finish")
    SiteFactory(organisation=organisation, name="North", region=region("scotland"), capabilities=[aseptic])
    SiteFactory(organisation=organisation, name="South", capabilities=[aseptic])
    CaseStudyFactory(published=True, title="Acme study", organisation=organisation)
    response = client.get(organisation.get_absolute_url())
    html = _html(response)
    assert "Makes sterile medicines." in html
    assert [site.name for site in response.context["sites"]] == ["North", "South"]
    assert [c.slug for c in response.context["capabilities"]] == ["aseptic_fill_finish"]
    assert "Acme study" in html
    assert len(response.context["map_data"]["points"]) == 2
    assert response.context["map_data"]["region_urls"] == [
        "/map/regions/scotland.geojson",
        "/map/regions/east-of-england.geojson",
    ]


def test_organisation_page_query_count_is_flat(client, django_assert_num_queries):
    # organisation, its sites (+ regions), capabilities, technologies, case studies, initiatives
    organisation = OrganisationFactory()
    SiteFactory.create_batch(5, organisation=organisation)
    with django_assert_num_queries(6):
        client.get(organisation.get_absolute_url())
    SiteFactory.create_batch(50, organisation=organisation)
    with django_assert_num_queries(6):
        client.get(organisation.get_absolute_url())


def test_an_organisation_with_no_sites_says_what_it_is_instead_of_an_empty_manufacturer_page(client):
    from tests.workstreams.factories import InitiativeFactory

    partner = OrganisationFactory(name="Knowledge Transfer Network")
    initiative = InitiativeFactory(title="Finding public funding", partners=[partner])

    page = client.get(partner.get_absolute_url()).content.decode()

    assert "does not manufacture at a site in this directory" in page
    assert "No sites recorded." not in page and "Capabilities across its sites" not in page
    assert f'<a href="{initiative.get_absolute_url()}">Finding public funding</a>' in page


def test_the_site_page_says_what_verified_means_and_when_its_sources_were_captured(client):
    site = SiteFactory()
    page = client.get(site.get_absolute_url()).content.decode()
    assert "Not yet verified by staff" in page
    assert "Verified means a member of staff has checked this site's details" in page
    assert f"When the site was added to the directory, on {site.created_at:%-d %B %Y}" in page
