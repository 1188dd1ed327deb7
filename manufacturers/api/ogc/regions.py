"""The OGC API's second collection and the queryables of both: the ITL1 regions with their boundaries.

A region layer beside the sites lets a GIS user see which region a cluster of sites falls in,
and filter the sites by the region's slug (a queryable of the sites collection).
"""

from django import forms
from django.db.models import Count, Q
from django.utils.translation import gettext as _
from rest_framework import exceptions

from core.api.renderers import ORJSONRenderer

from ...filters import BoundingBoxField
from ...models import OrganisationKind, Region, SiteStatus
from ..serializers import RegionGeoJSONSerializer

SCHEMA_JSON = "application/schema+json"
JSON_SCHEMA_DRAFT = "https://json-schema.org/draft/2019-09/schema"
REGION_PARAMETERS = frozenset({"f", "format", "limit", "offset", "bbox"})


class SchemaJSONRenderer(ORJSONRenderer):
    """JSON Schema documents (queryables) with their own media type, as OGC API - Features Part 3 asks."""

    media_type = SCHEMA_JSON
    # Not "json": `f=json` then gives application/json, and an error is JSON like every other.
    format = "schema+json"


def queryables(collection_id: str, url: str) -> dict:
    """The properties a client may filter a collection's items by (`?name=value`), as JSON Schema.

    GDAL turns `-where "status = 'closed'"` into `?status=closed` for a queryable property and
    filters the rest itself, so only properties the items endpoint accepts as equality filters
    are listed.
    """
    properties = {}
    if collection_id == "sites":
        properties = {
            "status": {"title": _("Status"), "type": "string", "enum": SiteStatus.values},
            "region": {"title": _("Region (slug)"), "type": "string", "enum": list(region_slugs())},
            "organisation_kind": {
                "title": _("Kind of organisation"),
                "type": "string",
                "enum": OrganisationKind.values,
            },
        }
    return {
        "$schema": JSON_SCHEMA_DRAFT,
        "$id": url,
        "type": "object",
        "title": collection_id,
        "properties": properties,
        "additionalProperties": False,
    }


def region_slugs():
    return Region.objects.order_by("code").values_list("slug", flat=True)


def region_extent() -> list[float]:
    return [-8.65, 49.86, 1.77, 60.86]  # the UK: every region lies inside it


def region_features(request, *, limit: int, offset: int) -> tuple[list[dict], int]:
    """A page of regions as features (boundary as geometry) and how many match the `bbox`."""
    unknown = sorted(set(request.query_params) - REGION_PARAMETERS)
    if unknown:
        message = _("Unknown query parameter. The regions accept: %(allowed)s.") % {
            "allowed": ", ".join(sorted(REGION_PARAMETERS))
        }
        raise exceptions.ValidationError({name: [message] for name in unknown})
    regions = Region.objects.annotate(site_count=Count("sites")).order_by("code")
    if raw_box := request.query_params.get("bbox"):
        try:
            box = BoundingBoxField(required=False).clean(raw_box)
        except forms.ValidationError as error:
            raise exceptions.ValidationError({"bbox": error.messages}) from None
        # The frames that overlap the box: a region touching it is one a user looking there sees.
        regions = regions.filter(
            Q(min_longitude__lte=box["east"], max_longitude__gte=box["west"])
            & Q(min_latitude__lte=box["north"], max_latitude__gte=box["south"])
        )
    matched = regions.count()
    rows = regions[offset : offset + limit]
    return list(RegionGeoJSONSerializer(rows, many=True, context={"request": request}).data), matched


def region_feature(request, feature_id: str) -> dict:
    region = Region.objects.annotate(site_count=Count("sites")).filter(slug=feature_id).first()
    if region is None:
        raise exceptions.NotFound(_("There is no region %(id)s.") % {"id": feature_id})
    return dict(RegionGeoJSONSerializer(region, context={"request": request}).data)
