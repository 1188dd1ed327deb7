"""Structured (JSON) logs: one object a line, with the request id, and no personal data.

Log processors (CloudWatch, Loki, Elastic) index the fields, so an operator can follow one
request through every app server by its id. Fields are allow-listed: a log record's `request`
(with the client's address and cookies) or other extras never reach the output.
"""

import hashlib
import logging
from contextvars import ContextVar
from datetime import UTC, datetime

import orjson

# The id of the request this thread or task is serving, for every log line written meanwhile.
request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

# Extra fields a log record may carry into the JSON line (set by the request log middleware).
ALLOWED_FIELDS = ("request_id", "method", "path", "route", "status", "duration_ms")


class RequestIdFilter(logging.Filter):
    """Stamp every record with the current request's id (None outside a request)."""

    def filter(self, record):
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, message and the allow-listed fields."""

    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in ALLOWED_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


def axes_client_str(username, ip_address, user_agent, path_info, request) -> str:
    """How django-axes names a client in its log lines: a pseudonym, never the username or address.

    The same client always gets the same pseudonym, so repeated failures can still be correlated
    with the AccessAttempt rows staff see in the admin.
    """
    digest = hashlib.sha256(f"{username}|{ip_address}".encode()).hexdigest()[:12]
    return f"client {digest}"
