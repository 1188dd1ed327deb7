"""Email alerts without an account: sign up, double opt-in, digests, unsubscribe, manage, limits."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.core import mail
from django.utils import timezone

from following import alerts
from following.models import Alert
from tests.following.factories import AlertFactory
from tests.manufacturers.factories import SiteFactory, region

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("immediate_tasks"),
]


def sign_up(client, capture, email="ann@example.org", query="?region=scotland", frequency="daily"):
    with capture(execute=True):
        return client.post(f"/sites/follow/{query}", {"email": email, "frequency": frequency})


def link(message, pattern):
    return (
        re.search(rf"http://[^\s\"<]*{pattern}[^\s\"<]*", message.body)
        .group(0)
        .removeprefix("http://127.0.0.1:8000")
    )


def test_the_follow_page_offers_the_feeds_and_an_alert_for_the_search(client):
    response = client.get("/sites/follow/?region=scotland")
    html = response.content.decode()
    assert response.status_code == 200
    assert "/sites/feed/?region=scotland" in html and "/sites/feed.json?region=scotland" in html
    assert 'name="email"' in html and "only while you are subscribed" in html


def test_signing_up_sends_a_confirmation_link_and_nothing_else_until_it_is_used(
    client, django_capture_on_commit_callbacks
):
    response = sign_up(client, django_capture_on_commit_callbacks)

    assert response.status_code == 302 and response["Location"].startswith("/alerts/check-your-email/")
    alert = Alert.objects.get()
    assert (alert.email, alert.query, alert.confirmed_at) == ("ann@example.org", "region=scotland", None)
    [message] = mail.outbox
    assert message.to == ["ann@example.org"]
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    confirm = link(message, "/alerts/confirm/")
    # Opening the link (as a mail scanner would) confirms nothing; the button does.
    assert client.get(confirm).status_code == 200
    assert Alert.objects.get().confirmed_at is None
    assert client.post(confirm).status_code == 200
    assert Alert.objects.get().confirmed_at is not None


def test_a_confirmation_link_expires_and_a_tampered_one_is_refused(
    client, django_capture_on_commit_callbacks
):
    sign_up(client, django_capture_on_commit_callbacks)
    confirm = link(mail.outbox[0], "/alerts/confirm/")
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        assert client.post(confirm).status_code == 400
    assert client.post(confirm.replace("/confirm/", "/confirm/x")).status_code == 400
    assert Alert.objects.get().confirmed_at is None


def test_unconfirmed_addresses_are_forgotten_when_their_link_expires():
    AlertFactory(confirmed_at=None)
    assert alerts.alerts_prune_unconfirmed(now=timezone.now() + timedelta(days=1)) == 0
    assert alerts.alerts_prune_unconfirmed(now=timezone.now() + timedelta(days=8)) == 1
    assert not Alert.objects.exists()


def test_a_bad_search_or_address_is_refused_naming_it(client):
    assert client.get("/sites/follow/?region=atlantis").status_code == 400
    response = client.post(
        "/sites/follow/?region=scotland", {"email": "not-an-address", "frequency": "daily"}
    )
    assert response.status_code == 400 and not Alert.objects.exists()


def test_sign_ups_are_limited_per_client_and_per_address(
    client, settings, django_capture_on_commit_callbacks
):
    settings.ALERT_RATE_LIMIT = "2/h"
    assert sign_up(client, django_capture_on_commit_callbacks, email="a@example.org").status_code == 302
    assert sign_up(client, django_capture_on_commit_callbacks, email="a@example.org").status_code == 302
    assert sign_up(client, django_capture_on_commit_callbacks, email="a@example.org").status_code == 429
    other_client = {"REMOTE_ADDR": "192.0.2.7"}
    for _attempt in range(2):
        client.post("/sites/follow/", {"email": "b@example.org", "frequency": "daily"}, **other_client)
    response = client.post(
        "/sites/follow/", {"email": "b@example.org", "frequency": "daily"}, REMOTE_ADDR="192.0.2.8"
    )
    assert response.status_code == 429  # the address's own allowance, from a new client


def test_a_digest_has_the_matching_changes_and_none_is_sent_when_nothing_changed():
    alert = AlertFactory(query="region=scotland", covered_until=timezone.now() - timedelta(days=1))
    quiet = AlertFactory(query="region=wales", covered_until=timezone.now() - timedelta(days=1))
    SiteFactory(name="Glasgow fill-finish", region=region("scotland"), town="Glasgow")
    SiteFactory(name="Stevenage plant")
    later = timezone.now() + timedelta(minutes=10)

    assert alerts.send_digest(alert.pk, now=later) is True
    assert alerts.send_digest(quiet.pk, now=later) is False
    assert alerts.send_digest(alert.pk, now=later) is False  # its window has moved on

    [message] = mail.outbox
    assert "Glasgow fill-finish" in message.body and "Stevenage" not in message.body
    assert message.subject == "1 change to “region: scotland”"
    html = message.alternatives[0][0]
    assert "Added: Glasgow fill-finish" in html and "/unsubscribe/" in html
    assert message.extra_headers["List-Unsubscribe"].startswith("<http://127.0.0.1:8000/alerts/")


def test_one_click_unsubscribe_deletes_the_alert_and_its_address(client):
    alert = AlertFactory(email="ann@example.org")
    url = f"/alerts/{alert.token}/unsubscribe/"
    assert client.get(url).status_code == 200 and Alert.objects.exists()
    # RFC 8058: the mail client's POST carries no cookie and no CSRF token.
    response = client.post(
        url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert not Alert.objects.filter(email="ann@example.org").exists()


def test_the_manage_link_lists_an_addresses_alerts_and_no_one_elses(client):
    mine = AlertFactory(email="ann@example.org", query="region=scotland")
    AlertFactory(email="bob@example.org", query="region=wales")
    html = client.get(f"/alerts/manage/{alerts.manage_token('ann@example.org')}/").content.decode()
    assert "region: scotland" in html and "region: wales" not in html
    assert f"/alerts/{mine.token}/unsubscribe/" in html
    assert client.get("/alerts/manage/forged/").status_code == 400


def test_staff_see_counts_per_search_and_addresses_only_with_the_permission(client, django_user_model):
    AlertFactory(email="ann@example.org", query="region=scotland")
    AlertFactory(email="bob@example.org", query="region=scotland")
    staff = django_user_model.objects.create_user("staff", password="pw", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_alert"))
    client.force_login(staff)

    html = client.get("/admin/following/alert/").content.decode()
    assert "Confirmed subscribers per search" in html and "ann@example.org" not in html
    assert re.search(r"region=scotland</td><td>2</td>", html)

    staff.user_permissions.add(Permission.objects.get(codename="view_alert_address"))
    staff = django_user_model.objects.get(pk=staff.pk)
    client.force_login(staff)
    assert "ann@example.org" in client.get("/admin/following/alert/").content.decode()


def test_the_privacy_page_says_addresses_are_kept_only_while_subscribed(client):
    assert "only while you are subscribed" in client.get("/privacy/").content.decode()
