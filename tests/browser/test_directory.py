"""The directory in Chromium: its filters work without JavaScript, and it passes axe."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def patient(page):
    """Longer waits: the machine running the suite may be busy (other runs share its two cores)."""
    page.set_default_timeout(60_000)
    page.set_default_navigation_timeout(90_000)


def serious_violations(page) -> list[str]:
    """The axe violations of serious or critical impact, as readable lines."""
    results = Axe().run(page)
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} at "
        + ", ".join(str(node["target"]) for node in violation["nodes"][:3])
        for violation in results.response["violations"]
        if violation["impact"] in {"serious", "critical"}
    ]


@pytest.fixture
def no_script_page(browser, request, screenshot_dir):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        page.screenshot(path=str(screenshot_dir / f"FAILED-{request.node.name}.png"), full_page=True)
    context.close()


def test_directory_filters_work_without_javascript(live_server, no_script_page, screenshot_dir):
    call_command("load_demo_data", verbosity=0)
    page = no_script_page
    patient(page)
    page.goto(live_server.url + "/sites/")
    expect(page.locator("#result-count")).to_have_text("161 sites")
    # "Which sites in Scotland do sterile fill-finish?", asked with the form alone.
    page.locator("#filter-region").get_by_label("Scotland").check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"region=scotland"))
    scotland = int(page.locator("#result-count").inner_text().split()[0])
    assert scotland in range(2, 161)  # some, but not all, sites
    page.locator("#filter-capability summary").click()  # a long facet starts folded
    page.locator("#filter-capability").get_by_label("Aseptic fill-finish").check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"region=scotland.*capability=aseptic_fill_finish"))
    expect(page.locator("#result-count")).to_have_text("1 site")
    assert page.get_by_role("link", name="Symbiosis Pharmaceutical Services, Stirling").is_visible()
    page.screenshot(path=str(screenshot_dir / "directory-scotland-fill-finish-1280.png"), full_page=True)
    page.set_viewport_size({"width": 375, "height": 812})
    page.screenshot(path=str(screenshot_dir / "directory-scotland-fill-finish-375.png"), full_page=True)
    # A chip removes one filter.
    page.locator("a.chip", has_text="Aseptic fill-finish").click()
    expect(page).not_to_have_url(re.compile(r"capability"))
    expect(page.locator("#result-count")).to_have_text(f"{scotland} sites")
    # Sorting is part of the same form.
    page.get_by_label("Sort by").select_option("-name")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"ordering=-name"))
    # Bad input: a message next to the field, not a crash.
    page.goto(live_server.url + "/sites/?near=200,1")
    assert (
        page.locator("#filter-near-error").text_content().strip()
        == "Error: Latitude must be between -90 and 90."
    )


def test_directory_and_site_page_have_no_serious_accessibility_violations(live_server, page, screenshot_dir):
    patient(page)
    call_command("load_demo_data", verbosity=0)
    page.goto(live_server.url + "/sites/?capability=viral_vectors&near=51.9038,-0.1966&radius_km=50")
    assert serious_violations(page) == []
    page.goto(live_server.url + "/sites/?region=wales&capability=viral_vectors&q=zzz")  # the empty state
    assert serious_violations(page) == []
    page.goto(live_server.url + "/sites/?region=atlantis")  # the error state
    assert serious_violations(page) == []
    page.goto(live_server.url + "/organisations/?region=scotland")
    assert serious_violations(page) == []
    page.goto(live_server.url + "/sites/?region=scotland")
    page.get_by_role("link", name="Symbiosis Pharmaceutical Services, Stirling").click()
    page.wait_for_selector("#mini-map .leaflet-overlay-pane path")
    # The region's boundary comes apart from the page, and is drawn under the dots.
    page.wait_for_selector('#mini-map[data-regions-drawn="1"]')
    expect(page.get_by_role("heading", name="Nearest other sites")).to_be_visible()
    assert serious_violations(page) == []
    page.screenshot(path=str(screenshot_dir / "site-page-1280.png"), full_page=True)
    page.set_viewport_size({"width": 375, "height": 812})
    page.screenshot(path=str(screenshot_dir / "site-page-375.png"), full_page=True)
    page.get_by_role("link", name="Symbiosis Pharmaceutical Services", exact=True).first.click()
    page.wait_for_selector("#mini-map .leaflet-overlay-pane path")
    page.wait_for_selector("#mini-map[data-regions-drawn]:not([data-regions-drawn='0'])")
    assert serious_violations(page) == []


def test_on_a_phone_unused_facets_start_folded_so_the_results_come_sooner(live_server, page, browser):
    patient(page)
    call_command("load_demo_data", verbosity=0)
    url = live_server.url + "/sites/?region=scotland"
    without_script = browser.new_context(java_script_enabled=False, viewport={"width": 375, "height": 812})
    unfolded = without_script.new_page()
    unfolded.goto(url)
    unfolded_top = unfolded.locator("#result-count").bounding_box()["y"]
    without_script.close()
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto(url)
    # The facet in use stays open; the others fold.
    expect(page.locator("#filter-region")).to_have_attribute("open", "")
    expect(page.locator("#filter-licence")).not_to_have_attribute("open", "")
    expect(page.locator("#filter-status")).not_to_have_attribute("open", "")
    results_top = page.locator("#result-count").bounding_box()["y"]
    assert results_top < unfolded_top - 400, f"results at {results_top:.0f}px, {unfolded_top:.0f}px unfolded"
    # At desktop width nothing is folded by script.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + "/sites/")
    expect(page.locator("#filter-status")).to_have_attribute("open", "")
