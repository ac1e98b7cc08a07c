"""A FHIR Patient, already structure-checked, into ``PatientData`` for the patient actions.

Problems found while mapping are collected with FHIRPath expressions; ``PathMap`` also turns the domain's
field paths (``phones.0.number``) back into FHIRPath (``Patient.telecom[2].value``) for its errors.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from carecoord.common.errors import ValidationFailed
from carecoord.fhir.mapping.codes import (
    BCP47,
    GENDER_IDENTITY_URL,
    INTERPRETER_URL,
    NPI_SYSTEM,
    PRONOUNS_URL,
    V2_0131,
    V3_ROLE_CODE,
    address_use_url,
    text_consent_url,
)
from carecoord.fhir.mapping.patient import GENDER_IDENTITY_CODINGS
from carecoord.patients.data import (
    AddressData,
    ContactData,
    IdentifierData,
    PatientData,
    PhoneData,
    identifier_kind_for_system,
    identifier_system,
)
from carecoord.patients.models import ContactRelationship, IdentifierKind

_SUBFIELDS = {
    "identifiers": {"value": "value", "system": "system", "kind": "system"},
    "addresses": {
        "line1": "line[0]",
        "line2": "line[1]",
        "city": "city",
        "state": "state",
        "postal_code": "postalCode",
        "county": "district",
        "use": "use",
        "end_date": "period.end",
    },
    "phones": {"number": "value", "kind": "use", "text_consent": "extension"},
    "contacts": {"name": "name", "relationship": "relationship", "phone": "telecom", "email": "telecom"},
}
_FIELDS = {
    "family_name": "Patient.name[{name}].family",
    "given_names": "Patient.name[{name}].given",
    "preferred_name": "Patient.name",
    "birth_date": "Patient.birthDate",
    "sex": "Patient.gender",
    "gender_identity": "Patient.extension",
    "preferred_language": "Patient.communication",
    "email": "Patient.telecom",
    "deceased_date": "Patient.deceasedDateTime",
}
_RELATIONSHIPS: dict[tuple[str, str], str] = {
    **{(V3_ROLE_CODE, code): ContactRelationship.SPOUSE for code in ("SPS", "HUSB", "WIFE", "DOMPART", "SIGOTHR")},
    **{
        (V3_ROLE_CODE, code): ContactRelationship.PARENT
        for code in ("PRN", "MTH", "FTH", "NPRN", "NMTH", "NFTH", "STPPRN", "STPMTH", "STPFTH")
    },
    **{(V3_ROLE_CODE, code): ContactRelationship.CHILD for code in ("CHILD", "SON", "DAU", "NCHILD", "STPCHLD")},
    **{(V3_ROLE_CODE, code): ContactRelationship.SIBLING for code in ("SIB", "BRO", "SIS", "NSIB")},
    (V3_ROLE_CODE, "GUARD"): ContactRelationship.GUARDIAN,
    (V3_ROLE_CODE, "FRND"): ContactRelationship.FRIEND,
    (V3_ROLE_CODE, "HPOWATT"): ContactRelationship.HEALTH_CARE_PROXY,
    (V3_ROLE_CODE, "POWATT"): ContactRelationship.HEALTH_CARE_PROXY,
    (V2_0131, "CP"): ContactRelationship.CAREGIVER,
}
_TELECOM_USES = {"mobile": "mobile", "home": "home", "work": "work", None: "mobile", "temp": "mobile"}


@dataclass
class PathMap:
    """Where each domain field came from in the FHIR resource."""

    name_index: int = 0
    items: dict[str, str] = field(default_factory=dict)

    def expression(self, path: str) -> str:
        if path.startswith("Patient"):
            return path
        if path in _FIELDS:
            return _FIELDS[path].format(name=self.name_index)
        parts = path.split(".")
        if len(parts) >= 2 and f"{parts[0]}.{parts[1]}" in self.items:
            base = self.items[f"{parts[0]}.{parts[1]}"]
            if len(parts) == 2:
                return base
            return f"{base}.{_SUBFIELDS.get(parts[0], {}).get(parts[2], parts[2])}"
        return "Patient"


class _Problems:
    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, expression: str, message: str) -> None:
        self.errors.setdefault(expression, []).append(message)


def _date(value: Any, expression: str, problems: _Problems, what: str) -> datetime.date | None:
    if not value:
        return None
    text = str(value)[:10]
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        problems.add(expression, f"{what} must be a full date (YYYY-MM-DD).")
        return None


def _pick_name(names: list[dict[str, Any]]) -> int | None:
    for wanted in ("official", "usual", None):
        for index, name in enumerate(names):
            if name.get("use") == wanted and name.get("family"):
                return index
    for index, name in enumerate(names):
        if name.get("family") and name.get("use") not in ("old", "maiden"):
            return index
    return None


def _preferred(names: list[dict[str, Any]], chosen: int | None) -> str:
    for index, name in enumerate(names):
        if index != chosen and name.get("use") in ("nickname", "usual"):
            given = " ".join(name.get("given") or [])
            return given or str(name.get("text") or "")
    return ""


def _ext(extensions: list[dict[str, Any]], url: str) -> dict[str, Any] | None:
    return next((e for e in extensions if e.get("url") == url), None)


def _concept_of(extension: dict[str, Any]) -> dict[str, Any]:
    if "valueCodeableConcept" in extension:
        return dict(extension["valueCodeableConcept"])
    inner = _ext(extension.get("extension") or [], "value")
    return dict(inner.get("valueCodeableConcept") or {}) if inner else {}


def _gender_identity(extensions: list[dict[str, Any]]) -> str:
    found = _ext(extensions, GENDER_IDENTITY_URL)
    if found is None:
        return ""
    concept = _concept_of(found)
    by_coding = {value: key for key, value in GENDER_IDENTITY_CODINGS.items()}
    for item in concept.get("coding") or []:
        known = by_coding.get((item.get("system"), item.get("code")))
        if known is not None:
            return str(known)
        if item.get("code"):
            return str(item["code"])  # the domain reports an unknown code
    return str(concept.get("text") or "other")


def _pronouns(extensions: list[dict[str, Any]]) -> str:
    found = _ext(extensions, PRONOUNS_URL)
    if found is None:
        return ""
    concept = _concept_of(found)
    if concept.get("text"):
        return str(concept["text"])
    codings = concept.get("coding") or [{}]
    return str(codings[0].get("display") or codings[0].get("code") or "")


def _identifiers(resource: dict[str, Any], paths: PathMap, problems: _Problems) -> list[IdentifierData]:
    result: list[IdentifierData] = []
    for index, item in enumerate(resource.get("identifier") or []):
        expression = f"Patient.identifier[{index}]"
        system, value = item.get("system") or "", item.get("value") or ""
        if not value:
            continue  # FHIR allows an identifier without a value; there is nothing to match or store
        if not system:
            problems.add(f"{expression}.system", "An identifier needs a system.")
            continue
        kind = identifier_kind_for_system(system)
        if kind == IdentifierKind.OTHER and system == identifier_system(IdentifierKind.SSN_LAST4):
            kind = IdentifierKind.SSN_LAST4
        assigner = (item.get("assigner") or {}).get("reference", "")
        paths.items[f"identifiers.{len(result)}"] = expression
        result.append(
            IdentifierData(
                kind=kind, value=value, system=system, assigner_id=assigner.removeprefix("Organization/") or None
            )
        )
    return result


def _telecom(resource: dict[str, Any], paths: PathMap, problems: _Problems) -> tuple[list[PhoneData], str]:
    phones: list[PhoneData] = []
    email = ""
    points = sorted(enumerate(resource.get("telecom") or []), key=lambda pair: pair[1].get("rank") or 1_000_000)
    for index, point in points:
        value, use = point.get("value"), point.get("use")
        if not value or use == "old":
            continue
        if point.get("system") in ("phone", "sms"):
            consent = _ext(point.get("extension") or [], text_consent_url())
            kind = _TELECOM_USES.get(use)
            if kind is None:
                problems.add(f"Patient.telecom[{index}].use", f"A phone's use must be mobile, home or work, not {use}.")
                continue
            paths.items[f"phones.{len(phones)}"] = f"Patient.telecom[{index}]"
            phones.append(
                PhoneData(number=value, kind=kind, text_consent=bool(consent and consent.get("valueBoolean")))
            )
        elif point.get("system") == "email" and not email:
            email = value
    return phones, email


def _addresses(resource: dict[str, Any], paths: PathMap, problems: _Problems) -> list[AddressData]:
    result: list[AddressData] = []
    for index, item in enumerate(resource.get("address") or []):
        expression = f"Patient.address[{index}]"
        lines = item.get("line") or []
        use = item.get("use") or "home"
        if _ext(item.get("extension") or [], address_use_url()):
            use = str(_ext(item.get("extension") or [], address_use_url()).get("valueCode"))  # type: ignore[union-attr]
        elif use == "home" and item.get("type") == "postal":
            use = "mailing"
        period = item.get("period") or {}
        paths.items[f"addresses.{len(result)}"] = expression
        result.append(
            AddressData(
                line1=lines[0] if lines else "",
                line2=", ".join(lines[1:]),
                city=item.get("city") or "",
                state=item.get("state") or "",
                postal_code=item.get("postalCode") or "",
                county=item.get("district") or "",
                use=use,
                start_date=_date(period.get("start"), f"{expression}.period.start", problems, "A period start"),
                end_date=_date(period.get("end"), f"{expression}.period.end", problems, "A period end"),
            )
        )
    return result


def _contact_name(name: dict[str, Any]) -> str:
    if name.get("text"):
        return str(name["text"])
    return " ".join([*(name.get("given") or []), name.get("family") or ""]).strip()


def contact_flags(concepts: list[dict[str, Any]]) -> tuple[str, bool, bool]:
    """(relationship, is_emergency, is_proxy) from RelatedPerson/Patient.contact relationship concepts."""
    relationship = ""
    emergency = proxy = False
    labels = {str(label).casefold(): value for value, label in ContactRelationship.choices}
    for concept in concepts:
        for item in concept.get("coding") or []:
            key = (item.get("system"), item.get("code"))
            if key == (V2_0131, "C") or key == (V3_ROLE_CODE, "ECON"):
                emergency = True
            elif key in _RELATIONSHIPS and not relationship:
                relationship = _RELATIONSHIPS[key]
        if not relationship and str(concept.get("text") or "").casefold() in labels:
            relationship = labels[str(concept["text"]).casefold()]
    proxy = relationship == ContactRelationship.HEALTH_CARE_PROXY or any(
        item.get("code") in ("HPOWATT", "POWATT") for concept in concepts for item in concept.get("coding") or []
    )
    return relationship or ContactRelationship.OTHER, emergency, proxy


def _contacts(resource: dict[str, Any], paths: PathMap) -> list[ContactData]:
    result: list[ContactData] = []
    for index, item in enumerate(resource.get("contact") or []):
        relationship, emergency, proxy = contact_flags(item.get("relationship") or [])
        telecom = item.get("telecom") or []
        paths.items[f"contacts.{len(result)}"] = f"Patient.contact[{index}]"
        result.append(
            ContactData(
                name=_contact_name(item.get("name") or {}),
                relationship=relationship,
                phone=next((t.get("value") or "" for t in telecom if t.get("system") == "phone"), ""),
                email=next((t.get("value") or "" for t in telecom if t.get("system") == "email"), ""),
                is_caregiver=relationship == ContactRelationship.CAREGIVER,
                is_proxy=proxy,
                is_emergency=emergency,
            )
        )
    return result


def _language(resource: dict[str, Any]) -> str:
    communications = resource.get("communication") or []
    chosen = next((c for c in communications if c.get("preferred")), communications[0] if communications else None)
    if chosen is None:
        return "en"
    codings = (chosen.get("language") or {}).get("coding") or []
    code = next((c.get("code") for c in codings if c.get("system") == BCP47), None)
    return str(code or (codings[0].get("code") if codings else "") or "en")


def _general_practitioners(resource: dict[str, Any], data: PatientData, problems: _Problems) -> None:
    for index, ref in enumerate(resource.get("generalPractitioner") or []):
        reference = str(ref.get("reference") or "")
        kind, _, key = reference.partition("/")
        if kind == "Practitioner" and data.primary_care_provider_id is None:
            data.primary_care_provider_id = key
        elif kind == "Organization" and data.primary_care_organization_id is None:
            data.primary_care_organization_id = key
        elif not reference and (ref.get("identifier") or {}).get("system") == NPI_SYSTEM:
            problems.add(f"Patient.generalPractitioner[{index}]", "Refer to the Practitioner by id, not by NPI.")
        else:
            problems.add(
                f"Patient.generalPractitioner[{index}]", "Give at most one Practitioner/<id> and one Organization/<id>."
            )


def patient_data(resource: dict[str, Any]) -> tuple[PatientData, PathMap]:
    """Map a structure-checked FHIR Patient; raise ValidationFailed (keyed by FHIRPath) for what cannot map."""
    problems = _Problems()
    paths = PathMap()
    names = resource.get("name") or []
    chosen = _pick_name(names)
    name = names[chosen] if chosen is not None else {}
    if chosen is None:
        problems.add("Patient.name", "Give a name with a family name (use official or usual).")
    paths.name_index = chosen or 0
    extensions = resource.get("extension") or []
    interpreter = _ext(extensions, INTERPRETER_URL)
    deceased = resource.get("deceasedDateTime")
    if resource.get("deceasedBoolean") is True and not deceased:
        problems.add("Patient.deceasedBoolean", "Give the date of death as deceasedDateTime.")
    phones, email = _telecom(resource, paths, problems)
    data = PatientData(
        family_name=str(name.get("family") or ""),
        given_names=" ".join(name.get("given") or []),
        name_prefix=" ".join(name.get("prefix") or []),
        name_suffix=" ".join(name.get("suffix") or []),
        preferred_name=_preferred(names, chosen),
        birth_date=_date(resource.get("birthDate"), "Patient.birthDate", problems, "birthDate"),
        sex=str(resource.get("gender") or ""),
        gender_identity=_gender_identity(extensions),
        pronouns=_pronouns(extensions),
        preferred_language=_language(resource),
        interpreter_needed=bool(interpreter and interpreter.get("valueBoolean")),
        email=email,
        deceased_date=_date(deceased, "Patient.deceasedDateTime", problems, "deceasedDateTime"),
        active=resource.get("active", True) is not False,
        identifiers=_identifiers(resource, paths, problems),
        addresses=_addresses(resource, paths, problems),
        phones=phones,
        contacts=_contacts(resource, paths),
    )
    if not data.sex:
        problems.add("Patient.gender", "Give the administrative gender.")
    _general_practitioners(resource, data, problems)
    if problems.errors:
        count = sum(len(v) for v in problems.errors.values())
        first = next(iter(problems.errors.values()))[0]
        raise ValidationFailed(first if count == 1 else f"{count} problems, the first: {first}", errors=problems.errors)
    return data, paths
