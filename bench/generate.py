"""Synthetic organisations and sites for the scale benchmark, the same for a given seed and size.

About 70 % of the sites cluster around the 88 demo sites' towns (fixtures/sites.csv) with a
Gaussian spread of a few kilometres; the rest are spread uniformly (in degrees) over the UK.
Every point lies inside the UK and inside the boundary of the region it is given, tested
against ``Region.boundary``. Capabilities, technologies, licences and organisation kinds are
drawn from the demo data's own mixes, so facet counts look like the real landscape's.

``sites_generate`` only computes rows; ``bench_data_load`` writes them with PostgreSQL COPY.
"""

from __future__ import annotations

import csv
import io
import math
import random
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.text import slugify

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "sites.csv"
GENERATOR_VERSION = 1
CLUSTERED_SHARE = 0.70
# One standard deviation of a clustered site's distance from its town, in kilometres.
CLUSTER_SPREAD_KM = 4.0
KM_PER_DEGREE = 111.32
# The demo data has no planned or closed sites; a landscape at scale has some of each.
STATUS_MIX = (("operational", 0.90), ("planned", 0.06), ("closed", 0.04))
CONFIDENCE_MIX = (("high", 0.35), ("medium", 0.50), ("low", 0.15))
SITES_PER_ORGANISATION = 8
SITE_SUFFIXES = ("Works", "Plant", "Campus", "Laboratories", "Manufacturing Centre", "Site", "Facility")
ORGANISATION_STEMS = (
    "Albion", "Pennine", "Severn", "Thames", "Caledonian", "Cambrian", "Mercia", "Wessex", "Northumbria",
    "Solent", "Clyde", "Tyne", "Humber", "Avon", "Chiltern", "Cotswold", "Fenland", "Grampian", "Lagan",
    "Mourne", "Trent", "Ouse", "Tamar", "Medway",
)  # fmt: skip
ORGANISATION_SUFFIXES = {
    "large_pharma": "Pharmaceuticals plc",
    "cdmo": "Contract Manufacturing Ltd",
    "biotech": "Biotherapeutics Ltd",
    "generic": "Generics Ltd",
    "nhs": "NHS Pharmacy Manufacturing Unit",
    "academic_catapult": "Manufacturing Innovation Centre",
    "other": "Medicines Ltd",
}
# The demo spreadsheet's organisation types, as Organisation.Kind values.
KIND_LABELS = {
    "large pharma": "large_pharma",
    "cdmo": "cdmo",
    "biotech": "biotech",
    "generic manufacturer": "generic",
    "nhs": "nhs",
    "academic/catapult": "academic_catapult",
    "other": "other",
}
TIMESTAMP = "2026-01-01 00:00:00+00"


@dataclass(frozen=True)
class DemoSite:
    town: str
    postcode: str
    latitude: float
    longitude: float
    kind: str
    capabilities: tuple[str, ...]
    technologies: tuple[str, ...]
    licence_types: tuple[str, ...]
    licence_basis: str


def demo_sites(path: Path = FIXTURE) -> list[DemoSite]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))

    def slugs(value):
        return tuple(part.strip() for part in (value or "").split(";") if part.strip())

    return [
        DemoSite(
            town=row["town"].strip(),
            postcode=row["postcode_district"].strip().upper(),
            latitude=float(row["latitude"]),
            longitude=float(row["longitude"]),
            kind=KIND_LABELS.get(row["organisation_type"].strip().lower(), "other"),
            capabilities=slugs(row["capabilities"]),
            technologies=slugs(row["technologies"]),
            licence_types=slugs(row["licence_types"]),
            licence_basis=(row["licence_basis"] or "inferred").strip(),
        )
        for row in rows
    ]


