"""Read replicas: public reads go to a replica that answers, everything else to the primary.

Settings add one alias per URL in DATABASE_REPLICA_URLS (`replica_0`, `replica_1`, ...) and
install `PrimaryReplicaRouter`. The primary ("default") serves:

- every write, every read inside a transaction, and every read after a write in the same request
  (a replica may lag behind what was just written);
- the admin, any request that is not GET/HEAD/OPTIONS and any request of a signed-in user
  (`PrimaryDatabaseMiddleware` sets `use_primary` for the whole request), so staff always see
  their own edits; and any view that decides access, such as a preview link (`@use_primary()`);
- sessions, users, login throttling, OTP devices and API keys, which must never be stale;
- reads of an object's relations when the object itself came from the primary;
- every read while no replica answers: a replica that fails is left out for a short back-off
  (core.replicas) and reads fall back to another replica, or to the primary.

One request reads from one replica throughout, so everything it shows (and the `Last-Modified`
it stamps) comes from the same point in the primary's history. Shared cache entries are filled
from a database that has the write behind the cache's version (`cache_fill_source`).
"""

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import connections

from . import replicas
from .replicas import PRIMARY, REPLICA_PREFIX, replica_aliases

__all__ = ["PRIMARY", "REPLICA_PREFIX", "PrimaryReplicaRouter", "replica_aliases", "use_primary"]

# Apps whose rows decide who someone is or what they may do: a lagging copy could let a revoked
# key or a locked-out login through, or log someone out right after they logged in.
PRIMARY_ONLY_APPS = frozenset(
    {
        "admin",
        "auth",
        "axes",
        "contenttypes",
        "otp_static",
        "otp_totp",
        "rest_framework_api_key",
        "sessions",
    }
)


@dataclass
class _RequestReads:
    replica: str | None = None  # chosen at the request's first replica read
    wrote: bool = False


_use_primary: ContextVar[bool] = ContextVar("use_primary", default=False)
_read_from: ContextVar[str | None] = ContextVar("read_from", default=None)
_request_reads: ContextVar[_RequestReads | None] = ContextVar("request_reads", default=None)


@contextmanager
def use_primary(enabled: bool = True):
    """Send every read in this block (and this thread or task) to the primary when `enabled`.

    Also a decorator: `@use_primary()` on a view whose reads decide access.
    """
    token = _use_primary.set(enabled or _use_primary.get())
    try:
        yield
    finally:
        _use_primary.reset(token)


@contextmanager
def request_reads():
    """One request's reads: the same replica throughout, and the primary once the request has written."""
    token = _request_reads.set(_RequestReads())
    try:
        yield
    finally:
        _request_reads.reset(token)


@contextmanager
def read_from(alias: str):
    """Send this block's reads (but not those of the primary-only apps) to `alias`."""
    token = _read_from.set(alias)
    try:
        yield
    finally:
        _read_from.reset(token)


def primary_required() -> bool:
    """Whether reads here must see the primary: `use_primary`, a write earlier in this request, or a transaction."""
    state = _request_reads.get()
    return _use_primary.get() or (state is not None and state.wrote) or connections[PRIMARY].in_atomic_block


def cache_fill_source(position: int | None) -> str | None:
    """Where to compute a value for the shared cache: a database that has every write up to `position`.

    The primary when this code must read it anyway; otherwise a replica whose replay has passed
    `position` (the primary's WAL position when the cache version was made), else the primary.
    None when no database can be shown to be current (the primary is down and no replica has
    replayed `position`): the caller computes the value but must not store it.
    """
    if not replica_aliases() or primary_required():
        return PRIMARY
    if position is not None:
        replica = replicas.caught_up_replica(position)
        if replica is not None:
            return replica
    return PRIMARY if replicas.answers(PRIMARY) else None


def _replica_for_this_request() -> str:
    state = _request_reads.get()
    if state is not None and state.replica is not None:
        return state.replica
    alias = replicas.answering_replica() or PRIMARY
    if state is not None:
        state.replica = alias
    return alias


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints):
        if not replica_aliases() or model._meta.app_label in PRIMARY_ONLY_APPS:
            return PRIMARY
        forced = _read_from.get()
        if forced is not None:
            return forced
        if primary_required():
            return PRIMARY
        instance = hints.get("instance")
        if instance is not None and instance._state.db:
            return instance._state.db
        return _replica_for_this_request()

    def db_for_write(self, model, **hints):
        state = _request_reads.get()
        if state is not None:
            state.wrote = True  # read your own writes for the rest of the request
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        # Every alias is a copy of the same database, so any two rows may be related.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # Replicas receive the schema by replication, never by running migrations on them.
        return db == PRIMARY
