"""Reads for supervisors: a team's workload now and its productivity in a month. No permission check
(``supervision.access`` decides who is on the team and what each viewer may open).

Every function runs a fixed handful of aggregate statements whatever the team's size: counts are grouped by
care manager in the database (``COUNT(...) FILTER (WHERE ...)``, which Django writes as ``CASE`` on SQLite) and
joined to the staff rows in Python.
"""

from __future__ import annotations

import datetime
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Func, IntegerField, Q, Sum

from carecoord.accounts.models import Role, User
from carecoord.common.errors import ValidationFailed
from carecoord.contacts.billing.rules import month_bounds
from carecoord.contacts.models import Contact, MonthStatus, Outcome, Readiness, TimeEntry
from carecoord.programs.models import Enrollment, EnrollmentStatus, OutreachAttempt, OutreachOutcome, Program
from carecoord.programs.rules import month_start
from carecoord.tasks.models import OPEN_STATUSES, Task, TaskKind

OPEN_ENROLLMENT = (EnrollmentStatus.ACTIVE, EnrollmentStatus.ON_HOLD)
# A contact reached the person (or did its work without a conversation): the outcomes whose core services
# count for billing (contacts.billing.table "counted_outcomes").
SUCCESSFUL_CONTACT = (Outcome.REACHED, Outcome.COMPLETED)
# An outreach attempt succeeded when it reached the person, whether they engaged or declined.
SUCCESSFUL_OUTREACH = (OutreachOutcome.REACHED, OutreachOutcome.REACHED_DECLINED)
ASSESSED = (Readiness.BILLABLE, Readiness.AT_RISK, Readiness.NOT_BILLABLE)
NO_ACUITY = ""


@dataclass(frozen=True)
class Member:
    """A member of a supervisor's team, as the reports name them (staff, not patients)."""

    id: uuid.UUID
    name: str
    role_label: str


def members_of(users: Iterable[User]) -> list[Member]:
    roles = dict(Role.choices)
    found = [
        Member(
            id=user.pk,
            name=user.get_full_name() or user.username,
            role_label=str(roles.get(user.role, user.role)) + ("" if user.is_active else " (has left)"),
        )
        for user in users
    ]
    return sorted(found, key=lambda member: member.name.lower())


def parse_month(text: str | None, *, today: datetime.date) -> datetime.date:
    """``YYYY-MM`` as the first day of that month; the current month when empty."""
    if not text:
        return month_start(today)
    matched = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
    if matched is None or not 1 <= int(matched.group(2)) <= 12 or int(matched.group(1)) < 2000:
        raise ValidationFailed(f"{text!r} is not a month: write it as YYYY-MM, e.g. 2026-11.", field="month")
    return datetime.date(int(matched.group(1)), int(matched.group(2)), 1)


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


# Workload --------------------------------------------------------------------------------------------------------


