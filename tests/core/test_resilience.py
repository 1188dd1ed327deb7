"""Faults of the servers behind the portal: the database or Redis refusing connections.

The database is "stopped" by pointing the default connection at a closed port on this machine
(a real refused TCP connection, as when PostgreSQL is down), then pointed back: the same
connection object must recover with no restart. Redis is a closed port throughout.
"""

import json
import logging
import socket

import pytest
from django.core.cache import cache
from django.db import OperationalError, connections
from django.test import Client, RequestFactory
from django.urls import reverse
from rest_framework.request import Request
from rest_framework.throttling import AnonRateThrottle

from core import health, replicas
from core.cache import LANDSCAPE, bump_namespace, cached
from tests.manufacturers.factories import SiteFactory

pytestmark = pytest.mark.django_db


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once the socket is closed


@pytest.fixture
def database_down():
    """Swap in a default connection aimed at a closed port; yields a function that "restarts" it.

    The test's own connection (holding its transaction) is put back afterwards, untouched.
    """
    original = connections["default"]
    broken = connections.create_connection("default")
    real_settings = broken.settings_dict
    broken.settings_dict = {
        **real_settings,
        "HOST": "127.0.0.1",
        "PORT": str(_closed_port()),
        "OPTIONS": {"connect_timeout": 2},
    }

    def restart():
        broken.settings_dict = real_settings

    connections["default"] = broken
    try:
        yield restart
    finally:
        broken.close()
        connections["default"] = original
        replicas.forget_failures()


@pytest.fixture
def visitor():
    return Client(raise_request_exception=False)


# Pages that read the database (the map page itself does not: its data comes as GeoJSON).
PUBLIC_PAGES = [
    "/",
    "/sites/",
    "/organisations/",
    "/map/clusters.json?zoom=6&bbox=-9,49,2,61",
    "/workstreams/",
    "/case-studies/",
]


def test_public_pages_answer_503_with_a_friendly_page_while_the_database_is_down(visitor, database_down):
    for path in PUBLIC_PAGES:
        response = visitor.get(path)
        assert response.status_code == 503, path
        assert response["Retry-After"] == "30"
        assert response["Cache-Control"] == "no-store"
        body = response.content.decode()
        assert "Sorry, the service is unavailable" in body
        assert "Please try again in 30 seconds." in body
        for leak in ("Traceback", "OperationalError", "psycopg2", "127.0.0.1", "connection"):
            assert leak not in body, (path, leak)
        if not path.endswith(".geojson"):
            assert "portal.css" in body  # in the site's style, without the database


def test_the_api_answers_503_in_json_while_the_database_is_down():
    try:
        raise OperationalError("could not connect to server")
    except OperationalError as error:
        response = health.database_unavailable(RequestFactory().get("/api/v1/sites/"), error)
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert json.loads(response.content) == {
        "detail": "The service is temporarily unavailable. Please try again shortly."
    }


def test_pages_come_back_by_themselves_when_the_database_returns(visitor, database_down):
    assert visitor.get("/workstreams/").status_code == 503
    assert visitor.get("/workstreams/").status_code == 503
    database_down()  # PostgreSQL is back on its port
    response = visitor.get("/workstreams/")
    assert response.status_code == 200
    assert "Skills" in response.content.decode()


def test_health_stays_up_and_readiness_goes_down_with_the_database(visitor, database_down):
    assert visitor.get("/healthz").json() == {"status": "ok"}
    response = visitor.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "checks": {"database": "unavailable", "cache": "ok"}}
    database_down()
    response = visitor.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok"}}


def test_a_database_error_outside_the_view_is_a_503_too():
    # handler500 sees errors raised by middleware (after the view), which process_exception cannot.
    request = RequestFactory().get("/sites/")
    try:
        raise OperationalError("server closed the connection unexpectedly")
    except OperationalError:
        response = health.server_error(request)
    assert response.status_code == 503
    assert response["Retry-After"] == "30"


def test_other_errors_stay_500s():
    request = RequestFactory().get("/sites/")
    try:
        raise ValueError("a bug")
    except ValueError:
        response = health.server_error(request)
    assert response.status_code == 500


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.FailOpenRedisCache",
            "LOCATION": f"redis://127.0.0.1:{_closed_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    yield cache


