"""Geometry on the landscape's points and boundaries, with shapely and pyproj: no PostGIS.

Points are WGS84 latitude and longitude; boundaries are GeoJSON (Multi)Polygons in longitude and
latitude, as RFC 7946 has them. Where metres matter (how far a point lies outside a boundary)
both are projected to the British National Grid (EPSG:27700), whose scale error stays under
0.1 % across the UK. Great-circle distances between two points use the haversine formula, the
same one the database uses to rank sites by distance.
"""

from __future__ import annotations

from functools import cached_property, lru_cache
from math import asin, cos, degrees, radians, sin, sqrt

import numpy
import shapely
from pyproj import Transformer
from shapely.geometry import shape

# The mean Earth radius (IUGG), as used by the database's distance expressions.
EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE_LATITUDE = 111.32
BRITISH_NATIONAL_GRID = "EPSG:27700"
SEGMENT_DEGREES = 0.01


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great-circle distance in kilometres between two WGS84 points."""
    phi1, phi2 = radians(lat1), radians(lat2)
    half_chord = sin((phi2 - phi1) / 2) ** 2 + cos(phi1) * cos(phi2) * sin(radians(lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * asin(min(1.0, sqrt(half_chord)))


def box_around(latitude: float, longitude: float, km: float) -> dict[str, float]:
    """The smallest latitude-longitude box holding every point within `km` (great circle) of a point.

    As `south`, `west`, `north` and `east` in degrees. The east-west reach is the circle's widest,
    which lies poleward of the centre: asin(sin d / cos lat), a little more than d / cos lat. A
    circle around a pole, or wide enough to reach one, spans every longitude.
    """
    reach = km / EARTH_RADIUS_KM
    south, north = latitude - degrees(reach), latitude + degrees(reach)
    across = sin(reach) / cos(radians(latitude)) if abs(latitude) < 90 else 2.0
    if north >= 90 or south <= -90 or across >= 1:
        return {"south": max(south, -90.0), "west": -180.0, "north": min(north, 90.0), "east": 180.0}
    spread = degrees(asin(across))
    return {"south": south, "west": longitude - spread, "north": north, "east": longitude + spread}


@lru_cache(maxsize=1)
def _to_grid() -> Transformer:
    # always_xy: (longitude, latitude) in, (easting, northing) out, whatever the CRS's axis order.
    return Transformer.from_crs("EPSG:4326", BRITISH_NATIONAL_GRID, always_xy=True)


def to_grid(latitude: float, longitude: float) -> tuple[float, float]:
    """A WGS84 point as British National Grid (easting, northing) in metres."""
    return _to_grid().transform(longitude, latitude)


class Boundary:
    """A GeoJSON (Multi)Polygon, prepared for many point-in-polygon and distance questions."""

    def __init__(self, geometry: dict | None):
        polygon = shape(geometry) if geometry and geometry.get("coordinates") else shapely.Polygon()
        # Simplified boundaries can self-touch; make_valid keeps every area as it was drawn.
        self.shape = polygon if polygon.is_valid else shapely.make_valid(polygon)
        shapely.prepare(self.shape)

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) in degrees."""
        return tuple(self.shape.bounds) if not self.shape.is_empty else (0.0, 0.0, -1.0, -1.0)

    @cached_property
    def _grid_shape(self):
        def to_grid_array(coordinates):
            eastings, northings = _to_grid().transform(coordinates[:, 0], coordinates[:, 1])
            return numpy.column_stack([eastings, northings])

        # A straight edge in degrees is a curve on the grid: edges are cut into pieces of at most
        # SEGMENT_DEGREES first, or a long edge's chord would stray by up to a hundred metres.
        projected = shapely.transform(shapely.segmentize(self.shape, SEGMENT_DEGREES), to_grid_array)
        shapely.prepare(projected)
        return projected

    def contains(self, latitude: float, longitude: float) -> bool:
        """Whether the point is inside (or on the edge of) the boundary."""
        return bool(shapely.intersects_xy(self.shape, longitude, latitude))

    def distance_km(self, latitude: float, longitude: float) -> float:
        """Kilometres from the point to the boundary's area: 0 inside it, else to its nearest edge."""
        if self.shape.is_empty:
            return float("inf")
        if self.contains(latitude, longitude):
            return 0.0
        easting, northing = to_grid(latitude, longitude)
        return shapely.distance(self._grid_shape, shapely.Point(easting, northing)) / 1000

    def within_km(self, latitude: float, longitude: float, km: float) -> bool:
        """Whether the point is inside the boundary or no more than `km` outside it."""
        west, south, east, north = self.bbox
        # Most points are nowhere near most boundaries: four comparisons settle those. The box
        # reaches a little further than `km`, as the grid's scale runs up to 0.1 % short.
        reach = box_around(latitude, longitude, km * 1.001)
        if not (
            reach["west"] <= east
            and west <= reach["east"]
            and reach["south"] <= north
            and south <= reach["north"]
        ):
            return False
        return self.distance_km(latitude, longitude) <= km
