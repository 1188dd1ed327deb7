"""Who may change a case study, and how two staff changing one at once are kept apart.

A write locks the row for its transaction and checks the version the user started from, so a
change made on top of someone else's is refused with a message rather than silently lost.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import CaseStudy

EDITORS_GROUP = "Editors"
PUBLISHERS_GROUP = "Publishers"
ADD_PERMISSION = "casestudies.add_casestudy"
EDIT_PERMISSION = "casestudies.change_casestudy"
PUBLISH_PERMISSION = "casestudies.publish_casestudy"


def user_can_add(user) -> bool:
    return user.is_active and user.has_perm(ADD_PERMISSION)


def user_can_edit(user) -> bool:
    return user.is_active and user.has_perm(EDIT_PERMISSION)


def user_can_publish(user) -> bool:
    return user.is_active and user.has_perm(PUBLISH_PERMISSION)


def require_author(user) -> None:
    if not user_can_add(user):
        raise ValidationError(_("You do not have permission to add case studies."), code="permission")


def require_editor(user) -> None:
    if not user_can_edit(user):
        raise ValidationError(_("You do not have permission to edit case studies."), code="permission")


def require_publisher(user, what: str) -> None:
    if not user_can_publish(user):
        raise ValidationError(
            _("Only a publisher can %(what)s a case study.") % {"what": what}, code="permission"
        )


def lock(case_study: CaseStudy) -> CaseStudy:
    """The case study re-read and locked for the rest of the transaction, so two staff acting at once are serialised."""
    return CaseStudy.objects.select_for_update().get(pk=case_study.pk)


def check_version(case_study: CaseStudy, expected_version: int | None) -> None:
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


def save_new_version(case_study: CaseStudy, by, fields: list[str]) -> None:
    """Validate and save the changed `fields` as the next version, changed by `by`."""
    case_study.updated_by = by
    case_study.version += 1
    case_study.full_clean()
    case_study.save(update_fields=[*fields, "version", "updated_by", "updated_at"])
