"""The whole life of a case study in Chromium: an editor drafts and submits, a publisher requests
changes, the editor fixes them, the publisher publishes, and the public page shows it.

A screenshot of each step is saved in tests/browser/artifacts/.
"""

import re

import pytest
from playwright.sync_api import expect

from casestudies.models import CaseStudy
from tests.casestudies.factories import StaffUserFactory
from tests.manufacturers.factories import OrganisationFactory, SiteFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "a long test password 1"


def _log_in(page, base_url, username):
    page.context.clear_cookies()
    page.goto(f"{base_url}/admin/login/?next=/admin/casestudies/casestudy/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name=re.compile("Select case study to"))).to_be_visible()


def _choose(page, field, text):
    """Pick a value in one of the admin's autocomplete (select2) fields."""
    page.locator(f".field-{field} .select2-selection").click()
    page.locator(f".select2-search__field[aria-controls='select2-id_{field}-results']").fill(text)
    page.locator(".select2-results__option", has_text=text).first.click()


def _shot(page, screenshot_dir, name):
    page.screenshot(path=str(screenshot_dir / f"case-study-{name}.png"), full_page=True)


def test_an_editor_and_a_publisher_take_a_case_study_to_the_public_site(live_server, page, screenshot_dir):
    organisation = OrganisationFactory(name="Acme Continuous Pharma")
    SiteFactory(organisation=organisation, name="Acme Stevenage")
    StaffUserFactory(
        username="eddie", first_name="Eddie", last_name="Editor", group="Editors", password=PASSWORD
    )
    StaffUserFactory(
        username="pat", first_name="Pat", last_name="Publisher", group="Publishers", password=PASSWORD
    )
    base = live_server.url

    # 1. The editor drafts a case study and saves it.
    _log_in(page, base, "eddie")
    page.get_by_role("link", name="Add case study").click()
    page.get_by_label("Title:").fill("Continuous tablets at Acme")
    page.get_by_label("Title:").press("Tab")  # the admin fills the slug as the title changes
    expect(page.get_by_label("Slug:")).to_have_value("continuous-tablets-at-acme")
    page.get_by_label("Summary:").fill("How Acme moved a tablet line from batches to flow.")
    page.get_by_label("Body:").fill(
        "## The challenge\n\nDefining a batch.\n\n## What happened\n\n- Early advice\n- A variation"
    )
    _choose(page, "organisation", "Acme Continuous")
    _choose(page, "workstream", "Regulatory")
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    expect(page.locator(".cs-state__label")).to_have_text("Draft")
    _shot(page, screenshot_dir, "1-editor-drafted")

    # 2. The editor submits it for review.
    page.get_by_label("Note for the reviewer (optional)").fill("Ready for a second pair of eyes.")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.locator(".messagelist")).to_contain_text("Submitted for review")
    expect(page.locator(".cs-state__label")).to_have_text("In review")
    _shot(page, screenshot_dir, "2-editor-submitted")
    # An editor is never offered "Publish".
    expect(page.get_by_role("button", name="Publish")).to_have_count(0)

    # 3. The publisher finds it awaiting review and requests changes.
    _log_in(page, base, "pat")
    page.get_by_role("link", name="Awaiting my review").click()
    _shot(page, screenshot_dir, "3-publisher-awaiting-review")
    page.get_by_role("link", name="Continuous tablets at Acme").click()
    expect(page.locator(".cs-trail")).to_contain_text("Ready for a second pair of eyes.")
    page.get_by_label("What needs to change (required)").fill("Say which ICH guideline applies.")
    page.get_by_role("button", name="Request changes").click()
    expect(page.locator(".messagelist")).to_contain_text("Sent back to the editors")
    expect(page.locator(".cs-state__label")).to_have_text("Draft")
    _shot(page, screenshot_dir, "4-publisher-requested-changes")

    # 4. The editor reads the comment, fixes the body and resubmits.
    _log_in(page, base, "eddie")
    page.get_by_role("link", name="Continuous tablets at Acme").click()
    expect(page.locator(".cs-trail")).to_contain_text("Say which ICH guideline applies.")
    page.get_by_label("Body:").fill(
        "## The challenge\n\nDefining a batch under **ICH Q13**.\n\n## What happened\n\n- Early advice\n- A variation"
    )
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.locator(".cs-state__label")).to_have_text("In review")
    _shot(page, screenshot_dir, "5-editor-fixed-and-resubmitted")

    # 5. The publisher publishes it.
    _log_in(page, base, "pat")
    page.get_by_role("link", name="Continuous tablets at Acme").click()
    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("Published: it is now on the public site.")
    expect(page.locator(".cs-state__label")).to_have_text("Published")
    _shot(page, screenshot_dir, "6-publisher-published")

    # 6. The public sees it, with the fixed body, without logging in.
    page.context.clear_cookies()
    page.goto(f"{base}/case-studies/")
    page.get_by_role("link", name="Continuous tablets at Acme").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Continuous tablets at Acme")
    expect(page.locator(".prose strong")).to_have_text("ICH Q13")
    expect(page.get_by_role("link", name="Acme Continuous Pharma")).to_be_visible()
    _shot(page, screenshot_dir, "7-public-page")

    case_study = CaseStudy.objects.get(slug="continuous-tablets-at-acme")
    assert case_study.author.username == "eddie"
    assert case_study.reviewer.username == "pat"
    assert [event.action for event in case_study.events.order_by("pk")] == [
        "created",
        "submitted",
        "changes_requested",
        "edited",
        "submitted",
        "published",
    ]
