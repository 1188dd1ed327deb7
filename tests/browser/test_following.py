"""Following a search in Chromium: from a filtered directory page to an alert, confirmed, then stopped."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from following import alerts
from following.models import Alert
from tests.browser.test_directory import patient, serious_violations
from tests.manufacturers.factories import SiteFactory, region

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_follow_this_search_confirm_and_unsubscribe(live_server, page, settings, screenshot_dir):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.PORTAL_URL = live_server.url
    SiteFactory(name="Glasgow fill-finish", region=region("scotland"))
    patient(page)

    page.goto(live_server.url + "/sites/?region=scotland")
    page.get_by_role("link", name="Follow this search").click()
    expect(page).to_have_url(re.compile(r"/sites/follow/\?region=scotland"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Follow this search")
    assert serious_violations(page) == []

    page.get_by_label("Your email address").fill("ann@example.org")
    page.get_by_label("Daily").check()
    page.get_by_role("button", name="Email me about changes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    assert serious_violations(page) == []

    [message] = mail.outbox
    confirm = re.search(r"http://\S+/alerts/confirm/\S+", message.body).group(0)
    page.goto(confirm)
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your alert")
    assert serious_violations(page) == []
    page.get_by_role("button", name="Confirm my alert").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your alert is on")
    alert = Alert.objects.get()
    assert alert.confirmed_at is not None

    # The next day's digest, as a mail client shows it, and the search's feed in the browser.
    site = SiteFactory(name="Clyde fill-finish", town="Glasgow", region=region("scotland"))
    site.town = "Paisley"
    site.save()
    assert alerts.send_digest(alert.pk, now=timezone.now() + timedelta(days=1, minutes=1))
    digest = mail.outbox[-1]
    html = digest.alternatives[0][0]
    assert "Added: Clyde fill-finish" in html
    other = page.context.new_page()
    other.set_content(html)
    other.screenshot(path=str(screenshot_dir / "following-digest-email.png"), full_page=True)
    other.goto(live_server.url + "/sites/feed/?region=scotland")
    other.screenshot(path=str(screenshot_dir / "following-feed-atom.png"), full_page=True)
    other.close()

    page.get_by_role("link", name="Stop this alert").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Stop this alert")
    assert serious_violations(page) == []
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You are unsubscribed")
    assert serious_violations(page) == []
    assert not Alert.objects.exists()
