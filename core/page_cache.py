"""Public pages and API answers served from the shared cache, never stale.

An answer is stored under its normalised URL (scheme, host, path, every query parameter, the
`Accept` header) and the landscape's version (core.cache), so the first request after any write,
import or bench load computes it afresh: there is nothing to purge. A hit costs two cache reads
(the version and the entry) and no query.

Only what anyone may see is shared. A request is answered from the cache, or its answer stored,
only when it is a GET with no session or messages cookie and no credentials, outside the admin;
and the answer is stored only when it is a 200 that sets no cookie, did not ask for a CSRF token
(a form), did not use a CSP nonce, did not touch the session, and does not say `private`,
`no-store` or `no-cache` (preview links say so). Everything else is marked `private` for any
cache between us and the visitor.

Answers carry an `ETag` (a hash of the body) and `Last-Modified` (when it was computed) and a
matching conditional GET gets a 304; public pages say `public, max-age=60,
stale-while-revalidate=300`, so a CDN or reverse proxy can serve them too. `X-Cache` says HIT,
MISS or BYPASS.

Pages go through `PublicPageCacheMiddleware`; the API through `core.api.views.PortalAPIMixin`,
after the rate limits, which every request must still pass.
"""

import hashlib
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl

from django.conf import settings
from django.http import HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date, parse_http_date_safe

from .cache import LANDSCAPE, MISSING, Entry

PAGE_MAX_AGE = 60
STALE_WHILE_REVALIDATE = 300
# Headers of the request an answer depends on besides its URL (the API negotiates its format).
VARY_ON = ("Accept",)
_UNSHARED_DIRECTIVES = ("private", "no-store", "no-cache")
# Attributes views set on a response for middleware further out (django-csp's decorators).
_RESPONSE_ATTRIBUTES = ("_csp_exempt", "_csp_config", "_csp_update", "_csp_replace")


@dataclass(frozen=True)
class StoredAnswer:
    status: int
    content: bytes
    headers: tuple[tuple[str, str], ...]
    etag: str
    last_modified: int
    attributes: tuple[tuple[str, object], ...] = ()


def request_key(request) -> list:
    """What an answer depends on: the URL with its query parameters in a canonical order, and `VARY_ON`.

    Parameters are ordered by name; the values of one name keep their order (it can matter).
    """
    query = parse_qsl(request.META.get("QUERY_STRING", ""), keep_blank_values=True)
    return [
        request.scheme,
        request.get_host(),
        request.path,
        sorted(query, key=lambda pair: pair[0]),
        [request.headers.get(name, "") for name in VARY_ON],
    ]


def may_share(request) -> bool:
    """Whether this request may be answered from the shared cache (nothing about it is personal)."""
    if request.method != "GET":
        return False
    cookies = request.COOKIES
    if settings.SESSION_COOKIE_NAME in cookies or "messages" in cookies:
        return False
    if "HTTP_AUTHORIZATION" in request.META or "HTTP_X_API_KEY" in request.META:
        return False
    return not request.path_info.startswith(f"/{settings.ADMIN_URL}")


def _cache_directives(response) -> set[str]:
    value = response.get("Cache-Control", "")
    return {part.strip().split("=")[0].lower() for part in value.split(",") if part.strip()}


def shareable(request, response) -> bool:
    """Whether an answer may be stored for everyone: public and the same for every visitor."""
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    if _cache_directives(response) & set(_UNSHARED_DIRECTIVES):
        return False
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE") or getattr(request, "_csp_nonce", None):
        return False
    session = getattr(request, "session", None)
    if session is not None and session.modified:
        return False
    messages = getattr(request, "_messages", None)
    if messages is not None and getattr(messages, "added_new", False):
        return False
    user = getattr(request, "_cached_user", None)
    return not (user is not None and user.is_authenticated)


def entry_for(request, kind: str) -> Entry:
    return Entry(LANDSCAPE, (kind, *request_key(request)))


def store(response, *, public_max_age: bool) -> StoredAnswer:
    """What is kept of an answer (rendered): its body, headers and validators."""
    if public_max_age and "Cache-Control" not in response:
        patch_cache_control(
            response, public=True, max_age=PAGE_MAX_AGE, stale_while_revalidate=STALE_WHILE_REVALIDATE
        )
    content = response.content
    etag = response.get("ETag") or f'"{hashlib.sha256(content).hexdigest()[:40]}"'
    headers = tuple((name, value) for name, value in response.items() if name.lower() != "x-cache")
    return StoredAnswer(
        status=response.status_code,
        content=content,
        headers=headers,
        etag=etag,
        last_modified=parse_http_date_safe(response.get("Last-Modified", "")) or int(time.time()),
        attributes=tuple(
            (name, getattr(response, name)) for name in _RESPONSE_ATTRIBUTES if hasattr(response, name)
        ),
    )


def respond(request, stored: StoredAnswer, outcome: str) -> HttpResponse:
    """The stored answer (or a 304 when the client's copy is current), marked with `X-Cache`."""
    response = HttpResponse(stored.content, status=stored.status)
    for name, value in stored.headers:
        response[name] = value
    response["ETag"] = stored.etag
    response.setdefault("Last-Modified", http_date(stored.last_modified))
    for name, value in stored.attributes:
        setattr(response, name, value)
    response = get_conditional_response(
        request, etag=stored.etag, last_modified=stored.last_modified, response=response
    )
    response["X-Cache"] = outcome
    return response


def bypass(response, outcome: str = "BYPASS"):
    """An answer not shared: marked `private` for caches on the way unless it says otherwise."""
    if "Cache-Control" not in response:
        patch_cache_control(response, private=True)
    response["X-Cache"] = outcome
    return response


class PublicPageCacheMiddleware:
    """Serve public pages from the shared cache (see the module's docstring); the API has its own path."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.skip = tuple(getattr(settings, "PAGE_CACHE_SKIP_PREFIXES", ()))

    def __call__(self, request):
        if request.path_info.startswith(self.skip):
            return self.get_response(request)
        if not may_share(request):
            return bypass(self.get_response(request))
        entry = entry_for(request, "page")
        stored = entry.get()
        if stored is not MISSING:
            return respond(request, stored, "HIT")
        answer = {}

        def compute():
            response = answer["response"] = self.get_response(request)
            return store(response, public_max_age=True) if shareable(request, response) else None

        stored = entry.fill(compute, keep=lambda value: value is not None)
        if stored is None:
            return bypass(answer["response"])
        return respond(request, stored, "MISS" if entry.usable else "BYPASS")
