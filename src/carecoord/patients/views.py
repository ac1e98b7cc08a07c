"""Patient search, registration, the chart, demographics editing and emergency (break-the-glass) access.

Every record is fetched through ``patients.access`` and every write goes through an action; domain errors
become form errors or a 403/404 page here, at the edge.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from carecoord.accounts.permissions import Capability, can
from carecoord.audit.actions import break_glass
from carecoord.common.errors import AccessDenied, DomainError, NotFound, ValidationFailed, VersionConflict
from carecoord.patients.access import access_patient, check_break_glass_candidate, search_accessible_patients
from carecoord.patients.actions import PossibleDuplicate, register_patient, update_patient
from carecoord.patients.forms import PatientEditor, initial_from_patient
from carecoord.patients.models import Patient
from carecoord.web.decorators import requires, staff_user

_CHILDREN = ("identifiers", "addresses", "phones", "coverages", "contacts")


@requires(Capability.VIEW_PATIENTS)
def search(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    query = request.GET.get("q", "").strip()[:200]
    result = search_accessible_patients(user, query) if query else None
    if result is not None:
        prefetch_related_objects(result.patients, "identifiers", "phones")
    context = {"query": query, "result": result, "can_register": can(user, Capability.REGISTER_PATIENTS)}
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.history_restore_request:
        return render(request, "patients/_results.html", context)
    return render(request, "patients/search.html", context)


def _render_form(request: HttpRequest, editor: PatientEditor, **context: object) -> HttpResponse:
    return render(
        request,
        "patients/form.html",
        {"editor": editor, "problems": editor.problems(), **context},
        status=422 if request.method == "POST" else 200,
    )


@requires(Capability.REGISTER_PATIENTS)
def register(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    editor = PatientEditor(request.POST or None, organization_id=user.organization_id)
    duplicates = None
    if request.method == "POST":
        valid = editor.is_valid()
        data = editor.to_data()
        if not valid:
            editor.collect_rule_errors(data)
        else:
            try:
                registration = register_patient(
                    data=data, by=user, confirm_not_duplicate=bool(editor.main.cleaned_data["confirm_not_duplicate"])
                )
            except PossibleDuplicate as error:
                duplicates = error.candidates
            except DomainError as error:
                editor.add_error(error)
            else:
                patient = registration.patient
                messages.success(request, f"{patient} is registered to {user.organization.name}.")
                return redirect("web:chart", patient_id=patient.pk)
    return _render_form(request, editor, mode="register", duplicates=duplicates)


def _denied(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    return render(
        request,
        "patients/access_denied.html",
        {
            "patient_id": patient_id,
            "may_break_glass": can(user, Capability.BREAK_GLASS),
        },
        status=403,
    )


@requires(Capability.VIEW_PATIENTS)
def chart(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    try:
        patient = access_patient(user, patient_id)
    except NotFound as error:
        raise Http404(error.message) from None
    except AccessDenied:
        return _denied(request, patient_id)
    prefetch_related_objects([patient], *_CHILDREN)
    contacts = [c for c in patient.contacts.all() if c.active]
    return render(
        request,
        "patients/chart.html",
        {
            "patient": patient,
            "contacts": contacts,
            "break_glass": getattr(patient, "access_basis", "") == "break-glass",
            "can_edit": can(user, Capability.EDIT_DEMOGRAPHICS),
        },
    )


@requires(Capability.EDIT_DEMOGRAPHICS)
def edit(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    try:
        patient = access_patient(user, patient_id, detail={"purpose": "edit"})
    except NotFound as error:
        raise Http404(error.message) from None
    except AccessDenied:
        return _denied(request, patient_id)
    initial, rows = initial_from_patient(patient)
    editor = PatientEditor(
        request.POST or None, initial=initial, rows=rows, base=patient, organization_id=user.organization_id
    )
    conflict = ""
    if request.method == "POST":
        valid = editor.is_valid()
        data = editor.to_data()
        if not valid:
            editor.collect_rule_errors(data)
        else:
            try:
                update_patient(
                    patient=patient, data=data, by=user, expected_version=editor.main.cleaned_data.get("version")
                )
            except VersionConflict as error:
                conflict = error.message
            except DomainError as error:
                editor.add_error(error)
            else:
                messages.success(request, f"Saved {patient}'s details.")
                return redirect("web:chart", patient_id=patient.pk)
    return _render_form(request, editor, mode="edit", patient=patient, conflict=conflict)


@requires(Capability.BREAK_GLASS)
def emergency_access(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    error_message = ""
    reason = request.POST.get("reason", "").strip() if request.method == "POST" else ""
    if request.method == "POST":
        try:
            patient: Patient = check_break_glass_candidate(user, patient_id)
            break_glass(user=user, patient=patient, reason=reason)
        except NotFound as error:
            raise Http404(error.message) from None
        except AccessDenied:
            return _denied(request, patient_id)
        except ValidationFailed as error:
            error_message = error.message
        else:
            return redirect("web:chart", patient_id=patient_id)
    return render(
        request,
        "patients/emergency_access.html",
        {
            "patient_id": patient_id,
            "reason": reason,
            "error_message": error_message,
            "chart_url": reverse("web:chart", args=[patient_id]),
        },
        status=422 if error_message else 200,
    )
