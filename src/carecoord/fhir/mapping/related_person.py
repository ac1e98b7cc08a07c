"""FHIR RelatedPerson from a person's contact (caregiver, family member, health care agent)."""

from __future__ import annotations

from typing import Any

from carecoord.fhir.mapping.patient import contact_telecom, relationship_concepts
from carecoord.patients.models import PatientContact


def related_person_resource(contact: PatientContact) -> dict[str, Any]:
    fields = {
        "relationship": contact.relationship,
        "is_emergency": contact.is_emergency,
        "is_proxy": contact.is_proxy,
        "phone": contact.phone,
        "email": contact.email,
    }
    resource: dict[str, Any] = {
        "resourceType": "RelatedPerson",
        "id": str(contact.pk),
        "meta": {"versionId": str(contact.version), "lastUpdated": contact.updated_at.isoformat()},
        "active": contact.active,
        "patient": {"reference": f"Patient/{contact.patient_id}"},
        "relationship": relationship_concepts(fields),
        "name": [{"text": contact.name}],
    }
    telecom = contact_telecom(fields)
    if telecom:
        resource["telecom"] = telecom
    return resource
