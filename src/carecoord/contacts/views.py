"""Contact pages: the person's contact log with time entries, and the posts behind quick entry and the timer.

Reads go through ``contacts.access``; writes through ``contacts.actions``; domain errors become form errors or
messages. Posts from the chart return to the chart (``next``)."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from carecoord.accounts.permissions import Capability
from carecoord.common.errors import DomainError
from carecoord.contacts.access import access_contact_log, accessed_patient_for_contact
from carecoord.contacts.actions import ContactData, cancel_timer, record_contact, record_time, start_timer
from carecoord.contacts.forms import ContactForm, TimeForm
from carecoord.contacts.models import Participant
from carecoord.contacts.queries import open_enrollments
from carecoord.patients.models import Patient
from carecoord.programs.models import Enrollment
from carecoord.web.decorators import page_fetch, requires, staff_user
from carecoord.web.forms import add_domain_error


def _back(request: HttpRequest, patient: Patient) -> HttpResponse:
    target = request.POST.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect("contacts:log", patient.pk)


def _enrollment(enrollments: list[Enrollment], key: str) -> Enrollment | None:
    return next((e for e in enrollments if str(e.pk) == key), None)


def _log_page(
    request: HttpRequest,
    patient_id: uuid.UUID,
    *,
    contact_form: ContactForm | None = None,
    time_form: TimeForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = staff_user(request)
    summary = page_fetch(access_contact_log, user, patient_id)
    return render(
        request,
        "contacts/log.html",
        {
            "summary": summary,
            "patient": summary.patient,
            "form": contact_form or ContactForm(enrollments=summary.enrollments),
            "time_form": time_form or TimeForm(enrollments=summary.enrollments),
        },
        status=status,
    )


@requires(Capability.NOTES)
def log(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    return _log_page(request, patient_id)


@require_POST
@requires(Capability.NOTES)
def new_contact(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    patient = page_fetch(accessed_patient_for_contact, user, patient_id, "record contact")
    enrollments = list(open_enrollments(patient, user.organization_id))
    form = ContactForm(request.POST, enrollments=enrollments)
    if form.is_valid():
        data = form.cleaned_data
        participants = [{"role": Participant.PERSON, "name": "The person"}] if data["with_person"] else []
        if data["caregiver"].strip():
            participants.append({"role": Participant.CAREGIVER, "name": data["caregiver"]})
        if data["provider"].strip():
            participants.append({"role": Participant.PROVIDER, "name": data["provider"]})
        try:
            record_contact(
                patient=patient,
                data=ContactData(
                    modality=data["modality"],
                    outcome=data["outcome"],
                    occurred_at=data["occurred_at"],
                    duration_minutes=data["duration_minutes"],
                    use_timer=request.POST.get("use_timer") == "1",
                    enrollment=_enrollment(enrollments, data["enrollment"]),
                    with_person=data["with_person"],
                    participants=participants,
                    place=data["place"],
                    purpose=data["purpose"],
                    core_services=data["core_services"],
                    links=data["links"].split(","),
                ),
                by=user,
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, "Contact recorded.")
            return _back(request, patient)
    return _log_page(request, patient_id, contact_form=form, status=400)


@require_POST
@requires(Capability.NOTES)
def new_time(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    patient = page_fetch(accessed_patient_for_contact, user, patient_id, "record time")
    enrollments = list(open_enrollments(patient, user.organization_id))
    form = TimeForm(request.POST, enrollments=enrollments)
    if form.is_valid():
        data = form.cleaned_data
        try:
            record_time(
                patient=patient,
                activity=data["activity"],
                minutes=data["minutes"],
                by=user,
                enrollment=_enrollment(enrollments, data["enrollment"]),
                performed_at=data["performed_at"],
                note=data["note"],
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"{data['minutes']} minutes recorded.")
            return _back(request, patient)
    return _log_page(request, patient_id, time_form=form, status=400)


@require_POST
@requires(Capability.NOTES)
def timer_start(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    patient = page_fetch(accessed_patient_for_contact, user, patient_id, "start timer")
    start_timer(patient=patient, by=user)
    return _back(request, patient)


@require_POST
@requires(Capability.NOTES)
def timer_cancel(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    patient = page_fetch(accessed_patient_for_contact, user, patient_id, "cancel timer")
    try:
        cancel_timer(patient=patient, by=user)
    except DomainError as error:
        messages.error(request, error.message)
    return _back(request, patient)
