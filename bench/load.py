"""The mixed load test: public pages and API calls together, as visitors and partners use the portal.

    python -m bench.load --seconds 20          # alone (`make loadtest`), on the bench database

gunicorn (mmip_portal/gunicorn_conf.py, DEBUG off) serves the portal on loopback; an asyncio
driver keeps `connections` keep-alive connections busy for `seconds`, each request drawn from
MIX by weight. API calls carry a partner API key created for the run (and deleted after it), so
the API's rate limits are a partner's, not an anonymous visitor's. It reports requests per second,
p50/p95/p99 latency and every error: any status other than 2xx/3xx, and timeouts. There must be
none. bench/run.py runs it as part of `make bench`; bench/fault.py reuses its driver. The
Markdown comes from bench/report.py.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from bench import drivers
from bench.paths import BASE_DIR, RESULTS_DIR, commit_id
from bench.prepare import prepare
from bench.report import load_lines
from bench.server import Server

REQUEST_TIMEOUT = 30.0
DEFAULT_SECONDS = 20.0
DEFAULT_CONNECTIONS = 4
API_KEY_NAME = "bench load test (deleted after the run)"


@dataclass(frozen=True)
class Request:
    name: str
    kind: str  # "page" | "api"
    path: str  # a template filled from bench.context.url_context
    weight: int


# Roughly what a public portal sees: mostly pages, the map's clusters, and partners' API reads.
MIX = (
    Request("home", "page", "/", 10),
    Request("directory", "page", "/sites/", 10),
    Request("directory_filtered", "page", "/sites/?region={region}&capability={capability}", 8),
    Request("site", "page", "/sites/{site_slug}/", 10),
    Request("map", "page", "/map/", 4),
    Request("map_clusters", "page", "/map/clusters.json?zoom=6&bbox={uk_bbox}", 8),
    Request("map_clusters_city", "page", "/map/clusters.json?zoom=11&bbox={city_bbox}", 6),
    Request("case_studies", "page", "/case-studies/", 5),
    Request("search", "page", "/search/?q={town_q}", 6),
    Request("api_sites", "api", "/api/v1/sites/", 10),
    Request("api_sites_filtered", "api", "/api/v1/sites/?region={region}", 6),
    Request("api_geojson_bbox", "api", "/api/v1/sites/?format=geojson&bbox={street_bbox}", 6),
    Request("api_facets", "api", "/api/v1/sites/facets/", 6),
)


def mix_paths(context: dict[str, str], mix=MIX) -> list[tuple[Request, str]]:
    values = context | {"town_q": quote(context.get("town") or "London")}
    return [(request, request.path.format(**values)) for request in mix]


# --- The driver ------------------------------------------------------------------------------


async def _get(host, port, target, headers, connection):
    """One HTTP/1.1 GET; returns (status, whether it said Retry-After, the connection if it may be reused)."""
    if connection is None:
        connection = await asyncio.open_connection(host, port)
    reader, writer = connection
    extra = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    writer.write(f"GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\n{extra}\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    fields = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        fields[name.strip().lower()] = value.strip().lower()
    reusable = fields.get("connection") != "close"
    if "content-length" in fields:
        await reader.readexactly(int(fields["content-length"]))
    elif fields.get("transfer-encoding") == "chunked":
        while size := int((await reader.readline()).split(b";")[0].strip(), 16):
            await reader.readexactly(size + 2)
        await reader.readline()
    else:
        await reader.read()
        reusable = False
    retry_after = "retry-after" in fields
    if not reusable:
        writer.close()
        return status, retry_after, None
    return status, retry_after, connection


async def _drive(base, paths, *, seconds, connections, rate, api_key, seed, origin=None):
    """Requests drawn from `paths` by weight: closed loop on `connections`, or open loop at `rate`/s.

    Returns one record per request: (start, end, status, name, whether it said Retry-After), in
    seconds from `origin` (a time.monotonic() value; the run's own start by default). A status of
    599 stands for a timeout or a connection the server dropped.
    """
    parts = urlsplit(base)
    host, port = parts.hostname, parts.port or 80
    chooser = random.Random(seed)
    weights = [request.weight for request, _ in paths]
    loop = asyncio.get_running_loop()
    idle: list = []
    records: list[tuple[float, float, int, str, bool]] = []
    start = loop.time()  # asyncio's clock is time.monotonic()
    zero = start if origin is None else origin
    slots = asyncio.Semaphore(64 if rate else connections)

    async def one():
        request, path = chooser.choices(paths, weights)[0]
        headers = {"X-Api-Key": api_key} if api_key and request.kind == "api" else {}
        async with slots:
            began = loop.time() - zero
            connection = idle.pop() if idle else None
            try:
                try:
                    status, retry_after, connection = await asyncio.wait_for(
                        _get(host, port, path, headers, connection), REQUEST_TIMEOUT
                    )
                except (ConnectionError, asyncio.IncompleteReadError):
                    # A kept-alive connection the server had closed: once more on a new one.
                    status, retry_after, connection = await asyncio.wait_for(
                        _get(host, port, path, headers, None), REQUEST_TIMEOUT
                    )
            except (TimeoutError, ConnectionError, asyncio.IncompleteReadError, OSError):
                status, retry_after, connection = 599, False, None
            records.append((began, loop.time() - zero, status, request.name, retry_after))
            if connection is not None:
                idle.append(connection)

    if rate:
        tasks = []
        for number in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, start + number / rate - loop.time()))
            tasks.append(asyncio.create_task(one()))
        await asyncio.gather(*tasks)
    else:

        async def closed_loop():
            while loop.time() - start < seconds:
                await one()

        await asyncio.gather(*(closed_loop() for _ in range(connections)))
    for _reader, writer in idle:
        writer.close()
    return records


def drive(
    base, paths, *, seconds, connections=DEFAULT_CONNECTIONS, rate=None, api_key=None, seed=1, origin=None
):
    return drivers.in_own_loop(
        _drive(
            base,
            paths,
            seconds=seconds,
            connections=connections,
            rate=rate,
            api_key=api_key,
            seed=seed,
            origin=origin,
        )
    )


def is_error(status: int) -> bool:
    return not 200 <= status < 400


def summarise(records, seconds: float) -> dict:
    """Requests per second, p50/p95/p99 and errors, overall and per request of the mix."""
    latencies = [record[1] - record[0] for record in records]
    statuses = Counter(record[2] for record in records)
    errors = sum(count for status, count in statuses.items() if is_error(status))
    summary = drivers.summary(latencies, len(records), seconds, 0, errors)
    summary.pop("bytes"), summary.pop("mb_per_s")
    summary["statuses"] = {str(status): count for status, count in sorted(statuses.items())}
    by_name = {}
    for name in sorted({record[3] for record in records}):
        own = [record for record in records if record[3] == name]
        part = drivers.summary([end - began for began, end, *_ in own], len(own), seconds, 0, 0)
        by_name[name] = {
            "requests": part["requests"],
            "p50_ms": part.get("p50_ms"),
            "p95_ms": part.get("p95_ms"),
            "errors": sum(is_error(record[2]) for record in own),
        }
    summary["by_request"] = by_name
    return summary


# --- A partner key for the run ---------------------------------------------------------------


def create_api_key() -> tuple[str, int]:
    """A partner API key in the database Django is set up on; returns (key, id)."""
    from rest_framework_api_key.models import APIKey

    api_key, key = APIKey.objects.create_key(name=API_KEY_NAME)
    return key, api_key.pk


def delete_api_key(pk: int) -> None:
    from rest_framework_api_key.models import APIKey

    APIKey.objects.filter(pk=pk).delete()


# --- The test --------------------------------------------------------------------------------


def measure(
    base: str, context: dict[str, str], *, seconds: float = DEFAULT_SECONDS, connections=None
) -> dict:
    """The mixed load test against a running server whose database Django is set up on."""
    connections = connections or DEFAULT_CONNECTIONS
    paths = mix_paths(context)
    key, pk = create_api_key()
    try:
        # One of each first: a missing page is a finding, not something to load.
        warm = {request.name: drivers.status_of(base + path)[0] for request, path in paths}
        records = drive(base, paths, seconds=seconds, connections=connections, api_key=key)
    finally:
        delete_api_key(pk)
    result = summarise(records, seconds)
    return result | {
        "seconds": seconds,
        "connections": connections,
        "warm_up_statuses": warm,
        "load_average_after": [round(value, 2) for value in os.getloadavg()],
        "mix": [{"name": r.name, "kind": r.kind, "path": p, "weight": r.weight} for r, p in paths],
        "passed": result["errors"] == 0 and all(not is_error(status) for status in warm.values()),
    }


def write(name: str, result: dict, lines: list[str]) -> None:
    """Save a test's result as bench/results/<date>-<commit>-<name>.json and its Markdown as .md."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H%MZ")
    stem = RESULTS_DIR / f"{stamp}-{commit_id()}-{name}"
    stem.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    stem.with_suffix(".md").write_text("\n".join(lines).lstrip() + "\n")
    print("\n".join(lines))
    print(f"\nWritten {stem.relative_to(BASE_DIR)}.json and .md")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="The mixed load test (docs/performance.md).")
    parser.add_argument("--seconds", type=float, default=DEFAULT_SECONDS)
    parser.add_argument("--connections", type=int, default=DEFAULT_CONNECTIONS)
    parser.add_argument("--sites", type=int, default=10_000, help="generated sites in the bench database")
    parser.add_argument("--port", type=int, default=8108)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    args = parser.parse_args(argv)
    database_url, context = prepare(sites=args.sites)
    with Server(port=args.port, workers=args.workers, database_url=database_url) as server:
        started = time.monotonic()
        result = measure(server.base, context, seconds=args.seconds, connections=args.connections)
    result["sites"], result["wall_s"] = args.sites, round(time.monotonic() - started, 1)
    write("load", result, load_lines(result))
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
