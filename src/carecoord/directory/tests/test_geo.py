"""Offline ZIP centroids and distances (directory/geo.py)."""

from __future__ import annotations

import pytest

from carecoord.directory.geo import GeoPoint, bounding_box, distance_km, normalize_zip, zip_place, zip_point


def test_zip_centroids_come_from_the_shipped_table():
    harlem = zip_point("10027")
    assert harlem == GeoPoint(40.8116, -73.955)
    assert zip_point("10027-1234") == harlem
    place = zip_place("14850")
    assert place is not None and (place.city, place.state) == ("Ithaca", "NY")


@pytest.mark.parametrize("text", ["", "abc", "1002", "100271", "00000", "99999"])
def test_not_a_known_zip_is_none(text):
    assert zip_point(text) is None


def test_normalize_zip():
    assert normalize_zip(" 10027-1234 ") == "10027"
    assert normalize_zip("100271234") == "10027"
    assert normalize_zip("10027x") == ""


def test_distance_between_two_zip_centroids():
    # Harlem (10027) to Ithaca (14850): about 275 km as the crow flies, computed independently on the sphere.
    harlem, ithaca = zip_point("10027"), zip_point("14850")
    assert harlem is not None and ithaca is not None
    assert distance_km(harlem, ithaca) == pytest.approx(distance_km(ithaca, harlem))
    assert 270 < distance_km(harlem, ithaca) < 280
    assert distance_km(harlem, harlem) == 0.0
    # One degree of latitude along a meridian is 111.2 km.
    assert distance_km(GeoPoint(40.0, -74.0), GeoPoint(41.0, -74.0)) == pytest.approx(111.19, abs=0.01)


def test_bounding_box_holds_every_point_within_the_radius():
    centre = GeoPoint(42.0, -75.0)
    box = bounding_box(centre, 10.0)
    for bearing_point in (GeoPoint(42.0899, -75.0), GeoPoint(41.9101, -75.0), GeoPoint(42.0, -75.1209)):
        assert distance_km(centre, bearing_point) < 10.0
        assert box.contains(bearing_point)
    assert not box.contains(GeoPoint(42.2, -75.0))
    assert bounding_box(GeoPoint(89.99, 0.0), 50.0).min_lon == -180.0
