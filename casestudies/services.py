"""Writes to case studies: editing and the editorial workflow, with revisions and preview links.

Every transition runs in a transaction, locks the case study row, checks the user's role and the
state, and records who did it, when and why as a CaseStudyEvent. Illegal transitions and refused
roles raise ValidationError with a message the admin shows to the user.

The seams live in their own modules (roles and locking in `access`, snapshots, the event trail
and restore in `revisions`, shareable links in `preview_links`); this module is where callers
find every service and the names they use.

Editing and the transitions take `at=`, when it happened (by default now), so that a history
with past dates, such as the demo's, is written through the same rules as today's work.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .access import (
    ADD_PERMISSION,
    EDIT_PERMISSION,
    EDITORS_GROUP,
    PUBLISH_PERMISSION,
    PUBLISHERS_GROUP,
    check_version,
    lock,
    require_author,
    require_editor,
    require_publisher,
    save_new_version,
    user_can_edit,
    user_can_publish,
)
from .models import CaseStudy, CaseStudyEvent, ChangeNote
from .preview_links import (
    DEFAULT_PREVIEW_DAYS,
    MAX_PREVIEW_DAYS,
    case_study_preview_link_create,
    case_study_preview_link_revoke,
)
from .revisions import (
    CONTENT_FIELDS,
    RELATION_FIELDS,
    apply_content,
    case_study_restore_revision,
    new_revision,
    normalise_content,
    record_event,
    working_revision,
)

__all__ = [
    "ADD_PERMISSION",
    "ARCHIVE",
    "CONTENT_FIELDS",
    "DEFAULT_PREVIEW_DAYS",
    "EDITORS_GROUP",
    "EDIT_PERMISSION",
    "MAX_PREVIEW_DAYS",
    "PUBLISH",
    "PUBLISHERS_GROUP",
    "PUBLISH_PERMISSION",
    "RELATION_FIELDS",
    "REQUEST_CHANGES",
    "RESERVED_SLUGS",
    "SUBMIT",
    "UNPUBLISH",
    "WITHDRAW",
    "case_study_allowed_transitions",
    "case_study_archive",
    "case_study_create",
    "case_study_preview_link_create",
    "case_study_preview_link_revoke",
    "case_study_publish",
    "case_study_request_changes",
    "case_study_restore_revision",
    "case_study_save_draft",
    "case_study_submit_for_review",
    "case_study_unpublish",
    "case_study_withdraw",
    "check_slug",
    "user_can_edit",
    "user_can_publish",
]

Status = CaseStudy.Status
Action = CaseStudyEvent.Action

# Addresses under /case-studies/ that belong to other pages, so no case study may take them.
RESERVED_SLUGS = frozenset({"feed", "preview"})

# The names of the workflow transitions, as the admin's buttons and URLs use them.
SUBMIT = "submit"
REQUEST_CHANGES = "request_changes"
PUBLISH = "publish"
UNPUBLISH = "unpublish"
WITHDRAW = "withdraw"
ARCHIVE = "archive"


def check_slug(slug: str) -> None:
    if slug in RESERVED_SLUGS:
        raise ValidationError(
            {
                "slug": _("“%(slug)s” is used by another page of the portal: choose another slug.")
                % {"slug": slug}
            }
        )


def _state_error(case_study: CaseStudy, what: str) -> ValidationError:
    return ValidationError(
        _("This case study cannot be %(what)s: it is %(state)s.")
        % {"what": what, "state": str(case_study.state_label).lower()},
        code="invalid_transition",
    )


# ---------------------------------------------------------------- what a user may do


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
def case_study_create(*, data: dict, by, at: datetime.datetime | None = None) -> CaseStudy:
    """Create a draft case study written by `by`, with its first revision."""
    require_author(by)
    check_slug(data["slug"])
    content = normalise_content(data)
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
    apply_content(case_study, content)
    revision = new_revision(case_study, content=content, by=by, at=at)
    record_event(case_study, action=Action.CREATED, by=by, revision=revision, at=at)
    return case_study


@transaction.atomic
def case_study_save_draft(
    *,
    case_study: CaseStudy,
    data: dict,
    by,
    expected_version: int | None,
    at: datetime.datetime | None = None,
) -> CaseStudy:
    """Save an editor's changes as a new revision without changing what the public sees.

    Before first publication the row is the working copy and is updated. Once published (or
    withdrawn) the row stays as the public version and the changes become `draft_revision`.
    A save started from an older version is refused (optimistic locking) and changes nothing.
    """
    require_editor(by)
    case_study = lock(case_study)
    check_version(case_study, expected_version)
    if case_study.status == Status.ARCHIVED:
        raise ValidationError(
            _("An archived case study cannot be edited. Restore a revision to make it a draft again."),
            code="invalid_transition",
        )
    content = normalise_content(data)
    if content == case_study.working_content() and data.get("slug", case_study.slug) == case_study.slug:
        return case_study  # Nothing changed: no revision, no new version.
    revision = new_revision(case_study, content=content, by=by, at=at)
    if case_study.status in (Status.PUBLISHED, Status.WITHDRAWN):
        case_study.draft_revision = revision
        save_new_version(case_study, by, ["draft_revision"])
    else:
        # Never public yet, so the row is the working copy; the slug may still change.
        if data.get("slug"):
            check_slug(data["slug"])
            case_study.slug = data["slug"]
        apply_content(case_study, content)
        save_new_version(case_study, by, [*CONTENT_FIELDS, "slug"])
    record_event(case_study, action=Action.EDITED, by=by, revision=revision, at=at)
    return case_study


# ---------------------------------------------------------------- workflow


@transaction.atomic
def case_study_submit_for_review(
    *,
    case_study: CaseStudy,
    by,
    comment: str = "",
    expected_version: int | None = None,
    at: datetime.datetime | None = None,
) -> CaseStudy:
    """Ask a publisher to review the draft (a first version, or changes to a live case study)."""
    require_editor(by)
    case_study = lock(case_study)
    check_version(case_study, expected_version)
    if case_study.editorial_state != Status.DRAFT:
        raise _state_error(case_study, _("submitted for review"))
    revision = working_revision(case_study, by=by, at=at)
    if case_study.draft_revision_id is not None:
        case_study.draft_submitted_at = at or timezone.now()
        save_new_version(case_study, by, ["draft_submitted_at"])
    else:
        case_study.status = Status.IN_REVIEW
        save_new_version(case_study, by, ["status"])
    record_event(case_study, action=Action.SUBMITTED, by=by, comment=comment, revision=revision, at=at)
    return case_study


@transaction.atomic
def case_study_request_changes(
    *,
    case_study: CaseStudy,
    by,
    comment: str,
    expected_version: int | None = None,
    at: datetime.datetime | None = None,
) -> CaseStudy:
    """Send a case study in review back to its editors, saying what must change."""
    require_publisher(by, _("request changes to"))
    if not (comment or "").strip():
        raise ValidationError({"comment": _("Say what needs to change.")}, code="required")
    case_study = lock(case_study)
    check_version(case_study, expected_version)
    if case_study.editorial_state != Status.IN_REVIEW:
        raise _state_error(case_study, _("sent back for changes"))
    case_study.reviewer = by
    if case_study.draft_revision_id is not None:
        case_study.draft_submitted_at = None
        save_new_version(case_study, by, ["draft_submitted_at", "reviewer"])
    else:
        case_study.status = Status.DRAFT
        save_new_version(case_study, by, ["status", "reviewer"])
    record_event(
        case_study,
        action=Action.CHANGES_REQUESTED,
        by=by,
        comment=comment.strip(),
        revision=working_revision(case_study, by=by, at=at),
        at=at,
    )
    return case_study


# What publishing changes on the row, besides the content of the published revision.
_PUBLISHED_FIELDS = [
    *CONTENT_FIELDS,
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
]


def _check_publishable(
    case_study: CaseStudy, *, go_live_at: datetime.datetime | None, change_note: str, now: datetime.datetime
) -> bool:
    """Refuse a publication the workflow does not allow; return whether the public has seen the case study."""
    republishing_withdrawn = case_study.status == Status.WITHDRAWN and case_study.draft_revision_id is None
    if case_study.editorial_state != Status.IN_REVIEW and not republishing_withdrawn:
        if case_study.editorial_state == Status.DRAFT:
            raise ValidationError(
                _("Only a case study in review can be published. Submit it for review first."),
                code="invalid_transition",
            )
        raise _state_error(case_study, _("published"))
    # "Has the public seen it?": a scheduled case study whose time has not come has not been seen.
    was_public = case_study.first_published_at is not None and not case_study.is_scheduled
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
    return was_public


@transaction.atomic
def case_study_publish(
    *,
    case_study: CaseStudy,
    by,
    go_live_at: datetime.datetime | None = None,
    change_note: str = "",
    comment: str = "",
    expected_version: int | None = None,
    at: datetime.datetime | None = None,
) -> CaseStudy:
    """Publish the reviewed version now, or schedule it for `go_live_at`.

    A republished case study keeps its first published date, gets a new last-updated date and,
    if given, a public change note. Only a case study that has never been public can be scheduled.
    """
    require_publisher(by, _("publish"))
    case_study = lock(case_study)
    check_version(case_study, expected_version)
    now = at or timezone.now()
    change_note = (change_note or "").strip()
    was_public = _check_publishable(case_study, go_live_at=go_live_at, change_note=change_note, now=now)
    if case_study.draft_revision_id is not None:
        revision = case_study.draft_revision
        apply_content(case_study, revision.content)
    else:
        revision = working_revision(case_study, by=by, at=at)
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
    save_new_version(case_study, by, _PUBLISHED_FIELDS)
    if change_note:
        ChangeNote.objects.create(case_study=case_study, note=change_note, published_at=now, created_by=by)
    action = Action.SCHEDULED if go_live_at else Action.PUBLISHED
    comment = "\n".join(part for part in [comment.strip(), change_note] if part)
    record_event(case_study, action=action, by=by, comment=comment, revision=revision, at=at)
    return case_study


@transaction.atomic
def case_study_unpublish(
    *,
    case_study: CaseStudy,
    by,
    comment: str = "",
    expected_version: int | None = None,
    at: datetime.datetime | None = None,
) -> CaseStudy:
    """Take a published (or scheduled) case study off the public site and make it a draft again."""
    require_publisher(by, _("unpublish"))
    case_study = lock(case_study)
    check_version(case_study, expected_version)
    if case_study.status != Status.PUBLISHED:
        raise _state_error(case_study, _("unpublished"))
    if case_study.is_scheduled:
        # It never went live: it has no publication dates to keep.
        case_study.first_published_at = None
        case_study.last_published_at = None
    if case_study.draft_revision_id is not None:
        # No longer public, so the row becomes the working copy again.
        apply_content(case_study, case_study.draft_revision.content)
    case_study.status = Status.DRAFT
    case_study.go_live_at = None
    case_study.live_revision = None
    case_study.draft_revision = None
    case_study.draft_submitted_at = None
    save_new_version(
        case_study,
        by,
        [
            *CONTENT_FIELDS,
            "status",
            "go_live_at",
            "first_published_at",
            "last_published_at",
            "live_revision",
            "draft_revision",
            "draft_submitted_at",
        ],
    )
    record_event(case_study, action=Action.UNPUBLISHED, by=by, comment=comment.strip(), at=at)
    return case_study


@transaction.atomic
def case_study_withdraw(
    *,
    case_study: CaseStudy,
    by,
    reason: str,
    expected_version: int | None = None,
    at: datetime.datetime | None = None,
) -> CaseStudy:
    """Withdraw a live case study: its page stays, with the public reason, but it leaves lists and feeds."""
    require_publisher(by, _("withdraw"))
    if not (reason or "").strip():
        raise ValidationError(
            {"withdrawn_reason": _("Give the public a reason for the withdrawal.")}, code="required"
        )
    case_study = lock(case_study)
    check_version(case_study, expected_version)
    if not case_study.is_live:
        raise _state_error(case_study, _("withdrawn"))
    case_study.status = Status.WITHDRAWN
    case_study.withdrawn_at = at or timezone.now()
    case_study.withdrawn_reason = reason.strip()
    case_study.draft_submitted_at = None
    save_new_version(case_study, by, ["status", "withdrawn_at", "withdrawn_reason", "draft_submitted_at"])
    record_event(case_study, action=Action.WITHDRAWN, by=by, comment=reason.strip(), at=at)
    return case_study


@transaction.atomic
def case_study_archive(
    *,
    case_study: CaseStudy,
    by,
    comment: str = "",
    expected_version: int | None = None,
    at: datetime.datetime | None = None,
) -> CaseStudy:
    """Archive a draft that will not be published, or a withdrawn case study: hidden and read-only."""
    require_publisher(by, _("archive"))
    case_study = lock(case_study)
    check_version(case_study, expected_version)
    if case_study.status not in (Status.DRAFT, Status.WITHDRAWN):
        raise _state_error(case_study, _("archived"))
    case_study.status = Status.ARCHIVED
    case_study.draft_submitted_at = None
    save_new_version(case_study, by, ["status", "draft_submitted_at"])
    record_event(case_study, action=Action.ARCHIVED, by=by, comment=comment.strip(), at=at)
    return case_study
