"""FHIR Provenance for what the HL7 v2 ADT feed did to an encounter: one per ``AdtEvent`` that touched an
encounter (an admission, a transfer, a discharge, an update, a cancel), so a client can see where an Encounter
from the feed came from.

- ``id``: the event's id; ``target``: the Encounter; ``occurredDateTime``: when the event happened (EVN-6 or
  the message's time); ``recorded``: when the message was received and stored;
- ``activity``: the trigger event (HL7 table 0003, e.g. A03);
- ``agent``: the sending facility (MSH-4), type ``author``, as an identifier and display (facilities are not
  Organizations of ours);
- ``entity``: the stored message, role ``source``, identified by its control id (MSH-10) in a system per sending
  facility (its bytes stay in CareCoord); an event a later cancel (A11, A12, A13) retracted has a second entity,
  role ``removal``, naming the cancelling message;
- ``reason``: ``TREAT`` (treatment).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from carecoord.fhir.mapping.codes import base_url, coding
from carecoord.transitions.models import AdtEvent, AdtMessage

TRIGGER_EVENTS = "http://terminology.hl7.org/CodeSystem/v2-0003"
PARTICIPANT_TYPE = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
PURPOSE = "http://terminology.hl7.org/CodeSystem/v3-ActReason"


def message_system(sending_facility: str) -> str:
    """The identifier system of the control ids of one sending facility's messages."""
    return f"{base_url()}/sid/hl7v2-message/{quote(sending_facility or 'unknown', safe='')}"


def facility_system() -> str:
    return f"{base_url()}/sid/hl7v2-sending-facility"


def _message_reference(message: AdtMessage) -> dict[str, Any]:
    kind = f"{message.message_type}^{message.trigger_event}" if message.trigger_event else message.message_type
    return {
        "identifier": {"system": message_system(message.sending_facility), "value": message.control_id},
        "display": f"HL7 v2 {kind} message {message.control_id} from {message.sending_facility or 'unknown'}",
    }


def provenance_resource(event: AdtEvent) -> dict[str, Any]:
    """The Provenance of ``event`` (loaded with its message and, when retracted, the cancelling event's)."""
    message = event.message
    facility = message.sending_facility or event.facility
    entities: list[dict[str, Any]] = [{"role": "source", "what": _message_reference(message)}]
    if event.retracted_by is not None:
        entities.append({"role": "removal", "what": _message_reference(event.retracted_by.message)})
    return {
        "resourceType": "Provenance",
        "id": str(event.pk),
        "target": [{"reference": f"Encounter/{event.encounter_id}"}],
        "occurredDateTime": event.occurred_at.isoformat(),
        "recorded": message.received_at.isoformat(),
        "reason": [{"coding": [coding(PURPOSE, "TREAT", "treatment")]}],
        "activity": {
            "coding": [coding(TRIGGER_EVENTS, event.trigger_event)],
            "text": event.get_kind_display(),
        },
        "agent": [
            {
                "type": {"coding": [coding(PARTICIPANT_TYPE, "author", "Author")]},
                "who": {
                    "identifier": {"system": facility_system(), "value": facility or "unknown"},
                    "display": facility or "Unknown sending facility",
                },
            }
        ],
        "entity": entities,
    }
