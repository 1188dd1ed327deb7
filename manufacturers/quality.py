"""Data-quality checks on organisations and sites, shared by saves, imports and `check_data`.

Two levels, so a check either protects the data or only informs staff:

- **Errors** block a save or an import: coordinates outside the UK, coordinates that fall in a
  region other than the one given, a malformed postcode. A site in the wrong place misleads
  every map, filter and regional count, and the fix is always known to whoever holds the data.
- **Warnings** are reported (admin messages, import preview, `check_data`) but never block:
  likely duplicates (same organisation and postcode, or two sites within 50 m), organisations
  without sites, case studies linking to closed sites. Each has legitimate cases (two buildings
  on one campus, an organisation whose site is still being added, a case study about a site
  that has since closed) that only a person can tell apart.

Boundaries are the simplified ONS ones stored in `Region.boundary`; they follow mean high
water, so a site on an estuary or quay can sit just outside every polygon. A point within
`REGION_TOLERANCE_KM` of a region's boundary counts as inside it. Geometry is shapely's, with
distances measured on the British National Grid (`core.geometry`): no PostGIS.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from django.db.models import Q
from django.utils.translation import gettext as _

from core.geometry import KM_PER_DEGREE_LATITUDE, Boundary, haversine_km

from .models import UK_POSTCODE_PATTERN, uk_postcode_validator

REGION_TOLERANCE_KM = 2.0
DUPLICATE_DISTANCE_M = 50.0
# The duplicate checks look for neighbours in a grid of cells this many degrees of latitude tall
# (and twice as wide, so cells are roughly square at UK latitudes): about 110 m, so two sites
# within DUPLICATE_DISTANCE_M are always in the same or adjacent cells.
DUPLICATE_CELL_DEGREES = 0.001

ERROR = "error"
WARNING = "warning"

_postcode_re = re.compile(UK_POSTCODE_PATTERN)


@dataclass(frozen=True)
class Finding:
    """One problem found by a check: how serious, which check, about what, and why."""

    level: str  # ERROR or WARNING
    check: str  # a stable code, such as "region_mismatch"
    subject: str  # what the finding is about, as staff would name it
    message: str
    field: str = ""  # the model field (or spreadsheet column) to fix, where there is one
    admin_url: str = ""  # where staff fix it

    def __str__(self):
        return f"{self.level.capitalize()} [{self.check}] {self.subject}: {self.message}"


# --- Where a site is ------------------------------------------------------------------------


class RegionShapes:
    """Every region's boundary, prepared once per check run (an import, a save, `check_data`)."""

    def __init__(self, regions: Iterable):
        self.regions = list(regions)
        self.shapes = {region.pk: Boundary(region.boundary) for region in self.regions}
        self._locate = lru_cache(maxsize=20_000)(self._locate_uncached)

    @classmethod
    def load(cls) -> RegionShapes:
        from .models import Region

        return cls(Region.objects.all())

    def _locate_uncached(self, region_pk, latitude: float, longitude: float):
        """(ok, region the point is actually in or near, or None when outside the UK)."""
        shape = self.shapes.get(region_pk)
        if shape is not None and shape.within_km(latitude, longitude, REGION_TOLERANCE_KM):
            return True, None
        containing = [
            region for region in self.regions if self.shapes[region.pk].contains(latitude, longitude)
        ]
        if containing:
            return False, containing[0]
        for region in self.regions:
            if self.shapes[region.pk].within_km(latitude, longitude, REGION_TOLERANCE_KM):
                return False, region
        return False, None

    def location_errors(self, *, latitude, longitude, region) -> dict[str, str]:
        """Errors keyed by field for a site's coordinates and region; empty when they agree."""
        if latitude is None or longitude is None or region is None:
            return {}
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            return {}  # the field validators report the range
        ok, actual = self._locate(region.pk, round(latitude, 6), round(longitude, 6))
        if ok:
            return {}
        if actual is None:
            return {
                "latitude": _("The coordinates %(lat)s, %(lon)s are outside the UK.")
                % {"lat": latitude, "lon": longitude}
            }
        return {
            "region": _("The coordinates %(lat)s, %(lon)s are in %(actual)s, not %(region)s.")
            % {"lat": latitude, "lon": longitude, "actual": actual.name, "region": region.name}
        }


def postcode_error(postcode: str) -> str | None:
    if postcode and not _postcode_re.match(postcode):
        return str(uk_postcode_validator.message)
    return None


# --- Duplicates -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SitePoint:
    """What the duplicate checks need to know of a site, whether saved or a row in a file."""

    key: object  # a site pk, or a row number in a file
    label: str
    organisation_key: str  # case-insensitive organisation name
    postcode: str
    latitude: float
    longitude: float
    precise: bool  # the coordinates are the site's own, not its town's centre


