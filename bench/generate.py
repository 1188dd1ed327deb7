"""Synthetic organisations and sites for the scale benchmark, the same for a given seed and size.

About 70 % of the sites cluster around the 88 demo sites' towns (fixtures/sites.csv) with a
Gaussian spread of a few kilometres; the rest are spread uniformly (in degrees) over the UK.
Every point lies inside the UK and inside the boundary of the region it is given, tested
against ``Region.boundary`` with ``core.geometry.Boundary``. Capabilities, technologies, licences
and organisation kinds are drawn from the demo data's own mixes, so facet counts look like the
real landscape's.

``landscape_generate`` only computes rows; ``bench.data_load.bench_data_load`` writes them with
PostgreSQL COPY.
"""

from __future__ import annotations

import csv
import random
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy
import shapely
from django.utils.text import slugify

from core.geometry import Boundary

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "sites.csv"
# Part of the marker a load leaves on the site table: a new version regenerates existing data.
GENERATOR_VERSION = 2
CLUSTERED_SHARE = 0.70
# One standard deviation of a clustered site's distance from its town, in kilometres.
CLUSTER_SPREAD_KM = 4.0
KM_PER_DEGREE = 111.32
# Draws round a town before a site that keeps landing in the sea is spread instead.
CLUSTER_ATTEMPTS = 20
# Sites placed per round of vectorised draws; fixed, so a seed and N always give the same rows.
CHUNK_SITES = 50_000
# The demo data has no planned or closed sites; a landscape at scale has some of each.
STATUS_MIX = (("operational", 0.90), ("planned", 0.06), ("closed", 0.04))
CONFIDENCE_MIX = (("high", 0.35), ("medium", 0.50), ("low", 0.15))
SITES_PER_ORGANISATION = 8
SITE_SUFFIXES = ("Works", "Plant", "Campus", "Laboratories", "Manufacturing Centre", "Site", "Facility")
ORGANISATION_STEMS = (
    "Albion", "Pennine", "Severn", "Thames", "Caledonian", "Cambrian", "Mercia", "Wessex", "Northumbria",
    "Solent", "Clyde", "Tyne", "Humber", "Avon", "Chiltern", "Cotswold", "Fenland", "Grampian", "Lagan",
    "Mourne", "Trent", "Ouse", "Tamar", "Medway",
)  # fmt: skip
ORGANISATION_SUFFIXES = {
    "large_pharma": "Pharmaceuticals plc",
    "cdmo": "Contract Manufacturing Ltd",
    "biotech": "Biotherapeutics Ltd",
    "generic": "Generics Ltd",
    "nhs": "NHS Pharmacy Manufacturing Unit",
    "academic_catapult": "Manufacturing Innovation Centre",
    "other": "Medicines Ltd",
}
# The demo spreadsheet's organisation types, as Organisation.Kind values.
KIND_LABELS = {
    "large pharma": "large_pharma",
    "cdmo": "cdmo",
    "biotech": "biotech",
    "generic manufacturer": "generic",
    "nhs": "nhs",
    "academic/catapult": "academic_catapult",
    "other": "other",
}


@dataclass(frozen=True)
class DemoSite:
    town: str
    postcode: str
    latitude: float
    longitude: float
    kind: str
    capabilities: tuple[str, ...]
    technologies: tuple[str, ...]
    licence_types: tuple[str, ...]
    licence_basis: str


def demo_sites(path: Path = FIXTURE) -> list[DemoSite]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))

    def slugs(value):
        return tuple(part.strip() for part in (value or "").split(";") if part.strip())

    return [
        DemoSite(
            town=row["town"].strip(),
            postcode=row["postcode_district"].strip().upper(),
            latitude=float(row["latitude"]),
            longitude=float(row["longitude"]),
            kind=KIND_LABELS.get(row["organisation_type"].strip().lower(), "other"),
            capabilities=slugs(row["capabilities"]),
            technologies=slugs(row["technologies"]),
            licence_types=slugs(row["licence_types"]),
            licence_basis=(row["licence_basis"] or "inferred").strip(),
        )
        for row in rows
    ]


@dataclass
class Reference:
    """The bench database's reference rows, by slug, and the region boundaries."""

    regions: list[tuple[int, dict]]
    capabilities: dict[str, int]
    technologies: dict[str, int]
    licence_types: dict[str, int]

    @classmethod
    def from_database(cls) -> Reference:
        from manufacturers.models import Capability, LicenceType, Region, Technology

        return cls(
            regions=list(Region.objects.order_by("id").values_list("id", "boundary")),
            capabilities=dict(Capability.objects.values_list("slug", "id")),
            technologies=dict(Technology.objects.values_list("slug", "id")),
            licence_types=dict(LicenceType.objects.values_list("slug", "id")),
        )


