"""Business days for the transitional care clocks: Monday to Friday except holidays and closure days.

TCM counts "business days" as Monday-Friday except holidays, whatever the practice's hours (STANDARDS.md B.3).
The holidays are the US federal ones, each a rule in ``HOLIDAY_RULES``: a fixed date (observed on the Friday
before when it falls on a Saturday, on the Monday after when on a Sunday, as 5 U.S.C. 6103 and OPM do) or the
nth (or last) weekday of a month. Which rules apply and which extra closure days an organization keeps come
from ``rules.TransitionRules`` (``CARECOORD_TCM_HOLIDAYS``, ``CARECOORD_TCM_CLOSURE_DAYS``).
"""

from __future__ import annotations

import calendar as _calendar
import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache

MONDAY, THURSDAY = 0, 3


def nth_weekday(year: int, month: int, weekday: int, nth: int) -> datetime.date:
    """The ``nth`` (1-based; -1 for the last) ``weekday`` of the month."""
    if nth == -1:
        last = datetime.date(year, month, _calendar.monthrange(year, month)[1])
        return last - datetime.timedelta(days=(last.weekday() - weekday) % 7)
    first = datetime.date(year, month, 1)
    return first + datetime.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))


def observed(day: datetime.date) -> datetime.date:
    """A fixed-date holiday on a weekend is observed on the Friday before (Saturday) or Monday after (Sunday)."""
    if day.weekday() == 5:
        return day - datetime.timedelta(days=1)
    if day.weekday() == 6:
        return day + datetime.timedelta(days=1)
    return day


@dataclass(frozen=True)
class HolidayRule:
    name: str
    date_in: Callable[[int], datetime.date]  # the holiday's own date in a year (before observance)
    fixed: bool  # a fixed date, moved off weekends
    since: int = 1900  # first year it was a federal holiday

    def observed_in(self, year: int) -> datetime.date | None:
        if year < self.since:
            return None
        day = self.date_in(year)
        return observed(day) if self.fixed else day


HOLIDAY_RULES: dict[str, HolidayRule] = {
    rule.name: rule
    for rule in (
        HolidayRule("new-years-day", lambda y: datetime.date(y, 1, 1), fixed=True),
        HolidayRule("martin-luther-king-day", lambda y: nth_weekday(y, 1, MONDAY, 3), fixed=False, since=1986),
        HolidayRule("presidents-day", lambda y: nth_weekday(y, 2, MONDAY, 3), fixed=False),
        HolidayRule("memorial-day", lambda y: nth_weekday(y, 5, MONDAY, -1), fixed=False),
        HolidayRule("juneteenth", lambda y: datetime.date(y, 6, 19), fixed=True, since=2021),
        HolidayRule("independence-day", lambda y: datetime.date(y, 7, 4), fixed=True),
        HolidayRule("labor-day", lambda y: nth_weekday(y, 9, MONDAY, 1), fixed=False),
        HolidayRule("columbus-day", lambda y: nth_weekday(y, 10, MONDAY, 2), fixed=False),
        HolidayRule("veterans-day", lambda y: datetime.date(y, 11, 11), fixed=True),
        HolidayRule("thanksgiving", lambda y: nth_weekday(y, 11, THURSDAY, 4), fixed=False),
        HolidayRule("christmas", lambda y: datetime.date(y, 12, 25), fixed=True),
    )
}
HOLIDAY_NAMES: dict[str, str] = {
    "new-years-day": "New Year's Day",
    "martin-luther-king-day": "Birthday of Martin Luther King, Jr.",
    "presidents-day": "Washington's Birthday",
    "memorial-day": "Memorial Day",
    "juneteenth": "Juneteenth National Independence Day",
    "independence-day": "Independence Day",
    "labor-day": "Labor Day",
    "columbus-day": "Columbus Day",
    "veterans-day": "Veterans Day",
    "thanksgiving": "Thanksgiving Day",
    "christmas": "Christmas Day",
}


@cache
def _holidays_observed_in(year: int, rules: frozenset[str]) -> dict[datetime.date, str]:
    found: dict[datetime.date, str] = {}
    for source_year in (year - 1, year, year + 1):  # 1 Jan on a Saturday is observed on 31 Dec before
        for name in rules:
            day = HOLIDAY_RULES[name].observed_in(source_year)
            if day is not None and day.year == year:
                found[day] = HOLIDAY_NAMES[name]
    return found


@dataclass(frozen=True)
class BusinessCalendar:
    """Which days count: weekdays that are neither an observed holiday of ``holidays`` nor a ``closures`` day."""

    holidays: frozenset[str] = frozenset(HOLIDAY_RULES)
    closures: frozenset[datetime.date] = frozenset()

    def __post_init__(self) -> None:
        unknown = self.holidays - set(HOLIDAY_RULES)
        if unknown:
            raise ValueError(f"Unknown holiday rules: {', '.join(sorted(unknown))}")

    def holidays_in(self, year: int) -> dict[datetime.date, str]:
        """Every day off in ``year`` with its name (observed holidays and closure days)."""
        days = dict(_holidays_observed_in(year, self.holidays))
        days.update({d: "Closure day" for d in self.closures if d.year == year})
        return dict(sorted(days.items()))

    def closed_because(self, day: datetime.date) -> str:
        """Why ``day`` is not a business day ("Saturday", "Thanksgiving Day"), or "" when it is one."""
        if day.weekday() >= 5:
            return day.strftime("%A")
        if day in self.closures:
            return "Closure day"
        return _holidays_observed_in(day.year, self.holidays).get(day, "")

    def is_business_day(self, day: datetime.date) -> bool:
        return not self.closed_because(day)

    def add_business_days(self, start: datetime.date, count: int) -> datetime.date:
        """The ``count``-th business day after ``start`` (``start`` itself is day 0, whatever it is)."""
        day = start
        remaining = count
        while remaining > 0:
            day += datetime.timedelta(days=1)
            if self.is_business_day(day):
                remaining -= 1
        return day

    def business_days_between(self, start: datetime.date, end: datetime.date) -> int:
        """Business days after ``start`` up to and including ``end`` (negative when ``end`` is earlier)."""
        if end < start:
            return -self.business_days_between(end, start)
        return sum(
            1 for offset in range(1, (end - start).days + 1) if self.is_business_day(start + datetime.timedelta(offset))
        )


def parse_closures(values: Iterable[str]) -> frozenset[datetime.date]:
    """ISO dates (2026-11-27) as closure days; a bad one raises ValueError naming it."""
    days = set()
    for value in values:
        try:
            days.add(datetime.date.fromisoformat(value.strip()))
        except ValueError:
            raise ValueError(f"{value!r} is not a date such as 2026-11-27") from None
    return frozenset(days)
