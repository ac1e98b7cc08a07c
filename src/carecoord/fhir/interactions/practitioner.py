"""Practitioner: read and search for any signed-in user (directory data, no PHI)."""

from __future__ import annotations

from django.db.models import Q

from carecoord.accounts.queries import get_practitioner, list_practitioners
from carecoord.common.errors import NotFound
from carecoord.fhir.exchange import FhirRequest, FhirResponse, versioned
from carecoord.fhir.interactions.organization import id_condition
from carecoord.fhir.mapping.codes import NPI_SYSTEM, username_system
from carecoord.fhir.mapping.practitioner import practitioner_resource
from carecoord.fhir.registry import COMMON_PARAMS, ResourceType, SearchParam
from carecoord.fhir.search import (
    FilterBuilder,
    apply_criteria,
    date_condition,
    order,
    page,
    parse_query,
    searchset,
    token,
)


def read(request: FhirRequest, practitioner_id: str) -> FhirResponse:
    request.authenticated_user  # noqa: B018 - a signed-in user is required
    practitioner = get_practitioner(practitioner_id)
    if practitioner is None:
        raise NotFound(f"No practitioner with id {practitioner_id}.")
    username = practitioner.user.username if practitioner.user_id and practitioner.user else None
    return versioned(practitioner_resource(practitioner, username=username))


def _string(field_name: str) -> FilterBuilder:
    def build(modifier: str, value: str) -> Q:
        if modifier == "exact":
            return Q(**{field_name: value})
        lookup = "icontains" if modifier == "contains" else "istartswith"
        return Q(**{f"{field_name}__{lookup}": value})

    return build


def _identifier(_: str, value: str) -> Q:
    system, code = token(value)
    if system == username_system():
        return Q(user__username=code)
    return Q(npi=code) if system in (None, NPI_SYSTEM) else Q(pk__in=[])


_BUILDERS: dict[str, FilterBuilder] = {
    "_id": id_condition,
    "name": lambda m, v: _string("family_name")(m, v) | _string("given_name")(m, v),
    "family": _string("family_name"),
    "given": _string("given_name"),
    "identifier": _identifier,
    "active": lambda _, v: Q(active=v == "true"),
    "_lastUpdated": lambda _, v: date_condition("updated_at", v, name="_lastUpdated", aware=True),
}


def search(request: FhirRequest) -> FhirResponse:
    request.authenticated_user  # noqa: B018
    query = parse_query(request, RESOURCE)
    rows = apply_criteria(list_practitioners().select_related("user"), query, _BUILDERS)
    sorts = {"family": ("family_name",), "given": ("given_name",), "_lastUpdated": ("updated_at",)}
    found, total = page(order(rows, query, sorts, ("family_name", "given_name")), query)
    resources = [practitioner_resource(p, username=p.user.username if p.user else None) for p in found]
    return FhirResponse(body=searchset(request, "Practitioner", query, resources, total))


RESOURCE = ResourceType(
    name="Practitioner",
    read=read,
    search=search,
    search_params=(
        SearchParam("name", "string", "Family or given name (prefix, :exact, :contains)"),
        SearchParam("family", "string", "Family name"),
        SearchParam("given", "string", "Given name"),
        SearchParam("identifier", "token", "NPI (http://hl7.org/fhir/sid/us-npi) or staff username"),
        SearchParam("active", "token", "true or false"),
        *COMMON_PARAMS,
    ),
    sorts=("family", "given", "_lastUpdated"),
    documentation="Clinicians and staff known to the network; read-only over FHIR.",
)
