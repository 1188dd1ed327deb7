"""A partner's mirror, built from a full walk and kept by replaying the changes feed, equals a fresh walk.

Hypothesis draws a mix of creates, edits, merges, withdrawals and deletes of sites,
organisations, case studies and initiatives, made through the models and through bulk paths.
The mirror does what the API guide tells a partner to do: note where the feed is, walk every
list, then replay each entry by fetching the record's URL (or dropping it for a tombstone).
"""

import itertools

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient
from rest_framework_api_key.models import APIKey

from casestudies.models import CaseStudy
from core.changes import record_merge
from core.models import KeyQuota
from manufacturers.models import Capability, Organisation, Site
from tests.casestudies.factories import CaseStudyFactory
from tests.manufacturers.factories import LicenceFactory, OrganisationFactory, SiteFactory
from tests.workstreams.factories import InitiativeFactory
from workstreams.models import Initiative

LISTS = {
    "site": "/api/v1/sites/",
    "organisation": "/api/v1/organisations/",
    "case_study": "/api/v1/case-studies/",
    "initiative": "/api/v1/initiatives/",
}
# Fields that belong to another record of the feed (its own entries cover them, as a case
# study's entry covers its link to a site), counts derived
# from other records, and the bookkeeping stamp a save moves without changing anything said.
NOT_OWN = {
    "organisation",
    "sites",
    "case_studies",
    "partners",
    "licences",
    "site_count",
    "updated_at",
    "distance_km",
}
TOMBSTONES = {"deleted", "withdrawn", "merged"}
serial = itertools.count()


def own_fields(record: dict) -> dict:
    """What a mirror compares of a record: its own fields, links to vocabularies as slugs."""
    own = {}
    for key, value in record.items():
        if key in NOT_OWN:
            continue
        if isinstance(value, dict):
            value = value.get("slug")
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            value = sorted(item.get("slug") for item in value)
        own[key] = value
    return own


def fetch(client, url: str) -> dict | None:
    response = client.get(url, follow=True)
    if response.status_code in (404, 410):
        return None
    assert response.status_code == 200, response.content
    return own_fields(response.json())


def full_walk(client) -> dict:
    mirror = {}
    for kind, url in LISTS.items():
        while url:
            page = client.get(url).json()
            for row in page["results"]:
                mirror[(kind, row["id"])] = fetch(client, row["url"])
            url = page["next"]
    return mirror


def head(client) -> str:
    return client.get("/api/v1/changes/", {"since": timezone.now().isoformat()}).json()["next"]


def replay(client, mirror: dict, url: str) -> str:
    while True:
        page = client.get(url).json()
        for entry in page["results"]:
            key = (entry["kind"], entry["id"])
            record = None if entry["action"] in TOMBSTONES else fetch(client, entry["url"])
            if record is None:
                mirror.pop(key, None)
            else:
                mirror[key] = record
        url = page["next"]
        if not page["more"]:
            return url


def pick(draw, queryset, count: int = 1) -> list:
    """Up to `count` rows of `queryset` chosen by hypothesis (so a failing mix replays exactly)."""
    rows = list(queryset.order_by("id"))
    if len(rows) <= count:
        return rows
    return draw(st.lists(st.sampled_from(rows), min_size=count, max_size=count, unique=True))


def first(draw, queryset):
    rows = pick(draw, queryset)
    return rows[0] if rows else None


def slug(prefix: str) -> str:
    return f"{prefix}-{next(serial)}"


def create_site(draw):
    organisation = first(draw, Organisation.objects.all()) or OrganisationFactory(slug=slug("org"))
    SiteFactory(slug=slug("site"), organisation=organisation)


def edit_site(draw):
    if site := first(draw, Site.objects.all()):
        change = draw(st.sampled_from(["rename", "town", "capability", "licence", "bulk"]))
        if change == "rename":
            site.name, site.slug = f"Renamed {site.name}", slug("renamed")
            site.save()
        elif change == "town":
            site.town = draw(st.sampled_from(["Elstree", "Speke", "Barnard Castle"]))
            site.save()
        elif change == "capability":
            site.capabilities.add(first(draw, Capability.objects.all()))
        elif change == "licence" and not site.licences.exists():
            LicenceFactory(site=site)
        else:
            Site.objects.filter(pk=site.pk).update(status=Site.Status.CLOSED)