class RegionLocator:
    """Which region's boundary (GeoJSON MultiPolygon, lon/lat) holds a point, by the even-odd rule.

    Edges are bucketed into thin bands of latitude, so a lookup tests only the few edges that
    cross the point's band rather than every vertex of every region: fast enough for a million points.
    """

    BAND_DEGREES = 0.02

    def __init__(self, regions: Iterable[tuple[int, dict]]):
        self.buckets: dict[int, list[tuple[int, float, float, float, float]]] = {}
        xs, ys = [], []
        for region_id, geometry in regions:
            polygons = (
                geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
            )
            for polygon in polygons:
                for ring in polygon:
                    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
                        xs += (x1, x2)
                        ys += (y1, y2)
                        if y1 == y2:
                            continue
                        low, high = sorted((y1, y2))
                        for band in range(self._band(low), self._band(high) + 1):
                            self.buckets.setdefault(band, []).append((region_id, x1, y1, x2, y2))
        self.west, self.east, self.south, self.north = min(xs), max(xs), min(ys), max(ys)

    def _band(self, latitude: float) -> int:
        return math.floor(latitude / self.BAND_DEGREES)

    def region_at(self, longitude: float, latitude: float) -> int | None:
        inside: dict[int, bool] = {}
        for region_id, x1, y1, x2, y2 in self.buckets.get(self._band(latitude), ()):
            if (y1 > latitude) != (y2 > latitude) and longitude < x1 + (latitude - y1) * (x2 - x1) / (
                y2 - y1
            ):
                inside[region_id] = not inside.get(region_id, False)
        for region_id, is_inside in inside.items():
            if is_inside:
                return region_id
        return None


@dataclass
class Reference:
    """The bench database's reference rows, by slug, and the region boundaries."""

    regions: list[tuple[int, dict]]
    capabilities: dict[str, int]
    technologies: dict[str, int]
    licence_types: dict[str, int]

    @classmethod
    def from_database(cls) -> Reference:
        from manufacturers.models import Capability, LicenceType, Region, Technology

        return cls(
            regions=list(Region.objects.order_by("id").values_list("id", "boundary")),
            capabilities=dict(Capability.objects.values_list("slug", "id")),
            technologies=dict(Technology.objects.values_list("slug", "id")),
            licence_types=dict(LicenceType.objects.values_list("slug", "id")),
        )


@dataclass
class GeneratedSite:
    id: int
    organisation_id: int
    name: str
    slug: str
    status: str
    town: str
    postcode: str
    region_id: int
    latitude: float
    longitude: float
    confidence: str
    clustered: bool
    capability_ids: tuple[int, ...]
    technology_ids: tuple[int, ...]
    licence_type_ids: tuple[int, ...]
    licence_basis: str


@dataclass
class GeneratedOrganisation:
    id: int
    name: str
    slug: str
    kind: str
    website: str


@dataclass
class Landscape:
    organisations: list[GeneratedOrganisation]
    sites: Iterator[GeneratedSite]
    stats: Counter = field(default_factory=Counter)


def _weighted(rng: random.Random, mix) -> Iterator[str]:
    values = [value for value, _ in mix]
    weights = [weight for _, weight in mix]
    while True:
        yield from rng.choices(values, weights, k=4096)


