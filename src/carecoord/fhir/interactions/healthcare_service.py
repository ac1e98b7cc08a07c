"""HealthcareService: read and search over the community resource directory's services (no PHI; a bearer token is
required). The mapping is ``mapping/directory.py``.

Search: ``name`` (the service's name or alternate name: prefix, :exact, :contains), ``service-category`` (an SDOH
need category: a Gravity SDOHCC category code such as ``food-insecurity``, with or without its system),
``service-type`` (a taxonomy term's code), ``organization`` (``Organization/dir-<id>``), ``location``
(``Location/<id>``), ``active`` (true: HSDS status active), ``language`` (a custom parameter: a BCP 47 code or a
language name the service or one of its places works in) and ``location.near`` (``latitude|longitude|distance|
units`` as Location's ``near``): services delivered at a place within that distance.

A search by these parameters alone (each once, ``name`` without ``:exact``, ``active`` only true, no ``_sort``) is
the directory's own search, ``directory.search.search_services``, the one the web pages use: ranked (needs and
terms met, name words, nearness, how recently the details were verified) and each service once. Any other search
(``location``, ``_id``, ``_lastUpdated``, ``active=false``, ``_sort``, repeated parameters, or none at all) filters the
records directly, in name order (nearest first with ``location.near``).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from carecoord.common.errors import NotFound
from carecoord.directory.models import Language, Location, Service, ServiceAtLocation, ServiceStatus
from carecoord.directory.search import ServiceQuery, search_services
from carecoord.fhir.exchange import FhirRequest, FhirResponse, versioned
from carecoord.fhir.interactions.location import Near, near_condition, near_of, within
from carecoord.fhir.interactions.organization import directory_key
from carecoord.fhir.mapping.directory import healthcare_service_resource, need_systems
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
NEAR = "location.near"


def with_details(rows: QuerySet[Service]) -> QuerySet[Service]:
    return rows.select_related("organization").prefetch_related(
        "taxonomy_terms",
        "phones",
        "languages",
        "schedules",
        "service_areas",
        "cost_options",
        Prefetch("at_locations", ServiceAtLocation.objects.select_related("location").order_by("pk")),
    )


def read(request: FhirRequest, service_id: str) -> FhirResponse:
    request.authenticated_user  # noqa: B018 - a signed-in user is required
    found = with_details(Service.objects.filter(pk=int(service_id))).first() if service_id.isdigit() else None
    if found is None:
        raise NotFound(f"No healthcare service with id {service_id}.")
    return versioned(healthcare_service_resource(found))


def _category(_: str, value: str) -> Q:
    system, code = token(value)
    if system not in (None, *need_systems()) or not code:
        return NOTHING
    return Q(pk__in=Service.objects.filter(taxonomy_terms__need_category=code).values("pk"))


def _type(_: str, value: str) -> Q:
    system, code = token(value)
    terms = Q(taxonomy_terms__code=code) | Q(taxonomy_terms__code="", taxonomy_terms__external_id=code)
    if system is not None:
        terms &= Q(taxonomy_terms__taxonomy=system)
    return Q(pk__in=Service.objects.filter(terms).values("pk"))


def _organization(_: str, value: str) -> Q:
    key = directory_key(reference_id(value, "Organization"))
    return Q(organization_id=key) if key is not None else NOTHING


def _location(_: str, value: str) -> Q:
    key = reference_id(value, "Location")
    if not key.isdigit():
        return NOTHING
    return Q(pk__in=ServiceAtLocation.objects.filter(location_id=int(key)).values("service_id"))


def _language(_: str, value: str) -> Q:
    code = token(value)[1]
    spoken = Q(code__iexact=code) | Q(name__iexact=code)
    languages = Language.objects.filter(spoken)
    at_places = ServiceAtLocation.objects.filter(location_id__in=languages.values("location_id")).values("service_id")
    return Q(pk__in=languages.values("service_id")) | Q(pk__in=at_places)


def _active(_: str, value: str) -> Q:
    if value not in ("true", "false"):
        return NOTHING
    active = Q(status=ServiceStatus.ACTIVE)
    return active if value == "true" else ~active


BUILDERS: dict[str, FilterBuilder] = {
    "_id": lambda _, v: Q(pk=int(v)) if v.isdigit() else NOTHING,
    "_lastUpdated": lambda _, v: date_condition("updated_at", v, name="_lastUpdated", aware=True),
    "name": string_match("name", "alternate_name"),
    "service-category": _category,
    "service-type": _type,
    "organization": _organization,
    "location": _location,
    "language": _language,
    "active": _active,
}
_SORTS = {"name": ("name",), "_lastUpdated": ("updated_at",)}


def _in_order(ids: list[Any]) -> list[Service]:
    found = with_details(Service.objects.all()).in_bulk(ids)
    return [found[key] for key in ids]


_SHARED = frozenset({"name", "service-category", "service-type", "organization", "language", "active"})


def directory_query(query: SearchQuery, near: Near | None) -> ServiceQuery | None:
    """The FHIR search as the directory's own search, when it says only what that search can (else None)."""
    rest = [c for c in query.criteria if c.param.name != NEAR]
    names = [c.param.name for c in rest]
    if query.sort or not (rest or near) or len(set(names)) != len(names) or not set(names) <= _SHARED:
        return None
    given = {c.param.name: c for c in rest}
    name = given.get("name")
    if name is not None and (name.modifier == "exact" or len(name.values) > 1):
        return None
    language = given.get("language")
    active = given.get("active")
    if (language is not None and len(language.values) > 1) or (active is not None and active.values != ("true",)):
        return None
    needs, terms, organizations = [], [], []
    for value in given["service-category"].values if "service-category" in given else ():
        system, code = token(value)
        if system not in (None, *need_systems()):
            return None
        needs.append(code)
    for value in given["service-type"].values if "service-type" in given else ():
        system, code = token(value)
        if system is not None:
            return None
        terms.append(code)
    for value in given["organization"].values if "organization" in given else ():
        key = directory_key(reference_id(value, "Organization"))
        if key is None:
            return None
        organizations.append(key)
    return ServiceQuery(
        needs=tuple(needs),
        taxonomy_terms=tuple(terms),
        organization_ids=tuple(organizations),
        name=name.values[0] if name is not None else "",
        language=token(language.values[0])[1] if language is not None else "",
        near=near.point if near is not None else None,
        radius_km=near.km if near is not None else None,
        include_inactive=active is None,
        limit=query.count,
        offset=query.offset,
        one_per_service=True,
    )


