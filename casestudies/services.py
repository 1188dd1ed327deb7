"""Writes to case studies: the editorial workflow, revisions, preview links and the demo loader.

Every transition runs in a transaction, locks the case study row, checks the user's role and the
state, and records who did it, when and why as a CaseStudyEvent. Illegal transitions and refused
roles raise ValidationError with a message the admin shows to the user.
"""

import datetime
import tomllib
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from manufacturers.models import Organisation, Site, Technology
from manufacturers.services import organisation_save
from workstreams.models import Workstream

from .models import (
    CaseStudy,
    CaseStudyEvent,
    CaseStudyPreviewLink,
    CaseStudyRevision,
    ChangeNote,
    RegulatoryTopic,
)

User = get_user_model()
Status = CaseStudy.Status
Action = CaseStudyEvent.Action

REGULATORY_WORKSTREAM_SLUG = "regulatory-environment"
EDITORS_GROUP = "Editors"
PUBLISHERS_GROUP = "Publishers"
PUBLISH_PERMISSION = "casestudies.publish_casestudy"
EDIT_PERMISSION = "casestudies.change_casestudy"
ADD_PERMISSION = "casestudies.add_casestudy"
# The fields a revision snapshots (CaseStudy.content()); the slug is fixed once published.
CONTENT_FIELDS = ("title", "summary", "body", "organisation", "workstream", "source_urls")
RELATION_FIELDS = ("sites", "technologies", "topics")
# Addresses under /case-studies/ that belong to other pages, so no case study may take them.
RESERVED_SLUGS = frozenset({"feed", "preview"})
DEFAULT_PREVIEW_DAYS = 7
MAX_PREVIEW_DAYS = 30


# ---------------------------------------------------------------- roles


def user_can_edit(user) -> bool:
    return user.is_active and user.has_perm(EDIT_PERMISSION)


def user_can_publish(user) -> bool:
    return user.is_active and user.has_perm(PUBLISH_PERMISSION)


def _require_editor(user) -> None:
    if not user_can_edit(user):
        raise ValidationError(_("You do not have permission to edit case studies."), code="permission")


def _require_publisher(user, what: str) -> None:
    if not user_can_publish(user):
        raise ValidationError(
            _("Only a publisher can %(what)s a case study.") % {"what": what}, code="permission"
        )


def check_slug(slug: str) -> None:
    if slug in RESERVED_SLUGS:
        raise ValidationError(
            {
                "slug": _("“%(slug)s” is used by another page of the portal: choose another slug.")
                % {"slug": slug}
            }
        )


def _lock(case_study: CaseStudy) -> CaseStudy:
    # Lock the row for the rest of the transaction, so two staff acting at once are serialised.
    return CaseStudy.objects.select_for_update().get(pk=case_study.pk)


