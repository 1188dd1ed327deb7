"""The sites endpoints: filters, formats, cursor paging, facets, conditional GET and the 400s."""

import base64
import csv
import datetime
import io
import random

import orjson
import pytest
from django.urls import reverse

from manufacturers.models import Capability, Region, Site
from tests.manufacturers.api.conftest import set_updated_at
from tests.manufacturers.factories import OrganisationFactory, SiteFactory, region

pytestmark = pytest.mark.django_db

SITES = reverse("api-v1:site-list")


def _slugs(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["slug"] for row in response.json()["results"]}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, {"livingston-fill", "glasgow-vectors", "stevenage-vectors", "cardiff-planned"}),
        ({"q": "glasgow"}, {"glasgow-vectors"}),
        ({"region": "scotland"}, {"livingston-fill", "glasgow-vectors"}),
        ({"region": "scotland,wales"}, {"livingston-fill", "glasgow-vectors", "cardiff-planned"}),
        ({"capability": "viral_vectors"}, {"glasgow-vectors", "stevenage-vectors"}),
        ({"capability": "viral_vectors", "region": "scotland"}, {"glasgow-vectors"}),
        ({"licence": "mia"}, {"livingston-fill", "stevenage-vectors"}),
        ({"organisation_kind": "nhs"}, {"cardiff-planned"}),
        ({"status": "planned"}, {"cardiff-planned"}),
        ({"bbox": "-5,55,-3,57"}, {"livingston-fill", "glasgow-vectors"}),
        ({"near": "51.90,-0.20", "radius_km": "50"}, {"stevenage-vectors"}),
    ],
)
def test_every_filter_narrows_the_sites(api_client, landscape, query, expected):
    assert _slugs(api_client.get(SITES, query)) == expected


def test_technology_filter(api_client, landscape):
    technology = landscape["livingston"].technologies.get()
    assert _slugs(api_client.get(SITES, {"technology": technology.slug})) == {"livingston-fill"}


def test_updated_since_returns_only_what_changed(api_client, landscape, days_ago):
    for site in landscape.values():
        set_updated_at(site, days_ago(10))
        set_updated_at(site.organisation, days_ago(10))
        site.licences.update(updated_at=days_ago(10))
    site_changed = landscape["glasgow"]
    set_updated_at(site_changed, days_ago(0.5))
    # A change to a site's organisation or licences counts as a change to the site.
    set_updated_at(landscape["cardiff"].organisation, days_ago(0.5))
    licence = landscape["livingston"].licences.get()
    type(licence).objects.filter(pk=licence.pk).update(updated_at=days_ago(0.5))

    yesterday = days_ago(1).date().isoformat()
    assert _slugs(api_client.get(SITES, {"updated_since": yesterday})) == {
        "glasgow-vectors",
        "cardiff-planned",
        "livingston-fill",
    }
    precise = days_ago(1).isoformat()
    assert _slugs(api_client.get(SITES, {"updated_since": precise})) == {
        "glasgow-vectors",
        "cardiff-planned",
        "livingston-fill",
    }
    assert _slugs(api_client.get(SITES, {"updated_since": days_ago(-1).isoformat()})) == set()


def test_ordering_from_the_allow_list(api_client, landscape):
    response = api_client.get(SITES, {"ordering": "-name"})
    assert [row["slug"] for row in response.json()["results"]] == [
        "stevenage-vectors",
        "livingston-fill",
        "glasgow-vectors",
        "cardiff-planned",
    ]
    response = api_client.get(SITES, {"ordering": "town"})
    assert [row["town"] for row in response.json()["results"]] == [
        "Cardiff",
        "Glasgow",
        "Livingston",
        "Stevenage",
    ]


def test_the_json_representation_links_to_related_resources(api_client, landscape):
    row = next(row for row in api_client.get(SITES, {"q": "livingston"}).json()["results"])
    site = landscape["livingston"]
    assert row["id"] == site.pk
    assert row["url"] == f"http://testserver/api/v1/sites/{site.slug}/"
    assert row["web_url"] == f"http://testserver/sites/{site.slug}/"
    assert row["organisation"]["url"] == f"http://testserver/api/v1/organisations/{site.organisation.slug}/"
    assert row["region"] == {
        "code": "TLM",
        "slug": "scotland",
        "name": "Scotland",
        "url": "http://testserver/api/v1/regions/scotland/",
    }
    assert row["capabilities"] == ["aseptic_fill_finish"]
    assert row["licence_types"] == ["mia"]
    assert datetime.datetime.fromisoformat(row["updated_at"]).tzinfo is not None  # ISO 8601 with an offset


