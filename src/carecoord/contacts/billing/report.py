"""The month's billing report: one row per person, program and month, for an organization.

Rows come in batches of ``BATCH`` enrollments, so a report of 200,000 people runs in bounded memory:

- an open month (not closed) is judged live: per batch, one query for the enrollments, one for their contacts
  in the month, one for their time entries' minutes by staff type, two for consents in force (and the partners
  they list), then ``rules.tally`` and ``rules.judge_loaded`` for each enrollment in Python: the same verdicts
  ``judge_month`` gives one enrollment at a time, in about six statements per batch instead of four per person;
- a closed month reads the frozen ``MonthStatus`` rows, with the corrections recorded since the close.

Either way each batch adds one query for names, one for care managers and one for identifiers (the
organization's MRN; the Medicaid CIN or Medicare MBI the claim is made under). ``report_rows`` has no permission
check (the CLI, run by an operator, audits its export itself); the page reaches it through
``access_billing_report`` / ``access_billing_export`` (supervisors and org admins, audited).
"""

from __future__ import annotations

import csv
import datetime
import io
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, Sum
from django.utils import timezone

from carecoord.accounts.models import Organization, User
from carecoord.accounts.permissions import Capability, can
from carecoord.audit.actions import record
from carecoord.audit.models import AuditAction, Purpose
from carecoord.common.errors import AccessDenied
from carecoord.consents.models import Consent, ConsentPartner
from carecoord.consents.queries import current_partner, in_force
from carecoord.contacts.billing.rules import (
    CONTACT_FIELDS,
    MonthReadiness,
    consent_day,
    consent_forms_for,
    judge_loaded,
    last_day,
    month_bounds,
    tally,
)
from carecoord.contacts.billing.table import rules
from carecoord.contacts.models import BillingCorrection, Contact, MonthClose, MonthStatus, Readiness, TimeEntry
from carecoord.patients.models import IdentifierKind, Patient, PatientIdentifier
from carecoord.programs.models import Enrollment, EnrollmentStatus, Program
from carecoord.programs.rules import month_start

BATCH = 2000

COLUMNS = (
    "month",
    "organization",
    "program",
    "patient_id",
    "mrn",
    "member_id",
    "name",
    "care_manager",
    "status",
    "rate",
    "codes",
    "reasons",
    "closed",
    "corrections",
)


def code_text(codes: list[dict[str, Any]]) -> str:
    """``99490x1;99439x2``: each code with its units."""
    return ";".join(f"{c['code']}x{c.get('units', 1)}" for c in codes)


def correction_text(correction: BillingCorrection) -> str:
    when = timezone.localtime(correction.recorded_at)
    codes = code_text(correction.after_codes)
    return (
        f"{when:%Y-%m-%d} {correction.before_status or 'none'}->{correction.after_status}"
        + (f" {codes}" if codes else "")
        + f" ({correction.trigger_type}"
        + (f" by {correction.by.username}" if correction.by is not None else "")
        + ")"
    )


@dataclass
class ReportRow:
    """One person's month in one program, as billed (or why not)."""

    month: datetime.date
    organization: str
    program_code: str
    program: str
    patient_id: Any
    mrn: str
    member_id: str
    name: str
    care_manager: str
    care_manager_id: Any
    status: str
    rate: str
    codes: list[dict[str, Any]]
    reasons: list[str]
    closed: bool
    corrections: list[BillingCorrection] = field(default_factory=list)

    @property
    def code_text(self) -> str:
        return code_text(self.codes)

    @property
    def status_label(self) -> str:
        return Readiness(self.status).label if self.status in Readiness.values else self.status

    def as_csv(self) -> list[str]:
        return [
            f"{self.month:%Y-%m}",
            self.organization,
            self.program_code,
            str(self.patient_id),
            self.mrn,
            self.member_id,
            self.name,
            self.care_manager,
            self.status,
            self.rate,
            self.code_text,
            " ".join(self.reasons),
            "yes" if self.closed else "no",
            " | ".join(correction_text(c) for c in self.corrections),
        ]


def parse_month(text: str) -> datetime.date | None:
    """``YYYY-MM`` → the month's first day, or None when it is not a month."""
    try:
        parsed = datetime.datetime.strptime(text.strip(), "%Y-%m")
    except ValueError:
        return None
    return parsed.date()


