"""FHIR Organization from a network participant."""

from __future__ import annotations

from typing import Any

from carecoord.accounts.models import Organization, OrganizationType
from carecoord.fhir.mapping.codes import NPI_SYSTEM, TAX_ID_SYSTEM, coding

ORGANIZATION_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/organization-type"
# Our organization types -> the FHIR organization-type code (prov, cg, pay).
FHIR_TYPES: dict[str, tuple[str, str]] = {
    OrganizationType.HEALTH_HOME: ("prov", "Healthcare Provider"),
    OrganizationType.CARE_MANAGEMENT_AGENCY: ("prov", "Healthcare Provider"),
    OrganizationType.HOSPITAL: ("prov", "Healthcare Provider"),
    OrganizationType.PRIMARY_CARE: ("prov", "Healthcare Provider"),
    OrganizationType.BEHAVIORAL_HEALTH: ("prov", "Healthcare Provider"),
    OrganizationType.HOME_CARE: ("prov", "Healthcare Provider"),
    OrganizationType.CBO: ("cg", "Community Group"),
    OrganizationType.HEALTH_PLAN: ("pay", "Payer"),
}


def organization_resource(org: Organization) -> dict[str, Any]:
    fhir_code, display = FHIR_TYPES.get(org.type, ("other", "Other"))
    resource: dict[str, Any] = {
        "resourceType": "Organization",
        "id": str(org.pk),
        "meta": {"versionId": str(org.version), "lastUpdated": org.updated_at.isoformat()},
    }
    identifiers = []
    if org.npi:
        identifiers.append({"system": NPI_SYSTEM, "value": org.npi})
    if org.tax_id:
        identifiers.append({"system": TAX_ID_SYSTEM, "value": org.tax_id})
    if identifiers:
        resource["identifier"] = identifiers
    resource["active"] = org.active
    resource["type"] = [
        {"coding": [coding(ORGANIZATION_TYPE_SYSTEM, fhir_code, display)], "text": str(org.get_type_display())}
    ]
    resource["name"] = org.name
    telecom = []
    if org.phone:
        telecom.append({"system": "phone", "value": org.phone, "use": "work"})
    if org.email:
        telecom.append({"system": "email", "value": org.email, "use": "work"})
    if telecom:
        resource["telecom"] = telecom
    if org.address_line or org.city or org.postal_code:
        address: dict[str, Any] = {"use": "work"}
        if org.address_line:
            address["line"] = [org.address_line]
        for key, value in (("city", org.city), ("state", org.state), ("postalCode", org.postal_code)):
            if value:
                address[key] = value
        resource["address"] = [address]
    if org.part_of_id:
        resource["partOf"] = {"reference": f"Organization/{org.part_of_id}"}
    return resource
