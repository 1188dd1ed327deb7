"""The load and fault tests' driver, summary and verdicts, against a tiny local HTTP server (no timings)."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench import fault, load, report

CONTEXT = {
    "site_slug": "edinburgh-5",
    "region": "scotland",
    "capability": "process_development",
    "uk_bbox": "-8.7,49.8,1.8,60.9",
    "city_bbox": "-3.9,55.5,-2.5,56.4",
    "street_bbox": "-3.24,55.93,-3.15,55.98",
    "town": "Milton Keynes",
    "taxonomy_word": "ATMP",
    "near_place": "Stevenage",
}


@pytest.fixture
def recording_server():
    """Answers 200 to everything except paths starting /broken (500), recording each request's key."""
    seen = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            seen.append((self.path, self.headers.get("X-Api-Key")))
            body = b"{}"
            self.send_response(500 if self.path.startswith("/broken") else 200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


def test_the_mix_fills_every_template_and_mixes_pages_with_api_calls():
    paths = load.mix_paths(CONTEXT)
    assert {request.kind for request, _ in paths} == {"page", "api"}
    assert all("{" not in path for _, path in paths)
    assert ("search", "/search/?q=Milton%20Keynes") in {(request.name, path) for request, path in paths}
    assert "/api/v1/sites/?format=geojson&bbox=-3.24,55.93,-3.15,55.98" in {path for _, path in paths}


def test_the_driver_sends_the_partner_key_with_api_calls_only(recording_server):
    base, seen = recording_server
    records = load.drive(base, load.mix_paths(CONTEXT), seconds=0.5, connections=2, api_key="abc.def")
    assert len(records) == len(seen) > 0
    for path, key in seen:
        assert key == ("abc.def" if path.startswith("/api/") else None), path
    summary = load.summarise(records, 0.5)
    assert summary["errors"] == 0
    assert summary["statuses"] == {"200": len(records)}
    assert summary["requests"] == sum(part["requests"] for part in summary["by_request"].values())
    assert {"p50_ms", "p95_ms", "p99_ms", "rps"} <= summary.keys()


def test_a_server_error_is_counted_against_its_request(recording_server):
    base, _ = recording_server
    mix = (load.Request("fine", "page", "/", 1), load.Request("broken", "api", "/broken/", 1))
    records = load.drive(base, load.mix_paths(CONTEXT, mix), rate=20, seconds=0.5)
    summary = load.summarise(records, 0.5)
    assert summary["errors"] == summary["by_request"]["broken"]["requests"] > 0
    assert summary["by_request"]["fine"]["errors"] == 0


def test_a_request_to_a_closed_port_is_an_error_not_a_crash():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    records = load.drive(f"http://127.0.0.1:{port}", load.mix_paths(CONTEXT), rate=10, seconds=0.3)
    assert {record[2] for record in records} == {599}


def _record(start, status, length=0.1):
    return (start, start + length, status, "site", status == 503)


def test_the_fault_verdict_allows_503_only_during_the_outage():
    records = [
        _record(0.5, 200),
        _record(1.9, 503, length=0.2),  # in flight when the database went down
        _record(2.5, 503),
        _record(4.5, 200),
        _record(6.0, 200),
    ]
    verdict = fault.judge(records, down_at=2.0, back_at=3.0, grace=2.0)
    assert verdict["passed"], verdict["problems"]
    assert verdict["before"]["statuses"] == {"200": 1}
    assert verdict["during"]["statuses"] == {"200": 1, "503": 2}
    assert verdict["after"]["statuses"] == {"200": 1}
    assert verdict["first_success_after_restart_s"] == 4.5


@pytest.mark.parametrize(
    ("late", "problem"),
    [
        (_record(2.5, 500), "5xx other than 503"),
        (_record(6.0, 503), "after the database was back failed"),
        (_record(2.5, 404), "status other than 503"),
    ],
)
def test_the_fault_verdict_fails_on_a_500_or_a_failure_after_recovery(late, problem):
    records = [_record(0.5, 200), late, _record(7.0, 200)]
    verdict = fault.judge(records, down_at=2.0, back_at=3.0, grace=2.0)
    assert not verdict["passed"]
    assert any(problem in text for text in verdict["problems"])
    assert any(problem[:10] in line for line in report.fault_lines(verdict | _meta()))


def _meta():
    return {
        "requests": 3,
        "rate": 6.0,
        "seconds": 10.0,
        "fault": "pg_ctl restart -m fast (the embedded server)",
    }
