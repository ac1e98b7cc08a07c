"""Organization: read and search for any signed-in user (directory data, no PHI)."""

from __future__ import annotations

from django.db.models import Q

from carecoord.accounts.models import OrganizationType
from carecoord.accounts.queries import as_uuid, get_organization, list_organizations
from carecoord.common.errors import NotFound
from carecoord.fhir.exchange import FhirRequest, FhirResponse, versioned
from carecoord.fhir.mapping.codes import NPI_SYSTEM, TAX_ID_SYSTEM
from carecoord.fhir.mapping.organization import FHIR_TYPES, organization_resource
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


def read(request: FhirRequest, organization_id: str) -> FhirResponse:
    request.authenticated_user  # noqa: B018 - a signed-in user is required
    organization = get_organization(organization_id)
    if organization is None:
        raise NotFound(f"No organization with id {organization_id}.")
    return versioned(organization_resource(organization))


def id_condition(_: str, value: str) -> Q:
    key = as_uuid(value)
    return Q(pk=key) if key else Q(pk__in=[])


def _name(modifier: str, value: str) -> Q:
    if modifier == "exact":
        return Q(name=value)
    return Q(name__icontains=value) if modifier == "contains" else Q(name__istartswith=value)


def _type(_: str, value: str) -> Q:
    code = token(value)[1]
    if code in OrganizationType.values:
        return Q(type=code)
    return Q(type__in=[ours for ours, (fhir_code, _) in FHIR_TYPES.items() if fhir_code == code])


def _identifier(_: str, value: str) -> Q:
    system, code = token(value)
    if system is None:
        return Q(npi=code) | Q(tax_id=code)
    if system == NPI_SYSTEM:
        return Q(npi=code)
    return Q(tax_id=code) if system == TAX_ID_SYSTEM else Q(pk__in=[])


_BUILDERS: dict[str, FilterBuilder] = {
    "_id": id_condition,
    "name": _name,
    "type": _type,
    "identifier": _identifier,
    "active": lambda _, v: Q(active=v == "true"),
    "partof": lambda _, v: Q(part_of_id=as_uuid(reference_id(v, "Organization"))),
    "_lastUpdated": lambda _, v: date_condition("updated_at", v, name="_lastUpdated", aware=True),
}


def search(request: FhirRequest) -> FhirResponse:
    request.authenticated_user  # noqa: B018
    query = parse_query(request, RESOURCE)
    rows = apply_criteria(list_organizations(), query, _BUILDERS)
    found, total = page(order(rows, query, {"name": ("name",), "_lastUpdated": ("updated_at",)}, ("name",)), query)
    return FhirResponse(
        body=searchset(request, "Organization", query, [organization_resource(o) for o in found], total)
    )


RESOURCE = ResourceType(
    name="Organization",
    read=read,
    search=search,
    search_params=(
        SearchParam("name", "string", "Name (prefix, :exact, :contains)"),
        SearchParam("type", "token", "organization-type code (prov, cg, pay) or our type slug (cbo, hospital...)"),
        SearchParam("identifier", "token", "NPI (http://hl7.org/fhir/sid/us-npi) or tax id"),
        SearchParam("active", "token", "true or false"),
        SearchParam("partof", "reference", "The parent organization"),
        *COMMON_PARAMS,
    ),
    sorts=("name", "_lastUpdated"),
    documentation="Participants in the network; read-only over FHIR.",
)
