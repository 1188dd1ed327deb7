"""The home, workstream, insights and search pages in chromium: screenshots at desktop and phone width, axe clean."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PAGES = {
    "home": "/",
    "workstream-technology": "/workstreams/technology/",
    "insights": "/insights/?region=scotland",
    "search": "/search/?q=vaccine",
}
WIDTHS = {1280: 900, 375: 812}
BLOCKING = {"serious", "critical"}


@pytest.fixture
def demo_data():
    call_command("load_demo_data", verbosity=0)


def _blocking_violations(page):
    results = Axe().run(page)
    return [
        f"{violation['id']} ({violation['impact']}): {[node['target'] for node in violation['nodes']]}"
        for violation in results.response["violations"]
        if violation["impact"] in BLOCKING
    ]


def test_pages_at_desktop_and_phone_width_have_no_serious_accessibility_problems(
    live_server, page, screenshot_dir, demo_data
):
    problems = {}
    for width, height in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        for name, path in PAGES.items():
            response = page.goto(live_server.url + path)
            assert response.status == 200, path
            page.screenshot(path=str(screenshot_dir / f"{name}-{width}.png"), full_page=True)
            # Nothing may stick out sideways on a phone: the charts must shrink to fit.
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {width}px"
            if violations := _blocking_violations(page):
                problems[f"{path} at {width}px"] = violations
    assert problems == {}


def test_a_newcomer_sees_the_landscape_at_once_and_reaches_anything_in_two_clicks_or_one_search(
    live_server, page, demo_data
):
    page.goto(live_server.url + "/")
    # Within one screen: what the portal is, the figures, the map of regions and a search box.
    for locator in [
        page.get_by_role("heading", name="Who makes medicines where in the UK"),
        page.locator(".stat__value").first,
        page.get_by_role("img", name="Sites per region"),
        page.get_by_role("searchbox", name="Search organisations, sites, case studies and initiatives"),
    ]:
        box = locator.bounding_box()
        assert box is not None and box["y"] + box["height"] <= WIDTHS[1280]
    assert page.locator(".stat__value").first.inner_text() == "161"

    # Two clicks to an initiative: its workstream, then the initiative.
    page.locator(".home-links").get_by_role("link", name="Skills", exact=True).click()
    expect(page).to_have_url(re.compile(r"/workstreams/skills/$"))
    page.get_by_role("link", name="Life Sciences 2030 Skills Strategy").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Life Sciences 2030 Skills Strategy")

    # One search from the header of any page to an organisation.
    search_box = page.get_by_role("searchbox", name="Search the landscape")
    search_box.fill("Seqirus")
    search_box.press("Enter")
    expect(page).to_have_url(re.compile(r"/search/\?q=Seqirus"))
    results = page.locator("#results-organisations")
    expect(results.locator("h2")).to_have_text(re.compile(r"^Organisations"))
    results.get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(r"/organisations/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Seqirus")
