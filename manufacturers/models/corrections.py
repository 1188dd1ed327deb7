"""Corrections: the public's reports that a site or organisation page is wrong, and their review."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel, staff_user_field

from .organisations import Organisation
from .sites import Site


class CorrectionStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting review")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")


class CorrectionQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(status=CorrectionStatus.PENDING)

    def for_moderation(self):
        return self.select_related("site__organisation", "organisation", "reviewed_by")


class Correction(TimeStampedModel):
    """A member of the public's report that a site or organisation page is wrong.

    Never applied by itself: staff review it, then accept it (applying the change through the
    normal save service, with this correction as the history's reason) or reject it.
    """

    Status = CorrectionStatus

    # Exactly one of site and organisation (see the constraint).
    site = models.ForeignKey(
        Site,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="corrections",
        verbose_name=_("site"),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="corrections",
        verbose_name=_("organisation"),
    )
    message = models.TextField(_("what is wrong"), max_length=4000)
    # Personal data: kept only CORRECTION_EMAIL_RETENTION_DAYS (the privacy note on the form),
    # then erased by `manage.py purge_corrections`.
    email = models.EmailField(_("email"), blank=True)
    email_purged_at = models.DateTimeField(_("email erased at"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)
    changed_fields = models.JSONField(_("fields changed"), default=list, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = staff_user_field(_("reviewed by"))

    objects = CorrectionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("correction")
        verbose_name_plural = _("corrections")
        constraints = [
            models.CheckConstraint(
                condition=Q(site__isnull=False, organisation__isnull=True)
                | Q(site__isnull=True, organisation__isnull=False),
                name="correction_exactly_one_target",
                violation_error_message=_("A correction is about one site or one organisation."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=[choice.value for choice in CorrectionStatus]),
                name="correction_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(rejection_reason=""),
                name="correction_rejected_has_reason",
                violation_error_message=_("Give a reason for rejecting the correction."),
            ),
        ]

    def __str__(self):
        return _("Correction #%(pk)s to %(target)s") % {"pk": self.pk, "target": self.target}

    @property
    def target(self):
        return self.site if self.site_id else self.organisation
