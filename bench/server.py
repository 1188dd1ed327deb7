"""gunicorn serving the portal on loopback for the bench, as `make serve` does, and what /proc says about it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from bench import drivers
from bench.paths import BASE_DIR, LOG_FILE

# The anchor view of bench/urls.py: the server is ready once it answers.
MINIMAL_PATH = "/bench/minimal.json"


def server_environment(database_url: str) -> dict[str, str]:
    """Production settings (DEBUG off) for loopback: no TLS redirect, a throwaway key, the bench data."""
    return os.environ | {
        "DEBUG": "0",
        "TESTING": "",
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "SECRET_KEY": "bench-only-not-a-secret-" + "x" * 32,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CONTACT_EMAIL": "portal@localhost",
        "DATABASE_URL": database_url,
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "SECURE_HSTS_SECONDS": "0",
        # The API's quotas per client and key would answer most of a load run with 429.
        **{
            f"API_QUOTA_{kind}_PER_{period}": "1000000000"
            for kind in ("ANONYMOUS", "OGC", "DOWNLOADS", "STANDARD", "BULK")
            for period in ("MINUTE", "DAY")
        },
        "LOG_LEVEL": "WARNING",
    }


class Server:
    """gunicorn serving the portal on 127.0.0.1:`port`, stopped by `stop()` (or leaving the `with`)."""

    def __init__(
        self, *, port: int, workers: int, database_url: str, environment: dict[str, str] | None = None
    ):
        self.port, self.workers, self.database_url = port, workers, database_url
        self.environment = (
            environment or {}
        )  # on top of server_environment's, e.g. the fault test's REDIS_URL
        self.process: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        gunicorn = Path(sys.executable).with_name("gunicorn")
        # The production configuration of `make serve` (worker class, threads, keep-alive) when
        # there is one; the bind address and worker count given here take precedence over it.
        config = BASE_DIR / "mmip_portal" / "gunicorn_conf.py"
        return [
            str(gunicorn),
            *(["--config=python:mmip_portal.gunicorn_conf"] if config.exists() else []),
            "mmip_portal.wsgi:application",
            f"--bind=127.0.0.1:{self.port}",
            f"--workers={self.workers}",
            "--timeout=600",
            "--log-level=warning",
            *os.environ.get("BENCH_GUNICORN_ARGS", "").split(),
        ]

    def start(self) -> Server:
        LOG_FILE.parent.mkdir(parents=True, exist_ok=True)
        # Django logs each 404 (a workload not merged yet) and any 500 here, not on the table's output.
        self.log = open(LOG_FILE, "a")  # noqa: SIM115
        self.process = subprocess.Popen(  # noqa: S603
            self.command(),
            cwd=BASE_DIR,
            env=server_environment(self.database_url) | self.environment,
            stdout=self.log,
            stderr=self.log,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if (
                    drivers.status_of(self.base + MINIMAL_PATH)[0] == 200
                    and len(self.worker_pids()) == self.workers
                ):
                    return self
            except OSError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with status {self.process.returncode}")
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer {MINIMAL_PATH} within 60 s")

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
    """A process's resident memory now (VmRSS) and at its peak (VmHWM), in KiB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in {"VmRSS", "VmHWM"}:
            values[name] = int(rest.split()[0])
    return values