def open_close(organization_id: Any, month: datetime.date) -> MonthClose | None:
    """The close in force for the organization's month (None while the month is open or was reopened)."""
    return (
        MonthClose.objects.filter(organization_id=organization_id, month=month_start(month), reopened_at__isnull=True)
        .select_related("closed_by")
        .first()
    )


def enrollments_in(organization_id: Any, month: datetime.date) -> Any:
    """The organization's (or, with None, every organization's) enrollments in force at some point of the month:
    each gets a row."""
    month = month_start(month)
    found = Enrollment.objects.filter(
        Q(end_date__isnull=True) | Q(end_date__gte=month), start_date__lte=last_day(month)
    ).exclude(status__in=[EnrollmentStatus.CANCELLED, EnrollmentStatus.PLANNED])
    return found if organization_id is None else found.filter(organization_id=organization_id)


@dataclass(slots=True)
class EnrollmentRow:
    """The enrollment columns judging reads (``rules.EnrollmentFacts``), without a model instance per person."""

    program: Program
    pk: Any
    patient_id: Any
    program_id: str
    organization_id: Any
    care_manager_id: Any
    status: str
    acuity: str
    start_date: datetime.date
    end_date: datetime.date | None


ENROLLMENT_COLUMNS = (
    "pk",
    "patient_id",
    "program_id",
    "organization_id",
    "care_manager_id",
    "status",
    "acuity",
    "start_date",
    "end_date",
)


def judge_batch(
    enrollments: list[EnrollmentRow],
    month: datetime.date,
    *,
    today: datetime.date,
    table: dict[str, Any],
    programs: dict[Any, Program],
) -> list[tuple[EnrollmentRow, MonthReadiness]]:
    """The month's verdict for each of ``enrollments`` (of one organization, in person order), loading their work
    together: every read is a range of person ids (``_people_in``), an index range scan whatever the size of the
    tables, with no list of ids in the statement."""
    month = month_start(month)
    ours = {e.pk for e in enrollments}
    people = _people_in(enrollments)
    start, end = month_bounds(month)
    contacts: dict[Any, list[Any]] = defaultdict(list)
    for row in Contact.objects.filter(
        people("patient_id"), occurred_at__gte=start, occurred_at__lt=end, enrollment__isnull=False
    ).values_list("enrollment_id", *CONTACT_FIELDS):
        if row[0] in ours:
            contacts[row[0]].append(row[1:])
    minutes: dict[Any, dict[str, int]] = defaultdict(dict)
    for enrollment_id, staff_type, total in (
        TimeEntry.objects.filter(
            people("patient_id"), performed_at__gte=start, performed_at__lt=end, enrollment__isnull=False
        )
        .order_by()
        .values_list("enrollment_id", "staff_type")
        .annotate(total=Sum("minutes"))
    ):
        if enrollment_id in ours:
            minutes[enrollment_id][staff_type] = total or 0
    consented = _consented(enrollments, month, today=today, table=table)
    none: list[Any] = []
    return [
        (
            enrollment,
            judge_loaded(
                enrollment=enrollment,
                month=month,
                today=today,
                table=table,
                counts=tally(
                    contacts.get(enrollment.pk, none), minutes.get(enrollment.pk, {}), enrollment.care_manager_id, table
                ),
                consented=enrollment.pk in consented,
            ),
        )
        for enrollment in enrollments
    ]


