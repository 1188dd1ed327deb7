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

import datetime
import itertools
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.geometry import KM_PER_DEGREE_LATITUDE, Boundary, haversine_km

from .models import UK_POSTCODE_PATTERN, uk_postcode_validator

REGION_TOLERANCE_KM = 2.0
# A site's facts are checked against its sources at least once a year.
VERIFICATION_STALE_DAYS = 365
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
        if latitude is None or longitude is None:
            return {}
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            return {}  # the field validators report the range
        ok, actual = self._locate(getattr(region, "pk", None), round(latitude, 6), round(longitude, 6))
        if ok:
            return {}
        if actual is None:
            # Reported even without a (known) region, so one bad cell never hides another.
            return {
                "latitude": _("The coordinates %(lat)s, %(lon)s are outside the UK.")
                % {"lat": latitude, "lon": longitude}
            }
        if region is None:
            return {}  # the region's own error says what to fix
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


# Each point is compared with at most this many earlier points it may duplicate: enough to name
# every saved twin of a site, and linear in the number of points however many share a postcode.
MAX_PAIRS_PER_POINT = 5


def likely_duplicates(points: Iterable[SitePoint]) -> list[tuple[SitePoint, SitePoint, str]]:
    """Pairs that are probably the same site (the earlier point first), with the reason.

    Same organisation and postcode; or within 50 m of each other when the two belong to one
    organisation or at least one is placed precisely. Two organisations' sites placed at the
    same town centre are not flagged: the shared point says nothing about the sites.

    Each point is paired with the first MAX_PAIRS_PER_POINT earlier points it duplicates, not
    with every one: a thousand rows at one postcode give about 5,000 findings rather than half a
    million, and the work stays linear in the number of points.
    """
    points = list(points)
    pairs: dict[int, dict[int, str]] = defaultdict(dict)  # later index -> earlier index -> reason
    at_postcode: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, point in enumerate(points):
        if point.postcode:
            earlier = at_postcode[(point.organisation_key, point.postcode.replace(" ", ""))]
            for other in earlier[:MAX_PAIRS_PER_POINT]:
                pairs[index][other] = _("same organisation and postcode")
            earlier.append(index)

    # Per grid cell, in order: every point, the precise ones, and each organisation's.
    cells = {"all": defaultdict(list), "precise": defaultdict(list), "organisation": defaultdict(list)}
    for index, point in enumerate(points):
        cell = duplicate_cell(point.latitude, point.longitude)
        if len(pairs[index]) < MAX_PAIRS_PER_POINT:
            _pair_close(points, index, cell, cells, pairs[index])
        cells["all"][cell].append(index)
        if point.precise:
            cells["precise"][cell].append(index)
        cells["organisation"][(cell, point.organisation_key)].append(index)
    return [
        (points[earlier], points[later], reason)
        for later, found in pairs.items()
        for earlier, reason in found.items()
    ]


def _pair_close(points, index, cell, cells, found: dict[int, str]) -> None:
    """Add to `found` the earlier points within 50 m that may be the same site as points[index]."""
    point = points[index]
    row, column = cell
    for d_row in (-1, 0, 1):
        for d_col in (-1, 0, 1):
            near = (row + d_row, column + d_col)
            candidates = (
                cells["all"].get(near, ())
                if point.precise
                # chain, not a new list: a list copy per point would be quadratic in a crowded cell
                else itertools.chain(
                    cells["precise"].get(near, ()),
                    cells["organisation"].get((near, point.organisation_key), ()),
                )
            )
            for other_index in candidates:
                if other_index in found:
                    continue
                other = points[other_index]
                distance = 1000 * haversine_km(
                    point.latitude, point.longitude, other.latitude, other.longitude
                )
                if distance <= DUPLICATE_DISTANCE_M:
                    found[other_index] = _("%(distance)d m apart") % {"distance": round(distance)}
                    if len(found) >= MAX_PAIRS_PER_POINT:
                        return


