"""Reads with no permission check: a person's contacts and time held by an organization, enrollments to bill,
month statuses for reports. ``contacts.access`` builds on these."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.db.models import QuerySet, Sum

from carecoord.contacts.billing.rules import month_bounds
from carecoord.contacts.models import Contact, ContactTimer, MonthStatus, TimeEntry
from carecoord.patients.models import Patient
from carecoord.programs.models import Enrollment, EnrollmentStatus, Segment, SegmentKind


def contacts_of(patient: Patient, organization_id: Any) -> QuerySet[Contact]:
    return Contact.objects.filter(patient=patient, organization_id=organization_id).select_related(
        "by", "enrollment__program"
    )


def time_entries_of(patient: Patient, organization_id: Any) -> QuerySet[TimeEntry]:
    return TimeEntry.objects.filter(patient=patient, organization_id=organization_id).select_related(
        "by", "enrollment__program"
    )


def open_enrollments(patient: Patient, organization_id: Any) -> QuerySet[Enrollment]:
    """The person's enrollments with the organization that are in force (active or on hold)."""
    return (
        Enrollment.objects.filter(
            patient=patient,
            organization_id=organization_id,
            status__in=[EnrollmentStatus.ACTIVE, EnrollmentStatus.ON_HOLD],
        )
        .select_related("program", "care_manager")
        .order_by("start_date")
    )


def open_outreach(patient: Patient, organization_id: Any) -> QuerySet[Segment]:
    return Segment.objects.filter(
        patient=patient, organization_id=organization_id, kind=SegmentKind.OUTREACH, end_date__isnull=True
    ).select_related("program")


def month_minutes(patient: Patient, organization_id: Any, month: datetime.date) -> int:
    """Minutes recorded for the person by the organization in the month, from contacts and time entries."""
    start, end = month_bounds(month)
    spoken = contacts_of(patient, organization_id).filter(occurred_at__gte=start, occurred_at__lt=end)
    worked = time_entries_of(patient, organization_id).filter(performed_at__gte=start, performed_at__lt=end)
    return (spoken.aggregate(total=Sum("duration_minutes"))["total"] or 0) + (
        worked.aggregate(total=Sum("minutes"))["total"] or 0
    )


def running_timer(user_id: Any, patient: Patient) -> ContactTimer | None:
    return ContactTimer.objects.filter(user_id=user_id, patient=patient).first()


def month_statuses(organization_id: Any, month: datetime.date) -> QuerySet[MonthStatus]:
    """Stored verdicts of the organization's enrollments for a month (reports)."""
    return MonthStatus.objects.filter(organization_id=organization_id, month=month).select_related(
        "patient", "program", "enrollment"
    )


def with_performers(rows: QuerySet[Contact]) -> QuerySet[Contact]:
    """Contacts with what a FHIR Encounter names: the recorder's Practitioner and the enrollment's program."""
    return rows.select_related("by__practitioner", "enrollment__program")


def contacts_held_by(organization_id: Any) -> QuerySet[Contact]:
    """Every contact the organization recorded."""
    return with_performers(Contact.objects.filter(organization_id=organization_id))


def get_contact(contact_id: uuid.UUID) -> Contact | None:
    return with_performers(Contact.objects.filter(pk=contact_id)).first()
