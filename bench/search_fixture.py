"""The search benchmark's population: organizations and a user through actions, people by bulk insert.

The bulk insert bypasses ``patients.actions.register_patient`` (one person at a time, with duplicate check,
version and audit record: about an hour for 100,000) and writes only the rows search reads: Patient,
PatientNameToken, PatientIdentifier, PatientPhone and PatientAssignment, in multi-row INSERTs. Values
are those the action would store: names folded with ``common.text.fold`` and tokenised with
``common.text.name_tokens`` over the family, given and preferred names; identifier systems from
``patients.data.identifier_system`` (as ``validate`` fills them; the demo's people all pass ``validate``, which
the demo's tests check); phone digits from ``patients.data.normalise_phone``. Addresses, coverage, contacts,
versions and audit records are not written: search does not read them.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

from django.db import connection, models, transaction
from django.utils import timezone

from carecoord.accounts.actions import create_organization, create_user
from carecoord.accounts.models import User
from carecoord.common.text import fold, name_tokens
from carecoord.demo.people import Anchors, generate_people
from carecoord.patients.data import PatientData, identifier_system, normalise_phone
from carecoord.patients.models import (
    AssignmentKind,
    IdentifierKind,
    Patient,
    PatientAssignment,
    PatientIdentifier,
    PatientNameToken,
    PatientPhone,
)

BATCH = 5000
PASSWORD = "Bench-Search-2026!"


@dataclass(frozen=True)
class Person:
    """What the benchmark needs to write a query for one loaded person."""

    id: uuid.UUID
    family_name: str
    given_names: str
    birth_date: str  # MM/DD/YYYY, as care managers type it
    key: str  # Medicaid CIN or Medicare MBI
    phone: str


@dataclass
class Fixture:
    user: User
    people: list[Person]
    rows: int

    def patient_ids(self, rng: random.Random, count: int) -> list[str]:
        return [str(p.id) for p in rng.sample(self.people, count)]

    def queries(self, rng: random.Random, count: int) -> dict[str, list[str]]:
        """``count`` texts of each kind, for people drawn at random."""
        kinds: dict[str, list[str]] = {}

        def draw() -> Iterator[Person]:
            for _ in range(count):
                yield rng.choice(self.people)

        def prefix(p: Person) -> str:
            word = fold(p.family_name).split()[0]
            return word[: min(len(word), rng.randint(3, 5))]

        kinds["surname prefix (3-5 letters)"] = [prefix(p) for p in draw()]
        kinds["given family"] = [f"{p.given_names.split()[0]} {p.family_name}" for p in draw()]
        kinds["family, given"] = [f"{p.family_name}, {p.given_names.split()[0]}" for p in draw()]
        kinds["family + date of birth"] = [f"{p.family_name} {p.birth_date}" for p in draw()]
        kinds["date of birth"] = [p.birth_date for p in draw()]
        kinds["CIN or MBI"] = [p.key for p in draw()]
        kinds["phone"] = [p.phone for p in draw() if p.phone] or ["(718) 555-0100"]
        return kinds


class _Table:
    """Rows for one table, inserted many to a statement (``INSERT ... VALUES (...), (...)``, as ``bulk_create``
    does, without building model instances); values go through the field's own database preparation (UUIDs,
    dates and times differ between SQLite and PostgreSQL), other values as they are."""

    def __init__(self, model: type[models.Model], fields: Sequence[str], ready: Sequence[str] = ()) -> None:
        meta = model._meta
        self.fields = [cast("models.Field[Any, Any]", meta.get_field(name)) for name in fields]
        quote = connection.ops.quote_name
        columns = ", ".join(quote(str(f.column)) for f in self.fields)
        self.head = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES "
        self.row_sql = f"({', '.join(['%s'] * len(self.fields))})"
        # SQLite takes up to 32,766 parameters a statement, PostgreSQL 65,535.
        self.per_statement = min(1000, 30_000 // len(self.fields))
        prepared = (models.UUIDField, models.DateField, models.ForeignKey, models.JSONField)
        # ``ready`` columns arrive prepared (the same patient or organization id repeats on many rows).
        self.prepare = [isinstance(f, prepared) and f.name not in ready for f in self.fields]
        self.rows: list[tuple[Any, ...]] = []

    def add(self, *values: object) -> None:
        self.rows.append(
            tuple(
                field.get_db_prep_save(value, connection) if prepare and value is not None else value
                for field, prepare, value in zip(self.fields, self.prepare, values, strict=True)
            )
        )

    def flush(self) -> int:
        count = len(self.rows)
        with connection.cursor() as cursor:
            for start in range(0, count, self.per_statement):
                chunk = self.rows[start : start + self.per_statement]
                sql = self.head + ", ".join([self.row_sql] * len(chunk))
                cursor.execute(sql, [value for row in chunk for value in row])
        self.rows = []
        return count


def _widen_phones(data: PatientData, rng: random.Random) -> None:
    """The demo keeps to the fictional 555-01xx range (100 numbers per area code); a benchmark needs numbers
    that identify about one person, as real ones do."""
    for phone in data.phones:
        area = normalise_phone(phone.number)[:3]
        phone.number = f"({area}) {rng.randint(200, 999)}-{rng.randint(0, 9999):04d}"


_PATIENT_FIELDS = (
    "id",
    "family_name",
    "given_names",
    "name_prefix",
    "name_suffix",
    "preferred_name",
    "birth_date",
    "sex",
    "gender_identity",
    "pronouns",
    "preferred_language",
    "interpreter_needed",
    "email",
    "deceased_date",
    "active",
    "version",
    "created_at",
    "updated_at",
    "family_folded",
    "given_folded",
)


def load_people(count: int) -> Fixture:
    agency = create_organization(name="Bench Care Agency", type="care_management_agency", by=None)
    health_home = create_organization(name="Bench Health Home", type="health_home", by=None)
    hospital = create_organization(name="Bench Hospital", type="hospital", by=None)
    plan = create_organization(name="Bench Health Plan", type="health_plan", by=None)
    practice = create_organization(name="Bench Practice", type="primary_care", by=None)
    user = create_user(
        username="bench_cm",
        role="care_manager",
        organization=agency,
        password=PASSWORD,
        by=None,
        first_name="Bench",
        last_name="Manager",
    )
    anchors = Anchors(
        hospital_id=hospital.pk,
        plan_id=plan.pk,
        plan_name=plan.name,
        practice_ids={"bronx_manhattan": practice.pk, "brooklyn_queens_si": practice.pk},
    )
    rng = random.Random(2027)
    now = timezone.now()
    today = timezone.localdate()
    people: list[Person] = []
    patients = _Table(Patient, _PATIENT_FIELDS)
    tokens = _Table(PatientNameToken, ("patient", "token"), ready=("patient",))
    identifiers = _Table(PatientIdentifier, ("patient", "kind", "system", "value", "assigner"), ready=("patient",))
    phones = _Table(PatientPhone, ("patient", "kind", "number", "digits", "text_consent", "rank"), ready=("patient",))
    assignments = _Table(
        PatientAssignment,
        ("patient", "organization", "kind", "start_date", "created_at"),
        ready=("patient", "organization", "start_date", "created_at"),
    )
    key_field = Patient._meta.pk
    assert key_field is not None
    start_field = PatientAssignment._meta.get_field("start_date")
    created_field = PatientAssignment._meta.get_field("created_at")
    agency_key = key_field.get_db_prep_save(agency.pk, connection)
    health_home_key = key_field.get_db_prep_save(health_home.pk, connection)
    today_value = start_field.get_db_prep_save(today, connection)
    now_value = created_field.get_db_prep_save(now, connection)
    tables = (patients, tokens, identifiers, phones, assignments)
    rows = 0

    with transaction.atomic():
        for person in generate_people(count, anchors=anchors):
            data = person.data
            _widen_phones(data, rng)
            assert data.birth_date is not None
            patient_id = uuid.uuid4()
            pid = key_field.get_db_prep_save(patient_id, connection)
            patients.add(
                patient_id,
                data.family_name,
                data.given_names,
                data.name_prefix,
                data.name_suffix,
                data.preferred_name,
                data.birth_date,
                data.sex,
                data.gender_identity,
                data.pronouns,
                data.preferred_language,
                data.interpreter_needed,
                data.email,
                data.deceased_date,
                data.active,
                1,
                now,
                now,
                fold(data.family_name)[:100],
                fold(data.given_names)[:150],
            )
            for token in name_tokens(data.family_name, data.given_names, data.preferred_name):
                tokens.add(pid, token[:64])
            for ident in data.identifiers:
                owner = ident.assigner_id or agency.pk
                system = identifier_system(ident.kind, organization_id=owner)
                assigner = owner if ident.kind in (IdentifierKind.MRN, IdentifierKind.PLAN_MEMBER) else None
                identifiers.add(pid, ident.kind, system, ident.value, assigner)
            for rank, phone in enumerate(data.phones):
                phones.add(pid, phone.kind, phone.number, normalise_phone(phone.number), phone.text_consent, rank)
            assignments.add(pid, agency_key, AssignmentKind.REGISTRATION, today_value, now_value)
            assignments.add(pid, health_home_key, AssignmentKind.ASSIGNMENT, today_value, now_value)
            key = next(
                i.value
                for i in data.identifiers
                if i.kind in (IdentifierKind.MEDICAID_CIN, IdentifierKind.MEDICARE_MBI)
            )
            people.append(
                Person(
                    id=patient_id,
                    family_name=data.family_name,
                    given_names=data.given_names,
                    birth_date=data.birth_date.strftime("%m/%d/%Y"),
                    key=key,
                    phone=data.phones[0].number if data.phones else "",
                )
            )
            if len(patients.rows) >= BATCH:
                rows += sum(table.flush() for table in tables)
        rows += sum(table.flush() for table in tables)
    return Fixture(user=user, people=people, rows=rows)
