"""The whole-dataset site downloads, written by PostgreSQL a batch of sites at a time.

Serialising a million rows one by one in Python runs at a few MB/s; PostgreSQL builds the same
CSV lines and GeoJSON features many times faster. Each batch is one query over a keyset range of
ids (`id > last id`, `LIMIT batch_size`) that returns the batch's text as one string, so memory
stays flat whatever the size of the dataset, and a download starts at once.

The output is the API serialisers' (`SiteCSVSerializer`, `SiteGeoJSONSerializer`): byte for byte
in CSV, value for value in GeoJSON. `tests/manufacturers/api/test_exports.py` holds the two to each other on
awkward data (formula injection, quotes, line breaks, whole-number coordinates, summer time).
"""

from collections.abc import Iterator

from django.db import connection
from django.urls import reverse
from django.utils import timezone

from core.csv_safety import sql_safe_cell

from ..importing.columns import ORGANISATION_TYPE_LABELS, SLUG_SEPARATOR, SOURCE_SEPARATOR
from ..models import (
    Capability,
    Licence,
    LicenceType,
    Organisation,
    OrganisationKind,
    Region,
    Site,
    Technology,
)
from .serializers import SiteCSVSerializer
from .serializers.common import SLUG_PLACEHOLDER

BATCH_SIZE = 5000


def _literal(value: str) -> str:
    # %% because the batch query is run with parameters.
    return "'" + value.replace("'", "''").replace("%", "%%") + "'"


def _tables() -> dict[str, str]:
    return {
        "site": Site._meta.db_table,
        "organisation": Organisation._meta.db_table,
        "region": Region._meta.db_table,
        "capability": Capability._meta.db_table,
        "site_capability": Site.capabilities.through._meta.db_table,
        "technology": Technology._meta.db_table,
        "site_technology": Site.technologies.through._meta.db_table,
        "licence": Licence._meta.db_table,
        "licence_type": LicenceType._meta.db_table,
    }


# The batch and the text of its relations, aggregated once per batch rather than once per row.
# The relations are read by a range of site ids, which their site_id indexes serve: a list of
# ids (IN) would make PostgreSQL scan the whole of each relation for every batch.
# The cells are computed in a subquery fenced with OFFSET 0 so each is worked out once: without
# the fence PostgreSQL inlines a cell's expression everywhere the line refers to it.
_BATCH = """
WITH batch AS (
    SELECT id, slug, name, status, town, postcode, latitude, longitude, location_precision,
           source_urls, confidence, updated_at, organisation_id, region_id
    FROM {site} WHERE id > %(after)s ORDER BY id LIMIT %(limit)s
),
caps AS (
    SELECT t.site_id, array_agg(c.slug ORDER BY c.slug) AS slugs
    FROM {site_capability} t JOIN {capability} c ON c.id = t.capability_id
    WHERE t.site_id > %(after)s AND t.site_id <= (SELECT max(id) FROM batch) GROUP BY t.site_id
),
techs AS (
    SELECT t.site_id, array_agg(c.slug ORDER BY c.slug) AS slugs
    FROM {site_technology} t JOIN {technology} c ON c.id = t.technology_id
    WHERE t.site_id > %(after)s AND t.site_id <= (SELECT max(id) FROM batch) GROUP BY t.site_id
),
lics AS (
    SELECT l.site_id, array_agg(lt.slug ORDER BY lt.slug) AS slugs,
           CASE WHEN count(DISTINCT l.basis) = 1 THEN min(l.basis)
                ELSE string_agg(l.basis, ';' ORDER BY lt.slug) END AS basis
    FROM {licence} l JOIN {licence_type} lt ON lt.id = l.licence_type_id
    WHERE l.site_id > %(after)s AND l.site_id <= (SELECT max(id) FROM batch) GROUP BY l.site_id
),
cells AS (
    SELECT b.id, {cells}
    FROM batch b
    JOIN {organisation} o ON o.id = b.organisation_id
    JOIN {region} r ON r.id = b.region_id
    LEFT JOIN caps ON caps.site_id = b.id
    LEFT JOIN techs ON techs.site_id = b.id
    LEFT JOIN lics ON lics.site_id = b.id
    OFFSET 0
)
SELECT max(id), count(*), string_agg({line}, {separator} ORDER BY id) FROM cells
"""


def _number(expression: str) -> str:
    """A float as Python writes it: PostgreSQL's shortest form, with '.0' on whole numbers."""
    return f"({expression}::text || CASE WHEN {expression}::text ~ '^-?[0-9]+$' THEN '.0' ELSE '' END)"


def _iso_datetime(expression: str, zone: str) -> str:
    """A timestamp as DRF's DateTimeField writes it: local time, microseconds when there are any,
    and 'Z' for a zero offset."""
    local = f"({expression} AT TIME ZONE {_literal(zone)})"
    offset = f"({local} - ({expression} AT TIME ZONE 'UTC'))"
    return (
        f"(to_char({local}, 'YYYY-MM-DD\"T\"HH24:MI:SS')"
        f" || CASE WHEN extract(microseconds FROM {expression})::bigint %% 1000000 <> 0"
        f" THEN to_char({local}, '.US') ELSE '' END"
        f" || CASE WHEN {offset} = interval '0' THEN 'Z'"
        f" WHEN {offset} > interval '0' THEN '+' || to_char({offset}, 'HH24:MI')"
        f" ELSE '-' || to_char(-{offset}, 'HH24:MI') END)"
    )


