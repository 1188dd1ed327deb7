"""The fault test: restart PostgreSQL in the middle of a load run; no request may fail with a 500.

    python -m bench.fault --seconds 20 --restart-at 5     # alone (`make faulttest`)

gunicorn serves the portal on loopback while bench/load.py's driver sends the mixed requests at a
fixed rate (open loop, so requests keep arriving through the outage). After `restart_at` seconds
the database server the bench uses is restarted:

- the embedded server (no DATABASE_URL): `pg_ctl stop -m fast`, `down_seconds` (10 s) with no
  database at all, then `pg_ctl start`, as the server's own user;
- a DATABASE_URL server: the shell command in FAULT_RESTART_COMMAND (for example
  `sudo systemctl restart postgresql`); without one, the bench database's connections are
  terminated (`pg_terminate_backend`), which a server restart also does to every client.

It passes when no request at all got a 500 (or any 5xx other than 503), every failure during the
outage was a 503 with Retry-After's meaning, and every request sent from `grace` seconds after
the server was back succeeded (2xx/3xx): the portal recovered by itself.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import threading
import time
from collections import Counter

from bench import fault_redis, load
from bench.fault_writes import Writes
from bench.prepare import prepare
from bench.report import fault_run_lines
from bench.server import Server

DEFAULT_SECONDS = 30.0
# Long enough that every worker meets the outage, its connection timeouts and its retries; a
# restart of a fraction of a second proves little.
DEFAULT_DOWN_SECONDS = 10.0
DEFAULT_RESTART_AT = 5.0
DEFAULT_RATE = 4.0
# After the server is back, a request sent later than this must succeed.
DEFAULT_GRACE = 3.0


def restart_database(database_url: str, *, down_seconds: float = DEFAULT_DOWN_SECONDS) -> str:
    """Stop the server the bench database lives on for `down_seconds`, then start it; returns what was done."""
    command = os.environ.get("FAULT_RESTART_COMMAND")
    if command:
        subprocess.run(command, shell=True, check=True, stdout=subprocess.DEVNULL)  # noqa: S602
        return f"ran FAULT_RESTART_COMMAND ({command})"
    from core import devdb

    if os.environ.get("DATABASE_URL_IS_EXTERNAL"):
        return terminate_backends(database_url)
    server = devdb._server()
    # Started again as the library starts it: on its unix socket only, no TCP port (which another
    # PostgreSQL on the machine may hold).
    options = f"-h '' -k {shlex.quote(str(devdb.PGDATA))}"
    pg_ctl = [
        *(str(server.bin_path / "pg_ctl"), "-w", "-D", str(devdb.PGDATA), "-l", str(devdb.PGDATA / "log")),
        *("-o", options),
    ]

    def run(*action: str) -> None:
        arguments = [*pg_ctl, *action]
        if server.system_user:
            # As root the embedded server runs as its own unprivileged user; so must pg_ctl.
            arguments = ["su", server.system_user, "-s", "/bin/sh", "-c", shlex.join(arguments)]
        subprocess.run(arguments, check=True, stdout=subprocess.DEVNULL)  # noqa: S603

    run("stop", "-m", "fast")
    try:
        time.sleep(down_seconds)
    finally:
        run("start")
    return f"pg_ctl stop -m fast, {down_seconds:g} s down, pg_ctl start (the embedded server)"


def terminate_backends(database_url: str) -> str:
    """Drop every other connection to the bench database, as a restart does to its clients."""
    import psycopg2

    conn = psycopg2.connect(database_url)
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            (count,) = cursor.fetchone()
    finally:
        conn.close()
    return f"pg_terminate_backend of the bench database's {count} other connection(s)"


def judge(records, *, down_at: float, back_at: float, grace: float, allowed_during=(503,)) -> dict:
    """Sort the run's requests into before, during and after the outage, and say whether it passed.

    `allowed_during`: the failures the outage may cause (503 for the database; none for Redis,
    whose outage only costs the cache). Every 503 must say Retry-After.
    """
    # A request still in flight when the server went down belongs to the outage.
    before = [r for r in records if r[1] < down_at]
    after = [r for r in records if r[0] >= back_at + grace]
    during = [r for r in records if r[1] >= down_at and r[0] < back_at + grace]

    def statuses(part):
        return {str(status): count for status, count in sorted(Counter(r[2] for r in part).items())}

    server_errors = [r for r in records if r[2] >= 500 and r[2] != 503]
    unexpected_during = [r for r in during if load.is_error(r[2]) and r[2] not in allowed_during]
    without_retry_after = [r for r in records if r[2] == 503 and not (len(r) > 4 and r[4])]
    failed_after = [r for r in after if load.is_error(r[2])]
    failed_before = [r for r in before if load.is_error(r[2])]
    last_503 = max((r[0] for r in records if r[2] == 503), default=None)
    first_ok_after = min((r[0] for r in records if r[0] >= back_at and not load.is_error(r[2])), default=None)
    problems = []
    if server_errors:
        problems.append(f"{len(server_errors)} request(s) failed with a 5xx other than 503")
    if unexpected_during:
        allowed = " or ".join(map(str, allowed_during)) or "none"
        problems.append(
            f"{len(unexpected_during)} request(s) during the outage failed with a status other than {allowed}"
        )
    if without_retry_after:
        problems.append(f"{len(without_retry_after)} 503 answer(s) without Retry-After")
    if failed_after:
        problems.append(f"{len(failed_after)} request(s) sent {grace:g} s after the database was back failed")
    if failed_before:
        problems.append(f"{len(failed_before)} request(s) failed before the fault")
    if not after:
        problems.append("no request was sent after the recovery window: lengthen the run")
    return {
        "down_at_s": round(down_at, 2),
        "back_at_s": round(back_at, 2),
        "outage_s": round(back_at - down_at, 2),
        "grace_s": grace,
        "before": {"requests": len(before), "statuses": statuses(before)},
        "during": {"requests": len(during), "statuses": statuses(during)},
        "after": {"requests": len(after), "statuses": statuses(after)},
        "server_errors": len(server_errors),
        "counts": counts(records),
        "retry_after_on_every_503": not without_retry_after,
        "last_503_s": round(last_503, 2) if last_503 is not None else None,
        "first_success_after_restart_s": round(first_ok_after, 2) if first_ok_after is not None else None,
        "problems": problems,
        "passed": not problems,
    }


def counts(records) -> dict[str, int]:
    """The run's answers as the report gives them: 200, 503, 500 and everything else."""
    statuses = Counter(r[2] for r in records)
    return {
        "200": statuses[200],
        "503": statuses[503],
        "500": statuses[500],
        "other": sum(statuses.values()) - statuses[200] - statuses[503] - statuses[500],
    }


