"""API keys (valid, revoked, expired, unknown, missing) and the rate limits they lift."""

import datetime
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import time_machine
from django.core.cache import caches
from django.urls import reverse
from django.utils import timezone
from rest_framework.request import Request
from rest_framework_api_key.models import APIKey

from core.api.quotas import QuotaThrottle

pytestmark = pytest.mark.django_db

SITES = reverse("api-v1:site-list")


@pytest.fixture
def low_limits(settings):
    settings.API_QUOTAS = {
        "anonymous": {"minute": 3, "day": 1000},
        "ogc": {"minute": 4, "day": 1000},
        "downloads": {"minute": 2, "day": 1000},
        "standard": {"minute": 5, "day": 1000},
        "bulk": {"minute": 8, "day": 1000},
    }
    # The clock stands still, so a test's requests all fall in one minute's window: on a busy
    # machine they could otherwise straddle a window's end and find the count started afresh.
    with time_machine.travel(timezone.now(), tick=False):
        yield


def test_no_key_reads_anonymously(api_client):
    assert api_client.get(SITES).status_code == 200


@pytest.mark.parametrize("header", ["HTTP_AUTHORIZATION", "HTTP_X_API_KEY"])
def test_a_valid_key_in_either_header(api_client, partner_key, header):
    _api_key, key = partner_key
    value = f"Api-Key {key}" if header == "HTTP_AUTHORIZATION" else key
    assert api_client.get(SITES, **{header: value}).status_code == 200


def test_an_unknown_key_is_a_401(api_client, partner_key):
    response = api_client.get(SITES, HTTP_X_API_KEY="abcdefgh.not-the-secret")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"
    assert response.json() == {
        "detail": "This API key is not recognised. Check that it was copied whole, or ask the MMIP team for a new one."
    }


