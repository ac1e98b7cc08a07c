"""FHIR ServiceRequest and Task from a community referral (``referrals.Referral``), shaped as the Gravity SDOHCC
ServiceRequest and SDOHCC Task For Referral Management (STANDARDS.md D.2).

One referral is two resources: ``ServiceRequest/sdoh-<uuid>`` (what is asked) and ``Task/referral-<uuid>`` (its
state). The ids keep them apart from the program referrals (ServiceRequest, UUID ids) and care team tasks (Task,
UUID ids) served by the same types.

ServiceRequest: ``status`` from the Task's (draft → draft; requested, accepted, in progress → active; on hold →
on-hold; completed → completed; rejected, cancelled, failed → revoked; entered in error), ``intent`` order,
``category`` SNOMED 410606002 Social service procedure and the SDOH need (Gravity SDOHCC category code),
``code`` the directory service (text) with SNOMED 3457005 Patient referral, ``subject`` the person, ``requester``
the referring organization, ``performer`` the directory organization (``Organization/dir-<id>``) and the service
(``HealthcareService/<id>``), ``locationReference`` the chosen place, ``reasonCode`` the need with the reason as
text, ``supportingInfo`` the screening (QuestionnaireResponse) and the care plan goal, ``priority``, ``authoredOn``,
``occurrencePeriod.start`` when sent, ``note`` the note to the partner and how the person consented to share.

Task: ``status`` and ``statusReason.text``, ``intent`` order, ``code`` fulfill, ``focus`` the ServiceRequest,
``for`` the person, ``authoredOn``, ``lastModified``, ``requester`` the referring organization, ``owner`` the
organization asked to do the work (the partner tenant here when there is one, else the directory organization),
``executionPeriod`` accepted/started → closed, ``businessStatus`` the outcome (``{base}/CodeSystem/referral-outcome``
with the outcome note as text), ``output`` one ``resulting-activity`` per service delivered (SNOMED CT code when
known, the description and date as text), ``meta.versionId`` the referral's version.

What each side sees (minimum necessary): the referring side sees references to the person's chart; the
organization doing the work (a ``partner`` user) sees only what the referral shares: the person as a contained
Patient built from ``Referral.shared`` (``subject``/``for`` → ``#patient``), no screening or goal.
"""

from __future__ import annotations

from typing import Any

from carecoord.fhir.mapping.codes import SNOMED, base_url, coding
from carecoord.fhir.mapping.directory import directory_organization_id, need_coding
from carecoord.referrals.models import Referral, ReferralOutcome
from carecoord.referrals.states import ReferralStatus, Side

SR_PREFIX = "sdoh-"
TASK_PREFIX = "referral-"
SDOHCC = "http://hl7.org/fhir/us/sdoh-clinicalcare"
SDOHCC_CODES = f"{SDOHCC}/CodeSystem/SDOHCC-CodeSystemTemporaryCodes"
SERVICE_REQUEST_PROFILE = f"{SDOHCC}/StructureDefinition/SDOHCC-ServiceRequest"
TASK_PROFILE = f"{SDOHCC}/StructureDefinition/SDOHCC-TaskForReferralManagement"
TASK_CODE = "http://hl7.org/fhir/CodeSystem/task-code"
SOCIAL_SERVICE = coding(SNOMED, "410606002", "Social service procedure")
PATIENT_REFERRAL = coding(SNOMED, "3457005", "Patient referral")
RESULTING_ACTIVITY = coding(SDOHCC_CODES, "resulting-activity", "Resulting Activity")
S = ReferralStatus

SERVICE_REQUEST_STATUS: dict[str, str] = {
    S.DRAFT: "draft",
    S.REQUESTED: "active",
    S.ACCEPTED: "active",
    S.IN_PROGRESS: "active",
    S.ON_HOLD: "on-hold",
    S.COMPLETED: "completed",
    S.REJECTED: "revoked",
    S.CANCELLED: "revoked",
    S.FAILED: "revoked",
    S.ENTERED_IN_ERROR: "entered-in-error",
}


