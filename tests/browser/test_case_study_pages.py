"""The public case-study pages in Chromium: filtering without JavaScript, and an axe sweep."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _violations(page):
    results = Axe().run(page)
    return [(violation["id"], violation["help"]) for violation in results.response["violations"]]


def test_case_study_pages_filter_without_javascript_and_pass_axe(live_server, browser, screenshot_dir):
    call_command("load_demo_data", verbosity=0)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/case-studies/")
        expect(page.get_by_role("status")).to_have_text("6 case studies")
        page.get_by_label("Technology").select_option(label="Continuous manufacturing")
        page.get_by_role("button", name="Apply filters").click()
        expect(page).to_have_url(re.compile(r"technology=continuous_manufacturing"))
        expect(page.get_by_role("status")).to_have_text("1 case study")
        page.screenshot(path=str(screenshot_dir / "case-study-list-filtered.png"), full_page=True)
        page.get_by_role("link", name="From batch to flow").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("From batch to flow")
        # The changes waiting for review are not on the public page.
        expect(page.locator(".lede")).not_to_contain_text("under ICH Q13")
        page.screenshot(path=str(screenshot_dir / "case-study-detail.png"), full_page=True)
    finally:
        context.close()

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        for path in [
            "/case-studies/",
            "/case-studies/continuous-manufacturing-oral-solid-dose/",
            "/case-studies/compounded-biologics-shelf-life/",
            "/case-studies/?year=1999",
        ]:
            page.goto(f"{live_server.url}{path}")
            assert _violations(page) == [], path
        page.screenshot(path=str(screenshot_dir / "case-study-list-error.png"), full_page=True)
    finally:
        page.close()
