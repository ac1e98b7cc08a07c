"""Writes: record a contact, time without a contact, start and cancel the contact timer, and keep each
enrollment's month status current. Every write is audited and recomputes the month it touches in the same
transaction, so the chart and reports never show a stale verdict. The month close (close, reopen, corrections
to a closed month) lives in ``billing.close`` and is re-exported here.

Callers acting for a user on a person have been through ``patients.access.access_patient``.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone

from carecoord.accounts.models import User
from carecoord.accounts.permissions import Capability, can
from carecoord.audit.actions import record
from carecoord.audit.models import AuditAction
from carecoord.common.errors import AccessDenied, DomainError, ValidationFailed
from carecoord.contacts.billing import judge_month, rules, staff_type_of
from carecoord.contacts.billing.close import (  # noqa: F401 (the month close's actions, re-exported)
    close_month,
    closed_month_of,
    record_correction,
    reopen_month,
)
from carecoord.contacts.models import (
    Activity,
    Contact,
    ContactTimer,
    CoreService,
    Modality,
    MonthStatus,
    Outcome,
    Participant,
    TimeEntry,
)
from carecoord.patients.models import Patient
from carecoord.programs.models import Enrollment
from carecoord.programs.rules import month_start

MAX_MINUTES = 24 * 60
# Clocks differ a little between a phone and the server: a contact may be "now" plus this much.
FUTURE_SLACK = datetime.timedelta(minutes=5)


@dataclass
class ContactData:
    """A contact as entered (quick entry fills the defaults: now, phone, the person's active enrollment)."""

    modality: str
    outcome: str
    occurred_at: datetime.datetime | None = None
    duration_minutes: int | None = None
    use_timer: bool = False
    enrollment: Enrollment | None = None
    with_person: bool = True
    participants: list[dict[str, str]] = field(default_factory=list)
    place: str = ""
    purpose: str = ""
    core_services: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)


def _audit(by: User, obj: object, patient_id: object, action: str, **detail: object) -> None:
    record(
        by=by,
        action=action,
        object_type=type(obj).__name__,
        object_id=str(getattr(obj, "pk", "")),
        patient=patient_id,  # type: ignore[arg-type]
        detail=detail,
    )


def _check_staff(by: User, patient: Patient) -> None:
    if not can(by, Capability.NOTES):
        raise AccessDenied("Your role does not record contacts.")


def _check_enrollment(enrollment: Enrollment | None, patient: Patient, by: User, errors: dict[str, list[str]]) -> None:
    if enrollment is None:
        return
    if enrollment.patient_id != patient.pk:
        errors["enrollment"] = ["That enrollment is another person's."]
    elif enrollment.organization_id != by.organization_id:
        errors["enrollment"] = ["That enrollment is with another organization."]


def refresh_month_status(
    *, enrollment: Enrollment, month: datetime.date, trigger: object = None, by: User | None = None
) -> MonthStatus | None:
    """Judge the enrollment's month and store the verdict (one row per enrollment and month). In a closed month
    the closed row stays as it was and a change of verdict is recorded as a correction (``billing.close``), naming
    ``trigger`` (what was recorded) and ``by``."""
    verdict = judge_month(enrollment=enrollment, month=month)
    close = closed_month_of(enrollment, verdict.month)
    if close is not None:
        return record_correction(close=close, enrollment=enrollment, verdict=verdict, trigger=trigger, by=by)
    values = {
        "patient_id": enrollment.patient_id,
        "program_id": enrollment.program_id,
        "organization_id": enrollment.organization_id,
        "status": verdict.status,
        "rate": verdict.rate[:40],
        "acuity": enrollment.acuity,
        "codes": verdict.codes,
        "reasons": verdict.reasons,
        "missing": verdict.missing,
        "counts": verdict.counts,
        "computed_at": timezone.now(),
    }
    try:
        with transaction.atomic():
            stored, _ = MonthStatus.objects.update_or_create(
                enrollment=enrollment, month=verdict.month, defaults=values
            )
    except IntegrityError:  # created meanwhile by another request: judge again over it
        stored, _ = MonthStatus.objects.update_or_create(enrollment=enrollment, month=verdict.month, defaults=values)
    return stored


