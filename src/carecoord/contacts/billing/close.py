"""Writes of the month close (re-exported by ``contacts.actions``): close an organization's past month, reopen it,
and record a correction when work dated in a closed month would change its verdict.

A close judges every enrollment of the organization in the month (``report.live_verdicts``, in batches) and
stores each verdict as a ``MonthStatus`` marked ``closed``, in one transaction with the ``MonthClose`` record and
its audit record. From then on ``contacts.actions.refresh_month_status`` leaves a closed row as it is: when the
live verdict differs from the closed one (or from the last correction), it records a ``BillingCorrection`` with
before and after, what was recorded and by whom. Reopening (an org admin, with a reason) ends the close and
stores the live verdicts again, unfrozen; the corrections stay as history.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from carecoord.accounts.models import Organization, Role, User
from carecoord.audit.actions import record
from carecoord.audit.models import AuditAction, Purpose
from carecoord.common.errors import AccessDenied, Conflict, NotFound, ValidationFailed
from carecoord.contacts.billing.report import EnrollmentRow, live_verdicts, open_close
from carecoord.contacts.billing.rules import MonthReadiness
from carecoord.contacts.models import BillingCorrection, MonthClose, MonthStatus, Readiness
from carecoord.programs.models import Enrollment
from carecoord.programs.rules import month_start

CLOSERS = frozenset({Role.SUPERVISOR, Role.ORG_ADMIN})
REOPENERS = frozenset({Role.ORG_ADMIN})
_STORED = ("patient", "program", "organization", "status", "rate", "acuity", "codes", "reasons", "missing")


def may_close(user: User, organization: Organization) -> bool:
    return user.is_active and user.role in CLOSERS and user.organization_id == organization.pk


def may_reopen(user: User, organization: Organization) -> bool:
    return user.is_active and user.role in REOPENERS and user.organization_id == organization.pk


def _store(organization: Organization, month: datetime.date, *, closed: bool) -> tuple[int, int]:
    """Judge every enrollment of the month now and store the verdicts (one upsert per batch); returns the
    number of enrollments and how many are billable."""
    now = timezone.now()
    count = billable = 0
    for judged in live_verdicts(organization.pk, month):
        rows = [_status_row(enrollment, verdict, month, now, closed) for enrollment, verdict in judged]
        MonthStatus.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["enrollment", "month"],
            update_fields=[*_STORED, "counts", "computed_at", "closed"],
        )
        count += len(rows)
        billable += sum(1 for row in rows if row.status == Readiness.BILLABLE)
    return count, billable


def _status_row(
    enrollment: EnrollmentRow, verdict: MonthReadiness, month: datetime.date, now: datetime.datetime, closed: bool
) -> MonthStatus:
    return MonthStatus(
        enrollment_id=enrollment.pk,
        patient_id=enrollment.patient_id,
        program_id=enrollment.program_id,
        organization_id=enrollment.organization_id,
        month=month,
        status=verdict.status,
        rate=verdict.rate[:40],
        acuity=enrollment.acuity,
        codes=verdict.codes,
        reasons=verdict.reasons,
        missing=verdict.missing,
        counts=verdict.counts,
        computed_at=now,
        closed=closed,
    )


def close_month(*, organization: Organization, month: datetime.date, by: User) -> MonthClose:
    """Close the organization's month for billing (a supervisor or org admin of the organization; a month that
    has ended): every enrollment's verdict is judged now and frozen."""
    if not may_close(by, organization):
        raise AccessDenied("Only the organization's supervisors and administrators close a billing month.")
    month = month_start(month)
    if month >= month_start(timezone.localdate()):
        raise ValidationFailed(
            "Only a month that has ended can be closed.", errors={"month": [f"{month:%B %Y} has not ended yet."]}
        )
    if open_close(organization.pk, month) is not None:
        raise Conflict(f"{month:%B %Y} is already closed.")
    try:
        with transaction.atomic():
            close = MonthClose.objects.create(organization=organization, month=month, closed_by=by)
            close.enrollments, close.billable = _store(organization, month, closed=True)
            close.save(update_fields=["enrollments", "billable"])
            record(
                by=by,
                action=AuditAction.UPDATE,
                object_type="MonthClose",
                object_id=str(close.pk),
                purpose=Purpose.OPERATIONS,
                detail={"change": "close", "month": f"{month:%Y-%m}", "enrollments": close.enrollments},
            )
    except IntegrityError:  # closed meanwhile by someone else
        raise Conflict(f"{month:%B %Y} is already closed.") from None
    return close