def organisation_count(sites: int) -> int:
    return max(1, sites // SITES_PER_ORGANISATION)


def landscape_generate(*, sites: int, seed: int, reference: Reference) -> Landscape:
    """N sites and their organisations; the same `seed`, `sites` and reference data give the same rows."""
    rng = random.Random(seed)
    demo = demo_sites()
    organisations = []
    for number in range(1, organisation_count(sites) + 1):
        kind = rng.choice(demo).kind
        stem = ORGANISATION_STEMS[number % len(ORGANISATION_STEMS)]
        name = f"{stem} {ORGANISATION_SUFFIXES[kind]} {number}"
        organisations.append(
            GeneratedOrganisation(
                id=number,
                name=name,
                slug=f"{slugify(name)}",
                kind=kind,
                website=f"https://{stem.lower()}-{number}.example.org",
            )
        )
    stats: Counter = Counter()
    return Landscape(organisations, _sites(rng, sites, demo, reference, stats), stats)


def _sites(rng, count, demo, reference, stats) -> Iterator[GeneratedSite]:
    locator = RegionLocator(reference.regions)
    organisations = organisation_count(count)
    towns_by_region: dict[int, list[DemoSite]] = {}
    for centre in demo:
        region_id = locator.region_at(centre.longitude, centre.latitude)
        if region_id is not None:
            towns_by_region.setdefault(region_id, []).append(centre)
    town_slugs = {centre.town: slugify(centre.town) for centre in demo}
    mixes = [
        (
            tuple(reference.capabilities[s] for s in centre.capabilities if s in reference.capabilities),
            tuple(reference.technologies[s] for s in centre.technologies if s in reference.technologies),
            tuple(reference.licence_types[s] for s in centre.licence_types if s in reference.licence_types),
            centre.licence_basis,
        )
        for centre in demo
    ]
    statuses, confidences = _weighted(rng, STATUS_MIX), _weighted(rng, CONFIDENCE_MIX)
    gauss, uniform, random_ = rng.gauss, rng.uniform, rng.random
    region_at = locator.region_at
    west, east, south, north = locator.west, locator.east, locator.south, locator.north
    spread_lat = CLUSTER_SPREAD_KM / KM_PER_DEGREE

    for number in range(1, count + 1):
        clustered = random_() < CLUSTERED_SHARE
        region_id = None
        if clustered:
            centre = rng.choice(demo)
            spread_lon = spread_lat / math.cos(math.radians(centre.latitude))
            for _ in range(20):
                latitude = gauss(centre.latitude, spread_lat)
                longitude = gauss(centre.longitude, spread_lon)
                region_id = region_at(longitude, latitude)
                if region_id is not None:
                    break
            town, postcode = centre.town, centre.postcode
        if region_id is None:
            # Spread over the UK: uniform over its frame, keeping only points on land.
            clustered = False
            while region_id is None:
                latitude, longitude = uniform(south, north), uniform(west, east)
                region_id = region_at(longitude, latitude)
            local = towns_by_region.get(region_id)
            centre = rng.choice(local) if local else rng.choice(demo)
            town, postcode = centre.town, ""
        capability_ids = mixes[int(random_() * len(mixes))][0]
        technology_ids = mixes[int(random_() * len(mixes))][1]
        _, _, licence_type_ids, basis = mixes[int(random_() * len(mixes))]
        # Skewed towards low numbers: a few organisations run many sites, most run one or two.
        organisation_id = 1 + int(organisations * random_() ** 2)
        stats["clustered" if clustered else "spread"] += 1
        yield GeneratedSite(
            id=number,
            organisation_id=organisation_id,
            name=f"{town} {SITE_SUFFIXES[number % len(SITE_SUFFIXES)]} {number}",
            slug=f"{town_slugs[town]}-{number}",
            status=next(statuses),
            town=town,
            postcode=postcode,
            region_id=region_id,
            latitude=round(latitude, 6),
            longitude=round(longitude, 6),
            confidence=next(confidences),
            clustered=clustered,
            capability_ids=capability_ids,
            technology_ids=technology_ids,
            licence_type_ids=licence_type_ids,
            licence_basis=basis,
        )


# --- Loading with COPY -------------------------------------------------------------------------


class _LineStream(io.RawIOBase):
    """A read()-able stream over lines made on demand, so COPY never needs the whole table in memory."""

    def __init__(self, lines: Iterable[str]):
        self._lines = iter(lines)
        self._buffer = b""

    def readable(self):
        return True

    def read(self, size=-1):
        while size < 0 or len(self._buffer) < size:
            chunk = "".join(line for _, line in zip(range(2000), self._lines, strict=False))
            if not chunk:
                break
            self._buffer += chunk.encode()
        if size < 0:
            size = len(self._buffer)
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data


@dataclass
class LoadReport:
    sites: int
    organisations: int
    capabilities: int = 0
    technologies: int = 0
    licences: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    clustered: int = 0

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())


def _tables():
    from manufacturers.models import Licence, Organisation, Site

    return {
        "organisation": Organisation._meta.db_table,
        "site": Site._meta.db_table,
        "capabilities": Site.capabilities.through._meta.db_table,
        "technologies": Site.technologies.through._meta.db_table,
        "licence": Licence._meta.db_table,
    }