def likely_duplicates(points: Iterable[SitePoint]) -> list[tuple[SitePoint, SitePoint, str]]:
    """Pairs that are probably the same site, with the reason.

    Same organisation and postcode; or within 50 m of each other when the two belong to one
    organisation or at least one is placed precisely. Two organisations' sites placed at the
    same town centre are not flagged: the shared point says nothing about the sites.
    """
    points = list(points)
    pairs: dict[tuple, tuple[SitePoint, SitePoint, str]] = {}
    by_postcode: dict[tuple[str, str], list[SitePoint]] = defaultdict(list)
    for point in points:
        if point.postcode:
            by_postcode[(point.organisation_key, point.postcode.replace(" ", ""))].append(point)
    for group in by_postcode.values():
        for i, first in enumerate(group):
            for second in group[i + 1 :]:
                pairs[_pair_key(first, second)] = (first, second, _("same organisation and postcode"))

    grid: dict[tuple[int, int], list[SitePoint]] = defaultdict(list)
    for point in points:
        grid[duplicate_cell(point.latitude, point.longitude)].append(point)
    for (row, column), members in grid.items():
        neighbours = [
            other
            for d_row in (-1, 0, 1)
            for d_col in (-1, 0, 1)
            for other in grid.get((row + d_row, column + d_col), ())
        ]
        for first in members:
            for second in neighbours:
                if _pair_key(first, second) in pairs or first is second or id(first) > id(second):
                    continue
                if not (first.precise or second.precise or first.organisation_key == second.organisation_key):
                    continue
                distance = 1000 * haversine_km(
                    first.latitude, first.longitude, second.latitude, second.longitude
                )
                if distance <= DUPLICATE_DISTANCE_M:
                    pairs[_pair_key(first, second)] = (
                        first,
                        second,
                        _("%(distance)d m apart") % {"distance": round(distance)},
                    )
    return list(pairs.values())


def duplicate_cell(latitude: float, longitude: float) -> tuple[int, int]:
    """The (row, column) of the duplicate checks' grid that holds a point."""
    return int(latitude // DUPLICATE_CELL_DEGREES), int(longitude // (DUPLICATE_CELL_DEGREES * 2))


def _pair_key(first: SitePoint, second: SitePoint) -> tuple:
    return tuple(sorted((repr(first.key), repr(second.key))))


def site_point(site) -> SitePoint:
    return SitePoint(
        key=site.pk,
        label=str(site),
        organisation_key=site.organisation.name.lower(),
        postcode=site.postcode,
        latitude=site.latitude,
        longitude=site.longitude,
        precise=site.location_precision == "site",
    )


# --- Checks on one site (every save) --------------------------------------------------------


def site_errors(site, *, shapes: RegionShapes | None = None) -> dict[str, str]:
    """Errors that must block saving this site, keyed by field."""
    errors = {}
    message = postcode_error(site.postcode)
    if message:
        errors["postcode"] = message
    if site.region_id:
        shapes = shapes or RegionShapes.load()
        errors.update(
            shapes.location_errors(latitude=site.latitude, longitude=site.longitude, region=site.region)
        )
    return errors


def site_warnings(site) -> list[Finding]:
    """Warnings about a saved site: other sites it probably duplicates."""
    from .models import Site

    me = site_point(site)
    delta = DUPLICATE_DISTANCE_M / 1000 / KM_PER_DEGREE_LATITUDE * 2
    candidates = (
        Site.objects.exclude(pk=site.pk)
        # Same organisation and postcode, or close enough to be within 50 m.
        .filter(
            (Q(organisation_id=site.organisation_id, postcode=site.postcode) & ~Q(postcode=""))
            | Q(
                latitude__range=(site.latitude - delta, site.latitude + delta),
                longitude__range=(site.longitude - 2 * delta, site.longitude + 2 * delta),
            )
        )
        .select_related("organisation")
    )
    findings = []
    for first, second, reason in likely_duplicates([me, *(site_point(other) for other in candidates)]):
        other = second if first is me else first
        if me not in (first, second):
            continue
        findings.append(
            Finding(
                WARNING,
                "likely_duplicate",
                str(site),
                _("May duplicate %(other)s (%(reason)s).")
                % {
                    "other": other.label,
                    "reason": reason,
                },
            )
        )
    return findings


# --- The whole database (`check_data`) ------------------------------------------------------


def _admin_url(obj) -> str:
    from django.urls import reverse

    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def check_all() -> list[Finding]:
    """Every check over every organisation, site and case study; errors first."""
    from .models import Organisation, Site
    from .selectors import case_study_links_to_closed_sites

    findings: list[Finding] = []
    shapes = RegionShapes.load()
    regions = {region.pk: region for region in shapes.regions}
    sites = list(Site.objects.select_related("organisation").order_by("organisation__name", "name"))
    for site in sites:
        site.region = regions[site.region_id]
        for field, message in site_errors(site, shapes=shapes).items():
            check = {"postcode": "postcode_format", "region": "region_mismatch"}.get(field, "outside_uk")
            findings.append(Finding(ERROR, check, str(site), message, field, _admin_url(site)))

    for first, second, reason in likely_duplicates(site_point(site) for site in sites):
        findings.append(
            Finding(
                WARNING,
                "likely_duplicate",
                first.label,
                _("May duplicate %(other)s (%(reason)s).") % {"other": second.label, "reason": reason},
                admin_url=_admin_url(Site(pk=first.key)),
            )
        )
    for organisation in Organisation.objects.filter(sites__isnull=True).order_by("name"):
        findings.append(
            Finding(
                WARNING, "organisation_without_sites", organisation.name, _("The organisation has no sites.")
            )
        )
    for link in case_study_links_to_closed_sites():
        findings.append(
            Finding(
                WARNING,
                "case_study_closed_site",
                link.casestudy.title,
                _("Links to %(site)s, which is closed.") % {"site": link.site},
                admin_url=_admin_url(link.casestudy),
            )
        )
    return sorted(findings, key=lambda finding: finding.level != ERROR)
