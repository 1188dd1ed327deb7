"""The shared cache: a Redis backend that fails open, and versioned namespaces for expensive public reads.

Expensive reads (facet counts, map clusters, insights) go through `cached()` under a namespace
such as "landscape". Every write to the landscape's models bumps that namespace's version once
the transaction commits, so every app server stops using the old entries at the same moment; the
old entries are never deleted one by one, they simply expire.

    from core.cache import LANDSCAPE, cached

    counts = cached(LANDSCAPE, ("facets", sorted(request.GET.lists())), site_filter.facet_counts)

Writes that bypass model signals (`QuerySet.update()`, `bulk_create()`, raw SQL, COPY) must call
`bump_landscape_version()` themselves.

With read replicas, an entry is never filled from a replica that has not replayed the write that
made its version: each version is stored with the primary's WAL position read just after it was
made, and `cached()` computes a missing entry on a replica whose replay has passed that position,
else on the primary (core.db_routers.cache_fill_source). When neither can be shown to be current
(the primary is down and the replicas are behind or the position is unknown), the value is
computed for this request and not stored.
"""

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

import orjson
from django.core.cache import cache
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from django.db import DatabaseError, connection, transaction
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from . import replicas
from .db_routers import cache_fill_source, read_from

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Apps whose rows the public landscape pages are made of.
LANDSCAPE = "landscape"
LANDSCAPE_APPS = frozenset({"manufacturers", "workstreams", "casestudies"})
DEFAULT_CACHED_TIMEOUT = 10 * 60

_MISSING = object()


