"""Abstract bases shared by the portal's apps (not an app itself: it defines no tables)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, editable=False, db_index=True)

    class Meta:
        abstract = True


class ReferenceModel(TimeStampedModel):
    """A row of a controlled vocabulary: addressed by slug, retired rather than deleted."""

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    # Retire a term instead of deleting it, so old records and API consumers keep resolving it.
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self):
        return self.name
