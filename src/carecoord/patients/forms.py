"""The person form: demographics plus repeating sections, converted to ``PatientData`` for the actions.

Django fields only parse (dates, choices); the rules live in ``patients.data.validate`` and come back as
``ValidationFailed.errors`` keyed by path (``identifiers.0.value``), which ``PatientEditor`` places next to the
matching field of the matching row. Rows left blank are ignored, so clearing a row removes it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, fields
from typing import Any

from django import forms
from django.forms import BaseFormSet, formset_factory

from carecoord.common.errors import DomainError, ValidationFailed
from carecoord.patients.data import (
    AddressData,
    ContactData,
    CoverageData,
    IdentifierData,
    PatientData,
    PhoneData,
    validate,
)
from carecoord.patients.models import (
    AddressUse,
    AdministrativeSex,
    ContactRelationship,
    GenderIdentity,
    IdentifierKind,
    Patient,
    TelecomKind,
)
from carecoord.web.forms import Problem

LANGUAGES = [
    ("en", "English"),
    ("es", "Spanish"),
    ("zh", "Chinese"),
    ("ru", "Russian"),
    ("ht", "Haitian Creole"),
    ("bn", "Bengali"),
    ("ko", "Korean"),
    ("ar", "Arabic"),
    ("fr", "French"),
    ("yi", "Yiddish"),
    ("pl", "Polish"),
    ("it", "Italian"),
    ("ur", "Urdu"),
    ("vi", "Vietnamese"),
    ("tl", "Tagalog"),
    ("ase", "American Sign Language"),
]


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PatientForm(forms.Form):
    family_name = forms.CharField(
        label="Family (last) name", max_length=100, error_messages={"required": "Enter the family (last) name."}
    )
    given_names = forms.CharField(
        label="Given names",
        max_length=150,
        help_text="First and middle names",
        error_messages={"required": "Enter the given (first) name."},
    )
    preferred_name = forms.CharField(
        label="Preferred name", max_length=100, required=False, help_text="What the person likes to be called"
    )
    name_prefix = forms.CharField(label="Prefix", max_length=20, required=False)
    name_suffix = forms.CharField(label="Suffix", max_length=20, required=False)
    birth_date = forms.DateField(
        label="Date of birth",
        widget=_date_input(),
        error_messages={"required": "Enter the date of birth.", "invalid": "Enter the date of birth as a real date."},
    )
    sex = forms.ChoiceField(
        label="Sex (administrative)",
        choices=[("", "Choose…"), *AdministrativeSex.choices],
        error_messages={"required": "Choose the sex recorded on insurance documents."},
    )
    gender_identity = forms.ChoiceField(label="Gender identity", choices=GenderIdentity.choices, required=False)
    pronouns = forms.CharField(max_length=32, required=False, help_text="e.g. she/her, he/him, they/them")
    preferred_language = forms.ChoiceField(label="Preferred language", choices=LANGUAGES, initial="en")
    interpreter_needed = forms.BooleanField(label="Needs an interpreter", required=False)
    email = forms.CharField(max_length=254, required=False, widget=forms.EmailInput())
    version = forms.IntegerField(widget=forms.HiddenInput(), required=False)
    confirm_not_duplicate = forms.BooleanField(label="This is a different person — register anyway", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = self.initial.get("preferred_language") or (self.data.get("preferred_language") if self.data else "")
        field = self.fields["preferred_language"]
        assert isinstance(field, forms.ChoiceField)
        if current and current not in dict(LANGUAGES):
            field.choices = [*LANGUAGES, (current, current)]


class IdentifierForm(forms.Form):
    kind = forms.ChoiceField(label="Type", choices=IdentifierKind.choices, initial=IdentifierKind.MEDICAID_CIN)
    value = forms.CharField(label="Number", max_length=64, required=False)
    system = forms.CharField(
        label="Issued by", max_length=200, required=False, help_text="Only for “Other”: who issued the number"
    )


class AddressForm(forms.Form):
    use = forms.ChoiceField(choices=AddressUse.choices, initial=AddressUse.HOME)
    line1 = forms.CharField(label="Street address", max_length=200, required=False)
    line2 = forms.CharField(label="Apartment, floor", max_length=200, required=False)
    city = forms.CharField(max_length=100, required=False)
    state = forms.CharField(max_length=2, required=False, help_text="e.g. NY")
    postal_code = forms.CharField(label="ZIP code", max_length=10, required=False)
    county = forms.CharField(max_length=100, required=False)


class PhoneForm(forms.Form):
    kind = forms.ChoiceField(label="Type", choices=TelecomKind.choices, initial=TelecomKind.MOBILE)
    number = forms.CharField(
        label="Phone number",
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    text_consent = forms.BooleanField(label="Agreed to text messages", required=False)


class CoverageForm(forms.Form):
    payer_name = forms.CharField(label="Plan or payer", max_length=200, required=False)
    plan_type = forms.CharField(
        label="Plan type", max_length=32, required=False, help_text="e.g. Medicaid managed care"
    )
    member_id = forms.CharField(label="Member id", max_length=64, required=False)
    start_date = forms.DateField(label="From", required=False, widget=_date_input())
    end_date = forms.DateField(label="Until", required=False, widget=_date_input())


class ContactForm(forms.Form):
    name = forms.CharField(max_length=200, required=False)
    relationship = forms.ChoiceField(choices=[("", "Choose…"), *ContactRelationship.choices], required=False)
    phone = forms.CharField(max_length=32, required=False, widget=forms.TextInput(attrs={"type": "tel"}))
    email = forms.CharField(max_length=254, required=False, widget=forms.EmailInput())
    is_caregiver = forms.BooleanField(label="Caregiver", required=False)
    is_proxy = forms.BooleanField(label="Health care proxy", required=False)
    is_emergency = forms.BooleanField(label="Emergency contact", required=False)
    notes = forms.CharField(max_length=500, required=False)


@dataclass(frozen=True)
class Section:
    name: str
    title: str
    row_title: str
    form: type[forms.Form]
    data: type
    blank_when_empty: tuple[str, ...]


SECTIONS = (
    Section("identifiers", "Identifiers", "Identifier", IdentifierForm, IdentifierData, ("value",)),
    Section(
        "addresses",
        "Addresses",
        "Address",
        AddressForm,
        AddressData,
        ("line1", "line2", "city", "postal_code", "county"),
    ),
    Section("phones", "Phones", "Phone", PhoneForm, PhoneData, ("number",)),
    Section(
        "coverages",
        "Coverage",
        "Coverage",
        CoverageForm,
        CoverageData,
        ("payer_name", "plan_type", "member_id", "start_date", "end_date"),
    ),
    Section(
        "contacts", "Caregivers and contacts", "Contact", ContactForm, ContactData, ("name", "phone", "email", "notes")
    ),
)

_SCALARS = (
    "family_name",
    "given_names",
    "preferred_name",
    "name_prefix",
    "name_suffix",
    "birth_date",
    "sex",
    "gender_identity",
    "pronouns",
    "preferred_language",
    "interpreter_needed",
    "email",
)


def _typed(form: forms.Form, row: dict[str, Any], allowed: set[str]) -> dict[str, Any]:
    """Row values as the dataclass wants them: False for unticked boxes, '' for empty text, None for no date."""
    typed: dict[str, Any] = {}
    for name, value in row.items():
        if name not in allowed:
            continue
        field = form.fields[name]
        if isinstance(field, forms.BooleanField):
            typed[name] = bool(value)
        elif isinstance(field, forms.DateField):
            typed[name] = value or None
        else:
            typed[name] = value or ""
    return typed


def initial_from_patient(patient: Patient) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    """The form's starting values for editing an existing person."""
    main = {name: getattr(patient, name) for name in _SCALARS}
    main["version"] = patient.version
    rows: dict[str, list[dict[str, Any]]] = {
        "identifiers": [
            {"kind": i.kind, "value": i.value, "system": i.system if i.kind == IdentifierKind.OTHER else ""}
            for i in patient.identifiers.all()
        ],
        "addresses": [{f.name: getattr(a, f.name) for f in fields(AddressData)} for a in patient.addresses.all()],
        "phones": [{f.name: getattr(p, f.name) for f in fields(PhoneData)} for p in patient.phones.all()],
        "coverages": [
            {f.name: getattr(c, f.name) for f in fields(CoverageData) if f.name != "payer_id"}
            for c in patient.coverages.all()
        ],
        "contacts": [
            {f.name: getattr(c, f.name) for f in fields(ContactData)} for c in patient.contacts.filter(active=True)
        ],
    }
    return main, rows


