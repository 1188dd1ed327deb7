"""The expensive public reads (facet counts, map regions and clusters, insights, the home page's
figures and charts) come from the shared cache until the next write to the landscape.

These tests commit their data (transactional), as production does: inside a transaction that
has written the landscape and not committed, `cached()` computes afresh (see test_resilience and
tests of core.cache), so a test's own uncommitted rows are never served stale.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.cache import LANDSCAPE, cached
from manufacturers.filters import SiteFilter
from manufacturers.models import Organisation, Site
from manufacturers.services import organisation_save, site_save
from tests.manufacturers.factories import OrganisationFactory, SiteFactory, region

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

UK = "bbox=-9,49,2,61"
EXPENSIVE_READS = [
    "/",
    "/sites/",
    "/sites/?region=scotland",
    "/organisations/",
    "/map/",
    "/map/regions.geojson",
    f"/map/clusters.json?zoom=6&{UK}",
    "/api/v1/sites/facets/",
    "/api/v1/sites/",
    "/insights/",
    "/insights/?status=operational",
]


@pytest.fixture
def landscape():
    organisation = OrganisationFactory(name="Cached Pharma", kind="cdmo")
    SiteFactory.create_batch(
        3,
        organisation=organisation,
        region=region("scotland"),
        latitude=55.86,
        longitude=-4.25,
        status="operational",
    )
    SiteFactory.create_batch(2, region=region("wales"), latitude=51.48, longitude=-3.18, status="planned")
    return organisation


def _get(client, path):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, path
    return response, len(queries)


@pytest.mark.parametrize("path", EXPENSIVE_READS)
def test_a_repeated_read_is_served_from_the_cache_and_answers_the_same(client, landscape, path):
    first, first_queries = _get(client, path)
    second, second_queries = _get(client, path)
    assert second_queries < first_queries
    assert second.content == first.content


@pytest.mark.parametrize(
    ("path", "queries"),
    [
        ("/map/regions.geojson", 0),
        (f"/map/clusters.json?zoom=6&{UK}", 0),
        # The whole API answer, its Last-Modified stamp included, comes from the cache (core.page_cache).
        ("/api/v1/sites/facets/", 0),
    ],
)
def test_a_cached_json_read_makes_no_other_query(client, landscape, path, queries, django_assert_num_queries):
    client.get(path)
    with django_assert_num_queries(queries):
        assert client.get(path).status_code == 200


def test_the_same_filters_written_differently_share_the_facet_counts(client, landscape):
    client.get("/api/v1/sites/facets/?region=scotland,wales&status=planned")
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/sites/facets/?status=planned&region=wales&region=scotland")
    # Only the slugs are looked up to validate them; no facet is counted again.
    assert not any("GROUP BY" in query["sql"] for query in queries.captured_queries)
    assert response.json()["region"] == {"wales": 2}


def test_a_different_filter_or_zoom_is_not_served_another_ones_entry(client, landscape):
    assert client.get("/api/v1/sites/facets/").json()["status"] == {"operational": 3, "planned": 2}
    assert client.get("/api/v1/sites/facets/?region=wales").json()["status"] == {"planned": 2}
    assert client.get(f"/map/clusters.json?zoom=6&{UK}").json()["total"] == 5
    assert client.get("/map/clusters.json?zoom=6&bbox=-6,51,-2,54").json()["total"] == 2


def test_a_site_saved_through_the_service_invalidates_every_cached_read(client, landscape):
    before = {path: client.get(path).content for path in EXPENSIVE_READS}
    assert client.get("/api/v1/sites/facets/").json()["status"] == {"operational": 3, "planned": 2}

    site = Site.objects.filter(status="planned").first()
    site.status = "operational"
    site_save(site=site, reason="Now open")

    facets = client.get("/api/v1/sites/facets/").json()
    assert facets["status"] == {"operational": 4, "planned": 1}
    regions = client.get("/map/regions.geojson").json()["features"]
    assert {f["id"]: f["properties"]["site_count"] for f in regions}["wales"] == 2
    insights = client.get("/insights/?status=operational").content.decode()
    assert insights != before["/insights/?status=operational"].decode()
    # Every other read was recomputed too (the planned count shows on each).
    for path in ("/sites/", "/map/", "/insights/"):
        assert client.get(path).content != before[path], path


def test_a_new_site_shows_at_once_on_the_home_page_and_the_map(client, landscape):
    assert client.get(f"/map/clusters.json?zoom=6&{UK}").json()["total"] == 5
    home_before = client.get("/").content
    SiteFactory(region=region("wales"), latitude=51.48, longitude=-3.18, status="operational")
    assert client.get(f"/map/clusters.json?zoom=6&{UK}").json()["total"] == 6
    assert client.get("/").content != home_before


def test_an_organisation_saved_through_the_service_invalidates_the_facet_counts(client, landscape):
    assert client.get("/api/v1/sites/facets/").json()["organisation_kind"]["cdmo"] >= 3
    organisation = Organisation.objects.get(pk=landscape.pk)
    kinds_before = client.get("/api/v1/sites/facets/").json()["organisation_kind"]
    organisation.kind = "biotech"
    organisation_save(organisation=organisation, reason="Reclassified")
    kinds_after = client.get("/api/v1/sites/facets/").json()["organisation_kind"]
    assert kinds_after.get("biotech", 0) == kinds_before.get("biotech", 0) + 3
    assert kinds_after.get("cdmo", 0) == kinds_before["cdmo"] - 3


def test_an_uncommitted_write_is_seen_by_its_own_transaction_and_never_cached(landscape):
    from django.db import transaction

    def counts():
        return SiteFilter({}, queryset=Site.objects.all()).cached_facet_counts()

    assert counts()["status"] == {"operational": 3, "planned": 2}
    with transaction.atomic():
        SiteFactory(status="closed")
        assert counts()["status"] == {"operational": 3, "planned": 2, "closed": 1}
        transaction.set_rollback(True)
    # Rolled back: the cached counts are still right, and the uncommitted ones were never stored.
    assert counts()["status"] == {"operational": 3, "planned": 2}
    assert cached(LANDSCAPE, "probe", lambda: "fresh") == "fresh"
