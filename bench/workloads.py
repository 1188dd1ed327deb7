"""What `make bench` measures: its anchors, every page, API and export workload and its target, as one table.

A workload is a name, how to measure it (`kind`), a URL template filled from the data in the
bench database (`{site_slug}`, `{bbox_1000}`, ...), the anchor its figure is divided by, and its
targets. A URL that answers 404 is reported as "not available" (a feature not merged yet), not
as a failure. To add a workload, add a row here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The UK's frame for the whole-country map view (west, south, east, north).
UK_BBOX = "-8.7,49.8,1.8,60.9"


@dataclass(frozen=True)
class Target:
    """One check on a figure: `metric` compared with `limit`, at every size or only the largest."""

    metric: str  # ratio | p95_ms | p99_over_p50 | db_ms | memory_growth_mib | rps_vs_smallest | flat_memory
    op: str  # ">=" or "<="
    limit: float
    largest_only: bool = False

    def describe(self) -> str:
        names = {
            "ratio": "× anchor",
            "p95_ms": "ms p95 at half load",
            "p99_over_p50": "× p50 (p99 at half load)",
            "db_ms": "ms in the database",
            "memory_growth_mib": "MiB worker memory growth",
            "rps_vs_smallest": "× its rps at the smallest size",
            "flat_memory": "MiB growth difference between sizes",
        }
        where = " at the largest size" if self.largest_only else ""
        return f"{self.op} {self.limit:g} {names[self.metric]}{where}"

    def met(self, value: float | None) -> bool | None:
        if value is None:
            return None
        return value >= self.limit if self.op == ">=" else value <= self.limit


@dataclass(frozen=True)
class Anchor:
    name: str
    kind: str  # http | copy_to | copy_from
    path: str = ""
    description: str = ""


@dataclass(frozen=True)
class Workload:
    name: str
    group: str
    kind: str  # http | walk | export | db_nearest | import
    anchor: str
    path: str = ""
    description: str = ""
    targets: tuple[Target, ...] = field(default_factory=tuple)
    # The cold run: a template filled from a spread of values (bench/context.py, url_spread), so
    # its URLs mostly miss the shared cache; its targets are judged on that run.
    cold_path: str = ""
    cold_targets: tuple[Target, ...] = field(default_factory=tuple)


# Every cold run, at half load (issue: a cache must not flatter the figures).
COLD_LATENCY = (Target("p95_ms", "<=", 100),)

ANCHORS = (
    Anchor(
        "minimal_django",
        "http",
        "/bench/minimal.json",
        'A Django view returning {"ok": true} through the whole middleware stack: the ceiling for any Django endpoint.',
    ),
    Anchor(
        "static_file",
        "http",
        "/static/css/portal.css",
        "portal.css served by WhiteNoise through the same gunicorn: the ceiling of the server itself.",
    ),
    Anchor(
        "copy_to",
        "copy_to",
        description="PostgreSQL COPY (SELECT the site table) TO STDOUT as CSV, read by psycopg2: export throughput (MB/s).",
    ),
    Anchor(
        "copy_from",
        "copy_from",
        description="PostgreSQL COPY FROM STDIN of 100k generated site rows into a temporary table: import throughput (rows/s).",
    ),
)

PAGE_LATENCY = (Target("p95_ms", "<=", 20), Target("p99_over_p50", "<=", 3))

WORKLOADS = (
    # Pages
    Workload(
        "home",
        "page",
        "http",
        "minimal_django",
        "/",
        "The home page, with live counts.",
        PAGE_LATENCY,
        cold_path="/?v={n}",
        cold_targets=COLD_LATENCY,
    ),
    Workload(
        "directory_first",
        "page",
        "http",
        "minimal_django",
        "/sites/",
        "The directory's first page with its facet counts.",
        (Target("ratio", ">=", 0.15), *PAGE_LATENCY),
        cold_path="/sites/?v={n}",
        cold_targets=(Target("ratio", ">=", 0.05), *COLD_LATENCY),
    ),
    Workload(
        "directory_filtered_deep",
        "page",
        "http",
        "minimal_django",
        "/sites/?region={region}&capability={capability}&page=20",
        "The directory filtered by a region and a capability, page 20.",
        PAGE_LATENCY,
        cold_path="/sites/?region={region}&capability={capability}&page={page}",
        cold_targets=COLD_LATENCY,
    ),
    Workload(
        "site_detail",
        "page",
        "http",
        "minimal_django",
        "/sites/{site_slug}/",
        "A site's page, with its five nearest sites.",
        (Target("ratio", ">=", 0.40), *PAGE_LATENCY),
        cold_path="/sites/{site_slug}/",
        cold_targets=(Target("ratio", ">=", 0.10), *COLD_LATENCY),
    ),
    Workload(
        "map_page",
        "page",
        "http",
        "minimal_django",
        "/map/",
        "The map page (HTML only).",
        PAGE_LATENCY,
        cold_path="/map/?v={n}",
        cold_targets=COLD_LATENCY,
    ),
    # API
    Workload(
        "api_list",
        "api",
        "http",
        "minimal_django",
        "/api/v1/sites/",
        "The JSON list's first page, unfiltered.",
        (
            Target("ratio", ">=", 0.30, largest_only=True),
            Target("rps_vs_smallest", ">=", 0.9, largest_only=True),
        ),
        cold_path="/api/v1/sites/?page_size={page_size}",
        cold_targets=(Target("ratio", ">=", 0.10), *COLD_LATENCY),
    ),
    Workload(
        "api_list_filtered",
        "api",
        "http",
        "minimal_django",
        "/api/v1/sites/?region={region}&capability={capability}",
        "The JSON list filtered by a region and a capability.",
        cold_path="/api/v1/sites/?region={region}&capability={capability}",
        cold_targets=COLD_LATENCY,
    ),
    Workload(
        "api_cursor_walk",
        "api",
        "walk",
        "minimal_django",
        "/api/v1/sites/",
        "Follows `next` for 20 pages, then loads the 20th page under load: a deep cursor page costs what the first does.",
    ),
    Workload(
        "api_bbox_geojson",
        "api",
        "http",
        "minimal_django",
        "/api/v1/sites/?format=geojson&bbox={bbox_1000}",
        "GeoJSON of a box round the densest town holding about 1,000 sites.",
        (Target("ratio", ">=", 0.07),),
        cold_path="/api/v1/sites/?format=geojson&bbox={street_bbox}",
        cold_targets=COLD_LATENCY,
    ),
    Workload(
        "api_facets",
        "api",
        "http",
        "minimal_django",
        "/api/v1/sites/facets/",
        "Facet counts over every site.",
        cold_path="/api/v1/sites/facets/?region={region}&capability={capability}",
        cold_targets=COLD_LATENCY,
    ),
    Workload(
        "api_nearest_50",
        "api",
        "http",
        "minimal_django",
        "/api/v1/sites/?near={near}",
        "Sites nearest the densest town, nearest first.",
        cold_path="/api/v1/sites/?near={near}",
        cold_targets=COLD_LATENCY,
    ),
    Workload(
        "api_search_taxonomy_word",
        "api",
        "http",
        "minimal_django",
        "/api/v1/sites/?q={taxonomy_word}",
        "A search by a word of what sites do (a capability's name or synonym), best match first: the GIN index on the search vector.",
    ),
    Workload(
        "api_near_place",
        "api",
        "http",
        "minimal_django",
        "/api/v1/sites/?near={near_place}&radius_km=25",
        "Sites within 25 km of a town given by name (the place table, then the distance), nearest first.",
    ),
    Workload(
        "directory_search_taxonomy_word",
        "page",
        "http",
        "minimal_django",
        "/sites/?q={taxonomy_word}",
        "The directory searched by a word of what sites do.",
    ),
    Workload(
        "directory_near_place",
        "page",
        "http",
        "minimal_django",
        "/sites/?near={near_place}&radius_km=25",
        "The directory near a town given by name, nearest first.",
        cold_path="/sites/?near={near}&radius_km=25",
        cold_targets=COLD_LATENCY,
    ),
    Workload(
        "nearest_50_db",
        "api",
        "db_nearest",
        "",
        "",
        "Site.objects.nearest_to(...)[:50] with organisation and region: EXPLAIN ANALYZE execution time.",
        (Target("db_ms", "<=", 1.0, largest_only=True),),
    ),
    # Map clusters
    *(
        Workload(
            f"clusters_{label}",
            "clusters",
            "http",
            "minimal_django",
            f"/map/clusters.json?zoom={zoom}&bbox={{{bbox}}}",
            f"Server-side clusters: {text}.",
            (Target("p95_ms", "<=", 20, largest_only=True), Target("ratio", ">=", 0.10, largest_only=True)),
        )
        for label, zoom, bbox, text in (
            ("uk_z6", 6, "uk_bbox", "the whole UK at zoom 6"),
            ("city_z9", 9, "city_bbox", "a city at zoom 9"),
            ("street_z13", 13, "street_bbox", "a few streets at zoom 13"),
        )
    ),
    # Exports and import
    *(
        Workload(
            f"export_{fmt}",
            "export",
            "export",
            "copy_to",
            f"/api/v1/downloads/sites.{fmt}",
            f"The full {fmt.upper() if fmt == 'csv' else 'GeoJSON'} download, streamed: MB/s and the worker's memory growth.",
            (
                Target("ratio", ">=", 0.5),
                Target("memory_growth_mib", "<=", 64),
                Target("flat_memory", "<=", 16, largest_only=True),
            ),
        )
        for fmt in ("geojson", "csv")
    ),
    Workload(
        "import_10k",
        "import",
        "import",
        "copy_from",
        "",
        "manufacturers.importing.sites_import_rows on a 10,000-row file of new sites, checked and written "
        "(then rolled back): rows/s and peak memory.",
        (Target("ratio", ">=", 0.25),),
    ),
)


def workload_names() -> list[str]:
    return [workload.name for workload in WORKLOADS]
