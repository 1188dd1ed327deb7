"""The API's site filters: the portal's one URL grammar (SiteFilter), plus `updated_since` for syncing."""

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from core.api.filters import UpdatedSinceFilter, updated_since_filter

from ..filters import BoundingBoxFilter, PointFilter, SiteFilter, SlugMultipleFilter
from ..models import Licence, Organisation, OrganisationKind

# Text parameters with a syntax of their own; the descriptions are in schema.py.
for _filter_class in (BoundingBoxFilter, PointFilter, SlugMultipleFilter):
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
    updated_since = updated_since_filter()
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
