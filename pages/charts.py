"""Geometry for the charts the server draws as SVG: horizontal bars and a choropleth of the UK regions.

Python works out the shapes; the templates in templates/pages/partials/ write the markup, so
every label passes through Django's escaping. The drawings are sized in SVG units chosen so
that text stays readable when the chart shrinks to a 375 px phone screen.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from math import cos, radians

# Bar charts: a 360-unit-wide drawing shows 14-unit text at about 12 px on a phone.
BAR_CHART_WIDTH = 360
BAR_ROW_HEIGHT = 38
BAR_HEIGHT = 14
BAR_VALUE_ROOM = 44
BAR_LABEL_MAX_CHARS = 46

# The choropleth: wide enough for a side column on the home page, tall for the UK's shape.
MAP_WIDTH = 300
MAP_PADDING = 4
# Points closer than this (in SVG units) to the last one kept add nothing visible.
MAP_MIN_STEP = 1.5

# Light to dark blue; the first class is for regions with no sites. The darkest classes
# carry white text in the legend, the lighter ones ink (both over 4.5:1).
MAP_CLASS_COLOURS = ("#f3f2f1", "#c6dbef", "#85b1dc", "#3f7fc1", "#1d3c6e")


@dataclass(frozen=True)
class Bar:
    label: str
    short_label: str
    value: int
    selected: bool
    label_y: float
    bar_y: float
    width: float
    value_x: float
    value_y: float


@dataclass(frozen=True)
class BarChartDrawing:
    width: int
    height: int
    bars: tuple[Bar, ...]


def _shorten(label: str, limit: int = BAR_LABEL_MAX_CHARS) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def bar_chart(rows: Sequence) -> BarChartDrawing:
    """Lay out one horizontal bar per row (anything with `label`, `value` and `selected`), label above bar."""
    largest = max((row.value for row in rows), default=0) or 1
    scale = (BAR_CHART_WIDTH - BAR_VALUE_ROOM) / largest
    bars = []
    for index, row in enumerate(rows):
        top = index * BAR_ROW_HEIGHT
        width = round(max(row.value * scale, 2 if row.value else 0), 1)
        bars.append(
            Bar(
                label=row.label,
                short_label=_shorten(row.label),
                value=row.value,
                selected=row.selected,
                label_y=top + 14,
                bar_y=top + 19,
                width=width,
                value_x=round(width + 6, 1),
                value_y=top + 31,
            )
        )
    return BarChartDrawing(
        width=BAR_CHART_WIDTH, height=max(len(bars) * BAR_ROW_HEIGHT, BAR_ROW_HEIGHT), bars=tuple(bars)
    )


@dataclass(frozen=True)
class MapArea:
    slug: str
    label: str
    value: int
    colour: str
    path: str
    selected: bool


@dataclass(frozen=True)
class LegendEntry:
    colour: str
    label: str


@dataclass(frozen=True)
class MapDrawing:
    width: int
    height: int
    areas: tuple[MapArea, ...]
    legend: tuple[LegendEntry, ...]


def _polygons(geometry: dict) -> Iterable[list[list[list[float]]]]:
    if geometry.get("type") == "Polygon":
        yield geometry["coordinates"]
    elif geometry.get("type") == "MultiPolygon":
        yield from geometry["coordinates"]


def _points(geometries: Iterable[dict]) -> Iterable[list[float]]:
    for geometry in geometries:
        for polygon in _polygons(geometry):
            for ring in polygon:
                yield from ring


class Projection:
    """Equirectangular, with longitudes shrunk by cos(mid-latitude): true enough for a country the UK's size."""

    def __init__(self, geometries: Sequence[dict], *, width: int = MAP_WIDTH, padding: int = MAP_PADDING):
        points = list(_points(geometries))
        if not points:
            points = [[-8.2, 49.9], [1.8, 60.9]]  # the UK's frame, when there is nothing to draw
        west = min(point[0] for point in points)
        east = max(point[0] for point in points)
        south = min(point[1] for point in points)
        north = max(point[1] for point in points)
        self.x_scale = cos(radians((south + north) / 2))
        self.west, self.north, self.padding = west, north, padding
        span_x = max((east - west) * self.x_scale, 1e-9)
        self.scale = (width - 2 * padding) / span_x
        self.width = width
        self.height = round((north - south) * self.scale + 2 * padding)

    def __call__(self, longitude: float, latitude: float) -> tuple[float, float]:
        x = (longitude - self.west) * self.x_scale * self.scale + self.padding
        y = (self.north - latitude) * self.scale + self.padding
        return round(x, 1), round(y, 1)

    def path(self, geometry: dict) -> str:
        """An SVG path for a GeoJSON (Multi)Polygon, dropping points too close together to see."""
        parts = []
        for polygon in _polygons(geometry):
            for ring in polygon:
                kept: list[tuple[float, float]] = []
                for longitude, latitude, *_ in ring:
                    point = self(longitude, latitude)
                    if kept and abs(point[0] - kept[-1][0]) + abs(point[1] - kept[-1][1]) < MAP_MIN_STEP:
                        continue
                    kept.append(point)
                if len(kept) >= 3:
                    first, *rest = kept
                    parts.append(f"M{first[0]} {first[1]}" + "".join(f"L{x} {y}" for x, y in rest) + "Z")
        return "".join(parts)


def class_breaks(largest: int, classes: int = len(MAP_CLASS_COLOURS) - 1) -> list[tuple[int, int]]:
    """Equal-width ranges from 1 to `largest` (whole numbers), at most `classes` of them; 0 has its own class."""
    if largest <= 0:
        return []
    classes = min(classes, largest)
    breaks = []
    low = 1
    for index in range(1, classes + 1):
        high = round(largest * index / classes)
        if high >= low:
            breaks.append((low, high))
            low = high + 1
    return breaks


def choropleth(regions: Sequence, *, width: int = MAP_WIDTH) -> MapDrawing:
    """Shade each region (anything with `slug`, `label`, `value`, `selected`, `boundary`) by its value."""
    projection = Projection([region.boundary for region in regions], width=width)
    breaks = class_breaks(max((region.value for region in regions), default=0))

    def colour(value: int) -> str:
        for index, (_low, high) in enumerate(breaks, start=1):
            if value <= high:
                return MAP_CLASS_COLOURS[index]
        return MAP_CLASS_COLOURS[0]

    areas = tuple(
        MapArea(
            slug=region.slug,
            label=region.label,
            value=region.value,
            colour=colour(region.value) if region.value else MAP_CLASS_COLOURS[0],
            path=projection.path(region.boundary),
            selected=region.selected,
        )
        for region in regions
    )
    legend = [LegendEntry(colour=MAP_CLASS_COLOURS[0], label="0")]
    for index, (low, high) in enumerate(breaks, start=1):
        legend.append(
            LegendEntry(colour=MAP_CLASS_COLOURS[index], label=str(low) if low == high else f"{low}–{high}")
        )
    return MapDrawing(width=projection.width, height=projection.height, areas=areas, legend=tuple(legend))
