"""Quotas per key tier and per bucket: headers on every answer, 429s in the API's shape, shared counts."""

import datetime
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.conf import settings as django_settings
from django.urls import reverse

from core.models import KeyQuota

pytestmark = pytest.mark.django_db

SITES = reverse("api-v1:site-list")
BASE_DIR = Path(django_settings.BASE_DIR)


@pytest.fixture
def low_limits(settings):
    settings.API_QUOTAS = {
        "anonymous": {"minute": 3, "day": 5},
        "ogc": {"minute": 4, "day": 100},
        "downloads": {"minute": 2, "day": 100},
        "standard": {"minute": 5, "day": 100},
        "bulk": {"minute": 8, "day": 100},
    }


@pytest.mark.parametrize(
    "path",
    [
        SITES,
        f"{SITES}?region=atlantis",  # 400
        "/api/v1/sites/no-such-site/",  # 404
        "/api/v1/changes/",
        "/api/v1/schema/",
        "/api/ogc/collections",
        "/api/v1/downloads/sites.csv",
    ],
)
def test_every_answer_says_where_the_client_stands(api_client, low_limits, path):
    response = api_client.get(path)
    assert response.status_code in (200, 400, 404)
    assert int(response["RateLimit-Remaining"]) < int(response["RateLimit-Limit"])
    assert 0 < int(response["RateLimit-Reset"]) <= 60
    assert (
        response["RateLimit-Policy"].endswith(";w=60, 100;w=86400")
        or ";w=86400" in response["RateLimit-Policy"]
    )


def test_the_headers_count_down_and_the_429_is_the_usual_error_shape(api_client, low_limits):
    remaining = [api_client.get(SITES)["RateLimit-Remaining"] for _ in range(3)]
    assert remaining == ["2", "1", "0"]
    response = api_client.get(SITES)
    assert response.status_code == 429
    assert list(response.json()) == ["detail"]
    assert 0 < int(response["Retry-After"]) <= 60
    assert response["RateLimit-Remaining"] == "0"


def test_a_day_limit_holds_after_the_minute_starts_again(api_client, low_limits):
    with time_machine.travel(datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC), tick=False) as clock:
        for _ in range(3):
            assert api_client.get(SITES).status_code == 200
        clock.shift(datetime.timedelta(minutes=2))
        assert api_client.get(SITES).status_code == 200
        assert api_client.get(SITES).status_code == 200
        clock.shift(datetime.timedelta(minutes=2))
        response = api_client.get(SITES)
        assert response.status_code == 429
        assert int(response["Retry-After"]) > 60  # the day's window, not the minute's
        assert response["RateLimit-Policy"] == "3;w=60, 5;w=86400"


def test_a_key_has_its_tiers_limits_and_a_tier_change_applies_at_once(api_client, low_limits, partner_key):
    api_key, key = partner_key
    response = api_client.get(SITES, HTTP_X_API_KEY=key)
    assert response["RateLimit-Limit"] == "5"  # standard, with no tier set
    KeyQuota.objects.create(api_key=api_key, tier=KeyQuota.Tier.BULK)
    response = api_client.get(SITES, HTTP_X_API_KEY=key)
    assert response["RateLimit-Limit"] == "8"
    assert response["RateLimit-Remaining"] == "7"  # a fresh bucket: the tier's own count


def test_staff_set_a_keys_tier_and_see_todays_use_in_the_admin(admin_client, api_client, partner_key):
    api_key, key = partner_key
    for _ in range(3):
        api_client.get(SITES, HTTP_X_API_KEY=key)
    api_client.get("/api/ogc/collections", HTTP_X_API_KEY=key)
    url = reverse("admin:rest_framework_api_key_apikey_change", args=[api_key.pk])
    page = admin_client.get(url).content.decode()
    assert "<code>api-v1:site-list</code>: 3" in page
    assert "<code>ogc:collections</code>: 1" in page
    response = admin_client.post(
        url, {"name": api_key.name, "tier": "bulk", "expiry_date_0": "", "expiry_date_1": ""}
    )
    assert response.status_code == 302
    assert KeyQuota.objects.get(api_key=api_key).tier == "bulk"
    listing = admin_client.get(reverse("admin:rest_framework_api_key_apikey_changelist")).content.decode()
    assert "bulk" in listing


def test_no_key_secret_is_ever_logged(api_client, partner_key, caplog):
    _api_key, key = partner_key
    secret = key.partition(".")[2]
    caplog.set_level(logging.DEBUG)
    api_client.get(SITES, HTTP_X_API_KEY=key)
    api_client.get(SITES, HTTP_AUTHORIZATION=f"Api-Key {key}")
    api_client.get(SITES, HTTP_X_API_KEY=f"{key}x")  # a wrong key: 401
    api_client.get("/api/v1/no-such-endpoint/", HTTP_X_API_KEY=key)
    assert caplog.records
    for record in caplog.records:
        assert secret not in record.getMessage()
        assert secret not in str(record.__dict__)


COUNT_IN_ANOTHER_PROCESS = """
import django
django.setup()
from django.test import RequestFactory
from rest_framework.request import Request
from core.api.quotas import QuotaThrottle
allowed = 0
for _ in range(10):
    request = Request(RequestFactory().get("/api/v1/sites/", REMOTE_ADDR="192.0.2.55"))
    allowed += QuotaThrottle().allow_request(request, view=None)
print(allowed)
"""


def test_two_processes_share_one_count(settings, tmp_path, rf):
    """Two workers (here, this process and another) count into one window: Redis when REDIS_URL is
    set, else the file cache every worker of one machine shares."""
    from rest_framework.request import Request

    from core.api.quotas import QuotaThrottle

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "mmip_portal.settings"}
    if not os.environ.get("REDIS_URL"):
        env.pop("TESTING", None)
        env["CACHE_DIR"] = str(tmp_path)
        settings.CACHES = {
            **settings.CACHES,
            "ratelimit": {
                "BACKEND": "core.filecache.CountingFileBasedCache",
                "LOCATION": f"{tmp_path}/ratelimit",
            },
        }
    # The day's window: the two processes' requests cannot straddle a boundary of it in practice.
    settings.API_QUOTAS = {**settings.API_QUOTAS, "anonymous": {"minute": 1000, "day": 15}}
    env["API_QUOTA_ANONYMOUS_PER_MINUTE"] = "1000"
    env["API_QUOTA_ANONYMOUS_PER_DAY"] = "15"
    here = sum(
        QuotaThrottle().allow_request(Request(rf.get(SITES, REMOTE_ADDR="192.0.2.55")), view=None)
        for _ in range(10)
    )
    other = subprocess.run(  # noqa: S603 - this interpreter and a fixed script
        [sys.executable, "-c", COUNT_IN_ANOTHER_PROCESS],
        env=env,
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert here == 10
    assert int(other.stdout.strip().splitlines()[-1]) == 5  # the other worker saw this one's 10


def test_an_unknown_endpoint_under_the_api_is_not_counted_against_a_different_bucket(api_client, low_limits):
    for _ in range(4):
        assert api_client.get("/api/ogc/collections").status_code == 200
    assert api_client.get(SITES).status_code == 200
