from django_filters import rest_framework as filters

from core.api.filters import updated_since_filter

from ..models import Initiative, Workstream


class WorkstreamApiFilter(filters.FilterSet):
    updated_since = updated_since_filter()

    class Meta:
        model = Workstream
        fields = []


class InitiativeApiFilter(filters.FilterSet):
    updated_since = updated_since_filter()

    class Meta:
        model = Initiative
        fields = []
