"""The portal's own middleware: request logs, health checks, headers, database outages, replica routing."""

import logging
import re
import time
import uuid

from django.conf import settings
from django.core.signals import request_finished
from django.dispatch import receiver

from . import health, replicas
from .db_routers import PRIMARY, request_reads, use_primary
from .logging import request_id_var

request_logger = logging.getLogger("mmip_portal.request")

# A request id from the load balancer is kept if it looks like one (and is echoed in a header,
# so it must never carry anything a header cannot); otherwise we make our own.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:=+/-]{1,128}")
HEALTH_PATHS = {"/healthz", "/healthz/", "/readyz", "/readyz/"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class RequestLogMiddleware:
    """One JSON log line per request: method, path, status, duration and request id.

    The path is logged without its query string (searches may hold names or email addresses),
    and nothing identifies the visitor: no address, no user, no user agent. Health checks are
    logged at DEBUG, so load balancer probes do not drown the log.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        # Cleared when the response is closed (request_finished), after Django's own request
        # logging, which runs outside the middleware, has used it.
        request_id_var.set(request_id)
        started = time.perf_counter()
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        match = getattr(request, "resolver_match", None)
        request_logger.log(
            logging.DEBUG if request.path_info in HEALTH_PATHS else logging.INFO,
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,
                "route": match.route if match else None,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
        return response


@receiver(request_finished)
def _forget_request_id(sender, **kwargs):
    request_id_var.set(None)


class HealthCheckMiddleware:
    """Answer /healthz and /readyz before host validation and the HTTPS redirect.

    Load balancers probe app servers by address over plain HTTP, so these two paths must not
    depend on ALLOWED_HOSTS or SECURE_SSL_REDIRECT; they reveal nothing but "ok" or not.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in ("GET", "HEAD") and request.path_info in HEALTH_PATHS:
            view = health.healthz if request.path_info.startswith("/healthz") else health.readyz
            return view(request)
        return self.get_response(request)


class PermissionsPolicyMiddleware:
    """The Permissions-Policy header from settings.PERMISSIONS_POLICY ({feature: [allowed origins]})."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.header = ", ".join(
            f"{feature}=({' '.join(origins)})" for feature, origins in settings.PERMISSIONS_POLICY.items()
        )

    def __call__(self, request):
        response = self.get_response(request)
        if self.header:
            response.setdefault("Permissions-Policy", self.header)
        return response


class DatabaseUnavailableMiddleware:
    """A database outage answers 503 with Retry-After and a friendly page, not a 500 and a trace.

    A read replica that fails in the middle of a read is left out of rotation and the request is
    answered again from the primary, so losing a replica never costs a visitor an error page.
    Nothing else is retried here: Django drops the broken connection at the end of the request
    and, with CONN_HEALTH_CHECKS, the next request reconnects, so pages come back as soon as the
    database does.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, health.DATABASE_UNAVAILABLE_ERRORS):
            return None
        failed = replicas.failed_aliases()
        lost_replicas = [alias for alias in failed if alias != PRIMARY]
        for alias in lost_replicas:
            replicas.mark_down(alias, exception)
        again = lost_replicas and PRIMARY not in failed and request.method in SAFE_METHODS
        if again and not getattr(request, "read_again_on_primary", False):
            # A read changes nothing, so it may be answered a second time.
            request.read_again_on_primary = True
            with use_primary():
                return self.get_response(request)
        return health.database_unavailable(request, exception, aliases=failed)


class PrimaryDatabaseMiddleware:
    """Serve the admin, every non-read request and every signed-in user from the primary (see db_routers).

    A session cookie is how a signed-in editor is recognised without reading the session (which
    lives on the primary): straight after an edit, their view of the public pages shows it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        primary = (
            request.method not in SAFE_METHODS
            or request.path_info.startswith(f"/{settings.ADMIN_URL}")
            or settings.SESSION_COOKIE_NAME in request.COOKIES
        )
        with request_reads(), use_primary(primary):
            return self.get_response(request)
