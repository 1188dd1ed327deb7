"""Django's file cache, culled on a timer and with counters that hold: the cache every worker of one
machine shares without Redis."""

import os
import pickle
import time
import zlib
from contextlib import contextmanager

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.filebased import FileBasedCache
from django.core.files import locks

# How often one process may count the cache's files to see whether it is over MAX_ENTRIES.
CULL_INTERVAL_SECONDS = 30


class SharedFileBasedCache(FileBasedCache):
    """Django's file cache, which counts its entries at most every CULL_INTERVAL_SECONDS per process.

    Django's lists the whole folder on every store to compare the count with MAX_ENTRIES: with
    every page and API answer cached there, 8,000 files took 10 to 15 ms of each uncached page,
    a third of its time. Counted on a timer instead, the folder can pass MAX_ENTRIES by the
    entries stored in that time before it is culled as before.
    """

    def __init__(self, dir, params):
        super().__init__(dir, params)
        self._culled_at = float("-inf")

    def _cull(self):
        now = time.monotonic()
        if now - self._culled_at < CULL_INTERVAL_SECONDS:
            return
        self._culled_at = now
        super()._cull()


class CountingFileBasedCache(SharedFileBasedCache):
    """Django's file cache, with `add()` and `incr()` atomic across the processes and threads of one machine.

    Rate-limit counters are counted here when there is no Redis. An exclusive
    lock on one file in the cache folder serialises every add and incr, so two workers never both
    create a counter or lose an increment; and incr keeps the entry's expiry, where Django's
    re-saves the entry with the default timeout (which would end a long window early).
    """

    @contextmanager
    def _counting(self):
        self._createdir()
        # flock: separate opens conflict even within one process, so threads are serialised too.
        with open(os.path.join(self._dir, "counters.lock"), "ab") as lock_file:
            locks.lock(lock_file, locks.LOCK_EX)
            try:
                yield
            finally:
                locks.unlock(lock_file)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        with self._counting():
            return super().add(key, value, timeout, version)

    def incr(self, key, delta=1, version=None):
        with self._counting():
            try:
                with open(self._key_to_file(key, version), "rb") as file:
                    # Our own cache files, as Django's FileBasedCache reads them.
                    expiry = pickle.load(file)  # noqa: S301
                    value = pickle.loads(zlib.decompress(file.read()))  # noqa: S301
            except FileNotFoundError:
                raise ValueError(f"Key '{key}' not found.") from None
            now = time.time()
            if expiry is not None and expiry < now:
                self.delete(key, version)
                raise ValueError(f"Key '{key}' not found.")
            value += delta
            # A positive timeout: 0 would mean "already expired" to Django.
            self.set(key, value, None if expiry is None else max(expiry - now, 0.001), version)
            return value
