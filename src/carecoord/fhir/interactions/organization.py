"""Organization: read and search for any signed-in user (directory data, no PHI), over two kinds of record:

- the network's tenant organizations (``accounts.Organization``), with UUID ids;
- organizations listed in the community resource directory (``directory.ResourceOrganization``), with ids
  ``dir-<id>`` and ``type`` Community Group plus ``{base}/CodeSystem/organization-listing#directory``.

A read dispatches on the id. A search applies each parameter to both kinds (one that cannot hold for a kind leaves
it out: ``type=directory`` only the directory, ``type=prov`` only tenants, ``partof`` only tenants) and merges them
in name order (``fhir/merge.py``).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from carecoord.accounts.models import Organization, OrganizationType
from carecoord.accounts.queries import as_uuid, get_organization, list_organizations
from carecoord.common.errors import NotFound
from carecoord.directory.models import Location, ResourceOrganization
from carecoord.fhir.exchange import FhirRequest, FhirResponse, versioned
from carecoord.fhir.mapping.codes import NPI_SYSTEM, TAX_ID_SYSTEM
from carecoord.fhir.mapping.directory import (
    DIRECTORY_PREFIX,
    directory_organization_resource,
    listing_system,
    source_system,
)
from carecoord.fhir.mapping.organization import FHIR_TYPES, ORGANIZATION_TYPE_SYSTEM, organization_resource
from carecoord.fhir.merge import Kind, merged_page
from carecoord.fhir.registry import COMMON_PARAMS, ResourceType, SearchParam
from carecoord.fhir.search import (
    FilterBuilder,
    apply_criteria,
    date_condition,
    parse_query,
    reference_id,
    searchset,
    token,
)

NOTHING = Q(pk__in=[])


def directory_key(value: str) -> int | None:
    """The directory organization's primary key in ``dir-<id>``; None for any other id."""
    key = value.removeprefix(DIRECTORY_PREFIX) if value.startswith(DIRECTORY_PREFIX) else ""
    return int(key) if key.isdigit() and len(key) < 19 else None


def _directory_rows() -> QuerySet[ResourceOrganization]:
    return ResourceOrganization.objects.prefetch_related(
        "phones", Prefetch("locations", Location.objects.prefetch_related("addresses").order_by("pk"))
    )


def read(request: FhirRequest, organization_id: str) -> FhirResponse:
    request.authenticated_user  # noqa: B018 - a signed-in user is required
    if organization_id.startswith(DIRECTORY_PREFIX):
        key = directory_key(organization_id)
        listed = _directory_rows().filter(pk=key).first() if key is not None else None
        if listed is None:
            raise NotFound(f"No organization with id {organization_id}.")
        return versioned(directory_organization_resource(listed))
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
    system, code = token(value)
    if system == listing_system():
        return NOTHING
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


# --- the directory's organizations ----------------------------------------------------------------------------


def _directory_id(_: str, value: str) -> Q:
    key = directory_key(value)
    return Q(pk=key) if key is not None else NOTHING


def _directory_type(_: str, value: str) -> Q:
    system, code = token(value)
    if system in (None, listing_system()) and code == "directory":
        return Q()
    if system in (None, ORGANIZATION_TYPE_SYSTEM) and code == "cg":
        return Q()
    return NOTHING


def _directory_identifier(_: str, value: str) -> Q:
    system, code = token(value)
    if system is None:
        return Q(external_id=code) | Q(tax_id=code)
    if system == TAX_ID_SYSTEM:
        return Q(tax_id=code)
    prefix = source_system("")
    return Q(source=system.removeprefix(prefix), external_id=code) if system.startswith(prefix) else NOTHING


_DIRECTORY: dict[str, FilterBuilder] = {
    "_id": _directory_id,
    "name": _name,
    "type": _directory_type,
    "identifier": _directory_identifier,
    "active": lambda _, v: Q() if v == "true" else NOTHING,
    "partof": lambda _, v: NOTHING,
    "_lastUpdated": lambda _, v: date_condition("updated_at", v, name="_lastUpdated", aware=True),
}
_SORTS = {"name": "name", "_lastUpdated": "updated_at"}


def _tenants(ids: list[Any]) -> list[dict[str, Any]]:
    found = Organization.objects.in_bulk(ids)
    return [organization_resource(found[key]) for key in ids]


def _listed(ids: list[Any]) -> list[dict[str, Any]]:
    found = _directory_rows().in_bulk(ids)
    return [directory_organization_resource(found[key]) for key in ids]


def search(request: FhirRequest) -> FhirResponse:
    request.authenticated_user  # noqa: B018
    query = parse_query(request, RESOURCE)
    kinds = [
        Kind(0, apply_criteria(list_organizations(), query, _BUILDERS), _SORTS, _tenants),
        Kind(1, apply_criteria(ResourceOrganization.objects.all(), query, _DIRECTORY), _SORTS, _listed),
    ]
    resources, total = merged_page(kinds, query, [("name", False)])
    return FhirResponse(body=searchset(request, "Organization", query, resources, total))


RESOURCE = ResourceType(
    name="Organization",
    read=read,
    search=search,
    search_params=(
        SearchParam("name", "string", "Name (prefix, :exact, :contains)"),
        SearchParam(
            "type",
            "token",
            "organization-type code (prov, cg, pay), our type slug (cbo, hospital...), or directory "
            "({base}/CodeSystem/organization-listing): only organizations listed in the community resource directory",
        ),
        SearchParam(
            "identifier",
            "token",
            "NPI (http://hl7.org/fhir/sid/us-npi), tax id, or a directory listing's id in its source "
            "({base}/sid/directory/<source>|<id>)",
        ),
        SearchParam("active", "token", "true or false"),
        SearchParam("partof", "reference", "The parent organization"),
        *COMMON_PARAMS,
    ),
    sorts=("name", "_lastUpdated"),
    documentation="Participants in the network (UUID ids) and organizations listed in the community resource "
    "directory (ids dir-<id>, type directory); read-only over FHIR. A search returns both kinds merged in name "
    "order.",
)
