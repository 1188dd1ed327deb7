"""`make faulttest`'s fault: the embedded PostgreSQL is down for ten seconds, not restarted in a blink."""

import shlex
import signal

import pytest

from bench import fault, fault_redis, report
from bench.fault_writes import Writes


@pytest.fixture
def embedded_server():
    """The embedded server as `make faulttest` finds it: set up, before `subprocess.run` is replaced
    (a fresh checkout tested against another PostgreSQL has no embedded cluster yet)."""
    from core import devdb

    return devdb._server()


def test_the_embedded_database_is_stopped_for_ten_seconds_then_started(monkeypatch, embedded_server):
    steps = []
    monkeypatch.delenv("FAULT_RESTART_COMMAND", raising=False)
    monkeypatch.delenv("DATABASE_URL_IS_EXTERNAL", raising=False)
    monkeypatch.setattr(
        fault.subprocess, "run", lambda arguments, **kwargs: steps.append(" ".join(arguments))
    )
    monkeypatch.setattr(fault.time, "sleep", lambda seconds: steps.append(("down", seconds)))

    done = fault.restart_database("postgres://unused")

    stop, down, start = steps
    assert stop.endswith("stop -m fast") and start.endswith(" start")
    assert down == ("down", 10.0)
    assert fault.DEFAULT_DOWN_SECONDS == 10.0
    assert "10 s down" in done


def test_the_embedded_database_starts_again_on_its_unix_socket_only(monkeypatch, embedded_server):
    """Another PostgreSQL on the machine may hold port 5432: the restart must not need a TCP port."""
    steps = []
    monkeypatch.delenv("FAULT_RESTART_COMMAND", raising=False)
    monkeypatch.delenv("DATABASE_URL_IS_EXTERNAL", raising=False)
    monkeypatch.setattr(fault.subprocess, "run", lambda arguments, **kwargs: steps.append(arguments))
    monkeypatch.setattr(fault.time, "sleep", lambda seconds: None)

    fault.restart_database("postgres://unused")

    start = shlex.split(steps[-1][-1]) if steps[-1][0] == "su" else steps[-1]
    assert start[-1] == "start"
    options = shlex.split(start[start.index("-o") + 1])
    assert options[:3] == ["-h", "", "-k"]


# --- Phases, Retry-After and the report ---------------------------------------------------------


def _record(start, status, retry_after=None, length=0.1):
    return (start, start + length, status, "site", status == 503 if retry_after is None else retry_after)


def test_a_503_without_retry_after_fails_the_run():
    records = [_record(0.5, 200), _record(2.5, 503, retry_after=False), _record(7.0, 200)]
    verdict = fault.judge(records, down_at=2.0, back_at=3.0, grace=2.0)
    assert not verdict["passed"]
    assert verdict["retry_after_on_every_503"] is False
    assert "1 503 answer(s) without Retry-After" in verdict["problems"]
    assert verdict["counts"] == {"200": 2, "503": 1, "500": 0, "other": 0}


def test_a_redis_outage_may_not_cost_any_answer_not_even_a_503():
    records = [_record(0.5, 200), _record(2.5, 503), _record(7.0, 200)]
    assert fault.judge(records, down_at=2.0, back_at=3.0, grace=2.0)["passed"]
    verdict = fault.judge(records, down_at=2.0, back_at=3.0, grace=2.0, allowed_during=())
    assert not verdict["passed"]
    assert any("status other than none" in problem for problem in verdict["problems"])


def _phase(records, **kwargs):
    verdict = fault.judge(records, down_at=2.0, back_at=3.0, grace=2.0, **kwargs)
    return verdict | {"fault": "the fault", "requests": len(records), "rate": 4.0, "seconds": 10.0}


