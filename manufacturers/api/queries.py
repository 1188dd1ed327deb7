"""The site rows the API, its CSV and GeoJSON formats and the bulk downloads read, in one query each.

Capabilities, technologies and licences come back as arrays of slugs from correlated
subqueries (PostgreSQL ARRAY(...)), so a page or a whole-dataset stream needs no prefetch
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


# The columns a bulk download reads with .values(): flat names, no model instances.
EXPORT_VALUES = {
    "organisation_name": F("organisation__name"),
    "organisation_slug": F("organisation__slug"),
    "organisation_kind": F("organisation__kind"),
    "organisation_website": F("organisation__website"),
    "region_name": F("region__name"),
    "region_slug": F("region__slug"),
}


def site_rows_for_export(queryset=None):
    """Plain dicts, one per site, for streaming: every field a download writes, in one query."""
    return (
        sites_with_taxonomy_slugs(queryset)
        .annotate(**EXPORT_VALUES)
        .order_by("id")
        .values(
            "id",
            "slug",
            "name",
            "status",
            "town",
            "postcode",
            "latitude",
            "longitude",
            "location_precision",
            "source_urls",
            "confidence",
            "last_verified_on",
            "created_at",
            "updated_at",
            "capability_slugs",
            "technology_slugs",
            "licence_type_slugs",
            "licence_bases",
            *EXPORT_VALUES,
        )
    )