def delete_site(draw):
    if site := first(draw, Site.objects.filter(case_studies__isnull=True)):
        site.delete()


def create_organisation(draw):
    OrganisationFactory(slug=slug("org"))


def edit_organisation(draw):
    if organisation := first(draw, Organisation.objects.all()):
        organisation.description = f"Edited {next(serial)}."
        organisation.save()


def merge_organisations(draw):
    pair = pick(draw, Organisation.objects.filter(case_studies__isnull=True), 2)
    if len(pair) == 2:
        old, new = pair
        with transaction.atomic():
            old.sites.update(organisation=new)
            record_merge(old, new)
            old.delete()


def delete_organisation(draw):
    if organisation := Organisation.objects.filter(sites__isnull=True, case_studies__isnull=True).first():
        organisation.delete()


def publish_case_study(draw):
    sites = pick(draw, Site.objects.all())
    CaseStudyFactory(slug=slug("case"), published=draw(st.booleans()), sites=sites)


def edit_case_study(draw):
    if case_study := first(draw, CaseStudy.objects.all()):
        change = draw(st.sampled_from(["title", "withdraw", "unpublish", "publish", "draft_only", "delete"]))
        if change == "title":
            case_study.title = f"Retitled {next(serial)}"
        elif change == "withdraw" and case_study.status == CaseStudy.Status.PUBLISHED:
            case_study.status = CaseStudy.Status.WITHDRAWN
            case_study.withdrawn_at, case_study.withdrawn_reason = timezone.now(), "Superseded."
        elif change == "unpublish" and case_study.status == CaseStudy.Status.PUBLISHED:
            case_study.status = CaseStudy.Status.DRAFT
        elif change == "publish" and case_study.status == CaseStudy.Status.DRAFT:
            case_study.status = CaseStudy.Status.PUBLISHED
            case_study.first_published_at = case_study.last_published_at = timezone.now()
        elif change == "draft_only":
            case_study.draft_submitted_at = timezone.now()
        elif change == "delete":
            case_study.delete()
            return
        case_study.save()


def create_initiative(draw):
    partners = pick(draw, Organisation.objects.all())
    InitiativeFactory(slug=slug("initiative"), partners=partners)


def edit_initiative(draw):
    if initiative := first(draw, Initiative.objects.all()):
        if draw(st.booleans()):
            initiative.delete()
        else:
            initiative.title = f"Retitled {next(serial)}"
            initiative.save()


OPERATIONS = [
    create_site,
    edit_site,
    delete_site,
    create_organisation,
    edit_organisation,
    merge_organisations,
    delete_organisation,
    publish_case_study,
    edit_case_study,
    create_initiative,
    edit_initiative,
]


@pytest.fixture
def partner(db, settings):
    """A client with a bulk-tier key, as a nightly sync would have (the limits have their own tests)."""
    settings.API_QUOTAS = {**settings.API_QUOTAS, "bulk": {"minute": 1_000_000, "day": 10_000_000}}
    api_key, key = APIKey.objects.create_key(name="Mirror")
    KeyQuota.objects.create(api_key=api_key, tier=KeyQuota.Tier.BULK)
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=key)
    return client


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_a_mirror_kept_by_the_feed_equals_a_fresh_walk(partner, data):
    api_client = partner
    with transaction.atomic():  # every example starts from the same data, so hypothesis can replay it
        check_mirror(api_client, data)
        transaction.set_rollback(True)


def check_mirror(api_client, data):
    for operation in data.draw(st.lists(st.sampled_from(OPERATIONS), max_size=4), label="before the walk"):
        operation(data.draw)
    start = head(api_client)
    mirror = full_walk(api_client)
    for operation in data.draw(st.lists(st.sampled_from(OPERATIONS), min_size=1, max_size=12), label="after"):
        operation(data.draw)
    replay(api_client, mirror, start)
    fresh = full_walk(api_client)
    differing = {
        key: {
            name
            for name in set(mirror.get(key) or {}) | set(fresh.get(key) or {})
            if (mirror.get(key) or {}).get(name) != (fresh.get(key) or {}).get(name)
        }
        for key in set(mirror) | set(fresh)
        if mirror.get(key) != fresh.get(key)
    }
    assert differing == {}