def record_contact(*, patient: Patient, data: ContactData, by: User) -> Contact:
    """Record a contact (closing the user's timer for the person when ``use_timer``) and recompute the month."""
    _check_staff(by, patient)
    now = timezone.now()
    errors: dict[str, list[str]] = {}
    if data.modality not in Modality.values:
        errors["modality"] = [f"Unknown way of contact {data.modality!r}."]
    if data.outcome not in Outcome.values:
        errors["outcome"] = [f"Unknown outcome {data.outcome!r}."]
    unknown = [code for code in data.core_services if code not in CoreService.values]
    if unknown:
        errors["core_services"] = [f"Unknown core service {', '.join(unknown)}."]
    for participant in data.participants:
        if participant.get("role") not in Participant.values or not participant.get("name", "").strip():
            errors["participants"] = ["Each participant needs a role and a name."]
    timer = ContactTimer.objects.filter(user=by, patient=patient).first() if data.use_timer else None
    if data.use_timer and timer is None:
        errors["duration_minutes"] = ["No timer is running for this person."]
    occurred_at = data.occurred_at or (timer.started_at if timer is not None else now)
    if occurred_at > now + FUTURE_SLACK:
        errors["occurred_at"] = ["A contact cannot be in the future."]
    if timer is not None:
        minutes = max(1, math.ceil((now - timer.started_at).total_seconds() / 60))
    else:
        minutes = data.duration_minutes or 0
    if not 0 <= minutes <= MAX_MINUTES:
        errors["duration_minutes"] = [f"Duration must be between 0 and {MAX_MINUTES} minutes."]
    _check_enrollment(data.enrollment, patient, by, errors)
    if errors:
        raise ValidationFailed("The contact could not be recorded.", errors=errors)
    late = now - occurred_at > datetime.timedelta(hours=rules()["late_entry_hours"])
    with transaction.atomic():
        contact = Contact.objects.create(
            patient=patient,
            organization_id=by.organization_id,
            enrollment=data.enrollment,
            occurred_at=occurred_at,
            modality=data.modality,
            outcome=data.outcome,
            with_person=data.with_person,
            participants=[{"role": p["role"], "name": p["name"].strip()[:200]} for p in data.participants],
            place=data.place.strip()[:200],
            duration_minutes=minutes,
            purpose=data.purpose.strip(),
            core_services=sorted(set(data.core_services)),
            links=[link.strip()[:120] for link in data.links if link.strip()],
            late_entry=late,
            timed=timer is not None,
            staff_type=staff_type_of(by),
            by=by,
            recorded_at=now,
        )
        if timer is not None:
            timer.delete()
        _audit(
            by,
            contact,
            patient.pk,
            AuditAction.CREATE,
            modality=contact.modality,
            outcome=contact.outcome,
            minutes=minutes,
            core_services=contact.core_services,
            enrollment=str(contact.enrollment_id or ""),
            late_entry=late,
        )
        if data.enrollment is not None:
            refresh_month_status(
                enrollment=data.enrollment, month=timezone.localtime(occurred_at).date(), trigger=contact, by=by
            )
    return contact


def record_time(
    *,
    patient: Patient,
    activity: str,
    minutes: int,
    by: User,
    enrollment: Enrollment | None = None,
    performed_at: datetime.datetime | None = None,
    note: str = "",
) -> TimeEntry:
    """Care management time without a contact, attributed to the user with their staff type."""
    _check_staff(by, patient)
    now = timezone.now()
    performed_at = performed_at or now
    errors: dict[str, list[str]] = {}
    if activity not in Activity.values:
        errors["activity"] = [f"Unknown activity {activity!r}."]
    if not 1 <= minutes <= MAX_MINUTES:
        errors["minutes"] = [f"Minutes must be between 1 and {MAX_MINUTES}."]
    if performed_at > now + FUTURE_SLACK:
        errors["performed_at"] = ["Time cannot be recorded for the future."]
    _check_enrollment(enrollment, patient, by, errors)
    if errors:
        raise ValidationFailed("The time could not be recorded.", errors=errors)
    with transaction.atomic():
        entry = TimeEntry.objects.create(
            patient=patient,
            organization_id=by.organization_id,
            enrollment=enrollment,
            performed_at=performed_at,
            activity=activity,
            minutes=minutes,
            note=note.strip(),
            staff_type=staff_type_of(by),
            by=by,
            recorded_at=now,
        )
        _audit(by, entry, patient.pk, AuditAction.CREATE, activity=activity, minutes=minutes)
        if enrollment is not None:
            refresh_month_status(
                enrollment=enrollment, month=timezone.localtime(performed_at).date(), trigger=entry, by=by
            )
    return entry


def start_timer(*, patient: Patient, by: User) -> ContactTimer:
    """Start the user's contact timer for the person; a timer already running keeps its start."""
    _check_staff(by, patient)
    found = ContactTimer.objects.filter(user=by, patient=patient).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            timer = ContactTimer.objects.create(user=by, patient=patient, started_at=timezone.now())
            _audit(by, timer, patient.pk, AuditAction.CREATE, change="timer-start")
    except IntegrityError:  # started meanwhile in another tab
        return ContactTimer.objects.get(user=by, patient=patient)
    return timer


def cancel_timer(*, patient: Patient, by: User) -> None:
    """Discard the user's running timer for the person without recording a contact."""
    timer = ContactTimer.objects.filter(user=by, patient=patient).first()
    if timer is None:
        raise DomainError("No timer is running for this person.", code="no-timer")
    with transaction.atomic():
        _audit(by, timer, patient.pk, AuditAction.DELETE, change="timer-cancel")
        timer.delete()


def refresh_current_month(*, enrollments: list[Enrollment]) -> None:
    """Recompute this month's status for each enrollment (e.g. after a consent changes)."""
    today = month_start(timezone.localdate())
    for enrollment in enrollments:
        refresh_month_status(enrollment=enrollment, month=today)