def _check_version(case_study: CaseStudy, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != case_study.version:
        raise ValidationError(
            {
                "version": _(
                    "Someone else changed this case study while you were working on it "
                    "(it is now at version %(current)s; you started from version %(expected)s). "
                    "Nothing has been saved. Reload the page to see their changes, then make yours again."
                )
                % {"current": case_study.version, "expected": expected_version}
            },
            code="conflict",
        )


def _record(case_study, *, action, by, comment="", revision=None, at=None) -> CaseStudyEvent:
    return CaseStudyEvent.objects.create(
        case_study=case_study,
        action=action,
        by=by,
        comment=comment,
        revision=revision,
        at=at or timezone.now(),
    )


def _new_revision(case_study: CaseStudy, *, content: dict, by, at=None) -> CaseStudyRevision:
    last = case_study.revisions.order_by("-number").values_list("number", flat=True).first() or 0
    return CaseStudyRevision.objects.create(
        case_study=case_study,
        number=last + 1,
        content=content,
        created_by=by,
        created_at=at or timezone.now(),
    )


def _normalise_content(data: dict) -> dict:
    """A revision snapshot from cleaned form data (model instances or ids)."""

    def pk(value):
        return getattr(value, "pk", value)

    return {
        "title": data["title"],
        "summary": data["summary"],
        "body": data["body"],
        "organisation": pk(data["organisation"]),
        "workstream": pk(data["workstream"]),
        "sites": sorted(pk(item) for item in data.get("sites", [])),
        "technologies": sorted(pk(item) for item in data.get("technologies", [])),
        "topics": sorted(pk(item) for item in data.get("topics", [])),
        "source_urls": list(data.get("source_urls") or []),
    }


def _apply_content(case_study: CaseStudy, content: dict) -> None:
    """Copy a snapshot onto the row (validated), including its relations."""
    case_study.title = content["title"]
    case_study.summary = content["summary"]
    case_study.body = content["body"]
    case_study.organisation_id = content["organisation"]
    case_study.workstream_id = content["workstream"]
    case_study.source_urls = list(content.get("source_urls", []))
    # Sites, technologies or topics deleted since the snapshot are dropped rather than failing.
    case_study.sites.set(Site.objects.filter(pk__in=content.get("sites", [])))
    case_study.technologies.set(Technology.objects.filter(pk__in=content.get("technologies", [])))
    case_study.topics.set(RegulatoryTopic.objects.filter(pk__in=content.get("topics", [])))


def _save(case_study: CaseStudy, by, fields: list[str]) -> None:
    case_study.updated_by = by
    case_study.version += 1
    case_study.full_clean()
    case_study.save(update_fields=[*fields, "version", "updated_by", "updated_at"])


def _content_fields() -> list[str]:
    return ["title", "summary", "body", "organisation", "workstream", "source_urls"]


def _working_revision(case_study: CaseStudy, *, by) -> CaseStudyRevision:
    """The revision holding what editors are working on, snapshotting the row if none matches it."""
    if case_study.draft_revision_id is not None:
        return case_study.draft_revision
    content = case_study.content()
    latest = case_study.revisions.order_by("-number").first()
    if latest is not None and latest.content == content:
        return latest
    return _new_revision(case_study, content=content, by=by)


def _state_error(case_study: CaseStudy, what: str) -> ValidationError:
    return ValidationError(
        _("This case study cannot be %(what)s: it is %(state)s.")
        % {"what": what, "state": str(case_study.state_label).lower()},
        code="invalid_transition",
    )


# ---------------------------------------------------------------- what a user may do


# The names of the workflow transitions, as the admin's buttons and URLs use them.
SUBMIT = "submit"
REQUEST_CHANGES = "request_changes"
PUBLISH = "publish"
UNPUBLISH = "unpublish"
WITHDRAW = "withdraw"
ARCHIVE = "archive"


def case_study_allowed_transitions(*, case_study: CaseStudy, user) -> list[str]:
    """The transitions this user may make in the case study's current state (the same rules the services enforce)."""
    state = case_study.editorial_state
    allowed = []
    if user_can_edit(user) and state == Status.DRAFT:
        allowed.append(SUBMIT)
    if user_can_publish(user):
        if state == Status.IN_REVIEW:
            allowed += [REQUEST_CHANGES, PUBLISH]
        elif case_study.status == Status.WITHDRAWN and case_study.draft_revision_id is None:
            allowed.append(PUBLISH)
        if case_study.status == Status.PUBLISHED:
            allowed.append(UNPUBLISH)
        if case_study.is_live:
            allowed.append(WITHDRAW)
        if case_study.status in (Status.DRAFT, Status.WITHDRAWN):
            allowed.append(ARCHIVE)
    return allowed


# ---------------------------------------------------------------- editing


@transaction.atomic
def case_study_create(*, data: dict, by) -> CaseStudy:
    """Create a draft case study written by `by`, with its first revision."""
    if not (by.is_active and by.has_perm(ADD_PERMISSION)):
        raise ValidationError(_("You do not have permission to add case studies."), code="permission")
    check_slug(data["slug"])
    content = _normalise_content(data)
    case_study = CaseStudy(
        slug=data["slug"],
        status=Status.DRAFT,
        author=by,
        created_by=by,
        updated_by=by,
    )
    for field in ("title", "summary", "body", "source_urls"):
        setattr(case_study, field, content[field])
    case_study.organisation_id = content["organisation"]
    case_study.workstream_id = content["workstream"]
    case_study.full_clean()
    case_study.save()
    _apply_content(case_study, content)
    revision = _new_revision(case_study, content=content, by=by)
    _record(case_study, action=Action.CREATED, by=by, revision=revision)
    return case_study


@transaction.atomic
def case_study_save_draft(
    *, case_study: CaseStudy, data: dict, by, expected_version: int | None
) -> CaseStudy:
    """Save an editor's changes as a new revision without changing what the public sees.

    Before first publication the row is the working copy and is updated. Once published (or
    withdrawn) the row stays as the public version and the changes become `draft_revision`.
    A save started from an older version is refused (optimistic locking) and changes nothing.
    """
    _require_editor(by)
    case_study = _lock(case_study)
    _check_version(case_study, expected_version)
    if case_study.status == Status.ARCHIVED:
        raise ValidationError(
            _("An archived case study cannot be edited. Restore a revision to make it a draft again."),
            code="invalid_transition",
        )
    content = _normalise_content(data)
    if content == case_study.working_content() and data.get("slug", case_study.slug) == case_study.slug:
        return case_study  # Nothing changed: no revision, no new version.
    revision = _new_revision(case_study, content=content, by=by)
    if case_study.status in (Status.PUBLISHED, Status.WITHDRAWN):
        case_study.draft_revision = revision
        _save(case_study, by, ["draft_revision"])
    else:
        # Never public yet, so the row is the working copy; the slug may still change.
        if data.get("slug"):
            check_slug(data["slug"])
            case_study.slug = data["slug"]
        _apply_content(case_study, content)
        _save(case_study, by, [*_content_fields(), "slug"])
    _record(case_study, action=Action.EDITED, by=by, revision=revision)
    return case_study


# ---------------------------------------------------------------- workflow


@transaction.atomic
def case_study_submit_for_review(
    *, case_study: CaseStudy, by, comment: str = "", expected_version: int | None = None
) -> CaseStudy:
    """Ask a publisher to review the draft (a first version, or changes to a live case study)."""
    _require_editor(by)
    case_study = _lock(case_study)
    _check_version(case_study, expected_version)
    if case_study.editorial_state != Status.DRAFT:
        raise _state_error(case_study, _("submitted for review"))
    revision = _working_revision(case_study, by=by)
    if case_study.draft_revision_id is not None:
        case_study.draft_submitted_at = timezone.now()
        _save(case_study, by, ["draft_submitted_at"])
    else:
        case_study.status = Status.IN_REVIEW
        _save(case_study, by, ["status"])
    _record(case_study, action=Action.SUBMITTED, by=by, comment=comment, revision=revision)
    return case_study


@transaction.atomic
def case_study_request_changes(
    *, case_study: CaseStudy, by, comment: str, expected_version: int | None = None
) -> CaseStudy:
    """Send a case study in review back to its editors, saying what must change."""
    _require_publisher(by, _("request changes to"))
    if not (comment or "").strip():
        raise ValidationError({"comment": _("Say what needs to change.")}, code="required")
    case_study = _lock(case_study)
    _check_version(case_study, expected_version)
    if case_study.editorial_state != Status.IN_REVIEW:
        raise _state_error(case_study, _("sent back for changes"))
    case_study.reviewer = by
    if case_study.draft_revision_id is not None:
        case_study.draft_submitted_at = None
        _save(case_study, by, ["draft_submitted_at", "reviewer"])
    else:
        case_study.status = Status.DRAFT
        _save(case_study, by, ["status", "reviewer"])
    _record(
        case_study,
        action=Action.CHANGES_REQUESTED,
        by=by,
        comment=comment.strip(),
        revision=_working_revision(case_study, by=by),
    )
    return case_study


@transaction.atomic
def case_study_publish(
    *,
    case_study: CaseStudy,
    by,
    go_live_at: datetime.datetime | None = None,
    change_note: str = "",
    comment: str = "",
    expected_version: int | None = None,
) -> CaseStudy:
    """Publish the reviewed version now, or schedule it for `go_live_at`.

    A republished case study keeps its first published date, gets a new last-updated date and,
    if given, a public change note. Only a case study that has never been public can be scheduled.
    """
    _require_publisher(by, _("publish"))
    case_study = _lock(case_study)
    _check_version(case_study, expected_version)
    republishing_withdrawn = case_study.status == Status.WITHDRAWN and case_study.draft_revision_id is None
    if case_study.editorial_state != Status.IN_REVIEW and not republishing_withdrawn:
        if case_study.editorial_state == Status.DRAFT:
            raise ValidationError(
                _("Only a case study in review can be published. Submit it for review first."),
                code="invalid_transition",
            )
        raise _state_error(case_study, _("published"))
    now = timezone.now()
    # "Has the public seen it?": a scheduled case study whose time has not come has not been seen.
    was_public = case_study.first_published_at is not None and not case_study.is_scheduled
    change_note = (change_note or "").strip()
    if go_live_at is not None:
        if was_public:
            raise ValidationError(
                {
                    "go_live_at": _(
                        "This case study is already public, so changes to it are published at once."
                    )
                }
            )
        if go_live_at <= now:
            raise ValidationError(
                {"go_live_at": _("Choose a go-live time in the future, or leave it empty to publish now.")}
            )
    if change_note and not was_public:
        raise ValidationError(
            {"change_note": _("Change notes are for republishing: leave it empty the first time.")}
        )

    if case_study.draft_revision_id is not None:
        revision = case_study.draft_revision
        _apply_content(case_study, revision.content)
    else:
        revision = _working_revision(case_study, by=by)
    live_at = go_live_at or now
    case_study.live_revision = revision
    case_study.draft_revision = None
    case_study.draft_submitted_at = None
    case_study.status = Status.PUBLISHED
    case_study.withdrawn_at = None
    case_study.withdrawn_reason = ""
    case_study.reviewer = by
    case_study.go_live_at = go_live_at
    if not was_public:
        case_study.first_published_at = live_at
    case_study.last_published_at = live_at
    _save(
        case_study,
        by,
        [
            *_content_fields(),
            "live_revision",
            "draft_revision",
            "draft_submitted_at",
            "status",
            "withdrawn_at",
            "withdrawn_reason",
            "reviewer",
            "go_live_at",
            "first_published_at",
            "last_published_at",
        ],
    )
    if change_note:
        ChangeNote.objects.create(case_study=case_study, note=change_note, published_at=now, created_by=by)
    action = Action.SCHEDULED if go_live_at else Action.PUBLISHED
    comment = "\n".join(part for part in [comment.strip(), change_note] if part)
    _record(case_study, action=action, by=by, comment=comment, revision=revision)
    return case_study


@transaction.atomic
def case_study_unpublish(
    *, case_study: CaseStudy, by, comment: str = "", expected_version: int | None = None
) -> CaseStudy:
    """Take a published (or scheduled) case study off the public site and make it a draft again."""
    _require_publisher(by, _("unpublish"))
    case_study = _lock(case_study)
    _check_version(case_study, expected_version)
    if case_study.status != Status.PUBLISHED:
        raise _state_error(case_study, _("unpublished"))
    if case_study.is_scheduled:
        # It never went live: it has no publication dates to keep.
        case_study.first_published_at = None
        case_study.last_published_at = None
    if case_study.draft_revision_id is not None:
        # No longer public, so the row becomes the working copy again.
        _apply_content(case_study, case_study.draft_revision.content)
    case_study.status = Status.DRAFT
    case_study.go_live_at = None
    case_study.live_revision = None
    case_study.draft_revision = None
    case_study.draft_submitted_at = None
    _save(
        case_study,
        by,
        [
            *_content_fields(),
            "status",
            "go_live_at",
            "first_published_at",
            "last_published_at",
            "live_revision",
            "draft_revision",
            "draft_submitted_at",
        ],
    )
    _record(case_study, action=Action.UNPUBLISHED, by=by, comment=comment.strip())
    return case_study


@transaction.atomic
def case_study_withdraw(
    *, case_study: CaseStudy, by, reason: str, expected_version: int | None = None
) -> CaseStudy:
    """Withdraw a live case study: its page stays, with the public reason, but it leaves lists and feeds."""
    _require_publisher(by, _("withdraw"))
    if not (reason or "").strip():
        raise ValidationError(
            {"withdrawn_reason": _("Give the public a reason for the withdrawal.")}, code="required"
        )
    case_study = _lock(case_study)
    _check_version(case_study, expected_version)
    if not case_study.is_live:
        raise _state_error(case_study, _("withdrawn"))
    case_study.status = Status.WITHDRAWN
    case_study.withdrawn_at = timezone.now()
    case_study.withdrawn_reason = reason.strip()
    case_study.draft_submitted_at = None
    _save(case_study, by, ["status", "withdrawn_at", "withdrawn_reason", "draft_submitted_at"])
    _record(case_study, action=Action.WITHDRAWN, by=by, comment=reason.strip())
    return case_study


@transaction.atomic
def case_study_archive(
    *, case_study: CaseStudy, by, comment: str = "", expected_version: int | None = None
) -> CaseStudy:
    """Archive a draft that will not be published, or a withdrawn case study: hidden and read-only."""
    _require_publisher(by, _("archive"))
    case_study = _lock(case_study)
    _check_version(case_study, expected_version)
    if case_study.status not in (Status.DRAFT, Status.WITHDRAWN):
        raise _state_error(case_study, _("archived"))
    case_study.status = Status.ARCHIVED
    case_study.draft_submitted_at = None
    _save(case_study, by, ["status", "draft_submitted_at"])
    _record(case_study, action=Action.ARCHIVED, by=by, comment=comment.strip())
    return case_study


@transaction.atomic
def case_study_restore_revision(
    *, case_study: CaseStudy, revision: CaseStudyRevision, by, expected_version: int | None = None
) -> CaseStudy:
    """Make an old revision's content the new draft (kept as a new revision; nothing is lost).

    A live case study keeps its public version until the restored draft is published.
    """
    _require_editor(by)
    case_study = _lock(case_study)
    _check_version(case_study, expected_version)
    if revision.case_study_id != case_study.pk:
        raise ValidationError(_("That revision belongs to another case study."), code="invalid")
    new_revision = _new_revision(case_study, content=dict(revision.content), by=by)
    if case_study.status in (Status.PUBLISHED, Status.WITHDRAWN):
        case_study.draft_revision = new_revision
        case_study.draft_submitted_at = None
        _save(case_study, by, ["draft_revision", "draft_submitted_at"])
    else:
        _apply_content(case_study, new_revision.content)
        case_study.status = Status.DRAFT
        _save(case_study, by, [*_content_fields(), "status"])
    _record(
        case_study,
        action=Action.RESTORED,
        by=by,
        comment=_("Restored revision %(number)s as a new draft.") % {"number": revision.number},
        revision=new_revision,
    )
    return case_study


# ---------------------------------------------------------------- preview links


@transaction.atomic
def case_study_preview_link_create(
    *, case_study: CaseStudy, by, days: int = DEFAULT_PREVIEW_DAYS
) -> CaseStudyPreviewLink:
    """A link showing the current working revision to someone without an account, for `days` days."""
    _require_publisher(by, _("share a preview of"))
    if not 1 <= days <= MAX_PREVIEW_DAYS:
        raise ValidationError(
            {"days": _("A preview link lasts from 1 to %(max)s days.") % {"max": MAX_PREVIEW_DAYS}}
        )
    case_study = _lock(case_study)
    revision = _working_revision(case_study, by=by)
    now = timezone.now()
    link = CaseStudyPreviewLink.objects.create(
        revision=revision, created_by=by, created_at=now, expires_at=now + datetime.timedelta(days=days)
    )
    _record(
        case_study,
        action=Action.PREVIEW_LINK_CREATED,
        by=by,
        comment=_("Preview link to revision %(number)s, valid until %(expires)s.")
        % {
            "number": revision.number,
            "expires": timezone.localtime(link.expires_at).strftime("%d %B %Y %H:%M"),
        },
        revision=revision,
    )
    return link


@transaction.atomic
def case_study_preview_link_revoke(*, link: CaseStudyPreviewLink, by) -> CaseStudyPreviewLink:
    """Stop a preview link working at once."""
    _require_publisher(by, _("revoke a preview link to"))
    link = CaseStudyPreviewLink.objects.select_for_update().select_related("revision").get(pk=link.pk)
    if link.revoked_at is not None:
        raise ValidationError(_("This preview link has already been revoked."), code="invalid_transition")
    link.revoked_at = timezone.now()
    link.revoked_by = by
    link.save(update_fields=["revoked_at", "revoked_by"])
    _record(
        link.revision.case_study,
        action=Action.PREVIEW_LINK_REVOKED,
        by=by,
        comment=_("Revoked the preview link to revision %(number)s.") % {"number": link.revision.number},
        revision=link.revision,
    )
    return link


# ---------------------------------------------------------------- demo data

DEMO_USERS = {
    # username: (first name, last name, group)
    "demo-editor": ("Priya", "Shah", EDITORS_GROUP),
    "demo-editor-2": ("Tom", "Evans", EDITORS_GROUP),
    "demo-publisher": ("Grace", "Okafor", PUBLISHERS_GROUP),
}


def _demo_users() -> dict[str, User]:
    """Demo staff with no usable password: they sign nothing in, they only author demo content."""
    users = {}
    for username, (first_name, last_name, group_name) in DEMO_USERS.items():
        user, created = User.objects.get_or_create(
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


def _as_datetime(value) -> datetime.datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value
    return timezone.make_aware(datetime.datetime.combine(value, datetime.time(9, 0)))


@transaction.atomic
def case_studies_load_toml(path: Path | str) -> int:
    """Create the case studies of a TOML file that are not in the database yet; return how many.

    Each gets a realistic history (revisions and events by demo editors and a publisher) for
    its state. Existing case studies are left alone (staff may have edited them), so loading
    twice changes nothing.
    """
    with open(path, "rb") as handle:
        items = tomllib.load(handle)["case_study"]
    workstream = Workstream.objects.get(slug=REGULATORY_WORKSTREAM_SLUG)
    users = _demo_users()
    created = 0
    for item in items:
        if CaseStudy.objects.filter(slug=item["slug"]).exists():
            continue
        organisation = Organisation.objects.filter(name=item["organisation"]).first()
        if organisation is None:
            organisation = organisation_save(
                organisation=Organisation(
                    name=item["organisation"], kind=item.get("organisation_kind", "other")
                )
            )
        _demo_case_study(item, organisation=organisation, workstream=workstream, users=users)
        created += 1
    return created


def _demo_case_study(item: dict, *, organisation, workstream, users) -> CaseStudy:
    editor = users[item.get("author", "demo-editor")]
    publisher = users["demo-publisher"]
    status = item.get("status", Status.DRAFT)
    first_published_at = _as_datetime(item.get("first_published_at"))
    # The history starts a few weeks before publication (or now, for drafts).
    published_or_now = first_published_at or timezone.now()
    if first_published_at and first_published_at > timezone.now():  # scheduled
        published_or_now = timezone.now()
    started = published_or_now - datetime.timedelta(days=21)
    case_study = CaseStudy(
        slug=item["slug"],
        title=item["title"],
        summary=item["summary"].strip(),
        body=item["body"].strip(),
        organisation=organisation,
        workstream=workstream,
        status=status,
        first_published_at=first_published_at,
        last_published_at=first_published_at,
        go_live_at=_as_datetime(item.get("go_live_at")),
        withdrawn_reason=item.get("withdrawn_reason", ""),
        source_urls=item.get("sources", []),
        author=editor,
        reviewer=publisher if status != Status.DRAFT or item.get("changes_requested") else None,
        created_by=editor,
        updated_by=editor,
    )
    if status == Status.IN_REVIEW:
        case_study.reviewer = None
    if status == Status.WITHDRAWN:
        case_study.withdrawn_at = _as_datetime(item.get("withdrawn_at")) or first_published_at
    case_study.full_clean()
    case_study.save()
    case_study.sites.set(Site.objects.filter(organisation=organisation, name__in=item.get("sites", [])))
    case_study.technologies.set(Technology.objects.filter(slug__in=item.get("technologies", [])))
    case_study.topics.set(RegulatoryTopic.objects.filter(slug__in=item.get("topics", [])))

    revision = _new_revision(case_study, content=case_study.content(), by=editor, at=started)
    _record(case_study, action=Action.CREATED, by=editor, revision=revision, at=started)
    if item.get("changes_requested"):
        _record(
            case_study,
            action=Action.SUBMITTED,
            by=editor,
            revision=revision,
            at=started + datetime.timedelta(days=2),
        )
        _record(
            case_study,
            action=Action.CHANGES_REQUESTED,
            by=publisher,
            comment=item["changes_requested"],
            revision=revision,
            at=started + datetime.timedelta(days=3),
        )
    if status in (Status.IN_REVIEW, Status.PUBLISHED, Status.WITHDRAWN) or (
        status == Status.ARCHIVED and first_published_at
    ):
        _record(
            case_study,
            action=Action.SUBMITTED,
            by=editor,
            comment=item.get("submit_comment", ""),
            revision=revision,
            at=started + datetime.timedelta(days=7),
        )
    if first_published_at:
        scheduled = case_study.go_live_at is not None
        _record(
            case_study,
            action=Action.SCHEDULED if scheduled else Action.PUBLISHED,
            by=publisher,
            revision=revision,
            at=published_or_now,
        )
        case_study.live_revision = revision
    for note in item.get("change_notes", []):
        note_at = _as_datetime(note["date"])
        ChangeNote.objects.create(
            case_study=case_study, note=note["note"], published_at=note_at, created_by=publisher
        )
        _record(case_study, action=Action.PUBLISHED, by=publisher, comment=note["note"], at=note_at)
        case_study.last_published_at = max(case_study.last_published_at, note_at)
    if status == Status.WITHDRAWN:
        _record(
            case_study,
            action=Action.WITHDRAWN,
            by=publisher,
            comment=case_study.withdrawn_reason,
            at=case_study.withdrawn_at,
        )
    if status == Status.ARCHIVED:
        _record(
            case_study,
            action=Action.ARCHIVED,
            by=publisher,
            comment=item.get("archive_comment", ""),
            at=started + datetime.timedelta(days=10),
        )
    pending = item.get("pending_change")
    if pending:
        # Unpublished changes to a live case study, waiting for review: the public keeps the live text.
        content = {
            **case_study.content(),
            **{key: pending[key].strip() for key in ("title", "summary", "body") if key in pending},
        }
        draft = _new_revision(
            case_study, content=content, by=editor, at=timezone.now() - datetime.timedelta(days=2)
        )
        _record(case_study, action=Action.EDITED, by=editor, revision=draft, at=draft.created_at)
        case_study.draft_revision = draft
        if pending.get("submitted", True):
            case_study.draft_submitted_at = timezone.now() - datetime.timedelta(days=1)
            _record(
                case_study,
                action=Action.SUBMITTED,
                by=editor,
                comment=pending.get("comment", ""),
                revision=draft,
                at=case_study.draft_submitted_at,
            )
    case_study.save(
        update_fields=["live_revision", "last_published_at", "draft_revision", "draft_submitted_at"]
    )
    return case_study
