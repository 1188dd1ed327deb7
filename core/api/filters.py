"""Filters every API list shares: `updated_since`, an ISO 8601 date or date-time."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_field

ISO8601_HELP = _("Enter an ISO 8601 date or date-time, such as 2026-11-23 or 2026-11-23T09:00:00Z.")


def parse_moment(value: str) -> datetime.datetime | None:
    """An ISO 8601 date (midnight, UK time) or date-time as an aware datetime; None if it is neither."""
    if "\x00" in value:
        return None
    try:
        moment = parse_datetime(value)
        if moment is None and (day := parse_date(value)) is not None:
            moment = datetime.datetime.combine(day, datetime.time.min)
        if moment is None:
            return None
        moment = timezone.make_aware(moment) if timezone.is_naive(moment) else moment
        # In UTC: PostgreSQL refuses offsets beyond ±15:59, which ISO 8601 text can still carry.
        return moment.astimezone(datetime.UTC)
    except (ValueError, OverflowError):
        return None


class ISO8601Field(forms.CharField):
    """An ISO 8601 date (`2026-11-23`, midnight UK time) or date-time (`2026-11-23T09:00:00Z`)."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        moment = parse_moment(value)
        if moment is None:
            raise forms.ValidationError(ISO8601_HELP, code="invalid")
        return moment


@extend_schema_field({"type": "string", "format": "date-time"})
class UpdatedSinceFilter(filters.Filter):
    field_class = ISO8601Field


def updated_since_filter(**options) -> UpdatedSinceFilter:
    """`updated_since`: rows whose `updated_at` is at or after the given moment."""
    options.setdefault("field_name", "updated_at")
    options.setdefault("lookup_expr", "gte")
    options.setdefault("label", _("Changed since (ISO 8601)"))
    options.setdefault(
        "help_text", _("Only rows changed at or after this time: a date (midnight UK time) or a date-time.")
    )
    return UpdatedSinceFilter(**options)
