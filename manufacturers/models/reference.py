"""The vocabularies that describe sites: regions, capabilities, technologies and licence types."""

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.models import ReferenceModel, TimeStampedModel


class Region(TimeStampedModel):
    """One of the 12 ITL1 regions of the UK, with the boundary the map shades."""

    code = models.CharField(_("ITL1 code"), max_length=3, unique=True)
    nuts_code = models.CharField(_("NUTS 2018 code"), max_length=3, blank=True)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    centroid_latitude = models.FloatField(_("centroid latitude"))
    centroid_longitude = models.FloatField(_("centroid longitude"))
    # A rough frame for the map, not an official extent.
    min_latitude = models.FloatField(_("south"))
    min_longitude = models.FloatField(_("west"))
    max_latitude = models.FloatField(_("north"))
    max_longitude = models.FloatField(_("east"))
    # RFC 7946 MultiPolygon geometry (WGS84 lon/lat); ONS boundaries, simplified.
    boundary = models.JSONField(_("boundary (GeoJSON geometry)"))

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        constraints = [
            models.CheckConstraint(
                condition=Q(min_latitude__lte=F("max_latitude")) & Q(min_longitude__lte=F("max_longitude")),
                name="region_bbox_ordered",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("manufacturers:site-list") + f"?region={self.slug}"


class TaxonomyModel(ReferenceModel):
    """A term that describes what a site does, with the other words people search it by."""

    # Abbreviations, other spellings and common names ("mAbs", "fill finish", "lyophilization"):
    # site search matches them as it matches the name (migration 0007 keeps it current).
    synonyms = ArrayField(
        models.CharField(max_length=100),
        blank=True,
        default=list,
        verbose_name=_("synonyms"),
        help_text=_(
            "Other words people search for this by: abbreviations, US spellings, common names. "
            "One per line in the admin."
        ),
    )

    class Meta(ReferenceModel.Meta):
        abstract = True


class Capability(TaxonomyModel):
    """What a site can do, such as sterile fill-finish or small-molecule API manufacture."""

    class Meta(ReferenceModel.Meta):
        verbose_name = _("capability")
        verbose_name_plural = _("capabilities")


class Technology(TaxonomyModel):
    """A manufacturing technology or modality, such as continuous manufacturing or viral vectors."""

    class Meta(ReferenceModel.Meta):
        verbose_name = _("technology")
        verbose_name_plural = _("technologies")


class LicenceType(TaxonomyModel):
    """A kind of MHRA manufacturing licence or authorisation, such as the MIA or the specials licence."""

    source_urls = ArrayField(models.URLField(max_length=500), blank=True, default=list)

    class Meta(ReferenceModel.Meta):
        verbose_name = _("licence type")
        verbose_name_plural = _("licence types")
