"""Which databases answer, and how far each read replica has replayed the primary's changes.

A database that does not answer is left out for DATABASE_REPLICA_RETRY_AFTER seconds, for the
whole process: one refused connection is enough for every thread to stop asking. When the
back-off ends, one caller asks again (the others keep away meanwhile), and the database is back
in rotation as soon as it answers. Each change of state is logged once, naming the alias.

Write-ahead log (WAL) positions let the shared cache tell whether a replica has replayed the
write behind a cache version (core.cache): the primary's position is recorded when a version is
made, and a replica may fill the cache only once its replay position has passed it.
"""

import logging
import random
import threading
import time
from contextlib import suppress

from django.conf import settings
from django.db import DatabaseError, connections

logger = logging.getLogger(__name__)

PRIMARY = "default"
REPLICA_PREFIX = "replica_"

_lock = threading.Lock()
# alias -> time.monotonic() until which nobody asks it again.
_down_until: dict[str, float] = {}
# replica alias -> the highest WAL position it has been seen to have replayed (positions only grow).
_replayed: dict[str, int] = {}


def replica_aliases() -> list[str]:
    return [alias for alias in settings.DATABASES if alias.startswith(REPLICA_PREFIX)]


def _retry_after() -> float:
    return float(getattr(settings, "DATABASE_REPLICA_RETRY_AFTER", 10))


def _may_ask(alias: str) -> bool:
    if alias not in _down_until:
        return True
    now = time.monotonic()
    with _lock:
        until = _down_until.get(alias)
        if until is None:
            return True
        if now < until:
            return False
        # This caller asks; the others keep away until it has its answer.
        _down_until[alias] = now + _retry_after()
        return True


def _close(alias: str) -> None:
    connection = connections[alias]
    with suppress(DatabaseError):  # already broken: dropping it is all that was wanted
        connection.close()
    # Its failure is recorded here; it must not be taken for the cause of a later error.
    connection.errors_occurred = False


def mark_down(alias: str, error: BaseException) -> None:
    """Leave `alias` out for the back-off, close this thread's connection to it, and say so once."""
    with _lock:
        already_down = alias in _down_until
        _down_until[alias] = time.monotonic() + _retry_after()
    _close(alias)
    if not already_down:
        logger.warning(
            "Database %s unavailable (%s); not asked again for %g s.",
            alias,
            type(error).__name__,
            _retry_after(),
        )


def mark_up(alias: str) -> None:
    if alias not in _down_until:
        return
    with _lock:
        was_down = _down_until.pop(alias, None) is not None
    if was_down:
        logger.warning("Database %s answers again; back in rotation.", alias)


def answers(alias: str) -> bool:
    """Whether `alias` may be used now: not in its back-off, and its connection is (or could be) opened.

    Costs nothing on a connection already checked in this request; otherwise it is the health
    check or the connection that the first query would make anyway.
    """
    if not _may_ask(alias):
        return False
    connection = connections[alias]
    try:
        connection.close_if_health_check_failed()
        connection.ensure_connection()
    except DatabaseError as error:
        mark_down(alias, error)
        return False
    mark_up(alias)
    return True


def answering_replica() -> str | None:
    """A replica that answers, chosen at random, or None when none does."""
    candidates = replica_aliases()
    random.shuffle(candidates)
    return next((alias for alias in candidates if answers(alias)), None)


def failed_aliases() -> list[str]:
    """The databases whose connections in this thread have just failed (for logs and fallbacks)."""
    return [
        connection.alias
        for connection in connections.all(initialized_only=True)
        if connection.errors_occurred
    ]


def _position(alias: str, function: str) -> int | None:
    with connections[alias].cursor() as cursor:
        cursor.execute(f"SELECT {function}() - '0/0'")  # noqa: S608 (one of two fixed function names)
        (value,) = cursor.fetchone()
    return None if value is None else int(value)


def primary_position() -> int:
    """The primary's current WAL position: every transaction committed so far lies before it."""
    return _position(PRIMARY, "pg_current_wal_lsn")


def has_replayed(alias: str, position: int) -> bool:
    """Whether the replica `alias` answers and has replayed the primary's WAL up to `position`.

    A database that is not in recovery (a copy, or the primary itself under another name) cannot
    show what it has replayed, so it never counts as caught up.
    """
    if not answers(alias):
        return False
    if _replayed.get(alias, -1) >= position:
        return True
    try:
        replayed = _position(alias, "pg_last_wal_replay_lsn")
    except DatabaseError as error:
        mark_down(alias, error)
        return False
    if replayed is None:
        return False
    with _lock:
        _replayed[alias] = max(_replayed.get(alias, -1), replayed)
    return replayed >= position


def caught_up_replica(position: int) -> str | None:
    """A replica, chosen at random among those that qualify, that has replayed up to `position`."""
    candidates = replica_aliases()
    random.shuffle(candidates)
    return next((alias for alias in candidates if has_replayed(alias, position)), None)


def forget_failures() -> None:
    """Start afresh: every database in rotation, no replay positions known (tests)."""
    with _lock:
        _down_until.clear()
        _replayed.clear()
