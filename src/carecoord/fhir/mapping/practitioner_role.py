"""FHIR PractitionerRole: what a practitioner does at an organization."""

from __future__ import annotations

from typing import Any

from carecoord.accounts.models import PractitionerRole, Role
from carecoord.fhir.mapping.codes import base_url, coding


def role_system() -> str:
    return f"{base_url()}/CodeSystem/staff-role"


def practitioner_role_resource(role: PractitionerRole) -> dict[str, Any]:
    label = Role(role.code).label if role.code in Role.values else role.code.replace("_", " ")
    resource: dict[str, Any] = {
        "resourceType": "PractitionerRole",
        "id": str(role.pk),
        "meta": {"versionId": str(role.version), "lastUpdated": role.updated_at.isoformat()},
        "active": role.active,
        "practitioner": {"reference": f"Practitioner/{role.practitioner_id}", "display": str(role.practitioner)},
        "organization": {"reference": f"Organization/{role.organization_id}", "display": role.organization.name},
        "code": [{"coding": [coding(role_system(), role.code)], "text": str(label)}],
    }
    if role.specialty:
        resource["specialty"] = [{"text": role.specialty}]
    return resource