def test_a_revoked_key_is_a_403_saying_so(api_client, partner_key):
    api_key, key = partner_key
    api_key.revoked = True
    api_key.save()
    response = api_client.get(SITES, HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert response.status_code == 403
    assert response.json() == {
        "detail": "This API key has been revoked. Ask the MMIP team for a new one, "
        "or send no key to read at the anonymous rate."
    }


def test_an_expired_key_is_a_403_saying_when(api_client, partner_key):
    api_key, key = partner_key
    api_key.expiry_date = timezone.make_aware(datetime.datetime(2025, 3, 31, 17, 0), datetime.UTC)
    api_key.save()
    response = api_client.get(SITES, HTTP_X_API_KEY=key)
    assert response.status_code == 403
    assert response.json() == {
        "detail": "This API key expired on 31 March 2025 18:00. Ask the MMIP team to renew it, "
        "or send no key to read at the anonymous rate."
    }


def test_a_key_that_expires_later_works(api_client, partner_key):
    api_key, key = partner_key
    api_key.expiry_date = timezone.now() + datetime.timedelta(days=30)
    api_key.save()
    assert api_client.get(SITES, HTTP_X_API_KEY=key).status_code == 200


def test_anonymous_requests_are_limited_with_retry_after(api_client, low_limits):
    for _ in range(3):
        assert api_client.get(SITES).status_code == 200
    response = api_client.get(SITES)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response["Cache-Control"] == "no-store"
    assert response.json()["detail"].startswith("Request was throttled. Expected available in ")


def test_the_anonymous_limit_is_per_ip_address(api_client, low_limits):
    for _ in range(3):
        api_client.get(SITES, REMOTE_ADDR="192.0.2.1")
    assert api_client.get(SITES, REMOTE_ADDR="192.0.2.1").status_code == 429
    assert api_client.get(SITES, REMOTE_ADDR="192.0.2.2").status_code == 200


def test_a_forged_forwarded_for_header_does_not_escape_the_limit(api_client, low_limits):
    for number in range(3):
        api_client.get(SITES, HTTP_X_FORWARDED_FOR=f"203.0.113.{number}")
    assert api_client.get(SITES, HTTP_X_FORWARDED_FOR="203.0.113.99").status_code == 429


def test_a_key_lifts_the_anonymous_limit_and_has_its_own(api_client, partner_key, low_limits):
    _api_key, key = partner_key
    for _ in range(3):
        api_client.get(SITES)
    assert api_client.get(SITES).status_code == 429
    for _ in range(5):
        assert api_client.get(SITES, HTTP_X_API_KEY=key).status_code == 200
    assert api_client.get(SITES, HTTP_X_API_KEY=key).status_code == 429
    # Another partner's key is counted separately.
    _other, other_key = APIKey.objects.create_key(name="MHRA")
    assert api_client.get(SITES, HTTP_X_API_KEY=other_key).status_code == 200


def test_downloads_and_ogc_have_buckets_of_their_own(api_client, low_limits):
    for _ in range(3):
        assert api_client.get(reverse("api-v1:root")).status_code == 200
    assert api_client.get(reverse("api-v1:root")).status_code == 429
    # A GIS session is not stopped by a script's use of the API, nor a download by either.
    for _ in range(4):
        assert api_client.get(reverse("ogc:collections")).status_code == 200
    assert api_client.get(reverse("ogc:landing-page")).status_code == 429
    for _ in range(2):
        assert api_client.get(reverse("api-v1:download-sites-csv")).status_code == 200
    response = api_client.get(reverse("api-v1:download-organisations-csv"))
    assert response.status_code == 429
    assert response["RateLimit-Limit"] == "2"


def test_staff_create_keys_in_the_admin(admin_client):
    response = admin_client.post(
        reverse("admin:rest_framework_api_key_apikey_add"),
        {"name": "Knowledge Transfer Network", "expiry_date_0": "", "expiry_date_1": ""},
        follow=True,
    )
    assert response.status_code == 200
    api_key = APIKey.objects.get(name="Knowledge Transfer Network")
    # The admin shows the key once, in a message; only its hash is stored.
    message = next(str(message) for message in response.context["messages"])
    key = message.split(" is: ")[1].split(".", 2)
    key = f"{key[0]}.{key[1]}"
    assert "you will not be able to see it again" in message
    assert key.startswith(api_key.prefix)
    assert key not in api_key.hashed_key
    assert APIKey.objects.is_valid(key)


@pytest.fixture
def slow_cache(monkeypatch):
    """Every cache call takes a millisecond, as a round trip to Redis does, on every thread."""
    backend = type(caches["default"])
    for name in ("get", "set", "add", "incr"):
        original = getattr(backend, name)

        def slow(self, *args, _original=original, **kwargs):
            time.sleep(0.001)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(backend, name, slow)


def test_the_anonymous_limit_holds_under_concurrent_requests(rf, settings, slow_cache):
    settings.API_QUOTAS = {**settings.API_QUOTAS, "anonymous": {"minute": 60, "day": 5000}}

    def client(_number):
        allowed = 0
        for _ in range(10):
            request = Request(rf.get(SITES, REMOTE_ADDR="192.0.2.7"))
            allowed += QuotaThrottle().allow_request(request, view=None)
        return allowed

    # The clock stands still, so the whole burst falls in one window of the limit.
    frozen = datetime.datetime(2026, 3, 2, 9, 0, 30, tzinfo=datetime.UTC)
    with time_machine.travel(frozen, tick=False), ThreadPoolExecutor(max_workers=20) as pool:
        allowed = sum(pool.map(client, range(20)))
    # 200 requests from 20 threads, each counted once and atomically: exactly the limit gets through.
    assert allowed == 60


def test_a_limit_keeps_its_window_in_the_file_cache(api_client, settings, tmp_path):
    settings.CACHES = {
        **settings.CACHES,
        # The file cache's default timeout (5 minutes) is much shorter than the limit's day.
        "ratelimit": {"BACKEND": "core.filecache.CountingFileBasedCache", "LOCATION": str(tmp_path)},
    }
    settings.API_QUOTAS = {**settings.API_QUOTAS, "anonymous": {"minute": 100, "day": 3}}
    with time_machine.travel(datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC), tick=False) as clock:
        for _ in range(3):
            assert api_client.get(SITES).status_code == 200
        response = api_client.get(SITES)
        assert response.status_code == 429
        window_left = int(response["Retry-After"])
        assert window_left > 600  # so the next step outlives the default timeout
        clock.shift(datetime.timedelta(seconds=window_left - 2))
        assert api_client.get(SITES).status_code == 429
        clock.shift(datetime.timedelta(seconds=3))
        assert api_client.get(SITES).status_code == 200


@pytest.mark.parametrize(
    "path", ["/api/v1/no-such-thing/", "/api/ogc/collections/sites/nothing", "/api/nope"]
)
def test_an_unknown_api_path_is_a_json_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


def test_an_api_path_missing_only_its_slash_is_redirected(client):
    response = client.get("/api/v1/sites?region=wales")
    assert response.status_code == 301
    assert response["Location"] == "/api/v1/sites/?region=wales"