SITE_COLUMNS = (
    "id, created_at, updated_at, organisation_id, name, slug, status, town, postcode, region_id, "
    "latitude, longitude, location_precision, source_urls, confidence"
)


def _site_line(site: GeneratedSite) -> str:
    return (
        f"{site.id}\t{TIMESTAMP}\t{TIMESTAMP}\t{site.organisation_id}\t{site.name}\t{site.slug}\t"
        f"{site.status}\t{site.town}\t{site.postcode}\t{site.region_id}\t{site.latitude}\t"
        f"{site.longitude}\t{'town' if site.clustered else 'site'}\t{{}}\t{site.confidence}\n"
    )


# The same text, weights and configuration as the trigger of migration manufacturers/0003, set-based.
SEARCH_VECTOR_SQL = """
    setweight(to_tsvector('english', coalesce(s.name, '')), 'A')
    || setweight(to_tsvector('english', coalesce(o.name, '')), 'A')
    || setweight(to_tsvector('english', coalesce(s.town, '') || ' ' || coalesce(s.postcode, '')), 'B')
    || setweight(to_tsvector('english', coalesce(o.description, '')), 'C')
"""


def _droppable_indexes(cursor, table: str) -> list[tuple[str, str]]:
    """(name, definition) of the table's indexes that back no constraint: rebuilt after the load."""
    cursor.execute(
        """
        SELECT i.relname, pg_get_indexdef(i.oid)
          FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
         WHERE x.indrelid = %s::regclass
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)
        """,
        [table],
    )
    return cursor.fetchall()


