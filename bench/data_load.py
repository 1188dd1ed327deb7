"""Loading a generated landscape (bench/generate.py) into the connected database with PostgreSQL COPY.

``bench_data_load`` replaces every organisation and site; ``data_marker`` and ``loaded_marker``
let ``generate_bench_data --if-changed`` skip a load whose data is already there.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from bench.generate import (
    GENERATOR_VERSION,
    GeneratedOrganisation,
    GeneratedSite,
    Reference,
    landscape_generate,
)
from core.copy import LineStream

TIMESTAMP = "2026-01-01 00:00:00+00"
# Sites generated, turned into lines and COPYed per round: memory stays flat at any N.
BATCH_SITES = 50_000
SITE_COLUMNS = (
    "id, created_at, updated_at, organisation_id, name, slug, status, town, postcode, region_id, "
    "latitude, longitude, location_precision, source_urls, confidence"
)


def site_line(site: GeneratedSite) -> str:
    """A site as a line of COPY's text format, in the order of SITE_COLUMNS."""
    return (
        f"{site.id}\t{TIMESTAMP}\t{TIMESTAMP}\t{site.organisation_id}\t{site.name}\t{site.slug}\t"
        f"{site.status}\t{site.town}\t{site.postcode}\t{site.region_id}\t{site.latitude}\t"
        f"{site.longitude}\t{'town' if site.clustered else 'site'}\t{{}}\t{site.confidence}\n"
    )


def organisation_line(organisation: GeneratedOrganisation) -> str:
    """An organisation as a line of COPY's text format, in the order of _Loader.columns."""
    kind = organisation.kind
    return (
        f"{organisation.id}\t{TIMESTAMP}\t{TIMESTAMP}\t{organisation.name}\t{organisation.slug}\t{kind}\t"
        f"{organisation.website}\tA {kind.replace('_', ' ')} organisation making medicines in the UK.\t\n"
    )


@dataclass
class LoadReport:
    sites: int
    organisations: int
    capabilities: int = 0
    technologies: int = 0
    licences: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    clustered: int = 0

    def __post_init__(self):
        self._clock = time.perf_counter()

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())

    def lap(self, name: str) -> None:
        """Charge the time since the last lap (or since this report was made) to step `name`."""
        now = time.perf_counter()
        self.seconds[name] = round(self.seconds.get(name, 0.0) + now - self._clock, 3)
        self._clock = now


def tables() -> dict[str, str]:
    """The database tables a load fills, by the names the loader uses for them."""
    from manufacturers.models import Licence, Organisation, Site

    return {
        "organisation": Organisation._meta.db_table,
        "site": Site._meta.db_table,
        "capabilities": Site.capabilities.through._meta.db_table,
        "technologies": Site.technologies.through._meta.db_table,
        "licence": Licence._meta.db_table,
    }


def data_marker(*, sites: int, seed: int) -> str:
    return f"bench data: sites={sites} seed={seed} generator={GENERATOR_VERSION}"


