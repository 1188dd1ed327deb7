"""The changes feed as a partner reads it: /api/v1/changes/ after writes through every path."""

import datetime

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from casestudies.models import CaseStudy
from core.changes import Change, record_merge
from manufacturers.models import Capability, Organisation, Site
from tests.casestudies.factories import CaseStudyFactory
from tests.manufacturers.factories import LicenceFactory, OrganisationFactory, SiteFactory
from tests.workstreams.factories import InitiativeFactory

# Each test is one transaction, whose own entries the feed shows to it (as to any reader that
# wrote); the test of transactions running side by side commits for real.
pytestmark = pytest.mark.django_db

FEED = "/api/v1/changes/"


def head(client) -> str:
    """Where the feed is now: the `next` link of a page asked for from this moment."""
    response = client.get(FEED, {"since": timezone.now().isoformat()})
    assert response.status_code == 200, response.content
    return response.json()["next"]


def follow(client, url: str) -> tuple[list[dict], str]:
    """Every entry from `url` to the end of the feed, and where to continue."""
    entries = []
    while True:
        body = client.get(url).json()
        entries.extend(body["results"])
        url = body["next"]
        if not body["more"]:
            return entries, url


def actions(entries) -> list[tuple[str, str, str]]:
    return [(entry["kind"], entry["slug"], entry["action"]) for entry in entries]


def test_creates_updates_and_deletes_of_every_kind_appear_in_order(api_client):
    start = head(api_client)
    organisation = OrganisationFactory(slug="acme")
    site = SiteFactory(slug="acme-stevenage", organisation=organisation)
    initiative = InitiativeFactory(slug="skills-survey")
    Site.objects.filter(pk=site.pk).update(town="Hitchin")  # a bulk path: no model signal
    site.capabilities.add(Capability.objects.first())
    initiative.delete()
    entries, _next = follow(api_client, start)
    assert actions(entries) == [
        ("organisation", "acme", "created"),
        ("site", "acme-stevenage", "created"),
        ("initiative", "skills-survey", "created"),
        ("site", "acme-stevenage", "updated"),
        ("site", "acme-stevenage", "updated"),
        ("initiative", "skills-survey", "deleted"),
    ]
    site_entry = entries[1]
    assert site_entry["id"] == site.pk
    assert site_entry["url"].endswith("/api/v1/sites/acme-stevenage/")
    assert site_entry["merged_into"] is None


def test_a_save_that_changes_nothing_public_records_nothing(api_client):
    site = SiteFactory()
    start = head(api_client)
    site.save()  # only updated_at moves
    LicenceFactory(site=site)
    entries, _next = follow(api_client, start)
    assert actions(entries) == [("site", site.slug, "updated")]


def test_a_statement_that_changes_many_links_of_a_record_makes_one_entry(api_client):
    start = head(api_client)
    with transaction.atomic():
        site = SiteFactory(slug="busy")
        site.capabilities.set(Capability.objects.all()[:3])  # one INSERT of three rows
    entries, _next = follow(api_client, start)
    assert actions(entries) == [
        ("organisation", site.organisation.slug, "created"),
        ("site", "busy", "created"),
        ("site", "busy", "updated"),
    ]


def test_drafts_never_appear_and_a_withdrawal_carries_its_reason(api_client):
    start = head(api_client)
    draft = CaseStudyFactory(slug="draft")
    draft.title = "Still a draft"
    draft.save()
    live = CaseStudyFactory(slug="live", published=True)
    CaseStudy.objects.filter(pk=live.pk).update(draft_submitted_at=timezone.now())  # workflow only
    live.status = CaseStudy.Status.WITHDRAWN
    live.withdrawn_at = timezone.now()
    live.withdrawn_reason = "The process changed."
    live.save()
    entries, _next = follow(api_client, start)
    kinds = [(kind, slug, action) for kind, slug, action in actions(entries) if kind == "case_study"]
    assert kinds == [("case_study", "live", "created"), ("case_study", "live", "withdrawn")]
    assert entries[-1]["reason"] == "The process changed."


