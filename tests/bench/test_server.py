"""The bench's gunicorn (bench/server.py): up on loopback under the bench's URLconf with the workers
asked for, what /proc says about them, and nothing left listening once it stops."""

import socket

import pytest
from django.db import connection

import bench.server
from bench import drivers
from bench.prepare import collect_static
from bench.server import MINIMAL_PATH, Server, memory_kib
from tests.mmip_portal.test_deploy_serve import _database_url


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.server
def test_the_bench_server_answers_the_minimal_view_with_its_workers_and_stops(
    django_db_setup, tmp_path, monkeypatch
):
    monkeypatch.setattr(bench.server, "LOG_FILE", tmp_path / "gunicorn.log")
    database_url = _database_url(connection.settings_dict)
    # The hashed static files production settings serve, as the bench prepares them: a fresh
    # checkout has none, and every page's template names some.
    collect_static(database_url)
    server = Server(port=_free_port(), workers=2, database_url=database_url)

    with server:
        assert drivers.status_of(server.base + MINIMAL_PATH) == (200, b'{"ok": true}')
        workers = server.worker_pids()
        assert len(workers) == 2
        assert {"VmRSS", "VmHWM"} <= memory_kib(workers[0]).keys()
        # DEBUG is off, as in production: a missing page shows no traceback.
        status, body = drivers.status_of(server.base + "/no-such-page/")
        assert status == 404 and b"Traceback" not in body

    assert server.process.returncode is not None
    with pytest.raises(OSError):
        drivers.status_of(server.base + MINIMAL_PATH)
