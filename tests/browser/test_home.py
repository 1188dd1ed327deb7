import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_home_page_in_chromium(live_server, page, screenshot_dir):
    call_command("load_demo_data", verbosity=0)
    page.goto(live_server.url + "/")
    assert page.title().startswith("UK medicines manufacturing")
    expect(page.locator(".stat__value").first).to_have_text("161")
    page.screenshot(path=str(screenshot_dir / "home-1280.png"), full_page=True)
    page.set_viewport_size({"width": 375, "height": 812})
    page.screenshot(path=str(screenshot_dir / "home-375.png"), full_page=True)
    page.get_by_role("link", name="Directory", exact=True).first.click()
    expect(page).to_have_url(re.compile(r"/sites/$"))
    expect(page.get_by_role("status").first).to_have_text("161 sites")
