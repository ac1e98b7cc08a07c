"""The care manager's day: ``/today/`` (the ranked list) and ``/today/counts/`` (the chips, polled by htmx)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from carecoord.accounts.permissions import Capability
from carecoord.dayview.access import Day, DayFilters, access_day, access_day_counts
from carecoord.dayview.ranking import BANDS, KIND_LABELS, Kind, Ranked
from carecoord.dayview.sources import link
from carecoord.web.decorators import page_fetch, requires, staff_user
from carecoord.web.templatetags.carecoord import day as day_words
from carecoord.web.templatetags.carecoord import dob, relative

POLL_SECONDS = 60


def _filters(request: HttpRequest) -> DayFilters:
    return DayFilters.parse(request.GET.get("kind"), request.GET.get("scope"), request.GET.get("page"))


def _chips(filters: DayFilters, counts: dict[str, int]) -> dict[str, Any]:
    scope = "" if filters.queues else "&scope=mine"
    chips = [{"code": "all", "label": "All", "count": sum(counts.values()), "query": f"?kind=all{scope}"}]
    chips += [
        {"code": code, "label": label, "count": counts.get(code, 0), "query": f"?kind={code}{scope}"}
        for code, label in KIND_LABELS
    ]
    return {"chips": chips, "filters": filters, "poll_seconds": POLL_SECONDS}


BADGES: dict[str, str] = {
    Kind.SAFETY: "⚠ Safety",
    Kind.TRANSITION: "Hospital",
    Kind.TASK: "Task",
    Kind.CONTACT: "Contact",
    Kind.REVIEW: "Plan review",
    Kind.SCREENING: "Screening",
    Kind.REFERRAL: "Referral",
}


@dataclass(frozen=True)
class Line:
    """One row of the page with every word and link it shows worked out here: the page has a hundred rows, and
    a template tag or an include per cell cost more than the rest of the row."""

    number: int  # on the page, from 1 (the row's id, for keyboard navigation)
    kind: str
    overdue: bool
    badge: str
    badge_class: str
    why: str
    detail: str
    url: str
    action_label: str
    person: str
    chart_url: str
    born: str
    due_day: str
    due_relative: str


def _line(number: int, ranked: Ranked) -> Line:
    row = ranked.row
    return Line(
        number=number,
        kind=row.kind,
        overdue=ranked.overdue,
        badge=BADGES.get(row.kind, "Referral"),
        badge_class="danger" if row.kind == Kind.SAFETY else "warn" if ranked.overdue else "accent",
        why=row.why,
        detail=row.detail,
        url=row.action_url,
        action_label=row.action_label,
        person=row.person.name if row.person else "",
        chart_url=link("web:chart", row.person.id) if row.person else "",
        born=(dob(row.person.birth_date) or "—") if row.person else "",
        due_day=day_words(row.due) if row.due else "",
        due_relative=relative(row.due) if row.due else "",
    )


def _sections(day: Day) -> list[dict[str, Any]]:
    """The ranked rows split by band (safety, overdue, due today, coming up), empty bands left out."""
    lines = [_line(number, ranked) for number, ranked in enumerate(day.rows, start=1)]
    return [
        {"band": band, "lines": shown, "total": day.band_totals.get(band.code, len(shown))}
        for band in BANDS
        if (shown := [line for line, ranked in zip(lines, day.rows, strict=True) if ranked.band.code == band.code])
    ]


@requires(Capability.TASKS)
def day(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    found = page_fetch(access_day, user, filters=_filters(request))
    return render(
        request,
        "dayview/day.html",
        {
            "day": found,
            "sections": _sections(found),
            "overdue": found.band_totals.get(BANDS[1].code, 0),
            "scope": "" if found.filters.queues else "&scope=mine",
            **_chips(found.filters, found.counts),
        },
    )


@requires(Capability.TASKS)
def counts(request: HttpRequest) -> HttpResponse:
    filters = _filters(request)
    return render(
        request,
        "dayview/_chips.html",
        _chips(filters, page_fetch(access_day_counts, staff_user(request), filters=filters)),
    )
