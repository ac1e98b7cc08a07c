"""Builders for the contacts tests: enrolled people (consent first, as in life), contacts and time in a month."""

from __future__ import annotations

import datetime

from django.utils import timezone

from carecoord.accounts.models import License, User
from carecoord.consents.actions import ConsentData, record_consent
from carecoord.contacts.actions import ContactData, record_contact, record_time
from carecoord.contacts.models import Contact
from carecoord.patients.models import Patient
from carecoord.programs.actions import enroll
from carecoord.programs.models import Enrollment, Program
from carecoord.programs.rules import add_months, month_start
from carecoord.testing.factories import make_patient

THIS_MONTH = month_start(timezone.localdate())
PAST_MONTH = add_months(THIS_MONTH, -2)  # closed: unmet rules there are "not billable"
LONG_AGO = add_months(THIS_MONTH, -6)


def in_month(month: datetime.date, day: int = 10, hour: int = 10) -> datetime.datetime:
    return datetime.datetime.combine(
        month.replace(day=day), datetime.time(hour), tzinfo=timezone.get_current_timezone()
    )


def enrolled(
    by: User,
    code: str,
    *,
    patient: Patient | None = None,
    acuity: str = "",
    care_manager: User | None = None,
    start: datetime.date = LONG_AGO,
) -> Enrollment:
    program = Program.objects.get(code=code)
    person = patient or make_patient(by)
    for form in program.required_consents:
        record_consent(
            patient=person,
            data=ConsentData(form=form, signed_on=start, partners=[by.organization], verbal=form == "CCM-VERBAL"),
            by=by,
        )
    return enroll(patient=person, program=program, by=by, start_date=start, acuity=acuity, care_manager=care_manager)


def contact(
    enrollment: Enrollment,
    by: User,
    *,
    when: datetime.datetime | None = None,
    modality: str = "phone",
    outcome: str = "reached",
    minutes: int = 0,
    services: tuple[str, ...] = ("care-management",),
) -> Contact:
    return record_contact(
        patient=enrollment.patient,
        data=ContactData(
            modality=modality,
            outcome=outcome,
            occurred_at=when,
            duration_minutes=minutes,
            enrollment=enrollment,
            core_services=list(services),
        ),
        by=by,
    )


def minutes_in(enrollment: Enrollment, by: User, minutes: int, month: datetime.date = PAST_MONTH) -> None:
    """``minutes`` of care management time in the month: a contact and the rest as care plan work."""
    first = min(minutes, 15)
    contact(enrollment, by, when=in_month(month, 5), minutes=first, services=())
    if minutes - first:
        record_time(
            patient=enrollment.patient,
            activity="care_plan",
            minutes=minutes - first,
            by=by,
            enrollment=enrollment,
            performed_at=in_month(month, 12),
        )


def license(user: User, kind: str) -> User:
    License.objects.create(
        user=user,
        type=kind,
        number=f"{kind}{str(user.pk)[:8]}",
        state="NY",
        expires_on=timezone.localdate().replace(year=2099),
    )
    return User.objects.prefetch_related("licenses").get(pk=user.pk)
