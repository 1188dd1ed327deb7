"""The bench database made ready for a run: created, migrated, static files collected, the generated
data loaded, and Django set up on it in this process."""

from __future__ import annotations

import os
import subprocess
import sys

from bench.context import url_context
from bench.database import bench_database_url
from bench.paths import BASE_DIR
from bench.server import server_environment


def bench_database() -> str:
    """The bench database's URL (the database created if missing), made this process's DATABASE_URL."""
    if os.environ.get("DATABASE_URL") or os.environ.get("BENCH_DATABASE_URL"):
        os.environ["DATABASE_URL_IS_EXTERNAL"] = "1"  # the fault test must not restart the embedded server
    database_url = bench_database_url()
    os.environ["DATABASE_URL"] = database_url
    return database_url


def _manage(*arguments: str, env: dict[str, str], capture: bool = False) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *arguments],
        cwd=BASE_DIR,
        env=env,
        check=True,
        capture_output=capture,
        text=True,
    )


def _development_environment(database_url: str) -> dict[str, str]:
    # bench.settings, for the bench's own command (generate_bench_data).
    return os.environ | {
        "DATABASE_URL": database_url,
        "DEBUG": "1",
        "DJANGO_SETTINGS_MODULE": "bench.settings",
    }


def migrate_and_collect_static(database_url: str) -> None:
    _manage("migrate", "--no-input", "-v0", env=_development_environment(database_url))
    collect_static(database_url)


def collect_static(database_url: str) -> None:
    """The hashed, compressed static files the production settings serve (var/staticfiles)."""
    _manage("collectstatic", "--no-input", "-v0", env=server_environment(database_url))


def generate_data(database_url: str, *, sites: int, seed: int) -> str:
    """Load `sites` generated sites unless the database holds them already; returns what the command said."""
    completed = _manage(
        "generate_bench_data",
        f"--sites={sites}",
        f"--seed={seed}",
        "--if-changed",
        env=_development_environment(database_url),
        capture=True,
    )
    return completed.stdout.strip()


def setup_django() -> None:
    """Django in this process, on the DATABASE_URL that bench_database() set."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mmip_portal.settings")
    os.environ.setdefault("DEBUG", "1")
    django.setup()


def prepare(*, sites: int, seed: int = 1) -> tuple[str, dict[str, str]]:
    """The bench database, migrated, holding `sites` generated sites, with static files collected;
    Django set up on it. Returns (database URL, URL context)."""
    database_url = bench_database()
    migrate_and_collect_static(database_url)
    generate_data(database_url, sites=sites, seed=seed)
    setup_django()
    return database_url, url_context(sites)
