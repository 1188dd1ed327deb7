from django_filters import rest_framework as filters

from core.api.filters import updated_since_filter

from ..models import CaseStudy


class CaseStudyApiFilter(filters.FilterSet):
    # The time of the last publication, not of the row: a draft edit is not a public change.
    updated_since = updated_since_filter(
        field_name="last_published_at",
        help_text="Only case studies published or republished at or after this time (ISO 8601).",
    )

    class Meta:
        model = CaseStudy
        fields = []
