"""Factories for tests, demo data and benchmarks: they build through actions, never by hand."""

from __future__ import annotations

import datetime
import itertools

from django.utils import timezone

from carecoord.accounts.actions import LicenseData, create_organization, create_user
from carecoord.accounts.models import Organization, User
from carecoord.patients.actions import register_patient
from carecoord.patients.data import (
    AddressData,
    ContactData,
    CoverageData,
    IdentifierData,
    PatientData,
    PhoneData,
)
from carecoord.patients.models import Patient

PASSWORD = "Correct-Horse-9-Battery"
_counter = itertools.count(1)


def make_organization(name: str | None = None, type: str = "care_management_agency") -> Organization:
    return create_organization(name=name or f"Organization {next(_counter)}", type=type, by=None)


def make_user(
    username: str,
    *,
    role: str,
    organization: Organization,
    licensed: bool = False,
    first_name: str = "",
    last_name: str = "",
) -> User:
    licenses = (
        [
            LicenseData(
                type="RN",
                number=f"RN{next(_counter):06d}",
                state="NY",
                expires_on=timezone.localdate() + datetime.timedelta(days=365),
            )
        ]
        if licensed
        else []
    )
    return create_user(
        username=username,
        role=role,
        organization=organization,
        password=PASSWORD,
        by=None,
        first_name=first_name or username.split("_")[0].title(),
        last_name=last_name or "Tester",
        email=f"{username}@example.org",
        licenses=licenses,
    )


def patient_data(**overrides: object) -> PatientData:
    n = next(_counter)
    values: dict[str, object] = {
        "family_name": f"Testperson{n}",
        "given_names": "Maria Elena",
        "birth_date": datetime.date(1940, 1, 1) + datetime.timedelta(days=(n * 37) % 25000),  # always in the past
        "sex": "female",
        "preferred_language": "es",
        "interpreter_needed": True,
        "identifiers": [IdentifierData(kind="medicaid_cin", value=f"AB{n % 100000:05d}C")],
        "addresses": [AddressData(line1="100 Main St", city="Brooklyn", state="NY", postal_code="11201")],
        "phones": [PhoneData(number=f"(718) 555-{n % 10000:04d}", text_consent=True)],
        "coverages": [CoverageData(payer_name="Fidelis Care", member_id=f"M{n:08d}", plan_type="Medicaid")],
        "contacts": [ContactData(name="Jose Ruiz", relationship="spouse", phone="7185550199", is_emergency=True)],
    }
    values.update(overrides)
    return PatientData(**values)  # type: ignore[arg-type]


def make_patient(by: User, **overrides: object) -> Patient:
    return register_patient(data=patient_data(**overrides), by=by, confirm_not_duplicate=True).patient
