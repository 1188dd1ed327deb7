"""Point in polygon and distances, as the quality checks and the bench generator use them."""

import pytest

from core.geometry import Boundary, haversine_km, to_grid

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
