"""`make serve`'s stack for real: gunicorn, DEBUG off, whitenoise's hashed static files, JSON logs.

Starts gunicorn as `make serve` does (same config module, production settings from the
environment) against the test database, on a free loopback port, and stops it afterwards.
"""

import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]

# For the test database (gunicorn, another process, only reads what migrations committed).
pytestmark = pytest.mark.django_db


def _database_url(db: dict) -> str:
    host = db.get("HOST") or ""
    query = f"?host={quote(db['OPTIONS']['host'])}" if not host and db.get("OPTIONS", {}).get("host") else ""
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{quote(db['USER'])}{password}@{host}{port}/{db['NAME']}{query}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback only
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture
def served(django_db_setup, tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "TESTING", "DJANGO_ALLOW_ASYNC_UNSAFE", "REDIS_URL"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="mmip_portal.settings",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        CONTACT_EMAIL="landscape@mmip-portal.org.uk",
        SECURE_SSL_REDIRECT="false",
        DATABASE_URL=_database_url(connection.settings_dict),
        WEB_CONCURRENCY="2",
    )
    collect = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "collectstatic", "--no-input", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert collect.returncode == 0, collect.stderr
    port = _free_port()
    log = (tmp_path / "gunicorn.log").open("w+")
    process = subprocess.Popen(  # noqa: S603
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "mmip_portal.wsgi:application",
            "--config",
            "python:mmip_portal.gunicorn_conf",
            "--bind",
            f"127.0.0.1:{port}",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if _get(base + "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("gunicorn did not start: " + (tmp_path / "gunicorn.log").read_text())
        yield base, tmp_path / "gunicorn.log"
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


@pytest.mark.server
def test_make_serve_stack_serves_pages_static_files_and_health_checks(served):
    base, log_path = served
    status, headers, body = _get(base + "/")
    assert status == 200
    assert headers["Server"] == "gunicorn"
    assert "Content-Security-Policy" in headers
    stylesheet = re.search(r'href="(/static/css/portal\.[0-9a-f]{12}\.css)"', body.decode()).group(1)
    status, headers, _ = _get(base + stylesheet)
    assert status == 200
    assert "immutable" in headers["Cache-Control"] and "max-age=315360000" in headers["Cache-Control"]
    assert _get(base + "/readyz")[0] == 200
    status, _, body = _get(base + "/no-such-page/")
    assert status == 404
    assert b"Traceback" not in body  # DEBUG is off
    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
    requests = [line for line in lines if line.get("logger") == "mmip_portal.request"]
    assert {(line["path"], line["status"]) for line in requests} >= {
        ("/", 200),
        (stylesheet, 200),
        ("/no-such-page/", 404),
    }
    assert all(line["request_id"] for line in requests)
