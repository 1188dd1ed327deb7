"""The site rows the API and its CSV and GeoJSON formats read, in one query per page.

Capabilities, technologies and licences come back as arrays of slugs from correlated
subqueries (PostgreSQL ARRAY(...)), so a page needs no prefetch
queries and `.values()` rows carry everything a CSV or GeoJSON row needs.
"""

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import F, OuterRef

from ..models import Licence, Site


def sites_with_taxonomy_slugs(queryset=None):
    """Sites with their organisation and region joined, and `capability_slugs`, `technology_slugs`,
    `licence_type_slugs` and `licence_bases` (aligned with the licence types) annotated."""
    queryset = Site.objects.all() if queryset is None else queryset
    capabilities = Site.capabilities.through.objects.filter(site_id=OuterRef("pk")).order_by(
        "capability__slug"
    )
    technologies = Site.technologies.through.objects.filter(site_id=OuterRef("pk")).order_by(
        "technology__slug"
    )
    licences = Licence.objects.filter(site_id=OuterRef("pk")).order_by("licence_type__slug")
    return (
        queryset.select_related("organisation", "region")
        # A region's boundary is kilobytes of coordinates: never read it once per site.
        .defer(
            "search_vector", "region__boundary", "organisation__search_vector", "organisation__description"
        )
        .annotate(
            capability_slugs=ArraySubquery(capabilities.values("capability__slug")),
            technology_slugs=ArraySubquery(technologies.values("technology__slug")),
            licence_type_slugs=ArraySubquery(licences.values("licence_type__slug")),
            licence_bases=ArraySubquery(licences.values("basis")),
        )
    )


# Flat names for the organisation's and region's columns, as the CSV and GeoJSON rows read them.
EXPORT_VALUES = {
    "organisation_name": F("organisation__name"),
    "organisation_slug": F("organisation__slug"),
    "organisation_kind": F("organisation__kind"),
    "organisation_website": F("organisation__website"),
    "region_name": F("region__name"),
    "region_slug": F("region__slug"),
}
