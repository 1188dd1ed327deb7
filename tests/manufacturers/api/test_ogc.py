"""OGC API - Features (Part 1: Core): what QGIS, ArcGIS and GDAL read from /api/ogc/."""

import pytest
from django.urls import reverse

from tests.manufacturers.api.conftest import set_updated_at
from tests.manufacturers.factories import SiteFactory

pytestmark = pytest.mark.django_db

ITEMS = reverse("ogc:items", kwargs={"collection_id": "sites"})


def _rels(links) -> dict:
    return {link["rel"]: link for link in links}


def test_landing_page_links_to_everything_a_client_needs(api_client):
    response = api_client.get(reverse("ogc:landing-page"))
    assert response["Content-Type"] == "application/json"
    links = _rels(response.json()["links"])
    assert set(links) >= {"self", "service-desc", "service-doc", "conformance", "data"}
    assert links["data"]["href"] == "http://testserver/api/ogc/collections"
    assert links["service-desc"]["type"] == "application/vnd.oai.openapi+json;version=3.0"
    assert api_client.get(links["service-desc"]["href"]).json()["openapi"].startswith("3.0")


def test_conformance(api_client):
    assert api_client.get(reverse("ogc:conformance")).json() == {
        "conformsTo": [
            "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
            "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
            "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
        ]
    }


def test_collections_describe_the_sites_layer(api_client, landscape):
    body = api_client.get(reverse("ogc:collections")).json()
    collection, regions = body["collections"]
    assert regions["id"] == "regions"
    assert collection["id"] == "sites"
    assert collection["itemType"] == "feature"
    assert collection["extent"]["spatial"]["bbox"] == [[-4.25, 51.48, -0.2019, 55.88]]
    assert _rels(collection["links"])["items"]["type"] == "application/geo+json"
    assert api_client.get(reverse("ogc:collection", kwargs={"collection_id": "sites"})).json() == collection


def test_an_unknown_collection_is_a_404(api_client):
    response = api_client.get(reverse("ogc:collection", kwargs={"collection_id": "pubs"}))
    assert response.status_code == 404
    assert response.json() == {"detail": "There is no collection pubs: there are sites and regions."}


def test_items_page_with_limit_offset_and_links(api_client):
    SiteFactory.create_batch(5)
    response = api_client.get(ITEMS, {"limit": 2})
    assert response["Content-Type"] == "application/geo+json"
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert body["numberMatched"] == 5
    assert body["numberReturned"] == 2
    links = _rels(body["links"])
    assert links["next"]["href"] == "http://testserver/api/ogc/collections/sites/items?limit=2&offset=2"
    assert "prev" not in links
    seen = [feature["id"] for feature in body["features"]]
    while "next" in links:
        body = api_client.get(links["next"]["href"]).json()
        links = _rels(body["links"])
        seen += [feature["id"] for feature in body["features"]]
    assert len(seen) == len(set(seen)) == 5
    assert links["prev"]["href"].endswith("limit=2&offset=2")


def test_a_limit_above_the_maximum_counts_as_the_maximum(api_client):
    SiteFactory.create_batch(2)
    body = api_client.get(ITEMS, {"limit": 50000}).json()
    assert _rels(body["links"])["self"]["href"].endswith("limit=1000&offset=0")


def test_bbox_and_the_portal_filters_work_on_items(api_client, landscape):
    def ids(params):
        return {feature["properties"]["slug"] for feature in api_client.get(ITEMS, params).json()["features"]}

    assert ids({"bbox": "-5,55,-3,57"}) == {"livingston-fill", "glasgow-vectors"}
    assert ids({"bbox": "-5,55,-3,57", "capability": "viral_vectors"}) == {"glasgow-vectors"}
    assert ids({"region": "wales"}) == {"cardiff-planned"}


def test_datetime_matches_when_sites_changed(api_client, landscape, days_ago):
    for site in landscape.values():
        set_updated_at(site, days_ago(10))
    set_updated_at(landscape["glasgow"], days_ago(1))
    since = days_ago(2).isoformat()
    body = api_client.get(ITEMS, {"datetime": f"{since}/.."}).json()
    assert [feature["properties"]["slug"] for feature in body["features"]] == ["glasgow-vectors"]
    body = api_client.get(ITEMS, {"datetime": f"../{since}"}).json()
    assert body["numberMatched"] == 3


