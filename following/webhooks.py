"""Signed webhooks (Standard Webhooks): endpoints, their secrets, turning changes into deliveries, sending.

Delivery is at least once, and each delivery keeps one `webhook-id` on every try, so a receiver
that remembers the ids it has handled processes each change exactly once. A worker claims a
delivery with a lease (`locked_until`) before sending; a worker killed mid-send leaves the lease
to run out, and the delivery is tried again with the same id. Retries wait
WEBHOOK_RETRY_BASE × 2^(tries − 1), plus up to 50 % of it at random (jitter), so receivers that
failed together do not all come back at once, and each wait is still longer than the one before. After WEBHOOK_MAX_ATTEMPTS tries a delivery is given up; after
WEBHOOK_DISABLE_AFTER failed tries in a row, across deliveries, the endpoint is disabled and
staff are told by email.
"""

import base64
import ipaddress
import json
import logging
import random
import secrets
import socket
import time
import urllib.error
import urllib.request
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import mail_admins
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework_api_key.models import APIKey
from standardwebhooks.webhooks import Webhook

from .changes import Position, changes_after, head
from .models import DeliveryAttempt, DeliveryStatus, WebhookDelivery, WebhookEndpoint
from .searches import Search

logger = logging.getLogger(__name__)

SECRET_PREFIX = "whsec_"  # noqa: S105  (the Standard Webhooks prefix, not a secret)
USER_AGENT = "MMIP-portal-webhooks/1"
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def validate_endpoint_url(url: str) -> None:
    """HTTPS to a public host; ValidationError keyed `url` otherwise.

    The body and its signature cross the internet, so plain HTTP is refused, except to this
    machine where WEBHOOK_ALLOW_LOCAL_HTTP says so (development and tests run local receivers).
    An address that is or resolves to a private or loopback IP is refused: the portal would be
    posting into its own network on a partner's say-so. Delivery checks again (`_post`).
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme == "http" and host in LOCAL_HOSTS and settings.WEBHOOK_ALLOW_LOCAL_HTTP:
        return
    if parts.scheme != "https" or not host:
        raise ValidationError({"url": [_("Use an https:// address.")]})
    if host.rstrip(".") == "localhost" or non_public_address(host) is not None:
        raise ValidationError({"url": [_("Use an address on the public internet.")]})


def non_public_address(host: str) -> str | None:
    """The first private, loopback or otherwise non-public address `host` is or resolves to, if any.

    Written forms such as `127.1`, `0x7f000001` or `localhost.` resolve like any name. A name
    that does not resolve now is not refused here: its delivery fails, or is checked then.
    """
    try:
        return None if ipaddress.ip_address(host).is_global else host
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return None
    for *_rest, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0].split("%")[0])
        if not address.is_global:
            return str(address)
    return None


def endpoint_create(
    *, api_key: APIKey | None, url: str, search: Search, description: str = ""
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its secret, which the caller shows once: it is never displayed again.

    A key may own at most WEBHOOK_ENDPOINTS_PER_KEY endpoints; each is scanned every tick.
    """
    validate_endpoint_url(url)
    with transaction.atomic():
        if api_key is not None:
            # The key's row is locked so two registrations at once cannot both slip under the cap.
            APIKey.objects.select_for_update().only("pk").get(pk=api_key.pk)
            limit = settings.WEBHOOK_ENDPOINTS_PER_KEY
            if WebhookEndpoint.objects.owned_by(api_key).count() >= limit:
                raise ValidationError(
                    _(
                        "This key already has %(limit)d webhook endpoints, the most one key may have. "
                        "Delete one it no longer needs first."
                    )
                    % {"limit": limit}
                )
        secret = new_secret()
        position = head()  # an endpoint hears of changes made after it was registered
        endpoint = WebhookEndpoint.objects.create(
            api_key=api_key,
            url=url,
            query=search.query,
            description=description,
            secret=secret,
            cursor_txid=position.txid,
            cursor_entry=position.entry,
        )
    return endpoint, secret


def endpoint_delete(endpoint: WebhookEndpoint) -> None:
    """The endpoint and its deliveries, pending ones included: nothing more is sent to it."""
    endpoint.delete()


def endpoint_rotate_secret(endpoint: WebhookEndpoint) -> str:
    endpoint.secret = new_secret()
    endpoint.save(update_fields=["secret", "updated_at"])
    return endpoint.secret


def endpoint_enable(endpoint: WebhookEndpoint) -> None:
    endpoint.is_active, endpoint.disabled_at, endpoint.consecutive_failures = True, None, 0
    endpoint.save(update_fields=["is_active", "disabled_at", "consecutive_failures", "updated_at"])


def sign(secret: str, *, msg_id: str, timestamp, body: str) -> str:
    """The `webhook-signature` value: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`."""
    return Webhook(secret).sign(msg_id=msg_id, timestamp=timestamp, data=body)


def queue_test_event(endpoint: WebhookEndpoint) -> WebhookDelivery:
    now = timezone.now()
    event_id = f"test-{now.strftime('%Y%m%d%H%M%S%f')}"
    payload = {"type": "test", "id": event_id, "occurred_at": now.isoformat(), "data": {}}
    return WebhookDelivery.objects.create(
        endpoint=endpoint, event_id=event_id, event_type="test", payload=payload
    )