@dataclass
class WorkloadRow:
    """One care manager's load now: people held, their acuity, open work and this month's billing standing."""

    member: Member | None  # None for the team's totals
    caseload: int = 0
    by_acuity: dict[str, int] = field(default_factory=dict)
    open_tasks: int = 0
    overdue_tasks: int = 0
    safety_tasks: int = 0
    billable: int = 0
    at_risk: int = 0
    assessed: int = 0

    @property
    def billable_rate(self) -> float | None:
        """Billable months over months the rules judged (billable, at risk or not billable) this month."""
        return _rate(self.billable, self.assessed)

    def add(self, other: WorkloadRow) -> None:
        for name in ("caseload", "open_tasks", "overdue_tasks", "safety_tasks", "billable", "at_risk", "assessed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for code, count in other.by_acuity.items():
            self.by_acuity[code] = self.by_acuity.get(code, 0) + count


@dataclass
class Workload:
    rows: list[WorkloadRow]
    totals: WorkloadRow
    acuity_labels: dict[str, str]  # code → label, in the programs' tier order; "" is "not set"
    month: datetime.date


def acuity_labels() -> dict[str, str]:
    """Acuity tier codes → labels, in the order the programs list them (highest first, as configured)."""
    labels: dict[str, str] = {}
    for tiers in Program.objects.order_by("code").values_list("acuity_tiers", flat=True):
        for tier in tiers or []:
            code = str(tier.get("code", ""))
            if code:
                labels.setdefault(code, str(tier.get("label", code)))
    return labels


def team_workload(
    members: Sequence[Member], *, organization_id: uuid.UUID, now: datetime.datetime, today: datetime.date
) -> Workload:
    """Four statements for the whole team: caseload by acuity, open tasks, this month's verdicts, tier labels."""
    ids = [member.id for member in members]
    rows = {member.id: WorkloadRow(member=member) for member in members}
    caseload = (
        Enrollment.objects.filter(organization_id=organization_id, status__in=OPEN_ENROLLMENT, care_manager_id__in=ids)
        .values("care_manager_id", "acuity")
        .annotate(n=Count("*"))
        .order_by()
    )
    for group in caseload:
        row = rows[group["care_manager_id"]]
        row.caseload += group["n"]
        code = group["acuity"] or NO_ACUITY
        row.by_acuity[code] = row.by_acuity.get(code, 0) + group["n"]
    tasks = (
        Task.objects.filter(organization_id=organization_id, status__in=OPEN_STATUSES, owner_id__in=ids)
        .values("owner_id")
        .annotate(
            open=Count("*"),
            overdue=Count("pk", filter=Q(due_at__lt=now)),
            safety=Count("pk", filter=Q(kind=TaskKind.SAFETY)),
        )
        .order_by()
    )
    for group in tasks:
        row = rows[group["owner_id"]]
        row.open_tasks, row.overdue_tasks, row.safety_tasks = group["open"], group["overdue"], group["safety"]
    month = month_start(today)
    verdicts = (
        MonthStatus.objects.filter(
            organization_id=organization_id, month=month, enrollment__care_manager_id__in=ids, status__in=ASSESSED
        )
        .values("enrollment__care_manager_id")
        .annotate(
            assessed=Count("*"),
            billable=Count("pk", filter=Q(status=Readiness.BILLABLE)),
            at_risk=Count("pk", filter=Q(status=Readiness.AT_RISK)),
        )
        .order_by()
    )
    for group in verdicts:
        row = rows[group["enrollment__care_manager_id"]]
        row.assessed, row.billable, row.at_risk = group["assessed"], group["billable"], group["at_risk"]
    totals = WorkloadRow(member=None)
    for row in rows.values():
        totals.add(row)
    labels = acuity_labels()
    present = {code for row in rows.values() for code in row.by_acuity}
    ordered = {code: label for code, label in labels.items() if code in present}
    ordered.update({code: code for code in sorted(present - set(labels) - {NO_ACUITY})})
    if NO_ACUITY in present:
        ordered[NO_ACUITY] = "Not set"
    return Workload(rows=list(rows.values()), totals=totals, acuity_labels=ordered, month=month)


# Productivity ----------------------------------------------------------------------------------------------------


class JsonArrayLength(Func):
    """The number of items in a JSON array column (SQLite ``json_array_length``, PostgreSQL
    ``jsonb_array_length``): lets core services be summed in the database."""

    function = "JSON_ARRAY_LENGTH"
    output_field = IntegerField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return super().as_sql(compiler, connection, function="JSONB_ARRAY_LENGTH", **extra)


@dataclass
class ProductivityRow:
    """One care manager's work in a month."""

    member: Member | None  # None for the team's totals
    contacts: int = 0
    contact_minutes: int = 0
    time_minutes: int = 0
    people_reached: int = 0
    core_services: int = 0
    outreach_attempts: int = 0
    outreach_successes: int = 0

    @property
    def minutes(self) -> int:
        return self.contact_minutes + self.time_minutes

    @property
    def outreach_success_rate(self) -> float | None:
        return _rate(self.outreach_successes, self.outreach_attempts)


NUMBERS = (
    "contacts",
    "contact_minutes",
    "time_minutes",
    "people_reached",
    "core_services",
    "outreach_attempts",
    "outreach_successes",
)


def team_productivity(
    members: Sequence[Member], *, organization_id: uuid.UUID, month: datetime.date
) -> tuple[list[ProductivityRow], ProductivityRow]:
    """Per care manager, in the month (the organization's zone): contacts, minutes (contacts and time entries),
    distinct people reached by a successful contact, core services those contacts delivered, outreach attempts
    and how many reached the person. Three statements for the whole team. The totals' people reached counts a
    person once per care manager who reached them."""
    ids = [member.id for member in members]
    start, end = month_bounds(month)
    rows = {member.id: ProductivityRow(member=member) for member in members}
    successful = Q(outcome__in=SUCCESSFUL_CONTACT)
    contacts = (
        Contact.objects.filter(
            organization_id=organization_id, by_id__in=ids, occurred_at__gte=start, occurred_at__lt=end
        )
        .values("by_id")
        .annotate(
            n=Count("*"),
            minutes=Sum("duration_minutes"),
            reached=Count("patient_id", distinct=True, filter=successful),
            services=Sum(JsonArrayLength("core_services"), filter=successful),
        )
        .order_by()
    )
    for group in contacts:
        row = rows[group["by_id"]]
        row.contacts, row.contact_minutes = group["n"], group["minutes"] or 0
        row.people_reached, row.core_services = group["reached"], group["services"] or 0
    time = (
        TimeEntry.objects.filter(
            organization_id=organization_id, by_id__in=ids, performed_at__gte=start, performed_at__lt=end
        )
        .values("by_id")
        .annotate(minutes=Sum("minutes"))
        .order_by()
    )
    for group in time:
        rows[group["by_id"]].time_minutes = group["minutes"] or 0
    outreach = (
        OutreachAttempt.objects.filter(
            organization_id=organization_id, by_id__in=ids, attempted_at__gte=start, attempted_at__lt=end
        )
        .values("by_id")
        .annotate(n=Count("*"), reached=Count("pk", filter=Q(outcome__in=SUCCESSFUL_OUTREACH)))
        .order_by()
    )
    for group in outreach:
        row = rows[group["by_id"]]
        row.outreach_attempts, row.outreach_successes = group["n"], group["reached"]
    totals = ProductivityRow(member=None)
    for row in rows.values():
        for name in NUMBERS:
            setattr(totals, name, getattr(totals, name) + getattr(row, name))
    return list(rows.values()), totals
