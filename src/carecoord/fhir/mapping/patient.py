"""FHIR Patient from a person's record snapshot (patients.snapshot), shared by read, vread and history.

Built as plain dicts for speed; the tests validate the output with the fhir.resources R4B models.
"""

from __future__ import annotations

from typing import Any

from carecoord.fhir.mapping.codes import (
    BCP47,
    GENDER_IDENTITY_URL,
    INTERPRETER_URL,
    LOINC,
    PRONOUNS_URL,
    SNOMED,
    V2_0131,
    V2_0203,
    V3_NULL_FLAVOR,
    V3_ROLE_CODE,
    address_use_url,
    coding,
    text_consent_url,
)
from carecoord.patients.models import (
    ContactRelationship,
    GenderIdentity,
    IdentifierKind,
)

Resource = dict[str, Any]

# Our gender identity codes and their US Core codings.
GENDER_IDENTITY_CODINGS: dict[str, tuple[str, str]] = {
    GenderIdentity.WOMAN: (SNOMED, "446141000124107"),
    GenderIdentity.MAN: (SNOMED, "446151000124109"),
    GenderIdentity.NONBINARY: (SNOMED, "446131000124102"),
    GenderIdentity.TRANSGENDER_WOMAN: (SNOMED, "407376001"),
    GenderIdentity.TRANSGENDER_MAN: (SNOMED, "407377005"),
    GenderIdentity.OTHER: (V3_NULL_FLAVOR, "OTH"),
    GenderIdentity.NOT_DISCLOSED: (V3_NULL_FLAVOR, "ASKU"),
}
PRONOUN_CODES = {"he/him": "LA29518-0", "she/her": "LA29519-8", "they/them": "LA29520-6"}
IDENTIFIER_TYPES: dict[str, tuple[str, str]] = {
    IdentifierKind.MRN: ("MR", "Medical record number"),
    IdentifierKind.MEDICAID_CIN: ("MA", "Patient Medicaid number"),
    IdentifierKind.MEDICARE_MBI: ("MC", "Patient's Medicare number"),
    IdentifierKind.PLAN_MEMBER: ("MB", "Member Number"),
    IdentifierKind.SSN_LAST4: ("SS", "Social Security number (last 4 digits)"),
}
# Contact relationship -> (system, code); caregiver and other carry their label as text.
RELATIONSHIP_CODINGS: dict[str, tuple[str, str]] = {
    ContactRelationship.SPOUSE: (V3_ROLE_CODE, "SPS"),
    ContactRelationship.PARENT: (V3_ROLE_CODE, "PRN"),
    ContactRelationship.CHILD: (V3_ROLE_CODE, "CHILD"),
    ContactRelationship.SIBLING: (V3_ROLE_CODE, "SIB"),
    ContactRelationship.GUARDIAN: (V3_ROLE_CODE, "GUARD"),
    ContactRelationship.FRIEND: (V3_ROLE_CODE, "FRND"),
    ContactRelationship.HEALTH_CARE_PROXY: (V3_ROLE_CODE, "HPOWATT"),
    ContactRelationship.CAREGIVER: (V2_0131, "CP"),
    ContactRelationship.OTHER: (V2_0131, "O"),
}
EMERGENCY_CONTACT = (V2_0131, "C")
# Our address uses -> FHIR (use, type); shelter is temporary and named by our extension.
ADDRESS_USES: dict[str, tuple[str, str | None]] = {
    "home": ("home", None),
    "mailing": ("home", "postal"),
    "temp": ("temp", None),
    "shelter": ("temp", "physical"),
    "old": ("old", None),
}


def _meta(snapshot: dict[str, Any]) -> dict[str, str]:
    return {"versionId": str(snapshot["version"]), "lastUpdated": snapshot["updated_at"]}


def _names(s: dict[str, Any]) -> list[Resource]:
    official: Resource = {"use": "official", "family": s["family_name"], "given": s["given_names"].split()}
    if s["name_prefix"]:
        official["prefix"] = s["name_prefix"].split()
    if s["name_suffix"]:
        official["suffix"] = s["name_suffix"].split()
    names = [official]
    if s["preferred_name"]:
        names.append({"use": "usual", "given": [s["preferred_name"]]})
    return names


def _identifier(item: dict[str, Any]) -> Resource:
    result: Resource = {"system": item["system"], "value": item["value"]}
    known = IDENTIFIER_TYPES.get(item["kind"])
    if known:
        result["type"] = {"coding": [coding(V2_0203, known[0], known[1])]}
    if item.get("assigner_id"):
        result["assigner"] = {"reference": f"Organization/{item['assigner_id']}"}
    return result


def _telecom(s: dict[str, Any]) -> list[Resource]:
    telecom: list[Resource] = []
    for rank, phone in enumerate(s["phones"], start=1):
        point: Resource = {"system": "phone", "value": phone["number"], "use": phone["kind"], "rank": rank}
        if phone["text_consent"]:
            point["extension"] = [{"url": text_consent_url(), "valueBoolean": True}]
        telecom.append(point)
    if s["email"]:
        telecom.append({"system": "email", "value": s["email"], "use": "home"})
    return telecom


