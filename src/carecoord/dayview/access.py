"""The care manager's day, permission-checked: who is asked about is the user's caseload (their active
enrollments), people the user may see (``patients.access.visible_patients``), the user's tasks and their queues',
and referrals waiting for the user's organization (a party to each). The page is audited once, as a listing
naming every person shown; the counts fragment shows no one and is not.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field

from django.utils import timezone

from carecoord.accounts.models import User
from carecoord.accounts.permissions import Capability, can
from carecoord.audit.actions import record
from carecoord.audit.models import AuditAction, AuditOutcome
from carecoord.common.errors import AccessDenied
from carecoord.dayview import sources
from carecoord.dayview.ranking import KIND_LABELS, Ranked, Row, counts, rank
from carecoord.patients.access import visible_patients

KINDS: frozenset[str] = frozenset(code for code, _ in KIND_LABELS)
PAGE_ROWS = 100  # rows on one page of the day; the rest are a click away


@dataclass(frozen=True)
class DayFilters:
    """``kind``: one of the chips (``ranking.Kind``) or "all"; ``queues``: include work waiting in the user's
    queues (otherwise only tasks the user owns)."""

    kind: str = "all"
    queues: bool = True
    page: int = 1

    @classmethod
    def parse(cls, kind: str | None, scope: str | None, page: str | None = None) -> DayFilters:
        number = int(page) if page and page.isdigit() and 0 < int(page) < 10_000 else 1
        return cls(kind=kind if kind in KINDS else "all", queues=scope != "mine", page=number)


@dataclass(frozen=True)
class Day:
    """What the user should do today, ranked, and how many of each kind there are (before the kind filter)."""

    filters: DayFilters
    rows: list[Ranked]  # this page's
    counts: dict[str, int]
    today: datetime.date
    tasks_cut: bool = False  # more overdue and due-today tasks than the page shows
    people: list[str] = field(default_factory=list)
    band_totals: dict[int, int] = field(default_factory=dict)  # rows in each band, all pages
    first: int = 0  # index of this page's first row in the whole ranked list
    matching: int = 0  # rows of the chosen kind, all pages

    @property
    def last(self) -> int:
        """The place of this page's last row, counting from 1."""
        return self.first + len(self.rows)

    @property
    def more(self) -> int:
        return max(self.matching - self.first - len(self.rows), 0)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _gate(user: User) -> None:
    if not can(user, Capability.TASKS):
        record(by=user, action=AuditAction.SEARCH, object_type="DayView", outcome=AuditOutcome.DENIED)
        raise AccessDenied("Your role has no work list.")


def _gather(user: User, filters: DayFilters) -> tuple[list[Row], bool]:
    """Every source's rows for the user (a fixed number of statements, whatever the caseload's size)."""
    now = timezone.now()
    today = timezone.localdate()
    visible = visible_patients(user)
    load = sources.caseload(user, visible, today)
    people = load.patient_ids
    work = sources.work_filter(user, queues=filters.queues)
    covered = sources.Covered()
    rows: list[Row] = []
    rows += sources.safety_flags(user, people, work, covered)
    rows += sources.transitions(user, people, today, covered)
    rows += sources.recent_events(people, now, covered)
    rows += sources.plan_reviews(user, people, today, covered)
    task_rows, cut = sources.tasks(user, visible, work, now, today, covered)
    rows += task_rows
    rows += sources.months_at_risk(load, today)
    rows += sources.screenings_overdue(load, today)
    if can(user, Capability.VIEW_PATIENTS):
        rows += sources.referrals_waiting(user, today)
        rows += sources.referral_updates(user, visible, today)
    return rows, cut


def access_day(user: User, *, filters: DayFilters | None = None) -> Day:
    """One page of the ranked day (``PAGE_ROWS`` rows), filtered by kind; audited once naming the people on it."""
    _gate(user)
    filters = filters or DayFilters()
    rows, cut = _gather(user, filters)
    ranked = rank(rows, now=timezone.localtime(), today=timezone.localdate())
    matching = [r for r in ranked if filters.kind == "all" or r.row.kind == filters.kind]
    pages = max((len(matching) + PAGE_ROWS - 1) // PAGE_ROWS, 1)
    first = (min(filters.page, pages) - 1) * PAGE_ROWS
    shown = matching[first : first + PAGE_ROWS]
    people = list(dict.fromkeys(str(r.row.person.id) for r in shown if r.row.person is not None))
    if shown:
        record(
            by=user,
            action=AuditAction.SEARCH,
            object_type="DayView",
            detail={
                "list": "day",
                "kind": filters.kind,
                "queues": filters.queues,
                "page": filters.page,
                "results": [r.row.key for r in shown],
                "patients": sorted(people),
            },
        )
    return Day(
        filters=filters,
        rows=shown,
        counts=counts(rows),
        today=timezone.localdate(),
        tasks_cut=cut,
        people=people,
        band_totals=dict(Counter(r.band.code for r in matching)),
        first=first,
        matching=len(matching),
    )


def access_day_counts(user: User, *, filters: DayFilters | None = None) -> dict[str, int]:
    """How many rows of each kind (for the polled counts; names no one, so not audited)."""
    _gate(user)
    rows, _ = _gather(user, filters or DayFilters())
    return counts(rows)
