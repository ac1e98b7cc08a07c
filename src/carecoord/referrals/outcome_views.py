"""The referral outcomes report pages (``report.py`` builds the figures): /referrals/outcomes/ and its CSV."""

from __future__ import annotations

import csv
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from carecoord.common.errors import ValidationFailed
from carecoord.referrals.report import (
    GROUPINGS,
    NEED_LABELS,
    OutcomeFilters,
    OutcomeRow,
    access_outcomes,
    csv_rows,
)
from carecoord.supervision.charts import bar_chart
from carecoord.web.decorators import page_fetch, staff_user


def _filters(request: HttpRequest) -> tuple[OutcomeFilters, ValidationFailed | None]:
    today = timezone.localdate()
    try:
        return OutcomeFilters.parse(request.GET.dict(), today=today), None
    except ValidationFailed as error:
        return OutcomeFilters.parse({}, today=today), error


def _hours(value: float | None) -> str:
    """Hours under two days, days after: what a person reads at a glance."""
    if value is None:
        return "—"
    if value < 48:
        return f"{value:.1f} h"
    return f"{value / 24:.1f} d"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def _line(row: OutcomeRow) -> dict[str, Any]:
    return {
        "key": row.key,
        "label": row.label,
        "sent": row.sent,
        "accepted": row.accepted,
        "rejected": row.rejected,
        "cancelled": row.cancelled,
        "failed": row.failed,
        "completed": row.completed,
        "open": row.open,
        "need_met": row.need_met,
        "acceptance": _percent(row.acceptance_rate),
        "completion": _percent(row.completion_rate),
        "to_decision": _hours(row.to_decision.median),
        "to_decision_p90": _hours(row.to_decision.p90),
        "to_start": _hours(row.to_start.median),
        "to_complete": _hours(row.to_complete.median),
        "to_complete_p90": _hours(row.to_complete.p90),
    }


@login_required
def outcomes(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    filters, problem = _filters(request)
    report = page_fetch(access_outcomes, user, filters)
    by_need = report.groups["need"]
    chart = bar_chart(
        title="Referrals by need: sent, accepted and completed",
        description="For each need, three bars: referrals sent, accepted by the partner, and completed. "
        "The tables below give the same figures.",
        series=[(word.capitalize(), word, word) for word in ("sent", "accepted", "completed")],
        rows=[(row.label, [row.sent, row.accepted, row.completed]) for row in by_need],
    )
    query = request.GET.urlencode()
    return render(
        request,
        "referrals/outcomes.html",
        {
            "filters": filters,
            "problem": problem,
            "needs": sorted(NEED_LABELS.items(), key=lambda item: item[1]),
            "partners": report.partners,
            "totals": _line(report.totals),
            "sections": [
                {"grouping": key, "title": f"By {label.lower()}", "rows": [_line(r) for r in report.groups[key]]}
                for key, label in GROUPINGS.items()
            ],
            "chart": chart,
            "query": query,
        },
        status=400 if problem else 200,
    )


@login_required
def outcomes_csv(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    filters, problem = _filters(request)
    grouping = request.GET.get("by", "need")
    if problem is not None or grouping not in GROUPINGS:
        message = problem.message if problem is not None else "Group by need, partner or outcome."
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
    report = page_fetch(access_outcomes, user, filters)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="referral-outcomes-{grouping}-{filters.start:%Y%m%d}-{filters.end:%Y%m%d}.csv"'
    )
    writer = csv.writer(response)
    for row in csv_rows(report, grouping):
        writer.writerow(row)
    return response
