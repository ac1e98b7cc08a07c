"""Location: read and search over the community resource directory's places (no PHI; a bearer token is required).

Search: ``name`` (prefix, :exact, :contains), ``address`` (any part of an address), ``address-city``,
``address-state``, ``address-postalcode``, ``organization`` (``Organization/dir-<id>``), ``type`` (physical, postal,
virtual) and FHIR's special ``near=latitude|longitude|distance|units`` (units km, m, mi or [mi_i]; default 50 km
when no distance is given): the places within that great-circle distance, nearest first unless ``_sort`` says
otherwise. A place with no coordinates is never near anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from carecoord.common.errors import NotFound
from carecoord.directory.geo import GeoPoint, bounding_box, distance_km
from carecoord.directory.models import Location
from carecoord.fhir.exchange import FhirRequest, FhirResponse, versioned
from carecoord.fhir.interactions.organization import directory_key
from carecoord.fhir.mapping.directory import location_resource
from carecoord.fhir.outcome import bad_request
from carecoord.fhir.registry import COMMON_PARAMS, ResourceType, SearchParam
from carecoord.fhir.search import (
    FilterBuilder,
    SearchQuery,
    apply_criteria,
    date_condition,
    order,
    page,
    parse_query,
    reference_id,
    searchset,
    string_match,
    token,
)

NOTHING = Q(pk__in=[])
ADDRESS_PARTS = ("address_1", "address_2", "city", "region", "state_province", "postal_code")
DEFAULT_NEAR_KM = 50.0
_UNITS = {"km": 1.0, "m": 0.001, "mi": 1.609344, "[mi_i]": 1.609344}


@dataclass(frozen=True)
class Near:
    point: GeoPoint
    km: float


def parse_near(value: str, name: str = "near") -> Near:
    """``latitude|longitude|distance|units`` (distance and units optional; units km, m, mi or [mi_i])."""
    parts = value.split("|")
    if len(parts) < 2 or len(parts) > 4:
        raise bad_request(f"{name} is latitude|longitude|distance|units, not {value!r}.", expression=name)
    try:
        lat, lon = float(parts[0]), float(parts[1])
        distance = float(parts[2]) if len(parts) > 2 and parts[2] else None
    except ValueError:
        message = f"{name}: latitude, longitude and distance are numbers ({value!r})."
        raise bad_request(message, expression=name) from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (distance is not None and distance < 0):
        raise bad_request(f"{name}: {value!r} is not a point on the Earth with a distance.", expression=name)
    units = parts[3] if len(parts) > 3 and parts[3] else "km"
    if units not in _UNITS:
        raise bad_request(f"{name}: units are km, m, mi or [mi_i], not {units!r}.", expression=name)
    km = distance * _UNITS[units] if distance is not None else DEFAULT_NEAR_KM
    return Near(GeoPoint(lat, lon), km)


def near_condition(near: Near, lat_field: str = "latitude", lon_field: str = "longitude") -> Q:
    """The bounding box around the point (an index prefilter; the exact distance is checked after)."""
    box = bounding_box(near.point, near.km)
    return Q(
        **{
            f"{lat_field}__gte": box.min_lat,
            f"{lat_field}__lte": box.max_lat,
            f"{lon_field}__gte": box.min_lon,
            f"{lon_field}__lte": box.max_lon,
        }
    )


def within(near: Near, rows: QuerySet[Any], lat_field: str = "latitude", lon_field: str = "longitude") -> list[Any]:
    """Primary keys of ``rows`` inside the circle, nearest first (rows already in the bounding box)."""
    found = []
    for key, lat, lon in rows.values_list("pk", lat_field, lon_field):
        if lat is None or lon is None:
            continue
        distance = distance_km(near.point, GeoPoint(lat, lon))
        if distance <= near.km:
            found.append((distance, key))
    found.sort()
    return [key for _, key in found]


def near_of(query: SearchQuery, name: str = "near") -> tuple[Near | None, SearchQuery]:
    """The query's ``near`` (one value; repeated or ORed is a 400) and the query without it."""
    nears = [c for c in query.criteria if c.param.name == name]
    if not nears:
        return None, query
    if len(nears) > 1 or len(nears[0].values) > 1:
        raise bad_request(f"Give one {name} point.", expression=name)
    rest = SearchQuery(
        criteria=[c for c in query.criteria if c.param.name != name],
        count=query.count,
        offset=query.offset,
        sort=query.sort,
        kept=query.kept,
        includes=query.includes,
    )
    return parse_near(nears[0].values[0], name), rest


