"""FHIR Practitioner from a clinician or staff person known to the network."""

from __future__ import annotations

from typing import Any

from carecoord.accounts.models import Practitioner
from carecoord.fhir.mapping.codes import NPI_SYSTEM, username_system


def practitioner_resource(practitioner: Practitioner, *, username: str | None = None) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Practitioner",
        "id": str(practitioner.pk),
        "meta": {"versionId": str(practitioner.version), "lastUpdated": practitioner.updated_at.isoformat()},
    }
    identifiers = []
    if practitioner.npi:
        identifiers.append({"system": NPI_SYSTEM, "value": practitioner.npi})
    if username:
        identifiers.append({"system": username_system(), "value": username})
    if identifiers:
        resource["identifier"] = identifiers
    resource["active"] = practitioner.active
    name: dict[str, Any] = {"use": "official", "family": practitioner.family_name}
    if practitioner.given_name:
        name["given"] = practitioner.given_name.split()
    if practitioner.prefix:
        name["prefix"] = [practitioner.prefix]
    if practitioner.suffix:
        name["suffix"] = [practitioner.suffix]
    resource["name"] = [name]
    telecom = []
    if practitioner.phone:
        telecom.append({"system": "phone", "value": practitioner.phone, "use": "work"})
    if practitioner.email:
        telecom.append({"system": "email", "value": practitioner.email, "use": "work"})
    if telecom:
        resource["telecom"] = telecom
    return resource
