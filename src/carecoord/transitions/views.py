"""Transition pages: the organization's open transitions, one transition with a form per step.

Reads go through ``access`` (audited); each form posts to its own view, which calls the action in
``workflow.py``; a domain error is shown next to its field with the summary at the top, and the page answers
400 so the browser keeps what was typed.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from carecoord.accounts.models import User
from carecoord.accounts.permissions import Capability, can
from carecoord.clinical.models import EncounterClass
from carecoord.clinical.risk import hospital_for_encounter, lace_for_encounter
from carecoord.common.errors import DomainError
from carecoord.transitions import workflow
from carecoord.transitions.access import access_open_transitions, access_transition
from carecoord.transitions.forms import CancelForm, CloseForm, ComplexityForm, ContactForm, MedicationForm, VisitForm
from carecoord.transitions.models import Transition
from carecoord.transitions.summary import overdue_first, summarize
from carecoord.web.decorators import page_fetch, requires, staff_user
from carecoord.web.forms import add_domain_error, problems_of

FORMS: dict[str, type[forms.Form]] = {
    "contact_form": ContactForm,
    "medication_form": MedicationForm,
    "visit_form": VisitForm,
    "complexity_form": ComplexityForm,
    "complete_form": CloseForm,
    "cancel_form": CancelForm,
}


@requires(Capability.VIEW_PATIENTS)
def transition_list(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    summaries = overdue_first([summarize(t) for t in page_fetch(access_open_transitions, user)])
    return render(request, "transitions/list.html", {"summaries": summaries})


def _risk_lines(transition: Transition) -> list[Any]:
    """LACE and HOSPITAL of the stay, recomputed from the record now, component by component."""
    if transition.encounter.encounter_class != EncounterClass.INPATIENT:
        return []
    return [lace_for_encounter(transition.encounter), hospital_for_encounter(transition.encounter)]


def _page(request: HttpRequest, user: User, transition: Transition, status: int = 200, **bound: Any) -> HttpResponse:
    now = timezone.localtime().replace(second=0, microsecond=0)
    today = timezone.localdate()
    initial: dict[str, dict[str, Any]] = {
        "contact_form": {"occurred_at": now},
        "medication_form": {"on": today},
        "visit_form": {"on": today},
        "complexity_form": {"complexity": transition.decision_complexity or None},
    }
    context: dict[str, Any] = {
        name: bound.get(name) or form_class(initial=initial.get(name), prefix=name.removesuffix("_form"))
        for name, form_class in FORMS.items()
    }
    context.update(
        transition=transition,
        summary=summarize(transition),
        scores=_risk_lines(transition),
        visits=list(transition.visits.all()),
        may_reconcile=can(user, Capability.MEDICATION_RECONCILIATION),
        may_judge=can(user, Capability.TRANSITION_CLINICAL),
        problems=problems_of(*bound.values()),
    )
    return render(request, "transitions/detail.html", context, status=status)


@requires(Capability.VIEW_PATIENTS)
def detail(request: HttpRequest, transition_id: int) -> HttpResponse:
    user = staff_user(request)
    return _page(request, user, page_fetch(access_transition, user, transition_id))


def _post(request: HttpRequest, transition_id: int, name: str, act: Any, done: str, anchor: str) -> HttpResponse:
    """Bind the named form, call ``act(transition, cleaned_data, user)``, redirect on success."""
    user = staff_user(request)
    transition = page_fetch(access_transition, user, transition_id)
    form = FORMS[name](request.POST, prefix=name.removesuffix("_form"))
    if form.is_valid():
        try:
            act(transition, form.cleaned_data, user)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, done)
            return redirect(f"/transitions/{transition.pk}/#{anchor}")
    transition.refresh_from_db()
    return _page(request, user, transition, status=400, **{name: form})


@require_POST
@requires(Capability.VIEW_PATIENTS)
def contact(request: HttpRequest, transition_id: int) -> HttpResponse:
    def act(transition: Transition, data: dict[str, Any], user: User) -> None:
        workflow.record_interactive_contact(
            transition=transition,
            occurred_at=data["occurred_at"],
            method=data["method"],
            with_whom=data["with_whom"],
            successful=data["outcome"] == "reached",
            note=data["note"],
            by=user,
        )

    return _post(request, transition_id, "contact_form", act, "Contact recorded.", "contact")


@require_POST
@requires(Capability.VIEW_PATIENTS)
def medication(request: HttpRequest, transition_id: int) -> HttpResponse:
    def act(transition: Transition, data: dict[str, Any], user: User) -> None:
        workflow.record_medication_reconciliation(transition=transition, on=data["on"], note=data["note"], by=user)

    return _post(request, transition_id, "medication_form", act, "Medication reconciliation recorded.", "medrec")


@require_POST
@requires(Capability.VIEW_PATIENTS)
def visit(request: HttpRequest, transition_id: int) -> HttpResponse:
    def act(transition: Transition, data: dict[str, Any], user: User) -> None:
        workflow.record_face_to_face_visit(
            transition=transition,
            on=data["on"],
            mode=data["mode"],
            provider=data["provider"],
            mental_health_provider=data["mental_health_provider"],
            note=data["note"],
            by=user,
        )

    return _post(request, transition_id, "visit_form", act, "Visit recorded.", "visit")


@require_POST
@requires(Capability.VIEW_PATIENTS)
def complexity(request: HttpRequest, transition_id: int) -> HttpResponse:
    def act(transition: Transition, data: dict[str, Any], user: User) -> None:
        workflow.set_decision_complexity(transition=transition, complexity=data["complexity"], by=user)

    return _post(request, transition_id, "complexity_form", act, "Decision complexity recorded.", "complexity")


@require_POST
@requires(Capability.VIEW_PATIENTS)
def complete(request: HttpRequest, transition_id: int) -> HttpResponse:
    def act(transition: Transition, data: dict[str, Any], user: User) -> None:
        workflow.complete_transition(transition=transition, note=data["note"], by=user)

    return _post(request, transition_id, "complete_form", act, "Transition completed.", "close")


@require_POST
@requires(Capability.VIEW_PATIENTS)
def cancel(request: HttpRequest, transition_id: int) -> HttpResponse:
    def act(transition: Transition, data: dict[str, Any], user: User) -> None:
        workflow.cancel_transition(transition=transition, reason=data["reason"], by=user)

    response = _post(request, transition_id, "cancel_form", act, "Transition cancelled.", "close")
    return response if response.status_code != 302 else redirect("transitions:list")