def test_every_row_of_a_page_links_to_itself_on_the_host_it_was_asked_from(api_client, settings):
    # The addresses are reversed once per request and filled in per row: each row gets its own
    # slug, and a second request on another host gets that host.
    settings.ALLOWED_HOSTS = ["testserver", "mirror.example.org"]
    sites = SiteFactory.create_batch(3)
    rows = api_client.get(SITES).json()["results"]
    assert [row["url"] for row in rows] == [
        f"http://testserver{reverse('api-v1:site-detail', kwargs={'slug': site.slug})}"
        for site in sorted(sites, key=lambda site: (site.name, site.pk))
    ]
    assert {row["web_url"] for row in rows} == {
        f"http://testserver{site.get_absolute_url()}" for site in sites
    }
    rows = api_client.get(SITES, HTTP_HOST="mirror.example.org").json()["results"]
    assert all(row["url"].startswith("http://mirror.example.org/api/v1/sites/") for row in rows)
    assert all(row["organisation"]["url"].startswith("http://mirror.example.org/") for row in rows)


# 400s: the whole body, naming the parameter and the reason.


def test_an_unknown_parameter_is_a_400_naming_it(api_client, landscape):
    response = api_client.get(SITES, {"colour": "red", "region": "wales"})
    assert response.status_code == 400
    assert response.json() == {
        "colour": [
            "Unknown query parameter. This endpoint accepts: bbox, capability, cursor, format, licence, near, "
            "ordering, organisation_kind, page_size, q, radius_km, region, status, technology, updated_since."
        ]
    }


def test_a_bad_bbox_is_a_400(api_client, landscape):
    response = api_client.get(SITES, {"bbox": "-5,55,-3"})
    assert response.status_code == 400
    assert response.json() == {"bbox": ["Give four numbers: west,south,east,north."]}
    response = api_client.get(SITES, {"bbox": "-3,55,-5,57"})
    assert response.json() == {
        "bbox": ["West must not be greater than east (boxes across 180° are not supported)."]
    }


def test_a_bad_ordering_is_a_400(api_client, landscape):
    response = api_client.get(SITES, {"ordering": "password"})
    assert response.status_code == 400
    assert response.json() == {
        "ordering": ["Select a valid choice. password is not one of the available choices."]
    }


def test_bad_values_are_400s(api_client, landscape):
    assert api_client.get(SITES, {"region": "atlantis"}).json() == {
        "region": ["atlantis is not a known value. Use one of the slugs listed at /api/v1/."]
    }
    assert api_client.get(SITES, {"updated_since": "last tuesday"}).json() == {
        "updated_since": ["Enter an ISO 8601 date or date-time, such as 2026-11-23 or 2026-11-23T09:00:00Z."]
    }
    assert api_client.get(SITES, {"page_size": "5000"}).json() == {
        "page_size": ["Enter a whole number from 1 to 1000."]
    }
    assert api_client.get(SITES, {"cursor": "not-a-cursor"}).json() == {
        "cursor": ["This cursor is not valid: use the next or previous link as given."]
    }
    assert api_client.get(SITES, {"format": "xml"}).json() == {
        "format": ["Unknown format. Use one of: json, geojson, csv."]
    }


