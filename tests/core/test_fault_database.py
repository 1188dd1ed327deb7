"""The database goes away under a real gunicorn and comes back: 503 (never 500) meanwhile, 200 after.

gunicorn runs as `make serve` does (mmip_portal/gunicorn_conf.py, DEBUG off) against the test
database, on whichever server the suite uses (the embedded one or DATABASE_URL). The fault is what
a PostgreSQL restart does to the portal, made fast and confined to this test's database: every
connection of the portal is terminated (`pg_terminate_backend`) and new ones are refused
(`ALLOW_CONNECTIONS false`) until the database is "back". The portal must then recover by itself
(CONN_HEALTH_CHECKS), with no restart of gunicorn. bench/fault.py does the same with a real
restart under load (`make faulttest`).
"""

import json
import time

import psycopg2
import pytest
from django.db import connection
from psycopg2 import sql

from tests.manufacturers.factories import SiteFactory
from tests.mmip_portal.test_deploy_serve import _get, served  # noqa: F401 - the gunicorn fixture

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# Pages and API calls that all read the database.
PATHS = ["/sites/", "/api/v1/sites/", "/api/v1/sites/facets/"]
# Public answers are cached whole until the next write (core.page_cache, and clusters), so during
# an outage a worker that already holds one answers it from the cache (200); one that does not
# answers 503.
CACHED_PATHS = ["/map/clusters.json?zoom=6&bbox=-9,49,2,61"]


def _never_asked(path: str) -> str:
    """The same page with a parameter no request has used yet, so no worker holds its answer."""
    extra = {"/api/v1/sites/": "page_size=7", "/api/v1/sites/facets/": "status=operational"}
    return f"{path}?{extra.get(path, 'v=outage')}"


def _set_database_available(available: bool) -> int:
    """Let the test database take connections or not; when not, drop everyone else's. Returns how many."""
    name = connection.settings_dict["NAME"]
    connection.ensure_connection()  # opened while the database still takes connections
    # PostgreSQL will not close a database to new connections from a session inside it.
    admin = psycopg2.connect(**(connection.get_connection_params() | {"dbname": "postgres"}))
    admin.autocommit = True
    try:
        return _set_available(admin.cursor(), name, available)
    finally:
        admin.close()


def _set_available(cursor, name: str, available: bool) -> int:
    cursor.execute(
        sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS {}").format(
            sql.Identifier(name), sql.SQL("true" if available else "false")
        )
    )
    if available:
        return 0
    # Everyone's but this test's own connection, which pytest-django needs to clean up after it.
    cursor.execute(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = %s AND pid <> %s",
        [name, connection.connection.info.backend_pid],
    )
    return cursor.fetchone()[0]


@pytest.fixture
def database_outage():
    """Yields (go_down, come_back); the database is always let back in at the end."""
    try:
        yield (lambda: _set_database_available(False)), (lambda: _set_database_available(True))
    finally:
        _set_database_available(True)


@pytest.mark.server
def test_gunicorn_answers_503_while_the_database_is_away_and_200_once_it_is_back(
    served,  # noqa: F811
    database_outage,
):
    base, log_path = served
    site = SiteFactory(name="Fault Tolerant Works")
    paths = [*PATHS, site.get_absolute_url()]
    for path in [*paths, *CACHED_PATHS]:  # every worker thread may now hold a persistent connection
        assert _get(base + path)[0] == 200, path
    go_down, come_back = database_outage

    assert go_down() >= 1  # gunicorn's own connections were among those dropped
    for path in paths:
        status, headers, body = _get(base + _never_asked(path))
        assert status == 503, path
        assert headers["Retry-After"] == "30"
        assert b"Traceback" not in body
    for path in [*paths, *CACHED_PATHS]:
        status, _, body = _get(base + path)
        assert status in (200, 503), path
        assert b"Traceback" not in body
    status, _, body = _get(base + _never_asked("/api/v1/sites/"))
    assert "temporarily unavailable" in json.loads(body)["detail"]
    status, _, body = _get(base + "/readyz")
    assert status == 503
    assert json.loads(body)["checks"]["database"] == "unavailable"
    status, _, body = _get(base + "/sites/?v=away")
    assert status == 503 and "Fault Tolerant Works" not in body.decode()

    come_back()
    # The first request after the return reconnects; give gunicorn's threads a moment at most.
    deadline = time.monotonic() + 5
    while _get(base + "/readyz")[0] != 200 and time.monotonic() < deadline:
        time.sleep(0.1)
    for _ in range(3):  # several rounds, so each worker thread's connection is exercised
        for path in [*paths, *CACHED_PATHS]:
            assert _get(base + path)[0] == 200, path
    status, _, body = _get(base + "/sites/")
    assert "Fault Tolerant Works" in body.decode()
    log = log_path.read_text()
    assert "Database unavailable (OperationalError); answered 503." in log
    assert "Internal Server Error" not in log
    statuses = {entry.get("status") for entry in _json_lines(log)}
    assert 503 in statuses and 200 in statuses
    assert not {status for status in statuses if isinstance(status, int) and status >= 500} - {503}


def _json_lines(text: str):
    for line in text.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict):
            yield entry
