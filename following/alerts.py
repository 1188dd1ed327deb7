"""Email alerts: sign up, confirm (double opt-in), digests, unsubscribe. Every write is here.

An address is kept only while it is subscribed: unsubscribing deletes the alert, and a sign-up
that is never confirmed is deleted once its confirmation link has expired (`follow_tick`).
"""

from dataclasses import astuple
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from .changes import Position, changes_after, head
from .models import Alert
from .searches import Search

CONFIRM_SALT = "following.alert.confirm"
MANAGE_SALT = "following.alert.manage"


def absolute(path: str) -> str:
    return settings.PORTAL_URL + path


def confirm_token(alert: Alert) -> str:
    return signing.dumps(str(alert.token), salt=CONFIRM_SALT, compress=True)


def manage_token(email: str) -> str:
    # No expiry: the link in any email, however old, still reaches the address's alerts.
    return signing.dumps(email.lower(), salt=MANAGE_SALT, compress=True)


def email_from_manage_token(token: str) -> str | None:
    try:
        return signing.loads(token, salt=MANAGE_SALT)
    except signing.BadSignature:
        return None


def unsubscribe_url(alert: Alert) -> str:
    return absolute(reverse("following:alert-unsubscribe", kwargs={"token": alert.token}))


@transaction.atomic
def alert_subscribe(*, email: str, search: Search, frequency: str) -> Alert:
    """Record a sign-up (a repeat sign-up finds the one it made); the caller queues the confirmation email."""
    alert, _created = Alert.objects.get_or_create(
        email=email.strip().lower(), query=search.query, defaults={"frequency": frequency}
    )
    if alert.frequency != frequency and alert.confirmed_at is None:
        alert.frequency = frequency
        alert.save(update_fields=["frequency", "updated_at"])
    return alert


def alert_confirm(token: str) -> Alert | None:
    """The alert a confirmation link names, confirmed now; None when the link is bad or has expired."""
    try:
        alert_token = signing.loads(
            token, salt=CONFIRM_SALT, max_age=timedelta(days=settings.ALERT_CONFIRM_MAX_AGE_DAYS)
        )
    except signing.BadSignature:
        return None
    alert = Alert.objects.filter(token=alert_token).first()
    if alert is not None and alert.confirmed_at is None:
        now = timezone.now()
        alert.confirmed_at = alert.covered_until = now
        # The first digest tells of what changed after the confirmation, not before.
        alert.cursor_txid, alert.cursor_entry = astuple(head())
        alert.save(
            update_fields=["confirmed_at", "covered_until", "cursor_txid", "cursor_entry", "updated_at"]
        )
    return alert


def alert_unsubscribe(alert: Alert) -> None:
    """Forget the alert and, with it, the address (unless it follows other searches)."""
    alert.delete()


def alerts_prune_unconfirmed(*, now=None) -> int:
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.ALERT_CONFIRM_MAX_AGE_DAYS)
    deleted, _ = Alert.objects.filter(confirmed_at__isnull=True, created_at__lt=cutoff).delete()
    return deleted


def send_confirmation_email(alert: Alert) -> None:
    link = absolute(reverse("following:alert-confirm", kwargs={"token": confirm_token(alert)}))
    context = {
        "alert": alert,
        "search": Search(alert.query),
        "confirm_url": link,
        "days": settings.ALERT_CONFIRM_MAX_AGE_DAYS,
        "portal": settings.PORTAL_NAME,
    }
    _send(alert, "following/email/confirm", context)


def send_digest(alert_id: int, *, now=None) -> bool:
    """Send one alert's digest if it has changes; move its window on either way. True if mail went."""
    now = now or timezone.now()
    with transaction.atomic():
        # Locked and skipped by other workers, so two workers never send one digest twice.
        alert = Alert.objects.select_for_update(skip_locked=True).filter(pk=alert_id).due(now=now).first()
        if alert is None:
            return False
        search = Search(alert.query)
        changes, position = changes_after(search, Position(alert.cursor_txid, alert.cursor_entry))
        if changes:
            context = {
                "alert": alert,
                "search": search,
                "changes": changes,
                "since": alert.covered_until,
                "portal": settings.PORTAL_NAME,
                "portal_url": settings.PORTAL_URL,
                "search_url": absolute(reverse("manufacturers:site-list") + "?" + alert.query),
            }
            _send(alert, "following/email/digest", context)
            alert.last_sent_at = now
        alert.covered_until = now
        alert.cursor_txid, alert.cursor_entry = astuple(position)
        alert.save(
            update_fields=["covered_until", "cursor_txid", "cursor_entry", "last_sent_at", "updated_at"]
        )
    return bool(changes)


def _send(alert: Alert, template: str, context: dict) -> None:
    context = context | {
        "unsubscribe_url": unsubscribe_url(alert),
        "manage_url": absolute(
            reverse("following:alert-manage", kwargs={"token": manage_token(alert.email)})
        ),
    }
    subject = render_to_string(f"{template}_subject.txt", context).strip()
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"{template}.txt", context),
        to=[alert.email],
        headers={
            # RFC 8058: a mail client may unsubscribe with one POST, no page to visit.
            "List-Unsubscribe": f"<{context['unsubscribe_url']}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    message.send()
