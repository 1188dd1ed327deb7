"""Who is asking: anonymous visitors, or partners with an API key (djangorestframework-api-key).

Anonymous reads are allowed at a low rate. A partner's key lifts the limit to its tier's quota
(core.api.quotas). A key that is sent must be good: an unknown key is a 401, a revoked or expired
one a 403, each saying why, so a partner whose key lapsed is told so instead of being quietly
served at the anonymous rate. The key itself is never logged: only its public prefix names it.
"""

from django.contrib.auth.models import AnonymousUser
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions, permissions
from rest_framework_api_key.models import APIKey

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
        # With its tier, read on every request so a change in the admin applies at once.
        api_key = APIKey.objects.select_related("quota").filter(prefix=prefix).first()
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


class RequiresPartnerKey(PartnerKeyIsUsable):
    """Only a partner with a usable key: for what belongs to a key, such as its webhook endpoints."""

    def has_permission(self, request, view):
        if not isinstance(request.auth, APIKey):
            # A 401 with WWW-Authenticate, saying what to send.
            raise exceptions.NotAuthenticated(
                _("This needs your API key, sent as X-Api-Key: <key> or Authorization: Api-Key <key>.")
            )
        return super().has_permission(request, view)
