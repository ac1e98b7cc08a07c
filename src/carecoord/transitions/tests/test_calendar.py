"""Business days: US federal holidays with weekend observance, closure days, and the TCM contact clock."""

from __future__ import annotations

import datetime

import pytest

from carecoord.config import ConfigurationError
from carecoord.transitions.calendar import BusinessCalendar, nth_weekday
from carecoord.transitions.rules import TransitionRules, contact_due

D = datetime.date
FEDERAL = BusinessCalendar()


def test_the_2026_federal_holidays_as_observed():
    assert FEDERAL.holidays_in(2026) == {
        D(2026, 1, 1): "New Year's Day",
        D(2026, 1, 19): "Birthday of Martin Luther King, Jr.",
        D(2026, 2, 16): "Washington's Birthday",
        D(2026, 5, 25): "Memorial Day",
        D(2026, 6, 19): "Juneteenth National Independence Day",
        D(2026, 7, 3): "Independence Day",  # 4 July 2026 is a Saturday
        D(2026, 9, 7): "Labor Day",
        D(2026, 10, 12): "Columbus Day",
        D(2026, 11, 11): "Veterans Day",
        D(2026, 11, 26): "Thanksgiving Day",
        D(2026, 12, 25): "Christmas Day",
    }


@pytest.mark.parametrize(
    ("discharged", "due", "why"),
    [
        (D(2026, 11, 25), D(2026, 11, 30), "Wednesday before Thanksgiving: Fri 27 is day 1, Mon 30 day 2"),
        (D(2026, 11, 20), D(2026, 11, 24), "a Friday: Mon and Tue"),
        (D(2026, 11, 21), D(2026, 11, 24), "a Saturday counts from the Monday"),
        (D(2026, 11, 23), D(2026, 11, 25), "a Monday"),
        (D(2026, 11, 24), D(2026, 11, 27), "a Tuesday: Thanksgiving is skipped"),
        (D(2021, 12, 23), D(2021, 12, 28), "Christmas 2021 on a Saturday is observed Fri 24 Dec"),
        (D(2021, 12, 30), D(2022, 1, 4), "New Year 2022 on a Saturday is observed Fri 31 Dec 2021"),
        (D(2022, 12, 23), D(2022, 12, 28), "Christmas 2022 on a Sunday is observed Mon 26 Dec"),
        (D(2022, 12, 30), D(2023, 1, 4), "New Year 2023 on a Sunday is observed Mon 2 Jan"),
        (D(2026, 7, 2), D(2026, 7, 7), "Independence Day 2026 observed Fri 3 Jul"),
        (D(2020, 6, 18), D(2020, 6, 22), "Juneteenth was not a federal holiday before 2021"),
        (D(2021, 6, 17), D(2021, 6, 22), "Juneteenth 2021 on a Saturday observed Fri 18 Jun"),
    ],
)
def test_contact_due_two_business_days_after_the_discharge(discharged, due, why):
    assert contact_due(discharged, TransitionRules()) == due, why


def test_closure_days_and_a_smaller_holiday_list():
    with_friday_off = TransitionRules(calendar=BusinessCalendar(closures=frozenset({D(2026, 11, 27)})))
    assert contact_due(D(2026, 11, 25), with_friday_off) == D(2026, 12, 1)
    assert with_friday_off.calendar.closed_because(D(2026, 11, 27)) == "Closure day"
    only_christmas = TransitionRules(calendar=BusinessCalendar(holidays=frozenset({"christmas"})))
    assert contact_due(D(2026, 11, 25), only_christmas) == D(2026, 11, 27)


def test_why_a_day_is_closed_and_counting_between_days():
    assert FEDERAL.closed_because(D(2026, 11, 26)) == "Thanksgiving Day"
    assert FEDERAL.closed_because(D(2026, 11, 28)) == "Saturday"
    assert FEDERAL.closed_because(D(2026, 11, 30)) == ""
    assert FEDERAL.business_days_between(D(2026, 11, 25), D(2026, 11, 30)) == 2
    assert FEDERAL.business_days_between(D(2026, 11, 30), D(2026, 11, 25)) == -2
    assert FEDERAL.add_business_days(D(2026, 11, 25), 0) == D(2026, 11, 25)


def test_nth_and_last_weekdays():
    assert nth_weekday(2026, 11, 3, 4) == D(2026, 11, 26)
    assert nth_weekday(2026, 5, 0, -1) == D(2026, 5, 25)
    assert nth_weekday(2027, 1, 0, 3) == D(2027, 1, 18)


def test_rules_come_from_the_environment_and_bad_values_stop_start_up(monkeypatch):
    monkeypatch.setenv("CARECOORD_TCM_HOLIDAYS", "thanksgiving, christmas")
    monkeypatch.setenv("CARECOORD_TCM_CLOSURE_DAYS", "2026-11-27")
    monkeypatch.setenv("CARECOORD_TCM_LACE_HIGH", "12")
    rules = TransitionRules.from_env()
    assert rules.calendar.holidays == frozenset({"thanksgiving", "christmas"})
    assert rules.calendar.closures == frozenset({D(2026, 11, 27)}) and rules.lace_high == 12
    assert contact_due(D(2026, 11, 25), rules) == D(2026, 12, 1)
    monkeypatch.setenv("CARECOORD_TCM_HOLIDAYS", "boxing-day")
    with pytest.raises(ConfigurationError, match="boxing-day"):
        TransitionRules.from_env()
    monkeypatch.setenv("CARECOORD_TCM_HOLIDAYS", "christmas")
    monkeypatch.setenv("CARECOORD_TCM_CLOSURE_DAYS", "27/11/2026")
    with pytest.raises(ConfigurationError, match="CARECOORD_TCM_CLOSURE_DAYS"):
        TransitionRules.from_env()