def duplicate_cell(latitude: float, longitude: float) -> tuple[int, int]:
    """The (row, column) of the duplicate checks' grid that holds a point."""
    return int(latitude // DUPLICATE_CELL_DEGREES), int(longitude // (DUPLICATE_CELL_DEGREES * 2))


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
    # Pair by pair: each candidate against this site, never against another candidate.
    pairs = [pair for other in candidates for pair in likely_duplicates([me, site_point(other)])]
    for first, second, reason in pairs:
        other = second if first is me else first
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

    findings += edge_of_region_findings(sites, shapes) + verification_findings(sites)
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
    findings += organisation_duplicate_findings(Organisation.objects.order_by("created_at", "pk"))
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


def edge_of_region_findings(sites, shapes: RegionShapes) -> list[Finding]:
    """Sites outside their region's boundary but within the tolerance: allowed, and worth a look."""
    findings = []
    for site in sites:
        boundary = shapes.shapes.get(site.region_id)
        if boundary is None or boundary.contains(site.latitude, site.longitude):
            continue
        distance = boundary.distance_km(site.latitude, site.longitude)
        if distance <= REGION_TOLERANCE_KM:
            message = _(
                "%(distance).1f km outside %(region)s, within the %(tolerance)g km allowed at a boundary."
            ) % {"distance": distance, "region": site.region.name, "tolerance": REGION_TOLERANCE_KM}
            findings.append(Finding(WARNING, "region_edge", str(site), message, "region", _admin_url(site)))
    return findings


def verification_findings(sites, *, today: datetime.date | None = None) -> list[Finding]:
    """Sites no one on the staff has verified, or not for more than VERIFICATION_STALE_DAYS."""
    today = today or timezone.localdate()
    stale_before = today - datetime.timedelta(days=VERIFICATION_STALE_DAYS)
    findings = []
    for site in sites:
        if site.last_verified_on is None:
            findings.append(
                Finding(
                    WARNING,
                    "never_verified",
                    str(site),
                    _("No one on the staff has verified this site against its sources."),
                    "last_verified_on",
                    _admin_url(site),
                )
            )
        elif site.last_verified_on < stale_before:
            message = _("Last verified on %(date)s, more than 12 months ago.") % {
                "date": site.last_verified_on.isoformat()
            }
            findings.append(
                Finding(
                    WARNING, "verification_stale", str(site), message, "last_verified_on", _admin_url(site)
                )
            )
    return findings


# --- Organisations that are probably one ---------------------------------------------------

# Words that say what kind of company a name is, not which one: "Autolus Therapeutics Ltd" is Autolus.
_DESCRIPTIVE_WORDS = {
    "therapeutics", "pharma", "pharmaceuticals", "biologics", "bio", "biotech", "biosciences",
    "biopharma", "labs", "laboratories", "manufacturing", "healthcare", "medicines", "sciences",
}  # fmt: skip
# Bracketed words many organisations share: "Poole Hospital (NHS)" is not "Ipswich Hospital (NHS)".
_GENERIC_BRACKETS = {"nhs", "nhs ft", "nhs trust", "nhs foundation trust", "uk", "scotland", "wales"}
_LEGAL_WORDS = {"ltd", "limited", "plc", "llp", "inc", "uk", "the", "co", "company", "group", "holdings"}


def organisation_name_keys(name: str) -> set[str]:
    """The keys two names of one organisation are likely to share.

    The name folded (case, punctuation, "&", legal words) with and without its bracketed part,
    the acronym in brackets ("… Agency (MHRA)" gives "mhra"), and the name's first word when the
    rest is one descriptive word ("Autolus Therapeutics" gives "autolus").
    """
    bracketed = re.findall(r"\(([^)]*)\)", name)
    outside = re.sub(r"\([^)]*\)", " ", name)
    keys = {_fold(outside), *(_fold(part) for part in bracketed if _fold(part) not in _GENERIC_BRACKETS)}
    words = _fold(outside).split()
    if len(words) == 2 and words[1] in _DESCRIPTIVE_WORDS:
        keys.add(words[0])
    return {key for key in keys if len(key) >= 2}


def _fold(text: str) -> str:
    words = re.sub(r"[^\w\s]", " ", text.lower().replace("&", " and ")).split()
    return " ".join(word for word in words if word not in _LEGAL_WORDS)


def website_domain(url: str) -> str:
    host = re.sub(r"^[a-z]+://", "", (url or "").strip().lower()).split("/")[0].split(":")[0]
    return host.removeprefix("www.")


def likely_duplicate_organisations(organisations) -> list[tuple[object, object, str]]:
    """Pairs of organisations that are probably one (the earlier first), with the reason.

    Compared by their name keys (organisation_name_keys), Companies House number and website
    domain. Linear: each organisation is looked up by its keys, never compared with every other.
    """
    seen: dict[tuple[str, str], object] = {}
    pairs: dict[tuple[int, int], tuple[object, object, str]] = {}
    for organisation in organisations:
        keys = [("name", key) for key in sorted(organisation_name_keys(organisation.name))]
        if organisation.companies_house_number:
            keys.append(("number", organisation.companies_house_number))
        if website_domain(organisation.website):
            keys.append(("website", website_domain(organisation.website)))
        for key in keys:
            other = seen.setdefault(key, organisation)
            if other is not organisation and (id(other), id(organisation)) not in pairs:
                reason = {
                    "name": _("similar names"),
                    "number": _("same Companies House number"),
                    "website": _("same website domain"),
                }[key[0]]
                pairs[(id(other), id(organisation))] = (other, organisation, reason)
    return list(pairs.values())


def organisation_duplicate_findings(organisations) -> list[Finding]:
    return [
        Finding(
            WARNING,
            "likely_duplicate_organisation",
            second.name,
            _("May be the same organisation as %(other)s (%(reason)s); merge them in the admin if so.")
            % {"other": first.name, "reason": reason},
            admin_url=_admin_url(second),
        )
        for first, second, reason in likely_duplicate_organisations(organisations)
    ]
