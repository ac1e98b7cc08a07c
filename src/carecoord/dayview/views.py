"""The care manager's day: ``/today/`` (the ranked list) and ``/today/counts/`` (the chips, polled by htmx)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from carecoord.accounts.permissions import Capability
from carecoord.dayview.access import Day, DayFilters, access_day, access_day_counts
from carecoord.dayview.ranking import BANDS, KIND_LABELS
from carecoord.web.decorators import page_fetch, requires, staff_user

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


def _sections(day: Day) -> list[dict[str, Any]]:
    """The ranked rows split by band (safety, overdue, due today, coming up), empty bands left out."""
    return [
        {"band": band, "rows": rows, "total": day.band_totals.get(band.code, len(rows))}
        for band in BANDS
        if (rows := [ranked for ranked in day.rows if ranked.band.code == band.code])
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