def _consented(
    enrollments: list[EnrollmentRow],
    month: datetime.date,
    *,
    today: datetime.date,
    table: dict[str, Any],
) -> set[Any]:
    """The enrollments whose month has a consent in force (listing the organization where the rule says so),
    as ``covering_consent`` judges one person: two queries for the batch."""
    by_program: dict[str, tuple[list[str], bool]] = {}
    for program in {e.program for e in enrollments}:
        rule = table["programs"].get(program.code)
        forms = consent_forms_for(rule, program) if rule else []
        by_program[program.code] = (forms, bool(rule and rule.get("consent_lists_organization")))
    all_forms = sorted({form for forms, _ in by_program.values() for form in forms})
    on = consent_day(month, today)
    held: dict[Any, list[tuple[Any, str]]] = defaultdict(list)
    people = _people_in(enrollments)
    if all_forms:
        for consent_id, patient_id, form in Consent.objects.filter(
            in_force(on), people("patient_id"), form__in=all_forms
        ).values_list("id", "patient_id", "form"):
            held[patient_id].append((consent_id, form))
    partners: dict[Any, set[Any]] = defaultdict(set)
    if held:
        organizations = {e.organization_id for e in enrollments}
        for consent_id, organization_id in ConsentPartner.objects.filter(
            current_partner(on),
            people("consent__patient_id"),
            organization_id__in=organizations,
            consent__form__in=all_forms,
        ).values_list("consent_id", "organization_id"):
            partners[consent_id].add(organization_id)
    covered: set[Any] = set()
    nobody: set[Any] = set()
    for enrollment in enrollments:
        forms, lists_organization = by_program[enrollment.program_id]
        if not forms or any(
            form in forms and (not lists_organization or enrollment.organization_id in partners.get(consent_id, nobody))
            for consent_id, form in held.get(enrollment.patient_id, ())
        ):
            covered.add(enrollment.pk)
    return covered


def live_verdicts(
    organization_id: Any, month: datetime.date, *, today: datetime.date | None = None, batch: int = BATCH
) -> Iterator[list[tuple[EnrollmentRow, MonthReadiness]]]:
    """Every enrollment of the organization in the month, judged now, a batch at a time."""
    for judged, _ in _live_batches(organization_id, month, today=today, batch=batch):
        yield judged


def _live_batches(
    organization_id: Any, month: datetime.date, *, today: datetime.date | None, batch: int
) -> Iterator[tuple[list[tuple[EnrollmentRow, MonthReadiness]], Any]]:
    """Batches of live verdicts in person order, each with its range of people (for names and identifiers)."""
    today = today or timezone.localdate()
    table = rules()
    programs = {p.pk: p for p in Program.objects.all()}
    query = enrollments_in(organization_id, month)
    after: tuple[Any, Any] | None = None
    while True:
        page = query if after is None else query.filter(_after(after))
        enrollments = [
            EnrollmentRow(programs[row[2]], *row)
            for row in page.order_by("patient_id", "pk").values_list(*ENROLLMENT_COLUMNS)[:batch]
        ]
        if not enrollments:
            return
        after = (enrollments[-1].patient_id, enrollments[-1].pk)
        judged = judge_batch(enrollments, month, today=today, table=table, programs=programs)
        yield judged, _people_in(enrollments)


def _after(key: tuple[Any, Any]) -> Q:
    """Rows after ``(patient_id, pk)`` in (person, key) order; the first term lets an index on the person serve."""
    patient_id, pk = key
    return Q(patient_id__gte=patient_id) & (Q(patient_id__gt=patient_id) | Q(pk__gt=pk))


def _people_in(rows: list[Any]) -> Callable[[str], Q]:
    """A filter on a person-id column to the batch's range of people (rows in person order; the range may hold a
    few other people, whom the callers skip)."""
    low, high = rows[0].patient_id, rows[-1].patient_id
    return lambda column: Q(**{f"{column}__gte": low, f"{column}__lte": high})


@dataclass
class _Frozen:
    """A closed ``MonthStatus`` in the shape the row builder reads (as a live verdict and its enrollment)."""

    pk: Any
    patient_id: Any
    program_id: Any
    care_manager_id: Any
    status: str
    rate: str
    codes: list[dict[str, Any]]
    reasons: list[str]


def _closed_batches(
    organization_id: Any, month: datetime.date, batch: int
) -> Iterator[tuple[list[tuple[_Frozen, MonthReadiness]], Any]]:
    query = MonthStatus.objects.filter(organization_id=organization_id, month=month_start(month), closed=True)
    after: tuple[Any, Any] | None = None
    while True:
        page = query if after is None else query.filter(_after(after))
        rows = list(
            page.order_by("patient_id", "pk").values_list(
                "pk",
                "enrollment_id",
                "patient_id",
                "program_id",
                "enrollment__care_manager_id",
                "status",
                "rate",
                "codes",
                "reasons",
            )[:batch]
        )
        if not rows:
            return
        after = (rows[-1][2], rows[-1][0])
        frozen = [_Frozen(*row[1:]) for row in rows]
        yield [(f, MonthReadiness(month, f.status, f.rate, f.codes, f.reasons)) for f in frozen], _people_in(frozen)


