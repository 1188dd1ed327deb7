"""Filters for the public list of case studies: technology, topic, organisation and year, in the URL.

    /case-studies/?technology=continuous_manufacturing&topic=gmp_inspection&organisation=astrazeneca&year=2025

The parameter names follow the directory's grammar (manufacturers/filters.py). Invalid values are
form errors, which the page answers with 400 and a message naming the field.
"""

from django.db.models.functions import ExtractYear
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from manufacturers.models import Organisation, Technology

from .models import CaseStudy, RegulatoryTopic


def _years(request=None):
    years = (
        CaseStudy.objects.published()
        .annotate(year=ExtractYear("first_published_at"))
        .order_by("-year")
        .values_list("year", flat=True)
        .distinct()
    )
    return [(year, str(year)) for year in years]


class CaseStudyFilter(filters.FilterSet):
    technology = filters.ModelChoiceFilter(
        queryset=Technology.objects.none(),
        to_field_name="slug",
        field_name="technologies",
        label=_("Technology"),
        empty_label=_("Any technology"),
    )
    topic = filters.ModelChoiceFilter(
        queryset=RegulatoryTopic.objects.none(),
        to_field_name="slug",
        field_name="topics",
        label=_("Regulatory topic"),
        empty_label=_("Any topic"),
    )
    organisation = filters.ModelChoiceFilter(
        queryset=Organisation.objects.none(),
        to_field_name="slug",
        field_name="organisation",
        label=_("Organisation"),
        empty_label=_("Any organisation"),
    )
    year = filters.ChoiceFilter(
        choices=_years,
        method="filter_year",
        label=_("Year published"),
        empty_label=_("Any year"),
    )

    class Meta:
        model = CaseStudy
        fields = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Offer only values used by published case studies, decided now (scheduling depends on
        # the time): a choice must never reveal an unpublished case study's organisation.
        published = CaseStudy.objects.published()
        self.filters["technology"].queryset = (
            Technology.objects.filter(case_studies__in=published).distinct().order_by("name")
        )
        self.filters["topic"].queryset = (
            RegulatoryTopic.objects.filter(case_studies__in=published).distinct().order_by("name")
        )
        self.filters["organisation"].queryset = (
            Organisation.objects.filter(case_studies__in=published).distinct().order_by("name")
        )

    def filter_year(self, queryset, name, value):
        # The value is one of the offered years, so it is a whole number.
        return queryset.filter(first_published_at__year=int(value)) if value else queryset
