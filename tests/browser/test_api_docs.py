"""The partner guide, the data dictionary and the API docs in Debian's chromium, with an axe sweep.

Chromium's requests to http://testserver are answered by Django's test client (static files from
the finders), so these tests run inside the test's transaction: no live server, no flush that
would empty the reference tables for the browser tests that follow.
"""

import mimetypes

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.staticfiles import finders

from tests.manufacturers.factories import SiteFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

ORIGIN = "http://testserver"


@pytest.fixture
def served_page(page, client):
    def answer(route, request):
        path = request.url.removeprefix(ORIGIN)
        if path.startswith("/static/"):
            found = finders.find(path.removeprefix("/static/").split("?")[0])
            if found is None:
                return route.fulfill(status=404, body="")
            with open(found, "rb") as handle:
                content_type = mimetypes.guess_type(found)[0] or "application/octet-stream"
                return route.fulfill(status=200, body=handle.read(), headers={"Content-Type": content_type})
        response = client.get(path)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        return route.fulfill(status=response.status_code, body=body, headers=dict(response.items()))

    page.route(f"{ORIGIN}/**", answer)
    return page


@pytest.mark.parametrize(
    ("path", "heading", "name"),
    [
        ("/api/", "Open data API: a guide for partners", "api-guide"),
        ("/api/v1/data-dictionary/", "Data dictionary for the bulk downloads", "data-dictionary"),
    ],
)
def test_api_pages_are_accessible(served_page, screenshot_dir, path, heading, name):
    SiteFactory()
    page = served_page
    page.goto(ORIGIN + path)
    assert page.get_by_role("heading", level=1).inner_text() == heading
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    page.screenshot(path=str(screenshot_dir / f"{name}-1280.png"), full_page=True)
    page.set_viewport_size({"width": 375, "height": 812})
    page.screenshot(path=str(screenshot_dir / f"{name}-375.png"), full_page=True)


def test_swagger_ui_renders_the_schema_from_local_files(served_page, screenshot_dir):
    requested_hosts = set()
    page = served_page
    page.on("request", lambda request: requested_hosts.add(request.url.split("/")[2]))
    page.goto(ORIGIN + "/api/v1/docs/")
    page.get_by_text("/api/v1/sites/", exact=True).first.wait_for()
    page.screenshot(path=str(screenshot_dir / "api-docs-1280.png"))
    assert requested_hosts == {"testserver"}  # nothing from a CDN


@pytest.mark.parametrize(
    ("path", "shows"),
    [
        ("/api/", "Building a mirror"),
        ("/api/v1/docs/", "/api/v1/changes/"),
        ("/api/ogc/api.html", "queryables"),
        ("/api/v1/data-dictionary/", "Data dictionary"),
    ],
)
def test_no_docs_page_asks_another_host_for_anything(served_page, path, shows):
    """Offline and under the strict CSP: every docs page renders from this server alone."""
    elsewhere = []
    page = served_page

    def refuse(route, request):
        elsewhere.append(request.url)
        route.abort()

    page.route(lambda url: not url.startswith(ORIGIN), refuse)
    blocked = []
    page.on(
        "console",
        lambda message: blocked.append(message.text) if "Content Security Policy" in message.text else None,
    )
    page.goto(ORIGIN + path)
    page.get_by_text(shows, exact=False).first.wait_for()
    page.wait_for_load_state("networkidle")
    assert elsewhere == []
    assert blocked == []  # nothing the CSP had to stop, such as an inline script
