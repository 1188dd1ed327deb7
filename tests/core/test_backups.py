"""Backups: pg_dump a database, restore it into a fresh one, and find the same rows there.

Runs against whichever PostgreSQL the tests use (the embedded server, or DATABASE_URL's): the
test database is backed up and restored into a database of the test's own.
"""

import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.db import connection

from core import backups
from tests.casestudies.factories import CaseStudyFactory
from tests.manufacturers.factories import CapabilityFactory, LicenceFactory, SiteFactory
from tests.workstreams.factories import InitiativeFactory

ROOT = Path(__file__).resolve().parents[2]

# Transactional, so pg_dump (another session) sees the rows; serialized_rollback puts the
# reference data back afterwards.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _row_counts(db: dict) -> dict[str, int]:
    tables = sorted(
        model._meta.db_table
        for model in apps.get_models()
        if model._meta.app_label in {"manufacturers", "workstreams", "casestudies", "auth"}
    )
    conn = backups._connect(db)
    try:
        with conn.cursor() as cursor:
            counts = {}
            for table in tables:
                cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 - our own table names
                counts[table] = cursor.fetchone()[0]
            return counts
    finally:
        conn.close()


@pytest.fixture
def source_and_target():
    """The test database with some data committed to it, and an empty database to restore into."""
    source = connection.settings_dict
    assert source["NAME"].startswith("test_"), "restores only ever into a scratch database"
    target = {**source, "NAME": f"{source['NAME']}_restored"}
    sites = SiteFactory.create_batch(7, capabilities=[CapabilityFactory()])
    LicenceFactory(site=sites[0])
    InitiativeFactory(partners=[sites[0].organisation])
    CaseStudyFactory(published=True, sites=sites[:2])
    with connection._nodb_cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{target["NAME"]}"')
        cursor.execute(f'CREATE DATABASE "{target["NAME"]}"')
    try:
        yield source, target
    finally:
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{target["NAME"]}"')


def test_a_backup_restores_into_a_fresh_database_with_every_row(source_and_target, tmp_path):
    source, target = source_and_target
    dump = backups.backup(source, tmp_path)
    assert dump.name.startswith(source["NAME"]) and dump.suffix == ".dump"
    assert dump.stat().st_mode & 0o077 == 0  # readable by its owner only
    backups.restore(target, dump)
    counts = _row_counts(source)
    assert counts["manufacturers_site"] == 7
    assert counts["manufacturers_region"] == 12
    assert _row_counts(target) == counts
    # Restoring again replaces the contents rather than adding to them.
    backups.restore(target, dump)
    assert _row_counts(target) == counts
    # Only the newest `keep` backups stay.
    made = [dump] + [backups.backup(source, tmp_path, keep=2) for _ in range(2)]
    assert sorted(tmp_path.glob("*.dump")) == made[1:]


@pytest.mark.django_db(transaction=False)
def test_restore_refuses_a_missing_or_foreign_file(tmp_path):
    target = {"NAME": "never_connected_to"}
    with pytest.raises(backups.BackupError, match="No backup at"):
        backups.restore(target, tmp_path / "missing.dump")
    junk = tmp_path / "junk.dump"
    junk.write_text("not a dump")
    with pytest.raises(backups.BackupError, match="not a pg_dump custom-format archive"):
        backups.restore(target, junk)


@pytest.mark.django_db(transaction=False)
def test_the_command_line_explains_its_usage():
    result = subprocess.run([sys.executable, "-m", "core.backups"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 2
    assert "usage: python -m core.backups backup | restore FILE" in result.stderr
