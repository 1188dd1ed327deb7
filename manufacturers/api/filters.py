"""The API's site filters: the portal's one URL grammar (SiteFilter), plus `updated_since` for syncing."""

import datetime

from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from ..filters import BoundingBoxFilter, PointFilter, SiteFilter, SlugMultipleFilter
from ..models import Licence, Organisation, OrganisationKind


class ISO8601Field(forms.CharField):
    """An ISO 8601 date (`2026-11-23`, midnight UK time) or date-time (`2026-11-23T09:00:00Z`)."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        try:
            moment = parse_datetime(value)
            if moment is None and (day := parse_date(value)) is not None:
                moment = datetime.datetime.combine(day, datetime.time.min)
        except ValueError:
            moment = None
        if moment is None:
            raise forms.ValidationError(
                _("Enter an ISO 8601 date or date-time, such as 2026-11-23 or 2026-11-23T09:00:00Z."),
                code="invalid",
            )
        return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


class UpdatedSinceFilter(filters.Filter):
    field_class = ISO8601Field


# Text parameters with a syntax of their own; the descriptions are in schema.py.
for _filter_class in (BoundingBoxFilter, PointFilter, SlugMultipleFilter, UpdatedSinceFilter):
    extend_schema_field(OpenApiTypes.STR)(_filter_class)


class SiteApiFilter(SiteFilter):
    updated_since = UpdatedSinceFilter(
        method="filter_updated_since",
        label=_("Changed since (ISO 8601)"),
        help_text=_(
            "Only sites whose record, organisation or licences changed at or after this time: "
            "a date (midnight UK time) or a date-time with an offset."
        ),
    )

    def filter_updated_since(self, queryset, name, value):
        if not value:
            return queryset
        licence_changed = Licence.objects.filter(site_id=OuterRef("pk"), updated_at__gte=value)
        return queryset.filter(
            Q(updated_at__gte=value) | Q(organisation__updated_at__gte=value) | Exists(licence_changed)
        )


class OrganisationApiFilter(filters.FilterSet):
    kind = filters.MultipleChoiceFilter(
        choices=OrganisationKind.choices, label=_("Kind of organisation"), help_text=_("Repeat for several.")
    )
    updated_since = UpdatedSinceFilter(
        field_name="updated_at", lookup_expr="gte", label=_("Changed since (ISO 8601)")
    )
    ordering = filters.OrderingFilter(
        fields=(("name", "name"), ("updated_at", "updated_at"), ("site_count", "site_count"))
    )

    class Meta:
        model = Organisation
        fields = []

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        # A tie-breaker on id, so a row never appears on two pages.
        return queryset.order_by(*queryset.query.order_by, "id") if queryset.query.order_by else queryset