def test_bad_items_parameters_are_400s_naming_them(api_client):
    assert api_client.get(ITEMS, {"bbox": "1,2,3"}).json() == {
        "bbox": ["Give four numbers: west,south,east,north."]
    }
    assert api_client.get(ITEMS, {"limit": "0"}).json() == {
        "limit": ["Ensure this value is greater than or equal to 1."]
    }
    assert api_client.get(ITEMS, {"datetime": "2026-01-02/2026-01-01"}).json() == {
        "datetime": ["The start must not be after the end."]
    }
    assert api_client.get(ITEMS, {"f": "kml"}).json() == {"f": ["Unknown format. Use one of: geojson, json."]}
    response = api_client.get(ITEMS, {"bbox-crs": "EPSG:27700"})
    assert response.status_code == 400
    assert list(response.json()) == ["bbox-crs"]


def test_one_item(api_client, landscape):
    site = landscape["glasgow"]
    response = api_client.get(reverse("ogc:item", kwargs={"collection_id": "sites", "feature_id": site.pk}))
    assert response["Content-Type"] == "application/geo+json"
    feature = response.json()
    assert feature["id"] == site.pk
    assert feature["geometry"] == {"type": "Point", "coordinates": [-4.25, 55.86]}
    assert _rels(feature["links"])["collection"]["href"] == "http://testserver/api/ogc/collections/sites"
    for missing in ("999999", "glasgow"):
        url = reverse("ogc:item", kwargs={"collection_id": "sites", "feature_id": missing})
        assert api_client.get(url).status_code == 404


def test_items_as_plain_json_when_asked(api_client, landscape):
    response = api_client.get(ITEMS, {"f": "json"})
    assert response["Content-Type"] == "application/json"
    assert response.json()["type"] == "FeatureCollection"


def test_items_queries_do_not_grow_with_rows(api_client, django_assert_num_queries):
    SiteFactory.create_batch(5)
    # numberMatched; one page of features; Last-Modified
    with django_assert_num_queries(3):
        api_client.get(ITEMS)
    SiteFactory.create_batch(45)
    with django_assert_num_queries(3):
        api_client.get(ITEMS)


def test_items_answer_304_when_unchanged(api_client, landscape):
    etag = api_client.get(ITEMS)["ETag"]
    assert api_client.get(ITEMS, HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_queryables_are_json_schema_with_their_own_media_type(api_client):
    response = api_client.get("/api/ogc/collections/sites/queryables")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/schema+json"
    body = response.json()
    assert body["type"] == "object"
    assert set(body["properties"]) == {"status", "region", "organisation_kind"}
    assert "scotland" in body["properties"]["region"]["enum"]
    assert (
        api_client.get("/api/ogc/collections/regions/queryables")["Content-Type"] == "application/schema+json"
    )
    missing = api_client.get("/api/ogc/collections/pubs/queryables")
    assert missing.status_code == 404
    assert missing["Content-Type"] == "application/json"


def test_the_regions_are_a_collection_of_polygons(api_client):
    body = api_client.get("/api/ogc/collections/regions/items", {"limit": 5}).json()
    assert body["numberMatched"] == 12
    assert body["numberReturned"] == 5
    assert body["features"][0]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert any(link["rel"] == "next" for link in body["links"])
    boxed = api_client.get("/api/ogc/collections/regions/items", {"bbox": "-3.5,55.5,-3,56"}).json()
    assert [feature["id"] for feature in boxed["features"]] == ["scotland"]
    one = api_client.get("/api/ogc/collections/regions/items/wales").json()
    assert one["properties"]["name"] == "Wales"
    assert api_client.get("/api/ogc/collections/regions/items", {"q": "x"}).status_code == 400


def test_the_openapi_document_has_the_media_type_gdal_asks_for(api_client):
    response = api_client.get("/api/ogc/api", {"format": "json"})
    assert response["Content-Type"] == "application/vnd.oai.openapi+json;version=3.0"


def test_f_is_declared_only_with_the_formats_each_resource_serves(api_client):
    schema = api_client.get("/api/ogc/api", {"format": "json"}).json()
    for path, operations in schema["paths"].items():
        for parameter in operations["get"].get("parameters", []):
            if parameter["name"] == "f":
                for value in parameter["schema"]["enum"]:
                    url = path.replace("{collectionId}", "sites").replace("{collection_id}", "sites")
                    if "{" in url:
                        continue
                    response = api_client.get(url, {"f": value})
                    assert response.status_code == 200, (url, value, response.content[:200])