def report_rows(
    organization: Organization,
    month: datetime.date,
    *,
    today: datetime.date | None = None,
    batch: int = BATCH,
    progress: Callable[[int, int], None] | None = None,
) -> Iterator[ReportRow]:
    """The report's rows for the organization's month, a batch at a time: frozen when the month is closed,
    judged live otherwise; each with the corrections recorded for it since the close."""
    month = month_start(month)
    close = open_close(organization.pk, month)
    programs = {p.pk: p for p in Program.objects.all()}
    corrections: dict[Any, list[BillingCorrection]] = defaultdict(list)
    if close is not None:
        for correction in BillingCorrection.objects.filter(month_close=close).select_related("by"):
            corrections[correction.enrollment_id].append(correction)
        total = MonthStatus.objects.filter(organization=organization, month=month, closed=True).count()
        batches: Iterable[tuple[list[Any], Any]] = _closed_batches(organization.pk, month, batch)
    else:
        total = enrollments_in(organization.pk, month).count()
        batches = _live_batches(organization.pk, month, today=today, batch=batch)
    done = 0
    for judged, patients in batches:
        people = _people(patients, organization.pk)
        managers = _names({e.care_manager_id for e, _ in judged if e.care_manager_id is not None})
        for enrollment, verdict in judged:
            program = programs[enrollment.program_id]
            name, mrn, cin, mbi = people.get(enrollment.patient_id, ("", "", "", ""))
            yield ReportRow(
                month=month,
                organization=organization.name,
                program_code=program.code,
                program=program.name,
                patient_id=enrollment.patient_id,
                mrn=mrn,
                member_id=mbi if program.code.startswith("medicare") else cin,
                name=name,
                care_manager=managers.get(enrollment.care_manager_id, ""),
                care_manager_id=enrollment.care_manager_id,
                status=verdict.status,
                rate=verdict.rate,
                codes=verdict.codes,
                reasons=verdict.reasons,
                closed=close is not None,
                corrections=corrections.get(enrollment.pk, []),
            )
        done += len(judged)
        if progress is not None:
            progress(done, total)


def _people(people: Callable[[str], Q], organization_id: Any) -> dict[Any, tuple[str, str, str, str]]:
    """Name, the organization's MRN, Medicaid CIN and Medicare MBI of each person in a batch's range of people
    (two queries)."""
    names = {
        pk: f"{family}, {given}"
        for pk, family, given in Patient.objects.filter(people("pk")).values_list("pk", "family_name", "given_names")
    }
    found: dict[Any, dict[str, str]] = defaultdict(dict)
    for patient_id, kind, value, assigner_id in PatientIdentifier.objects.filter(
        people("patient_id"),
        kind__in=[IdentifierKind.MRN, IdentifierKind.MEDICAID_CIN, IdentifierKind.MEDICARE_MBI],
    ).values_list("patient_id", "kind", "value", "assigner_id"):
        if kind == IdentifierKind.MRN and assigner_id != organization_id:
            continue
        found[patient_id].setdefault(kind, value)
    return {
        pk: (
            name,
            found[pk].get(IdentifierKind.MRN, ""),
            found[pk].get(IdentifierKind.MEDICAID_CIN, ""),
            found[pk].get(IdentifierKind.MEDICARE_MBI, ""),
        )
        for pk, name in names.items()
    }


def _names(user_ids: set[Any]) -> dict[Any, str]:
    return {user.pk: str(user) for user in User.objects.filter(pk__in=user_ids).only("first_name", "last_name")}


def write_csv(rows: Iterable[ReportRow], out: Any, *, header: bool = True) -> int:
    """The rows as CSV (the header first, unless ``header`` is false) to a text stream; returns how many rows."""
    writer = csv.writer(out, lineterminator="\n")
    if header:
        writer.writerow(COLUMNS)
    count = 0
    for row in rows:
        writer.writerow(row.as_csv())
        count += 1
    return count


