"""The map in Chromium: regions and server clusters, zooming into a cluster, filters that narrow
the map and its list and change the URL, the two demo questions, and axe."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.browser.test_directory import patient, serious_violations

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


# The machine running the suite may be busy (other runs share its two cores): be patient, not flaky.
expect.set_options(timeout=30_000)


def _wait_for_map(page):
    page.wait_for_selector("#site-map[data-features]:not([aria-busy])")
    page.wait_for_selector("#site-map[data-regions-loaded='12']")


def test_map_draws_regions_and_clusters_zooms_and_filters(live_server, page, screenshot_dir):
    patient(page)
    call_command("load_demo_data", verbosity=0)
    page.goto(live_server.url + "/map/")
    _wait_for_map(page)
    # The choropleth: one shaded shape per region, and its legend.
    assert page.locator("#site-map .leaflet-overlay-pane path").count() >= 12
    expect(page.locator("#map-legend")).to_be_visible()
    # Clusters from the server, adding up to every site.
    map_element = page.locator("#site-map")
    assert map_element.get_attribute("data-total") == "161"
    clusters = page.locator("#site-map .map-cluster")
    assert clusters.count() >= 2
    assert int(map_element.get_attribute("data-features")) < 161
    expect(page.locator("#in-view-count")).to_have_text("Showing 50 of 161 sites in view.")
    page.screenshot(path=str(screenshot_dir / "map-1280.png"), full_page=True)

    # Clicking (or pressing Enter on) a cluster zooms in.
    zoom = int(map_element.get_attribute("data-zoom"))
    biggest = max(range(clusters.count()), key=lambda i: int(clusters.nth(i).inner_text()))
    clusters.nth(biggest).click()
    expect(map_element).not_to_have_attribute("data-zoom", str(zoom))
    assert int(map_element.get_attribute("data-zoom")) > zoom
    page.wait_for_selector("#site-map[data-features]:not([aria-busy])")
    # "Search this area" turns the view into an area filter, in the URL and the chips.
    page.get_by_role("button", name="Search this area").click()
    expect(page).to_have_url(re.compile(r"/map/\?bbox=-?[0-9.]+%2C"))
    expect(page.locator("a.chip", has_text="Area")).to_be_visible()
    expect(page.get_by_role("button", name="Remove the area filter")).to_be_visible()
    # The URL changes at once; the clusters for the area arrive after their request.
    expect(map_element).not_to_have_attribute("data-total", "161")
    page.wait_for_selector("#site-map[data-features]:not([aria-busy])")
    assert 0 < int(map_element.get_attribute("data-total")) < 161

    # A filter narrows the map and the list, and the URL says so.
    page.goto(live_server.url + "/map/")
    _wait_for_map(page)
    page.locator("#filter-capability summary").click()
    page.locator("#filter-capability").get_by_label("Viral vectors").check()
    expect(page).to_have_url(re.compile(r"/map/\?capability=viral_vectors$"))
    expect(map_element).not_to_have_attribute("data-total", "161")
    vectors = int(map_element.get_attribute("data-total"))
    assert 0 < vectors < 161
    expect(page.locator("#in-view-count")).to_have_text(f"{vectors} sites in view.")
    expect(page.locator("#in-view-list li")).to_have_count(vectors)
    # The form was redrawn by the server with counts under the new filter, and the links follow.
    expect(page.locator("a.chip", has_text="Viral vectors")).to_be_visible()
    assert page.get_by_role("link", name="Show as a list of sites").get_attribute("href") == (
        "/sites/?capability=viral_vectors"
    )
    assert page.get_by_role("link", name="Download these sites (CSV)").get_attribute("href") == (
        "/api/v1/sites/?format=csv&capability=viral_vectors"
    )
    # The shared URL opens the same view: the list shows the same sites as the directory.
    page.wait_for_load_state("networkidle")
    page.goto(live_server.url + "/sites/?capability=viral_vectors")
    expect(page.locator("#result-count")).to_have_text(f"{vectors} sites")


def test_map_answers_the_two_questions_and_passes_axe(live_server, page, screenshot_dir):
    patient(page)
    call_command("load_demo_data", verbosity=0)
    page.goto(live_server.url + "/map/?region=scotland&capability=aseptic_fill_finish")
    _wait_for_map(page)
    expect(page.locator("#in-view-count")).to_have_text("1 site in view.")
    expect(page.locator("#in-view-list")).to_contain_text("Symbiosis Pharmaceutical Services, Stirling")
    assert serious_violations(page) == []

    page.goto(live_server.url + "/map/?capability=viral_vectors&near=51.9038,-0.1966&radius_km=50")
    _wait_for_map(page)
    expect(page.locator("#in-view-list")).to_contain_text("Cell and Gene Therapy Catapult")
    listed = page.locator("#in-view-list li").count()
    page.screenshot(path=str(screenshot_dir / "map-stevenage-1280.png"), full_page=True)
    page.goto(live_server.url + "/sites/?capability=viral_vectors&near=51.9038,-0.1966&radius_km=50")
    expect(page.locator("#result-count")).to_have_text(f"{listed} sites")

    page.set_viewport_size({"width": 375, "height": 812})
    page.goto(live_server.url + "/map/")
    _wait_for_map(page)
    assert serious_violations(page) == []
    # At phone width the page does not scroll sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(screenshot_dir / "map-375.png"), full_page=True)
    # A cluster is a keyboard-reachable button too: Enter zooms in.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + "/map/")
    _wait_for_map(page)
    map_element = page.locator("#site-map")
    zoom = int(map_element.get_attribute("data-zoom"))
    page.locator("#site-map .map-cluster").first.focus()
    page.keyboard.press("Enter")
    expect(map_element).not_to_have_attribute("data-zoom", str(zoom))
    # Sites sharing one point (town-level locations) cannot be split by zooming: a popup lists them.
    page.goto(live_server.url + "/map/?bbox=-0.14,51.50,-0.12,51.52")
    _wait_for_map(page)
    page.locator("#site-map .map-cluster").first.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".leaflet-popup-content a")).to_have_text("List the 7 sites here")
    page.locator(".leaflet-popup-content a").click()
    expect(page.locator("#result-count")).to_have_text("7 sites")
    # A site marker is a keyboard-reachable button with its name; its popup links to the page.
    page.goto(live_server.url + "/map/?region=scotland&capability=aseptic_fill_finish")
    _wait_for_map(page)
    marker = page.locator("#site-map .map-site")
    marker.focus()
    page.keyboard.press("Enter")
    popup_link = page.locator(".leaflet-popup-content a")
    expect(popup_link).to_have_text(re.compile("Symbiosis Pharmaceutical Services, Stirling"))
    popup_link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Stirling (Castle Business Park)")


def test_a_region_name_in_the_map_tooltip_is_text_not_markup(live_server, page):
    """Staff type region names; the map's tooltip must show one as text, even a hostile one."""
    from manufacturers.models import Region

    patient(page)
    hostile = '<img src="x" id="injected" onerror="document.body.dataset.pwned = 1">Wales'
    Region.objects.filter(name="Wales").update(name=hostile)
    page.goto(live_server.url + "/map/")
    _wait_for_map(page)
    tooltip = page.locator(".leaflet-tooltip", has_text="Wales")
    for path in page.locator("#site-map .leaflet-overlay-pane path").all():
        box = path.bounding_box()
        if box:
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        if tooltip.count():
            break
    expect(tooltip).to_contain_text('<img src="x" id="injected"')
    assert page.locator("#injected").count() == 0
    assert page.evaluate("document.body.dataset.pwned") is None