# Committed, so the pages' reads go through the cache (a transaction that has written the
# landscape and not committed computes them afresh without asking the cache).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_site_keeps_serving_while_redis_is_down(visitor, redis_down, caplog):
    SiteFactory(name="Served without a cache")
    with caplog.at_level(logging.ERROR, logger="core.cache"):
        for path in PUBLIC_PAGES:
            assert visitor.get(path).status_code == 200, path
            # What the cached public reads do on each page (facet counts, clusters, insights).
            assert cached(LANDSCAPE, path, lambda: "computed") == "computed"
        assert "Served without a cache" in visitor.get("/sites/").content.decode()
    # One line when Redis went away, not one per cache call.
    outages = [record for record in caplog.records if "Redis is unavailable" in record.getMessage()]
    assert len(outages) == 1


def test_the_cache_reads_as_misses_and_writes_are_skipped_while_redis_is_down(redis_down):
    assert redis_down.get("anything", "fallback") == "fallback"
    assert redis_down.set("key", "value") is None
    assert redis_down.add("key", "value") is False
    assert redis_down.get_many(["a", "b"]) == {}
    assert redis_down.incr("hits") == 1  # a rate limit lets the request through
    assert redis_down.get_or_set("key", lambda: "computed") == "computed"
    calls = []
    assert cached(LANDSCAPE, "facets", lambda: calls.append(1) or "fresh") == "fresh"
    assert cached(LANDSCAPE, "facets", lambda: calls.append(1) or "fresh") == "fresh"
    assert len(calls) == 2  # computed each time: nothing could be stored
    bump_namespace(LANDSCAPE)  # and invalidation does not raise


def test_readiness_reports_redis_down_while_health_stays_up(visitor, redis_down):
    assert visitor.get("/healthz").status_code == 200
    response = visitor.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "cache": "unavailable"}


def _redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.skipif(
    not _redis_answers(), reason="no Redis on 127.0.0.1:6379 to test the working path against"
)
def test_the_fail_open_backend_is_a_normal_cache_while_redis_is_up(settings, visitor):
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.FailOpenRedisCache",
            "LOCATION": "redis://127.0.0.1:6379/0",
            "KEY_PREFIX": "mmip-test-resilience",
        }
    }
    cache.set("probe", {"a": 1}, 30)
    assert cache.get("probe") == {"a": 1}
    assert cache.incr("probe-count", 1) if cache.add("probe-count", 0, 30) else True
    cache.delete_many(["probe", "probe-count"])
    assert visitor.get(reverse("home")).status_code == 200
    assert visitor.get("/readyz").json()["checks"]["cache"] == "ok"


def test_api_rate_limits_let_requests_through_while_redis_is_down(redis_down, rf):
    # DRF's throttles count in the default cache: with Redis away they must not refuse everyone.
    class OnePerDay(AnonRateThrottle):
        rate = "1/day"

    for _ in range(3):
        assert OnePerDay().allow_request(Request(rf.get("/api/v1/sites/")), view=None) is True


def test_the_503_log_line_names_the_database_that_failed(visitor, database_down, caplog):
    with caplog.at_level(logging.ERROR, logger="core.health"):
        assert visitor.get("/workstreams/").status_code == 503
    assert [record.getMessage() for record in caplog.records if record.name == "core.health"] == [
        "Database unavailable (OperationalError); answered 503. Failed database: default."
    ]


@pytest.fixture
def replica_of_the_test_database(settings, django_db_blocker):
    """A replica alias on the test database itself (its committed rows: the reference data)."""
    connections.settings["replica_0"] = {**connections["default"].settings_dict}
    settings.DATABASE_ROUTERS = ["core.db_routers.PrimaryReplicaRouter"]
    with django_db_blocker.unblock():
        yield
    connections["replica_0"].close()
    del connections["replica_0"]
    del connections.settings["replica_0"]


def test_public_reads_and_the_api_are_served_by_the_replica_while_the_primary_is_down(
    replica_of_the_test_database, database_down, visitor
):
    assert "Skills" in visitor.get("/workstreams/").content.decode()
    response = visitor.get(reverse("api-v1:region-list"))
    assert response.status_code == 200
    assert response.json()["count"] == 12
    assert response["Last-Modified"]
    # Readiness follows the primary: writes, the admin and sign-in need it.
    assert visitor.get("/readyz").status_code == 503
