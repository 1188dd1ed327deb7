"""Background work for following a search (django-tasks; the worker is `manage.py db_worker`).

`follow_tick` (run every minute by the scheduler process, see docs/deployment.md) finds what is
due and queues these; each is safe to run twice.
"""

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from . import alerts, webhooks
from .models import Alert, WebhookDelivery, WebhookEndpoint


@task()
def send_confirmation(alert_id: int) -> None:
    alert = Alert.objects.filter(pk=alert_id, confirmed_at__isnull=True).first()
    if alert is not None:
        alerts.send_confirmation_email(alert)


@task()
def send_digest(alert_id: int) -> bool:
    return alerts.send_digest(alert_id)


@task()
def deliver_webhook(delivery_id: str) -> str | None:
    status = webhooks.deliver(delivery_id)
    delivery = WebhookDelivery.objects.filter(pk=delivery_id, status="pending").first()
    # Without a deferring backend (immediate) the next tick retries it instead.
    if status == "pending" and delivery is not None and deliver_webhook.get_backend().supports_defer:
        deliver_webhook.using(run_after=delivery.next_attempt_at).enqueue(delivery_id)
    return status


def queue_confirmation(alert: Alert) -> None:
    """Send the confirmation email from the worker once the sign-up has committed (again on a repeat sign-up)."""
    transaction.on_commit(lambda: send_confirmation.enqueue(alert.pk))


def enqueue_delivery(delivery: WebhookDelivery) -> None:
    transaction.on_commit(lambda: deliver_webhook.enqueue(str(delivery.pk)))


def tick(*, now=None) -> dict[str, int]:
    """Queue what is due: digests, new changes for each endpoint, deliveries waiting to be tried."""
    now = now or timezone.now()
    counts = {"digests": 0, "deliveries": 0, "pruned": alerts.alerts_prune_unconfirmed(now=now)}
    for alert_id in Alert.objects.due(now=now).values_list("pk", flat=True).iterator():
        send_digest.enqueue(alert_id)
        counts["digests"] += 1
    for endpoint in WebhookEndpoint.objects.filter(is_active=True):
        webhooks.endpoint_scan(endpoint)
    # Due as of now, after the scan, so the deliveries it just made are among them.
    for delivery_id in webhooks.due_deliveries().values_list("pk", flat=True).iterator():
        deliver_webhook.enqueue(str(delivery_id))
        counts["deliveries"] += 1
    return counts
