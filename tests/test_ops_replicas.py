"""Read replicas, with two real databases: a copy of the test database stands in for a replica.

The "replica" is a separate PostgreSQL database copied from the primary (CREATE DATABASE ...
TEMPLATE), then left behind as the primary moves on (as a lagging replica would be), so which
database answered each read is visible in the data.
"""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connections, transaction
from django.test import Client, override_settings
from django.urls import reverse

from core import backups
from core.db_routers import PrimaryReplicaRouter, use_primary
from manufacturers.models import Organisation, Site
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


@pytest.fixture
def replica(django_db_blocker, tmp_path_factory):
    """The test database copied twice: a primary, and a replica copied from it that then falls behind.

    Both are real databases of their own, used outside the test transaction machinery (which
    only knows the aliases defined at start-up), and dropped afterwards. Copying a database
    takes seconds, so few tests use this.
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
            SiteFactory(name="Copied to the replica")
            primary.close()
            with original._nodb_cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{names[REPLICA]}"')
                cursor.execute(f'CREATE DATABASE "{names[REPLICA]}" TEMPLATE "{names["default"]}"')
            connections.settings[REPLICA] = {**base, "NAME": names[REPLICA]}
            assert REPLICA in settings.DATABASES  # the router reads the aliases from there
            SiteFactory(name="Written after the copy")
            with override_settings(DATABASE_ROUTERS=["core.db_routers.PrimaryReplicaRouter"]):
                yield
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
def test_public_pages_read_from_the_replica_and_the_admin_from_the_primary(replica):
    body = Client().get(reverse("manufacturers:site-list")).content.decode()
    assert "Copied to the replica" in body
    assert "Written after the copy" not in body
    staff = get_user_model().objects.create_superuser("admin", "admin@example.org", "a long passphrase here")
    client = Client()
    client.force_login(staff)  # the session is written to, and read from, the primary
    body = client.get(reverse("admin:manufacturers_site_changelist")).content.decode()
    assert "Written after the copy" in body
