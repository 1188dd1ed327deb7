"""The MHRA licences held for each site."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import TimeStampedModel

from .reference import LicenceType
from .sites import Site


class LicenceBasis(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed: named in a source")
    INFERRED = "inferred", _("Inferred: the activity described requires it")


class Licence(TimeStampedModel):
    """A licence of one type held for one site, with how we know of it."""

    Basis = LicenceBasis

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="licences", verbose_name=_("site"))
    licence_type = models.ForeignKey(
        LicenceType,
        on_delete=models.PROTECT,
        related_name="licences",
        verbose_name=_("licence type"),
    )
    reference = models.CharField(
        _("licence number"),
        max_length=50,
        blank=True,
        help_text=_("The MHRA licence number, where known."),
    )
    basis = models.CharField(_("basis"), max_length=10, choices=Basis.choices, default=Basis.INFERRED)
    source_url = models.URLField(_("source"), max_length=500, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["licence_type__name"]
        verbose_name = _("licence")
        verbose_name_plural = _("licences")
        constraints = [
            models.UniqueConstraint(
                fields=["site", "licence_type"],
                name="licence_one_per_type_per_site",
                violation_error_message=_("This site already holds a licence of this type."),
            ),
            models.CheckConstraint(
                condition=Q(basis__in=[choice.value for choice in LicenceBasis]),
                name="licence_basis_valid",
            ),
        ]

    def __str__(self):
        return f"{self.licence_type} ({self.get_basis_display()})"

    @property
    def is_confirmed(self):
        return self.basis == self.Basis.CONFIRMED
