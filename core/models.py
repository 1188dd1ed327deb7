"""Abstract bases and field helpers shared by the portal's apps, and the changes feed's one table."""

from django.conf import settings
from django.db import models
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _


def staff_user_field(verbose_name, **options) -> models.ForeignKey:
    """A nullable link to the staff user who did something: SET_NULL, so erasing an account keeps the record."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=verbose_name,
        **options,
    )


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, editable=False, db_index=True)

    class Meta:
        abstract = True


class StaffEditedModel(TimeStampedModel):
    """A row staff edit: when, and by whom, it was created and last changed."""

    created_by = staff_user_field(_("created by"), editable=False)
    updated_by = staff_user_field(_("updated by"), editable=False)

    class Meta:
        abstract = True


class ReferenceQuerySet(models.QuerySet):
    def active(self):
        """Terms staff may still choose: retired ones stay only so old records resolve."""
        return self.filter(is_active=True)

    def with_site_count(self):
        """Each term annotated with `site_count`, the number of sites described by it."""
        return self.annotate(site_count=Count("sites", distinct=True))

    def in_use(self):
        """Active terms, and retired ones that some site still carries (annotates `site_count`)."""
        return self.with_site_count().filter(Q(is_active=True) | Q(site_count__gt=0))


class ReferenceModel(TimeStampedModel):
    """A row of a controlled vocabulary: addressed by slug, retired rather than deleted."""

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    # Retire a term instead of deleting it, so old records and API consumers keep resolving it.
    is_active = models.BooleanField(_("active"), default=True)

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self):
        return self.name


class KeyTier(models.TextChoices):
    STANDARD = "standard", _("Standard: a partner's scripts and GIS")
    BULK = "bulk", _("Bulk: nightly syncs and large mirrors")


class KeyQuota(models.Model):
    """A partner key's quota tier (core.api.quotas); a key without one is `standard`.

    The limits of each tier are in settings.API_QUOTAS, so they change with a deploy; which tier
    a key has changes in the admin, and applies from the key's next request.
    """

    Tier = KeyTier

    api_key = models.OneToOneField(
        "rest_framework_api_key.APIKey",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="quota",
        verbose_name=_("API key"),
    )
    tier = models.CharField(_("tier"), max_length=20, choices=KeyTier.choices, default=KeyTier.STANDARD)

    class Meta:
        verbose_name = _("quota")
        verbose_name_plural = _("quota")
        constraints = [
            models.CheckConstraint(
                condition=Q(tier__in=[choice.value for choice in KeyTier]), name="keyquota_tier_valid"
            )
        ]

    def __str__(self):
        return self.get_tier_display()


from .changes import Change  # noqa: E402  (the changes feed's table, defined beside its services)

__all__ = [
    "Change",
    "KeyQuota",
    "KeyTier",
    "ReferenceModel",
    "ReferenceQuerySet",
    "StaffEditedModel",
    "TimeStampedModel",
    "staff_user_field",
]
