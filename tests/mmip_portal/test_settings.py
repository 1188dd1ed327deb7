import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _import_settings(**env):
    clean = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"}
    }
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import mmip_portal.settings"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "CONTACT_EMAIL"])
def test_settings_fail_closed_without_debug(missing):
    env = {
        "SECRET_KEY": "x" * 50,
        "ALLOWED_HOSTS": "portal.example.org",
        "DATABASE_URL": "postgres://u@h/db",
        "CONTACT_EMAIL": "landscape@mmip-portal.org.uk",
    }
    del env[missing]
    result = _import_settings(**env)
    assert result.returncode != 0
    assert f"Set the {missing} environment variable" in result.stderr


def test_settings_start_with_every_production_variable_set():
    result = _import_settings(
        SECRET_KEY="x" * 50,
        ALLOWED_HOSTS="portal.example.org",
        DATABASE_URL="postgres://u@h/db",
        CONTACT_EMAIL="landscape@mmip-portal.org.uk",
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "placeholder", ["mmip@example.org", "team@portal.example.com", "a@b.example", "x@y.invalid", "no-at-sign"]
)
def test_production_refuses_a_placeholder_contact_email(placeholder):
    result = _import_settings(
        SECRET_KEY="x" * 50,
        ALLOWED_HOSTS="portal.example.org",
        DATABASE_URL="postgres://u@h/db",
        CONTACT_EMAIL=placeholder,
    )
    assert result.returncode != 0
    assert f"CONTACT_EMAIL is {placeholder!r}" in result.stderr


def _cache_backend(**env) -> str:
    clean = {key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "TESTING"}}
    clean.update(DEBUG="true", **env)
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import mmip_portal.settings as s; c = s.CACHES['default']; print(c['BACKEND'], c.get('LOCATION'))",
        ],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_without_redis_every_worker_process_shares_one_cache_on_disk(tmp_path):
    # A per-process memory cache would let one gunicorn worker keep serving what another invalidated.
    backend, location = _cache_backend().split()
    assert backend == "core.filecache.SharedFileBasedCache"
    assert Path(location).parent == ROOT / "var" / "cache"  # a folder per database
    assert _cache_backend(CACHE_DIR=str(tmp_path)).endswith(f"SharedFileBasedCache {tmp_path}")
    assert _cache_backend(REDIS_URL="redis://127.0.0.1:6379/0").startswith("core.cache.FailOpenRedisCache")
    # Test runs keep their own memory cache, so two runs at once cannot see each other's entries.
    assert _cache_backend(TESTING="1").startswith("django.core.cache.backends.locmem.LocMemCache")
