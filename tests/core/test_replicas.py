"""Read replicas, with two real databases: a copy of the test database stands in for a replica.

The "replica" is a separate PostgreSQL database copied from the primary (CREATE DATABASE ...
TEMPLATE), then left behind as the primary moves on (as a lagging replica would be), so which
database answered each read is visible in the data.
"""

from contextlib import contextmanager

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connections, transaction
from django.db.models import Max
from django.test import Client, override_settings
from django.urls import reverse
from django.utils.http import http_date
from rest_framework_api_key.models import APIKey

from casestudies.services import case_study_preview_link_create, case_study_preview_link_revoke
from core import backups
from core.db_routers import PrimaryReplicaRouter, request_reads, use_primary
from manufacturers.models import Organisation, Site
from tests.casestudies.factories import CaseStudyFactory, StaffUserFactory
from tests.manufacturers.factories import SiteFactory

REPLICA = "replica_0"


@pytest.mark.django_db
def test_migrations_run_on_the_primary_only():
    router = PrimaryReplicaRouter()
    assert router.allow_migrate("default", "manufacturers") is True
    assert router.allow_migrate(REPLICA, "manufacturers") is False


@pytest.mark.django_db
def test_without_replicas_everything_uses_the_primary():
    router = PrimaryReplicaRouter()
    assert router.db_for_read(Site) == "default"
    assert router.db_for_write(Site) == "default"


@contextmanager
def _primary_and_lagging_replica(django_db_blocker, tmp_path_factory, *, before_copy, after_copy):
    """The test database copied twice: a primary, and a replica copied from it that then falls behind.

    `before_copy()` writes what the replica will have, `after_copy()` what it will lack; the
    block runs with the router installed and yields what `after_copy()` returned. Both are real
    databases of their own, used outside the test transaction machinery (which only knows the
    aliases defined at start-up), and dropped afterwards. Copying a database takes seconds, so
    few tests use this.
    """
    with django_db_blocker.unblock():
        original = connections["default"]
        base = original.settings_dict
        assert base["NAME"].startswith("test_"), "copies only ever the test database"
        names = {"default": f"{base['NAME']}_primary", REPLICA: f"{base['NAME']}_replica"}
        # The test database has other sessions (browser tests' threads), so it cannot be a
        # template: copy it with pg_dump and pg_restore instead.
        with original._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{names["default"]}"')
            cursor.execute(f'CREATE DATABASE "{names["default"]}"')
        backups.restore(
            {**base, "NAME": names["default"]}, backups.backup(base, tmp_path_factory.mktemp("copy"))
        )
        primary = connections.create_connection("default")
        primary.settings_dict = {**base, "NAME": names["default"]}
        connections["default"] = primary
        try:
            before_copy()
            primary.close()
            with original._nodb_cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{names[REPLICA]}"')
                cursor.execute(f'CREATE DATABASE "{names[REPLICA]}" TEMPLATE "{names["default"]}"')
            connections.settings[REPLICA] = {**base, "NAME": names[REPLICA]}
            assert REPLICA in settings.DATABASES  # the router reads the aliases from there
            written = after_copy()
            with override_settings(DATABASE_ROUTERS=["core.db_routers.PrimaryReplicaRouter"]):
                yield written
        finally:
            if REPLICA in connections.settings:
                connections[REPLICA].close()
                del connections[REPLICA]
                del connections.settings[REPLICA]
            primary.close()
            connections["default"] = original
            with original._nodb_cursor() as cursor:
                for name in names.values():
                    cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')


@pytest.fixture
def replica(django_db_blocker, tmp_path_factory):
    """A primary with two sites and a replica that has only the first ("Copied to the replica")."""
    with _primary_and_lagging_replica(
        django_db_blocker,
        tmp_path_factory,
        before_copy=lambda: SiteFactory(name="Copied to the replica"),
        after_copy=lambda: SiteFactory(name="Written after the copy"),
    ):
        yield


# Transactional, so the fixture may close and swap connections; serialized_rollback puts the
# reference data back first (the test database itself is only ever read, as a template).
copies = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _names(queryset):
    return set(queryset.values_list("name", flat=True))


@copies
def test_reads_go_to_the_replica_and_writes_and_transactions_to_the_primary(replica):
    assert _names(Site.objects.all()) == {"Copied to the replica"}
    assert _names(Site.objects.using("default")) == {"Copied to the replica", "Written after the copy"}
    organisation = Organisation.objects.first()
    assert organisation._state.db == REPLICA
    organisation.description = "Edited"
    organisation.save()  # the write lands on the primary even for a row read from a replica
    assert Organisation.objects.using("default").get(pk=organisation.pk).description == "Edited"
    with transaction.atomic():
        assert "Written after the copy" in _names(Site.objects.all())
    with use_primary():
        assert "Written after the copy" in _names(Site.objects.all())
    assert "Written after the copy" not in _names(Site.objects.all())


