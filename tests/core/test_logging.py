"""Request logs: one structured line per request, with its id, and no personal data."""

import json
import logging
import sys

import pytest

from core.logging import JsonFormatter, RequestIdFilter, axes_client_str

pytestmark = pytest.mark.django_db


def _request_lines(caplog):
    return [record for record in caplog.records if record.name == "mmip_portal.request"]


def test_each_request_logs_one_line_with_its_fields(client, caplog):
    with caplog.at_level(logging.INFO, logger="mmip_portal.request"):
        response = client.get("/sites/", {"q": "sterile"})
    (record,) = _request_lines(caplog)
    assert (record.method, record.path, record.route, record.status) == ("GET", "/sites/", "sites/", 200)
    assert record.duration_ms >= 0
    assert record.request_id == response["X-Request-ID"]
    assert len(record.request_id) == 32


def test_a_request_id_from_the_load_balancer_is_kept_and_echoed(client, caplog):
    with caplog.at_level(logging.INFO, logger="mmip_portal.request"):
        response = client.get("/", headers={"X-Request-ID": "lb-4f2a-9c1d"})
    assert response["X-Request-ID"] == "lb-4f2a-9c1d"
    assert _request_lines(caplog)[0].request_id == "lb-4f2a-9c1d"


@pytest.mark.parametrize("incoming", ["a" * 500, "id with spaces", "<script>", "é"])
def test_an_unusable_request_id_is_replaced(client, incoming):
    response = client.get("/", headers={"X-Request-ID": incoming})
    assert response["X-Request-ID"] != incoming
    assert len(response["X-Request-ID"]) == 32


def test_the_json_line_holds_no_personal_data(client, caplog):
    formatter = JsonFormatter()
    with caplog.at_level(logging.INFO):
        client.get(
            "/sites/",
            {"q": "jane.doe@example.org"},
            REMOTE_ADDR="203.0.113.7",
            headers={"User-Agent": "Secret-Agent/1.0", "Cookie": "sessionid=abc"},
        )
    lines = [formatter.format(record) for record in caplog.records]
    assert lines
    for line in lines:
        assert "jane.doe" not in line
        assert "example.org" not in line
        assert "203.0.113.7" not in line
        assert "Secret-Agent" not in line
        assert "sessionid" not in line
    entry = json.loads(formatter.format(_request_lines(caplog)[0]))
    assert set(entry) == {
        "time",
        "level",
        "logger",
        "message",
        "request_id",
        "method",
        "path",
        "route",
        "status",
        "duration_ms",
    }
    assert entry["path"] == "/sites/"


def test_other_log_lines_in_a_request_carry_its_id(client, caplog):
    # Django's own "Not Found" line is written after the middleware has finished.
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get("/sites/no-such-site/")
    record = next(record for record in caplog.records if record.name == "django.request")
    RequestIdFilter().filter(record)
    assert record.request_id == response["X-Request-ID"]


def test_health_checks_are_logged_quietly(client, caplog):
    with caplog.at_level(logging.INFO, logger="mmip_portal.request"):
        client.get("/healthz")
    assert _request_lines(caplog) == []


def test_the_formatter_keeps_exceptions_and_drops_unknown_extras():
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "boom %s", ("now",), None)
    record.request = object()  # what django.request attaches: never serialised
    record.email = "someone@example.org"
    try:
        raise ValueError("bad")
    except ValueError:
        record.exc_info = sys.exc_info()
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "boom now"
    assert "ValueError: bad" in entry["exception"]
    assert "email" not in entry and "request" not in entry


def test_axes_log_lines_name_a_pseudonym_not_the_person():
    name = axes_client_str("jane@example.org", "203.0.113.7", "UA", "/admin/login/", None)
    assert name.startswith("client ")
    assert "jane" not in name and "203.0" not in name
    assert name == axes_client_str("jane@example.org", "203.0.113.7", "other UA", "/", None)