def measure(
    base: str,
    context: dict[str, str],
    *,
    database_url: str,
    seconds: float = DEFAULT_SECONDS,
    restart_at: float = DEFAULT_RESTART_AT,
    rate: float = DEFAULT_RATE,
    grace: float = DEFAULT_GRACE,
    fault=None,
    allowed_during=(503,),
    alongside=None,
) -> dict:
    """Load at `rate` requests/s for `seconds`, with `fault()` (a database restart) at `restart_at`;
    `alongside(stop)` (the writes in flight) runs in its own thread until `stop` is set."""
    fault = fault or (lambda: restart_database(database_url))
    paths = load.mix_paths(context)
    key, pk = load.create_api_key()
    timeline = {}
    started = time.monotonic()

    def inject():
        time.sleep(restart_at)
        timeline["down_at"] = time.monotonic() - started
        try:
            timeline["action"] = fault()
        except Exception as error:  # noqa: BLE001 - reported as the result, the load run goes on
            timeline["action"] = f"the fault could not be injected: {error}"
        timeline["back_at"] = time.monotonic() - started

    injector = threading.Thread(target=inject)
    stop = threading.Event()
    companion = threading.Thread(target=alongside, args=(stop,)) if alongside else None
    try:
        injector.start()
        if companion:
            companion.start()
        records = load.drive(base, paths, seconds=seconds, rate=rate, api_key=key, origin=started)
        injector.join()
    finally:
        stop.set()
        if companion:
            companion.join()
        # The key's own connection may have been one the fault dropped.
        from django.db import connection

        connection.close()
        load.delete_api_key(pk)
    result = judge(
        records,
        down_at=timeline["down_at"],
        back_at=timeline["back_at"],
        grace=grace,
        allowed_during=allowed_during,
    )
    if timeline["action"].startswith("the fault could not"):
        result["problems"].append(timeline["action"])
        result["passed"] = False
    return {"fault": timeline["action"], "seconds": seconds, "rate": rate, "requests": len(records)} | result


def redis_phase(server: Server, context: dict[str, str], redis, *, database_url: str, **options) -> dict:
    """Redis killed and restarted under load: the cache and rate limits fail open, nothing answers 5xx."""
    if redis is None:
        return {"skipped": "redis-server is not installed on this machine; the Redis phase needs one"}
    return measure(
        server.base,
        context,
        database_url=database_url,
        fault=redis.kill_and_restart,
        allowed_during=(),
        **options,
    )


def run_phases(args, database_url: str, context: dict[str, str]) -> dict:
    """The PostgreSQL phase (with writes in flight) and the Redis phase, against one gunicorn."""
    binary = fault_redis.redis_server_binary()
    redis = fault_redis.RedisServer(binary).start() if binary else None
    environment = {"REDIS_URL": redis.url} if redis else {}
    options = {"seconds": args.seconds, "restart_at": args.restart_at, "rate": args.rate, "grace": args.grace}
    try:
        with Server(
            port=args.port, workers=args.workers, database_url=database_url, environment=environment
        ) as server:
            writes = Writes()
            postgresql = measure(
                server.base, context, database_url=database_url, alongside=writes.run, **options
            )
            postgresql["writes"] = writes.verify()
            if not postgresql["writes"]["passed"]:
                postgresql["problems"] += postgresql["writes"]["problems"] or ["no write committed"]
                postgresql["passed"] = False
            redis_result = redis_phase(server, context, redis, database_url=database_url, **options)
    finally:
        if redis:
            redis.stop()
    return {
        "sites": args.sites,
        "redis_url": redis.url if redis else None,
        "phases": {"postgresql": postgresql, "redis": redis_result},
        "passed": postgresql["passed"] and redis_result.get("passed", True),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="The fault test (docs/performance.md).")
    parser.add_argument("--seconds", type=float, default=DEFAULT_SECONDS)
    parser.add_argument("--restart-at", type=float, default=DEFAULT_RESTART_AT)
    parser.add_argument("--rate", type=float, default=DEFAULT_RATE, help="requests per second sent")
    parser.add_argument("--grace", type=float, default=DEFAULT_GRACE)
    parser.add_argument("--sites", type=int, default=10_000, help="generated sites in the bench database")
    parser.add_argument("--port", type=int, default=8108)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    args = parser.parse_args(argv)
    database_url, context = prepare(sites=args.sites)
    result = run_phases(args, database_url, context)
    load.write("fault", result, fault_run_lines(result))
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