def test_a_merge_leaves_a_tombstone_naming_where_the_record_went(api_client):
    old, new = OrganisationFactory(slug="cpi-2"), OrganisationFactory(slug="cpi")
    start = head(api_client)
    with transaction.atomic():
        record_merge(old, new)
        old.delete()
    entries, _next = follow(api_client, start)
    assert len(entries) == 1
    assert entries[0]["action"] == "merged"
    assert entries[0]["slug"] == "cpi-2"
    assert entries[0]["merged_into"]["slug"] == "cpi"
    assert entries[0]["merged_into"]["url"].endswith("/api/v1/organisations/cpi/")


def test_the_next_link_of_an_empty_page_resumes_where_it_left_off(api_client):
    start = head(api_client)
    entries, resume = follow(api_client, start)
    assert entries == []
    SiteFactory(slug="later")
    entries, resume = follow(api_client, resume)
    assert ("site", "later", "created") in actions(entries)
    assert follow(api_client, resume)[0] == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_unfinished_transaction_holds_back_later_entries_until_it_ends(api_client):
    """A reader never passes a position behind which an entry could still appear."""
    start = head(api_client)
    other = connection.copy()  # a second session, with its own open transaction
    try:
        other.set_autocommit(False)
        with other.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.execute("SELECT pg_current_xact_id()")
        organisation = OrganisationFactory(slug="committed-later-txid")
        assert follow(api_client, start)[0] == []  # the open transaction is older
        other.rollback()
    finally:
        other.close()
    entries, _next = follow(api_client, start)
    assert actions(entries) == [("organisation", organisation.slug, "created")]


def test_a_truncated_table_records_a_reset(api_client):
    start = head(api_client)
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")  # as a bulk load does
        cursor.execute("TRUNCATE manufacturers_licence, manufacturers_site CASCADE")
        cursor.execute("SET session_replication_role = DEFAULT")
    entries, _next = follow(api_client, start)
    assert ("site", None, "reset") in actions(entries)


def test_since_takes_a_time(api_client):
    SiteFactory(slug="before")
    moment = timezone.now()
    SiteFactory(slug="after")
    body = api_client.get(FEED, {"since": moment.isoformat()}).json()
    slugs = [entry["slug"] for entry in body["results"] if entry["kind"] == "site"]
    assert slugs == ["after"]


@pytest.mark.parametrize(
    "since",
    ["yesterday", "eyJ0IjoxLCJpIjoxfQ", "AA", "eyJ0IjoxZTMwOCwiaSI6MSwiYXQiOiIyMDI2LTAxLTAxIn0", "\x00"],
)
def test_a_since_that_is_neither_a_time_nor_a_cursor_is_a_400_naming_it(api_client, since):
    response = api_client.get(FEED, {"since": since})
    assert response.status_code == 400
    assert list(response.json()) == ["since"]


def test_a_since_older_than_the_retention_period_is_410(api_client, settings):
    settings.CHANGES_RETENTION_DAYS = 30
    response = api_client.get(FEED, {"since": (timezone.now() - datetime.timedelta(days=31)).isoformat()})
    assert response.status_code == 410
    assert "walk the lists afresh" in response.json()["since"][0]


def test_prune_changes_deletes_entries_older_than_the_retention_period(settings):
    settings.CHANGES_RETENTION_DAYS = 30
    OrganisationFactory()
    Change.objects.update(recorded_at=timezone.now() - datetime.timedelta(days=31))
    recent = Change.objects.create(kind="organisation", object_id=1, slug="x", action="updated")
    call_command("prune_changes")
    assert list(Change.objects.all()) == [recent]


def test_organisations_deleted_through_the_orm_leave_tombstones(api_client):
    organisation = OrganisationFactory(slug="gone")
    start = head(api_client)
    Organisation.objects.filter(pk=organisation.pk).delete()
    entries, _next = follow(api_client, start)
    assert actions(entries) == [("organisation", "gone", "deleted")]
