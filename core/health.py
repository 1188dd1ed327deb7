"""Health checks for the load balancer, and the answers given when the database is away.

- `/healthz`: the process is alive and serving (no database, no cache): restart it if not.
- `/readyz`: the primary database and the cache answer: send it traffic only then. Read replicas
  are reported too; one that does not answer makes the status "degraded", not unready, since
  reads fall back to another replica or the primary (core.db_routers).
"""

import logging
import sys

import psycopg2
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views import defaults

from . import replicas
from .cache import cache_is_reachable

logger = logging.getLogger(__name__)

# What a lost or refused database connection raises: Django's wrappers, and psycopg2's own where
# a library talks to the driver directly.
DATABASE_UNAVAILABLE_ERRORS = (
    OperationalError,
    InterfaceError,
    psycopg2.OperationalError,
    psycopg2.InterfaceError,
)


def _no_store(response):
    response["Cache-Control"] = "no-store"
    return response


def healthz(request):
    return _no_store(JsonResponse({"status": "ok"}))


def _database_answers(alias: str) -> bool:
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            answered = cursor.fetchone() == (1,)
    except DatabaseError as error:
        logger.warning("Readiness: database %s unavailable (%s).", alias, type(error).__name__)
        # Also takes a replica out of rotation; a broken connection would fail the next check
        # too, and the next one reconnects.
        replicas.mark_down(alias, error)
        return False
    replicas.mark_up(alias)
    return answered


def _cache_answers() -> bool:
    try:
        return cache_is_reachable()
    except Exception as error:  # noqa: BLE001 - any cache failure means "not ready", never a 500
        logger.warning("Readiness: cache unavailable (%s).", type(error).__name__)
        return False


def readyz(request):
    checks = {"database": _database_answers(replicas.PRIMARY)}
    replica_checks = {f"database:{alias}": _database_answers(alias) for alias in replicas.replica_aliases()}
    checks |= replica_checks
    checks["cache"] = _cache_answers()
    ready = checks["database"] and checks["cache"]
    status = "ok" if all(checks.values()) else "degraded" if ready else "unavailable"
    body = {"status": status, "checks": {name: "ok" if ok else "unavailable" for name, ok in checks.items()}}
    return _no_store(JsonResponse(body, status=200 if ready else 503))


def database_unavailable(request, error: BaseException | None = None, aliases: list[str] | None = None):
    """503 with a friendly page (JSON under /api/) and Retry-After; rendered without the database.

    The log line names the databases (aliases) whose connections failed, so an operator knows
    whether the primary or a replica went away.
    """
    aliases = replicas.failed_aliases() if aliases is None else aliases
    logger.error(
        "Database unavailable (%s); answered 503. Failed database: %s.",
        type(error).__name__ if error else "unknown",
        ", ".join(aliases) or "unknown",
    )
    retry_after = settings.DATABASE_UNAVAILABLE_RETRY_AFTER
    if request.path_info.startswith("/api/"):
        response = JsonResponse(
            {"detail": "The service is temporarily unavailable. Please try again shortly."}, status=503
        )
    else:
        # No RequestContext: its context processors would read the session and the user, which
        # need the database that has just gone away.
        html = render_to_string("503.html", {"PORTAL_NAME": settings.PORTAL_NAME, "retry_after": retry_after})
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(retry_after)
    return _no_store(response)


def server_error(request, template_name="500.html"):
    """handler500: a 503 page when the cause was the database going away, Django's 500 page otherwise.

    Catches what `DatabaseUnavailableMiddleware` cannot see: database errors raised by middleware
    (a session saved on the way out) rather than by the view.
    """
    error = sys.exc_info()[1]
    if isinstance(error, DATABASE_UNAVAILABLE_ERRORS):
        return database_unavailable(request, error)
    return defaults.server_error(request, template_name)
