"""The production configuration: `check --deploy` is clean, and the hardening follows from DEBUG being off."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import signing

ROOT = Path(__file__).resolve().parents[2]


def _production_env(**extra) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "DEBUG",
            "TESTING",
            "SECRET_KEY",
            "ALLOWED_HOSTS",
            "DATABASE_URL",
            "REDIS_URL",
            "DJANGO_ALLOW_ASYNC_UNSAFE",  # set by the browser tests' fixture in this process
        }
    }
    env.update(
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="portal.example.org",
        # check --deploy never connects, so any well-formed URL does.
        DATABASE_URL="postgres://mmip@db.example.org:5432/mmip",
        CONTACT_EMAIL="landscape@mmip-portal.org.uk",
        DJANGO_SETTINGS_MODULE="mmip_portal.settings",
    )
    env.update(extra)
    return env


def test_check_deploy_is_clean_under_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_production_env(),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def _production_settings(names: list[str], **extra) -> dict:
    script = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{name: getattr(settings, name) for name in {names!r}}}, default=str))"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script], cwd=ROOT, env=_production_env(**extra), capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_production_hardening_follows_from_debug_being_off():
    values = _production_settings(
        [
            "DEBUG",
            "SESSION_COOKIE_SECURE",
            "SESSION_COOKIE_HTTPONLY",
            "CSRF_COOKIE_SECURE",
            "CSRF_COOKIE_HTTPONLY",
            "SECURE_SSL_REDIRECT",
            "SECURE_HSTS_SECONDS",
            "SECURE_HSTS_INCLUDE_SUBDOMAINS",
            "SECURE_CONTENT_TYPE_NOSNIFF",
            "X_FRAME_OPTIONS",
            "AXES_ENABLED",
            "LOG_FORMAT",
        ]
    )
    assert values == {
        "DEBUG": False,
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_SECURE": True,
        "CSRF_COOKIE_HTTPONLY": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "X_FRAME_OPTIONS": "DENY",
        "AXES_ENABLED": True,
        "LOG_FORMAT": "json",
    }


def test_static_files_are_hashed_and_compressed_in_production():
    values = _production_settings(["STORAGES"])
    assert (
        values["STORAGES"]["staticfiles"]["BACKEND"]
        == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    )


def test_replica_urls_become_aliases_routed_by_the_router():
    values = _production_settings(
        ["DATABASES", "DATABASE_ROUTERS"],
        DATABASE_REPLICA_URLS="postgres://reader@replica-a.example.org/mmip, postgres://reader@replica-b.example.org/mmip",
    )
    assert list(values["DATABASES"]) == ["default", "replica_0", "replica_1"]
    assert values["DATABASES"]["replica_1"]["HOST"] == "replica-b.example.org"
    assert values["DATABASES"]["replica_0"]["CONN_HEALTH_CHECKS"] is True
    assert values["DATABASE_ROUTERS"] == ["core.db_routers.PrimaryReplicaRouter"]


def test_the_admin_moves_with_admin_url():
    script = (
        "import django; django.setup(); from django.urls import reverse; "
        "print(reverse('admin:index'), reverse('admin:login'))"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=_production_env(ADMIN_URL="/staff-only-7f3a/"),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["/staff-only-7f3a/", "/staff-only-7f3a/login/"]


def test_gunicorn_takes_its_workers_from_the_core_count():
    script = "import mmip_portal.gunicorn_conf as c; print(c.workers, c.worker_class, c.threads, c.accesslog)"
    env = {key: value for key, value in os.environ.items() if key != "WEB_CONCURRENCY"}
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)  # noqa: S603 - our own interpreter and script
    cores = len(os.sched_getaffinity(0))
    assert result.stdout.split() == [str(min(2 * cores + 1, 9)), "gthread", "4", "None"]
    env["WEB_CONCURRENCY"] = "3"
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)  # noqa: S603 - our own interpreter and script
    assert result.stdout.split()[0] == "3"


def test_a_gunicorn_worker_freezes_the_loaded_portal_out_of_the_collectors_sight():
    script = (
        "import gc, sys, django; django.setup(); import mmip_portal.gunicorn_conf as c; "
        "before = gc.get_freeze_count(); c.post_worker_init(None); "
        "print(before, gc.get_freeze_count(), 'manufacturers.views' in sys.modules)"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script], cwd=ROOT, env=_production_env(), capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    before, frozen, views_loaded = result.stdout.split()
    # Every view module imported first, so the frozen generation holds them too.
    assert before == "0" and int(frozen) > 50_000 and views_loaded == "True"


def test_old_secret_keys_keep_working_during_a_rotation():
    values = _production_settings(["SECRET_KEY_FALLBACKS"], SECRET_KEY_FALLBACKS="old-key-one,old-key-two")
    assert values["SECRET_KEY_FALLBACKS"] == ["old-key-one", "old-key-two"]


def test_a_rotated_key_still_reads_what_the_old_one_signed(settings):
    settings.SECRET_KEY = "the-old-key-" + "o" * 40
    token = signing.dumps({"session": "kept"})
    settings.SECRET_KEY = "the-new-key-" + "n" * 40
    with pytest.raises(signing.BadSignature):
        signing.loads(token)
    settings.SECRET_KEY_FALLBACKS = ["the-old-key-" + "o" * 40]
    assert signing.loads(token) == {"session": "kept"}
