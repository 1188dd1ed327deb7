"""The demo case studies (fixtures/casestudies.toml), loaded by `manage.py load_demo_data`.

Each case study gets the history its state implies, written by demo staff through the workflow
services with past dates: created, sent back, submitted, published or scheduled, withdrawn,
archived, and edited again while live. The services' rules hold for the demo as for real work.
"""

import datetime
import tomllib
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from manufacturers.models import Organisation, Site, Technology
from manufacturers.services import organisation_save
from workstreams.models import Workstream

from . import services
from .models import CaseStudy, CaseStudyEvent, ChangeNote, RegulatoryTopic
from .revisions import record_event

Status = CaseStudy.Status
REGULATORY_WORKSTREAM_SLUG = "regulatory-environment"
DEMO_USERS = {
    # username: (first name, last name, group)
    "demo-editor": ("Priya", "Shah", services.EDITORS_GROUP),
    "demo-editor-2": ("Tom", "Evans", services.EDITORS_GROUP),
    "demo-publisher": ("Grace", "Okafor", services.PUBLISHERS_GROUP),
}


@transaction.atomic
def case_studies_load_toml(path: Path | str) -> int:
    """Create the case studies of a TOML file that are not in the database yet; return how many.

    Existing case studies are left alone (staff may have edited them), so loading twice
    changes nothing.
    """
    with open(path, "rb") as handle:
        items = tomllib.load(handle)["case_study"]
    workstream = Workstream.objects.get(slug=REGULATORY_WORKSTREAM_SLUG)
    users = _demo_users()
    created = 0
    for item in items:
        if CaseStudy.objects.filter(slug=item["slug"]).exists():
            continue
        _demo_case_study(item, organisation=_organisation(item), workstream=workstream, users=users)
        created += 1
    return created


def _demo_users() -> dict:
    """Demo staff with no usable password: they sign nothing in, they only author demo content."""
    users = {}
    for username, (first_name, last_name, group_name) in DEMO_USERS.items():
        user, created = get_user_model().objects.get_or_create(
            username=username,
            defaults={
                "first_name": first_name,
                "last_name": last_name,
                "email": f"{username}@example.org",
                "is_staff": True,
            },
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
            user.groups.add(Group.objects.get(name=group_name))
        users[username] = user
    return users


def _organisation(item: dict) -> Organisation:
    organisation = Organisation.objects.filter(name=item["organisation"]).first()
    if organisation is None:
        organisation = organisation_save(
            organisation=Organisation(name=item["organisation"], kind=item.get("organisation_kind", "other"))
        )
    return organisation


def _as_datetime(value) -> datetime.datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value
    return timezone.make_aware(datetime.datetime.combine(value, datetime.time(9, 0)))


def _demo_case_study(item: dict, *, organisation, workstream, users) -> CaseStudy:
    editor = users[item.get("author", "demo-editor")]
    publisher = users["demo-publisher"]
    status = item.get("status", Status.DRAFT)
    first_published_at = _as_datetime(item.get("first_published_at"))
    go_live_at = _as_datetime(item.get("go_live_at"))
    published_at = first_published_at
    if go_live_at:
        # Scheduled today, or a week before a go-live time that has since passed: the service
        # only schedules for a time still to come.
        published_at = min(timezone.now(), go_live_at - datetime.timedelta(days=7))
    # The history starts three weeks before publication (or before today, for the rest).
    started = (published_at or timezone.now()) - datetime.timedelta(days=21)

    def day(number):
        return started + datetime.timedelta(days=number)

    case_study = services.case_study_create(
        data=_content(item, organisation=organisation, workstream=workstream), by=editor, at=started
    )
    if item.get("changes_requested"):
        services.case_study_submit_for_review(case_study=case_study, by=editor, at=day(2))
        services.case_study_request_changes(
            case_study=case_study, by=publisher, comment=item["changes_requested"], at=day(3)
        )
    if status in (Status.IN_REVIEW, Status.PUBLISHED, Status.WITHDRAWN) or first_published_at:
        services.case_study_submit_for_review(
            case_study=case_study, by=editor, comment=item.get("submit_comment", ""), at=day(7)
        )
    if first_published_at:
        services.case_study_publish(
            case_study=case_study, by=publisher, go_live_at=go_live_at, at=published_at
        )
        _change_notes(case_study, item.get("change_notes", []), by=publisher)
    withdrawn_at = _as_datetime(item.get("withdrawn_at")) or first_published_at
    # Only a withdrawn case study can be archived once it has been public.
    if status == Status.WITHDRAWN or (status == Status.ARCHIVED and first_published_at):
        services.case_study_withdraw(
            case_study=case_study, by=publisher, reason=item["withdrawn_reason"], at=withdrawn_at
        )
    if status == Status.ARCHIVED:
        archived_at = withdrawn_at + datetime.timedelta(days=1) if first_published_at else day(10)
        services.case_study_archive(
            case_study=case_study, by=publisher, comment=item.get("archive_comment", ""), at=archived_at
        )
    if item.get("pending_change"):
        _pending_change(case_study, item["pending_change"], by=editor)
    case_study.refresh_from_db()
    return case_study


def _content(item: dict, *, organisation, workstream) -> dict:
    """The case study as the admin's form would hand it to the services."""
    return {
        "slug": item["slug"],
        "title": item["title"],
        "summary": item["summary"].strip(),
        "body": item["body"].strip(),
        "organisation": organisation,
        "workstream": workstream,
        "sites": list(Site.objects.filter(organisation=organisation, name__in=item.get("sites", []))),
        "technologies": list(Technology.objects.filter(slug__in=item.get("technologies", []))),
        "topics": list(RegulatoryTopic.objects.filter(slug__in=item.get("topics", []))),
        "source_urls": item.get("sources", []),
    }


def _change_notes(case_study: CaseStudy, notes: list[dict], *, by) -> None:
    """Past republications, written as a fixture rather than through case_study_publish.

    Republishing publishes changed content, and the fixture holds only the text as it stands
    now, not the earlier versions each note describes; without them the services would (rightly)
    refuse to republish. So the notes, their events and the last-updated date are set directly.
    """
    for note in notes:
        note_at = _as_datetime(note["date"])
        ChangeNote.objects.create(
            case_study=case_study, note=note["note"], published_at=note_at, created_by=by
        )
        record_event(
            case_study, action=CaseStudyEvent.Action.PUBLISHED, by=by, comment=note["note"], at=note_at
        )
    if notes:
        last = max(_as_datetime(note["date"]) for note in notes)
        CaseStudy.objects.filter(pk=case_study.pk, last_published_at__lt=last).update(last_published_at=last)


def _pending_change(case_study: CaseStudy, pending: dict, *, by) -> None:
    """Changes to a live case study, submitted for review unless the fixture says not; the public keeps the live text."""
    case_study.refresh_from_db()
    changes = {key: pending[key].strip() for key in ("title", "summary", "body") if key in pending}
    services.case_study_save_draft(
        case_study=case_study,
        data={**case_study.content(), "slug": case_study.slug, **changes},
        by=by,
        expected_version=case_study.version,
        at=timezone.now() - datetime.timedelta(days=2),
    )
    if pending.get("submitted", True):
        services.case_study_submit_for_review(
            case_study=case_study,
            by=by,
            comment=pending.get("comment", ""),
            at=timezone.now() - datetime.timedelta(days=1),
        )
