"""The outreach billing rules (STANDARDS.md A.4), judged per person across every organization.

- At most ``outreach_max_consecutive_months`` (NY: 2) consecutive billable outreach months; the second needs a
  face-to-face (in-person) attempt when ``outreach_second_month_needs_in_person``.
- At most ``outreach_max_billable_months_per_year`` (NY: 4) billable outreach months in any rolling 12 months.
- A month needs at least one attempt by the claiming organization, and mail alone is not enough.
The limits are the program's settings, so another program (or a revised policy) changes them without code.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q

from carecoord.patients.models import Patient
from carecoord.programs.models import (
    Enrollment,
    EnrollmentStatus,
    OutreachAttempt,
    OutreachMethod,
    OutreachMonth,
    OutreachMonthStatus,
    Program,
)


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def add_months(month: datetime.date, count: int) -> datetime.date:
    index = month.year * 12 + (month.month - 1) + count
    return datetime.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class OutreachVerdict:
    billable: bool
    reason: str
    needs_in_person: bool = False
    attempts: int = 0
    in_person: bool = False


@dataclass(frozen=True)
class OutreachStanding:
    """Where a person stands against the outreach rules in a month (for the outreach log and the board)."""

    month: datetime.date
    billable_months: list[datetime.date] = field(default_factory=list)  # in the 12 months ending ``month``
    consecutive_before: int = 0  # billable months in a row just before ``month``
    used_in_year: int = 0
    limit_per_year: int | None = None
    limit_consecutive: int | None = None
    verdict: OutreachVerdict | None = None

    @property
    def remaining_in_year(self) -> int | None:
        return None if self.limit_per_year is None else max(0, self.limit_per_year - self.used_in_year)


def _billable_months(patient: Patient, *, excluding: tuple[object, object, datetime.date] | None) -> set[datetime.date]:
    claims = OutreachMonth.objects.filter(patient=patient, status=OutreachMonthStatus.BILLABLE)
    if excluding is not None:
        program_id, organization_id, month = excluding
        claims = claims.exclude(Q(program_id=program_id) & Q(organization_id=organization_id) & Q(month=month))
    return set(claims.values_list("month", flat=True))


def _run(months: set[datetime.date], start: datetime.date, step: int) -> int:
    count, current = 0, add_months(start, step)
    while current in months:
        count += 1
        current = add_months(current, step)
    return count


def judge_outreach_month(
    *, patient: Patient, program: Program, organization_id: Any, month: datetime.date
) -> OutreachVerdict:
    """Would ``month`` be a billable outreach month for the person if this organization claimed it?"""
    month = month_start(month)
    if not program.outreach_allowed:
        return OutreachVerdict(False, f"{program} does not bill outreach.")
    next_month = add_months(month, 1)
    attempts = list(
        OutreachAttempt.objects.filter(
            patient=patient,
            program=program,
            organization_id=organization_id,
            attempted_at__date__gte=month,
            attempted_at__date__lt=next_month,
        ).values_list("method", flat=True)
    )
    in_person = OutreachMethod.IN_PERSON in attempts
    counts: dict[str, Any] = {"attempts": len(attempts), "in_person": in_person}
    if not attempts:
        return OutreachVerdict(False, "No outreach attempt was recorded this month.", **counts)
    if all(method == OutreachMethod.MAIL for method in attempts):
        return OutreachVerdict(False, "Mail alone does not make an outreach month billable.", **counts)
    if (
        Enrollment.objects.filter(
            patient=patient,
            program=program,
            start_date__lte=month,
            status__in=[EnrollmentStatus.ACTIVE, EnrollmentStatus.ON_HOLD, EnrollmentStatus.FINISHED],
        )
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=next_month))
        .exists()
    ):
        return OutreachVerdict(False, "The person was enrolled for the whole month; bill the enrolled month.", **counts)
    others = OutreachMonth.objects.filter(patient=patient, month=month, status=OutreachMonthStatus.BILLABLE).exclude(
        program=program, organization_id=organization_id
    )
    other = others.select_related("organization").first()
    if other is not None:
        return OutreachVerdict(False, f"{other.organization} already billed outreach for this month.", **counts)
    billed = _billable_months(patient, excluding=(program.pk, organization_id, month))
    limit_run = program.outreach_max_consecutive_months
    before, after = _run(billed, month, -1), _run(billed, month, +1)
    if limit_run is not None and before + 1 + after > limit_run:
        position = before + 1
        return OutreachVerdict(
            False,
            f"This would be outreach month {position} in a row (at most {limit_run} consecutive months); "
            "the person needs a month without billed outreach first.",
            **counts,
        )
    needs_in_person = bool(program.outreach_second_month_needs_in_person and before >= 1)
    if needs_in_person and not in_person:
        return OutreachVerdict(
            False,
            "This is the second consecutive outreach month: it needs a face-to-face (in-person) attempt.",
            needs_in_person=True,
            **counts,
        )
    limit_year = program.outreach_max_billable_months_per_year
    if limit_year is not None:
        for offset in range(12):
            window_end = add_months(month, offset)
            window_start = add_months(window_end, -11)
            used = sum(1 for m in billed if window_start <= m <= window_end)
            if used + 1 > limit_year:
                return OutreachVerdict(
                    False,
                    f"The person already has {used} billable outreach months in the 12 months ending "
                    f"{window_end:%B %Y} (at most {limit_year}, counted across all organizations).",
                    needs_in_person=needs_in_person,
                    **counts,
                )
    return OutreachVerdict(True, "Billable outreach month.", needs_in_person=needs_in_person, **counts)


def outreach_standing(
    *, patient: Patient, program: Program, organization_id: Any, month: datetime.date
) -> OutreachStanding:
    month = month_start(month)
    billed = _billable_months(patient, excluding=None)
    window = sorted(m for m in billed if add_months(month, -11) <= m <= month)
    return OutreachStanding(
        month=month,
        billable_months=window,
        consecutive_before=_run(billed, month, -1),
        used_in_year=len(window),
        limit_per_year=program.outreach_max_billable_months_per_year,
        limit_consecutive=program.outreach_max_consecutive_months,
        verdict=judge_outreach_month(patient=patient, program=program, organization_id=organization_id, month=month)
        if program.outreach_allowed
        else None,
    )