def outcome_system() -> str:
    return f"{base_url()}/CodeSystem/referral-outcome"


def service_request_id(referral: Referral) -> str:
    return f"{SR_PREFIX}{referral.pk}"


def task_id(referral: Referral) -> str:
    return f"{TASK_PREFIX}{referral.pk}"


def statuses_of_service_request(status: str) -> list[str]:
    return [ours for ours, theirs in SERVICE_REQUEST_STATUS.items() if theirs == status]


def _meta(referral: Referral, profile: str) -> dict[str, Any]:
    return {"versionId": str(referral.version), "lastUpdated": referral.updated_at.isoformat(), "profile": [profile]}


def shared_patient(referral: Referral) -> dict[str, Any]:
    """The person as the referral shares them (``Referral.shared``): the contained Patient a partner sees."""
    shared = referral.shared if isinstance(referral.shared, dict) else {}
    patient: dict[str, Any] = {"resourceType": "Patient", "id": "patient"}
    name = str(shared.get("name") or "").strip()
    if name:
        patient["name"] = [{"text": name}]
    telecom = []
    if shared.get("phone"):
        telecom.append({"system": "phone", "value": str(shared["phone"])})
    if shared.get("email"):
        telecom.append({"system": "email", "value": str(shared["email"])})
    if telecom:
        patient["telecom"] = telecom
    if shared.get("birth_date"):
        patient["birthDate"] = str(shared["birth_date"])
    if shared.get("address"):
        patient["address"] = [{"text": str(shared["address"])}]
    elif shared.get("zip"):
        patient["address"] = [{"postalCode": str(shared["zip"])}]
    if shared.get("language"):
        patient["communication"] = [{"language": {"text": str(shared["language"])}, "preferred": True}]
    return patient


def _person(referral: Referral, side: Side) -> dict[str, Any]:
    if side == Side.TARGET:
        return {"reference": "#patient", "display": referral.patient_name or "The person referred"}
    return {"reference": f"Patient/{referral.patient_id}"}


def _requester(referral: Referral) -> dict[str, Any]:
    reference: dict[str, Any] = {
        "reference": f"Organization/{referral.referring_organization_id}",
        "display": referral.requester_display or referral.referring_organization.name,
    }
    return reference


def _owner(referral: Referral) -> dict[str, Any]:
    if referral.target_organization_id is not None:
        return {"reference": f"Organization/{referral.target_organization_id}", "display": referral.target_display}
    if referral.target_directory_organization_id is not None:
        return {
            "reference": f"Organization/{directory_organization_id(referral.target_directory_organization_id)}",
            "display": referral.target_display,
        }
    return {"display": referral.target_display}


def _identifiers(referral: Referral, remote_id: str, kind: str) -> list[dict[str, Any]]:
    found = [{"system": f"{base_url()}/sid/community-referral", "value": str(referral.pk)}]
    if referral.remote_base_url and remote_id:
        found.append({"system": f"{referral.remote_base_url}/{kind}", "value": remote_id})
    return found