def csv_chunks(rows: Iterable[ReportRow], every: int = 500) -> Iterator[str]:
    """The CSV as text chunks (a streaming HTTP response)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for count, row in enumerate(rows, 1):
        writer.writerow(row.as_csv())
        if count % every == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


@dataclass
class Totals:
    """Counts by status for one group (a program, an agency, a care manager) and its billable rate."""

    label: str
    billable: int = 0
    at_risk: int = 0
    not_billable: int = 0
    other: int = 0

    @property
    def total(self) -> int:
        return self.billable + self.at_risk + self.not_billable + self.other

    @property
    def rate(self) -> float:
        return self.billable / self.total if self.total else 0.0

    def add(self, status: str) -> None:
        if status == Readiness.BILLABLE:
            self.billable += 1
        elif status == Readiness.AT_RISK:
            self.at_risk += 1
        elif status == Readiness.NOT_BILLABLE:
            self.not_billable += 1
        else:
            self.other += 1


@dataclass
class Summary:
    """The report folded for the page: totals by program, agency and care manager, and the rows."""

    rows: list[ReportRow]
    by_program: list[Totals]
    by_agency: list[Totals]
    by_care_manager: list[Totals]
    overall: Totals


def summarize(rows: Iterable[ReportRow]) -> Summary:
    kept: list[ReportRow] = []
    programs: dict[str, Totals] = {}
    agencies: dict[str, Totals] = {}
    managers: dict[Any, Totals] = {}
    overall = Totals("All")
    for row in rows:
        kept.append(row)
        programs.setdefault(row.program_code, Totals(row.program)).add(row.status)
        agencies.setdefault(row.organization, Totals(row.organization)).add(row.status)
        managers.setdefault(row.care_manager_id, Totals(row.care_manager or "No care manager")).add(row.status)
        overall.add(row.status)
    kept.sort(key=lambda r: (r.name.casefold(), r.program_code))
    return Summary(
        rows=kept,
        by_program=sorted(programs.values(), key=lambda t: t.label),
        by_agency=sorted(agencies.values(), key=lambda t: t.label),
        by_care_manager=sorted(managers.values(), key=lambda t: t.label.casefold()),
        overall=overall,
    )


def may_read_report(user: User) -> bool:
    """Supervisors (reports) and organization administrators (who close and reopen months) read the report."""
    return can(user, Capability.REPORTS) or can(user, Capability.MANAGE_ORGANIZATION)


@dataclass
class BillingReport:
    """What the billing page shows: the month, its close (if any), the folded report and its corrections."""

    month: datetime.date
    close: MonthClose | None
    summary: Summary
    corrections: list[BillingCorrection]


def access_billing_report(user: User, month: datetime.date) -> BillingReport:
    """The user's organization's report for the month, for the billing page (audited as one read of the month's
    statuses, purpose operations; the people are in the record's detail count, not one record each)."""
    if not may_read_report(user):
        raise AccessDenied("Only supervisors and administrators read the billing report.")
    month = month_start(month)
    organization = user.organization
    summary = summarize(report_rows(organization, month))
    close = open_close(organization.pk, month)
    corrections = list(
        BillingCorrection.objects.filter(organization=organization, month=month)
        .select_related("by", "patient", "enrollment__program", "month_close")
        .order_by("-recorded_at", "-id")[:200]
    )
    record(
        by=user,
        action=AuditAction.READ,
        object_type="MonthStatus",
        object_id=f"{organization.pk}:{month:%Y-%m}",
        purpose=Purpose.OPERATIONS,
        detail={"report": "billing", "month": f"{month:%Y-%m}", "rows": len(summary.rows)},
    )
    return BillingReport(month=month, close=close, summary=summary, corrections=corrections)


def access_billing_export(user: User, month: datetime.date) -> Iterator[ReportRow]:
    """The same report's rows for a CSV download (audited as one export)."""
    if not may_read_report(user):
        raise AccessDenied("Only supervisors and administrators read the billing report.")
    month = month_start(month)
    record(
        by=user,
        action=AuditAction.EXPORT,
        object_type="MonthStatus",
        object_id=f"{user.organization_id}:{month:%Y-%m}",
        purpose=Purpose.OPERATIONS,
        detail={"report": "billing", "month": f"{month:%Y-%m}", "format": "csv"},
    )
    return report_rows(user.organization, month)
