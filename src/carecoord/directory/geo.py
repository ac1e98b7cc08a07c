"""Offline geography for the directory: US ZIP code centroids and great-circle distances.

ZIP centroids come from the ``zipcodes`` package, which ships its data inside the wheel (no network, no database).
Distances are haversine on a sphere of the Earth's mean radius: good to well under 1% at the distances a person
travels to a service.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass

import zipcodes

EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE_LATITUDE = math.pi * EARTH_RADIUS_KM / 180.0
_ZIP = re.compile(r"^\s*(\d{5})(?:-?\d{4})?\s*$")


@dataclass(frozen=True)
class GeoPoint:
    """A point on the Earth in decimal degrees (WGS 84)."""

    lat: float
    lon: float


@dataclass(frozen=True)
class BoundingBox:
    """The latitude/longitude rectangle that holds every point within a radius of a centre (for an index prefilter)."""

    min_lat: float
    max_lat: float
    min_lon: float
    max_lon: float

    def contains(self, point: GeoPoint) -> bool:
        return self.min_lat <= point.lat <= self.max_lat and self.min_lon <= point.lon <= self.max_lon


@dataclass(frozen=True)
class ZipPlace:
    """What the offline table knows of a ZIP code."""

    zip5: str
    point: GeoPoint
    city: str
    state: str
    county: str


def normalize_zip(text: str) -> str:
    """The five-digit ZIP of ``text`` ("10027", "10027-1234", " 100271234 "), or '' when it is not a ZIP."""
    match = _ZIP.match(text or "")
    return match.group(1) if match else ""


@functools.lru_cache(maxsize=4096)
def zip_place(zip_code: str) -> ZipPlace | None:
    """The ZIP's centroid, city, state and county; None for text that is not a ZIP or a ZIP the table lacks."""
    zip5 = normalize_zip(zip_code)
    if not zip5:
        return None
    rows = zipcodes.matching(zip5)
    if not rows:
        return None
    row = rows[0]
    try:
        point = GeoPoint(float(row["lat"]), float(row["long"]))
    except (KeyError, TypeError, ValueError):
        return None
    return ZipPlace(zip5, point, str(row.get("city", "")), str(row.get("state", "")), str(row.get("county", "")))


def zip_point(zip_code: str) -> GeoPoint | None:
    """The centroid of a US ZIP code (ZIP+4 accepted), or None when it is not a known ZIP."""
    place = zip_place(zip_code)
    return place.point if place else None


def state_zip_places(state: str) -> list[ZipPlace]:
    """Every ZIP of a state (two-letter code) with its centroid, in ZIP order."""
    places = []
    for row in zipcodes.filter_by(state=state.upper()):
        try:
            point = GeoPoint(float(row["lat"]), float(row["long"]))
        except (KeyError, TypeError, ValueError):
            continue
        places.append(ZipPlace(row["zip_code"], point, row["city"], row["state"], row["county"]))
    return sorted(places, key=lambda place: place.zip5)


def distance_km(a: GeoPoint, b: GeoPoint) -> float:
    """Great-circle (haversine) distance between two points in kilometres."""
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    dlat = lat2 - lat1
    dlon = math.radians(b.lon - a.lon)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def bounding_box(point: GeoPoint, radius_km: float) -> BoundingBox:
    """The rectangle holding every point within ``radius_km`` of ``point`` (a little larger, never smaller).

    Longitude degrees shrink towards the poles: the span is taken at the box's latitude nearest a pole. Near a pole
    or across the antimeridian the box widens to every longitude rather than wrap."""
    radius = max(0.0, radius_km)
    dlat = radius / KM_PER_DEGREE_LATITUDE
    min_lat, max_lat = max(-90.0, point.lat - dlat), min(90.0, point.lat + dlat)
    widest = max(abs(min_lat), abs(max_lat))
    cos_lat = math.cos(math.radians(widest))
    if cos_lat < 1e-6:
        return BoundingBox(min_lat, max_lat, -180.0, 180.0)
    dlon = radius / (KM_PER_DEGREE_LATITUDE * cos_lat)
    min_lon, max_lon = point.lon - dlon, point.lon + dlon
    if dlon >= 180.0 or min_lon < -180.0 or max_lon > 180.0:
        return BoundingBox(min_lat, max_lat, -180.0, 180.0)
    return BoundingBox(min_lat, max_lat, min_lon, max_lon)


STATE_NAMES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California", "CO": "Colorado",
    "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia", "FL": "Florida", "GA": "Georgia",
    "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana", "IA": "Iowa", "KS": "Kansas",
    "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan",
    "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
    "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York", "NC": "North Carolina",
    "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania",
    "PR": "Puerto Rico", "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee",
    "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia", "WA": "Washington", "WV": "West Virginia",
    "WI": "Wisconsin", "WY": "Wyoming",
}  # fmt: skip