class FailOpenRedisCache(RedisCache):
    """Django's RedisCache, except that a Redis outage reads as a miss and writes are skipped.

    The site keeps serving (uncached, so slower) while Redis is down. After a failure the backend
    does not try Redis again for `retry_after` seconds, so an outage costs one connection attempt
    per process every few seconds, not one per cache call; it logs once when Redis goes away and
    once when it is back. Rate limits built on `incr` stop limiting rather than refusing everyone.
    """

    retry_after = 5.0

    def __init__(self, server, params):
        super().__init__(server, params)
        self._down_until = 0.0
        self._lock = threading.Lock()

    def _call(self, method: Callable, default: Any, *args, **kwargs):
        if self._down_until and time.monotonic() < self._down_until:
            return default
        try:
            result = method(*args, **kwargs)
        except (RedisConnectionError, RedisTimeoutError) as error:
            with self._lock:
                if not self._down_until:
                    logger.error(
                        "Redis is unavailable (%s); serving without the cache.", type(error).__name__
                    )
                self._down_until = time.monotonic() + self.retry_after
            return default
        if self._down_until:
            with self._lock:
                if self._down_until:
                    logger.warning("Redis is available again; the cache is back in use.")
                self._down_until = 0.0
        return result

    def ping(self) -> bool:
        """Whether Redis answers now (for /readyz); raises nothing, bypasses the back-off."""
        try:
            return bool(self._cache.get_client(write=True).ping())
        except (RedisConnectionError, RedisTimeoutError):
            return False

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(super().add, False, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._call(super().get, default, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(super().set, None, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(super().touch, False, key, timeout, version)

    def delete(self, key, version=None):
        return self._call(super().delete, False, key, version)

    def get_many(self, keys, version=None):
        return self._call(super().get_many, {}, keys, version)

    def has_key(self, key, version=None):
        return self._call(super().has_key, False, key, version)

    def incr(self, key, delta=1, version=None):
        # As if this were the first hit: a counter-based rate limit lets the request through.
        return self._call(super().incr, delta, key, delta, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(super().set_many, [], data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._call(super().delete_many, None, keys, version)

    def clear(self):
        return self._call(super().clear, False)


def cache_is_reachable() -> bool:
    """Whether the shared cache answers now (for /readyz)."""
    if hasattr(cache, "ping"):  # FailOpenRedisCache
        return cache.ping()
    key = "readyz:probe"
    cache.set(key, "ok", 10)
    return cache.get(key) == "ok"


def _version_key(namespace: str) -> str:
    return f"ns:{namespace}:version"


def _initial_version() -> int:
    # Microseconds since the epoch, not 1: if Redis evicts or loses the version key, the new
    # version can never coincide with one whose stale entries are still stored.
    return time.time_ns() // 1000


def _position_key(namespace: str, version: int) -> str:
    return f"ns:{namespace}:{version}:position"


def _record_position(namespace: str, version: int | None) -> None:
    """Store the primary's WAL position with a version just made: what its entries must include.

    Read after the version was made, so it lies beyond every write whose bump came before.
    """
    if version is None or not replicas.replica_aliases():
        return
    try:
        position = replicas.primary_position()
    except DatabaseError:
        return  # unknown: entries of this version are filled from the primary
    # Kept well beyond an entry's life; once it is gone, entries are filled from the primary.
    cache.set(_position_key(namespace, version), position, DEFAULT_CACHED_TIMEOUT * 6)


def namespace_version(namespace: str) -> int | None:
    """The current version of a cache namespace, or None when the cache cannot tell (Redis down)."""
    key = _version_key(namespace)
    version = cache.get(key)
    if version is None:
        created = cache.add(key, _initial_version(), timeout=None)
        version = cache.get(key)
        if created:
            _record_position(namespace, version)
    return version


def bump_namespace(namespace: str) -> None:
    """Make every entry cached under `namespace` stale, now (use `bump_namespace_on_commit` in writes)."""
    key = _version_key(namespace)
    try:
        version = cache.incr(key)
    except ValueError:  # no version stored yet: nothing cached under the namespace either
        cache.add(key, _initial_version(), timeout=None)
        version = cache.get(key)
    _record_position(namespace, version)


def bump_namespace_on_commit(namespace: str) -> None:
    """Bump `namespace` once the current transaction commits (at once outside a transaction).

    However many rows a transaction writes, the namespace is bumped once for it.
    """
    if _bump_pending(namespace):
        return
    transaction.on_commit(partial(bump_namespace, namespace), robust=True)


def _bump_pending(namespace: str) -> bool:
    """Whether the open transaction has written to `namespace`'s rows (a bump waits for its commit)."""
    # run_on_commit holds (savepoint ids, callback, robust) for the open transaction; Django
    # empties it on commit and drops a rolled-back savepoint's entries, so this never goes stale.
    return any(
        isinstance(callback, partial) and callback.func is bump_namespace and callback.args == (namespace,)
        for _, callback, _ in getattr(connection, "run_on_commit", [])
    )


def landscape_version() -> int | None:
    return namespace_version(LANDSCAPE)


def bump_landscape_version() -> None:
    """Invalidate every cached public read of the landscape when the current transaction commits."""
    bump_namespace_on_commit(LANDSCAPE)


def _digest(key: Any) -> str:
    raw = (
        key.encode() if isinstance(key, str) else orjson.dumps(key, default=str, option=orjson.OPT_SORT_KEYS)
    )
    return hashlib.sha256(raw).hexdigest()[:32]


class Entry:
    """One entry of a namespace at its current version: read it, or compute and store it.

    `key` is a string or anything JSON can encode. The entry cannot be used (`usable` is False,
    `get()` always misses and `fill()` computes without storing) while the cache cannot tell the
    version (Redis down) or inside a transaction that has written to the namespace's rows and
    not committed yet: such a transaction must see its own writes, and what it computes must not
    reach anyone else before the commit. A missing entry is computed on a database that has the
    write behind the current version (see the module's docstring).
    """

    def __init__(self, namespace: str, key: Any):
        self.namespace = namespace
        self.version = None if _bump_pending(namespace) else namespace_version(namespace)
        self.key = None if self.version is None else f"{namespace}:{self.version}:{_digest(key)}"

    @property
    def usable(self) -> bool:
        return self.key is not None

    def get(self) -> Any:
        """The stored value, or MISSING."""
        return _MISSING if self.key is None else cache.get(self.key, _MISSING)

    def source(self) -> str | None:
        """The database to compute the value on, or None when none is known to be current (do not store)."""
        if self.key is None:
            return None
        position = (
            cache.get(_position_key(self.namespace, self.version)) if replicas.replica_aliases() else None
        )
        return cache_fill_source(position)

    def fill(
        self,
        compute: Callable[[], T],
        timeout: int | None = DEFAULT_CACHED_TIMEOUT,
        keep: Callable[[T], bool] | None = None,
    ) -> T:
        """`compute()` on a current database, stored unless no database is current or `keep(value)` is false."""
        source = self.source()
        if source is None:
            return compute()
        with read_from(source):
            value = compute()
            # Stored inside the block: a lazy value is evaluated as it is pickled, on the same database.
            if keep is None or keep(value):
                cache.set(self.key, value, timeout)
        return value

    def put(self, value: Any, timeout: int | None = DEFAULT_CACHED_TIMEOUT) -> None:
        """Store a value computed inside `read_from(self.source())` (what `fill` does in one step)."""
        if self.key is not None:
            cache.set(self.key, value, timeout)


MISSING = _MISSING


def cached(
    namespace: str, key: Any, compute: Callable[[], T], timeout: int | None = DEFAULT_CACHED_TIMEOUT
) -> T:
    """The value of `compute()`, shared through the cache until `namespace` is next bumped or `timeout` passes.

    `key` is a string or anything JSON can encode (a tuple of the query parameters, say). With
    the cache unavailable, `compute()` runs every time; see `Entry` for when else it does.
    """
    entry = Entry(namespace, key)
    value = entry.get()
    if value is not _MISSING:
        return value
    return entry.fill(compute, timeout)


def _landscape_changed(sender, **kwargs) -> None:
    if sender._meta.app_label in LANDSCAPE_APPS:
        bump_landscape_version()


def connect_invalidation_signals() -> None:
    """Bump the landscape namespace on every save, delete and many-to-many change of its models."""
    from django.db.models.signals import m2m_changed, post_delete, post_save

    for name, signal in (("post_save", post_save), ("post_delete", post_delete), ("m2m", m2m_changed)):
        signal.connect(_landscape_changed, dispatch_uid=f"core.cache.landscape.{name}")
