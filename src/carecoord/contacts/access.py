"""Permission-checked reads of contacts, time and billing readiness. A person's contacts are reached through
``patients.access.access_patient`` (audited there) and only those recorded by the user's organization."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils import timezone

from carecoord.accounts.models import User
from carecoord.accounts.permissions import Capability, can
from carecoord.accounts.queries import as_uuid
from carecoord.audit.actions import record
from carecoord.audit.models import AuditAction, AuditOutcome
from carecoord.common.errors import AccessDenied, NotFound
from carecoord.contacts.billing import MonthReadiness, judge_month, judge_outreach
from carecoord.contacts.billing.rules import OutreachReadiness
from carecoord.contacts.models import Contact, ContactTimer, TimeEntry
from carecoord.contacts.queries import (
    contacts_held_by,
    contacts_of,
    get_contact,
    month_minutes,
    open_enrollments,
    open_outreach,
    running_timer,
    time_entries_of,
)
from carecoord.patients.access import access_patient
from carecoord.patients.models import Patient
from carecoord.programs.models import Enrollment
from carecoord.programs.rules import month_start


@dataclass
class ContactSummary:
    """What the chart and the contact log show about a person's contacts, time and this month."""

    patient: Patient
    enrollments: list[Enrollment]
    readiness: list[tuple[Enrollment, MonthReadiness]]
    outreach: list[OutreachReadiness]
    contacts: list[Contact]
    time_entries: list[TimeEntry] = field(default_factory=list)
    month: datetime.date = field(default_factory=lambda: month_start(timezone.localdate()))
    minutes: int = 0
    timer: ContactTimer | None = None


def summary_of_accessed_patient(
    user: User, patient: Patient, *, contacts: int = 5, with_time: bool = False
) -> ContactSummary:
    """For a person the caller has just fetched through ``access_patient`` for this user (the chart: its read is
    audited once, with the page). This month's verdicts are judged live (a few indexed queries), not read from
    the stored ``MonthStatus``, so days left and month ends are always current."""
    if not can(user, Capability.NOTES):
        raise AccessDenied("Your role does not include contacts.")
    today = timezone.localdate()
    month = month_start(today)
    enrollments = list(open_enrollments(patient, user.organization_id))
    readiness = [(e, judge_month(enrollment=e, month=month, today=today)) for e in enrollments]
    outreach = [
        judge_outreach(
            patient=patient, program=s.program, organization_id=user.organization_id, month=month, today=today
        )
        for s in open_outreach(patient, user.organization_id)
    ]
    found = contacts_of(patient, user.organization_id)
    return ContactSummary(
        patient=patient,
        enrollments=enrollments,
        readiness=readiness,
        outreach=outreach,
        contacts=list(found[:contacts] if contacts else found[:500]),
        time_entries=list(time_entries_of(patient, user.organization_id)[:500]) if with_time else [],
        month=month,
        minutes=month_minutes(patient, user.organization_id, month),
        timer=running_timer(user.pk, patient),
    )


def access_contact_log(user: User, patient_id: object) -> ContactSummary:
    """The person's full contact log and time entries held by the user's organization (audited)."""
    if not can(user, Capability.NOTES):
        raise AccessDenied("Your role does not include contacts.")
    patient = access_patient(user, patient_id, object_type="Contact", detail={"list": "contact-log"})
    return summary_of_accessed_patient(user, patient, contacts=0, with_time=True)


def accessed_patient_for_contact(user: User, patient_id: object, purpose: str) -> Patient:
    """The person, for recording a contact, time or a timer (audited)."""
    if not can(user, Capability.NOTES):
        raise AccessDenied("Your role does not record contacts.")
    return access_patient(user, patient_id, object_type="Contact", detail={"purpose": purpose})


def visible_contacts(user: User) -> QuerySet[Contact]:
    """The contacts a search may cover: those the user's organization recorded (none for a role without contacts).
    A search narrows them to people it may see (``patients.access.visible_patients``) and audits what it returns."""
    if not can(user, Capability.NOTES):
        return Contact.objects.none()
    return contacts_held_by(user.organization_id)


def access_contact(
    user: User, contact_id: object, *, object_type: str = "Contact", object_id: str = "", action: str = AuditAction.READ
) -> Contact:
    """One contact, for a user whose organization recorded it and who may see the person (audited either way:
    an unknown id as failed, another organization's contact as denied, then ``access_patient``)."""
    if not can(user, Capability.NOTES):
        raise AccessDenied("Your role does not include contacts.")
    key = as_uuid(contact_id)
    contact = get_contact(key) if key is not None else None
    shown_id = object_id or str(contact_id)[:64]
    if contact is None:
        record(by=user, action=action, object_type=object_type, object_id=shown_id, outcome=AuditOutcome.FAILED)
        raise NotFound(f"No contact with id {contact_id}.")
    if contact.organization_id != user.organization_id:
        record(
            by=user,
            action=action,
            object_type=object_type,
            object_id=shown_id,
            patient=contact.patient_id,
            outcome=AuditOutcome.DENIED,
            detail={"reason": "other-organization"},
        )
        raise AccessDenied("Contacts are shown only to the organization that recorded them.")
    access_patient(user, contact.patient_id, action=action, object_type=object_type, object_id=shown_id)
    return contact