@dataclass
class GeneratedSite:
    id: int
    organisation_id: int
    name: str
    slug: str
    status: str
    town: str
    postcode: str
    region_id: int
    latitude: float
    longitude: float
    confidence: str
    clustered: bool
    capability_ids: tuple[int, ...]
    technology_ids: tuple[int, ...]
    licence_type_ids: tuple[int, ...]
    licence_basis: str


@dataclass
class GeneratedOrganisation:
    id: int
    name: str
    slug: str
    kind: str
    website: str


@dataclass
class Landscape:
    organisations: list[GeneratedOrganisation]
    sites: Iterator[GeneratedSite]
    stats: Counter = field(default_factory=Counter)


class RegionLocator:
    """Which region's boundary (GeoJSON, longitude and latitude) holds each of many points.

    Each boundary is a ``core.geometry.Boundary``, prepared once, and is asked about a whole array
    of points at a time after four comparisons with its bounding box rule most of them out: a
    million points take well under a second.
    """

    def __init__(self, regions: Iterable[tuple[int, dict]]):
        self.boundaries = [(region_id, Boundary(geometry)) for region_id, geometry in regions]
        boxes = numpy.array([boundary.bbox for _, boundary in self.boundaries if not boundary.shape.is_empty])
        self.west, self.south = boxes[:, 0].min(), boxes[:, 1].min()
        self.east, self.north = boxes[:, 2].max(), boxes[:, 3].max()

    def regions_at(self, longitudes: numpy.ndarray, latitudes: numpy.ndarray) -> numpy.ndarray:
        """The id of the region holding each point, 0 where none does (the sea); where simplified
        boundaries overlap, the region first by id."""
        found = numpy.zeros(len(longitudes), dtype=numpy.int64)
        for region_id, boundary in self.boundaries:
            west, south, east, north = boundary.bbox
            candidates = numpy.flatnonzero(
                (found == 0)
                & (longitudes >= west)
                & (longitudes <= east)
                & (latitudes >= south)
                & (latitudes <= north)
            )
            # Intersects, as Boundary.contains has it: a point on the edge is in the region.
            inside = shapely.intersects_xy(boundary.shape, longitudes[candidates], latitudes[candidates])
            found[candidates[inside]] = region_id
        return found


def _weighted(draws: numpy.random.Generator, mix, count: int) -> list[str]:
    values = [value for value, _ in mix]
    weights = numpy.array([weight for _, weight in mix])
    return [
        values[index] for index in draws.choice(len(values), size=count, p=weights / weights.sum()).tolist()
    ]