class PatientEditor:
    """The whole person form: the main form and one formset per repeating section."""

    def __init__(
        self,
        data: Any = None,
        *,
        initial: dict[str, Any] | None = None,
        rows: dict[str, list[dict[str, Any]]] | None = None,
        base: Patient | None = None,
        organization_id: uuid.UUID | str | None = None,
    ) -> None:
        self.base = base
        self.organization_id = organization_id
        self.main = PatientForm(data, initial=initial)
        self.sets: dict[str, BaseFormSet[forms.Form]] = {}
        self.sections = SECTIONS
        for section in SECTIONS:
            existing = (rows or {}).get(section.name, [])
            factory = formset_factory(section.form, extra=0 if existing else 1)
            self.sets[section.name] = factory(data, initial=existing, prefix=section.name)
        self._rows: dict[str, list[int]] = {}

    def __iter__(self) -> Iterator[tuple[Section, BaseFormSet[forms.Form]]]:
        return iter((section, self.sets[section.name]) for section in SECTIONS)

    def is_valid(self) -> bool:
        results = [self.main.is_valid()] + [formset.is_valid() for formset in self.sets.values()]
        return all(results)

    def _row_values(self, form: forms.Form) -> dict[str, Any]:
        cleaned = getattr(form, "cleaned_data", {}) or {}
        return {name: cleaned.get(name, form.fields[name].initial) for name in form.fields}

    def to_data(self) -> PatientData:
        """What the form says, as PatientData (call after ``is_valid``; unparseable values become blank)."""
        cleaned = getattr(self.main, "cleaned_data", {})
        values: dict[str, Any] = {name: cleaned.get(name) for name in _SCALARS}
        for text in (
            "family_name",
            "given_names",
            "preferred_name",
            "name_prefix",
            "name_suffix",
            "gender_identity",
            "pronouns",
            "email",
            "sex",
        ):
            values[text] = values[text] or ""
        values["preferred_language"] = values["preferred_language"] or "en"
        values["interpreter_needed"] = bool(values["interpreter_needed"])
        base = self.base
        data = PatientData(
            **values,
            deceased_date=base.deceased_date if base else None,
            active=base.active if base else True,
            primary_care_provider_id=base.primary_care_provider_id if base else None,
            primary_care_organization_id=base.primary_care_organization_id if base else None,
        )
        for section in SECTIONS:
            items: list[Any] = []
            self._rows[section.name] = []
            for index, form in enumerate(self.sets[section.name].forms):
                row = self._row_values(form)
                if all(row.get(name) in (None, "") for name in section.blank_when_empty):
                    continue
                item = section.data(**_typed(form, row, {f.name for f in fields(section.data)}))
                self._carry_over(item)
                items.append(item)
                self._rows[section.name].append(index)
            setattr(data, section.name, items)
        return data

    def _carry_over(self, item: object) -> None:
        """Keep what the form does not show from the stored row it matches: an identifier's issuer, an
        address's dates, a coverage's payer organization and dates."""
        base = self.base
        if base is None:
            if isinstance(item, IdentifierData) and item.kind != IdentifierKind.OTHER:
                item.system = ""
            return
        if isinstance(item, IdentifierData) and item.kind != IdentifierKind.OTHER:
            stored = next(
                (i for i in base.identifiers.all() if (i.kind, i.value) == (item.kind, item.value.strip())), None
            )
            item.system, item.assigner_id = (stored.system, stored.assigner_id) if stored else ("", None)
        elif isinstance(item, AddressData):
            address = next(
                (
                    a
                    for a in base.addresses.all()
                    if (a.line1, a.city, a.postal_code)
                    == (item.line1.strip(), item.city.strip(), item.postal_code.strip())
                ),
                None,
            )
            if address is not None:
                item.start_date, item.end_date = address.start_date, address.end_date
        elif isinstance(item, CoverageData):
            coverage = next(
                (
                    c
                    for c in base.coverages.all()
                    if (c.payer_name, c.member_id) == (item.payer_name.strip(), item.member_id.strip())
                ),
                None,
            )
            if coverage is not None:
                item.payer_id = coverage.payer_id

    def collect_rule_errors(self, data: PatientData) -> None:
        """When parsing already failed, also show what the rules say about the rest, in one round."""
        try:
            validate(data, registering_organization_id=self.organization_id)
        except ValidationFailed as error:
            self.add_error(error, only_where_clean=True)

    def add_error(self, error: DomainError, *, only_where_clean: bool = False) -> None:
        items = error.errors if isinstance(error, ValidationFailed) and error.errors else None
        for path, messages in (items or {error.field or "": [error.message]}).items():
            form, name = self._locate(path)
            if only_where_clean and (name is None or form.has_error(name)):
                continue
            for message in messages:
                form.add_error(name, message)

    def _locate(self, path: str) -> tuple[forms.Form, str | None]:
        parts = path.split(".")
        if len(parts) == 3 and parts[0] in self.sets and parts[1].isdigit():
            rows = self._rows.get(parts[0], [])
            position = int(parts[1])
            forms_ = self.sets[parts[0]].forms
            if position < len(rows) and rows[position] < len(forms_):
                form = forms_[rows[position]]
                return form, parts[2] if parts[2] in form.fields else None
        return self.main, path if path in self.main.fields else None

    def problems(self) -> list[Problem]:
        found: list[Problem] = []
        for message in self.main.non_field_errors():
            found.append(Problem("", str(message), ""))
        for bound in self.main:
            for message in bound.errors:
                found.append(Problem(str(bound.label), str(message), str(bound.auto_id)))
        for section in SECTIONS:
            formset = self.sets[section.name]
            for message in formset.non_form_errors():
                found.append(Problem(section.title, str(message), ""))
            for index, form in enumerate(formset.forms):
                label = f"{section.row_title} {index + 1}"
                for message in form.non_field_errors():
                    found.append(Problem(label, str(message), f"{section.name}-row-{index}"))
                for bound in form:
                    for message in bound.errors:
                        found.append(Problem(f"{label} — {bound.label}", str(message), str(bound.auto_id)))
        return found
