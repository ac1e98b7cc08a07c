"""FHIR ServiceRequest from a program referral: a request that an organization take a person into a program.

Status (our referral status has a decision; ServiceRequest has none, so the decision is also an extension):

=========== ================== ==========================================================================
ours        ServiceRequest      why
=========== ================== ==========================================================================
pending     active              the request stands, waiting for the receiving organization
accepted    completed           what was asked is done: the organization took the person on (an assignment
                                segment starts; the episode itself is an EpisodeOfCare)
rejected    revoked             the request ended without being carried out; the reason is a ``note``
cancelled   revoked             likewise, withdrawn by the sender
=========== ================== ==========================================================================

The extension ``{base}/StructureDefinition/referral-decision`` carries our status (pending, accepted, rejected,
cancelled) so rejected and cancelled stay apart; ``referral-source`` carries the ReferralSource code.
``requester`` is the referring organization (or the referrer's name), ``performer`` the receiving one, and
``code`` the program. A labelled referral carries its labels and, when disclosed, NORDSLCD and the notices as
narrative and notes (``labels.py``).
"""

from __future__ import annotations

from typing import Any

from carecoord.fhir.mapping.codes import SNOMED, base_url, coding
from carecoord.fhir.mapping.episode_of_care import program_system
from carecoord.fhir.mapping.labels import label
from carecoord.programs.access import Labelled
from carecoord.programs.models import ProgramReferral, ReferralStatus

FHIR_STATUS: dict[str, str] = {
    ReferralStatus.PENDING: "active",
    ReferralStatus.ACCEPTED: "completed",
    ReferralStatus.REJECTED: "revoked",
    ReferralStatus.CANCELLED: "revoked",
}
REFERRAL = coding(SNOMED, "3457005", "Patient referral")


def our_statuses(fhir_status: str) -> list[str]:
    return [ours for ours, theirs in FHIR_STATUS.items() if theirs == fhir_status]


def decision_url() -> str:
    return f"{base_url()}/StructureDefinition/referral-decision"


def source_url() -> str:
    return f"{base_url()}/StructureDefinition/referral-source"


def service_request_resource(shown: Labelled) -> dict[str, Any]:
    referral = shown.item
    assert isinstance(referral, ProgramReferral)
    resource: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": str(referral.pk),
        "meta": {"versionId": str(referral.version)},
    }
    label(resource, shown.labels, shown.notices)
    resource["extension"] = [
        {"url": decision_url(), "valueCode": referral.status},
        {"url": source_url(), "valueCode": referral.source},
    ]
    resource["status"] = FHIR_STATUS.get(referral.status, "unknown")
    resource["intent"] = "order"
    resource["category"] = [{"coding": [REFERRAL]}]
    resource["code"] = {
        "coding": [coding(program_system(), referral.program_id, referral.program.name)],
        "text": referral.program.name,
    }
    resource["subject"] = {"reference": f"Patient/{referral.patient_id}"}
    resource["authoredOn"] = referral.received_at.isoformat()
    if referral.referring_organization_id and referral.referring_organization is not None:
        resource["requester"] = {
            "reference": f"Organization/{referral.referring_organization_id}",
            "display": referral.referring_organization.name,
        }
    elif referral.referrer_name:
        resource["requester"] = {"display": referral.referrer_name}
    resource["performer"] = [
        {
            "reference": f"Organization/{referral.receiving_organization_id}",
            "display": referral.receiving_organization.name,
        }
    ]
    if referral.reason:
        resource["reasonCode"] = [{"text": referral.reason}]
    notes = [{"text": notice} for notice in shown.notices]
    if referral.decision_reason:
        notes.append({"text": f"{referral.get_status_display()}: {referral.decision_reason}"})
    if notes:
        resource["note"] = notes
    return resource