def test_errors_are_json_even_when_csv_was_asked_for(api_client, landscape):
    response = api_client.get(SITES, {"format": "csv", "bbox": "nonsense"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"bbox": ["Give four numbers: west,south,east,north."]}


# Cursor paging.


def _walk(api_client, url, params=None):
    seen, pages = [], 0
    response = api_client.get(url, params or {})
    while True:
        assert response.status_code == 200
        body = response.json()
        seen += [row["slug"] for row in body["results"]]
        pages += 1
        if not body["next"]:
            return seen, pages, body
        response = api_client.get(body["next"])


def test_a_cursor_walk_visits_every_site_once(api_client):
    SiteFactory.create_batch(23)
    seen, pages, last = _walk(api_client, SITES, {"page_size": 5})
    assert pages == 5
    assert len(seen) == len(set(seen)) == 23
    assert set(seen) == set(Site.objects.values_list("slug", flat=True))
    assert last["count"] == 23


@pytest.mark.parametrize("ordering", ["name", "-name", "town", "-updated_at", "organisation", "region"])
def test_a_cursor_walk_has_no_gaps_or_duplicates_in_any_ordering(api_client, ordering):
    # Ties on the ordering field (same towns, same regions) are broken by the id.
    for number in range(12):
        SiteFactory(town=["Ware", "Speke", "Ulverston"][number % 3], name=f"Site {number % 4}")
    seen, _pages, _last = _walk(api_client, SITES, {"page_size": 5, "ordering": ordering})
    assert len(seen) == len(set(seen)) == 12


@pytest.mark.parametrize(
    "params",
    [{"q": "pharma"}, {"near": "51.90,-0.20", "radius_km": "500"}],
    ids=["best-match-first", "nearest-first"],
)
def test_a_cursor_walk_over_a_search_or_a_distance_has_no_gaps_or_duplicates(api_client, params):
    # Equal ranks and equal distances (several sites at one town's point) are broken by the id.
    for number in range(9):
        SiteFactory(latitude=51.9 + (number % 3) / 10, longitude=-0.2)
    seen, _pages, last = _walk(api_client, SITES, {"page_size": 2, **params})
    assert last["count"] == 9
    assert len(seen) == len(set(seen)) == 9


def test_nearest_first_is_by_great_circle_on_every_page(api_client):
    # At 55°N the site 0.12° east (7.7 km) is nearer than the one 0.1° north (11.1 km), though
    # the KNN index, in planar degrees, reaches the northern one first.
    north = SiteFactory(name="North", latitude=55.1, longitude=-1.6)
    east = SiteFactory(name="East", latitude=55.0, longitude=-1.48)
    far = SiteFactory(name="Far", latitude=55.3, longitude=-1.6)
    seen, pages, _last = _walk(api_client, SITES, {"near": "55.0,-1.6", "page_size": 1})
    assert (seen, pages) == ([east.slug, north.slug, far.slug], 3)
    generator = random.Random(3)
    for _number in range(40):
        SiteFactory(
            latitude=55.0 + generator.uniform(-0.3, 0.3), longitude=-1.6 + generator.uniform(-0.5, 0.5)
        )
    seen, _pages, _last = _walk(api_client, SITES, {"near": "55.0,-1.6", "radius_km": "25", "page_size": 4})
    expected = Site.objects.within_radius(55.0, -1.6, 25).order_by("distance_km", "name", "id")
    assert seen == list(expected.values_list("slug", flat=True))
    # A box of the visitor's own, cutting the circle, narrows the walk as it narrows the list.
    query = {"near": "55.0,-1.6", "radius_km": "25", "bbox": "-1.6,54.9,-1.2,55.3", "page_size": 3}
    seen, _pages, _last = _walk(api_client, SITES, query)
    expected = expected.within_bbox(west=-1.6, south=54.9, east=-1.2, north=55.3)
    assert seen == list(expected.values_list("slug", flat=True))


def test_a_cursor_walk_is_stable_while_the_data_changes(api_client):
    sites = [SiteFactory(name=f"Site {letter}") for letter in "ABCDEFGHIJ"]
    first = api_client.get(SITES, {"page_size": 4}).json()
    assert [row["name"] for row in first["results"]] == ["Site A", "Site B", "Site C", "Site D"]
    # While the partner walks, a site is added before the cursor and one seen is removed: offset paging
    # would now skip "Site E" or repeat "Site D"; the cursor carries on after "Site D".
    SiteFactory(name="Site AA")
    Site.objects.filter(pk=sites[1].pk).delete()
    Site.objects.filter(pk=sites[6].pk).update(name="Site GG")  # a later site renamed, in place
    rest, _pages, _last = _walk(api_client, first["next"])
    assert rest == [site.slug for site in sites[4:]]


def test_previous_links_walk_back(api_client):
    SiteFactory.create_batch(7)
    first = api_client.get(SITES, {"page_size": 3}).json()
    second = api_client.get(first["next"]).json()
    back = api_client.get(second["previous"]).json()
    assert [row["slug"] for row in back["results"]] == [row["slug"] for row in first["results"]]
    assert first["previous"] is None


def test_a_hand_made_cursor_is_a_400(api_client):
    SiteFactory()
    for values in (["Site", "not-a-number"], ["Site"], [["a"], 1]):
        payload = {"k": ["name", "id"], "v": values, "r": False}
        cursor = base64.urlsafe_b64encode(orjson.dumps(payload)).decode()
        response = api_client.get(SITES, {"cursor": cursor})
        assert response.status_code == 400
        assert response.json() == {
            "cursor": ["This cursor is not valid: use the next or previous link as given."]
        }


def test_a_cursor_from_another_ordering_is_refused(api_client):
    SiteFactory.create_batch(3)
    next_url = api_client.get(SITES, {"page_size": 1}).json()["next"]
    cursor = next_url.split("cursor=")[1].split("&")[0]
    response = api_client.get(SITES, {"cursor": cursor, "ordering": "town"})
    assert response.json() == {
        "cursor": ["This cursor belongs to a different ordering: keep the query the same while paging."]
    }


def test_the_link_header_carries_the_next_page(api_client):
    SiteFactory.create_batch(3)
    response = api_client.get(SITES, {"page_size": 2})
    assert response["Link"] == f'<{response.json()["next"]}>; rel="next"'


# GeoJSON and CSV.


def test_geojson_by_format_or_accept_header(api_client, landscape):
    by_format = api_client.get(SITES, {"format": "geojson", "region": "wales"})
    by_accept = api_client.get(SITES, {"region": "wales"}, HTTP_ACCEPT="application/geo+json")
    for response in (by_format, by_accept):
        assert response["Content-Type"] == "application/geo+json"
        body = response.json()
        assert body["type"] == "FeatureCollection"
        assert body["numberMatched"] == body["numberReturned"] == 1
        assert body["links"] == []
        feature = body["features"][0]
        site = landscape["cardiff"]
        assert feature["type"] == "Feature"
        assert feature["id"] == site.pk
        assert feature["geometry"] == {"type": "Point", "coordinates": [-3.18, 51.48]}
        assert feature["properties"]["organisation"] == "Cardiff and Vale NHS"
        assert feature["properties"]["region"] == "wales"


def test_geojson_pages_link_to_the_next_page(api_client):
    SiteFactory.create_batch(3)
    body = api_client.get(SITES, {"format": "geojson", "page_size": 2}).json()
    assert body["numberMatched"] == 3
    assert body["numberReturned"] == 2
    assert body["links"][0]["rel"] == "next"
    assert "format=geojson" in body["links"][0]["href"]


def test_csv_has_the_spreadsheet_columns_and_one_row_per_site(api_client, landscape):
    response = api_client.get(SITES, {"format": "csv", "region": "scotland"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))
    with open("fixtures/sites.csv", encoding="utf-8") as handle:
        spreadsheet_columns = next(csv.reader(handle))
    assert list(rows[0]) == [*spreadsheet_columns, "id", "slug", "status", "url", "updated_at"]
    assert [row["site_name"] for row in rows] == ["Glasgow vectors", "Livingston fill"]
    livingston = rows[1]
    technology = landscape["livingston"].technologies.get()
    assert livingston == {
        "organisation": landscape["livingston"].organisation.name,
        "organisation_type": "CDMO",
        "site_name": "Livingston fill",
        "town": "Livingston",
        "postcode_district": "EH54",
        "region": "Scotland",
        "latitude": "55.88",
        "longitude": "-3.52",
        "capabilities": "aseptic_fill_finish",
        "technologies": technology.slug,
        "licence_types": "mia",
        "licence_basis": "confirmed",
        "website": landscape["livingston"].organisation.website,
        "source": "https://www.example.com/source",
        "confidence": "high",
        "id": str(landscape["livingston"].pk),
        "slug": "livingston-fill",
        "status": "operational",
        "url": "http://testserver/sites/livingston-fill/",
        "updated_at": livingston["updated_at"],
    }


def test_csv_joins_several_values_with_semicolons(api_client):
    capabilities = Capability.objects.filter(slug__in=["aseptic_fill_finish", "viral_vectors"])
    SiteFactory(
        capabilities=list(capabilities), source_urls=["https://a.example.com", "https://b.example.com"]
    )
    row = next(csv.DictReader(io.StringIO(api_client.get(SITES, {"format": "csv"}).content.decode())))
    assert row["capabilities"] == "aseptic_fill_finish;viral_vectors"
    assert row["source"] == "https://a.example.com | https://b.example.com"


def test_csv_defuses_spreadsheet_formulas(api_client):
    organisation = OrganisationFactory(name='=HYPERLINK("http://evil.example")')
    SiteFactory(organisation=organisation, name="@SUM(A1)", town="+44", longitude=-1.5)
    row = next(csv.DictReader(io.StringIO(api_client.get(SITES, {"format": "csv"}).content.decode())))
    assert row["organisation"] == '\'=HYPERLINK("http://evil.example")'
    assert row["site_name"] == "'@SUM(A1)"
    assert row["town"] == "'+44"
    assert row["longitude"] == "-1.5"  # a number, not a formula


# Detail.


def test_site_detail_shows_licences_and_only_published_case_studies(api_client, landscape):
    from tests.casestudies.factories import CaseStudyFactory

    site = landscape["livingston"]
    CaseStudyFactory(published=True, slug="published-one", sites=[site], organisation=site.organisation)
    CaseStudyFactory(slug="secret-draft", sites=[site], organisation=site.organisation)
    body = api_client.get(reverse("api-v1:site-detail", kwargs={"slug": site.slug})).json()
    assert body["licences"][0]["licence_type"]["slug"] == "mia"
    assert body["licences"][0]["basis"] == "confirmed"
    assert [case_study["slug"] for case_study in body["case_studies"]] == ["published-one"]
    assert body["capabilities"][0]["slug"] == "aseptic_fill_finish"


def test_site_detail_in_geojson_and_csv(api_client, landscape):
    url = reverse("api-v1:site-detail", kwargs={"slug": "glasgow-vectors"})
    feature = api_client.get(url, {"format": "geojson"}).json()
    assert feature["type"] == "Feature"
    assert feature["geometry"]["coordinates"] == [-4.25, 55.86]
    rows = list(csv.DictReader(io.StringIO(api_client.get(url, {"format": "csv"}).content.decode())))
    assert [row["slug"] for row in rows] == ["glasgow-vectors"]


def test_site_detail_refuses_list_parameters(api_client, landscape):
    response = api_client.get(
        reverse("api-v1:site-detail", kwargs={"slug": "glasgow-vectors"}), {"region": "x"}
    )
    assert response.json() == {"region": ["Unknown query parameter. This endpoint accepts: format."]}


def test_an_unknown_site_is_a_404(api_client, db):
    response = api_client.get(reverse("api-v1:site-detail", kwargs={"slug": "nowhere"}))
    assert response.status_code == 404
    assert response.json() == {"detail": "No Site matches the given query."}


# Facets.


def test_facet_counts_for_any_filter(api_client, landscape):
    # "How many sites per capability in Scotland?"
    response = api_client.get(reverse("api-v1:site-facets"), {"region": "scotland"})
    assert response.status_code == 200
    body = response.json()
    assert body["capability"] == {"aseptic_fill_finish": 1, "viral_vectors": 1}
    # A facet's own filter is left out of its counts, so every region still shows.
    assert body["region"] == {"scotland": 2, "east-of-england": 1, "wales": 1}
    assert body["status"] == {"operational": 2}
    assert body["licence"] == {"mia": 1}


def test_facet_counts_refuse_bad_filters(api_client, landscape):
    response = api_client.get(reverse("api-v1:site-facets"), {"capability": "teleportation"})
    assert response.status_code == 400
    assert response.json() == {
        "capability": ["teleportation is not a known value. Use one of the slugs listed at /api/v1/."]
    }


# Conditional GET and caching.


def test_lists_and_details_answer_304_when_unchanged(api_client, landscape):
    for url in (SITES, reverse("api-v1:site-detail", kwargs={"slug": "glasgow-vectors"})):
        response = api_client.get(url)
        assert response["Cache-Control"] == "public, max-age=300"
        assert "Accept" in response["Vary"]
        etag, last_modified = response["ETag"], response["Last-Modified"]
        assert api_client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
        assert api_client.get(url, HTTP_IF_MODIFIED_SINCE=last_modified).status_code == 304
        assert api_client.get(url, HTTP_IF_NONE_MATCH='"something-else"').status_code == 200


def test_a_change_gives_a_new_etag(api_client, landscape):
    url = reverse("api-v1:site-detail", kwargs={"slug": "glasgow-vectors"})
    etag = api_client.get(url)["ETag"]
    Site.objects.filter(slug="glasgow-vectors").update(town="Paisley")
    response = api_client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response.json()["town"] == "Paisley"


def test_each_format_has_its_own_etag(api_client, landscape):
    etags = {api_client.get(SITES, {"format": fmt})["ETag"] for fmt in ("json", "geojson", "csv")}
    assert len(etags) == 3


# Query counts: flat in the number of rows, for every format.


@pytest.mark.parametrize("fmt", ["json", "geojson", "csv"])
def test_site_list_queries_do_not_grow_with_rows(api_client, django_assert_num_queries, fmt):
    capabilities = list(Capability.objects.all()[:3])
    SiteFactory.create_batch(5, capabilities=capabilities, region=region("wales"))
    # the planner's estimate and 1 count (exact: few rows), 1 page of sites with organisation and
    # region joined and taxonomy slugs as arrays, 1 for Last-Modified (the newest site,
    # organisation, licence or region)
    with django_assert_num_queries(4):
        assert api_client.get(SITES, {"format": fmt}).status_code == 200
    SiteFactory.create_batch(45, capabilities=capabilities)
    with django_assert_num_queries(4):
        assert api_client.get(SITES, {"format": fmt}).status_code == 200


def test_site_detail_query_count(api_client, landscape, django_assert_num_queries):
    url = reverse("api-v1:site-detail", kwargs={"slug": "livingston-fill"})
    # the site with organisation, region and verifier; capabilities; technologies; licences with
    # their types; published case studies; Last-Modified
    with django_assert_num_queries(6):
        api_client.get(url)


def test_facet_query_count(api_client, landscape, django_assert_num_queries):
    # one grouped query per facet (six), the region filter's slug lookup, Last-Modified
    with django_assert_num_queries(8):
        api_client.get(reverse("api-v1:site-facets"), {"region": "scotland"})


def test_a_site_leaving_a_filtered_list_is_not_hidden_by_a_304(api_client, landscape, days_ago):
    for site in landscape.values():
        set_updated_at(site, days_ago(3))
        set_updated_at(site.organisation, days_ago(3))
        site.licences.update(updated_at=days_ago(3))
    Region.objects.update(updated_at=days_ago(3))  # HTTP dates count whole seconds
    first = api_client.get(SITES, {"status": "operational"})
    glasgow = Site.objects.get(slug="glasgow-vectors")
    glasgow.status = Site.Status.CLOSED
    glasgow.save()  # it leaves the list: the rows still listed have not changed
    again = api_client.get(SITES, {"status": "operational"}, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert again.status_code == 200
    assert "glasgow-vectors" not in _slugs(again)


def test_a_site_can_be_fetched_by_its_numeric_id(api_client):
    site = SiteFactory(slug="stevenage-biologics")
    response = api_client.get(f"/api/v1/sites/{site.pk}/?format=geojson")
    assert response.status_code == 301
    assert response["Location"] == "/api/v1/sites/stevenage-biologics/?format=geojson"
    assert api_client.get(response["Location"]).status_code == 200


def test_an_unknown_numeric_id_is_a_404(api_client):
    assert api_client.get("/api/v1/sites/99999999999999999999999/").status_code == 404
    assert api_client.get("/api/v1/sites/424242/").status_code == 404
