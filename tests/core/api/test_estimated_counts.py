"""No exact COUNT(*) over a big list: above ESTIMATE_COUNTS_ABOVE rows the directory and the API
give PostgreSQL's estimate as the total; below it (every other test's data) the exact count."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.api import pagination
from core.api.pagination import EstimatedCountPaginator, count_rows, planner_estimate
from manufacturers.models import Site
from tests.manufacturers.factories import SiteFactory, region

pytestmark = pytest.mark.django_db


def _counts(queries) -> list[str]:
    return [query["sql"] for query in queries.captured_queries if "COUNT(*)" in query["sql"].upper()]


@pytest.fixture
def sites():
    return SiteFactory.create_batch(30, region=region("wales"), latitude=51.48, longitude=-3.18)


@pytest.fixture
def big(monkeypatch):
    """Every list counts as big: the threshold is below any estimate."""
    monkeypatch.setattr(pagination, "ESTIMATE_COUNTS_ABOVE", 0)


def test_a_small_list_is_counted_exactly(sites):
    assert count_rows(Site.objects.all()) == (30, False)
    assert count_rows(Site.objects.filter(region__slug="scotland")) == (0, False)


def test_a_big_list_gives_the_planners_estimate_without_counting(sites, big):
    with CaptureQueriesContext(connection) as queries:
        total, estimated = count_rows(Site.objects.filter(region__slug="wales"))
    assert estimated
    assert total == planner_estimate(Site.objects.filter(region__slug="wales")) > 0
    assert not _counts(queries)
    assert any(query["sql"].startswith("EXPLAIN") for query in queries.captured_queries)


def test_the_directory_says_about_for_a_big_list_and_runs_no_count(client, sites, big):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/sites/")
    assert response.status_code == 200
    assert not _counts(queries)
    paginator = response.context["page"].paginator
    assert paginator.count_is_estimate
    assert f"About {paginator.count} sites" in response.content.decode()
    # The first page lists a full page of real sites, even when the estimate is low.
    assert len(response.context["page"].object_list) == 25


def test_a_page_is_never_cut_short_by_a_low_estimate(sites, big, monkeypatch):
    monkeypatch.setattr(pagination, "planner_estimate", lambda queryset: 1)
    page = EstimatedCountPaginator(Site.objects.order_by("name", "id"), 25).get_page(1)
    assert page.paginator.count == 1 and page.paginator.count_is_estimate
    assert len(page.object_list) == 25


def test_the_organisation_directory_runs_no_count_for_a_big_list(client, sites, big):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/organisations/")
    assert response.status_code == 200
    assert not _counts(queries)
    assert response.context["page"].paginator.count_is_estimate
    assert "About " in response.content.decode()


def test_the_api_gives_the_estimate_as_count_for_a_big_list(client, sites, big):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/sites/", {"page_size": 10})
    assert response.status_code == 200
    assert not _counts(queries)
    body = response.json()
    assert body["count"] == planner_estimate(Site.objects.all())
    assert len(body["results"]) == 10 and body["next"]


def test_the_directory_and_the_api_count_a_small_list_exactly(client, sites):
    response = client.get("/sites/")
    assert not response.context["page"].paginator.count_is_estimate
    assert "30 sites" in response.content.decode()
    assert "About 30" not in response.content.decode()
    assert client.get("/api/v1/sites/").json()["count"] == 30
    assert client.get("/api/v1/sites/", {"region": "scotland"}).json()["count"] == 0
