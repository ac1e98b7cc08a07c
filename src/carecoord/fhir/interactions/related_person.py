"""RelatedPerson: read and search, always through the person's access check."""

from __future__ import annotations

from django.db.models import Q

from carecoord.accounts.models import User
from carecoord.accounts.queries import as_uuid
from carecoord.audit.actions import record
from carecoord.audit.models import AuditAction
from carecoord.common.errors import NotFound
from carecoord.fhir.exchange import FhirRequest, FhirResponse, versioned
from carecoord.fhir.mapping.related_person import related_person_resource
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
)
from carecoord.patients.access import access_contact, access_patient, visible_patients
from carecoord.patients.models import PatientContact


def read(request: FhirRequest, contact_id: str) -> FhirResponse:
    return versioned(related_person_resource(access_contact(request.authenticated_user, contact_id)))


def _id(_: str, value: str) -> Q:
    key = as_uuid(value)
    return Q(pk=key) if key else Q(pk__in=[])


def _name(modifier: str, value: str) -> Q:
    if modifier == "exact":
        return Q(name=value)
    return Q(name__icontains=value) if modifier == "contains" else Q(name__istartswith=value)


_BUILDERS: dict[str, FilterBuilder] = {
    "_id": _id,
    "name": _name,
    "_lastUpdated": lambda _, v: date_condition("updated_at", v, name="_lastUpdated", aware=True),
    "patient": lambda _, v: Q(),  # resolved through access_patient below
}


def _accessible(user: User, patient_id: str) -> object:
    """The person's id if the user may see them (403 if not); None for nobody, so the search finds nothing."""
    try:
        return access_patient(user, patient_id, action=AuditAction.SEARCH, object_type="RelatedPerson").pk
    except NotFound:
        return None


def search(request: FhirRequest) -> FhirResponse:
    user = request.authenticated_user
    query = parse_query(request, RESOURCE)
    patients = [reference_id(v, "Patient") for c in query.criteria if c.param.name == "patient" for v in c.values]
    if patients:
        allowed = [_accessible(user, p) for p in patients]
        rows = PatientContact.objects.filter(patient_id__in=allowed)
    else:
        rows = PatientContact.objects.filter(patient__in=visible_patients(user))
    rows = apply_criteria(rows, query, _BUILDERS)
    contacts, total = page(order(rows, query, {"name": ("name",)}, ("patient_id", "name")), query)
    if not patients:
        record(
            by=user,
            action=AuditAction.SEARCH,
            object_type="RelatedPerson",
            detail={"query": request.query_string[:500], "total": total, "results": [str(c.pk) for c in contacts]},
        )
    resources = [related_person_resource(c) for c in contacts]
    return FhirResponse(body=searchset(request, "RelatedPerson", query, resources, total))


RESOURCE = ResourceType(
    name="RelatedPerson",
    read=read,
    search=search,
    search_params=(
        SearchParam("patient", "reference", "The person this is a contact of (Patient/<id>)"),
        SearchParam("name", "string", "The contact's name (prefix, :exact, :contains)"),
        *COMMON_PARAMS,
    ),
    sorts=("name",),
    documentation="A person's caregivers, family members and health care agents (read-only here).",
)
