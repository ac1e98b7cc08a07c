"""PractitionerRole: read and search for any signed-in user (directory data, no PHI)."""

from __future__ import annotations

from django.db.models import Q

from carecoord.accounts.queries import as_uuid, get_practitioner_role, list_practitioner_roles
from carecoord.common.errors import NotFound
from carecoord.fhir.exchange import FhirRequest, FhirResponse, versioned
from carecoord.fhir.interactions.organization import id_condition
from carecoord.fhir.mapping.practitioner_role import practitioner_role_resource
from carecoord.fhir.registry import COMMON_PARAMS, ResourceType, SearchParam
from carecoord.fhir.search import (
    FilterBuilder,
    apply_criteria,
    date_condition,
    order,
    page,
    parse_query,
    reference_id,
    searchset,
    token,
)


def read(request: FhirRequest, role_id: str) -> FhirResponse:
    request.authenticated_user  # noqa: B018 - a signed-in user is required
    role = get_practitioner_role(role_id)
    if role is None:
        raise NotFound(f"No practitioner role with id {role_id}.")
    return versioned(practitioner_role_resource(role))


_BUILDERS: dict[str, FilterBuilder] = {
    "_id": id_condition,
    "practitioner": lambda _, v: Q(practitioner_id=as_uuid(reference_id(v, "Practitioner"))),
    "organization": lambda _, v: Q(organization_id=as_uuid(reference_id(v, "Organization"))),
    "role": lambda _, v: Q(code=token(v)[1]),
    "specialty": lambda _, v: Q(specialty__iexact=token(v)[1]),
    "active": lambda _, v: Q(active=v == "true"),
    "_lastUpdated": lambda _, v: date_condition("updated_at", v, name="_lastUpdated", aware=True),
}


def search(request: FhirRequest) -> FhirResponse:
    request.authenticated_user  # noqa: B018
    query = parse_query(request, RESOURCE)
    rows = apply_criteria(list_practitioner_roles(), query, _BUILDERS)
    found, total = page(order(rows, query, {"_lastUpdated": ("updated_at",)}, ("organization__name",)), query)
    resources = [practitioner_role_resource(r) for r in found]
    return FhirResponse(body=searchset(request, "PractitionerRole", query, resources, total))


RESOURCE = ResourceType(
    name="PractitionerRole",
    read=read,
    search=search,
    search_params=(
        SearchParam("practitioner", "reference", "Practitioner/<id>"),
        SearchParam("organization", "reference", "Organization/<id>"),
        SearchParam("role", "token", "Role code (e.g. care_manager, licensed_care_manager)"),
        SearchParam("specialty", "token", "Specialty (text match)"),
        SearchParam("active", "token", "true or false"),
        *COMMON_PARAMS,
    ),
    sorts=("_lastUpdated",),
    documentation="What practitioners do at which organization; read-only over FHIR.",
)
