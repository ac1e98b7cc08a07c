"""POST /fhir with a transaction Bundle: how another system sends a community referral here (Gravity SDOH Clinical
Care IG, direct referral; the sending side is ``referrals/exchange.py``).

The Bundle holds one SDOHCC Task For Referral Management (``intent`` order, ``code`` fulfill, ``status``
requested), the ServiceRequest it fulfils (``focus``) and the Patient it is for (``for``, the ServiceRequest's
``subject``), each POSTed; references between them are the entries' ``fullUrl`` (``urn:uuid:...``) or
``<Type>/<id>`` of an entry's resource. ``Task.owner`` (or the ServiceRequest's first ``performer``) names the
organization here that is to do the work (``Organization/<id>``). From the ServiceRequest: the SDOH need (a
Gravity SDOHCC category code in ``category`` or ``reasonCode``), why (``reasonCode.text``, else ``code``'s text
or display), ``priority`` and ``note``. From the Patient only the minimum: name, date of birth, administrative
gender (unknown when absent), phones and preferred language. ``referrals.exchange.receive_referral`` matches or
registers the person and records the incoming referral; the answer is a transaction-response Bundle whose
entries say where each resource is (``Patient/<id>``, ``ServiceRequest/sdoh-<id>``, ``Task/referral-<id>``),
201 when made, 200 when the same Task (by its identifier) was received before.

Any other transaction is refused (422): this server takes transactions only to receive referrals.
"""

from __future__ import annotations

import datetime
from typing import Any

import orjson
from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError as PydanticError

from carecoord.accounts.queries import get_organization
from carecoord.fhir.exchange import FhirRequest, FhirResponse, structure_issues
from carecoord.fhir.mapping.community_referral import TASK_CODE, service_request_id, task_id
from carecoord.fhir.mapping.directory import need_systems
from carecoord.fhir.outcome import FhirError, bad_request, domain_paths
from carecoord.patients.data import PatientData, PhoneData
from carecoord.referrals.exchange import IncomingReferral, receive_referral, remote_moment
from carecoord.referrals.models import ReferralPriority

_PATHS = {
    "owner": "Task.owner",
    "priority": "ServiceRequest.priority",
    "reason": "ServiceRequest.reasonCode",
    "birth_date": "Patient.birthDate",
    "family_name": "Patient.name",
    "given_names": "Patient.name",
    "sex": "Patient.gender",
}


def _expression(field: str) -> str:
    return _PATHS.get(field.split(".")[0].split("[")[0], "Bundle")


def _refuse(message: str, expression: str = "Bundle") -> FhirError:
    return FhirError(message, status=422, issue_code="business-rule", expression=expression)


def _entries(request: FhirRequest) -> list[dict[str, Any]]:
    try:
        bundle = orjson.loads(request.body)
    except orjson.JSONDecodeError as error:
        raise bad_request(f"The body is not valid JSON: {error}", issue_code="structure") from None
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise bad_request("POST a Bundle to the base.", expression="resourceType", issue_code="structure")
    if bundle.get("type") != "transaction":
        raise _refuse("Only a transaction Bundle is taken at the base.", "Bundle.type")
    entries = bundle.get("entry") or []
    for index, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict) or "resourceType" not in resource:
            raise bad_request(
                "Each entry holds a resource.", expression=f"Bundle.entry[{index}]", issue_code="structure"
            )
        if (entry.get("request") or {}).get("method") != "POST":
            raise _refuse("Each entry of a referral is POSTed.", f"Bundle.entry[{index}].request.method")
        try:
            get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        except (KeyError, PydanticError) as error:
            issues = structure_issues(resource["resourceType"], error) if isinstance(error, PydanticError) else None
            raise FhirError(
                f"Bundle.entry[{index}] is not a FHIR R4 resource.", status=400, issue_code="structure", issues=issues
            ) from None
    return entries


def _find(entries: list[dict[str, Any]], reference: Any, resource_type: str, expression: str) -> dict[str, Any]:
    text = str((reference or {}).get("reference") or "")
    for entry in entries:
        resource = entry["resource"]
        if resource["resourceType"] != resource_type:
            continue
        if text and (text == entry.get("fullUrl") or text == f"{resource_type}/{resource.get('id')}"):
            return entry
    raise _refuse(f"{expression} must reference the {resource_type} of the Bundle.", expression)


def _one(entries: list[dict[str, Any]], resource_type: str) -> dict[str, Any]:
    found = [e for e in entries if e["resource"]["resourceType"] == resource_type]
    if len(found) != 1:
        raise _refuse(f"A referral Bundle holds one {resource_type} (found {len(found)}).")
    return found[0]