def _address(a: dict[str, Any]) -> Resource:
    use, kind = ADDRESS_USES.get(a["use"], ("home", None))
    result: Resource = {"use": use}
    if kind:
        result["type"] = kind
    if a["use"] == "shelter":
        result["extension"] = [{"url": address_use_url(), "valueCode": "shelter"}]
    result["line"] = [line for line in (a["line1"], a["line2"]) if line]
    result["city"] = a["city"]
    if a["county"]:
        result["district"] = a["county"]
    result["state"] = a["state"]
    result["postalCode"] = a["postal_code"]
    result["country"] = "US"
    period = {k: v for k, v in (("start", a["start_date"]), ("end", a["end_date"])) if v}
    if period:
        result["period"] = period
    return result


def relationship_concepts(c: dict[str, Any]) -> list[Resource]:
    system, code = RELATIONSHIP_CODINGS.get(c["relationship"], RELATIONSHIP_CODINGS[ContactRelationship.OTHER])
    label = ContactRelationship(c["relationship"]).label if c["relationship"] in ContactRelationship.values else ""
    concepts: list[Resource] = [{"coding": [coding(system, code)], "text": str(label)}]
    if c["is_emergency"]:
        concepts.append({"coding": [coding(*EMERGENCY_CONTACT, "Emergency Contact")]})
    if c["is_proxy"] and c["relationship"] != ContactRelationship.HEALTH_CARE_PROXY:
        concepts.append({"coding": [coding(V3_ROLE_CODE, "HPOWATT", "healthcare power of attorney")]})
    return concepts


def contact_telecom(c: dict[str, Any]) -> list[Resource]:
    telecom: list[Resource] = []
    if c["phone"]:
        telecom.append({"system": "phone", "value": c["phone"]})
    if c["email"]:
        telecom.append({"system": "email", "value": c["email"]})
    return telecom


def _contact(c: dict[str, Any]) -> Resource:
    result: Resource = {"relationship": relationship_concepts(c), "name": {"text": c["name"]}}
    telecom = contact_telecom(c)
    if telecom:
        result["telecom"] = telecom
    return result


def _extensions(s: dict[str, Any]) -> list[Resource]:
    extensions: list[Resource] = []
    if s["gender_identity"]:
        system, code = GENDER_IDENTITY_CODINGS.get(s["gender_identity"], (V3_NULL_FLAVOR, "OTH"))
        label = GenderIdentity(s["gender_identity"]).label if s["gender_identity"] in GenderIdentity.values else ""
        extensions.append(
            {
                "url": GENDER_IDENTITY_URL,
                "extension": [
                    {"url": "value", "valueCodeableConcept": {"coding": [coding(system, code)], "text": str(label)}}
                ],
            }
        )
    if s["pronouns"]:
        concept: Resource = {"text": s["pronouns"]}
        loinc = PRONOUN_CODES.get(s["pronouns"].strip().lower())
        if loinc:
            concept["coding"] = [coding(LOINC, loinc)]
        extensions.append({"url": PRONOUNS_URL, "extension": [{"url": "value", "valueCodeableConcept": concept}]})
    if s["interpreter_needed"]:
        extensions.append({"url": INTERPRETER_URL, "valueBoolean": True})
    return extensions


def patient_resource(s: dict[str, Any]) -> Resource:
    """The FHIR Patient for one stored snapshot."""
    resource: Resource = {"resourceType": "Patient", "id": s["id"], "meta": _meta(s)}
    extensions = _extensions(s)
    if extensions:
        resource["extension"] = extensions
    if s["identifiers"]:
        resource["identifier"] = [_identifier(i) for i in s["identifiers"]]
    resource["active"] = s["active"]
    resource["name"] = _names(s)
    telecom = _telecom(s)
    if telecom:
        resource["telecom"] = telecom
    resource["gender"] = s["sex"]
    if s["birth_date"]:
        resource["birthDate"] = s["birth_date"]
    if s["deceased_date"]:
        resource["deceasedDateTime"] = s["deceased_date"]
    if s["addresses"]:
        resource["address"] = [_address(a) for a in s["addresses"]]
    contacts = [_contact(c) for c in s["contacts"] if c.get("active", True)]
    if contacts:
        resource["contact"] = contacts
    resource["communication"] = [{"language": {"coding": [coding(BCP47, s["preferred_language"])]}, "preferred": True}]
    practitioners = []
    if s["primary_care_provider_id"]:
        practitioners.append({"reference": f"Practitioner/{s['primary_care_provider_id']}"})
    if s["primary_care_organization_id"]:
        practitioners.append({"reference": f"Organization/{s['primary_care_organization_id']}"})
    if practitioners:
        resource["generalPractitioner"] = practitioners
    return resource
