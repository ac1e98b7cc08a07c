"""The day view's order, as data: what a care manager should do first, and why.

Every row is one thing to do (a safety flag, a transition's next step, a task, a month at risk, a plan review, a
screening, a referral waiting for a decision, a community referral's news: a rejected or failed one is due today,
other news is undated). Rows are placed in bands, most urgent first; ``BANDS`` is the rule table:

====  ============  ==========================================================  ===========================
band  name          a row is in it when                                         within the band
====  ============  ==========================================================  ===========================
0     safety        it is a safety flag                                         newest flag first (input)
1     overdue       its due moment has passed                                   most overdue first
2     due today     it is due today                                             priority, then due time
3     coming up     anything else                                               due date, undated last
====  ============  ==========================================================  ===========================

Ties are broken by ``KIND_ORDER`` (a transition before a task before a month at risk ...) and then by the order
the sources gave (sorting is stable), so the same data always gives the same list.

``urgency`` is the same order as one number for display and tests: 400 for safety, 300 + days overdue (at most
99) when overdue, 200 + 10 per priority step when due today, 100 - days until due (at least 1) for the rest, and
0 for the undated.

Pure: no database, no Django models; the caller passes ``now`` in the organization's zone (dates are due by the
end of that day there) and the local ``today``.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


class Kind:
    """What a row is about (also the filter chips' codes)."""

    SAFETY = "safety"
    TRANSITION = "transitions"
    TASK = "tasks"
    CONTACT = "contacts"
    REVIEW = "reviews"
    SCREENING = "screening"
    REFERRAL = "referrals"


# Chip order and labels; a tie inside a band follows this order too.
KIND_LABELS: tuple[tuple[str, str], ...] = (
    (Kind.SAFETY, "Safety"),
    (Kind.TRANSITION, "Transitions"),
    (Kind.TASK, "Tasks"),
    (Kind.CONTACT, "Contacts this month"),
    (Kind.REVIEW, "Plan reviews"),
    (Kind.SCREENING, "Screening"),
    (Kind.REFERRAL, "Referrals"),
)
KIND_ORDER: dict[str, int] = {code: index for index, (code, _) in enumerate(KIND_LABELS)}

# FHIR request priorities, most urgent first (tasks' codes; other rows take the one that fits them).
PRIORITY_RANK: dict[str, int] = {"stat": 0, "asap": 1, "urgent": 2, "routine": 3}


@dataclass(frozen=True)
class Person:
    """Who a row is about, as the row shows them."""

    id: uuid.UUID
    name: str  # "Family, Given"
    birth_date: datetime.date | None


@dataclass(frozen=True)
class Row:
    """One thing to do today: what, about whom, why (in words), when, and the one-click action."""

    kind: str
    key: str  # stable and unique in a day: "Task/<id>"
    title: str
    why: str
    action_url: str
    action_label: str
    person: Person | None = None
    due: datetime.datetime | datetime.date | None = None
    priority: str = "routine"
    detail: str = ""  # a second line: the queue, the program


@dataclass(frozen=True)
class Band:
    code: int
    name: str
    label: str


BANDS: tuple[Band, ...] = (
    Band(0, "safety", "Safety"),
    Band(1, "overdue", "Overdue"),
    Band(2, "today", "Due today"),
    Band(3, "later", "Coming up"),
)


@dataclass(frozen=True)
class Ranked:
    """A row with its place: the band, the urgency score and how far off its due moment is (days; negative
    when overdue, None when undated)."""

    row: Row
    band: Band
    urgency: int
    days: int | None
    overdue: bool = field(default=False)


def _due_moment(due: datetime.datetime | datetime.date, zone: datetime.tzinfo | None) -> datetime.datetime:
    """A date is due by the end of that day (the first moment of the next)."""
    if isinstance(due, datetime.datetime):
        return due
    return datetime.datetime.combine(due + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone)


def _due_day(due: datetime.datetime | datetime.date, zone: datetime.tzinfo | None) -> datetime.date:
    if isinstance(due, datetime.datetime):
        return due.astimezone(zone).date() if zone is not None and due.tzinfo is not None else due.date()
    return due


def place(row: Row, *, now: datetime.datetime, today: datetime.date) -> Ranked:
    """The band and urgency of one row (see the table above)."""
    zone = now.tzinfo
    if row.kind == Kind.SAFETY:
        return Ranked(row, BANDS[0], 400, None)
    if row.due is None:
        return Ranked(row, BANDS[3], 0, None)
    days = (_due_day(row.due, zone) - today).days
    if _due_moment(row.due, zone) <= now:
        return Ranked(row, BANDS[1], 300 + min(max(-days, 0), 99), days, overdue=True)
    if days <= 0:
        steps = 3 - PRIORITY_RANK.get(row.priority, 3)
        return Ranked(row, BANDS[2], 200 + 10 * steps, 0)
    return Ranked(row, BANDS[3], 100 - min(days, 99), days)


def _key(item: tuple[int, Ranked], zone: datetime.tzinfo | None) -> tuple[object, ...]:
    index, ranked = item
    row = ranked.row
    due = _due_moment(row.due, zone).timestamp() if row.due is not None else float("inf")
    if ranked.band.code == 2:  # due today: priority first, then the time
        within: tuple[float, ...] = (PRIORITY_RANK.get(row.priority, 3), due)
    else:  # overdue (earliest due is most overdue) and the rest: by due moment
        within = (due,)
    return (ranked.band.code, *within, KIND_ORDER.get(row.kind, 99), index)


def rank(rows: Iterable[Row], *, now: datetime.datetime, today: datetime.date) -> list[Ranked]:
    """The rows in the day's order (stable: equal rows keep the sources' order)."""
    placed = [place(row, now=now, today=today) for row in rows]
    ordered = sorted(enumerate(placed), key=lambda item: _key(item, now.tzinfo))
    return [ranked for _, ranked in ordered]


def counts(rows: Sequence[Row]) -> dict[str, int]:
    """How many rows of each kind (every kind present, zero when none)."""
    found = {code: 0 for code, _ in KIND_LABELS}
    for row in rows:
        found[row.kind] = found.get(row.kind, 0) + 1
    return found
