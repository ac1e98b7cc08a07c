"""FHIR Encounter from a contact (a call, a home visit, a text, a collateral call about a person).

Contacts share ``/fhir/Encounter`` with clinical encounters (``mapping/encounter.py``, integer ids); a contact's
id is ``contact-<uuid>``, which no clinical id can be, and the read dispatches on that prefix. Choices made here:

- ``status``: always ``finished``: a contact is recorded after it happened and is never voided (contacts have no
  entered-in-error state; when one appears, it maps to ``entered-in-error``).
- ``class`` (v3 ActCode) by modality: in person → ``AMB``; home visit → ``HH``; phone, video, text, email and
  mail → ``VR`` (ActCode defines VR as "the patient and the practitioner(s) are not in the same physical
  location", naming telephone, email and televideo); collateral contacts (with a provider, or family without the
  person) → ``VR`` too, as they are nearly always by phone. The modality itself is kept in ``type``. ``FLD``
  (field) is not used: no modality records a meeting in the community, and ``location`` carries the place.
- ``type``: one CodeableConcept per core service delivered (``{base}/CodeSystem/core-service``, PRODUCT.md), then
  one for the modality (``{base}/CodeSystem/contact-modality``, the codes of ``contacts.models.Modality``).
- ``serviceType``: the program of the contact's enrollment (``{base}/CodeSystem/program``); ``episodeOfCare``:
  ``EpisodeOfCare/<enrollment id>`` as ``interactions/episode_of_care.py`` serves it.
- ``reasonCode``: the purpose as text.
- ``participant``: the staff member who recorded it as primary performer (``PPRF``; a Practitioner reference,
  or a display when the user has none), then the other participants by name as ``PART`` with their role as
  text. The person is the ``subject``, not a participant.
- ``period``: start when it happened, end start + duration; ``length``: the duration in minutes (UCUM ``min``).
- ``location``: the place as a display; ``serviceProvider``: the recording organization.
- ``identifier``: the contact's id in ``{base}/sid/contact`` (the identifier notes have long carried).
- Extensions: ``contact-outcome`` (valueCoding in ``{base}/CodeSystem/contact-outcome``: reached, left a
  message, ...), ``contact-with-person`` (boolean: whether the person took part) and ``contact-late-entry``
  (boolean), since Encounter has no element for what a contact achieved (``hospitalization`` is for stays).
- ``meta.lastUpdated``: when it was recorded (contacts are not edited); labels of the enrollment's program
  (42 CFR Part 2, HIV) as ``meta.security`` — contacts are only shown to the organization that recorded them.
"""

from __future__ import annotations

import datetime
from typing import Any

from carecoord.contacts.models import Contact, CoreService, Modality, Participant
from carecoord.fhir.mapping.codes import base_url, coding
from carecoord.fhir.mapping.encounter import ACT_CODE
from carecoord.fhir.mapping.episode_of_care import practitioner_reference, program_system
from carecoord.fhir.mapping.labels import label

ID_PREFIX = "contact-"
PARTICIPATION_TYPE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
UCUM = "http://unitsofmeasure.org"

ACT_DISPLAY = {"AMB": "ambulatory", "HH": "home health", "VR": "virtual"}
CLASS_OF_MODALITY: dict[str, str] = {
    Modality.IN_PERSON: "AMB",
    Modality.HOME_VISIT: "HH",
    Modality.PHONE: "VR",
    Modality.VIDEO: "VR",
    Modality.TEXT: "VR",
    Modality.EMAIL: "VR",
    Modality.MAIL: "VR",
    Modality.COLLATERAL_PROVIDER: "VR",
    Modality.COLLATERAL_FAMILY: "VR",
}


def modalities_of_class(code: str) -> list[str]:
    return sorted(str(m) for m, c in CLASS_OF_MODALITY.items() if c == code)


def core_service_system() -> str:
    return f"{base_url()}/CodeSystem/core-service"


def modality_system() -> str:
    return f"{base_url()}/CodeSystem/contact-modality"


def outcome_system() -> str:
    return f"{base_url()}/CodeSystem/contact-outcome"


def contact_system() -> str:
    return f"{base_url()}/sid/contact"


def outcome_url() -> str:
    return f"{base_url()}/StructureDefinition/contact-outcome"


def with_person_url() -> str:
    return f"{base_url()}/StructureDefinition/contact-with-person"


def late_entry_url() -> str:
    return f"{base_url()}/StructureDefinition/contact-late-entry"


def contact_encounter_id(contact_id: object) -> str:
    return f"{ID_PREFIX}{contact_id}"


def contact_encounter_reference(contact_id: object) -> str:
    return f"Encounter/{contact_encounter_id(contact_id)}"


def _participants(contact: Contact) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = [
        {
            "type": [{"coding": [coding(PARTICIPATION_TYPE, "PPRF", "primary performer")]}],
            "individual": practitioner_reference(contact.by),
        }
    ]
    for item in contact.participants:
        role = str(item.get("role", ""))
        if role == Participant.PERSON:
            continue
        text = Participant(role).label if role in Participant.values else role
        found.append(
            {
                "type": [{"coding": [coding(PARTICIPATION_TYPE, "PART", "Participation")], "text": str(text)}],
                "individual": {"display": str(item.get("name", ""))},
            }
        )
    return found


def contact_encounter_resource(contact: Contact) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Encounter",
        "id": contact_encounter_id(contact.pk),
        "meta": {"lastUpdated": contact.recorded_at.isoformat()},
    }
    program = contact.enrollment.program if contact.enrollment is not None else None
    if program is not None and program.security_labels:
        label(resource, list(program.security_labels), [])
    resource["extension"] = [
        {
            "url": outcome_url(),
            "valueCoding": coding(outcome_system(), contact.outcome, contact.get_outcome_display()),
        },
        {"url": with_person_url(), "valueBoolean": contact.with_person},
        {"url": late_entry_url(), "valueBoolean": contact.late_entry},
    ]
    resource["identifier"] = [{"system": contact_system(), "value": str(contact.pk)}]
    resource["status"] = "finished"
    act = CLASS_OF_MODALITY.get(contact.modality, "VR")
    resource["class"] = coding(ACT_CODE, act, ACT_DISPLAY[act])
    types = [
        {"coding": [coding(core_service_system(), code, CoreService(code).label)], "text": str(CoreService(code).label)}
        for code in contact.core_services
        if code in CoreService.values
    ]
    modality = contact.get_modality_display()
    types.append({"coding": [coding(modality_system(), contact.modality, modality)], "text": str(modality)})
    resource["type"] = types
    if program is not None:
        resource["serviceType"] = {
            "coding": [coding(program_system(), program.code, program.name)],
            "text": program.name,
        }
    resource["subject"] = {"reference": f"Patient/{contact.patient_id}"}
    if contact.enrollment_id is not None:
        resource["episodeOfCare"] = [{"reference": f"EpisodeOfCare/{contact.enrollment_id}"}]
    resource["participant"] = _participants(contact)
    end = contact.occurred_at + datetime.timedelta(minutes=contact.duration_minutes)
    resource["period"] = {"start": contact.occurred_at.isoformat(), "end": end.isoformat()}
    resource["length"] = {"value": contact.duration_minutes, "unit": "min", "system": UCUM, "code": "min"}
    if contact.purpose:
        resource["reasonCode"] = [{"text": contact.purpose}]
    if contact.place:
        resource["location"] = [{"location": {"display": contact.place}}]
    resource["serviceProvider"] = {"reference": f"Organization/{contact.organization_id}"}
    return resource
