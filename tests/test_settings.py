import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


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


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"])
def test_settings_fail_closed_without_debug(missing):
    env = {
        "SECRET_KEY": "x" * 50,
        "ALLOWED_HOSTS": "portal.example.org",
        "DATABASE_URL": "postgres://u@h/db",
    }
    del env[missing]
    result = _import_settings(**env)
    assert result.returncode != 0
    assert f"Set the {missing} environment variable" in result.stderr


def test_settings_start_with_every_production_variable_set():
    result = _import_settings(
        SECRET_KEY="x" * 50, ALLOWED_HOSTS="portal.example.org", DATABASE_URL="postgres://u@h/db"
    )
    assert result.returncode == 0, result.stderr
