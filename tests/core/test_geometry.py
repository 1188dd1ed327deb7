"""Point in polygon and distances, as the quality checks and the bench generator use them."""

from math import asin, atan2, cos, degrees, radians, sin

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.geometry import EARTH_RADIUS_KM, Boundary, box_around, haversine_km, to_grid

SQUARE = {
    "type": "MultiPolygon",
    "coordinates": [
        [
            [[0.0, 50.0], [1.0, 50.0], [1.0, 51.0], [0.0, 51.0], [0.0, 50.0]],
            # A hole (a lake, or another region inside this one).
            [[0.4, 50.4], [0.6, 50.4], [0.6, 50.6], [0.4, 50.6], [0.4, 50.4]],
        ]
    ],
}


def test_point_in_polygon_respects_holes_and_edges():
    shape = Boundary(SQUARE)
    assert shape.contains(50.2, 0.2)
    assert not shape.contains(50.5, 0.5)  # in the hole
    assert not shape.contains(52.0, 0.5)


def test_a_point_just_outside_the_boundary_counts_as_inside_within_the_tolerance():
    shape = Boundary(SQUARE)
    # 0.01 degrees of latitude is about 1.1 km: inside the 2 km tolerance; 0.05 (5.6 km) is not.
    assert shape.within_km(51.01, 0.5, 2)
    assert not shape.within_km(51.05, 0.5, 2)
    assert shape.distance_km(51.01, 0.5) == pytest.approx(1.113, abs=0.01)


def test_a_missing_boundary_contains_nothing_and_is_infinitely_far():
    empty = Boundary(None)
    assert not empty.contains(51.5, -0.1)
    assert empty.distance_km(51.5, -0.1) == float("inf")
    assert not empty.within_km(51.5, -0.1, 2)


def test_haversine_agrees_with_a_known_distance():
    # London (Charing Cross) to Stevenage, about 45 km.
    assert haversine_km(51.5073, -0.1276, 51.9017, -0.2019) == pytest.approx(44.2, abs=0.5)
    assert haversine_km(54.0, -2.0, 54.0, -2.0) == 0


def test_points_project_to_the_british_national_grid():
    # The National Grid's true origin: 49°N 2°W lies at easting 400 km, northing -100 km.
    easting, northing = to_grid(49.0, -2.0)
    assert easting == pytest.approx(400_000, abs=200)
    assert northing == pytest.approx(-100_000, abs=200)


def _destination(latitude: float, longitude: float, bearing: float, km: float) -> tuple[float, float]:
    """The point `km` along a great circle from a point, setting out on `bearing` degrees."""
    phi, lam, theta, reach = radians(latitude), radians(longitude), radians(bearing), km / EARTH_RADIUS_KM
    phi2 = asin(sin(phi) * cos(reach) + cos(phi) * sin(reach) * cos(theta))
    lam2 = lam + atan2(sin(theta) * sin(reach) * cos(phi), cos(reach) - sin(phi) * sin(phi2))
    return degrees(phi2), (degrees(lam2) + 540) % 360 - 180


@given(
    latitude=st.floats(-80, 80),
    longitude=st.floats(-170, 170),
    bearing=st.floats(0, 360),
    km=st.floats(0.01, 1000),
    fraction=st.floats(0, 0.999),
)
def test_the_box_around_a_point_holds_every_point_within_the_distance(
    latitude, longitude, bearing, km, fraction
):
    box = box_around(latitude, longitude, km)
    point_latitude, point_longitude = _destination(latitude, longitude, bearing, km * fraction)
    assert box["south"] <= point_latitude <= box["north"]
    assert box["west"] <= point_longitude <= box["east"]


def test_the_box_reaches_further_east_and_west_than_the_centre_latitude_suggests():
    # The circle is widest poleward of its centre: at 60°N and 500 km it reaches 9.02° east,
    # where d / cos(latitude) would give 8.99°; the box holds the widest point and no more.
    box = box_around(60.0, 0.0, 500)
    widest = max(_destination(60.0, 0.0, bearing / 10, 500)[1] for bearing in range(0, 1800))
    assert widest <= box["east"] < widest + 1e-5  # bearings a tenth of a degree apart
    assert box["east"] > degrees(500 / EARTH_RADIUS_KM) / cos(radians(60.0)) + 0.02


def test_a_circle_reaching_a_pole_spans_every_longitude():
    box = box_around(89.5, 10.0, 100)
    assert (box["west"], box["east"], box["north"]) == (-180.0, 180.0, 90.0)