def with_details(rows: QuerySet[Location]) -> QuerySet[Location]:
    return rows.select_related("organization").prefetch_related("addresses", "phones", "schedules")


def read(request: FhirRequest, location_id: str) -> FhirResponse:
    request.authenticated_user  # noqa: B018 - a signed-in user is required
    found = with_details(Location.objects.filter(pk=int(location_id))).first() if location_id.isdigit() else None
    if found is None:
        raise NotFound(f"No location with id {location_id}.")
    return versioned(location_resource(found))


def _organization(_: str, value: str) -> Q:
    key = directory_key(reference_id(value, "Organization"))
    return Q(organization_id=key) if key is not None else NOTHING


def _type(_: str, value: str) -> Q:
    return Q(location_type=token(value)[1])


BUILDERS: dict[str, FilterBuilder] = {
    "_id": lambda _, v: Q(pk=int(v)) if v.isdigit() else NOTHING,
    "_lastUpdated": lambda _, v: date_condition("updated_at", v, name="_lastUpdated", aware=True),
    "name": string_match("name", "alternate_name"),
    "address": string_match(
        *(
            f"addresses__{part}"
            for part in ("address_1", "address_2", "city", "region", "state_province", "postal_code")
        )
    ),
    "address-city": string_match("addresses__city"),
    "address-state": string_match("addresses__state_province"),
    "address-postalcode": string_match("addresses__postal_code"),
    "organization": _organization,
    "type": _type,
}
_SORTS = {"name": ("name",), "_lastUpdated": ("updated_at",)}


def _in_order(rows: QuerySet[Location], ids: list[Any]) -> list[Location]:
    found = with_details(rows).in_bulk(ids)
    return [found[key] for key in ids]


def search(request: FhirRequest) -> FhirResponse:
    request.authenticated_user  # noqa: B018
    query = parse_query(request, RESOURCE)
    near, rest = near_of(query)
    rows = apply_criteria(Location.objects.all(), rest, BUILDERS)
    if any(c.param.name.startswith("address") for c in rest.criteria):
        rows = Location.objects.filter(pk__in=rows.values("pk"))  # one row per place, whatever its addresses
    if near is None:
        found, total = page(order(with_details(rows), query, _SORTS, ("name",)), query)
        resources = [location_resource(location) for location in found]
    else:
        ids = within(near, rows.filter(near_condition(near)))
        if query.sort:
            ids = list(order(rows.filter(pk__in=ids), query, _SORTS, ("name",)).values_list("pk", flat=True))
        total = len(ids)
        chosen = ids[query.offset : query.offset + query.count] if query.count else []
        resources = [location_resource(location) for location in _in_order(rows, chosen)]
    return FhirResponse(body=searchset(request, "Location", query, resources, total))


RESOURCE = ResourceType(
    name="Location",
    read=read,
    search=search,
    search_params=(
        SearchParam("name", "string", "Name or alternate name (prefix, :exact, :contains)"),
        SearchParam("address", "string", "Any part of an address (prefix, :exact, :contains)"),
        SearchParam("address-city", "string", "City"),
        SearchParam("address-state", "string", "State"),
        SearchParam("address-postalcode", "string", "Postal code"),
        SearchParam("organization", "reference", "The directory organization (Organization/dir-<id>)"),
        SearchParam("type", "token", "HSDS location type: physical, postal or virtual"),
        SearchParam(
            "near",
            "special",
            "latitude|longitude|distance|units (units km, m, mi or [mi_i]; default 50 km): places within that "
            "great-circle distance of the point, nearest first",
            definition="http://hl7.org/fhir/SearchParameter/Location-near",
        ),
        *COMMON_PARAMS,
    ),
    sorts=tuple(_SORTS),
    documentation="Places of the community resource directory (HSDS locations): address, position, phones, opening "
    "hours, the directory organization managing them; read-only.",
)
