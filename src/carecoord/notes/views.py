"""Note pages: start a note from the chart, write and sign it, read a signed note with its addenda, the
supervisors' co-sign queue. Reads go through ``notes.access``; writes through ``notes.actions``; domain errors
become form errors (a locked note answers 409 with the reason)."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from carecoord.accounts.permissions import Capability, can
from carecoord.audit.models import AuditAction
from carecoord.common.errors import DomainError
from carecoord.contacts.queries import open_enrollments
from carecoord.notes.access import (
    ShownNote,
    access_cosign_queue,
    access_note,
    access_notes,
    accessed_patient_for_note,
)
from carecoord.notes.actions import (
    add_addendum,
    cosign_note,
    enter_note_in_error,
    return_note,
    save_note,
    sign_addendum,
    sign_note,
    start_note,
)
from carecoord.notes.forms import AddendumForm, ErrorForm, ReturnForm, SectionsForm, StartForm
from carecoord.notes.kinds import KINDS
from carecoord.web.decorators import page_fetch, requires, staff_user
from carecoord.web.forms import add_domain_error


def _sections_form(shown: ShownNote, data: Any = None) -> SectionsForm:
    note = shown.note
    initial = {f"s_{key}": text for key, text in note.sections.items()} | {"part2": note.part2}
    return SectionsForm(data, kind=KINDS[note.kind], language=note.language, initial=initial)


def _note_page(
    request: HttpRequest,
    shown: ShownNote,
    *,
    form: SectionsForm | None = None,
    addendum_form: AddendumForm | None = None,
    return_form: ReturnForm | None = None,
    error_form: ErrorForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = staff_user(request)
    note = shown.note
    editable = not note.is_locked and note.author_id == user.pk
    return render(
        request,
        "notes/detail.html",
        {
            "shown": shown,
            "note": note,
            "kind": KINDS[note.kind],
            "sections": [(s, note.sections.get(s.key, "")) for s in KINDS[note.kind].sections],
            "addenda": list(note.addenda.all()),
            "editable": editable,
            "own": note.organization_id == user.organization_id,
            "form": form or (_sections_form(shown) if editable else None),
            "addendum_form": addendum_form or AddendumForm(),
            "may_cosign": note.awaiting_cosign and can(user, Capability.COSIGN) and note.author_id != user.pk,
            "return_form": return_form or ReturnForm(),
            "error_form": error_form or ErrorForm(),
            "may_mark_error": note.organization_id == user.organization_id
            and note.status != "entered_in_error"
            and (note.author_id == user.pk or can(user, Capability.COSIGN)),
        },
        status=status,
    )


@requires(Capability.NOTES)
def patient_notes(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    found = page_fetch(access_notes, user, patient_id)
    return render(request, "notes/list.html", {"found": found, "patient": found.patient})


@require_POST
@requires(Capability.NOTES)
def new_note(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    patient = page_fetch(accessed_patient_for_note, user, patient_id)
    enrollments = list(open_enrollments(patient, user.organization_id))
    form = StartForm(request.POST, enrollments=enrollments)
    if form.is_valid():
        data = form.cleaned_data
        try:
            note = start_note(
                patient=patient,
                kind=data["kind"],
                by=user,
                enrollment=next((e for e in enrollments if str(e.pk) == data["enrollment"]), None),
                part2=data["part2"],
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            return redirect("notes:detail", note.pk)
    else:
        messages.error(request, "Choose a note template.")
    return redirect("web:chart", patient.pk)


@requires(Capability.NOTES)
def detail(request: HttpRequest, note_id: uuid.UUID) -> HttpResponse:
    return _note_page(request, page_fetch(access_note, staff_user(request), note_id))


@require_POST
@requires(Capability.NOTES)
def save(request: HttpRequest, note_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    shown = page_fetch(access_note, user, note_id, action=AuditAction.UPDATE)
    form = _sections_form(shown, request.POST)
    if not form.is_valid():
        return _note_page(request, shown, form=form, status=400)
    try:
        note = save_note(note=shown.note, by=user, sections=form.sections(), part2=form.cleaned_data["part2"])
        if request.POST.get("sign") == "1":
            sign_note(note=note, by=user)
    except DomainError as error:
        add_domain_error(form, error)
        return _note_page(request, shown, form=form, status=error.status)
    messages.success(request, "Note signed." if request.POST.get("sign") == "1" else "Draft saved.")
    return redirect("notes:detail", shown.note.pk)


@require_POST
@requires(Capability.NOTES)
def addendum(request: HttpRequest, note_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    shown = page_fetch(access_note, user, note_id, action=AuditAction.UPDATE)
    form = AddendumForm(request.POST)
    if form.is_valid():
        try:
            added = add_addendum(note=shown.note, text=form.cleaned_data["text"], by=user)
            sign_addendum(addendum=added, by=user)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, "Addendum signed.")
            return redirect("notes:detail", shown.note.pk)
    return _note_page(request, shown, addendum_form=form, status=400)


@require_POST
@requires(Capability.COSIGN)
def cosign(request: HttpRequest, note_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    shown = page_fetch(access_note, user, note_id, action=AuditAction.UPDATE)
    try:
        cosign_note(note=shown.note, by=user)
    except DomainError as error:
        messages.error(request, error.message)
        return _note_page(request, shown, status=error.status)
    messages.success(request, "Note co-signed.")
    if request.POST.get("next") == "queue":
        return redirect("notes:queue")
    return redirect("notes:detail", shown.note.pk)


@require_POST
@requires(Capability.COSIGN)
def return_to_author(request: HttpRequest, note_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    shown = page_fetch(access_note, user, note_id, action=AuditAction.UPDATE)
    form = ReturnForm(request.POST)
    if form.is_valid():
        try:
            return_note(note=shown.note, by=user, comment=form.cleaned_data["comment"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, "Note returned to its author.")
            return redirect("notes:queue")
    return _note_page(request, shown, return_form=form, status=400)


@require_POST
@requires(Capability.NOTES)
def in_error(request: HttpRequest, note_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    shown = page_fetch(access_note, user, note_id, action=AuditAction.UPDATE)
    form = ErrorForm(request.POST)
    if form.is_valid():
        try:
            enter_note_in_error(note=shown.note, by=user, reason=form.cleaned_data["reason"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, "Note marked entered in error.")
            return redirect("notes:detail", shown.note.pk)
    return _note_page(request, shown, error_form=form, status=400)


@requires(Capability.COSIGN)
def queue(request: HttpRequest) -> HttpResponse:
    notes = page_fetch(access_cosign_queue, staff_user(request))
    return render(request, "notes/queue.html", {"notes": notes})