def test_the_report_lists_each_phase_with_its_200_503_500_counts_and_retry_after():
    postgresql = _phase([_record(0.5, 200), _record(2.5, 503), _record(2.6, 503), _record(7.0, 200)])
    postgresql["writes"] = Writes().verdict({}) | {"attempted": 3, "committed": 2, "failed_with_error": 1}
    redis = _phase([_record(0.5, 200), _record(2.5, 200), _record(7.0, 200)], allowed_during=())
    lines = report.fault_run_lines({"phases": {"postgresql": postgresql, "redis": redis}})
    text = "\n".join(lines)
    assert (
        "| phase | fault | requests | 200 | 503 | 500 | other | Retry-After on every 503 | passed |" in lines
    )
    assert "| postgresql | the fault | 4 | 2 | 2 | 0 | 0 | yes | yes |" in lines
    assert "| redis | the fault | 3 | 3 | 0 | 0 | 0 | yes | yes |" in lines
    assert "Writes in flight through the PostgreSQL outage: 3 attempted, 2 committed" in text
    assert "### Fault test: Redis killed and restarted under load" in text
    assert "Answers: 2 × 200, 2 × 503, 0 × 500, 0 other; Retry-After on every 503: yes." in text


def test_without_redis_server_the_redis_phase_is_skipped_with_its_reason(monkeypatch):
    monkeypatch.setattr(fault_redis, "redis_server_binary", lambda: None)
    phase = fault.redis_phase(server=None, context={}, redis=None, database_url="postgres://unused")
    assert "redis-server is not installed" in phase["skipped"]
    lines = report.fault_run_lines({"phases": {"postgresql": _phase([_record(7.0, 200)]), "redis": phase}})
    assert any(line.startswith("| redis | skipped: redis-server is not installed") for line in lines)


@pytest.mark.skipif(not fault_redis.redis_server_binary(), reason="redis-server is not installed")
def test_the_fault_runs_its_own_redis_on_a_free_port_and_kills_and_restarts_it():
    server = fault_redis.RedisServer(fault_redis.redis_server_binary())
    assert server.port != 6379
    assert str(fault_redis.FOLDER).endswith("var/fault-redis")
    with server:
        assert fault_redis.answers(server.port)
        process = server.process
        done = server.kill_and_restart(down_seconds=0)
        assert process.returncode == -signal.SIGKILL
        assert fault_redis.answers(server.port)
        assert "SIGKILL" in done
    assert not fault_redis.answers(server.port)


# --- Writes in flight: whole or absent --------------------------------------------------------


def test_a_half_written_or_a_lost_write_fails_the_check():
    writes = Writes()
    writes.attempts = {"a": "committed", "b": "OperationalError", "c": "committed", "d": "InterfaceError"}
    verdict = writes.verdict({"a": 4, "b": 0, "c": 0, "d": 2})
    assert not verdict["passed"]
    assert verdict["half_written"] == 1 and verdict["lost"] == 1
    assert verdict["errors"] == {"InterfaceError": 1, "OperationalError": 1}

    whole = writes.verdict({"a": 4, "b": 4, "c": 4, "d": 0})
    assert whole["passed"], whole["problems"]
    assert whole["failed_but_present"] == 1  # an error on COMMIT may hide a commit: whole, not lost


@pytest.mark.django_db
def test_a_write_commits_all_its_rows_or_none_of_them(monkeypatch):
    from django.db import OperationalError

    from bench import fault_writes
    from manufacturers import services
    from tests.manufacturers.factories import SiteFactory

    template = SiteFactory()
    writes = Writes()
    writes.write_one(f"{writes.prefix} 0001", template)
    writes.attempts[f"{writes.prefix} 0001"] = "committed"

    def database_gone(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(services, "site_save", database_gone)
    with pytest.raises(OperationalError):
        writes.write_one(f"{writes.prefix} 0002", template)
    writes.attempts[f"{writes.prefix} 0002"] = "OperationalError"

    rows = writes.rows_of(sorted(writes.attempts))
    assert rows == {f"{writes.prefix} 0001": fault_writes.ROWS_PER_WRITE, f"{writes.prefix} 0002": 0}
    verdict = writes.verify()
    assert verdict["passed"] and verdict["committed"] == 1 and verdict["failed_with_error"] == 1
    assert verdict["cleaned_up"] == 1
    assert writes.rows_of(sorted(writes.attempts)) == dict.fromkeys(writes.attempts, 0)