def bench_data_load(
    *,
    sites: int,
    seed: int,
    reference: Reference | None = None,
    keep_trigger: bool = False,
    vacuum: bool = True,
) -> LoadReport:
    """Replace every organisation and site in the connected database with a generated landscape.

    Sites, their capabilities, technologies and licences are COPYed into temporary tables and
    moved into place with one INSERT each, with the non-constraint indexes dropped meanwhile and
    rebuilt afterwards. Unless `keep_trigger`, the search-vector trigger is bypassed for the load
    (session_replication_role, which also skips foreign-key checks on rows made consistent by
    construction) and the vectors are computed in the same set-based INSERT.
    """
    from django.db import connection, transaction

    from core.cache import bump_landscape_version

    reference = reference or Reference.from_database()
    landscape = landscape_generate(sites=sites, seed=seed, reference=reference)
    tables = _tables()
    report = LoadReport(sites=sites, organisations=len(landscape.organisations))
    clock = time.perf_counter()

    def lap(name):
        nonlocal clock
        now = time.perf_counter()
        report.seconds[name] = round(report.seconds.get(name, 0.0) + now - clock, 3)
        clock = now

    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg2's cursor, for copy_expert
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        bypass = not keep_trigger and cursor.fetchone()[0]
        if bypass:
            cursor.execute("SET LOCAL session_replication_role = replica")
        else:
            # Django's foreign keys are deferred; checked at once, they leave no pending
            # trigger events to block the index rebuild below.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            f"TRUNCATE {tables['licence']}, {tables['capabilities']}, {tables['technologies']}, "
            f"{tables['site']}, {tables['organisation']} RESTART IDENTITY CASCADE"
        )
        indexes = []
        for table in tables.values():
            for name, definition in _droppable_indexes(cursor, table):
                indexes.append(definition)
                cursor.execute(f'DROP INDEX "{name}"')
        # Index builds (the GIN on search vectors above all) sort in memory when given room.
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        # Sites go through a staging table to get their search vectors in one set-based
        # INSERT. Without foreign-key checks the relations go straight to their tables;
        # with them, they wait in staging tables until the sites they point to exist.
        staged = ("site",) if bypass else ("site", "capabilities", "technologies", "licence")
        target = {key: f"bench_{key}" if key in staged else tables[key] for key in tables}
        for key in staged:
            cursor.execute(
                f"CREATE TEMP TABLE bench_{key} (LIKE {tables[key]} INCLUDING DEFAULTS) ON COMMIT DROP"
            )
        lap("prepare")

        raw.copy_expert(
            f"COPY {tables['organisation']} (id, created_at, updated_at, name, slug, kind, website, "
            "description, companies_house_number) FROM STDIN",
            _LineStream(
                f"{o.id}\t{TIMESTAMP}\t{TIMESTAMP}\t{o.name}\t{o.slug}\t{o.kind}\t{o.website}\t"
                f"A {o.kind.replace('_', ' ')} organisation making medicines in the UK.\t\n"
                for o in landscape.organisations
            ),
        )
        lap("organisations")

        counters = Counter()
        chunk = 50_000
        site_iter = landscape.sites
        while True:
            batch = [site for _, site in zip(range(chunk), site_iter, strict=False)]
            if not batch:
                break
            lines = {"capabilities": [], "technologies": [], "licence": []}
            for site in batch:
                for capability_id in site.capability_ids:
                    counters["capabilities"] += 1
                    lines["capabilities"].append(f"{counters['capabilities']}\t{site.id}\t{capability_id}\n")
                for technology_id in site.technology_ids:
                    counters["technologies"] += 1
                    lines["technologies"].append(f"{counters['technologies']}\t{site.id}\t{technology_id}\n")
                for licence_type_id in site.licence_type_ids:
                    counters["licence"] += 1
                    lines["licence"].append(
                        f"{counters['licence']}\t{TIMESTAMP}\t{TIMESTAMP}\t{site.id}\t{licence_type_id}\t"
                        f"\t{site.licence_basis}\t\n"
                    )
            site_lines = [_site_line(site) for site in batch]
            lap("generate")
            raw.copy_expert(f"COPY bench_site ({SITE_COLUMNS}) FROM STDIN", _LineStream(site_lines))
            raw.copy_expert(
                f"COPY {target['capabilities']} (id, site_id, capability_id) FROM STDIN",
                _LineStream(lines["capabilities"]),
            )
            raw.copy_expert(
                f"COPY {target['technologies']} (id, site_id, technology_id) FROM STDIN",
                _LineStream(lines["technologies"]),
            )
            raw.copy_expert(
                f"COPY {target['licence']} (id, created_at, updated_at, site_id, licence_type_id, reference, "
                "basis, source_url) FROM STDIN",
                _LineStream(lines["licence"]),
            )
            lap("copy")
        report.clustered = landscape.stats["clustered"]

        cursor.execute(
            f"INSERT INTO {tables['site']} ({SITE_COLUMNS}, search_vector) "  # noqa: S608 (table names from model Meta)
            f"SELECT {', '.join('s.' + c.strip() for c in SITE_COLUMNS.split(','))}, {SEARCH_VECTOR_SQL} "
            f"FROM bench_site s JOIN {tables['organisation']} o ON o.id = s.organisation_id"
        )
        lap("sites_with_search_vectors")
        for key in staged[1:]:
            cursor.execute(f"INSERT INTO {tables[key]} SELECT * FROM bench_{key}")  # noqa: S608
        lap("insert_relations")
        for definition in indexes:
            cursor.execute(definition)
        lap("indexes")
        for table in tables.values():
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT coalesce(max(id), 1) FROM {table}))"  # noqa: S608
            )
        cursor.execute(f"COMMENT ON TABLE {tables['site']} IS %s", [data_marker(sites=sites, seed=seed)])
        # COPY bypasses the model signals: retire what the cache holds of the old data on commit.
        bump_landscape_version()
        report.capabilities = counters["capabilities"]
        report.technologies = counters["technologies"]
        report.licences = counters["licence"]

    if vacuum and connection.get_autocommit():
        # VACUUM sets the visibility map, so bbox and cluster queries can use index-only scans.
        with connection.cursor() as cursor:
            for table in tables.values():
                cursor.execute(f"VACUUM ANALYZE {table}")
    lap("vacuum_analyze")
    return report


def data_marker(*, sites: int, seed: int) -> str:
    return f"bench data: sites={sites} seed={seed} generator={GENERATOR_VERSION}"


def loaded_marker() -> str | None:
    """The marker the last load left on the site table, to skip regenerating identical data."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT obj_description(%s::regclass, 'pg_class')", [_tables()["site"]])
        return cursor.fetchone()[0]
