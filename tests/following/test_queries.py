"""Feeds and digests cost a fixed number of queries, however many changes they carry."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from following import alerts
from tests.following.factories import AlertFactory
from tests.manufacturers.factories import SiteFactory, region

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def digest_queries(count: int) -> int:
    alert = AlertFactory(query="region=scotland", covered_until=timezone.now() - timedelta(days=2))
    for _number in range(count):
        SiteFactory(region=region("scotland"))
    with CaptureQueriesContext(connection) as queries:
        assert alerts.send_digest(alert.pk) is True
    return len(queries)


def feed_queries(client, count: int) -> int:
    for _number in range(count):
        SiteFactory(region=region("wales"))
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/sites/feed/?region=wales").status_code == 200
    return len(queries)


def test_a_digest_costs_the_same_queries_for_one_change_or_many():
    assert digest_queries(1) == digest_queries(6)


def test_a_feed_costs_the_same_queries_for_one_entry_or_many(client):
    assert feed_queries(client, 1) == feed_queries(client, 6)
