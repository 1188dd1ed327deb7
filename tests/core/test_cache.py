"""Cached public reads: shared until a write to the landscape commits, then recomputed everywhere."""

import pytest
from django.core.cache import cache
from django.db import connection, transaction

from core.cache import (
    LANDSCAPE,
    bump_landscape_version,
    bump_namespace,
    cached,
    landscape_version,
    namespace_version,
)
from manufacturers.services import site_save
from tests.casestudies.factories import CaseStudyFactory
from tests.manufacturers.factories import CapabilityFactory, SiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


class Counter:
    def __init__(self):
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return {"scotland": self.calls}


def test_cached_computes_once_per_key_and_version():
    compute = Counter()
    assert cached(LANDSCAPE, ("facets", [("region", ["scotland"])]), compute) == {"scotland": 1}
    assert cached(LANDSCAPE, ("facets", [("region", ["scotland"])]), compute) == {"scotland": 1}
    assert compute.calls == 1
    assert cached(LANDSCAPE, ("facets", [("region", ["wales"])]), compute) == {"scotland": 2}
    assert compute.calls == 2


def test_cached_keeps_a_computed_none():
    calls = []
    for _ in range(2):
        assert cached("insights", "nothing", lambda: calls.append(1)) is None
    assert len(calls) == 1


def test_bumping_a_namespace_makes_its_entries_stale_and_leaves_others_alone():
    landscape, other = Counter(), Counter()
    cached(LANDSCAPE, "k", landscape)
    cached("other", "k", other)
    version = namespace_version(LANDSCAPE)
    bump_namespace(LANDSCAPE)
    assert namespace_version(LANDSCAPE) == version + 1
    cached(LANDSCAPE, "k", landscape)
    cached("other", "k", other)
    assert (landscape.calls, other.calls) == (2, 1)


def test_a_lost_version_key_never_revives_old_entries():
    compute = Counter()
    cached(LANDSCAPE, "k", compute)
    cache.delete("ns:landscape:version")  # evicted, or Redis restarted without its data
    cached(LANDSCAPE, "k", compute)
    assert compute.calls == 2


# Real commits: on_commit callbacks run only when a transaction truly commits.
committing = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _pending_bumps() -> int:
    return sum(
        1 for _, callback, _ in connection.run_on_commit if getattr(callback, "func", None) is bump_namespace
    )


@committing
def test_a_write_through_a_service_invalidates_when_it_commits():
    site = SiteFactory()
    before = landscape_version()
    with transaction.atomic():
        site.town = "Hitchin"
        site_save(site=site)
        assert landscape_version() == before  # not before the commit: other readers see old data
    assert landscape_version() == before + 1


@committing
def test_many_writes_in_one_transaction_bump_once():
    before = landscape_version()
    with transaction.atomic():
        sites = SiteFactory.create_batch(5)
        sites[0].capabilities.add(CapabilityFactory())
        CaseStudyFactory()
        bump_landscape_version()
        assert _pending_bumps() == 1
    assert landscape_version() == before + 1


@committing
def test_a_rolled_back_write_does_not_invalidate():
    before = landscape_version()
    with pytest.raises(RuntimeError), transaction.atomic():
        SiteFactory()
        raise RuntimeError("rolled back")
    assert landscape_version() == before
    SiteFactory()  # the next write still registers its own bump
    assert landscape_version() > before


@committing
def test_deletes_and_many_to_many_changes_invalidate_too():
    site = SiteFactory()
    capability = CapabilityFactory()
    version = landscape_version()
    site.capabilities.add(capability)
    assert landscape_version() > version
    version = landscape_version()
    site.delete()
    assert landscape_version() > version


def test_writes_outside_the_landscape_do_not_invalidate(django_user_model):
    django_user_model.objects.create_user(username="staff", password="a long passphrase here")
    assert _pending_bumps() == 0
