"""The day's order as a table: safety, overdue by how overdue, due today by priority, the rest by due date."""

from __future__ import annotations

import datetime

from carecoord.dayview.ranking import BANDS, Kind, Row, counts, place, rank

ZONE = datetime.timezone(datetime.timedelta(hours=-5))
NOW = datetime.datetime(2026, 11, 24, 10, 0, tzinfo=ZONE)
TODAY = NOW.date()


def row(key: str, kind: str = Kind.TASK, due: object = None, priority: str = "routine") -> Row:
    return Row(kind=kind, key=key, title=key, why=key, action_url="/", action_label="Open", due=due, priority=priority)  # type: ignore[arg-type]


def at(days: int, hour: int = 10) -> datetime.datetime:
    return NOW.replace(hour=hour) + datetime.timedelta(days=days)


def test_the_rule_table_orders_a_mixed_day():
    rows = [
        row("later-review", Kind.REVIEW, TODAY + datetime.timedelta(days=5)),
        row("undated-referral", Kind.REFERRAL),
        row("today-routine", due=at(0, 17)),
        row("overdue-1-day", due=at(-1)),
        row("today-asap", due=at(0, 16), priority="asap"),
        row("safety", Kind.SAFETY),
        row("overdue-9-days", due=at(-9)),
        row("discharge-contact-monday", Kind.TRANSITION, TODAY + datetime.timedelta(days=2), "urgent"),
        row("overdue-earlier-today", due=at(0, 8)),
    ]
    order = [r.row.key for r in rank(rows, now=NOW, today=TODAY)]
    assert order == [
        "safety",
        "overdue-9-days",
        "overdue-1-day",
        "overdue-earlier-today",
        "today-asap",
        "today-routine",
        "discharge-contact-monday",
        "later-review",
        "undated-referral",
    ]


def test_bands_and_urgency_scores():
    assert (
        place(row("s", Kind.SAFETY), now=NOW, today=TODAY).band,
        place(row("s", Kind.SAFETY), now=NOW, today=TODAY).urgency,
    ) == (BANDS[0], 400)
    late = place(row("x", due=at(-3)), now=NOW, today=TODAY)
    assert (late.band.name, late.urgency, late.days, late.overdue) == ("overdue", 303, -3, True)
    stat = place(row("x", due=at(0, 18), priority="stat"), now=NOW, today=TODAY)
    routine = place(row("x", due=at(0, 18)), now=NOW, today=TODAY)
    assert (stat.band.name, stat.urgency, routine.urgency) == ("today", 230, 200)
    soon = place(row("x", Kind.REVIEW, TODAY + datetime.timedelta(days=3)), now=NOW, today=TODAY)
    assert (soon.band.name, soon.urgency, soon.days) == ("later", 97, 3)
    assert place(row("x"), now=NOW, today=TODAY).urgency == 0


def test_a_date_is_due_by_the_end_of_that_day():
    yesterday = place(row("x", Kind.REVIEW, TODAY - datetime.timedelta(days=1)), now=NOW, today=TODAY)
    today = place(row("x", Kind.REVIEW, TODAY), now=NOW, today=TODAY)
    assert (yesterday.band.name, yesterday.overdue) == ("overdue", True)
    assert (today.band.name, today.overdue) == ("today", False)


def test_ties_follow_the_kind_order_then_the_sources_order():
    due = TODAY + datetime.timedelta(days=2)
    rows = [
        row("task-b", Kind.TASK, due),
        row("contact", Kind.CONTACT, due),
        row("task-a", Kind.TASK, due),
        row("hospital", Kind.TRANSITION, due),
    ]
    assert [r.row.key for r in rank(rows, now=NOW, today=TODAY)] == ["hospital", "task-b", "task-a", "contact"]
    assert [r.row.key for r in rank(rows, now=NOW, today=TODAY)] == [
        r.row.key for r in rank(rows, now=NOW, today=TODAY)
    ]


def test_counts_name_every_kind():
    found = counts([row("a"), row("b"), row("c", Kind.SAFETY)])
    assert found == {
        "safety": 1,
        "transitions": 0,
        "tasks": 2,
        "contacts": 0,
        "reviews": 0,
        "screening": 0,
        "referrals": 0,
    }
