"""The fault test's own Redis: a `redis-server` on a free loopback port under var/, killed and restarted.

Never the machine's Redis (6379): the fault test kills the server it uses.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time

from bench.paths import BASE_DIR

FOLDER = BASE_DIR / "var" / "fault-redis"
DEFAULT_REDIS_DOWN_SECONDS = 5.0


def redis_server_binary() -> str | None:
    """`redis-server` on PATH (or /usr/bin/redis-server), else None: a machine without Redis."""
    return shutil.which("redis-server") or shutil.which("redis-server", path="/usr/bin:/usr/sbin")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def answers(port: int) -> bool:
    """Whether a Redis on 127.0.0.1:`port` answers PING."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """A throwaway redis-server (no persistence) on 127.0.0.1:`port`; `with` starts and stops it."""

    def __init__(self, binary: str, *, port: int | None = None):
        self.binary, self.port = binary, port or free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def command(self) -> list[str]:
        return [
            self.binary,
            *("--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(FOLDER)),
            *("--save", "", "--appendonly", "no", "--daemonize", "no", "--protected-mode", "yes"),
        ]

    def start(self) -> RedisServer:
        FOLDER.mkdir(parents=True, exist_ok=True)
        log = open(FOLDER / "redis.log", "a")  # noqa: SIM115 - the server writes to it while it runs
        self.process = subprocess.Popen(self.command(), stdout=log, stderr=log)  # noqa: S603
        log.close()
        deadline = time.monotonic() + 10
        while not answers(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"redis-server did not answer on port {self.port}")
            time.sleep(0.05)
        return self

    def kill(self) -> None:
        """SIGKILL: no shutdown, no goodbye to its clients, as a crash or an OOM kill."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def kill_and_restart(self, down_seconds: float = DEFAULT_REDIS_DOWN_SECONDS) -> str:
        self.kill()
        try:
            time.sleep(down_seconds)
        finally:
            self.start()
        return f"redis-server killed (SIGKILL), {down_seconds:g} s down, started again on the same port"

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
