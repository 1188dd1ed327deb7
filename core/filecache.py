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
        path = os.path.join(self._dir, "counters.lock")
        try:
            lock_file = open(path, "ab")  # noqa: SIM115 (closed below)
        except FileNotFoundError:  # the first count: the folder is made once, not on every count
            self._createdir()
            lock_file = open(path, "ab")  # noqa: SIM115
        # flock: separate opens conflict even within one process, so threads are serialised too.
        with lock_file:
            locks.lock(lock_file, locks.LOCK_EX)
            try:
                yield
            finally:
                locks.unlock(lock_file)

    def _is_live(self, key, version) -> bool:
        """Whether the counter exists and has not expired, read without the lock.

        Safe unlocked: `set` replaces a file by renaming a whole one over it, and `incr` rewrites
        the expiry with the same bytes. Nothing is deleted here, unlike Django's `has_key`, so an
        expired counter cannot take a new one with it.
        """
        try:
            with open(self._key_to_file(key, version), "rb") as file:
                expiry = pickle.load(file)  # noqa: S301 (our own cache file)
        except (FileNotFoundError, EOFError, pickle.UnpicklingError):
            return False
        return expiry is None or expiry >= time.time()

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        # Every request but a window's first finds its counter there: that answer needs no lock.
        if self._is_live(key, version):
            return False
        with self._counting():
            return super().add(key, value, timeout, version)

    def get(self, key, default=None, version=None):
        # incr rewrites a counter's file in place: read it only between two increments.
        with self._counting():
            return super().get(key, default, version)

    def incr(self, key, delta=1, version=None):
        """Add `delta` to a counter, keeping its expiry.

        The file is rewritten in place under the lock, not written anew and renamed as `set`
        does: a temporary file and a rename were three quarters of the time an API request
        spent counting itself against its quotas. Every read of this cache takes the lock too.
        """
        path = self._key_to_file(key, version)
        with self._counting():
            try:
                file = open(path, "r+b")  # noqa: SIM115 (closed below, before any delete)
            except FileNotFoundError:
                raise ValueError(f"Key '{key}' not found.") from None
            with file:
                # Our own cache files, as Django's FileBasedCache writes them: expiry, then value.
                try:
                    expiry = pickle.load(file)  # noqa: S301
                    value = pickle.loads(zlib.decompress(file.read()))  # noqa: S301
                except (EOFError, pickle.UnpicklingError, zlib.error):
                    # A worker killed halfway through a rewrite: the window starts afresh.
                    expiry, value = 0.0, 0
                size = file.tell()
                expired = expiry is not None and expiry < time.time()
                if not expired:
                    value += delta
                    file.seek(0)
                    file.write(pickle.dumps(expiry, self.pickle_protocol))
                    file.write(zlib.compress(pickle.dumps(value, self.pickle_protocol)))
                    if file.tell() < size:  # rarely: a truncate is a metadata write
                        file.truncate()
            if expired:
                self._delete(path)
                raise ValueError(f"Key '{key}' not found.")
            return value
