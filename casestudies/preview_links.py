"""Shareable preview links: one revision shown to someone without an account, until the link
expires or a publisher revokes it.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .access import lock, require_publisher
from .models import CaseStudy, CaseStudyEvent, CaseStudyPreviewLink
from .revisions import record_event, working_revision

Action = CaseStudyEvent.Action
DEFAULT_PREVIEW_DAYS = 7
MAX_PREVIEW_DAYS = 30


@transaction.atomic
def case_study_preview_link_create(
    *, case_study: CaseStudy, by, days: int = DEFAULT_PREVIEW_DAYS
) -> CaseStudyPreviewLink:
    """A link showing the current working revision to someone without an account, for `days` days."""
    require_publisher(by, _("share a preview of"))
    if not 1 <= days <= MAX_PREVIEW_DAYS:
        raise ValidationError(
            {"days": _("A preview link lasts from 1 to %(max)s days.") % {"max": MAX_PREVIEW_DAYS}}
        )
    case_study = lock(case_study)
    revision = working_revision(case_study, by=by)
    now = timezone.now()
    link = CaseStudyPreviewLink.objects.create(
        revision=revision, created_by=by, created_at=now, expires_at=now + datetime.timedelta(days=days)
    )
    record_event(
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
    require_publisher(by, _("revoke a preview link to"))
    link = CaseStudyPreviewLink.objects.select_for_update().select_related("revision").get(pk=link.pk)
    if link.revoked_at is not None:
        raise ValidationError(_("This preview link has already been revoked."), code="invalid_transition")
    link.revoked_at = timezone.now()
    link.revoked_by = by
    link.save(update_fields=["revoked_at", "revoked_by"])
    record_event(
        link.revision.case_study,
        action=Action.PREVIEW_LINK_REVOKED,
        by=by,
        comment=_("Revoked the preview link to revision %(number)s.") % {"number": link.revision.number},
        revision=link.revision,
    )
    return link
