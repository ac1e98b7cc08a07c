"""Consent: read, search and create (``consents.actions.record_consent``), through the person's access check.

A posted Consent needs ``category`` (one code of ``{base}/CodeSystem/consent-form``), ``patient``,
``dateTime`` (the day signed) and the status the form is recorded with (rejected for a DOH-5059 opt-out,
otherwise active). ``provision.actor`` references (Organization/<id>) are the partners, ``provision.period.end``
the expiry, ``provision.securityLabel`` (v3-ActCode 42CFRPart2, HIV) the labels released, and the extension
``part2-consent`` the 42 CFR Part 2 elements. ``performer`` says who signed: the person (Patient/<id>), a
contact (RelatedPerson/<id>: a parent or guardian, else a representative), a care manager (Practitioner/<id>,
for an opt-out), or a name alone (a representative).

A posted DOH-5058 is a withdrawal (``consents.actions.withdraw_consent``): from ``dateTime`` it ends every
information sharing consent the person has in force, ends Health Home enrollments and tells every partner.
Update (PUT) revokes a 42 CFR Part 2, HIV release or Medicare consent: the same resource with status
``inactive`` and ``provision.period.end`` the effective day (default today); nothing else may change, and a
sharing consent is withdrawn with a DOH-5058 instead. ``If-Match`` is honoured.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Q
from django.utils import timezone
from fhir.resources.R4B.consent import Consent as ConsentModel

from carecoord.accounts.models import Organization, User
from carecoord.accounts.queries import as_uuid, get_organization, get_practitioner
from carecoord.audit.models import AuditAction
from carecoord.common.errors import VersionConflict
from carecoord.consents.actions import ConsentData, record_consent, revoke_consent, withdraw_consent
from carecoord.consents.models import Consent, ConsentForm, ConsentPartner, ConsentStatus, SecurityLabel, SignerKind
from carecoord.fhir.exchange import FhirRequest, FhirResponse, versioned
from carecoord.fhir.interactions.organization import id_condition
from carecoord.fhir.interactions.scope import body_reference, not_kept, patient_condition, people
from carecoord.fhir.mapping.codes import LOINC
from carecoord.fhir.mapping.consent import (
    DENYING_FORMS,
    PART2_ELEMENTS,
    PATIENT_CONSENT,
    consent_resource,
    form_system,
    part2_url,
    status_for,
)
from carecoord.fhir.mapping.labels import V3_ACT_CODE
from carecoord.fhir.outcome import bad_request, domain_paths
from carecoord.fhir.registry import ResourceType, SearchParam
from carecoord.fhir.search import (
    FilterBuilder,
    apply_criteria,
    audited_searchset,
    date_condition,
    order,
    page,
    parse_query,
    reference_id,
    token,
)
from carecoord.patients.access import access_contact, access_patient
from carecoord.patients.models import ContactRelationship, Patient
from carecoord.programs.access import access_consent

_PATHS = {
    "form": "Consent.category",
    "signed_on": "Consent.dateTime",
    "expires_on": "Consent.provision.period.end",
    "signer_kind": "Consent.performer",
    "signer_name": "Consent.performer",
    "partners": "Consent.provision.actor",
    "released_labels": "Consent.provision.securityLabel",
    "verbal": "Consent.category",
}
_GUARDIANS = frozenset({ContactRelationship.PARENT, ContactRelationship.GUARDIAN})


def _expression(field: str) -> str:
    for url, name, _ in PART2_ELEMENTS:
        if name == field:
            return f"Consent.extension('{part2_url()}').extension('{url}')"
    return _PATHS.get(field, "Consent")


def read(request: FhirRequest, consent_id: str) -> FhirResponse:
    return versioned(consent_resource(access_consent(request.authenticated_user, consent_id)))


# --- create ------------------------------------------------------------------------------------------------------


def _date(value: Any, expression: str, *, required: bool = False) -> datetime.date | None:
    if not value:
        if required:
            raise bad_request(f"Give {expression}.", expression=expression, issue_code="required")
        return None
    try:
        return datetime.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise bad_request(f"{expression} must be a full date, not {value!r}.", expression=expression) from None


def _form(resource: dict[str, Any]) -> str:
    forms = [
        c.get("code")
        for concept in resource.get("category") or []
        for c in concept.get("coding") or []
        if c.get("system") == form_system()
    ]
    if len(forms) != 1:
        raise bad_request(f"Consent.category must hold one code of {form_system()}.", expression="Consent.category")
    if forms[0] not in ConsentForm.values:
        raise bad_request(
            f"Unknown consent form {forms[0]!r}.", expression="Consent.category", issue_code="code-invalid"
        )
    return str(forms[0])


def _partners(provision: dict[str, Any], base: str) -> list[Organization]:
    partners = []
    for index, actor in enumerate(provision.get("actor") or []):
        expression = f"Consent.provision.actor[{index}].reference"
        found = body_reference(actor.get("reference"), expression, ("Organization",), base)
        organization = get_organization(found[1]) if found else None
        if organization is None:
            raise bad_request(f"{expression} must reference an Organization known here.", expression=expression)
        partners.append(organization)
    return partners


def _labels(provision: dict[str, Any]) -> list[str]:
    labels = []
    for index, item in enumerate(provision.get("securityLabel") or []):
        if item.get("system") != V3_ACT_CODE or item.get("code") not in SecurityLabel.values:
            raise bad_request(
                f"A released label is a v3-ActCode code: {', '.join(SecurityLabel.values)}.",
                expression=f"Consent.provision.securityLabel[{index}]",
                issue_code="code-invalid",
            )
        labels.append(str(item["code"]))
    return labels


def _signer(resource: dict[str, Any], user: User, patient: Patient, base: str) -> tuple[str, str]:
    """(signer kind, signer name) from the first performer."""
    performers = resource.get("performer") or []
    if not performers:
        return SignerKind.PERSON, ""
    performer = performers[0]
    found = body_reference(performer, "Consent.performer[0]", ("Patient", "RelatedPerson", "Practitioner"), base)
    if found is None:
        name = str(performer.get("display") or "").strip()
        if not name:
            raise bad_request("Consent.performer[0] needs a reference or a name.", expression="Consent.performer[0]")
        return SignerKind.REPRESENTATIVE, name
    kind, key = found
    if kind == "Patient":
        if key != patient.pk:
            raise bad_request("Consent.performer[0] is another person.", expression="Consent.performer[0]")
        return SignerKind.PERSON, ""
    if kind == "RelatedPerson":
        contact = access_contact(user, key)
        if contact.patient_id != patient.pk:
            raise bad_request("Consent.performer[0] is another person's contact.", expression="Consent.performer[0]")
        return (SignerKind.GUARDIAN if contact.relationship in _GUARDIANS else SignerKind.REPRESENTATIVE), contact.name
    practitioner = get_practitioner(key)
    if practitioner is None:
        raise bad_request("Consent.performer[0] is not a Practitioner known here.", expression="Consent.performer[0]")
    return SignerKind.CARE_MANAGER, str(practitioner)


def _part2(resource: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for extension in resource.get("extension") or []:
        if extension.get("url") != part2_url():
            continue
        for part in extension.get("extension") or []:
            for url, name, kind in PART2_ELEMENTS:
                if part.get("url") == url and kind in part:
                    values[name] = part[kind]
    return values


def create(request: FhirRequest) -> FhirResponse:
    user = request.authenticated_user
    resource = request.resource("Consent", ConsentModel)
    form = _form(resource)
    if resource.get("status") != status_for(form):
        raise bad_request(
            f"A {form} is recorded with status {status_for(form)}.", expression="Consent.status", issue_code="value"
        )
    provision = resource.get("provision") or {}
    expected_type = "deny" if form in DENYING_FORMS else "permit"
    if provision.get("type", expected_type) != expected_type:
        raise bad_request(f"A {form} provision is {expected_type}.", expression="Consent.provision.type")
    subject = body_reference(resource.get("patient"), "Consent.patient", ("Patient",), request.base)
    if subject is None:
        raise bad_request("Consent.patient must reference Patient/<id>.", expression="Consent.patient")
    signed_on = _date(resource.get("dateTime"), "Consent.dateTime", required=True)
    assert signed_on is not None
    expires_on = _date((provision.get("period") or {}).get("end"), "Consent.provision.period.end")
    partners = _partners(provision, request.base)
    labels = _labels(provision)
    patient = access_patient(user, subject[1], action=AuditAction.CREATE, object_type="Consent")
    signer_kind, signer_name = _signer(resource, user, patient, request.base)
    if form == ConsentForm.DOH_5058:
        with domain_paths(_expression):
            withdrawal = withdraw_consent(
                patient=patient, signed_on=signed_on, by=user, signer_kind=signer_kind, signer_name=signer_name
            )
        return versioned(
            consent_resource(access_consent(user, withdrawal.pk)),
            status=201,
            location=f"{request.base}/Consent/{withdrawal.pk}",
        )
    data = ConsentData(
        form=form,
        signed_on=signed_on,
        partners=partners,
        signer_kind=signer_kind,
        signer_name=signer_name,
        expires_on=expires_on,
        released_labels=labels,
        **_part2(resource),
    )
    with domain_paths(_expression):
        consent = record_consent(patient=patient, data=data, by=user)
    return versioned(
        consent_resource(access_consent(user, consent.pk)),
        status=201,
        location=f"{request.base}/Consent/{consent.pk}",
    )


# --- update: revocation ------------------------------------------------------------------------------------------


def update(request: FhirRequest, consent_id: str) -> FhirResponse:
    user = request.authenticated_user
    resource = request.resource("Consent", ConsentModel)
    if resource.get("id") != consent_id:
        raise bad_request("The resource's id must equal the id in the URL.", expression="Consent.id")
    stored = access_consent(user, consent_id, action=AuditAction.UPDATE)
    expected = request.if_match()
    if expected is not None and expected != stored.version:
        raise VersionConflict(f"Consent/{consent_id} is at version {stored.version}, not {expected}.")
    if _form(resource) != stored.form:
        raise bad_request("The form of a recorded consent cannot change.", expression="Consent.category")
    if resource.get("status") == stored.status:
        return versioned(consent_resource(stored))  # nothing to change
    if resource.get("status") != ConsentStatus.INACTIVE:
        raise bad_request(
            "An update can only revoke a consent (status inactive); record a new consent for anything else.",
            expression="Consent.status",
            issue_code="business-rule",
        )
    if stored.form in (ConsentForm.DOH_5055, ConsentForm.DOH_5201):
        raise bad_request(
            "A Health Home sharing consent is withdrawn with a DOH-5058: POST a Consent of that form.",
            expression="Consent.status",
            issue_code="business-rule",
        )
    provision = resource.get("provision") or {}
    on = _date((provision.get("period") or {}).get("end"), "Consent.provision.period.end") or timezone.localdate()
    with domain_paths(_expression):
        revoke_consent(consent=stored, on=on, by=user)
    return versioned(consent_resource(access_consent(user, consent_id)))


# --- search ------------------------------------------------------------------------------------------------------


def _category(_: str, value: str) -> Q:
    system, code = token(value)
    if system in (None, LOINC) and code == PATIENT_CONSENT["code"]:
        return Q()
    return Q(form=code) if system in (None, form_system()) else Q(pk__in=[])


def _actor(_: str, value: str) -> Q:
    key = as_uuid(reference_id(value, "Organization"))
    if key is None:
        return Q(pk__in=[])
    return Q(pk__in=ConsentPartner.objects.filter(organization_id=key).values("consent_id"))


_BUILDERS: dict[str, FilterBuilder] = {
    "_id": id_condition,
    "_lastUpdated": not_kept,
    "patient": patient_condition,
    "status": lambda _, v: Q(status=token(v)[1]),
    "category": _category,
    "date": lambda _, v: date_condition("signed_on", v, name="date", aware=False),
    "actor": _actor,
}
_SORTS = {"date": ("signed_on",)}


def search(request: FhirRequest) -> FhirResponse:
    user = request.authenticated_user
    query = parse_query(request, RESOURCE)
    scope = people(user, query, "Consent")
    rows = apply_criteria(Consent.objects.filter(scope.condition(user)), query, _BUILDERS)
    rows = rows.select_related("organization", "recorded_by").prefetch_related("partners__organization")
    found, total = page(order(rows, query, _SORTS, ("-signed_on", "-recorded_at")), query)
    resources = [consent_resource(c) for c in found]
    return audited_searchset(request, "Consent", query, resources, total)


RESOURCE = ResourceType(
    name="Consent",
    read=read,
    search=search,
    create=create,
    update=update,
    search_params=(
        SearchParam("patient", "reference", "The person (Patient/<id>)"),
        SearchParam("status", "token", "active, rejected (opt-out) or inactive (withdrawn, revoked)"),
        SearchParam("category", "token", "Form code ({base}/CodeSystem/consent-form); LOINC 59284-0 matches all"),
        SearchParam("date", "date", "The day signed (prefixes eq, ne, lt, le, gt, ge, sa, eb)"),
        SearchParam("actor", "reference", "A partner organization on the consent (Organization/<id>)"),
        SearchParam("_id", "token", "Logical id of the resource"),
    ),
    sorts=tuple(_SORTS),
    documentation="Consent forms (NY Health Home DOH-5055, DOH-5201, DOH-5059, Medicare CCM, 42 CFR Part 2, NY "
    "HIV release). Create records a signed form, or a withdrawal (DOH-5058) that ends the person's sharing consents; "
    "update revokes a Part 2, HIV or Medicare consent (status inactive).",
)
