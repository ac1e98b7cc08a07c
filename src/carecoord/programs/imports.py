"""Import a health plan's assignment file: each row asks an organization to take a member into a program.

The file is CSV with a header row (names are case-insensitive; extra columns are ignored):

    cin, family_name, given_names, birth_date, sex       required (birth_date YYYY-MM-DD; sex female/male/other/unknown)
    program                                              CodeSystem/program code; default ny-hh-adult
    assigned_to                                          receiving organization (name or id); default: the importer's
    member_id, phone, address_line, city, state, postal_code, language, assignment_date, reason
    action                                               "add" (default) or "end" (the plan withdraws the assignment)

Each row becomes a referral (source: plan assignment) to the receiving organization, which accepts or rejects it
in CareCoord. Members are matched on their Medicaid CIN; a CIN already held by a person with another date of birth
is rejected rather than linked. Re-importing the same file changes nothing ("unchanged"). Each row is its own
transaction: a bad row never undoes or blocks the good ones.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from django.db import transaction

from carecoord.accounts.models import Organization, User
from carecoord.common.errors import DomainError
from carecoord.patients.actions import register_patient
from carecoord.patients.data import AddressData, CoverageData, IdentifierData, PatientData, PhoneData
from carecoord.patients.models import IdentifierKind, Patient, PatientIdentifier
from carecoord.programs.actions import refer_to_program
from carecoord.programs.models import Program, ProgramReferral, ReferralSource, ReferralStatus

REQUIRED = ("cin", "family_name", "given_names", "birth_date", "sex")
KNOWN = (
    *REQUIRED,
    "program",
    "assigned_to",
    "member_id",
    "phone",
    "address_line",
    "city",
    "state",
    "postal_code",
    "language",
    "assignment_date",
    "reason",
    "action",
)


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REJECTED = "rejected"


@dataclass(frozen=True)
class RowResult:
    row: int  # line number in the file (the header is line 1)
    cin: str
    outcome: Outcome
    message: str


class FileRejected(DomainError):
    """The file as a whole cannot be read (not CSV, missing columns)."""

    code = "bad-file"
    status = 400


@dataclass
class ImportReport:
    rows: list[RowResult]

    def count(self, outcome: Outcome) -> int:
        return sum(1 for row in self.rows if row.outcome == outcome)

    def as_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["row", "cin", "outcome", "message"])
        for row in self.rows:
            writer.writerow([row.row, row.cin, row.outcome.value, row.message])
        return out.getvalue()


class RowProblem(Exception):
    """A row is refused; the message says why, in words a plan's analyst can act on."""


