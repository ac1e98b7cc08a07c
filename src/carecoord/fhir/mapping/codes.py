"""Code systems and extension URLs shared by the mappings, and our own canonical URLs."""

from __future__ import annotations

from django.conf import settings

V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
V2_0131 = "http://terminology.hl7.org/CodeSystem/v2-0131"
V3_ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
V3_NULL_FLAVOR = "http://terminology.hl7.org/CodeSystem/v3-NullFlavor"
V3_ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
BCP47 = "urn:ietf:bcp:47"
NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"
TAX_ID_SYSTEM = "urn:oid:2.16.840.1.113883.4.4"

GENDER_IDENTITY_URL = "http://hl7.org/fhir/StructureDefinition/individual-genderIdentity"
PRONOUNS_URL = "http://hl7.org/fhir/StructureDefinition/individual-pronouns"
INTERPRETER_URL = "http://hl7.org/fhir/StructureDefinition/patient-interpreterRequired"


def base_url() -> str:
    """The canonical base of our own definitions (not the address the server answers at)."""
    return str(settings.FHIR_BASE_URL)


def text_consent_url() -> str:
    return f"{base_url()}/StructureDefinition/text-message-consent"


def address_use_url() -> str:
    return f"{base_url()}/StructureDefinition/address-use"


def username_system() -> str:
    return f"{base_url()}/sid/username"


def coding(system: str, code: str, display: str = "") -> dict[str, str]:
    item = {"system": system, "code": code}
    if display:
        item["display"] = display
    return item
