"""Quotas for the API: a bucket per kind of client, each with a per-minute and a per-day limit.

A request with a partner key counts against its key, at the key's tier (`standard` or `bulk`,
set on the key in the admin and read with the key on every request, so a change applies at
once). A request without one counts against its IP address, in the bucket of the endpoint it
asks: `anonymous` for the API, `ogc` for OGC API - Features (a GIS client asks for a page of
features on every pan and zoom) and `downloads` for the bulk files. The limits are in
settings.API_QUOTAS; docs/api.md says why they are what they are.

Counting is core.quotas (atomic counters in the shared cache, Redis in production), so every
worker and server counts into the same windows. Every answer says where the client stands with
`RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (for the window nearest its
limit) and `RateLimit-Policy` (every window); a refusal is a 429 in the API's error shape with
`Retry-After`. A key's use of each endpoint today is counted too, for the admin.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.utils import timezone
from rest_framework import throttling
from rest_framework_api_key.models import APIKey

from core.client_ip import client_ip
from core.quotas import QuotaUsage, count_request

WINDOWS = (("minute", 60), ("day", 24 * 60 * 60))
USAGE_TIMEOUT = 2 * 24 * 60 * 60  # today's counts, and yesterday's for a while


def key_tier(api_key: APIKey) -> str:
    quota = getattr(api_key, "quota", None)
    return quota.tier if quota is not None else "standard"


def request_bucket(request, view) -> tuple[str, str]:
    """(bucket, whose count): the key's tier and prefix, or the endpoint's bucket and the client's IP."""
    if isinstance(request.auth, APIKey):
        return key_tier(request.auth), f"key:{request.auth.prefix}"
    return getattr(view, "quota_bucket", "anonymous"), f"ip:{client_ip(request)}"


@dataclass
class QuotaState:
    """Where a client stands in each window of its bucket, for the RateLimit headers."""

    bucket: str
    windows: list[tuple[str, int, QuotaUsage]]

    def headers(self) -> dict[str, str]:
        if not self.windows:
            return {}
        _name, _period, nearest = min(
            self.windows, key=lambda window: (window[2].remaining, -window[2].reset)
        )
        return {
            "RateLimit-Limit": str(nearest.limit),
            "RateLimit-Remaining": str(nearest.remaining),
            "RateLimit-Reset": str(nearest.reset),
            "RateLimit-Policy": ", ".join(f"{usage.limit};w={period}" for _n, period, usage in self.windows),
        }


def usage_key(prefix: str, day: datetime.date, endpoint: str) -> str:
    return f"api-usage:{prefix}:{day.isoformat()}:{endpoint}"


def record_endpoint_use(api_key: APIKey, endpoint: str) -> None:
    """Count a keyed request against today's use of `endpoint` (shown on the key's admin page)."""
    cache = caches[settings.RATELIMIT_USE_CACHE]
    key = usage_key(api_key.prefix, timezone.localdate(), endpoint)
    cache.add(key, 0, timeout=USAGE_TIMEOUT)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr: this request starts a fresh count
        cache.add(key, 1, timeout=USAGE_TIMEOUT)


def usage_today(api_key: APIKey, endpoints: list[str]) -> dict[str, int]:
    cache = caches[settings.RATELIMIT_USE_CACHE]
    day = timezone.localdate()
    found = cache.get_many([usage_key(api_key.prefix, day, endpoint) for endpoint in endpoints])
    counts = {endpoint: found.get(usage_key(api_key.prefix, day, endpoint), 0) for endpoint in endpoints}
    return {endpoint: count for endpoint, count in counts.items() if count}


class QuotaHeadersMiddleware:
    """Adds the RateLimit headers to every answer whose request was counted, errors included."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        state = getattr(request, "quota_state", None)
        if state is not None:
            for name, value in state.headers().items():
                response[name] = value
        return response


class QuotaThrottle(throttling.BaseThrottle):
    """Counts the request in its bucket's minute, then (if the minute allows it) its day."""

    def allow_request(self, request, view):
        bucket, whose = request_bucket(request, view)
        limits = settings.API_QUOTAS[bucket]
        windows, self.refused = [], None
        for name, period in WINDOWS:
            usage = count_request(
                request,
                group=f"api:{bucket}:{name}",
                key=whose,
                limit=limits[name],
                period=period,
            )
            if usage is None:  # the cache cannot count: fail open
                continue
            windows.append((name, period, usage))
            if usage.exceeded:
                self.refused = usage
                break  # a refused request does not spend the longer windows
        # On Django's request, where QuotaHeadersMiddleware finds it for whatever answer follows.
        request._request.quota_state = QuotaState(bucket=bucket, windows=windows)
        if isinstance(request.auth, APIKey) and self.refused is None:
            match = getattr(request, "resolver_match", None)
            record_endpoint_use(request.auth, match.view_name if match else request.path)
        return self.refused is None

    def wait(self):
        return self.refused.reset if self.refused is not None else None