def reopen_month(*, organization: Organization, month: datetime.date, reason: str, by: User) -> MonthClose:
    """Reopen a closed month (an org admin, with a reason): the close ends and the live verdicts are stored again;
    corrections recorded while it was closed stay."""
    if not may_reopen(by, organization):
        raise AccessDenied("Only the organization's administrators reopen a closed billing month.")
    if not reason.strip():
        raise ValidationFailed("Say why the month is reopened.", errors={"reason": ["A reason is required."]})
    month = month_start(month)
    with transaction.atomic():
        close = (
            MonthClose.objects.select_for_update()
            .filter(organization=organization, month=month, reopened_at__isnull=True)
            .first()
        )
        if close is None:
            raise NotFound(f"{month:%B %Y} is not closed.")
        close.reopened_by, close.reopened_at, close.reopen_reason = by, timezone.now(), reason.strip()
        close.save(update_fields=["reopened_by", "reopened_at", "reopen_reason"])
        MonthStatus.objects.filter(organization=organization, month=month).update(closed=False)
        _store(organization, month, closed=False)
        record(
            by=by,
            action=AuditAction.UPDATE,
            object_type="MonthClose",
            object_id=str(close.pk),
            purpose=Purpose.OPERATIONS,
            detail={"change": "reopen", "month": f"{month:%Y-%m}", "reason": close.reopen_reason},
        )
    return close


def closed_month_of(enrollment: Enrollment, month: datetime.date) -> MonthClose | None:
    """The close in force for the enrollment's organization and month; None while the month is open (the current
    month is never closed, so its recompute spends no query here)."""
    month = month_start(month)
    if month >= month_start(timezone.localdate()):
        return None
    return MonthClose.objects.filter(
        organization_id=enrollment.organization_id, month=month, reopened_at__isnull=True
    ).first()


def record_correction(
    *,
    close: MonthClose,
    enrollment: Enrollment,
    verdict: MonthReadiness,
    trigger: Any,
    by: User | None,
) -> MonthStatus | None:
    """Work recorded in a closed month: keep the closed row, and record a correction when the verdict's status or
    codes differ from the last known ones (the last correction's, else the close's). Returns the closed row
    (None when the month was closed without a row for the enrollment)."""
    month = close.month
    stored = MonthStatus.objects.filter(enrollment=enrollment, month=month).first()
    last = BillingCorrection.objects.filter(month_close=close, enrollment=enrollment).order_by("-recorded_at", "-id")
    previous = last.first()
    if previous is not None:
        before = (previous.after_status, previous.after_codes)
    elif stored is not None:
        before = (stored.status, stored.codes)
    else:
        before = ("", [])
    if (verdict.status, verdict.codes) == before:
        return stored
    correction = BillingCorrection.objects.create(
        month_close=close,
        enrollment=enrollment,
        patient_id=enrollment.patient_id,
        organization_id=enrollment.organization_id,
        month=month,
        before_status=before[0],
        before_codes=before[1],
        after_status=verdict.status,
        after_codes=verdict.codes,
        after_reasons=verdict.reasons,
        trigger_type=type(trigger).__name__ if trigger is not None else "",
        trigger_id=str(getattr(trigger, "pk", "") or "")[:64],
        by=by,
    )
    record(
        by=by,
        action=AuditAction.CREATE,
        object_type="BillingCorrection",
        object_id=str(correction.pk),
        patient=enrollment.patient_id,
        purpose=Purpose.OPERATIONS,
        detail={
            "month": f"{month:%Y-%m}",
            "before": before[0],
            "after": verdict.status,
            "trigger": f"{correction.trigger_type}/{correction.trigger_id}",
        },
    )
    return stored