def loaded_marker() -> str | None:
    """The marker the last load left on the site table, to skip regenerating identical data."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT obj_description(%s::regclass, 'pg_class')", [tables()["site"]])
        return cursor.fetchone()[0]


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
    report = LoadReport(sites=sites, organisations=len(landscape.organisations))
    with transaction.atomic(), connection.cursor() as cursor:
        loader = _Loader(cursor, report, bypass=_bypass_triggers(cursor, keep_trigger=keep_trigger))
        indexes = loader.empty_tables()
        loader.stage()
        report.lap("prepare")
        loader.copy(
            "organisation", loader.columns["organisation"], map(organisation_line, landscape.organisations)
        )
        report.lap("organisations")
        loader.copy_sites(landscape.sites)
        report.clustered = landscape.stats["clustered"]
        loader.move_into_place(indexes)
        cursor.execute(
            f"COMMENT ON TABLE {loader.tables['site']} IS %s", [data_marker(sites=sites, seed=seed)]
        )
        # COPY bypasses the model signals: retire what the cache holds of the old data on commit.
        bump_landscape_version()
    if vacuum and connection.get_autocommit():
        # VACUUM sets the visibility map, so bbox and cluster queries can use index-only scans.
        with connection.cursor() as cursor:
            for table in tables().values():
                cursor.execute(f"VACUUM ANALYZE {table}")
    report.lap("vacuum_analyze")
    return report


def _bypass_triggers(cursor, *, keep_trigger: bool) -> bool:
    """Turn user triggers and foreign-key checks off for the transaction where allowed (superuser)
    and wanted; returns whether they are off."""
    cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    bypass = not keep_trigger and cursor.fetchone()[0]
    if bypass:
        cursor.execute("SET LOCAL session_replication_role = replica")
    else:
        # Django's foreign keys are deferred; checked at once, they leave no pending
        # trigger events to block the index rebuild below.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    return bypass


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


class _Loader:
    """One load's steps on one cursor, inside the transaction of bench_data_load."""

    columns = {
        "organisation": "id, created_at, updated_at, name, slug, kind, website, description, companies_house_number",
        "site": SITE_COLUMNS,
        "capabilities": "id, site_id, capability_id",
        "technologies": "id, site_id, technology_id",
        "licence": "id, created_at, updated_at, site_id, licence_type_id, reference, basis, source_url",
    }

    def __init__(self, cursor, report: LoadReport, *, bypass: bool):
        self.cursor, self.report, self.tables = cursor, report, tables()
        # Sites go through a staging table to get their search vectors in one set-based
        # INSERT. Without foreign-key checks the relations go straight to their tables;
        # with them, they wait in staging tables until the sites they point to exist.
        self.staged = ("site",) if bypass else ("site", "capabilities", "technologies", "licence")
        self.target = {key: f"bench_{key}" if key in self.staged else self.tables[key] for key in self.tables}

    def empty_tables(self) -> list[str]:
        """Truncate the landscape's tables and drop their droppable indexes; returns how to rebuild them."""
        tables = self.tables
        self.cursor.execute(
            f"TRUNCATE {tables['licence']}, {tables['capabilities']}, {tables['technologies']}, "
            f"{tables['site']}, {tables['organisation']} RESTART IDENTITY CASCADE"
        )
        indexes = []
        for table in tables.values():
            for name, definition in _droppable_indexes(self.cursor, table):
                indexes.append(definition)
                self.cursor.execute(f'DROP INDEX "{name}"')
        # Index builds (the GIN on search vectors above all) sort in memory when given room.
        self.cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        return indexes

    def stage(self) -> None:
        for key in self.staged:
            self.cursor.execute(
                f"CREATE TEMP TABLE bench_{key} (LIKE {self.tables[key]} INCLUDING DEFAULTS) ON COMMIT DROP"
            )

    def copy(self, key: str, columns: str, lines: Iterable[str]) -> None:
        """COPY lines into the table (or staging table) that `key` loads into."""
        self.cursor.cursor.copy_expert(f"COPY {self.target[key]} ({columns}) FROM STDIN", LineStream(lines))

    def copy_sites(self, sites: Iterable[GeneratedSite]) -> None:
        counters = Counter()
        sites = iter(sites)
        while batch := [site for _, site in zip(range(BATCH_SITES), sites, strict=False)]:
            lines = _relation_lines(batch, counters)
            site_lines = [site_line(site) for site in batch]
            self.report.lap("generate")
            self.copy("site", SITE_COLUMNS, site_lines)
            for key in ("capabilities", "technologies", "licence"):
                self.copy(key, self.columns[key], lines[key])
            self.report.lap("copy")
        self.report.capabilities = counters["capabilities"]
        self.report.technologies = counters["technologies"]
        self.report.licences = counters["licence"]

    def move_into_place(self, indexes: list[str]) -> None:
        """Staged rows into their tables, search vectors built, indexes rebuilt, ids moved on."""
        cursor, tables = self.cursor, self.tables
        cursor.execute(
            f"INSERT INTO {tables['site']} ({SITE_COLUMNS}) "  # noqa: S608 (table names from model Meta)
            f"SELECT {', '.join('s.' + c.strip() for c in SITE_COLUMNS.split(','))} FROM bench_site s"
        )
        self.report.lap("insert_sites")
        for key in self.staged[1:]:
            cursor.execute(f"INSERT INTO {tables[key]} SELECT * FROM bench_{key}")  # noqa: S608
        self.report.lap("insert_relations")
        # The portal's own definition of a site's search text (migration manufacturers/0008), in
        # one set-based statement now that the sites' vocabulary links are in place.
        cursor.execute("SELECT manufacturers_refresh_site_search(NULL)")
        self.report.lap("search_vectors")
        for definition in indexes:
            cursor.execute(definition)
        self.report.lap("indexes")
        for table in tables.values():
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT coalesce(max(id), 1) FROM {table}))"  # noqa: S608
            )


def _relation_lines(batch: list[GeneratedSite], counters: Counter) -> dict[str, list[str]]:
    """COPY lines of the batch's capabilities, technologies and licences, numbered on from `counters`."""
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
    return lines