def organisation_count(sites: int) -> int:
    return max(1, sites // SITES_PER_ORGANISATION)


def landscape_generate(*, sites: int, seed: int, reference: Reference) -> Landscape:
    """N sites and their organisations; the same `seed`, `sites` and reference data give the same rows."""
    rng = random.Random(seed)
    demo = demo_sites()
    organisations = []
    for number in range(1, organisation_count(sites) + 1):
        kind = rng.choice(demo).kind
        stem = ORGANISATION_STEMS[number % len(ORGANISATION_STEMS)]
        name = f"{stem} {ORGANISATION_SUFFIXES[kind]} {number}"
        organisations.append(
            GeneratedOrganisation(
                id=number,
                name=name,
                slug=f"{slugify(name)}",
                kind=kind,
                website=f"https://{stem.lower()}-{number}.example.org",
            )
        )
    stats: Counter = Counter()
    sampler = SiteSampler(numpy.random.default_rng(seed), sites=sites, demo=demo, reference=reference)
    return Landscape(organisations, _sites(sampler, sites, stats), stats)


def _sites(sampler: SiteSampler, count: int, stats: Counter) -> Iterator[GeneratedSite]:
    for first in range(1, count + 1, CHUNK_SITES):
        yield from sampler.sites(first, min(CHUNK_SITES, count - first + 1), stats)


class SiteSampler:
    """Draws sites a chunk at a time with numpy's generator, testing a chunk's points against the
    region boundaries together; the rows depend only on the generator's seed and the chunk sizes."""

    def __init__(
        self, draws: numpy.random.Generator, *, sites: int, demo: list[DemoSite], reference: Reference
    ):
        self.draws, self.demo = draws, demo
        self.locator = RegionLocator(reference.regions)
        self.organisations = organisation_count(sites)
        self.town_latitudes = numpy.array([centre.latitude for centre in demo])
        self.town_longitudes = numpy.array([centre.longitude for centre in demo])
        self.towns_by_region: dict[int, list[DemoSite]] = {}
        homes = self.locator.regions_at(self.town_longitudes, self.town_latitudes).tolist()
        for centre, region_id in zip(demo, homes, strict=True):
            if region_id:
                self.towns_by_region.setdefault(region_id, []).append(centre)
        self.town_slugs = {centre.town: slugify(centre.town) for centre in demo}
        self.mixes = [
            (
                tuple(reference.capabilities[s] for s in centre.capabilities if s in reference.capabilities),
                tuple(reference.technologies[s] for s in centre.technologies if s in reference.technologies),
                tuple(
                    reference.licence_types[s] for s in centre.licence_types if s in reference.licence_types
                ),
                centre.licence_basis,
            )
            for centre in demo
        ]

    def place(self, count: int) -> tuple[numpy.ndarray, ...]:
        """(latitude, longitude, region id, clustered, town index) of `count` sites, as arrays.

        A clustered site falls round a demo town; one that keeps landing in the sea, and every
        other site, is spread uniformly over the UK's frame and drawn again until it is on land.
        """
        draws, locator = self.draws, self.locator
        clustered = draws.random(count) < CLUSTERED_SHARE
        centre = draws.integers(len(self.demo), size=count)
        latitude, longitude = numpy.zeros(count), numpy.zeros(count)
        region = numpy.zeros(count, dtype=numpy.int64)

        def settle(pending, latitudes, longitudes):
            # Rounded before the test, so the point stored is the one found inside its region.
            latitudes, longitudes = latitudes.round(6), longitudes.round(6)
            found = locator.regions_at(longitudes, latitudes)
            placed = found != 0
            ids = pending[placed]
            latitude[ids], longitude[ids], region[ids] = latitudes[placed], longitudes[placed], found[placed]
            return pending[~placed]

        spread_lat = CLUSTER_SPREAD_KM / KM_PER_DEGREE
        pending = numpy.flatnonzero(clustered)
        for _ in range(CLUSTER_ATTEMPTS):
            if not pending.size:
                break
            towns = centre[pending]
            spread_lon = spread_lat / numpy.cos(numpy.radians(self.town_latitudes[towns]))
            pending = settle(
                pending,
                draws.normal(self.town_latitudes[towns], spread_lat),
                draws.normal(self.town_longitudes[towns], spread_lon),
            )
        clustered[pending] = False
        pending = numpy.flatnonzero(region == 0)
        while pending.size:
            pending = settle(
                pending,
                draws.uniform(locator.south, locator.north, pending.size),
                draws.uniform(locator.west, locator.east, pending.size),
            )
        return latitude, longitude, region, clustered, centre

    def named_after(self, region_id: int, clustered: bool, centre: int, pick: float) -> tuple[str, str]:
        """The town a site is named after and its postcode district: its own town's when clustered,
        otherwise a demo town of its region (of the UK where the region has none) and no postcode."""
        if clustered:
            town = self.demo[centre]
            return town.town, town.postcode
        local = self.towns_by_region.get(region_id) or self.demo
        return local[int(pick * len(local))].town, ""

    def sites(self, first: int, count: int, stats: Counter) -> Iterator[GeneratedSite]:
        """Sites numbered from `first`, `count` of them."""
        draws = self.draws
        latitude, longitude, region, clustered, centre = (array.tolist() for array in self.place(count))
        picks = draws.random(count).tolist()
        mixes = draws.integers(len(self.mixes), size=(count, 3)).tolist()
        # Skewed towards low numbers: a few organisations run many sites, most run one or two.
        organisation = (1 + (self.organisations * draws.random(count) ** 2).astype(numpy.int64)).tolist()
        status, confidence = _weighted(draws, STATUS_MIX, count), _weighted(draws, CONFIDENCE_MIX, count)
        stats["clustered"] += sum(clustered)
        stats["spread"] += count - sum(clustered)
        for i, number in enumerate(range(first, first + count)):
            town, postcode = self.named_after(region[i], clustered[i], centre[i], picks[i])
            capabilities, technologies, licences = mixes[i]
            yield GeneratedSite(
                id=number,
                organisation_id=organisation[i],
                name=f"{town} {SITE_SUFFIXES[number % len(SITE_SUFFIXES)]} {number}",
                slug=f"{self.town_slugs[town]}-{number}",
                status=status[i],
                town=town,
                postcode=postcode,
                region_id=region[i],
                latitude=latitude[i],
                longitude=longitude[i],
                confidence=confidence[i],
                clustered=clustered[i],
                capability_ids=self.mixes[capabilities][0],
                technology_ids=self.mixes[technologies][1],
                licence_type_ids=self.mixes[licences][2],
                licence_basis=self.mixes[licences][3],
            )
