"""How the site filters read in the OpenAPI schema: every parameter with its syntax and an example."""

from drf_spectacular.utils import OpenApiParameter


def _slugs(name: str, what: str, listed_at: str) -> OpenApiParameter:
    return OpenApiParameter(
        name,
        str,
        many=True,
        explode=True,
        description=(
            f"Only sites with any of these {what} (slugs from {listed_at}). Repeat the parameter or separate "
            "values with commas; values are OR-ed, different filters AND-ed."
        ),
    )


SITE_FILTER_PARAMETERS = [
    OpenApiParameter(
        "q",
        str,
        description=(
            "Free-text search, best match first: site and organisation names, what a site does (the names "
            "and synonyms of its capabilities, technologies and licence types, such as mAbs, fill finish, "
            "ATMP, OSD), towns and postcodes, and organisation descriptions. Words match as prefixes."
        ),
    ),
    OpenApiParameter(
        "region", str, many=True, explode=True, description="ITL1 region slugs, such as wales or scotland."
    ),
    _slugs("capability", "capabilities", "/api/v1/capabilities/"),
    _slugs("technology", "technologies", "/api/v1/technologies/"),
    _slugs("licence", "MHRA licence types", "/api/v1/licence-types/"),
    OpenApiParameter(
        "bbox",
        str,
        description="west,south,east,north in WGS84 decimal degrees, such as -5.3,51.3,-2.6,53.5.",
    ),
    OpenApiParameter(
        "near",
        str,
        description=(
            "Where to measure from: a UK town or city (Stevenage; Newport, Wales), an outward postcode (SG1) "
            "or latitude,longitude (51.90,-0.20). Sites within radius_km, nearest first, each with "
            "distance_km. An ambiguous name is a 400 listing its choices. Northern Ireland postcodes are "
            "not available."
        ),
    ),
    OpenApiParameter(
        "radius_km", float, description="With near: the radius in kilometres (0.1 to 1000, default 50)."
    ),
    OpenApiParameter(
        "updated_since",
        str,
        description=(
            "ISO 8601 date (midnight UK time) or date-time with an offset, such as 2026-11-23 or "
            "2026-11-23T09:00:00Z: only sites whose record, organisation or licences changed since."
        ),
    ),
]