@copies
def test_public_pages_read_from_the_replica_and_the_admin_from_the_primary(replica, settings):
    # The database's routing, beneath the page cache (which fills from the primary after a write).
    settings.PAGE_CACHE_SKIP_PREFIXES = ("/",)
    body = Client().get(reverse("manufacturers:site-list")).content.decode()
    assert "Copied to the replica" in body
    assert "Written after the copy" not in body
    staff = get_user_model().objects.create_superuser("admin", "admin@example.org", "a long passphrase here")
    client = Client()
    client.force_login(staff)  # the session is written to, and read from, the primary
    body = client.get(reverse("admin:manufacturers_site_changelist")).content.decode()
    assert "Written after the copy" in body


@copies
def test_a_signed_in_editor_reads_the_public_pages_from_the_primary(replica):
    staff = get_user_model().objects.create_superuser(
        "editor", "editor@example.org", "a long passphrase here"
    )
    client = Client()
    client.force_login(staff)
    # Straight after an edit in the admin, an editor checking the public page sees the edit.
    assert "Written after the copy" in client.get(reverse("manufacturers:site-list")).content.decode()


@copies
def test_reads_after_a_write_in_the_same_request_go_to_the_primary(replica):
    with request_reads():  # what PrimaryDatabaseMiddleware opens for every request
        assert "Written after the copy" not in _names(Site.objects.all())
        Organisation.objects.using("default").first().save()
        assert "Written after the copy" in _names(Site.objects.all())
    assert "Written after the copy" not in _names(Site.objects.all())


CLUSTERS = "/map/clusters.json?zoom=6&bbox=-9,49,2,61"


@copies
def test_a_shared_cache_entry_is_never_filled_from_a_replica_behind_the_write(replica):
    # The second site's write bumped the landscape's version; the replica has not replayed it.
    primary_total = Site.objects.using("default").count()
    assert Client().get(CLUSTERS).json()["total"] == primary_total
    # Nor is a stale entry left behind to be served once the replica has caught up.
    assert Client().get(CLUSTERS).json()["total"] == primary_total


@copies
def test_last_modified_comes_from_the_database_that_produced_the_body(replica):
    # A partner's keyed request is never answered from the shared cache: the request's replica reads.
    _api_key, key = APIKey.objects.create_key(name="Knowledge Transfer Network")
    response = Client().get(reverse("api-v1:site-list"), HTTP_X_API_KEY=key)
    assert [site["name"] for site in response.json()["results"]] == ["Copied to the replica"]
    # Stamped by the replica that answered, so a client revalidating after the replica has caught
    # up gets the newer list rather than a 304 for the old one.
    replica_latest = Site.objects.using(REPLICA).aggregate(latest=Max("updated_at"))["latest"]
    assert response["Last-Modified"] == http_date(replica_latest.timestamp())
    # An anonymous answer fills the shared cache, so it is computed on the primary and stamped by it.
    shared = Client().get(reverse("api-v1:site-list"))
    assert len(shared.json()["results"]) == 2
    primary_latest = Site.objects.using("default").aggregate(latest=Max("updated_at"))["latest"]
    assert shared["Last-Modified"] == http_date(primary_latest.timestamp())


@pytest.fixture
def preview_links(django_db_blocker, tmp_path_factory):
    """Two preview links: one the replica has and the primary then revoked, one only the primary has."""
    links = {}

    def before_copy():
        publisher = StaffUserFactory(username="publisher", group="Publishers")
        case_study = CaseStudyFactory(title="Draft for a reviewer")
        links["revoked"] = case_study_preview_link_create(case_study=case_study, by=publisher)

    def after_copy():
        publisher = get_user_model().objects.get(username="publisher")
        case_study_preview_link_revoke(link=links["revoked"], by=publisher)
        links["new"] = case_study_preview_link_create(
            case_study=links["revoked"].revision.case_study, by=publisher
        )
        return links

    with _primary_and_lagging_replica(
        django_db_blocker, tmp_path_factory, before_copy=before_copy, after_copy=after_copy
    ) as written:
        yield written


@copies
def test_preview_links_are_read_on_the_primary_so_a_revocation_holds_at_once(preview_links):
    assert Client().get(preview_links["revoked"].get_absolute_url()).status_code == 410
    assert Client().get(preview_links["new"].get_absolute_url()).status_code == 200
