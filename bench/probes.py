"""How each kind of figure of `make bench` is taken: HTTP under load, a cursor walk, an export
through a worker of its own, a query plan, COPY to and from the database, the import service."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from urllib.parse import urlsplit

from bench import drivers
from bench.paths import BASE_DIR
from bench.server import MINIMAL_PATH, Server, memory_kib, open_connections

WALK_PAGES = 20
# A workload slower than this for one request is not put under load (see Probes.http).
SLOW_REQUEST_SECONDS = 0.5
# An export is read for at most this long: enough for its rate and its memory, within the budget.
EXPORT_SECONDS = float(os.environ.get("BENCH_EXPORT_SECONDS", "15"))
COPY_FROM_ROWS = 100_000
IMPORT_ROWS = 10_000  # half the largest file the import takes (MAX_ROWS)


class Probes:
    """The real measurements; tests pass a fake with the same methods to check the result's shape."""

    def __init__(
        self,
        *,
        server: Server,
        seconds: float,
        wrk: str | None,
        database_url: str,
        export_port: int,
        k6: str | None = None,
    ):
        self.server, self.seconds, self.wrk, self.k6 = server, seconds, wrk, k6
        self.database_url, self.export_port = database_url, export_port

    def _saturate(self, url: str, seconds: float) -> dict:
        if self.wrk:
            return drivers.wrk_saturate(self.wrk, url, seconds=seconds)
        return self._saturate_spread([url], seconds)

    def _saturate_spread(self, urls: list[str], seconds: float) -> dict:
        if self.k6:
            return drivers.k6_saturate(self.k6, urls, seconds=seconds)
        return drivers.python_saturate(urls, seconds=seconds)

    def _fixed_rate(self, urls: str | list[str], rate: float) -> dict:
        if self.k6:
            return drivers.k6_fixed_rate(self.k6, urls, rate=rate, seconds=self.seconds)
        return drivers.python_fixed_rate(urls, rate=rate, seconds=self.seconds)

    def _load(self, url: str, *, paired: bool = True) -> dict:
        # One more request first (after the availability check), so workers have warmed up.
        drivers.status_of(url)
        result = {}
        if paired:
            # The minimal view again, just before: on a shared machine the load changes by the
            # minute, and a ratio to an anchor taken moments earlier is the steadier figure.
            anchor = self._saturate(self.server.base + MINIMAL_PATH, max(1.0, self.seconds / 2))
            result["paired_anchor_rps"] = anchor["rps"]
        saturation = self._saturate(url, self.seconds)
        half = self._fixed_rate(url, max(1.0, saturation["rps"] / 2))
        result |= {"saturation": saturation, "half_load": half}
        if saturation["requests"]:
            result["response_kib"] = round(saturation["bytes"] / saturation["requests"] / 1024, 1)
        errors = saturation["errors"] + half["errors"]
        if errors:
            # Throttled (429) or failing responses are fast and would flatter the figure.
            total = saturation["requests"] + half["requests"]
            result["error"] = (
                f"{errors:,} of {total:,} responses under load were errors (4xx/5xx or timeouts)"
            )
        return result

    def drain(self, limit: float = 120.0) -> None:
        """Wait until the server holds no connection: slow requests still queued from the last
        run would otherwise be charged to the next workload."""
        deadline = time.monotonic() + limit
        while open_connections(self.server.port) and time.monotonic() < deadline:
            time.sleep(0.1)

    def http(self, path: str) -> dict:
        self.drain()
        url = self.server.base + path
        start = time.perf_counter()
        status, _ = drivers.status_of(url)
        seconds = time.perf_counter() - start
        result = {"available": status != 404, "status": status, "url": path}
        if status >= 400:
            return result | ({"error": f"HTTP {status}"} if status != 404 else {})
        # The first request may fill the shared cache (a miss after each write, in production);
        # it is reported, and the workload is judged on the steady state that follows.
        result["first_request_ms"] = round(seconds * 1000, 1)
        if seconds > SLOW_REQUEST_SECONDS:
            start = time.perf_counter()
            drivers.status_of(url)
            seconds = time.perf_counter() - start
        if seconds > SLOW_REQUEST_SECONDS:
            # Loading the server with requests this slow would spend the run's time budget on
            # one workload; one request says enough: it misses any throughput target.
            return result | {"single_request_ms": round(seconds * 1000, 1)}
        return result | self._load(url, paired=path != MINIMAL_PATH)

    def cold(self, paths: list[str]) -> dict:
        """A spread of URLs that mostly miss the shared cache: throughput, latency at half load, hit rate.

        Each URL is asked once in turn; a URL comes round again only after the whole spread, so
        the hit rate is what a thousand different visitors would meet, not one URL's.
        """
        self.drain()
        urls = [self.server.base + path for path in paths]
        status, _ = drivers.status_of(urls[0])
        result = {"available": status != 404, "status": status, "urls": len(urls), "example": paths[0]}
        if status >= 400:
            return result | ({"error": f"HTTP {status}"} if status != 404 else {})
        anchor = self._saturate(self.server.base + MINIMAL_PATH, max(1.0, self.seconds / 2))
        saturation = self._saturate_spread(urls, self.seconds)
        # The half-load run starts further along the spread, so it does not replay the URLs just filled.
        rest = urls[saturation["requests"] % len(urls) :] + urls[: saturation["requests"] % len(urls)]
        half = self._fixed_rate(rest, max(1.0, saturation["rps"] / 2))
        result |= {"paired_anchor_rps": anchor["rps"], "saturation": saturation, "half_load": half}
        if saturation["errors"] + half["errors"]:
            result["error"] = f"{saturation['errors'] + half['errors']:,} responses were errors"
        return result

    def walk(self, path: str) -> dict:
        self.drain()
        url = self.server.base + path
        status, body = drivers.status_of(url)
        result = {"available": status != 404, "status": status, "url": path}
        if status >= 400:
            return result | ({"error": f"HTTP {status}"} if status != 404 else {})
        pages, timings = 1, []
        next_url = _next_link(body)
        while next_url and pages < WALK_PAGES:
            parts = urlsplit(next_url)
            url = self.server.base + parts.path + (f"?{parts.query}" if parts.query else "")
            start = time.perf_counter()
            status, body = drivers.status_of(url)
            timings.append(round((time.perf_counter() - start) * 1000, 1))
            pages += 1
            if status != 200:
                return result | {"pages": pages, "error": f"HTTP {status} on page {pages}"}
            if timings[-1] > SLOW_REQUEST_SECONDS * 1000:
                return result | {"pages": pages, "single_request_ms": timings[-1]}
            next_url = _next_link(body)
        result["pages"] = pages
        if pages < 2:
            return result | {"error": "the first page has no `next` link to follow"}
        result |= {"walk_ms_per_page": round(statistics.fmean(timings), 2), "deep_url": url}
        return result | self._load(url)

    def export(self, path: str) -> dict:
        # A server with one fresh worker of its own, so its memory figures belong to this export alone.
        with Server(port=self.export_port, workers=1, database_url=self.database_url) as server:
            worker = server.worker_pids()[0]
            drivers.status_of(server.base + "/api/v1/sites/")
            before = memory_kib(worker)
            result = drivers.fetch_streamed(server.base + path, max_seconds=EXPORT_SECONDS)
            after = memory_kib(worker)
        if result["status"] == 404:
            return {"available": False, "status": 404, "url": path}
        result |= {
            "available": True,
            "url": path,
            "worker_rss_before_mib": round(before["VmRSS"] / 1024, 1),
            "worker_peak_after_mib": round(after["VmHWM"] / 1024, 1),
            "memory_growth_mib": round((after["VmHWM"] - before["VmRSS"]) / 1024, 1),
        }
        if result["status"] >= 400:
            result["error"] = f"HTTP {result['status']}"
        return result

    def db_nearest(self, near: str) -> dict:
        from manufacturers.models import Site

        latitude, longitude = (float(part) for part in near.split(","))
        queryset = Site.objects.nearest_to(latitude, longitude).select_related("organisation", "region")[:50]
        timings = []
        for _ in range(7):
            plan = json.loads(queryset.explain(analyze=True, format="json"))
            timings.append(plan[0]["Execution Time"])
        return {"available": True, "db_ms": round(statistics.median(timings), 3), "runs_ms": timings}

    def copy_to(self) -> dict:
        from django.db import connection

        from manufacturers.models import Site

        columns = ", ".join(
            field.column for field in Site._meta.concrete_fields if field.column != "search_vector"
        )
        sink = _CountingSink()
        start = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.cursor.copy_expert(
                f"COPY (SELECT {columns} FROM {Site._meta.db_table}) TO STDOUT WITH (FORMAT csv, HEADER)",  # noqa: S608
                sink,
            )
        seconds = time.perf_counter() - start
        return {
            "bytes": sink.size,
            "seconds": round(seconds, 3),
            "mb_per_s": round(sink.size / seconds / 1e6, 2),
        }

    def copy_from(self) -> dict:
        from django.db import connection, transaction

        from bench.data_load import SITE_COLUMNS, site_line
        from bench.generate import Reference, landscape_generate
        from core.copy import LineStream
        from manufacturers.models import Site

        landscape = landscape_generate(sites=COPY_FROM_ROWS, seed=7, reference=Reference.from_database())
        lines = [site_line(site) for site in landscape.sites]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMP TABLE bench_copy_from (LIKE {Site._meta.db_table} INCLUDING DEFAULTS) ON COMMIT DROP"
            )
            start = time.perf_counter()
            cursor.cursor.copy_expert(f"COPY bench_copy_from ({SITE_COLUMNS}) FROM STDIN", LineStream(lines))
            seconds = time.perf_counter() - start
        return {
            "rows": len(lines),
            "seconds": round(seconds, 3),
            "rows_per_s": round(len(lines) / seconds, 1),
        }

    def import_(self) -> dict:
        budget = float(os.environ.get("BENCH_IMPORT_BUDGET", "60"))
        completed = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "bench.import_probe", f"--rows={IMPORT_ROWS}", f"--budget={budget}"],
            cwd=BASE_DIR,
            env=os.environ | {"DATABASE_URL": self.database_url, "DEBUG": "1"},
            capture_output=True,
            text=True,
        )
        if completed.returncode != 0:
            return {"available": True, "error": completed.stderr.strip().splitlines()[-1:]}
        return {"available": True} | json.loads(completed.stdout.strip().splitlines()[-1])


class _CountingSink:
    def __init__(self):
        self.size = 0

    def write(self, data):
        self.size += len(data)


def _next_link(body: bytes) -> str | None:
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if isinstance(data, dict):
        return data.get("next") or (data.get("links") or {}).get("next")
    return None