def service_request_resource(referral: Referral, side: Side) -> dict[str, Any]:
    """The SDOHCC ServiceRequest as ``side`` sees it (the referring organization loaded)."""
    resource: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": service_request_id(referral),
        "meta": _meta(referral, SERVICE_REQUEST_PROFILE),
    }
    if side == Side.TARGET:
        resource["contained"] = [shared_patient(referral)]
    resource["identifier"] = _identifiers(referral, referral.remote_service_request_id, "ServiceRequest")
    resource["status"] = SERVICE_REQUEST_STATUS.get(referral.status, "unknown")
    resource["intent"] = "order"
    categories: list[dict[str, Any]] = [{"coding": [SOCIAL_SERVICE]}]
    if referral.need:
        categories.append({"coding": [need_coding(referral.need)]})
    resource["category"] = categories
    resource["priority"] = referral.priority
    resource["code"] = {"coding": [PATIENT_REFERRAL], "text": referral.target_display}
    resource["subject"] = _person(referral, side)
    resource["occurrencePeriod"] = {"start": referral.authored_on.isoformat()}
    resource["authoredOn"] = referral.authored_on.isoformat()
    resource["requester"] = _requester(referral)
    performers = []
    if referral.target_directory_organization_id is not None:
        performers.append(
            {
                "reference": f"Organization/{directory_organization_id(referral.target_directory_organization_id)}",
                "display": referral.target_display,
            }
        )
    elif referral.target_organization_id is not None:
        performers.append({"reference": f"Organization/{referral.target_organization_id}"})
    if referral.service_id is not None:
        performers.append({"reference": f"HealthcareService/{referral.service_id}"})
    if performers:
        resource["performer"] = performers
    if referral.location_id is not None:
        resource["locationReference"] = [{"reference": f"Location/{referral.location_id}"}]
    reason: dict[str, Any] = {"text": referral.reason} if referral.reason else {}
    if referral.need:
        reason["coding"] = [need_coding(referral.need)]
    if reason:
        resource["reasonCode"] = [reason]
    if side == Side.REQUESTER:
        supporting = []
        if referral.screening_id is not None:
            supporting.append({"reference": f"QuestionnaireResponse/{referral.screening_id}"})
        if referral.goal_id is not None:
            supporting.append({"reference": f"Goal/{referral.goal_id}"})
        if supporting:
            resource["supportingInfo"] = supporting
    notes = []
    if referral.note_to_partner:
        notes.append({"text": referral.note_to_partner})
    if referral.consent_method:
        consent = f"The person consented ({referral.get_consent_method_display().lower()}) to share: "
        consent += ", ".join(sorted(referral.shared)) if referral.shared else "nothing beyond the referral"
        notes.append({"text": consent + (f". {referral.consent_note}" if referral.consent_note else ".")})
    if notes:
        resource["note"] = notes
    return resource


def task_resource(referral: Referral, side: Side) -> dict[str, Any]:
    """The SDOHCC Task For Referral Management as ``side`` sees it (activities loaded)."""
    resource: dict[str, Any] = {"resourceType": "Task", "id": task_id(referral), "meta": _meta(referral, TASK_PROFILE)}
    if side == Side.TARGET:
        resource["contained"] = [shared_patient(referral)]
    resource["identifier"] = _identifiers(referral, referral.remote_task_id, "Task")
    resource["status"] = referral.status
    if referral.status_reason:
        resource["statusReason"] = {"text": referral.status_reason}
    if referral.outcome:
        label = str(ReferralOutcome(referral.outcome).label)
        resource["businessStatus"] = {
            "coding": [coding(outcome_system(), referral.outcome, label)],
            "text": referral.outcome_note or label,
        }
    resource["intent"] = "order"
    resource["priority"] = referral.priority
    resource["code"] = {"coding": [coding(TASK_CODE, "fulfill", "Fulfill the focal request")]}
    resource["focus"] = {"reference": f"ServiceRequest/{service_request_id(referral)}"}
    resource["for"] = _person(referral, side)
    started = referral.started_at or referral.accepted_at
    if started is not None or referral.closed_at is not None:
        period: dict[str, str] = {}
        if started is not None:
            period["start"] = started.isoformat()
        if referral.closed_at is not None:
            period["end"] = referral.closed_at.isoformat()
        resource["executionPeriod"] = period
    resource["authoredOn"] = referral.authored_on.isoformat()
    resource["lastModified"] = referral.updated_at.isoformat()
    resource["requester"] = _requester(referral)
    resource["owner"] = _owner(referral)
    outputs = []
    for activity in referral.activities.all():
        concept: dict[str, Any] = {"text": f"{activity.performed_on.isoformat()}: {activity.description}"}
        if activity.code:
            concept["coding"] = [coding(SNOMED, activity.code)]
        outputs.append({"type": {"coding": [RESULTING_ACTIVITY]}, "valueCodeableConcept": concept})
    if outputs:
        resource["output"] = outputs
    return resource
