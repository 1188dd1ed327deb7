"""`make bench`: measure the portal at 10k, 100k and 1M sites against anchors measured in the same run.

    python -m bench.run --sizes 10000,100000,1000000 --seconds 3

For each size it loads the bench database (``generate_bench_data``, skipped when the data is
already there), starts gunicorn on loopback with DEBUG off, measures the anchors and then every
workload of bench/workloads.py, and finally writes ``bench/results/<date>-<commit>.json`` and
a Markdown table (also printed). See docs/performance.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from bench import drivers
from bench.workloads import ANCHORS, UK_BBOX, WORKLOADS, Workload

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"
LOG_FILE = BASE_DIR / "var" / "bench-gunicorn.log"
DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
# Above this 1-minute load average per core (before a size is measured) the machine is busy.
QUIET_LOAD_PER_CORE = 0.3
WALK_PAGES = 20
MINIMAL_PATH = "/bench/minimal.json"
# A workload slower than this for one request is not put under load (see Probes.http).
SLOW_REQUEST_SECONDS = 0.5
# An export is read for at most this long: enough for its rate and its memory, within the budget.
EXPORT_SECONDS = float(os.environ.get("BENCH_EXPORT_SECONDS", "15"))
COPY_FROM_ROWS = 100_000
IMPORT_ROWS = 100_000


# --- The data each URL template needs --------------------------------------------------------


def url_context(size: int) -> dict[str, str]:
    """Values for the workloads' URL templates, read from the bench database."""
    from django.db.models import Count

    from bench.generate import demo_sites
    from manufacturers.models import Site

    site = Site.objects.filter(id=max(1, size // 2)).values("slug", "region__slug").first() or (
        Site.objects.order_by("id").values("slug", "region__slug").first()
    )
    capability = (
        Site.capabilities.through.objects.values("capability__slug")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("capability__slug", flat=True)
        .first()
    )
    town = (
        Site.objects.values("town")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("town", flat=True)
        .first()
    )
    centre = next((demo for demo in demo_sites() if demo.town == town), None)
    if centre is not None:
        latitude, longitude = centre.latitude, centre.longitude
    else:  # data not made by the generator: the middle site's own position
        latitude, longitude = (
            Site.objects.filter(slug=site["slug"]).values_list("latitude", "longitude").get()
        )

    def bbox(half_lat: float, half_lon: float) -> str:
        return f"{longitude - half_lon:.5f},{latitude - half_lat:.5f},{longitude + half_lon:.5f},{latitude + half_lat:.5f}"

    def sites_in(half: float) -> int:
        return Site.objects.within_bbox(
            south=latitude - half,
            north=latitude + half,
            west=longitude - 1.6 * half,
            east=longitude + 1.6 * half,
        ).count()

    # The smallest box round the densest town holding at least 1,000 sites (or all, when fewer).
    low, high = 0.0, 6.0
    for _ in range(14):
        middle = (low + high) / 2
        low, high = (middle, high) if sites_in(middle) < 1000 else (low, middle)
    return {
        "site_slug": site["slug"],
        "region": site["region__slug"],
        "capability": capability,
        "near": f"{latitude:.4f},{longitude:.4f}",
        "bbox_1000": bbox(high, 1.6 * high),
        "uk_bbox": UK_BBOX,
        "city_bbox": bbox(0.4, 0.7),
        "street_bbox": bbox(0.025, 0.045),
        "town": town,
    }


# --- gunicorn on loopback --------------------------------------------------------------------


def server_environment(database_url: str) -> dict[str, str]:
    """Production settings (DEBUG off) for loopback: no TLS redirect, a throwaway key, the bench data."""
    return os.environ | {
        "DEBUG": "0",
        "TESTING": "",
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "SECRET_KEY": "bench-only-not-a-secret-" + "x" * 32,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": database_url,
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "SECURE_HSTS_SECONDS": "0",
        # The API's per-client limits would answer most of a load run with 429.
        "API_ANONYMOUS_RATE": "1000000/second",
        "API_PARTNER_RATE": "1000000/second",
        "LOG_LEVEL": "WARNING",
    }


class Server:
    """gunicorn serving the portal on 127.0.0.1:`port`, stopped by `stop()` (or leaving the `with`)."""

    def __init__(self, *, port: int, workers: int, database_url: str):
        self.port, self.workers, self.database_url = port, workers, database_url
        self.process: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        gunicorn = Path(sys.executable).with_name("gunicorn")
        # The production configuration of `make serve` (worker class, threads, keep-alive) when
        # there is one; the bind address and worker count given here take precedence over it.
        config = BASE_DIR / "mmip_portal" / "gunicorn_conf.py"
        command = [
            str(gunicorn),
            *(["--config=python:mmip_portal.gunicorn_conf"] if config.exists() else []),
            "mmip_portal.wsgi:application",
            f"--bind=127.0.0.1:{self.port}",
            f"--workers={self.workers}",
            "--timeout=600",
            "--log-level=warning",
            *os.environ.get("BENCH_GUNICORN_ARGS", "").split(),
        ]
        LOG_FILE.parent.mkdir(parents=True, exist_ok=True)
        # Django logs each 404 (a workload not merged yet) and any 500 here, not on the table's output.
        self.log = open(LOG_FILE, "a")  # noqa: SIM115
        self.process = subprocess.Popen(  # noqa: S603
            command, cwd=BASE_DIR, env=server_environment(self.database_url), stdout=self.log, stderr=self.log
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if (
                    drivers.status_of(self.base + "/bench/minimal.json")[0] == 200
                    and len(self.worker_pids()) == self.workers
                ):
                    return self
            except OSError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with status {self.process.returncode}")
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not answer /bench/minimal.json within 60 s")

    def worker_pids(self) -> list[int]:
        pid = self.process.pid
        try:
            return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        except OSError:
            return []

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process:
            self.log.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def open_connections(port: int) -> int:
    """TCP connections to `port` on this machine that are open or waiting for the server to close
    them (ESTABLISHED, CLOSE_WAIT), including those still in the listen queue."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] in {"01", "08"}:
                count += 1
    return count


def memory_kib(pid: int) -> dict[str, int]:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in {"VmRSS", "VmHWM"}:
            values[name] = int(rest.split()[0])
    return values


# --- Probes: how each kind of figure is taken -------------------------------------------------


class Probes:
    """The real measurements; tests pass a fake with the same methods to check the result's shape."""

    def __init__(
        self, *, server: Server, seconds: float, wrk: str | None, database_url: str, export_port: int
    ):
        self.server, self.seconds, self.wrk = server, seconds, wrk
        self.database_url, self.export_port = database_url, export_port

    def _saturate(self, url: str, seconds: float) -> dict:
        if self.wrk:
            return drivers.wrk_saturate(self.wrk, url, seconds=seconds)
        return drivers.python_saturate(url, seconds=seconds)

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
        half = drivers.python_fixed_rate(url, rate=max(1.0, saturation["rps"] / 2), seconds=self.seconds)
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

        from bench.data_load import SITE_COLUMNS, LineStream, site_line
        from bench.generate import Reference, landscape_generate
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
        budget = float(os.environ.get("BENCH_IMPORT_BUDGET", "20"))
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


# --- One size, then the whole run -------------------------------------------------------------


def measure_size(size: int, *, probes, context: dict[str, str], deadline: float | None = None) -> dict:
    """The anchors and every workload at one size, each workload with its ratio to its anchor."""
    anchors = {}
    for anchor in ANCHORS:
        if anchor.kind == "http":
            anchors[anchor.name] = probes.http(anchor.path)
        elif anchor.kind == "copy_to":
            anchors[anchor.name] = probes.copy_to()
        else:
            anchors[anchor.name] = probes.copy_from()
    workloads = {}
    for workload in WORKLOADS:
        if deadline is not None and time.monotonic() > deadline:
            workloads[workload.name] = {"available": True, "skipped": "the run's time budget was spent"}
            continue
        start = time.monotonic()
        result = _with_ratio(workload, _measure(workload, probes, context), anchors)
        workloads[workload.name] = result | {"wall_s": round(time.monotonic() - start, 1)}
    return {"anchors": anchors, "workloads": workloads}


def _measure(workload: Workload, probes, context: dict[str, str]) -> dict:
    path = workload.path.format(**context)
    if workload.kind == "http":
        return probes.http(path)
    if workload.kind == "walk":
        return probes.walk(path)
    if workload.kind == "export":
        return probes.export(path)
    if workload.kind == "db_nearest":
        return probes.db_nearest(context["near"])
    if workload.kind == "import":
        return probes.import_()
    raise ValueError(f"Unknown workload kind {workload.kind!r}")


def figure(result: dict) -> tuple[float | None, str]:
    """The headline figure of a measurement and its unit."""
    if "saturation" in result:
        return result["saturation"]["rps"], "req/s"
    if "single_request_ms" in result:
        return round(1000 / result["single_request_ms"], 2), "req/s (one request: too slow to load)"
    if "rows_per_s" in result:
        return result["rows_per_s"], "rows/s"
    if "mb_per_s" in result:
        return result["mb_per_s"], "MB/s"
    if "db_ms" in result:
        return result["db_ms"], "ms"
    return None, ""


def _with_ratio(workload: Workload, result: dict, anchors: dict) -> dict:
    value, _ = figure(result)
    anchor_value, _ = figure(anchors.get(workload.anchor, {}))
    if result.get("paired_anchor_rps") and workload.anchor == "minimal_django":
        anchor_value = result["paired_anchor_rps"]
    if value is not None and anchor_value and not result.get("error"):
        result["ratio"] = round(value / anchor_value, 4)
    return {"anchor": workload.anchor} | result


def metric_value(metric: str, name: str, size: str, sizes: dict) -> float | None:
    result = sizes[size]["workloads"][name]
    if not result.get("available") or result.get("error") or result.get("skipped"):
        return None
    half = result.get("half_load") or {}
    if metric == "ratio":
        return result.get("ratio")
    if metric == "p95_ms":
        # One request slower than a second bounds p95 from below at any load.
        return half.get("p95_ms", result.get("single_request_ms"))
    if metric == "p99_over_p50":
        return round(half["p99_ms"] / half["p50_ms"], 2) if half.get("p50_ms") else None
    if metric in {"db_ms", "memory_growth_mib"}:
        return result.get(metric)
    smallest = sizes[min(sizes, key=int)]["workloads"][name]
    if len(sizes) < 2 or not smallest.get("available") or smallest.get("error"):
        return None
    if metric == "rps_vs_smallest":
        return round(figure(result)[0] / figure(smallest)[0], 3)
    if metric == "flat_memory":
        return round(result["memory_growth_mib"] - smallest["memory_growth_mib"], 1)
    raise ValueError(f"Unknown metric {metric!r}")


def evaluate(sizes: dict) -> list[dict]:
    """Every target at every size it applies to: the value, and whether it is met (None: not measured)."""
    largest = max(sizes, key=int)
    checks = []
    for workload in WORKLOADS:
        for target in workload.targets:
            for size in sizes:
                if target.largest_only and size != largest:
                    continue
                value = metric_value(target.metric, workload.name, size, sizes)
                checks.append(
                    {
                        "workload": workload.name,
                        "size": int(size),
                        "target": target.describe(),
                        "metric": target.metric,
                        "value": value,
                        "met": target.met(value),
                    }
                )
    return checks


def _fmt(value, digits=1) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and value >= 100:
        return f"{value:,.0f}"
    return f"{value:,.{digits}f}" if isinstance(value, float) else f"{value:,}"


def _short(size: str | int) -> str:
    size = int(size)
    if size % 1_000_000 == 0:
        return f"{size // 1_000_000}M"
    return f"{size // 1000}k" if size % 1000 == 0 else f"{size:,}"


def markdown(results: dict) -> str:
    meta, sizes = results["meta"], results["sizes"]
    lines = [
        f"## Bench {meta['date']} at {meta['commit']}",
        "",
        f"{meta['cores']} cores, {meta['driver']}, gunicorn {meta['workers']} workers, {meta['seconds']:g} s per "
        f"measurement. Load average before: {meta['load_average_start'][0]:.2f}. "
        + (
            "The machine was quiet."
            if meta["quiet"]
            else f"**The machine was not quiet** ({meta['quiet_note']})."
        ),
        "",
        "| anchor | " + " | ".join(_short(size) for size in sizes) + " |",
        "|---|" + "---|" * len(sizes),
    ]
    for anchor in ANCHORS:
        cells = []
        for size in sizes:
            value, unit = figure(sizes[size]["anchors"][anchor.name])
            cells.append(f"{_fmt(value)} {unit}" if value is not None else "not available")
        lines.append(f"| {anchor.name} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "| workload | sites | figure | ratio to anchor | p50 / p95 / p99 ms at half load | targets |",
        "|---|---|---|---|---|---|",
    ]
    checks = {}
    for check in results["targets"]:
        checks.setdefault((check["workload"], check["size"]), []).append(check)
    for workload in WORKLOADS:
        for size in sizes:
            result = sizes[size]["workloads"][workload.name]
            if not result.get("available"):
                lines.append(f"| {workload.name} | {_short(size)} | not available (404) | | | |")
                continue
            if result.get("skipped") or result.get("error"):
                lines.append(
                    f"| {workload.name} | {_short(size)} | {result.get('skipped') or result['error']} | | | |"
                )
                continue
            value, unit = figure(result)
            text = f"{_fmt(value)} {unit}"
            if "memory_growth_mib" in result:
                text += f", +{_fmt(result['memory_growth_mib'])} MiB"
            if result.get("peak_memory_growth_mib") is not None:
                text += f", +{_fmt(result['peak_memory_growth_mib'])} MiB peak"
            if result.get("partial"):
                text += f" ({result['rows']:,} rows)"
            if result.get("first_request_ms", 0) > SLOW_REQUEST_SECONDS * 1000 and "saturation" in result:
                text += f" (first request, cache cold: {_fmt(result['first_request_ms'])} ms)"
            half = result.get("half_load") or {}
            latency = (
                f"{_fmt(half.get('p50_ms'))} / {_fmt(half.get('p95_ms'))} / {_fmt(half.get('p99_ms'))}"
                if half
                else ""
            )
            verdicts = []
            for check in checks.get((workload.name, int(size)), []):
                mark = {True: "met", False: "**missed**", None: "n/a"}[check["met"]]
                verdicts.append(f"{check['target']}: {_fmt(check['value'], 2)} {mark}")
            ratio = f"{result['ratio']:.3f} × {workload.anchor}" if "ratio" in result else ""
            if ratio and result.get("paired_anchor_rps"):
                ratio += f" ({_fmt(result['paired_anchor_rps'])} req/s just before)"
            lines.append(
                f"| {workload.name} | {_short(size)} | {text} | {ratio} | {latency} | {'; '.join(verdicts)} |"
            )
    missed = [check for check in results["targets"] if check["met"] is False]
    lines += ["", f"{len(missed)} target(s) missed." if missed else "No target measured was missed."]
    if "load" in results:
        from bench import fault, load

        lines += load.markdown_lines(results["load"]["mixed"]) + fault.markdown_lines(
            results["load"]["fault"]
        )
    return "\n".join(lines) + "\n"


def _commit() -> str:
    def git(*args):
        return subprocess.run(["git", *args], cwd=BASE_DIR, capture_output=True, text=True).stdout.strip()  # noqa: S603, S607

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + ("-dirty" if git("status", "--porcelain", "--untracked-files=no") else "")


def _quiet(load: tuple[float, float, float], cores: int) -> tuple[bool, str]:
    if load[0] <= QUIET_LOAD_PER_CORE * cores:
        return True, ""
    return False, (
        f"1-minute load average {load[0]:.2f} on {cores} cores before measuring, above "
        f"{QUIET_LOAD_PER_CORE * cores:.1f}: ratios stay comparable, absolute figures are low"
    )


def run(*, sizes: list[int], seconds: float, seed: int, port: int, workers: int, budget: float) -> dict:
    from bench.database import bench_database_url

    started = time.monotonic()
    deadline = started + budget
    cores = os.cpu_count() or 1
    if os.environ.get("DATABASE_URL") or os.environ.get("BENCH_DATABASE_URL"):
        os.environ["DATABASE_URL_IS_EXTERNAL"] = "1"  # the fault test must not restart the embedded server
    database_url = bench_database_url()
    os.environ["DATABASE_URL"] = database_url
    wrk = drivers.ensure_wrk()
    manage = [sys.executable, "manage.py"]
    development = os.environ | {
        "DATABASE_URL": database_url,
        "DEBUG": "1",
        "DJANGO_SETTINGS_MODULE": "bench.settings",
    }
    subprocess.run([*manage, "migrate", "--no-input", "-v0"], cwd=BASE_DIR, env=development, check=True)  # noqa: S603
    subprocess.run(  # noqa: S603
        [*manage, "collectstatic", "--no-input", "-v0"],
        cwd=BASE_DIR,
        env=server_environment(database_url),
        check=True,
    )
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mmip_portal.settings")
    os.environ.setdefault("DEBUG", "1")
    django.setup()
    from django.db import connection

    load_start = os.getloadavg()
    quiet, note = _quiet(load_start, cores)
    results = {
        "meta": {
            "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%MZ"),
            "commit": _commit(),
            "host": platform.node(),
            "cores": cores,
            "python": platform.python_version(),
            "driver": "wrk (saturation) + asyncio fixed rate (latency)"
            if wrk
            else "asyncio (saturation and fixed rate)",
            "workers": workers,
            "seconds": seconds,
            "seed": seed,
            "load_average_start": list(load_start),
            "quiet": quiet,
            "quiet_note": note,
        },
        "sizes": {},
    }
    for size in sizes:
        print(f"bench: {size:,} sites", file=sys.stderr, flush=True)
        start = time.perf_counter()
        generated = subprocess.run(  # noqa: S603
            [*manage, "generate_bench_data", f"--sites={size}", f"--seed={seed}", "--if-changed"],
            cwd=BASE_DIR,
            env=development,
            check=True,
            capture_output=True,
            text=True,
        )
        generation = {"seconds": round(time.perf_counter() - start, 1), "output": generated.stdout.strip()}
        connection.close()
        load = os.getloadavg()
        context = url_context(size)
        server = Server(port=port, workers=workers, database_url=database_url)
        with server:
            probes = Probes(
                server=server, seconds=seconds, wrk=wrk, database_url=database_url, export_port=port + 1
            )
            measured = measure_size(size, probes=probes, context=context, deadline=deadline)
            if size == sizes[0] and not os.environ.get("BENCH_NO_LOAD_TEST"):
                # The mixed load test and the fault test, at the smallest size (bench/load.py, bench/fault.py).
                results["load"] = _load_and_fault(server, context, database_url) | {"size": size}
        results["sizes"][str(size)] = {
            "generation": generation,
            "load_average": list(load),
            "context": context,
        } | measured
        quiet_here, note_here = _quiet(load, cores)
        if not quiet_here:
            results["meta"]["quiet"] = False
            results["meta"]["quiet_note"] = note_here
    results["meta"]["load_average_end"] = list(os.getloadavg())
    results["meta"]["elapsed_s"] = round(time.monotonic() - started, 1)
    results["targets"] = evaluate(results["sizes"])
    return results


def _load_and_fault(server: Server, context: dict[str, str], database_url: str) -> dict:
    from bench import fault, load

    mixed = load.measure(server.base, context, seconds=float(os.environ.get("BENCH_LOAD_SECONDS", "20")))
    return {"mixed": mixed, "fault": fault.measure(server.base, context, database_url=database_url)}


def write(results: dict, folder: Path = RESULTS_DIR) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{results['meta']['date'].replace(':', '')}-{results['meta']['commit']}"
    json_path, md_path = folder / f"{stem}.json", folder / f"{stem}.md"
    json_path.write_text(json.dumps(results, indent=2) + "\n")
    md_path.write_text(markdown(results))
    return json_path, md_path


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Run the scale benchmark (docs/performance.md).")
    parser.add_argument(
        "--sizes", default=",".join(map(str, DEFAULT_SIZES)), help="comma-separated site counts"
    )
    parser.add_argument("--seconds", type=float, default=2.0, help="length of each load run")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--port", type=int, default=8108, help="gunicorn's port (the next one serves exports)"
    )
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument(
        "--budget", type=float, default=13 * 60, help="seconds after which workloads are skipped"
    )
    args = parser.parse_args(argv)
    sizes = [int(size.replace("_", "")) for size in args.sizes.split(",") if size.strip()]
    results = run(
        sizes=sizes,
        seconds=args.seconds,
        seed=args.seed,
        port=args.port,
        workers=args.workers,
        budget=args.budget,
    )
    json_path, md_path = write(results)
    print(markdown(results))
    print(f"Written {json_path.relative_to(BASE_DIR)} and {md_path.relative_to(BASE_DIR)}.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
