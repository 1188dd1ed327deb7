"""Signed webhooks against a local receiver: signatures, retries, disabling, idempotent delivery."""

import json

import pytest
import time_machine
from django.core import mail
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from following import webhooks
from following.models import DeliveryStatus, WebhookDelivery
from following.tasks import tick
from tests.following.factories import WebhookEndpointFactory
from tests.manufacturers.factories import SiteFactory, region

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("immediate_tasks"),
]


def test_each_matching_change_is_posted_signed_as_standard_webhooks_says(receiver):
    hook = receiver()
    endpoint = WebhookEndpointFactory(url=hook.url, query="region=scotland")
    SiteFactory(name="Glasgow", region=region("scotland"))
    SiteFactory(name="Stevenage")

    tick()

    [request] = hook.requests
    headers = request["headers"]
    payload = Webhook(endpoint.secret).verify(request["body"], headers)
    assert payload["type"] == "site.added" and payload["data"]["site"]["name"] == "Glasgow"
    assert endpoint.secret.startswith("whsec_")
    assert headers["webhook-signature"].startswith("v1,")
    delivery = WebhookDelivery.objects.get()
    assert headers["webhook-id"] == str(delivery.id)
    assert (delivery.status, delivery.last_status_code) == (DeliveryStatus.SUCCEEDED, 200)
    with pytest.raises(Exception, match="signature"):
        Webhook(webhooks.new_secret()).verify(request["body"], headers)


def test_a_change_is_delivered_once_however_often_the_changes_are_scanned(receiver):
    hook = receiver()
    WebhookEndpointFactory(url=hook.url)
    SiteFactory(name="Glasgow")
    tick()
    tick()
    assert len(hook.requests) == 1 and WebhookDelivery.objects.count() == 1


def test_a_500_is_retried_with_growing_delays_then_given_up(receiver, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 4
    hook = receiver(status=500)
    endpoint = WebhookEndpointFactory(url=hook.url)
    delivery = webhooks.queue_test_event(endpoint)

    waits, last_try = [], timezone.now()
    for _attempt in range(4):
        delivery.refresh_from_db()
        with time_machine.travel(delivery.next_attempt_at, tick=False):
            assert webhooks.deliver(delivery.pk) is not None
        delivery.refresh_from_db()
        waits.append((delivery.next_attempt_at - last_try).total_seconds())
        last_try = delivery.next_attempt_at

    assert len(hook.requests) == 4
    assert len({request["headers"]["webhook-id"] for request in hook.requests}) == 1  # one idempotency key
    assert waits[0] < waits[1] < waits[2]
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.FAILED, 4, 500)
    assert [attempt.status_code for attempt in delivery.tries.all()] == [500, 500, 500, 500]


def test_a_name_that_now_resolves_into_a_private_network_is_not_posted_to(receiver):
    # Registered when it pointed elsewhere; its address now names this machine (127.1 is 127.0.0.1).
    hook = receiver()
    endpoint = WebhookEndpointFactory(url=hook.url.replace("127.0.0.1", "127.1"))
    delivery = webhooks.queue_test_event(endpoint)

    webhooks.deliver(delivery.pk)

    assert hook.requests == []
    [attempt] = delivery.tries.all()
    assert attempt.status_code is None
    assert attempt.error == "Refused: 127.1 resolves to 127.0.0.1, which is not a public address."


def test_a_receiver_that_never_answers_is_disabled_after_n_failures_and_staff_are_told(
    receiver, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_DISABLE_AFTER = 3
    settings.WEBHOOK_TIMEOUT = 0.3
    hook = receiver(delay=2)
    endpoint = WebhookEndpointFactory(url=hook.url)
    with django_capture_on_commit_callbacks(execute=True):
        for _number in range(4):
            webhooks.queue_test_event(endpoint)
            tick()

    endpoint.refresh_from_db()
    assert not endpoint.is_active and endpoint.disabled_at is not None
    assert endpoint.consecutive_failures == 3
    assert len(hook.requests) == 3  # nothing more is tried once it is disabled
    assert "timed out" in WebhookDelivery.objects.exclude(last_error="").first().last_error
    assert any("disabled" in message.subject for message in mail.outbox)


def test_a_delivery_held_by_a_worker_that_died_is_sent_again_with_the_same_id(receiver):
    hook = receiver()
    endpoint = WebhookEndpointFactory(url=hook.url)
    delivery = webhooks.queue_test_event(endpoint)
    # A worker claims the delivery and is killed before it records an answer.
    webhooks.due_deliveries().filter(pk=delivery.pk).update(
        locked_until=timezone.now() + timezone.timedelta(seconds=30)
    )

    assert webhooks.deliver(delivery.pk) is None  # nobody else sends it while the lease holds
    assert hook.requests == []
    with time_machine.travel(timezone.now() + timezone.timedelta(seconds=31)):
        tick()  # the scheduler finds it due again
        tick()
    assert len(hook.requests) == 1
    assert hook.requests[0]["headers"]["webhook-id"] == str(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempts == 1


def test_the_admin_sends_a_test_event_and_rotates_the_secret_showing_it_once(
    admin_client, receiver, django_capture_on_commit_callbacks
):
    hook = receiver()
    endpoint = WebhookEndpointFactory(url=hook.url)
    old_secret = endpoint.secret
    changelist = "/admin/following/webhookendpoint/"

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            changelist, {"action": "send_test_event", "_selected_action": [endpoint.pk]}, follow=True
        )
    assert response.status_code == 200
    [request] = hook.requests
    assert json.loads(request["body"])["type"] == "test"

    response = admin_client.post(
        changelist, {"action": "rotate_secret", "_selected_action": [endpoint.pk]}, follow=True
    )
    endpoint.refresh_from_db()
    assert endpoint.secret != old_secret and endpoint.secret in response.content.decode()
    assert endpoint.secret not in admin_client.get(f"{changelist}{endpoint.pk}/change/").content.decode()
    deliveries = admin_client.get("/admin/following/webhookdelivery/").content.decode()
    assert "test" in deliveries and "200" in deliveries
