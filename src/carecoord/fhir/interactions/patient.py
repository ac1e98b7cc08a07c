"""Patient: read, vread, history, search, create (conditional on identifier) and update with If-Match."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from django.db.models import Q, QuerySet
from fhir.resources.R4B.patient import Patient as PatientModel

from carecoord.accounts.queries import organization_exists, practitioner_exists
from carecoord.audit.models import AuditAction
from carecoord.common.errors import NotFound, ValidationFailed
from carecoord.common.text import digits, fold, name_tokens
from carecoord.fhir.exchange import FhirRequest, FhirResponse, versioned
from carecoord.fhir.mapping.patient import patient_resource
from carecoord.fhir.mapping.patient_input import PathMap, patient_data
from carecoord.fhir.outcome import FhirError, bad_request, domain_paths
from carecoord.fhir.registry import COMMON_PARAMS, ResourceType, SearchParam
from carecoord.fhir.search import (
    FilterBuilder,
    apply_criteria,
    audited_searchset,
    date_condition,
    order,
    page,
    parse_query,
    token,
)
from carecoord.patients.access import access_patient, access_patient_version, visible_patients
from carecoord.patients.actions import register_patient, update_patient
from carecoord.patients.data import CoverageData, PatientData
from carecoord.patients.models import (
    Patient,
    PatientAddress,
    PatientIdentifier,
    PatientNameToken,
    PatientPhone,
    PatientVersion,
)
from carecoord.patients.queries import prefix_filter


def _location(request: FhirRequest, snapshot: dict[str, Any]) -> str:
    return f"{request.base}/Patient/{snapshot['id']}/_history/{snapshot['version']}"


def read(request: FhirRequest, patient_id: str) -> FhirResponse:
    found = access_patient_version(request.authenticated_user, patient_id, None)
    return versioned(patient_resource(found.snapshot))


def vread(request: FhirRequest, patient_id: str, version_id: str) -> FhirResponse:
    if not version_id.isdigit() or int(version_id) < 1:
        raise NotFound(f"Person {patient_id} has no version {version_id}.")
    found = access_patient_version(request.authenticated_user, patient_id, int(version_id))
    return versioned(patient_resource(found.snapshot))


def history(request: FhirRequest, patient_id: str) -> FhirResponse:
    for name, _ in request.params:
        if name not in ("_count", "_format", "_pretty") and not request.lenient:
            raise bad_request(f"Unknown history parameter {name!r}.", expression=name, issue_code="not-supported")
    patient = access_patient(request.authenticated_user, patient_id, detail={"history": True})
    versions = PatientVersion.objects.filter(patient=patient).order_by("-version")
    count = dict(request.params).get("_count", "")
    rows = list(versions[: int(count)] if count.isdigit() else versions)
    entries = []
    for row in rows:
        resource = patient_resource(row.snapshot)
        created = row.change == "create"
        entries.append(
            {
                "fullUrl": f"{request.base}/Patient/{patient.pk}",
                "resource": resource,
                "request": {
                    "method": "POST" if created else "PUT",
                    "url": "Patient" if created else f"Patient/{patient.pk}",
                },
                "response": {
                    "status": "201 Created" if created else "200 OK",
                    "etag": f'W/"{row.version}"',
                    "lastModified": resource["meta"]["lastUpdated"],
                },
            }
        )
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "history",
        "total": versions.count() if count else len(rows),
        "link": [{"relation": "self", "url": f"{request.base}/Patient/{patient.pk}/_history"}],
    }
    if entries:
        bundle["entry"] = entries
    return FhirResponse(body=bundle)


def _check_references(data: PatientData, paths: PathMap) -> None:
    errors: dict[str, list[str]] = {}
    if data.primary_care_provider_id and not practitioner_exists(data.primary_care_provider_id):
        errors["Patient.generalPractitioner"] = [f"No Practitioner/{data.primary_care_provider_id} here."]
    if data.primary_care_organization_id and not organization_exists(data.primary_care_organization_id):
        errors.setdefault("Patient.generalPractitioner", []).append(
            f"No Organization/{data.primary_care_organization_id} here."
        )
    for index, ident in enumerate(data.identifiers):
        if ident.assigner_id and not organization_exists(ident.assigner_id):
            errors[f"{paths.expression(f'identifiers.{index}')}.assigner"] = [
                f"No Organization/{ident.assigner_id} here."
            ]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)


def _conditional_match(request: FhirRequest) -> FhirResponse | None:
    header = request.headers.get("if-none-exist", "")
    if not header:
        return None
    criteria = parse_qsl(header.removeprefix("?").split("?")[-1])
    if len(criteria) != 1 or criteria[0][0] != "identifier":
        raise bad_request(
            "If-None-Exist supports one identifier=system|value criterion.",
            expression="If-None-Exist",
            issue_code="not-supported",
        )
    system, value = token(criteria[0][1])
    matches = PatientIdentifier.objects.filter(value=value)
    if system is not None:
        matches = matches.filter(system=system)
    owners = list(matches.values_list("patient_id", flat=True).distinct()[:2])
    if len(owners) > 1:
        raise FhirError("If-None-Exist matches more than one person.", status=412, issue_code="multiple-matches")
    if not owners:
        return None
    return read(request, str(owners[0]))


def create(request: FhirRequest) -> FhirResponse:
    user = request.authenticated_user
    resource = request.resource("Patient", PatientModel)
    existing = _conditional_match(request)
    if existing is not None:
        return existing
    data, paths = patient_data(resource)
    with domain_paths(paths.expression):
        _check_references(data, paths)
        # A FHIR client cannot confirm "this is someone else" interactively; identifiers still must be free.
        registration = register_patient(data=data, by=user, confirm_not_duplicate=True)
    stored = PatientVersion.objects.get(patient=registration.patient, version=registration.patient.version)
    return versioned(patient_resource(stored.snapshot), status=201, location=_location(request, stored.snapshot))


def _keep_what_fhir_patient_does_not_carry(data: PatientData, patient: Patient) -> None:
    """Coverage is its own FHIR resource and contact notes are not in Patient.contact: keep them on update."""
    data.coverages = [
        CoverageData(
            payer_name=c.payer_name,
            member_id=c.member_id,
            plan_type=c.plan_type,
            payer_id=c.payer_id,
            start_date=c.start_date,
            end_date=c.end_date,
        )
        for c in patient.coverages.all()
    ]
    stored = {c.name.casefold(): c for c in patient.contacts.all()}
    for contact in data.contacts:
        previous = stored.get(contact.name.casefold())
        if previous is not None:
            contact.notes = previous.notes
            contact.is_caregiver = contact.is_caregiver or previous.is_caregiver


def update(request: FhirRequest, patient_id: str) -> FhirResponse:
    user = request.authenticated_user
    resource = request.resource("Patient", PatientModel)
    if resource.get("id") != patient_id:
        raise bad_request("The resource's id must equal the id in the URL.", expression="Patient.id")
    expected = request.if_match()
    patient = access_patient(user, patient_id, action=AuditAction.UPDATE)
    data, paths = patient_data(resource)
    with domain_paths(paths.expression):
        _check_references(data, paths)
        _keep_what_fhir_patient_does_not_carry(data, patient)
        changed = update_patient(patient=patient, data=data, by=user, expected_version=expected)
    stored = PatientVersion.objects.get(patient=changed, version=changed.version)
    return versioned(patient_resource(stored.snapshot), location=_location(request, stored.snapshot))


# --- search --------------------------------------------------------------------------------------------


def _name(modifier: str, value: str) -> Q:
    if modifier == "exact":
        return Q(family_name=value) | Q(given_names=value) | Q(preferred_name=value)
    if modifier == "contains":
        folded = fold(value)
        return Q(family_folded__contains=folded) | Q(given_folded__contains=folded)
    condition = Q()
    for part in name_tokens(value) or [""]:
        condition &= Q(pk__in=PatientNameToken.objects.filter(prefix_filter("token", part)).values("patient_id"))
    return condition


def _family(modifier: str, value: str) -> Q:
    if modifier == "exact":
        return Q(family_name=value)
    if modifier == "contains":
        return Q(family_folded__contains=fold(value))
    return prefix_filter("family_folded", fold(value))


def _given(modifier: str, value: str) -> Q:
    if modifier == "exact":
        return Q(given_names=value) | Q(given_names__startswith=f"{value} ")
    folded = fold(value)
    if modifier == "contains":
        return Q(given_folded__contains=folded)
    return prefix_filter("given_folded", folded) | Q(given_folded__contains=f" {folded}")


def _identifier(_: str, value: str) -> Q:
    system, code = token(value)
    matches = PatientIdentifier.objects.filter(value=code)
    if system is not None:
        matches = matches.filter(system=system)
    return Q(pk__in=matches.values("patient_id"))


def _telecom(_: str, value: str) -> Q:
    system, code = token(value)
    if "@" in code or system == "email":
        return Q(email__iexact=code)
    number = digits(code)[-10:]
    return Q(pk__in=PatientPhone.objects.filter(digits=number).values("patient_id")) if number else Q(pk__in=[])


def _postal(modifier: str, value: str) -> Q:
    rows = (
        PatientAddress.objects.filter(postal_code=value)
        if modifier == "exact"
        else (
            PatientAddress.objects.filter(postal_code__contains=value)
            if modifier == "contains"
            else PatientAddress.objects.filter(postal_code__startswith=value)
        )
    )
    return Q(pk__in=rows.values("patient_id"))


def _id(_: str, value: str) -> Q:
    from carecoord.accounts.queries import as_uuid

    key = as_uuid(value)
    return Q(pk=key) if key else Q(pk__in=[])


_BUILDERS: dict[str, FilterBuilder] = {
    "name": _name,
    "family": _family,
    "given": _given,
    "birthdate": lambda _, v: date_condition("birth_date", v, name="birthdate", aware=False),
    "identifier": _identifier,
    "telecom": _telecom,
    "gender": lambda _, v: Q(sex=token(v)[1]),
    "address-postalcode": _postal,
    "_id": _id,
    "_lastUpdated": lambda _, v: date_condition("updated_at", v, name="_lastUpdated", aware=True),
}
_SORTS: dict[str, tuple[str, ...]] = {
    "family": ("family_folded",),
    "given": ("given_folded",),
    "name": ("family_folded", "given_folded"),
    "birthdate": ("birth_date",),
    "_lastUpdated": ("updated_at",),
    "_id": ("id",),
}


def _current_snapshots(patients: list[Patient]) -> list[dict[str, Any]]:
    if not patients:
        return []
    wanted = Q()
    for patient in patients:
        wanted |= Q(patient_id=patient.pk, version=patient.version)
    by_patient = {row.patient_id: row.snapshot for row in PatientVersion.objects.filter(wanted)}
    return [by_patient[p.pk] for p in patients if p.pk in by_patient]


def search(request: FhirRequest) -> FhirResponse:
    user = request.authenticated_user
    query = parse_query(request, RESOURCE)
    rows: QuerySet[Patient] = apply_criteria(visible_patients(user), query, _BUILDERS)
    rows = order(rows, query, _SORTS, ("family_folded", "given_folded", "birth_date"))
    patients, total = page(rows.only("id", "version"), query)
    snapshots = _current_snapshots(patients)
    return audited_searchset(request, "Patient", query, [patient_resource(s) for s in snapshots], total)


RESOURCE = ResourceType(
    name="Patient",
    read=read,
    vread=vread,
    history_instance=history,
    search=search,
    create=create,
    update=update,
    conditional_create=True,
    search_params=(
        SearchParam("name", "string", "Any part of a legal or preferred name (prefix of each word)"),
        SearchParam("family", "string", "Family name (prefix, :exact, :contains)"),
        SearchParam("given", "string", "A given name (prefix, :exact, :contains)"),
        SearchParam("birthdate", "date", "Date of birth (prefixes eq, ne, lt, le, gt, ge, sa, eb)"),
        SearchParam("identifier", "token", "system|value of an identifier"),
        SearchParam("telecom", "token", "A phone number (any format) or email address"),
        SearchParam("gender", "token", "Administrative gender"),
        SearchParam("address-postalcode", "string", "ZIP code (prefix, :exact, :contains)"),
        *COMMON_PARAMS,
    ),
    sorts=tuple(_SORTS),
    documentation="People whose care is coordinated; search returns only people the user may see.",
)
