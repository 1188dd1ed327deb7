"""`make faulttest`'s fault: the embedded PostgreSQL is down for ten seconds, not restarted in a blink."""

from bench import fault


def test_the_embedded_database_is_stopped_for_ten_seconds_then_started(monkeypatch):
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