def search(request: FhirRequest) -> FhirResponse:
    request.authenticated_user  # noqa: B018
    query = parse_query(request, RESOURCE)
    near, rest = near_of(query, NEAR)
    shared = directory_query(query, near)
    if shared is not None:
        results = search_services(shared)
        resources = [healthcare_service_resource(s) for s in _in_order([hit.service.pk for hit in results.hits])]
        return FhirResponse(body=searchset(request, "HealthcareService", query, resources, results.total))
    rows = apply_criteria(Service.objects.all(), rest, BUILDERS)
    if near is None:
        found, total = page(order(with_details(rows), query, _SORTS, ("name",)), query)
        resources = [healthcare_service_resource(service) for service in found]
        return FhirResponse(body=searchset(request, "HealthcareService", query, resources, total))
    places = within(near, Location.objects.filter(near_condition(near)))
    rank = {key: position for position, key in enumerate(places)}
    offered = ServiceAtLocation.objects.filter(location_id__in=places, service__in=rows)
    nearest: dict[Any, int] = {}
    for service_id, location_id in offered.values_list("service_id", "location_id"):
        nearest[service_id] = min(nearest.get(service_id, len(rank)), rank[location_id])
    ids = sorted(nearest, key=lambda key: (nearest[key], key))
    if query.sort:
        ids = list(order(Service.objects.filter(pk__in=ids), query, _SORTS, ("name",)).values_list("pk", flat=True))
    chosen = ids[query.offset : query.offset + query.count] if query.count else []
    resources = [healthcare_service_resource(service) for service in _in_order(chosen)]
    return FhirResponse(body=searchset(request, "HealthcareService", query, resources, len(ids)))


RESOURCE = ResourceType(
    name="HealthcareService",
    read=read,
    search=search,
    search_params=(
        SearchParam("name", "string", "Name or alternate name (prefix, :exact, :contains)"),
        SearchParam(
            "service-category",
            "token",
            "SDOH need category met (Gravity SDOHCC category code, e.g. food-insecurity)",
        ),
        SearchParam("service-type", "token", "A taxonomy term's code (HealthcareService.type)"),
        SearchParam("organization", "reference", "The directory organization providing it (Organization/dir-<id>)"),
        SearchParam("location", "reference", "A place it is delivered at (Location/<id>)"),
        SearchParam("active", "token", "true: the service is active (HSDS status); false: any other status"),
        SearchParam(
            "language",
            "token",
            "A language the service or one of its places works in: BCP 47 code or name (custom SearchParameter "
            "on HealthcareService.communication)",
            definition="HealthcareService.communication",
        ),
        SearchParam(
            NEAR,
            "special",
            "latitude|longitude|distance|units (units km, m, mi or [mi_i]; default 50 km): services delivered at a "
            "place within that distance, nearest first (Location's near, through HealthcareService.location)",
        ),
        *COMMON_PARAMS,
    ),
    sorts=tuple(_SORTS),
    documentation="Services of the community resource directory (HSDS 3.0): SDOH need categories, taxonomy terms, "
    "provider, places, phones, hours and closures, eligibility, languages, fees, service areas; read-only.",
)
