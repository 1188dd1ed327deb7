"""Replica routing that degrades, never fails: a replica that does not answer is left out for a while.

A "stopped" replica is an alias aimed at a closed port on this machine (a real refused TCP
connection); a working one is an alias on the test database itself. Reads that fall back land
on the primary.
"""

import logging
import socket
import time

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse

from core import replicas
from core.db_routers import PRIMARY, PrimaryReplicaRouter, use_primary
from manufacturers.models import Site
from tests.manufacturers.factories import SiteFactory

# Committed rows, as in production: inside a test transaction every read would go to the primary.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once the socket is closed


@pytest.fixture
def add_replica(settings, django_db_blocker):
    """Adds replica aliases (`stopped=True`: one that refuses connections) with the router installed.

    Unblocked, as aliases made after the test started are unknown to the test's database guard.
    """
    added = []

    def add(*, stopped: bool) -> str:
        alias = f"replica_{len(added)}"
        base = connections["default"].settings_dict
        connections.settings[alias] = (
            {**base, "HOST": "127.0.0.1", "PORT": str(_closed_port()), "OPTIONS": {"connect_timeout": 2}}
            if stopped
            else {**base}
        )
        added.append(alias)
        settings.DATABASE_ROUTERS = ["core.db_routers.PrimaryReplicaRouter"]
        return alias

    with django_db_blocker.unblock():
        yield add
    for alias in added:
        connections[alias].close()
        del connections[alias]
        del connections.settings[alias]
    replicas.forget_failures()


@pytest.fixture
def visitor():
    return Client(raise_request_exception=False)


def test_pages_and_the_api_are_served_from_the_primary_while_the_replica_is_down(add_replica, visitor):
    add_replica(stopped=True)
    SiteFactory(name="Read from the primary")
    for path in ["/sites/", "/organisations/", "/map/clusters.json?zoom=6&bbox=-9,49,2,61", "/"]:
        assert visitor.get(path).status_code == 200, path
    assert "Read from the primary" in visitor.get("/sites/").content.decode()
    response = visitor.get(reverse("api-v1:site-list"))
    assert response.status_code == 200
    assert [site["name"] for site in response.json()["results"]] == ["Read from the primary"]


def test_a_replica_that_does_not_answer_is_named_in_the_log_once_and_left_out(add_replica, caplog):
    alias = add_replica(stopped=True)
    router = PrimaryReplicaRouter()
    with caplog.at_level(logging.WARNING, logger="core.replicas"):
        assert router.db_for_read(Site) == PRIMARY
        assert router.db_for_read(Site) == PRIMARY
    messages = [record.getMessage() for record in caplog.records]
    assert messages == [f"Database {alias} unavailable (OperationalError); not asked again for 10 s."]


def test_reads_go_to_another_replica_when_one_is_down(add_replica):
    add_replica(stopped=True)
    working = add_replica(stopped=False)
    router = PrimaryReplicaRouter()
    assert {router.db_for_read(Site) for _ in range(10)} == {working}


def test_a_replica_is_left_out_for_its_back_off_then_asked_again(add_replica, settings):
    settings.DATABASE_REPLICA_RETRY_AFTER = 0.5
    alias = add_replica(stopped=True)
    router = PrimaryReplicaRouter()
    assert router.db_for_read(Site) == PRIMARY
    connections[alias].settings_dict = {**connections["default"].settings_dict}  # it answers again
    assert router.db_for_read(Site) == PRIMARY  # not asked during its back-off
    time.sleep(0.6)
    assert router.db_for_read(Site) == alias


def test_use_primary_still_wins(add_replica):
    add_replica(stopped=False)
    with use_primary():
        assert PrimaryReplicaRouter().db_for_read(Site) == PRIMARY


def test_readiness_needs_the_primary_and_reports_a_replica_down_as_degraded(add_replica, visitor):
    alias = add_replica(stopped=True)
    response = visitor.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "checks": {"database": "ok", f"database:{alias}": "unavailable", "cache": "ok"},
    }


def test_readiness_is_plain_ok_with_every_replica_up(add_replica, visitor):
    alias = add_replica(stopped=False)
    response = visitor.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", f"database:{alias}": "ok", "cache": "ok"},
    }