def endpoint_scan(endpoint: WebhookEndpoint) -> list[WebhookDelivery]:
    """Turn the endpoint's new matching changes into deliveries, oldest first; none is made twice.

    The unique (endpoint, event) pair keeps a change read twice (two schedulers) from being queued twice.
    """
    position = Position(endpoint.cursor_txid, endpoint.cursor_entry)
    changes, position = changes_after(Search(endpoint.query), position)
    created = []
    for change in changes:
        try:
            with transaction.atomic():
                created.append(
                    WebhookDelivery.objects.create(
                        endpoint=endpoint,
                        event_id=change.id,
                        event_type=f"site.{change.kind}",
                        payload={"type": f"site.{change.kind}", "data": change.as_json()},
                    )
                )
        except IntegrityError:
            continue  # delivered or queued already
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        cursor_txid=position.txid, cursor_entry=position.entry
    )
    return created


def due_deliveries(*, now=None):
    now = now or timezone.now()
    return WebhookDelivery.objects.filter(
        status=DeliveryStatus.PENDING, next_attempt_at__lte=now, endpoint__is_active=True
    ).exclude(locked_until__gt=now)


def deliver(delivery_id, *, now=None) -> str | None:
    """Try one delivery if it is due and nobody holds it; the new status, or None if skipped."""
    now = now or timezone.now()
    lease = timedelta(seconds=settings.WEBHOOK_TIMEOUT * 3)
    claimed = due_deliveries(now=now).filter(pk=delivery_id).update(locked_until=now + lease)
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    status_code, error, duration_ms = _post(delivery)
    return _record(delivery, status_code=status_code, error=error, duration_ms=duration_ms)


def _post(delivery: WebhookDelivery) -> tuple[int | None, str, int]:
    endpoint = delivery.endpoint
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True)
    timestamp = timezone.now()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": str(delivery.id),
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": sign(endpoint.secret, msg_id=str(delivery.id), timestamp=timestamp, body=body),
    }
    request = urllib.request.Request(endpoint.url, data=body.encode(), headers=headers, method="POST")  # noqa: S310
    started = time.monotonic()
    status_code, error = None, ""
    if (refused := _refused_host(endpoint.url)) is not None:
        return None, refused, 0
    try:
        with urllib.request.urlopen(request, timeout=settings.WEBHOOK_TIMEOUT) as response:  # noqa: S310
            status_code = response.status
    except urllib.error.HTTPError as exc:
        status_code, error = exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    return status_code, error, int((time.monotonic() - started) * 1000)


def _refused_host(url: str) -> str | None:
    """Why a delivery to `url` must not be made now: its name resolves into a private network
    (it may have changed since it was registered). None when it may go."""
    host = urlsplit(url).hostname or ""
    if host in LOCAL_HOSTS and settings.WEBHOOK_ALLOW_LOCAL_HTTP:
        return None
    address = non_public_address(host)
    if address is None:
        return None
    return f"Refused: {host} resolves to {address}, which is not a public address."


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff with jitter: base × 2^(attempts − 1), times a random 1–1.5."""
    return timedelta(seconds=settings.WEBHOOK_RETRY_BASE * 2 ** (attempts - 1) * random.uniform(1, 1.5))


@transaction.atomic
def _record(delivery: WebhookDelivery, *, status_code, error, duration_ms) -> str:
    now = timezone.now()
    DeliveryAttempt.objects.create(
        delivery=delivery, attempted_at=now, status_code=status_code, error=error, duration_ms=duration_ms
    )
    delivery.attempts += 1
    delivery.last_status_code, delivery.last_error, delivery.locked_until = status_code, error, None
    endpoint = delivery.endpoint
    if status_code is not None and 200 <= status_code < 300:
        delivery.status, delivery.delivered_at = DeliveryStatus.SUCCEEDED, now
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=0)
    else:
        if delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
            delivery.status = DeliveryStatus.FAILED
        else:
            delivery.next_attempt_at = now + retry_delay(delivery.attempts)
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            consecutive_failures=F("consecutive_failures") + 1
        )
        endpoint.refresh_from_db(fields=["consecutive_failures", "is_active"])
        if endpoint.is_active and endpoint.consecutive_failures >= settings.WEBHOOK_DISABLE_AFTER:
            _disable(endpoint, now=now)
    delivery.save()
    return delivery.status


def _disable(endpoint: WebhookEndpoint, *, now) -> None:
    endpoint.is_active, endpoint.disabled_at = False, now
    endpoint.save(update_fields=["is_active", "disabled_at", "updated_at"])
    logger.warning("webhook endpoint disabled", extra={"endpoint": endpoint.pk})
    owner = f"API key {endpoint.api_key.name}" if endpoint.api_key else "registered by staff"
    message = (
        f"The webhook endpoint {endpoint.url} ({owner}) failed "
        f"{endpoint.consecutive_failures} times in a row and has been disabled. "
        "Its owner can re-enable it through the API once the receiver is fixed, or staff in the "
        "admin; pending deliveries resume then."
    )
    transaction.on_commit(lambda: mail_admins("Webhook endpoint disabled", message, fail_silently=True))
