"""Behaviour every API view shares: strict parameters, JSON errors, conditional GET, cache headers."""

import hashlib
from datetime import datetime

from django.http import Http404, HttpResponsePermanentRedirect, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.response import Response

from .. import page_cache
from ..cache import MISSING
from ..db_routers import read_from
from .freshness import latest_change
from .renderers import ORJSONRenderer

# How long a shared cache may keep an answer; ETags make revalidation cheap after that.
CACHE_MAX_AGE = 300


class _CachedAnswer(Exception):  # noqa: N818 (a control-flow signal, not an error)
    """Raised once authentication and the rate limits have passed and the answer is in the cache."""

    def __init__(self, stored):
        super().__init__()
        self.stored = stored


class PortalAPIMixin:
    """Strict query parameters, errors as JSON, conditional GET and cache headers for an API view.

    - A query parameter the endpoint does not define is a 400 naming it (as Wagtail's API does),
      so a partner's typo is never silently ignored.
    - Errors are JSON even when CSV or GeoJSON was asked for.
    - Successful GETs carry a strong `ETag` (a hash of the body) and, where the view names its
      freshness_sources(), a `Last-Modified`; a matching `If-None-Match`/`If-Modified-Since` gets a 304.
    - Anonymous GETs are answered from the shared cache, once the rate limit has been checked,
      until the landscape next changes (core.page_cache); requests with a key are always computed.
    """

    # The representation's serializer, by action ("list", "retrieve") or by format ("geojson", "csv").
    serializer_classes: dict = {}
    extra_query_parameters: tuple[str, ...] = ()
    cache_max_age = CACHE_MAX_AGE
    cache_answers = True

    @property
    def representation(self) -> str:
        renderer = getattr(self.request, "accepted_renderer", None)
        return getattr(renderer, "format", "json")

    def get_serializer_class(self):
        if self.representation in self.serializer_classes:
            return self.serializer_classes[self.representation]
        return self.serializer_classes.get(getattr(self, "action", None)) or self.serializer_classes["list"]

    def allowed_query_parameters(self) -> set[str]:
        names = {"format", *self.extra_query_parameters}
        action = getattr(self, "action", None)
        if action == "retrieve":
            return names
        filterset_class = getattr(self, "filterset_class", None)
        if filterset_class is not None:
            names |= set(filterset_class.base_filters)
        paginator = getattr(self, "paginator", None)
        if action == "list" and paginator is not None:
            names |= set(paginator.query_params)
        return names

    def perform_content_negotiation(self, request, force=False):
        try:
            return super().perform_content_negotiation(request, force)
        except Http404:
            formats = ", ".join(renderer.format for renderer in self.get_renderers())
            # OGC clients choose the format with `f`; everyone else with `format`.
            name = "f" if "f" in self.extra_query_parameters and "f" in request.query_params else "format"
            raise exceptions.ValidationError(
                {name: [_("Unknown format. Use one of: %(formats)s.") % {"formats": formats}]}
            ) from None

    def dispatch(self, request, *args, **kwargs):
        self.cache_entry = None
        # Only what anyone may see: a request with a key or a session is always computed, so an
        # answer that depends on who asks can never be shared.
        if self.cache_answers and page_cache.may_share(request):
            entry = page_cache.entry_for(request, "api")
            source = entry.source()
            if source is not None:
                self.cache_entry = entry
                # A miss is computed on a database that has every write behind the cache's version.
                with read_from(source):
                    return super().dispatch(request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self._check_query_parameters(request)
        if self.cache_entry is not None:
            stored = self.cache_entry.get()
            if stored is not MISSING:
                raise _CachedAnswer(stored)

    def handle_exception(self, exc):
        if isinstance(exc, _CachedAnswer):
            return page_cache.respond(self.request, exc.stored, "HIT")
        return super().handle_exception(exc)

    def _check_query_parameters(self, request):
        allowed = self.allowed_query_parameters()
        unknown = sorted(set(request.query_params) - allowed)
        if unknown:
            if allowed:
                message = _("Unknown query parameter. This endpoint accepts: %(allowed)s.") % {
                    "allowed": ", ".join(sorted(allowed))
                }
            else:
                message = _("Unknown query parameter. This endpoint takes no query parameters.")
            raise exceptions.ValidationError({name: [message] for name in unknown})

    def get_renderer_context(self):
        context = super().get_renderer_context()
        serializer_class = self.serializer_classes.get("csv")
        if serializer_class is not None:
            context["csv_columns"] = list(serializer_class().fields)
        return context

    def freshness_sources(self) -> list:
        """(queryset, field) pairs whose newest value is when this answer's data last changed."""
        return []

    def get_last_modified(self) -> datetime | None:
        sources = self.freshness_sources()
        return latest_change(*sources) if sources else None

    def finalize_response(self, request, response, *args, **kwargs):
        renderer = getattr(request, "accepted_renderer", None)
        if response.status_code >= 400 and getattr(renderer, "format", None) != "json":
            # Errors stay JSON whatever format was asked for: a CSV of error messages helps no one.
            request.accepted_renderer = ORJSONRenderer()
            request.accepted_media_type = ORJSONRenderer.media_type
        response = super().finalize_response(request, response, *args, **kwargs)
        if not isinstance(response, Response) or request.method not in ("GET", "HEAD"):
            return response  # a streamed download sets its own validators
        if response.status_code != 200:
            return response
        response.render()
        etag = f'"{hashlib.sha256(response.content).hexdigest()[:40]}"'
        response["ETag"] = etag
        last_modified = self.get_last_modified()
        if last_modified is not None:
            response["Last-Modified"] = http_date(last_modified.timestamp())
        patch_cache_control(response, public=True, max_age=self.cache_max_age)
        patch_vary_headers(response, ["Accept", "Authorization", "X-Api-Key"])
        if self.cache_entry is not None:
            self.cache_entry.put(page_cache.store(response, public_max_age=False))
            response["X-Cache"] = "MISS"
        return get_conditional_response(
            request,
            etag=etag,
            last_modified=int(last_modified.timestamp()) if last_modified else None,
            response=response,
        )


# A POST or DELETE to an unknown path changes nothing, and partners send no CSRF token: without
# the exemption it would be Django's HTML "CSRF cookie not set" 403 instead of this JSON 404.
@csrf_exempt
def api_not_found(request, *args, **kwargs):
    """An unknown path under /api/: a JSON 404 in the API's error shape, never the HTML page.

    A path that lacks only its trailing slash is redirected, as Django's APPEND_SLASH would.
    """
    if not request.path.endswith("/"):
        try:
            match = resolve(f"{request.path}/")
        except Resolver404:
            match = None
        if match is not None and match.func is not api_not_found:
            query = request.META.get("QUERY_STRING", "")
            return HttpResponsePermanentRedirect(f"{request.path}/" + (f"?{query}" if query else ""))
    response = JsonResponse(
        {
            "detail": _("There is nothing at %(path)s. The API root lists every resource.")
            % {"path": request.path}
        },
        status=404,
    )
    response["Cache-Control"] = "no-store"
    return response
