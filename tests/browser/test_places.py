"""Finding things in Chromium: a place typed in the "near" box with the keyboard, the map
labelling a city, and a shared map URL landing on the same view; axe on each."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.browser.test_directory import patient, serious_violations

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

expect.set_options(timeout=30_000)


def test_type_a_place_pick_a_suggestion_with_the_keyboard_and_see_the_nearest_sites(
    live_server, page, screenshot_dir
):
    patient(page)
    call_command("load_demo_data", verbosity=0)
    page.goto(live_server.url + "/sites/?technology=gene_therapy_viral_vectors")
    page.locator("#filter-near summary").click()
    near = page.get_by_role("combobox", name="Near a place")
    near.click()
    near.press_sequentially("Steven", delay=50)
    listbox = page.get_by_role("listbox", name="Suggested places")
    expect(listbox).to_be_visible()
    expect(near).to_have_attribute("aria-expanded", "true")
    expect(listbox.get_by_role("option").first).to_have_text("Stevenage, East of England")
    # The keyboard alone: down to the first suggestion, Enter to take it.
    near.press("ArrowDown")
    expect(listbox.get_by_role("option").first).to_have_attribute("aria-selected", "true")
    expect(near).to_have_attribute("aria-activedescendant", re.compile("id_near-suggestions-0"))
    near.press("Enter")
    expect(near).to_have_value("Stevenage, East of England")
    expect(listbox).to_be_hidden()
    assert serious_violations(page) == []
    page.get_by_label("Within (km)").fill("50")
    page.locator("#site-filters").get_by_role("button", name=re.compile("Apply|Show|Filter")).first.click()
    expect(page).to_have_url(re.compile(r"near=Stevenage"))
    expect(page.locator(".chip", has_text="within 50 km of Stevenage, East of England")).to_be_visible()
    distances = page.locator(".result .muted", has_text="km away")
    expect(distances.first).to_be_visible()
    kms = [float(re.search(r"([\d.]+) km away", text).group(1)) for text in distances.all_inner_texts()]
    assert kms == sorted(kms) and all(km <= 50 for km in kms)
    page.screenshot(path=str(screenshot_dir / "near-stevenage-1280.png"), full_page=True)
    page.set_viewport_size({"width": 375, "height": 800})
    page.screenshot(path=str(screenshot_dir / "near-stevenage-375.png"), full_page=True)
    assert serious_violations(page) == []


def _settled(page):
    page.wait_for_selector("#site-map[data-features]:not([aria-busy])")
    page.wait_for_selector("#site-map[data-labels]")


def test_the_map_labels_a_city_when_zoomed_to_it_and_a_shared_url_lands_on_the_same_view(
    live_server, page, screenshot_dir
):
    patient(page)
    call_command("load_demo_data", verbosity=0)
    page.goto(live_server.url + "/map/")
    _settled(page)
    # Orientation with no tile server: land and coast under the regions, labels for the big cities.
    expect(page.locator("#site-map .leaflet-land-pane path").first).to_be_attached()
    expect(page.locator("#site-map .map-label", has_text="London")).to_be_visible()
    expect(page.locator(".leaflet-control-attribution")).to_contain_text("GeoNames")
    page.screenshot(path=str(screenshot_dir / "map-uk-labels-1280.png"))

    # Zoom in on Stevenage: its label appears, and the URL keeps the view.
    page.goto(live_server.url + "/map/?center=51.9,-0.2&zoom=11")
    _settled(page)
    expect(page.locator("#site-map .map-label", has_text="Stevenage")).to_be_visible()
    assert page.locator("#site-map").get_attribute("data-zoom") == "11"
    page.screenshot(path=str(screenshot_dir / "map-city-labels-1280.png"))

    # Move the map: the URL follows; reload it and land on the same view.
    page.locator("#site-map").focus()
    page.keyboard.press("ArrowRight")
    expect(page).to_have_url(re.compile(r"center=51\.\d+%2C-0\.\d+&zoom=11|center=51\.\d+,-0\.\d+&zoom=11"))
    _settled(page)
    shared = page.url
    centre = re.search(r"center=([-\d.]+)(?:%2C|,)([-\d.]+)", shared).groups()
    page.goto(shared)
    _settled(page)
    assert page.locator("#site-map").get_attribute("data-zoom") == "11"
    expect(page).to_have_url(re.compile(re.escape(centre[0])))
    assert serious_violations(page) == []


def test_the_map_list_pages_through_every_site_in_view(live_server, page):
    patient(page)
    call_command("load_demo_data", verbosity=0)
    page.goto(live_server.url + "/map/")
    _settled(page)
    count = page.locator("#in-view-count")
    expect(count).to_have_text(re.compile(r"Showing 50 of \d+ sites in view\."))
    total = int(re.search(r"of (\d+)", count.inner_text()).group(1))
    first_page = page.locator("#in-view-list li").all_inner_texts()
    page.get_by_role("button", name="Next 50").click()
    expect(count).to_have_text(re.compile(rf"Showing 51–{min(100, total)} of {total} sites in view\."))
    second_page = page.locator("#in-view-list li").all_inner_texts()
    assert not set(first_page) & set(second_page)
    page.get_by_role("button", name="Previous 50").click()
    expect(count).to_have_text(f"Showing 50 of {total} sites in view.")
    assert page.locator("#in-view-list li").all_inner_texts() == first_page