def _patient(resource: dict[str, Any]) -> PatientData:
    names = resource.get("name") or []
    name = next((n for n in names if n.get("use") in ("official", "usual")), names[0] if names else {})
    birth = None
    try:
        birth = datetime.date.fromisoformat(str(resource.get("birthDate") or ""))
    except ValueError:
        birth = None
    phones = [
        PhoneData(number=str(t.get("value")))
        for t in resource.get("telecom") or []
        if t.get("system") == "phone" and t.get("value")
    ]
    language = "en"
    for communication in resource.get("communication") or []:
        codes = [c.get("code") for c in (communication.get("language") or {}).get("coding") or [] if c.get("code")]
        if codes and (communication.get("preferred") or language == "en"):
            language = str(codes[0])
    return PatientData(
        family_name=str(name.get("family") or ""),
        given_names=" ".join(name.get("given") or []),
        birth_date=birth,
        sex=str(resource.get("gender") or "unknown"),
        preferred_language=language,
        phones=phones[:1],
    )


def _need(service_request: dict[str, Any]) -> str:
    concepts = [*(service_request.get("category") or []), *(service_request.get("reasonCode") or [])]
    for concept in concepts:
        for coding in concept.get("coding") or []:
            if coding.get("system") in need_systems() and coding.get("code") != "sdoh-category-unspecified":
                return str(coding.get("code"))
    return ""


def _text(concept: dict[str, Any] | None) -> str:
    concept = concept or {}
    codings = concept.get("coding") or []
    return str(concept.get("text") or next((c.get("display") for c in codings if c.get("display")), "") or "")


def _identifier(resource: dict[str, Any]) -> str:
    identifiers = resource.get("identifier") or []
    if identifiers:
        return str(identifiers[0].get("value") or "")
    return str(resource.get("id") or "")


def transaction(request: FhirRequest) -> FhirResponse:
    user = request.authenticated_user
    entries = _entries(request)
    task_entry = _one(entries, "Task")
    task = task_entry["resource"]
    codes = [c.get("code") for c in (task.get("code") or {}).get("coding") or [] if c.get("system") == TASK_CODE]
    if task.get("intent") != "order" or codes != ["fulfill"]:
        raise _refuse("The Task of a referral has intent order and code fulfill (task-code).", "Task.code")
    if task.get("status") != "requested":
        raise _refuse(f"A referral arrives requested, not {task.get('status')}.", "Task.status")
    request_entry = _find(entries, task.get("focus"), "ServiceRequest", "Task.focus")
    service_request = request_entry["resource"]
    patient_entry = _find(entries, task.get("for") or service_request.get("subject"), "Patient", "Task.for")
    if len(entries) != 3:
        raise _refuse("A referral Bundle holds the Task, its ServiceRequest and the Patient, nothing else.")
    owner = task.get("owner") or next(iter(service_request.get("performer") or []), None)
    owner_text = str((owner or {}).get("reference") or "")
    kind, _, key = owner_text.rpartition("/")
    target = get_organization(key) if kind.endswith("Organization") else None
    if target is None:
        raise _refuse("Task.owner must name an organization of this server (Organization/<id>).", "Task.owner")
    reasons = [_text(concept) for concept in service_request.get("reasonCode") or []]
    reason = "; ".join(r for r in reasons if r) or _text(service_request.get("code"))
    priority = str(service_request.get("priority") or task.get("priority") or ReferralPriority.ROUTINE)
    note = "\n".join(str(n.get("text") or "") for n in service_request.get("note") or [] if n.get("text"))
    incoming = IncomingReferral(
        patient=_patient(patient_entry["resource"]),
        target=target,
        target_display=str((owner or {}).get("display") or target.name),
        need=_need(service_request),
        reason=reason,
        note=note,
        priority=priority,
        remote_id=_identifier(task),
        remote_service_request_id=_identifier(service_request),
        authored_on=remote_moment(task.get("authoredOn")),
    )
    with domain_paths(_expression):
        referral, created = receive_referral(incoming=incoming, by=user)
    status = "201 Created" if created else "200 OK"
    where = {
        id(patient_entry): f"Patient/{referral.patient_id}",
        id(request_entry): f"ServiceRequest/{service_request_id(referral)}/_history/{referral.version}",
        id(task_entry): f"Task/{task_id(referral)}/_history/{referral.version}",
    }
    answer = [{"response": {"status": status, "location": where[id(entry)]}} for entry in entries]
    return FhirResponse(body={"resourceType": "Bundle", "type": "transaction-response", "entry": answer})