def _quoted(column: str) -> str:
    """A cell as csv.writer writes it: in double quotes when it holds a comma, quote or line break."""
    return (
        f"(CASE WHEN {column} ~ '[,\"\\r\\n]' THEN '\"' || replace({column}, '\"', '\"\"') || '\"'"
        f" ELSE {column} END)"
    )


def _url(request, view_name: str, slug_expression: str) -> str:
    address = request.build_absolute_uri(reverse(view_name, kwargs={"slug": SLUG_PLACEHOLDER}))
    before, after = address.split(SLUG_PLACEHOLDER)
    return f"({_literal(before)} || {slug_expression} || {_literal(after)})"


def _organisation_type() -> str:
    cases = " ".join(
        f"WHEN {_literal(kind)} THEN {_literal(label)}" for kind, label in ORGANISATION_TYPE_LABELS.items()
    )
    other = _literal(ORGANISATION_TYPE_LABELS[OrganisationKind.OTHER])
    return f"(CASE o.kind {cases} ELSE {other} END)"


def _csv_parts(request, zone: str) -> tuple[str, str]:
    """The cells (for the fenced subquery) and the line that joins them."""
    # Text cells are defused and quoted; numbers, ids and the timestamps written here can
    # neither start a formula nor need quotes.
    slugs, sources = _literal(SLUG_SEPARATOR), _literal(SOURCE_SEPARATOR)
    text = {
        "organisation": "o.name",
        "organisation_type": _organisation_type(),
        "site_name": "b.name",
        "town": "b.town",
        "postcode_district": "b.postcode",
        "region": "r.name",
        "capabilities": f"array_to_string(coalesce(caps.slugs, '{{}}'), {slugs})",
        "technologies": f"array_to_string(coalesce(techs.slugs, '{{}}'), {slugs})",
        "licence_types": f"array_to_string(coalesce(lics.slugs, '{{}}'), {slugs})",
        "licence_basis": "lics.basis",
        "website": "o.website",
        "source": f"array_to_string(b.source_urls, {sources})",
        "confidence": "b.confidence",
        "slug": "b.slug",
        "status": "b.status",
        "url": _url(request, "manufacturers:site-detail", "b.slug"),
    }
    plain = {
        "latitude": _number("b.latitude"),
        "longitude": _number("b.longitude"),
        "id": "b.id::text",
        "updated_at": _iso_datetime("b.updated_at", zone),
    }
    # The columns and their order are the serialiser's: the data dictionary describes them.
    columns = list(SiteCSVSerializer().fields)
    if set(columns) != set(text) | set(plain):
        raise RuntimeError("The columns of sites.csv no longer match SiteCSVSerializer.")
    cells, line, empty = [], [], _literal("")
    for index, name in enumerate(columns):
        column = f"c{index}"
        if name in plain:
            cells.append(f"{plain[name]} AS {column}")
            line.append(column)
        else:
            cells.append(f"{sql_safe_cell(f'coalesce({text[name]}, {empty})')} AS {column}")
            line.append(_quoted(column))
    return ", ".join(cells), " || ',' || ".join(line) + " || E'\\r\\n'"


def _json(expression: str) -> str:
    return f"coalesce(to_json({expression})::text, 'null')"


def _geojson_parts(request, zone: str) -> tuple[str, str]:
    """The feature's text (for the fenced subquery) and the line that takes it."""
    properties = {
        "slug": "b.slug",
        "name": "b.name",
        "organisation": "o.name",
        "organisation_slug": "o.slug",
        "organisation_kind": "o.kind",
        "status": "b.status",
        "town": "b.town",
        "postcode": "b.postcode",
        "region": "r.slug",
        "region_name": "r.name",
        "capabilities": "coalesce(caps.slugs, '{}')",
        "technologies": "coalesce(techs.slugs, '{}')",
        "licence_types": "coalesce(lics.slugs, '{}')",
        "location_precision": "b.location_precision",
        "confidence": "b.confidence",
        "url": _url(request, "manufacturers:site-detail", "b.slug"),
        "updated_at": _iso_datetime("b.updated_at", zone),
    }
    members = " || ',' || ".join(f"'\"{name}\":' || {_json(value)}" for name, value in properties.items())
    feature = (
        '\'{"type":"Feature","id":\' || b.id'
        ' || \',"geometry":{"type":"Point","coordinates":[\' || b.longitude::text'
        " || ',' || b.latitude::text || ']},\"properties\":{' || "
        f"{members} || '}}}}'"
    )
    return f"{feature} AS feature", "feature"


def _batches(parts: tuple[str, str], separator: str, batch_size: int) -> Iterator[str]:
    """The text of each batch of sites in id order; the separator goes between rows and batches."""
    cells, line = parts
    sql = _BATCH.format(cells=cells, line=line, separator=_literal(separator), **_tables())
    last_id, first = 0, True
    with connection.cursor() as cursor:
        while True:
            cursor.execute(sql, {"after": last_id, "limit": batch_size})
            last_id, count, text = cursor.fetchone()
            if not count:
                return
            yield text if first else separator + text
            first = False
            if count < batch_size:
                return


def site_csv_lines(request, batch_size: int = BATCH_SIZE) -> Iterator[str]:
    """Every site's line of sites.csv, a batch at a time (no header)."""
    return _batches(_csv_parts(request, timezone.get_current_timezone_name()), "", batch_size)


def site_geojson_features(request, batch_size: int = BATCH_SIZE) -> Iterator[str]:
    """Every site as a GeoJSON Feature, comma-separated, a batch at a time."""
    return _batches(_geojson_parts(request, timezone.get_current_timezone_name()), ",", batch_size)
