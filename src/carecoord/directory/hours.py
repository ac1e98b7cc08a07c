"""Opening hours: HSDS 3.0 schedules read into plain intervals, and whether a place is open at a moment.

What is understood (anything else is shown as the source's description and never counted as open):

- ``FREQ=WEEKLY`` (or no ``freq``) with ``BYDAY`` of plain days (``MO,TU,...``; ordinals such as ``1MO`` are not
  understood) and ``opens_at``/``closes_at``: the regular weekly hours. ``INTERVAL`` other than 1, ``COUNT``,
  ``BYMONTHDAY``, ``BYYEARDAY`` and ``BYWEEKNO`` are not understood.
- ``FREQ=DAILY``: the same hours every day.
- ``valid_from``/``valid_to`` and ``dtstart``/``until`` bound a row (the narrower of the two pairs).
- A row with dates and no ``BYDAY`` is a date-specific row: when not ``closed``, its hours replace the weekly hours
  on those dates (a holiday's shorter hours); when ``closed``, the place is closed on those dates (and only on the
  ``BYDAY`` days, when given). A closed row without dates or days closes the place altogether.
- ``FREQ=YEARLY`` rows (and Ohana holidays dated in year 1) recur every year on the same month and day.
- ``closes_at`` before ``opens_at`` runs past midnight into the next day; ``closes_at`` 00:00 is midnight; opening
  and closing both at 00:00 is open all day.

Times are local to the configured time zone (``CARECOORD_TIME_ZONE``). ``search.py`` asks the same question of the
index in SQL; ``intervals_on`` here is the reference it mirrors.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from carecoord.directory.models import Schedule

DAYS = {"MO": 1, "TU": 2, "WE": 3, "TH": 4, "FR": 5, "SA": 6, "SU": 7}
DAY_NAMES = ("", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
YEARLY_BASE = 2000  # yearly dates are stored in this leap year
WHOLE_DAY = 1440


class HoursRow(Protocol):
    """An interval rule: ``Hours`` or a stored ``SearchHours``."""

    @property
    def weekday(self) -> int | None: ...
    @property
    def opens(self) -> int: ...
    @property
    def closes(self) -> int: ...
    @property
    def valid_from(self) -> datetime.date | None: ...
    @property
    def valid_to(self) -> datetime.date | None: ...
    @property
    def closed(self) -> bool: ...
    @property
    def yearly(self) -> bool: ...


@dataclass(frozen=True)
class Hours:
    """One interval rule (the fields of ``SearchHours``)."""

    weekday: int | None
    opens: int
    closes: int
    valid_from: datetime.date | None
    valid_to: datetime.date | None
    closed: bool = False
    yearly: bool = False


def _minutes(value: datetime.time) -> int:
    return value.hour * 60 + value.minute


def _on_base_year(day: datetime.date) -> datetime.date:
    return day.replace(year=YEARLY_BASE)


def _bounds(schedule: Schedule) -> tuple[datetime.date | None, datetime.date | None]:
    lows = [d for d in (schedule.valid_from, schedule.dtstart) if d is not None]
    highs = [d for d in (schedule.valid_to, schedule.until) if d is not None]
    return (max(lows) if lows else None), (min(highs) if highs else None)


def _ranges(
    schedule: Schedule, low: datetime.date | None, high: datetime.date | None
) -> list[tuple[datetime.date | None, datetime.date | None, bool]]:
    """Date ranges a row applies to: (from, to, yearly); a yearly range crossing New Year is split in two."""
    if schedule.freq.upper() != "YEARLY" or low is None:
        return [(low, high, False)]
    start = _safe_base(low)
    end = _safe_base(high) if high is not None else start
    if end >= start:
        return [(start, end, True)]
    return [(start, datetime.date(YEARLY_BASE, 12, 31), True), (datetime.date(YEARLY_BASE, 1, 1), end, True)]


def _safe_base(day: datetime.date) -> datetime.date:
    return _on_base_year(day)  # the base year is a leap year: 29 February fits


def _weekdays(byday: str) -> list[int] | None:
    """The ISO weekdays of a BYDAY list; None when a part is not understood."""
    days: list[int] = []
    for part in byday.replace(";", ",").split(","):
        token = part.strip().upper()
        if not token:
            continue
        if token not in DAYS:
            return None
        days.append(DAYS[token])
    return days


def understood(schedule: Schedule) -> bool:
    """Whether ``hours_of`` can read this row."""
    return bool(_rows_of(schedule))


def hours_of(schedules: Iterable[Schedule]) -> list[Hours]:
    """The interval rules of a set of schedule rows (rows not understood are left out)."""
    rows: list[Hours] = []
    for schedule in schedules:
        rows.extend(_rows_of(schedule))
    return rows


def _rows_of(schedule: Schedule) -> list[Hours]:
    freq = schedule.freq.upper()
    if freq not in ("", "WEEKLY", "DAILY", "YEARLY"):
        return []
    if (schedule.interval or 1) != 1 or schedule.count or schedule.bymonthday or schedule.byyearday:
        return []
    if schedule.byweekno:
        return []
    days = _weekdays(schedule.byday)
    if days is None:
        return []
    low, high = _bounds(schedule)
    ranges = _ranges(schedule, low, high)
    if schedule.closed:
        closed_days: list[int | None] = list(days) or [None]
        return [
            Hours(day, 0, WHOLE_DAY, start, end, closed=True, yearly=yearly)
            for start, end, yearly in ranges
            for day in closed_days
        ]
    if schedule.opens_at is None or schedule.closes_at is None:
        return []
    opens, closes = _minutes(schedule.opens_at), _minutes(schedule.closes_at)
    if closes == 0:  # midnight; opening and closing at 00:00 is open all day
        closes = WHOLE_DAY
    elif closes == opens:
        return []
    if freq == "DAILY":
        days = list(range(1, 8))
    if not days:
        if low is None:
            return []
        # Date-specific hours: they replace the weekly hours on those dates (past midnight is cut at midnight).
        return [
            Hours(None, opens, closes if closes > opens else WHOLE_DAY, start, end if end else start, yearly=yearly)
            for start, end, yearly in ranges
        ]
    if freq == "YEARLY":
        return []
    rows: list[Hours] = []
    for day in days:
        if closes > opens:
            rows.append(Hours(day, opens, closes, low, high))
        else:  # past midnight: the evening on this day, the small hours on the next
            rows.append(Hours(day, opens, WHOLE_DAY, low, high))
            rows.append(Hours(day % 7 + 1, 0, closes, low, high))
    return rows


def _covers(row: HoursRow, day: datetime.date) -> bool:
    probe = _on_base_year(day) if row.yearly else day
    return (row.valid_from is None or row.valid_from <= probe) and (row.valid_to is None or probe <= row.valid_to)


def intervals_on(rows: Sequence[HoursRow], day: datetime.date) -> list[tuple[int, int]]:
    """Opening intervals (minutes since midnight, end excluded) on a local date, closures and holidays applied."""
    weekday = day.isoweekday()
    if any(r.closed and _covers(r, day) and r.weekday in (None, weekday) for r in rows):
        return []
    special = [(r.opens, r.closes) for r in rows if not r.closed and r.weekday is None and _covers(r, day)]
    if special:
        return sorted(special)
    return sorted((r.opens, r.closes) for r in rows if not r.closed and r.weekday == weekday and _covers(r, day))


def is_open(rows: Sequence[HoursRow], moment: datetime.datetime) -> bool:
    """Open at a local (naive or already converted) moment."""
    minute = moment.hour * 60 + moment.minute
    return any(opens <= minute < closes for opens, closes in intervals_on(rows, moment.date()))


@dataclass(frozen=True)
class OpenStatus:
    """Whether a place is open at a moment, until when, or when it next opens (within a week)."""

    known: bool
    open: bool
    until: datetime.datetime | None = None
    next_open: datetime.datetime | None = None

    def describe(self, moment: datetime.datetime, *, now_words: bool = True) -> str:
        when = "now" if now_words else moment.strftime("%a ") + clock(moment.hour * 60 + moment.minute)
        if not self.known:
            return "hours not known"
        if self.open:
            if self.until is None:
                return f"open {when}"
            return f"open {when} until {_moment_words(self.until, moment)}"
        if self.next_open is not None:
            return f"closed {when}, opens {_moment_words(self.next_open, moment)}"
        return f"closed {when}"


def open_status(rows: Sequence[HoursRow], moment: datetime.datetime) -> OpenStatus:
    if all(r.closed for r in rows):  # no hours known: known closed only on a closure's dates
        weekday = moment.date().isoweekday()
        closure = any(_covers(r, moment.date()) and r.weekday in (None, weekday) for r in rows)
        return OpenStatus(known=closure, open=False)
    minute = moment.hour * 60 + moment.minute
    today = intervals_on(rows, moment.date())
    for opens, closes in today:
        if opens <= minute < closes:
            end = closes
            day = moment.date()
            if closes == WHOLE_DAY:  # runs on past midnight?
                following = intervals_on(rows, day + datetime.timedelta(days=1))
                if following and following[0][0] == 0:
                    day, end = day + datetime.timedelta(days=1), following[0][1]
            until = None if end == WHOLE_DAY else _at(day, end)
            return OpenStatus(known=True, open=True, until=until)
    for offset in range(8):
        day = moment.date() + datetime.timedelta(days=offset)
        for opens, _closes in intervals_on(rows, day):
            if offset > 0 or opens > minute:
                return OpenStatus(known=True, open=False, next_open=_at(day, opens))
    return OpenStatus(known=True, open=False)


def _at(day: datetime.date, minute: int) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(minute // 60, minute % 60))


def clock(minute: int) -> str:
    """'9 am', '5:30 pm', 'noon', 'midnight'."""
    hour, mins = divmod(minute % WHOLE_DAY, 60)
    if minute == WHOLE_DAY or (hour == 0 and mins == 0):
        return "midnight"
    if hour == 12 and mins == 0:
        return "noon"
    suffix = "am" if hour < 12 else "pm"
    shown = hour % 12 or 12
    return f"{shown} {suffix}" if mins == 0 else f"{shown}:{mins:02d} {suffix}"


def _moment_words(target: datetime.datetime, moment: datetime.datetime) -> str:
    minute = target.hour * 60 + target.minute
    if target.date() == moment.date():
        return clock(minute)
    if target.date() == moment.date() + datetime.timedelta(days=1):
        return f"tomorrow {clock(minute)}"
    return f"{DAY_NAMES[target.isoweekday()]} {clock(minute)}"


def intervals_words(intervals: Sequence[tuple[int, int]]) -> str:
    """'9 am to noon, 1 pm to 5 pm' style text; 'closed' for none."""
    if not intervals:
        return "closed"
    return ", ".join(f"{clock(opens)} to {clock(closes)}" for opens, closes in intervals)


def pack(rows: Sequence[HoursRow]) -> str:
    """Hours rows as one short text (kept on the search row, so showing a page of hits needs no other query)."""
    return ";".join(
        f"{r.weekday or ''},{r.opens},{r.closes},{r.valid_from or ''},{r.valid_to or ''},{int(r.closed)}{int(r.yearly)}"
        for r in rows
    )


def unpack(text: str) -> list[Hours]:
    rows = []
    for part in text.split(";") if text else ():
        weekday, opens, closes, valid_from, valid_to, flags = part.split(",")
        rows.append(
            Hours(
                int(weekday) if weekday else None,
                int(opens),
                int(closes),
                datetime.date.fromisoformat(valid_from) if valid_from else None,
                datetime.date.fromisoformat(valid_to) if valid_to else None,
                closed=flags[0] == "1",
                yearly=flags[1] == "1",
            )
        )
    return rows
