"""Who follows which search: email alerts (no account) and partners' webhook endpoints."""

import uuid

from django.db import models
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import APIKey

from core.models import TimeStampedModel


class AlertFrequency(models.TextChoices):
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")


class AlertQuerySet(models.QuerySet):
    def confirmed(self):
        return self.filter(confirmed_at__isnull=False)

    def due(self, *, now=None):
        """Confirmed alerts whose period has passed since the last digest covered up to."""
        now = now or timezone.now()
        return self.confirmed().filter(
            models.Q(frequency=AlertFrequency.DAILY, covered_until__lte=now - timezone.timedelta(days=1))
            | models.Q(frequency=AlertFrequency.WEEKLY, covered_until__lte=now - timezone.timedelta(days=7))
        )

    def counts_per_search(self):
        """What staff see without the permission to read addresses: how many follow each search."""
        return self.values("query").annotate(subscribers=Count("id")).order_by("-subscribers", "query")


class Alert(TimeStampedModel):
    """An address that asked for a digest of a search's changes. Deleted, address and all, on unsubscribe."""

    email = models.EmailField(_("email"))
    query = models.CharField(_("search"), max_length=1000, blank=True)
    frequency = models.CharField(
        _("frequency"), max_length=10, choices=AlertFrequency.choices, default=AlertFrequency.WEEKLY
    )
    # Names the alert in links (manage, unsubscribe) without giving away the address or the row id.
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    # When the last digest was due (sent, or there was nothing to send): the next is due a period on.
    covered_until = models.DateTimeField(_("last digest due"), default=timezone.now)
    # Where in the changes record (core.changes) the next digest starts.
    cursor_txid = models.BigIntegerField(default=0, editable=False)
    cursor_entry = models.BigIntegerField(default=0, editable=False)
    last_sent_at = models.DateTimeField(_("last digest sent"), null=True, blank=True)

    objects = AlertQuerySet.as_manager()

    class Meta:
        verbose_name = _("email alert")
        verbose_name_plural = _("email alerts")
        permissions = [("view_alert_address", _("Can see subscribers' email addresses"))]
        constraints = [
            models.UniqueConstraint(fields=["email", "query"], name="alert_one_per_address_search")
        ]
        indexes = [models.Index(fields=["email"], name="alert_email_idx")]

    def __str__(self):
        return f"{self.get_frequency_display()}: {self.query or '(all sites)'}"


class WebhookEndpointQuerySet(models.QuerySet):
    def owned_by(self, api_key: APIKey):
        return self.filter(api_key=api_key)


class WebhookEndpoint(TimeStampedModel):
    """A URL a partner (an API key) wants each matching change POSTed to, signed with its own secret."""

    # The key that registered it through the API; empty for an endpoint staff made in the admin.
    api_key = models.ForeignKey(
        APIKey,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="webhook_endpoints",
        verbose_name=_("API key"),
    )
    url = models.URLField(_("URL"), max_length=500)
    query = models.CharField(_("search"), max_length=1000, blank=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    # The signing key (whsec_…): shown once when made or rotated; kept because every signature needs it.
    secret = models.CharField(max_length=100, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    consecutive_failures = models.PositiveIntegerField(_("failed tries in a row"), default=0)
    disabled_at = models.DateTimeField(_("disabled"), null=True, blank=True)
    # Where in the changes record (core.changes) the next scan for deliveries starts.
    cursor_txid = models.BigIntegerField(default=0, editable=False)
    cursor_entry = models.BigIntegerField(default=0, editable=False)

    objects = WebhookEndpointQuerySet.as_manager()

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self):
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Delivered")
    FAILED = "failed", _("Failed (gave up)")


class WebhookDelivery(models.Model):
    """One event for one endpoint: its id is the `webhook-id`, the same on every try (idempotency key)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.CharField(_("event"), max_length=100)  # the change's stable id, or test-…
    event_type = models.CharField(_("type"), max_length=50)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # A worker holds a delivery until then; one killed mid-send lets it go by the lease running out.
    locked_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(_("last response"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event_id"], name="delivery_once_per_event")
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due_idx")]

    def __str__(self):
        return f"{self.event_type} → {self.endpoint}"


class DeliveryAttempt(models.Model):
    """Every try of a delivery and what the receiver answered, for the admin."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="tries")
    attempted_at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["attempted_at"]

    def __str__(self):
        return f"{self.attempted_at:%Y-%m-%d %H:%M:%S} {self.status_code or self.error}"
