"""A case study's history: snapshots of its content (revisions), the trail of who did what, and
restoring an old revision as a new draft. Revisions are never changed or deleted.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from manufacturers.models import Site, Technology

from .access import check_version, lock, require_editor, save_new_version
from .models import CaseStudy, CaseStudyEvent, CaseStudyRevision, RegulatoryTopic

Status = CaseStudy.Status
# The fields a revision snapshots (CaseStudy.content()); the slug is fixed once published.
CONTENT_FIELDS = ("title", "summary", "body", "organisation", "workstream", "source_urls")
RELATION_FIELDS = ("sites", "technologies", "topics")


def record_event(case_study, *, action, by, comment="", revision=None, at=None) -> CaseStudyEvent:
    return CaseStudyEvent.objects.create(
        case_study=case_study,
        action=action,
        by=by,
        comment=comment,
        revision=revision,
        at=at or timezone.now(),
    )


def new_revision(case_study: CaseStudy, *, content: dict, by, at=None) -> CaseStudyRevision:
    last = case_study.revisions.order_by("-number").values_list("number", flat=True).first() or 0
    return CaseStudyRevision.objects.create(
        case_study=case_study,
        number=last + 1,
        content=content,
        created_by=by,
        created_at=at or timezone.now(),
    )


def normalise_content(data: dict) -> dict:
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


def apply_content(case_study: CaseStudy, content: dict) -> None:
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


def working_revision(case_study: CaseStudy, *, by, at=None) -> CaseStudyRevision:
    """The revision holding what editors are working on, snapshotting the row if none matches it."""
    if case_study.draft_revision_id is not None:
        return case_study.draft_revision
    content = case_study.content()
    latest = case_study.revisions.order_by("-number").first()
    if latest is not None and latest.content == content:
        return latest
    return new_revision(case_study, content=content, by=by, at=at)


@transaction.atomic
def case_study_restore_revision(
    *, case_study: CaseStudy, revision: CaseStudyRevision, by, expected_version: int | None = None
) -> CaseStudy:
    """Make an old revision's content the new draft (kept as a new revision; nothing is lost).

    A live case study keeps its public version until the restored draft is published.
    """
    require_editor(by)
    case_study = lock(case_study)
    check_version(case_study, expected_version)
    if revision.case_study_id != case_study.pk:
        raise ValidationError(_("That revision belongs to another case study."), code="invalid")
    restored = new_revision(case_study, content=dict(revision.content), by=by)
    if case_study.status in (Status.PUBLISHED, Status.WITHDRAWN):
        case_study.draft_revision = restored
        case_study.draft_submitted_at = None
        save_new_version(case_study, by, ["draft_revision", "draft_submitted_at"])
    else:
        apply_content(case_study, restored.content)
        case_study.status = Status.DRAFT
        save_new_version(case_study, by, [*CONTENT_FIELDS, "status"])
    record_event(
        case_study,
        action=CaseStudyEvent.Action.RESTORED,
        by=by,
        comment=_("Restored revision %(number)s as a new draft.") % {"number": revision.number},
        revision=restored,
    )
    return case_study
