"""The directories' pages: numbered near the top, by keyset cursor below, walked through their links."""

import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.manufacturers.factories import OrganisationFactory, SiteFactory, region

pytestmark = pytest.mark.django_db

SITES = reverse("manufacturers:site-list")
ORGANISATIONS = reverse("manufacturers:organisation-list")


@pytest.fixture
def small_pages(monkeypatch):
    """Pages of 3 rows, the first 2 numbered: a walk of a few rows reaches the keyset pages."""
    monkeypatch.setattr("manufacturers.views.RESULTS_PER_PAGE", 3)
    monkeypatch.setattr("core.paging.NUMBERED_PAGES", 2)


def _link(response, rel: str) -> str | None:
    match = re.search(rf'<a href="(\?[^"]*)" rel="{rel}">', response.content.decode())
    return unescape(match.group(1)) if match else None


def _walk(client, path: str, query: str = "") -> list[tuple[str, list]]:
    """Every page from the first by "Next page": (the link that reached it, its rows)."""
    pages, link = [], f"?{query}"
    while link:
        response = client.get(path + link)
        assert response.status_code == 200, response.content[:500]
        pages.append((link, list(response.context["page"])))
        link = _link(response, "next")
    return pages


def test_a_walk_by_next_page_reads_every_site_once_in_order_past_the_numbered_pages(client, small_pages):
    SiteFactory.create_batch(14, region=region("wales"))
    SiteFactory(region=region("scotland"))  # filtered out

    pages = _walk(client, SITES, "region=wales")

    walked = [site for _link, rows in pages for site in rows]
    expected = sorted(walked, key=lambda site: (site.name, site.pk))
    assert [site.pk for site in walked] == [site.pk for site in expected]
    assert len(walked) == 14 and len(pages) == 5
    links = [link for link, _rows in pages]
    assert "page=2" in links[1] and "cursor" not in links[1]
    # From the last numbered page on, the pages are reached by cursor, never by number.
    assert all("cursor=" in link and "page=" not in link and "region=wales" in link for link in links[2:])


def test_a_keyset_page_says_its_number_and_leads_back_page_by_page(client, small_pages):
    SiteFactory.create_batch(14, region=region("wales"))
    pages = _walk(client, SITES, "region=wales")

    fourth = client.get(SITES + pages[3][0])
    assert "Page 4 of 5" in fourth.content.decode()
    back = client.get(SITES + _link(fourth, "prev"))
    assert [site.pk for site in back.context["page"]] == [site.pk for site in pages[2][1]]
    assert "Page 3 of 5" in back.content.decode()
    # The third page's "previous" is the last numbered page again.
    assert _link(back, "prev") == "?region=wales&page=2"


def test_a_deep_page_reads_by_keyset_with_no_offset_and_as_many_queries_as_the_first(client, small_pages):
    SiteFactory.create_batch(14, region=region("wales"))
    pages = _walk(client, SITES, "region=wales")

    def queries(link):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(SITES + link + "&uncached=1").status_code == 200
        return [query["sql"] for query in captured.captured_queries]

    first, deep = queries("?region=wales"), queries(pages[4][0])
    assert len(deep) == len(first)
    rows_read = [sql for sql in deep if "ORDER BY" in sql and "LIMIT" in sql]
    assert rows_read and not any("OFFSET" in sql for sql in rows_read)


def test_nearest_first_and_a_chosen_ordering_walk_by_keyset_too(client, small_pages):
    for step in range(10):
        SiteFactory(latitude=51.90 + step * 0.01, longitude=-0.20)

    nearest = _walk(client, SITES, "near=51.9,-0.2&radius_km=50")
    distances = [site.distance_km for _link, rows in nearest for site in rows]
    assert len(distances) == 10 and distances == sorted(distances)

    by_name = _walk(client, SITES, "ordering=-name")
    names = [site.name for _link, rows in by_name for site in rows]
    assert len(names) == 10 and names == sorted(names, reverse=True)


def test_the_organisation_directory_walks_by_keyset_past_its_numbered_pages(client, small_pages):
    for _ in range(8):
        SiteFactory(organisation=OrganisationFactory())

    pages = _walk(client, ORGANISATIONS)

    names = [organisation.name for _link, rows in pages for organisation in rows]
    assert len(names) == 8 and names == sorted(names)
    assert "cursor=" in pages[-1][0]


def test_a_numbered_page_past_the_numbered_ones_is_refused_with_the_way_there(client, small_pages):
    SiteFactory.create_batch(14, region=region("wales"))

    response = client.get(f"{SITES}?region=wales&page=3")

    html = response.content.decode()
    assert response.status_code == 400
    assert "Pages after page 2 are reached with “Next page” from page 2" in html
    assert html.count('role="alert"') == 1
    # The filters stay usable: the sidebar still counts the valid search.
    regions = {facet["name"]: facet for facet in response.context["facets"]}["region"]["values"]
    assert {value["value"]: value["count"] for value in regions}["wales"] == 14


@pytest.mark.parametrize(
    "cursor",
    ["not-a-cursor", "eyJrIjpbIm5hbWUiXSwidiI6WzFdfQ", "%00"],
    ids=["garbage", "another ordering", "nul"],
)
def test_a_bad_cursor_is_a_400_that_says_so(client, small_pages, cursor):
    SiteFactory.create_batch(4)

    response = client.get(f"{SITES}?cursor={cursor}")

    assert response.status_code == 400
    assert "cursor" in response.content.decode()


def test_a_cursor_made_for_another_ordering_is_refused(client, small_pages):
    SiteFactory.create_batch(10)
    deep = _walk(client, SITES, "ordering=-name")[3][0]

    response = client.get(SITES + deep.replace("ordering=-name", "ordering=name"))

    assert response.status_code == 400
    assert "different ordering" in response.content.decode()


def test_removing_a_filter_from_a_deep_page_starts_again_at_the_first_page(client, small_pages):
    SiteFactory.create_batch(14, region=region("wales"))
    deep = _walk(client, SITES, "region=wales")[3][0]

    chips = client.get(SITES + deep).context["chips"]

    assert [chip["remove_query"] for chip in chips] == [""]


def test_organisations_found_by_a_search_walk_by_rank_without_a_repeat_or_a_gap(client, small_pages):
    # Ranks that differ and ranks that tie: names that say "vaccine" once, twice or three times.
    for index in range(9):
        organisation = OrganisationFactory(name=f"{'Vaccine ' * (index % 3 + 1)}maker {index}")
        SiteFactory(organisation=organisation, name=f"Plant {index}")

    pages = _walk(client, ORGANISATIONS, "q=vaccine")

    walked = [organisation.pk for _link, rows in pages for organisation in rows]
    assert len(walked) == 9 == len(set(walked))
    assert "cursor=" in pages[-1][0]


def test_a_page_number_past_the_end_of_a_short_list_gives_its_last_page(client, small_pages):
    SiteFactory.create_batch(4, region=region("wales"))

    response = client.get(f"{SITES}?region=wales&page=9")

    assert response.status_code == 200
    assert response.context["page"].number == 2 and len(response.context["page"]) == 1
