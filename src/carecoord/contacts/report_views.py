"""The billing page (/contacts/billing/): a month's report with totals by program, agency and care manager, the
people (paged), the CSV download, the month close with its confirmation, reopening, and the corrections.

Reads through ``billing.report.access_billing_report`` / ``access_billing_export``; writes through
``contacts.actions.close_month`` / ``reopen_month``; domain errors become messages."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from carecoord.common.errors import DomainError
from carecoord.contacts.actions import close_month, reopen_month
from carecoord.contacts.billing.close import may_close, may_reopen
from carecoord.contacts.billing.report import (
    access_billing_export,
    access_billing_report,
    csv_chunks,
    enrollments_in,
    may_read_report,
    open_close,
    parse_month,
)
from carecoord.programs.rules import add_months, month_start
from carecoord.web.decorators import page_fetch, staff_user

PER_PAGE = 50


def _guard(request: HttpRequest) -> None:
    if not may_read_report(staff_user(request)):
        raise PermissionDenied("Only supervisors and administrators read the billing report.")


def _month(text: str | None) -> datetime.date:
    """The month asked for (YYYY-MM), or last month: the one usually being closed."""
    found = parse_month(text or "")
    return found or add_months(month_start(timezone.localdate()), -1)


def _page_url(month: datetime.date) -> str:
    return f"{reverse('contacts:billing')}?month={month:%Y-%m}"


@login_required
def billing(request: HttpRequest) -> HttpResponse:
    _guard(request)
    user = staff_user(request)
    asked = request.GET.get("month")
    month = _month(asked)
    report = page_fetch(access_billing_report, user, month)
    page = Paginator(report.summary.rows, PER_PAGE).get_page(request.GET.get("page"))
    this_month = month_start(timezone.localdate())
    return render(
        request,
        "contacts/billing_report.html",
        {
            "report": report,
            "summary": report.summary,
            "page": page,
            "month": month,
            "month_value": f"{month:%Y-%m}",
            "bad_month": bool(asked) and parse_month(asked or "") is None,
            "previous": f"{add_months(month, -1):%Y-%m}",
            "next": f"{add_months(month, 1):%Y-%m}" if add_months(month, 1) <= this_month else "",
            "month_ended": month < this_month,
            "can_close": may_close(user, user.organization) and month < this_month and report.close is None,
            "can_reopen": may_reopen(user, user.organization) and report.close is not None,
        },
    )


@login_required
def billing_csv(request: HttpRequest) -> StreamingHttpResponse:
    _guard(request)
    user = staff_user(request)
    month = _month(request.GET.get("month"))
    rows = page_fetch(access_billing_export, user, month)
    response = StreamingHttpResponse(csv_chunks(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="billing-{month:%Y-%m}.csv"'
    return response


@login_required
def billing_close(request: HttpRequest) -> HttpResponse:
    """GET: the confirmation (what closing means, how many people); POST: close the month."""
    user = staff_user(request)
    if not may_close(user, user.organization):
        raise PermissionDenied("Only the organization's supervisors and administrators close a billing month.")
    month = _month(request.POST.get("month") if request.method == "POST" else request.GET.get("month"))
    if request.method == "POST":
        try:
            close = close_month(organization=user.organization, month=month, by=user)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                f"{month:%B %Y} is closed: {close.enrollments} enrollments, {close.billable} billable. "
                "Later work in the month is recorded as corrections.",
            )
        return redirect(_page_url(month))
    return render(
        request,
        "contacts/billing_close.html",
        {
            "month": month,
            "month_value": f"{month:%Y-%m}",
            "people": enrollments_in(user.organization_id, month).count(),
            "already": open_close(user.organization_id, month),
            "ended": month < month_start(timezone.localdate()),
            "back": _page_url(month),
        },
    )


@require_POST
@login_required
def billing_reopen(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    month = _month(request.POST.get("month"))
    try:
        reopen_month(organization=user.organization, month=month, reason=request.POST.get("reason", ""), by=user)
    except DomainError as error:
        if error.status == 403:
            raise PermissionDenied(error.message) from None
        messages.error(request, error.message)
    else:
        messages.success(request, f"{month:%B %Y} is open again; its statuses are live.")
    return redirect(_page_url(month))
