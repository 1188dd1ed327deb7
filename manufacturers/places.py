"""What a person means by "near": coordinates, a UK town or city, or a postcode, as one point.

`near=` takes any of these on the directory, the map and the API:

- `51.9038,-0.1966`: latitude and longitude;
- `SG1` or `SG1 2NY`: an outward postcode (a full postcode is placed at its outward code's
  centre; Great Britain only, as the shipped postcode data has no BT postcodes);
- `Stevenage`, `Newport, Wales`: a town or city of 500 people or more, optionally with its
  region or country when the name alone is ambiguous.

Everything is answered from tables the migrations fill (`Place`, `OutwardPostcode`), so it works
with no network. A deployment with a postcode service can plug one in with the POSTCODE_LOOKUP
setting: a dotted path to a function taking a postcode and returning (latitude, longitude) or None,
asked before the shipped outward codes.
"""

import re
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from .models import OutwardPostcode, Place, place_search_key

COORDINATES = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$")
POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)(?:\s*([0-9][A-Z]{2}))?$")
COUNTRIES = {"england": "ENG", "scotland": "SCT", "wales": "WLS", "northern ireland": "NIR"}
SUGGESTIONS = 8


class NearPoint(NamedTuple):
    """A resolved `near=`: where, and how to name it on a page ("Stevenage, East of England")."""

    latitude: float
    longitude: float
    label: str


def resolve(text: str) -> NearPoint:
    """The point `text` names, or ValidationError saying why not (unknown, ambiguous, out of range)."""
    text = " ".join(text.split())
    coordinates = COORDINATES.match(text)
    if coordinates:
        return _coordinates(float(coordinates.group(1)), float(coordinates.group(2)))
    postcode = POSTCODE.match(text.upper())
    if postcode:
        return _postcode(postcode.group(1), postcode.group(2))
    return _place(text)


def _coordinates(latitude: float, longitude: float) -> NearPoint:
    if not -90 <= latitude <= 90:
        raise ValidationError(_("Latitude must be between -90 and 90."), code="out_of_range")
    if not -180 <= longitude <= 180:
        raise ValidationError(_("Longitude must be between -180 and 180."), code="out_of_range")
    return NearPoint(latitude, longitude, f"{latitude:.4f}, {longitude:.4f}")


def _postcode(outward: str, inward: str | None) -> NearPoint:
    full = f"{outward} {inward}" if inward else outward
    lookup = getattr(settings, "POSTCODE_LOOKUP", "")
    if lookup:
        found = import_string(lookup)(full)
        if found:
            return NearPoint(found[0], found[1], full)
    district = OutwardPostcode.objects.filter(code=outward).first()
    if district is not None:
        return NearPoint(district.latitude, district.longitude, full)
    if outward.startswith("BT"):
        raise ValidationError(
            _(
                "Northern Ireland postcodes (BT) are not in the portal's postcode data; "
                "give a town, such as Belfast, or coordinates instead."
            ),
            code="unknown_postcode",
        )
    raise ValidationError(
        _("%(postcode)s is not a UK postcode the portal knows."),
        code="unknown_postcode",
        params={"postcode": full},
    )


def _place(text: str) -> NearPoint:
    name, _comma, qualifier = text.partition(",")
    candidates = _distinct_by_region(Place.objects.named(name).select_related("region").largest_first())
    if qualifier.strip():
        wanted = place_search_key(qualifier)
        candidates = [
            place
            for place in candidates
            if wanted in (place_search_key(place.region.name), place_search_key(_country_name(place.country)))
        ]
    # The text goes in as a parameter, never into the message itself: forms and DRF interpolate
    # messages later, and a "%" someone typed must stay a character.
    if not candidates:
        raise ValidationError(
            _(
                "%(place)s is not a UK town, city or postcode the portal knows. Give a town of 500 "
                "people or more, an outward postcode such as SG1, or latitude,longitude."
            ),
            code="unknown_place",
            params={"place": text},
        )
    if len(candidates) > 1:
        labels = [str(place) for place in candidates]
        raise ValidationError(
            _("There is more than one %(place)s: give one of %(choices)s."),
            code="ambiguous_place",
            params={"place": name.strip(), "choices": "; ".join(labels), "options": labels},
        )
    place = candidates[0]
    return NearPoint(place.latitude, place.longitude, str(place))


def _distinct_by_region(places) -> list[Place]:
    # Two places of one name in one region (the city of Newport and a village in Pembrokeshire):
    # "Newport, Wales" must still mean one, so only the larger is offered.
    chosen: dict[int, Place] = {}
    for place in places:
        chosen.setdefault(place.region_id, place)
    return list(chosen.values())


def _country_name(code: str) -> str:
    return next((name for name, value in COUNTRIES.items() if value == code), "")


def suggestions(text: str, *, limit: int = SUGGESTIONS) -> list[dict]:
    """Places and outward postcodes starting with `text`, biggest first, each labelled so it resolves."""
    text = " ".join(text.split())
    if len(text) < 2:
        return []
    if POSTCODE.match(text.upper()) or re.match(r"^[A-Z]{1,2}[0-9]", text.upper()):
        codes = OutwardPostcode.objects.filter(code__startswith=text.upper().split()[0]).select_related(
            "region"
        )
        found = [{"label": f"{code.code} ({code.region.name})", "value": code.code} for code in codes[:limit]]
        if found:
            return found
    results, seen = [], set()
    for place in Place.objects.starting_with(text).select_related("region").largest_first()[: limit * 3]:
        label = str(place)
        if label not in seen:
            seen.add(label)
            results.append({"label": label, "value": label})
        if len(results) == limit:
            break
    return results
