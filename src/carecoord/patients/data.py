"""The shape of a person's record as the edges hand it to actions, and its validation.

Web forms, FHIR Patient resources and imports all become a ``PatientData``; ``validate`` returns every
problem at once, keyed by a field path (``identifiers.0.value``) the edges can show next to the field.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import models
from django.utils import timezone

from carecoord.common.errors import ValidationFailed
from carecoord.common.text import digits
from carecoord.patients.models import (
    AddressUse,
    AdministrativeSex,
    ContactRelationship,
    Coverage,
    GenderIdentity,
    IdentifierKind,
    Patient,
    PatientAddress,
    PatientContact,
    PatientIdentifier,
    PatientPhone,
    TelecomKind,
)

US_STATES = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND "
    "OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR VI GU AS MP".split()
)
_CIN = re.compile(r"^[A-Z]{2}\d{5}[A-Z]$")
# Medicare Beneficiary Identifier: 11 characters, positions typed as CMS defines; S, L, O, I, B, Z never used.
_MBI = re.compile(
    r"^[1-9][AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9]\d[AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9]\d"
    r"[AC-HJKMNP-RT-Y]{2}\d{2}$"
)
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_POSTAL = re.compile(r"^\d{5}(-\d{4})?$")

MBI_SYSTEM = "http://hl7.org/fhir/sid/us-mbi"


def identifier_system(kind: str, *, organization_id: uuid.UUID | str | None = None) -> str:
    """The canonical system URI for an identifier kind (MRNs are per organization)."""
    base = settings.FHIR_BASE_URL
    if kind == IdentifierKind.MEDICARE_MBI:
        return MBI_SYSTEM
    if kind == IdentifierKind.MEDICAID_CIN:
        return f"{base}/sid/ny-medicaid-cin"
    if kind == IdentifierKind.MRN:
        return f"{base}/sid/mrn/{organization_id}"
    if kind == IdentifierKind.PLAN_MEMBER:
        return f"{base}/sid/plan-member/{organization_id}"
    if kind == IdentifierKind.SSN_LAST4:
        return f"{base}/sid/ssn-last4"
    return ""


def identifier_kind_for_system(system: str) -> str:
    base = settings.FHIR_BASE_URL
    if system == MBI_SYSTEM:
        return IdentifierKind.MEDICARE_MBI
    if system == f"{base}/sid/ny-medicaid-cin":
        return IdentifierKind.MEDICAID_CIN
    if system.startswith(f"{base}/sid/mrn/"):
        return IdentifierKind.MRN
    if system.startswith(f"{base}/sid/plan-member/"):
        return IdentifierKind.PLAN_MEMBER
    return IdentifierKind.OTHER


@dataclass
class IdentifierData:
    kind: str
    value: str
    system: str = ""
    assigner_id: uuid.UUID | str | None = None


@dataclass
class AddressData:
    line1: str
    city: str
    state: str
    postal_code: str
    line2: str = ""
    county: str = ""
    use: str = AddressUse.HOME
    start_date: datetime.date | None = None
    end_date: datetime.date | None = None


@dataclass
class PhoneData:
    number: str
    kind: str = TelecomKind.MOBILE
    text_consent: bool = False


@dataclass
class CoverageData:
    payer_name: str
    member_id: str
    plan_type: str = ""
    payer_id: uuid.UUID | str | None = None
    start_date: datetime.date | None = None
    end_date: datetime.date | None = None


@dataclass
class ContactData:
    name: str
    relationship: str
    phone: str = ""
    email: str = ""
    is_caregiver: bool = False
    is_proxy: bool = False
    is_emergency: bool = False
    notes: str = ""


@dataclass
class PatientData:
    family_name: str
    given_names: str
    birth_date: datetime.date | None
    sex: str
    name_prefix: str = ""
    name_suffix: str = ""
    preferred_name: str = ""
    gender_identity: str = ""
    pronouns: str = ""
    preferred_language: str = "en"
    interpreter_needed: bool = False
    email: str = ""
    deceased_date: datetime.date | None = None
    active: bool = True
    primary_care_provider_id: uuid.UUID | str | None = None
    primary_care_organization_id: uuid.UUID | str | None = None
    identifiers: list[IdentifierData] = field(default_factory=list)
    addresses: list[AddressData] = field(default_factory=list)
    phones: list[PhoneData] = field(default_factory=list)
    coverages: list[CoverageData] = field(default_factory=list)
    contacts: list[ContactData] = field(default_factory=list)


def normalise_phone(number: str) -> str:
    """Digits of a US phone number without the country code, or '' if it is not one."""
    only = digits(number)
    if len(only) == 11 and only.startswith("1"):
        only = only[1:]
    return only if len(only) == 10 and only[0] not in "01" else ""


class _Errors:
    def __init__(self) -> None:
        self.items: dict[str, list[str]] = {}

    def add(self, path: str, message: str) -> None:
        self.items.setdefault(path, []).append(message)


def validate(data: PatientData, *, registering_organization_id: uuid.UUID | str | None = None) -> PatientData:
    """Clean ``data`` in place (trim, upper-case codes, fill systems); raise ValidationFailed listing all problems."""
    errors = _Errors()
    data.family_name = data.family_name.strip()
    data.given_names = " ".join(data.given_names.split())
    data.preferred_name = data.preferred_name.strip()
    if not data.family_name:
        errors.add("family_name", "Enter the family (last) name.")
    if not data.given_names:
        errors.add("given_names", "Enter the given (first) name.")
    for name_field in ("family_name", "given_names", "preferred_name"):
        if len(getattr(data, name_field)) > 100:
            errors.add(name_field, "Names may be at most 100 characters.")
    today = timezone.localdate()
    if data.birth_date is None:
        errors.add("birth_date", "Enter the date of birth.")
    elif data.birth_date > today:
        errors.add("birth_date", "The date of birth cannot be in the future.")
    elif data.birth_date < datetime.date(1890, 1, 1):
        errors.add("birth_date", "The date of birth is before 1890; check the year.")
    if data.sex not in AdministrativeSex.values:
        errors.add("sex", f"Sex must be one of {', '.join(AdministrativeSex.values)}.")
    if data.gender_identity not in GenderIdentity.values:
        errors.add("gender_identity", "Unknown gender identity.")
    data.preferred_language = (data.preferred_language or "en").strip()
    if not _LANGUAGE.match(data.preferred_language):
        errors.add("preferred_language", "Use a language code such as en, es, zh-Hant or ht.")
    if data.email:
        data.email = data.email.strip()
        try:
            validate_email(data.email)
        except DjangoValidationError:
            errors.add("email", "Enter a valid email address.")
    if data.deceased_date and data.birth_date and data.deceased_date < data.birth_date:
        errors.add("deceased_date", "The date of death is before the date of birth.")

    seen: set[tuple[str, str]] = set()
    for index, ident in enumerate(data.identifiers):
        path = f"identifiers.{index}"
        ident.value = ident.value.strip()
        if ident.kind not in IdentifierKind.values:
            errors.add(f"{path}.kind", "Unknown identifier type.")
            continue
        if ident.kind in (IdentifierKind.MEDICAID_CIN, IdentifierKind.MEDICARE_MBI):
            ident.value = ident.value.upper().replace("-", "").replace(" ", "")
        if not ident.value:
            errors.add(f"{path}.value", "Enter the identifier.")
            continue
        if ident.kind == IdentifierKind.MEDICAID_CIN and not _CIN.match(ident.value):
            errors.add(f"{path}.value", "A Medicaid CIN is 2 letters, 5 digits and a letter, e.g. AB12345C.")
        if ident.kind == IdentifierKind.MEDICARE_MBI and not _MBI.match(ident.value):
            errors.add(f"{path}.value", "A Medicare MBI has 11 characters, e.g. 1EG4TE5MK73.")
        if ident.kind == IdentifierKind.SSN_LAST4 and not re.fullmatch(r"\d{4}", ident.value):
            errors.add(f"{path}.value", "Enter only the last 4 digits of the SSN.")
        if not ident.system:
            if ident.kind in (IdentifierKind.MRN, IdentifierKind.PLAN_MEMBER):
                owner = ident.assigner_id or registering_organization_id
                if owner is None:
                    errors.add(f"{path}.system", "Say which organization issued this number.")
                    continue
                ident.assigner_id = owner
                ident.system = identifier_system(ident.kind, organization_id=owner)
            elif ident.kind == IdentifierKind.OTHER:
                errors.add(f"{path}.system", "Say which system issued this identifier.")
                continue
            else:
                ident.system = identifier_system(ident.kind)
        key = (ident.system, ident.value)
        if key in seen:
            errors.add(f"{path}.value", "This identifier is listed twice.")
        seen.add(key)

    for index, address in enumerate(data.addresses):
        path = f"addresses.{index}"
        address.line1 = address.line1.strip()
        address.city = address.city.strip()
        address.state = address.state.strip().upper()
        address.postal_code = address.postal_code.strip()
        if not address.line1:
            errors.add(f"{path}.line1", "Enter the street address.")
        if not address.city:
            errors.add(f"{path}.city", "Enter the city.")
        if address.state not in US_STATES:
            errors.add(f"{path}.state", "Use a two-letter US state code, e.g. NY.")
        if not _POSTAL.match(address.postal_code):
            errors.add(f"{path}.postal_code", "A ZIP code is 5 digits (or ZIP+4).")
        if address.use not in AddressUse.values:
            errors.add(f"{path}.use", "Unknown address use.")

    for index, phone in enumerate(data.phones):
        path = f"phones.{index}"
        phone.number = phone.number.strip()
        if not normalise_phone(phone.number):
            errors.add(f"{path}.number", "Enter a 10-digit US phone number, e.g. (718) 555-0134.")
        if phone.kind not in TelecomKind.values:
            errors.add(f"{path}.kind", "Unknown phone type.")
        if phone.text_consent and phone.kind != TelecomKind.MOBILE:
            errors.add(f"{path}.text_consent", "Text messages can only go to a mobile phone.")

    for index, coverage in enumerate(data.coverages):
        path = f"coverages.{index}"
        coverage.payer_name = coverage.payer_name.strip()
        coverage.member_id = coverage.member_id.strip()
        if not coverage.payer_name:
            errors.add(f"{path}.payer_name", "Enter the plan or payer.")
        if not coverage.member_id:
            errors.add(f"{path}.member_id", "Enter the member id.")
        if coverage.start_date and coverage.end_date and coverage.end_date < coverage.start_date:
            errors.add(f"{path}.end_date", "Coverage ends before it starts.")

    for index, contact in enumerate(data.contacts):
        path = f"contacts.{index}"
        contact.name = contact.name.strip()
        if not contact.name:
            errors.add(f"{path}.name", "Enter the contact's name.")
        if contact.relationship not in ContactRelationship.values:
            errors.add(f"{path}.relationship", "Unknown relationship.")
        if contact.phone and not normalise_phone(contact.phone):
            errors.add(f"{path}.phone", "Enter a 10-digit US phone number.")
        if contact.email:
            try:
                validate_email(contact.email.strip())
            except DjangoValidationError:
                errors.add(f"{path}.email", "Enter a valid email address.")

    _check_lengths(data, errors)
    if errors.items:
        count = sum(len(v) for v in errors.items.values())
        first = next(iter(errors.items.values()))[0]
        summary = first if count == 1 else f"{count} problems, the first: {first}"
        raise ValidationFailed(summary, errors=errors.items)
    return data


# Which model stores each part of PatientData, so that text longer than its column is a field error
# (PostgreSQL would refuse it with a database error; SQLite would silently keep it).
_STORED_IN: dict[str, tuple[str, type[models.Model]]] = {
    "identifiers": ("identifiers", PatientIdentifier),
    "addresses": ("addresses", PatientAddress),
    "phones": ("phones", PatientPhone),
    "coverages": ("coverages", Coverage),
    "contacts": ("contacts", PatientContact),
}


def _too_long(model: type[models.Model], name: str, value: object) -> int | None:
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    limit = getattr(field, "max_length", None)
    if isinstance(value, str) and isinstance(limit, int) and len(value) > limit:
        return limit
    return None


def _check_lengths(data: PatientData, errors: _Errors) -> None:
    for item in dataclasses.fields(data):
        value = getattr(data, item.name)
        if isinstance(value, str) and (limit := _too_long(Patient, item.name, value)) is not None:
            errors.add(item.name, f"At most {limit} characters.")
    for attribute, (prefix, model) in _STORED_IN.items():
        for index, entry in enumerate(getattr(data, attribute)):
            for item in dataclasses.fields(entry):
                value = getattr(entry, item.name)
                if (limit := _too_long(model, item.name, value)) is not None:
                    errors.add(f"{prefix}.{index}.{item.name}", f"At most {limit} characters.")
