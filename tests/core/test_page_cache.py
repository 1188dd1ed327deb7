"""Public pages and API answers from the shared cache: never stale, never personal, revalidated by ETag.

Inside a transaction that has written to the landscape, the cache is bypassed by design (it must
see its own writes); these tests let their writes "commit" (`commit()`) so the landscape's
version moves as it does in production.
"""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.manufacturers.factories import SiteFactory

pytestmark = pytest.mark.django_db


def commit():
    """Run the writes' on-commit callbacks (the version bump) and forget them, as a commit does."""
    callbacks, connection.run_on_commit = connection.run_on_commit, []
    for _savepoints, callback, _robust in callbacks:
        callback()


@pytest.fixture
def sites():
    created = SiteFactory.create_batch(3)
    commit()
    return created


def _get(client, url, **headers):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, headers=headers)
    return response, len(queries)


def test_a_public_page_is_served_from_the_cache_with_no_query(client, sites):
    first, _ = _get(client, "/sites/")
    second, queries = _get(client, "/sites/")
    assert (first["X-Cache"], second["X-Cache"]) == ("MISS", "HIT")
    assert queries == 0
    assert second.content == first.content
    assert "public" in second["Cache-Control"] and "stale-while-revalidate" in second["Cache-Control"]
    assert second["ETag"] == first["ETag"] and second["Last-Modified"]


def test_a_write_makes_the_next_request_compute_the_page_afresh(client, sites):
    _get(client, f"/sites/{sites[0].slug}/")
    sites[0].name = "Renamed by the importer"
    sites[0].save()
    commit()
    response, _ = _get(client, f"/sites/{sites[0].slug}/")
    assert response["X-Cache"] == "MISS"
    assert "Renamed by the importer" in response.content.decode()


def test_a_matching_if_none_match_gets_a_304(client, sites):
    first, _ = _get(client, "/sites/")
    again, queries = _get(client, "/sites/", **{"If-None-Match": first["ETag"]})
    assert again.status_code == 304 and queries == 0
    other, _ = _get(client, "/sites/", **{"If-None-Match": '"something-else"'})
    assert other.status_code == 200


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("/sites/?region=wales", "/sites/?region=scotland"),
        ("/sites/?page=1", "/sites/?page=2"),
        ("/sites/?q=sterile", "/sites/?q=sterile&ordering=name"),
        ("/sites/?region=wales&region=scotland", "/sites/?region=scotland"),
        ("/sites/", "/sites/?region="),
    ],
)
def test_the_key_covers_every_query_parameter(client, sites, first, second):
    _get(client, first)
    response, _ = _get(client, second)
    assert response["X-Cache"] == "MISS"


def test_the_order_of_parameters_does_not_split_the_cache(client, sites):
    _get(client, "/sites/?region=wales&capability=aseptic_fill_finish")
    response, _ = _get(client, "/sites/?capability=aseptic_fill_finish&region=wales")
    assert response["X-Cache"] == "HIT"


def test_a_staff_page_is_never_shared_with_an_anonymous_visitor(client, sites):
    staff = get_user_model().objects.create_user("editor", password="x", is_staff=True)  # noqa: S106
    client.force_login(staff)
    as_staff, _ = _get(client, "/sites/")
    assert as_staff["X-Cache"] == "BYPASS" and "private" in as_staff["Cache-Control"]
    client.logout()
    client.cookies.clear()
    anonymous, _ = _get(client, "/sites/")
    assert anonymous["X-Cache"] == "MISS"
    again, _ = _get(client, "/sites/")
    assert again["X-Cache"] == "HIT"


def test_a_page_with_a_form_is_never_stored(client, sites):
    url = f"/sites/{sites[0].slug}/correction/"
    first, _ = _get(client, url)
    client.cookies.clear()
    second, _ = _get(client, url)
    assert first.status_code == second.status_code == 200
    assert "HIT" not in (first["X-Cache"], second["X-Cache"])
    assert "csrftoken" in second.cookies


def test_an_unknown_preview_link_is_never_stored(client):
    for _ in range(2):
        response = client.get("/case-studies/preview/not-a-token/")
        assert response.status_code == 404
        assert response["X-Cache"] != "HIT"


def test_an_api_answer_is_cached_after_the_rate_limit(client, sites, settings):
    settings.API_QUOTAS = {**settings.API_QUOTAS, "anonymous": {"minute": 2, "day": 1000}}
    first, _ = _get(client, "/api/v1/sites/")
    second, _ = _get(client, "/api/v1/sites/")
    assert (first["X-Cache"], second["X-Cache"]) == ("MISS", "HIT")
    assert second.content == first.content and second["ETag"] == first["ETag"]
    assert second["RateLimit-Remaining"] == "0"  # a cached answer is counted like any other
    third, _ = _get(client, "/api/v1/sites/")
    assert third.status_code == 429


def test_an_api_answer_depends_on_the_format_asked_for(client, sites):
    _get(client, "/api/v1/sites/")
    geojson, _ = _get(client, "/api/v1/sites/", Accept="application/geo+json")
    assert geojson["X-Cache"] == "MISS" and geojson["Content-Type"].startswith("application/geo+json")
    again, _ = _get(client, "/api/v1/sites/", Accept="application/geo+json")
    assert again["X-Cache"] == "HIT" and again["Content-Type"].startswith("application/geo+json")


def test_an_api_hit_costs_no_query_and_a_miss_costs_the_same_whatever_the_number_of_sites(client):
    SiteFactory.create_batch(2)
    commit()
    _, few = _get(client, "/api/v1/sites/?format=json")
    SiteFactory.create_batch(8)
    commit()
    _, many = _get(client, "/api/v1/sites/?format=json")
    _, hit = _get(client, "/api/v1/sites/?format=json")
    assert few == many and hit == 0


def test_a_page_miss_costs_the_same_whatever_the_number_of_sites(client):
    SiteFactory.create_batch(2)
    commit()
    _, few = _get(client, "/sites/")
    SiteFactory.create_batch(8)
    commit()
    _, many = _get(client, "/sites/")
    assert few == many


def test_an_api_request_with_a_key_is_always_computed_and_never_stored(client, sites, partner_key):
    _, key = partner_key
    first, _ = _get(client, "/api/v1/sites/", **{"X-Api-Key": key})
    second, queries = _get(client, "/api/v1/sites/", **{"X-Api-Key": key})
    assert first.status_code == second.status_code == 200
    assert "X-Cache" not in second and queries > 0
    anonymous, _ = _get(client, "/api/v1/sites/")
    assert anonymous["X-Cache"] == "MISS"
