"""FHIR EpisodeOfCare from an enrollment (a person's episode of care in a program with one organization).

- ``type``: the program, coded in ``{base}/CodeSystem/program``;
- ``managingOrganization``: the enrolling organization; ``careManager``: the care manager's Practitioner;
- ``period``: start and, once ended, end; the end reason is the extension ``episode-end-reason`` (a code of
  ``EnrollmentEndReason``) with an optional ``episode-end-note``;
- ``referralRequest``: the program referral (ServiceRequest) the enrollment came from;
- programs whose data is labelled (HH+ HIV) carry the labels, and the notices when disclosed (``labels.py``).
"""

from __future__ import annotations

from typing import Any

from carecoord.fhir.mapping.codes import base_url, coding
from carecoord.fhir.mapping.labels import label
from carecoord.programs.access import Labelled
from carecoord.programs.models import Enrollment


def program_system() -> str:
    return f"{base_url()}/CodeSystem/program"


def end_reason_url() -> str:
    return f"{base_url()}/StructureDefinition/episode-end-reason"


def end_note_url() -> str:
    return f"{base_url()}/StructureDefinition/episode-end-note"


def practitioner_reference(user: Any) -> dict[str, str]:
    """A staff user as a Practitioner reference (display only when the user has no Practitioner)."""
    practitioner = getattr(user, "practitioner", None)
    if practitioner is None:
        return {"display": str(user)}
    return {"reference": f"Practitioner/{practitioner.pk}", "display": str(user)}


def episode_of_care_resource(shown: Labelled) -> dict[str, Any]:
    enrollment = shown.item
    assert isinstance(enrollment, Enrollment)
    resource: dict[str, Any] = {
        "resourceType": "EpisodeOfCare",
        "id": str(enrollment.pk),
        "meta": {"versionId": str(enrollment.version)},
    }
    label(resource, shown.labels, shown.notices)
    extensions: list[dict[str, Any]] = []
    if enrollment.end_reason:
        extensions.append({"url": end_reason_url(), "valueCode": enrollment.end_reason})
    if enrollment.end_note:
        extensions.append({"url": end_note_url(), "valueString": enrollment.end_note})
    if extensions:
        resource["extension"] = extensions
    resource["status"] = enrollment.status
    resource["type"] = [
        {
            "coding": [coding(program_system(), enrollment.program_id, enrollment.program.name)],
            "text": enrollment.program.name,
        }
    ]
    resource["patient"] = {"reference": f"Patient/{enrollment.patient_id}"}
    resource["managingOrganization"] = {
        "reference": f"Organization/{enrollment.organization_id}",
        "display": enrollment.organization.name,
    }
    period = {"start": enrollment.start_date.isoformat()}
    if enrollment.end_date:
        period["end"] = enrollment.end_date.isoformat()
    resource["period"] = period
    if enrollment.referral_id:
        resource["referralRequest"] = [{"reference": f"ServiceRequest/{enrollment.referral_id}"}]
    if enrollment.care_manager_id and enrollment.care_manager is not None:
        resource["careManager"] = practitioner_reference(enrollment.care_manager)
    return resource