def _date(value: str, column: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise RowProblem(f"{column} {value!r} is not a date (YYYY-MM-DD)") from None


def _find_org(name_or_id: str, cache: dict[str, Organization | None]) -> Organization:
    key = name_or_id.strip().lower()
    if key not in cache:
        from carecoord.accounts.actions import find_organization
        from carecoord.common.errors import NotFound

        try:
            cache[key] = find_organization(name_or_id)
        except NotFound:
            cache[key] = None
    found = cache[key]
    if found is None:
        raise RowProblem(f"assigned_to {name_or_id!r} is not an organization known here")
    return found


def _patient_data(row: dict[str, str], plan: Organization) -> PatientData:
    born = _date(row["birth_date"], "birth_date")
    identifiers = [IdentifierData(kind=IdentifierKind.MEDICAID_CIN, value=row["cin"])]
    if row.get("member_id"):
        identifiers.append(IdentifierData(kind=IdentifierKind.PLAN_MEMBER, value=row["member_id"], assigner_id=plan.pk))
    addresses = []
    if row.get("address_line"):
        addresses.append(
            AddressData(
                line1=row["address_line"],
                city=row.get("city", ""),
                state=row.get("state", "NY") or "NY",
                postal_code=row.get("postal_code", ""),
            )
        )
    return PatientData(
        family_name=row["family_name"],
        given_names=row["given_names"],
        birth_date=born,
        sex=row["sex"].lower(),
        preferred_language=row.get("language") or "en",
        identifiers=identifiers,
        addresses=addresses,
        phones=[PhoneData(number=row["phone"])] if row.get("phone") else [],
        coverages=[CoverageData(payer_name=plan.name, member_id=row["member_id"], payer_id=plan.pk)]
        if row.get("member_id")
        else [],
    )


def _match(cin: str, born: datetime.date) -> Patient | None:
    held = (
        PatientIdentifier.objects.filter(kind=IdentifierKind.MEDICAID_CIN, value__iexact=cin)
        .select_related("patient")
        .first()
    )
    if held is None:
        return None
    if held.patient.birth_date != born:
        raise RowProblem(
            f"CIN {cin} belongs to a person born {held.patient.birth_date}, not {born}: check the member before linking"
        )
    return held.patient


def _one_row(
    row: dict[str, str],
    *,
    plan: Organization,
    by: User,
    programs: dict[str, Program],
    orgs: dict[str, Organization | None],
) -> tuple[Outcome, str]:
    missing = [name for name in REQUIRED if not row.get(name)]
    if missing:
        raise RowProblem(f"missing {', '.join(missing)}")
    code = row.get("program") or "ny-hh-adult"
    program = programs.get(code)
    if program is None:
        raise RowProblem(f"program {code!r} is not a program code ({', '.join(sorted(programs))})")
    receiving = _find_org(row["assigned_to"], orgs) if row.get("assigned_to") else by.organization
    action = (row.get("action") or "add").lower()
    if action not in ("add", "end"):
        raise RowProblem(f"action {row['action']!r} must be add or end")
    data = _patient_data(row, plan)
    patient = _match(row["cin"].strip().upper(), data.birth_date)  # type: ignore[arg-type]
    pending = (
        ProgramReferral.objects.filter(
            patient=patient, program=program, receiving_organization=receiving, status=ReferralStatus.PENDING
        ).first()
        if patient is not None
        else None
    )
    if action == "end":
        if pending is None:
            return Outcome.UNCHANGED, "no pending assignment to withdraw"
        pending.status = ReferralStatus.CANCELLED
        pending.decision_reason = "Withdrawn by the plan's assignment file"
        pending.version += 1
        pending.save(update_fields=["status", "decision_reason", "version"])
        return Outcome.UPDATED, f"assignment to {receiving} withdrawn"
    created = patient is None
    if patient is None:
        try:
            patient = register_patient(data=data, by=by, confirm_not_duplicate=True).patient
        except DomainError as error:
            problems = getattr(error, "errors", None) or {}
            detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in problems.items()) or str(error)
            raise RowProblem(detail) from None
    if pending is not None:
        reason = row.get("reason", "").strip()
        if reason and reason != pending.reason:
            pending.reason = reason
            pending.version += 1
            pending.save(update_fields=["reason", "version"])
            return Outcome.UPDATED, "assignment reason updated"
        return Outcome.UNCHANGED, f"already assigned to {receiving}, waiting for a decision"
    if row.get("assignment_date"):
        _date(row["assignment_date"], "assignment_date")
    refer_to_program(
        patient=patient,
        program=program,
        receiving_organization=receiving,
        source=ReferralSource.PLAN_ASSIGNMENT,
        referring_organization=plan,
        by=by,
        reason=row.get("reason", ""),
        external_id=(row.get("member_id") or row["cin"])[:64],
    )
    if created:
        return Outcome.ACCEPTED, f"new member registered and assigned to {receiving} for {program.name}"
    return Outcome.ACCEPTED, f"assigned to {receiving} for {program.name}"


def read_rows(text: str) -> tuple[list[str], list[dict[str, str]]]:
    try:
        reader = csv.DictReader(io.StringIO(text))
        header = [name.strip().lower() for name in (reader.fieldnames or [])]
    except csv.Error as error:
        raise FileRejected(f"The file is not valid CSV: {error}") from None
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise FileRejected(f"The header row lacks the column(s) {', '.join(missing)}.")
    rows = []
    try:
        for raw in reader:
            rows.append({(k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if k is not None})
    except csv.Error as error:
        raise FileRejected(f"The file is not valid CSV near line {reader.line_num}: {error}") from None
    return header, rows


def import_assignments(
    text: str, *, plan: Organization, by: User, progress: Callable[[int, int], None] | None = None
) -> ImportReport:
    """Import an assignment file sent by ``plan``; ``by`` is the staff user doing it (their organization
    registers new members). Returns one result per data row."""
    from carecoord.accounts.models import OrganizationType

    if plan.type != OrganizationType.HEALTH_PLAN:
        raise FileRejected(f"{plan} is not a health plan.")
    _, rows = read_rows(text)
    programs = {p.code: p for p in Program.objects.filter(active=True)}
    orgs: dict[str, Organization | None] = {}
    results: list[RowResult] = []
    seen: set[tuple[str, str]] = set()
    for index, row in enumerate(rows, start=2):
        cin = row.get("cin", "").upper()
        key = (cin, row.get("program") or "ny-hh-adult")
        try:
            if cin and key in seen:
                raise RowProblem("the same member and program appear earlier in the file")
            seen.add(key)
            with transaction.atomic():
                outcome, message = _one_row(row, plan=plan, by=by, programs=programs, orgs=orgs)
        except RowProblem as problem:
            outcome, message = Outcome.REJECTED, str(problem)
        except DomainError as error:
            outcome, message = Outcome.REJECTED, str(error)
        results.append(RowResult(row=index, cin=cin, outcome=outcome, message=message))
        if progress is not None:
            progress(index - 1, len(rows))
    return ImportReport(rows=results)


def summary(report: ImportReport) -> str:
    parts: Iterable[str] = (f"{report.count(o)} {o.value}" for o in Outcome)
    return f"{len(report.rows)} rows: " + ", ".join(parts)
