"""The file cache shared by a machine's workers without Redis: culled on a timer, bounded all the same."""

import os
import pickle
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from core import filecache
from core.filecache import CountingFileBasedCache, SharedFileBasedCache


def _cache(tmp_path, **options) -> SharedFileBasedCache:
    return SharedFileBasedCache(str(tmp_path), {"OPTIONS": options})


def _files(tmp_path) -> int:
    return sum(name.endswith(".djcache") for name in os.listdir(tmp_path))


def test_stores_between_culls_never_list_the_folder(tmp_path, monkeypatch):
    cache = _cache(tmp_path, MAX_ENTRIES=1000)
    listed = []
    real = cache._list_cache_files
    monkeypatch.setattr(cache, "_list_cache_files", lambda: listed.append(1) or real())

    for number in range(50):
        cache.set(f"page-{number}", "x" * 100)

    assert len(listed) == 1  # the first store counts; the next 49 within the interval do not
    assert cache.get("page-49") == "x" * 100 and _files(tmp_path) == 50


def test_the_folder_passes_max_entries_only_until_the_next_count(tmp_path, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(filecache.time, "monotonic", lambda: clock[0])
    cache = _cache(tmp_path, MAX_ENTRIES=10, CULL_FREQUENCY=2)

    for number in range(25):
        cache.set(f"page-{number}", number)
    assert _files(tmp_path) == 25  # within one interval nothing is culled

    clock[0] += filecache.CULL_INTERVAL_SECONDS
    cache.set("one-more", 1)

    # Counted again: over MAX_ENTRIES, so Django's cull removed half (CULL_FREQUENCY=2) first.
    assert _files(tmp_path) == 25 - 25 // 2 + 1
    assert cache.get("one-more") == 1


@pytest.mark.parametrize("backend", ["SharedFileBasedCache", "CountingFileBasedCache"])
def test_both_file_caches_cull_on_the_timer(tmp_path, monkeypatch, backend):
    clock = [0.0]
    monkeypatch.setattr(filecache.time, "monotonic", lambda: clock[0])
    cache = getattr(filecache, backend)(str(tmp_path), {"OPTIONS": {"MAX_ENTRIES": 4, "CULL_FREQUENCY": 1}})
    for number in range(6):
        cache.set(f"key-{number}", number)
    clock[0] += filecache.CULL_INTERVAL_SECONDS
    cache.set("last", 0)
    # CULL_FREQUENCY=1 empties the folder before the store.
    assert _files(tmp_path) == 1


def test_counters_are_rewritten_in_place_and_keep_every_increment_and_their_expiry(tmp_path):
    cache = CountingFileBasedCache(str(tmp_path), {"TIMEOUT": None})
    assert cache.add("hits", 0, timeout=3600)
    path = cache._key_to_file("hits")
    inode = os.stat(path).st_ino

    with ThreadPoolExecutor(max_workers=8) as pool:
        counts = list(pool.map(lambda _: cache.incr("hits"), range(200)))

    assert sorted(counts) == list(range(1, 201))  # no increment lost or seen twice
    assert cache.get("hits") == 200
    assert os.stat(path).st_ino == inode  # the same file: no temporary file renamed over it
    with open(path, "rb") as file:
        expiry = pickle.load(file)  # noqa: S301 (the test's own cache file)
    assert 3500 < expiry - time.time() <= 3600  # the window's hour, not the default timeout


def test_an_expired_counter_is_deleted_and_not_incremented(tmp_path, monkeypatch):
    cache = CountingFileBasedCache(str(tmp_path), {"TIMEOUT": None})
    cache.add("hits", 5, timeout=60)
    later = time.time() + 61
    monkeypatch.setattr(filecache.time, "time", lambda: later)

    with pytest.raises(ValueError, match="not found"):
        cache.incr("hits")
    assert not os.path.exists(cache._key_to_file("hits"))
    with pytest.raises(ValueError, match="not found"):
        cache.incr("never-added")


def test_add_creates_a_counter_once_per_window(tmp_path, monkeypatch):
    cache = CountingFileBasedCache(str(tmp_path / "not-yet-made"), {"TIMEOUT": None})
    assert cache.add("hits", 1, timeout=60)  # the folder is made on the first count
    assert not cache.add("hits", 1, timeout=60)  # there and live: left alone
    assert cache.incr("hits") == 2

    later = time.time() + 61
    monkeypatch.setattr(filecache.time, "time", lambda: later)
    assert cache.add("hits", 1, timeout=60)  # the window is over: a new counter starts at 1
    assert cache.incr("hits") == 2


def test_a_counter_left_half_written_starts_its_window_afresh(tmp_path):
    cache = CountingFileBasedCache(str(tmp_path), {"TIMEOUT": None})
    cache.add("hits", 7, timeout=60)
    path = cache._key_to_file("hits")
    with open(path, "r+b") as file:  # as a worker killed in the middle of an increment leaves it
        pickle.load(file)  # noqa: S301 (the test's own cache file)
        file.truncate(file.tell() + 2)

    with pytest.raises(ValueError, match="not found"):
        cache.incr("hits")  # django-ratelimit lets this request through uncounted
    assert not os.path.exists(path)
    assert cache.add("hits", 1, timeout=60)
    assert cache.incr("hits") == 2
