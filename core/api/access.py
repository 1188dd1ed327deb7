"""Who is asking: anonymous visitors, or partners with an API key (djangorestframework-api-key).

Anonymous reads are allowed at a low rate. A partner's key lifts the limit. A key that is sent
must be good: an unknown key is a 401, a revoked or expired one a 403, each saying why, so a
partner whose key lapsed is told so instead of being quietly served at the anonymous rate.
Limits are counted atomically in the shared cache (core.quotas), so they hold across threads,
workers and servers.
"""

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions, permissions, throttling
from rest_framework.settings import api_settings
from rest_framework_api_key.models import APIKey

from core.client_ip import client_ip
from core.quotas import count_request

API_KEY_HEADER = "X-Api-Key"
AUTHORIZATION_KEYWORD = "Api-Key"


def key_from_request(request) -> str | None:
    """The key a request carries, in `Authorization: Api-Key <key>` or in `X-Api-Key: <key>`."""
    authorization = request.META.get("HTTP_AUTHORIZATION", "")
    keyword, _space, key = authorization.partition(" ")
    if keyword.lower() == AUTHORIZATION_KEYWORD.lower() and key.strip():
        return key.strip()
    return request.META.get("HTTP_X_API_KEY", "").strip() or None


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """Identify the partner key a request carries; whether it may still be used is PartnerKeyIsUsable's call."""

    def authenticate(self, request):
        key = key_from_request(request)
        if key is None:
            return None
        prefix, _dot, _secret = key.partition(".")
        api_key = APIKey.objects.filter(prefix=prefix).first()
        if api_key is None or not api_key.is_valid(key):
            raise exceptions.AuthenticationFailed(
                _(
                    "This API key is not recognised. Check that it was copied whole, "
                    "or ask the MMIP team for a new one."
                )
            )
        return (AnonymousUser(), api_key)

    def authenticate_header(self, request):
        # Makes a missing or unknown key a 401 (with WWW-Authenticate) rather than a 403.
        return AUTHORIZATION_KEYWORD


class PartnerKeyIsUsable(permissions.BasePermission):
    """Anyone may read; a request that carries a key needs the key to be neither revoked nor expired."""

    def has_permission(self, request, view):
        api_key = request.auth
        if not isinstance(api_key, APIKey):
            return True
        if api_key.revoked:
            self.message = _(
                "This API key has been revoked. Ask the MMIP team for a new one, "
                "or send no key to read at the anonymous rate."
            )
            return False
        if api_key.has_expired:
            self.message = _(
                "This API key expired on %(date)s. Ask the MMIP team to renew it, "
                "or send no key to read at the anonymous rate."
            ) % {"date": date_format(localtime(api_key.expiry_date), "j F Y H:i")}
            return False
        return True


class _SettingsRateThrottle(throttling.SimpleRateThrottle):
    """DRF's rate settings and Retry-After, counted by core.quotas instead of DRF's request history.

    DRF reads a list of timestamps, appends and writes it back, so concurrent requests overwrite
    each other's entries and many more than the limit get through.
    """

    usage = None

    def allow_request(self, request, view):
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        self.usage = count_request(
            request, group=f"api:{self.scope}", key=key, limit=self.num_requests, period=self.duration
        )
        return self.usage is None or not self.usage.exceeded

    def wait(self):
        return self.usage.reset if self.usage is not None else None

    def get_ident(self, request):
        # The portal's one rule for who the client is (NUM_PROXIES), not DRF's own copy of it.
        return client_ip(request)

    def get_rate(self):
        # Read the rate when asked, not at import (DRF's default), so a changed setting applies.
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        if rate is None:
            raise ImproperlyConfigured(f"Set REST_FRAMEWORK['DEFAULT_THROTTLE_RATES'][{self.scope!r}].")
        return rate


class AnonymousRateThrottle(_SettingsRateThrottle):
    """A low limit per client IP address for requests without a key."""

    scope = "anonymous"

    def get_cache_key(self, request, view):
        if isinstance(request.auth, APIKey):
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class PartnerRateThrottle(_SettingsRateThrottle):
    """A higher limit per partner key, counted in the shared cache whichever server answers."""

    scope = "partner"

    def get_cache_key(self, request, view):
        if not isinstance(request.auth, APIKey):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.prefix}
