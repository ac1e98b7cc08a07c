"""Assessment pages: a person's instruments and responses, the fill-in form for any questionnaire (drafts,
completion, amendment), the result page, the safety flag's resolution, and the organization's questionnaires.

Reads go through ``assessments.access`` (and ``patients.access`` for the person); writes through
``assessments.actions``; the engine's errors (keyed by linkId) are shown next to the item they name.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from carecoord.accounts.models import User
from carecoord.accounts.permissions import Capability, can, has_current_license
from carecoord.assessments import instruments
from carecoord.assessments.access import (
    access_questionnaire,
    access_questionnaires,
    access_response,
    access_responses,
    access_safety_flag,
    access_screening_summary,
)
from carecoord.assessments.actions import (
    BEHAVIORAL_INSTRUMENTS,
    SOCIAL_INSTRUMENTS,
    amend_response,
    complete_response,
    create_questionnaire,
    enter_in_error,
    parsed,
    resolve_safety_flag,
    retire_questionnaire,
    save_response_draft,
)
from carecoord.assessments.engine import Questionnaire
from carecoord.assessments.flags import SAFETY_REASON
from carecoord.assessments.forms import (
    LIVE_TOTALS,
    FormBuilder,
    ReasonForm,
    ResolveFlagForm,
    UploadQuestionnaireForm,
    data_from_items,
    initial_data,
    live_total,
    read_items,
)
from carecoord.assessments.models import (
    PublicationStatus,
    QuestionnaireDefinition,
    QuestionnaireResponse,
    ResponseStatus,
)
from carecoord.assessments.scoring.screens import PHQ9_ITEM9
from carecoord.audit.models import AuditAction
from carecoord.clinical.access import access_observations
from carecoord.common.errors import AccessDenied, DomainError, NotFound, ValidationFailed
from carecoord.patients.access import access_patient
from carecoord.patients.models import Patient
from carecoord.tasks.access import tasks_of_accessed_patient
from carecoord.tasks.models import Task
from carecoord.web.decorators import page_fetch, requires, staff_user
from carecoord.web.forms import add_domain_error

GROUPS = (
    ("behavioral", "Behavioral health screens"),
    ("social", "Social needs screens"),
    ("assessment", "Assessments"),
    ("custom", "Your organization's questionnaires"),
)
FLAG_WORDS = {
    "phq2-positive": "Positive PHQ-2 (3 or more): a full PHQ-9 is due.",
    "gad2-positive": "Positive GAD-2 (3 or more): a full GAD-7 is due.",
    "gad7-positive": "GAD-7 of 10 or more: anxiety worth following up.",
    "auditc-positive": "Positive AUDIT-C: alcohol use needs a follow-up conversation.",
    "dast10-further-investigation": "DAST-10 at a moderate level: further investigation.",
    "dast10-intensive-assessment": "DAST-10 at a substantial or severe level: intensive assessment.",
}


def may_correct(user: User, definition: QuestionnaireDefinition) -> bool:
    """Whether the user's role may fill in, amend or retract responses to this questionnaire."""
    try:
        return can(user, Capability(definition.capability))
    except ValueError:
        return False


def may_give(user: User, definition: QuestionnaireDefinition) -> bool:
    """Whether the user may start a response (the actions refuse the others): the role, and not retired."""
    return definition.status != PublicationStatus.RETIRED and may_correct(user, definition)


def _group_of(definition: QuestionnaireDefinition) -> str:
    if not definition.builtin:
        return "custom"
    if definition.url in BEHAVIORAL_INSTRUMENTS:
        return "behavioral"
    if definition.url in SOCIAL_INSTRUMENTS:
        return "social"
    return "assessment"


def _fetch(fetch: Any, *args: Any, **kwargs: Any) -> Any:
    return page_fetch(fetch, *args, **kwargs)


def _post_data(request: HttpRequest) -> dict[str, list[str]]:
    return {key: request.POST.getlist(key) for key in request.POST if key not in ("csrfmiddlewaretoken", "action")}


def _resource(definition: QuestionnaireDefinition, questionnaire: Questionnaire, data: Any) -> dict[str, Any]:
    return {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": definition.canonical,
        "item": read_items(questionnaire, data),
    }


def _errors_of(error: DomainError) -> dict[str, list[str]]:
    if isinstance(error, AccessDenied):
        raise PermissionDenied(error.message)
    if isinstance(error, NotFound):
        raise Http404(error.message)
    if isinstance(error, ValidationFailed) and error.errors:
        return error.errors
    return {error.field or "response": [error.message]}


# --- a person's assessments --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Offer:
    """An instrument the user may give, with what is due for it."""

    definition: QuestionnaireDefinition
    due: Any


@requires(Capability.VIEW_PATIENTS)
def patient_assessments(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    panel = _fetch(access_screening_summary, user, patient_id)
    responses = _fetch(access_responses, user, patient_id)
    due = {d.instrument_url: d for d in panel.due}
    offers: dict[str, list[Offer]] = {key: [] for key, _ in GROUPS}
    for definition in access_questionnaires(user):
        if may_give(user, definition):
            offers[_group_of(definition)].append(Offer(definition, due.get(definition.url)))
    return render(
        request,
        "assessments/patient.html",
        {
            "patient": panel.patient,
            "panel": panel,
            "groups": [(label, offers[key]) for key, label in GROUPS if offers[key]],
            "drafts": [r for r in responses if r.status == ResponseStatus.IN_PROGRESS],
            "finished": [r for r in responses if r.status != ResponseStatus.IN_PROGRESS],
        },
    )


# --- filling in --------------------------------------------------------------------------------------------------


def _fill(
    request: HttpRequest,
    *,
    patient: Patient,
    definition: QuestionnaireDefinition,
    data: Any,
    errors: dict[str, list[str]] | None = None,
    response: QuestionnaireResponse | None = None,
    amending: bool = False,
    reason_form: ReasonForm | None = None,
    status: int = 200,
) -> HttpResponse:
    questionnaire = parsed(definition)
    builder = FormBuilder(questionnaire, data, errors)
    nodes = builder.nodes()
    problems = builder.problems()
    if reason_form is not None and reason_form.errors:
        problems += [("Why the answers change", str(e), "id_reason") for e in reason_form.errors.get("reason", [])]
    return render(
        request,
        "assessments/fill.html",
        {
            "patient": patient,
            "definition": definition,
            "questionnaire": questionnaire,
            "description": questionnaire.resource.get("description", "") if not definition.builtin else "",
            "nodes": nodes,
            "problems": problems,
            "total": live_total(questionnaire, sex=patient.sex),
            "safety_item": PHQ9_ITEM9 if definition.url == instruments.PHQ9_URL else "",
            "response": response,
            "amending": amending,
            "reason_form": reason_form,
            "preview": False,
        },
        status=status,
    )


@requires(Capability.VIEW_PATIENTS)
def start(request: HttpRequest, patient_id: uuid.UUID, questionnaire_id: uuid.UUID) -> HttpResponse:
    """A new response: the blank form (GET), then a draft or a completed response (POST)."""
    user = staff_user(request)
    definition = _fetch(access_questionnaire, user, questionnaire_id)
    if definition.status == PublicationStatus.RETIRED:
        raise Http404(f"{definition.title} is retired: it takes no new responses.")
    if not may_give(user, definition):
        raise PermissionDenied(f"Your role may not give the {definition.title}.")
    action = AuditAction.CREATE if request.method == "POST" else AuditAction.READ
    patient = _fetch(
        access_patient, user, patient_id, action=action, object_type="QuestionnaireResponse", detail={"new": True}
    )
    if request.method != "POST":
        return _fill(request, patient=patient, definition=definition, data=initial_data(parsed(definition)))
    return _save(request, user=user, patient=patient, definition=definition, response=None)


def _save(
    request: HttpRequest,
    *,
    user: User,
    patient: Patient,
    definition: QuestionnaireDefinition,
    response: QuestionnaireResponse | None,
) -> HttpResponse:
    data = _post_data(request)
    resource = _resource(definition, parsed(definition), data)
    completing = request.POST.get("action") == "complete"
    try:
        if completing:
            done = complete_response(
                patient=patient, questionnaire=definition, resource=resource, by=user, response=response
            )
            return redirect("assessments:response", done.pk)
        draft = save_response_draft(
            patient=patient, questionnaire=definition, resource=resource, by=user, response=response
        )
    except DomainError as error:
        errors = _errors_of(error)
        return _fill(
            request, patient=patient, definition=definition, data=data, errors=errors, response=response, status=422
        )
    messages.success(request, f"Draft saved. Resume it from {patient.given_names}'s assessments at any time.")
    return redirect("assessments:response", draft.pk)


@requires(Capability.VIEW_PATIENTS)
def response_page(request: HttpRequest, response_id: uuid.UUID) -> HttpResponse:
    """A draft opens in the form (and saves or completes); a finished response shows its result."""
    user = staff_user(request)
    action = AuditAction.UPDATE if request.method == "POST" else AuditAction.READ
    response = _fetch(access_response, user, response_id, action=action)
    definition = response.questionnaire
    if response.status == ResponseStatus.IN_PROGRESS:
        if request.method == "POST":
            return _save(request, user=user, patient=response.patient, definition=definition, response=response)
        if not may_correct(user, definition):
            return _result(request, user, response)
        data = data_from_items(parsed(definition), response.items)
        return _fill(request, patient=response.patient, definition=definition, data=data, response=response)
    if request.method == "POST":
        raise PermissionDenied("This response is finished: amend it instead.")
    return _result(request, user, response)


@requires(Capability.VIEW_PATIENTS)
def amend(request: HttpRequest, response_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    action = AuditAction.UPDATE if request.method == "POST" else AuditAction.READ
    response = _fetch(access_response, user, response_id, action=action)
    definition = response.questionnaire
    if not response.finished:
        return redirect("assessments:response", response.pk)
    if not may_correct(user, definition):
        raise PermissionDenied(f"Your role may not give the {definition.title}.")
    if request.method != "POST":
        data = data_from_items(parsed(definition), response.items)
        return _fill(
            request,
            patient=response.patient,
            definition=definition,
            data=data,
            response=response,
            amending=True,
            reason_form=ReasonForm(),
        )
    data = _post_data(request)
    data.pop("reason", None)
    reason_form = ReasonForm(request.POST)
    errors: dict[str, list[str]] = {}
    if reason_form.is_valid():
        try:
            amend_response(
                response=response,
                resource=_resource(definition, parsed(definition), data),
                by=user,
                reason=reason_form.cleaned_data["reason"],
            )
        except DomainError as error:
            errors = _errors_of(error)
            if "reason" in errors:
                reason_form.add_error("reason", errors.pop("reason"))
        else:
            messages.success(request, "Amended. The earlier answers are kept in the history below.")
            return redirect("assessments:response", response.pk)
    return _fill(
        request,
        patient=response.patient,
        definition=definition,
        data=data,
        errors=errors,
        response=response,
        amending=True,
        reason_form=reason_form,
        status=422,
    )


@require_POST
@requires(Capability.VIEW_PATIENTS)
def mark_entered_in_error(request: HttpRequest, response_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    response = _fetch(access_response, user, response_id, action=AuditAction.UPDATE)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the response was entered in error.")
        return redirect("assessments:response", response.pk)
    try:
        enter_in_error(response=response, by=user, reason=form.cleaned_data["reason"])
    except DomainError as error:
        _errors_of(error)
        messages.error(request, error.message)
    else:
        messages.success(request, "Marked as entered in error. Its score no longer counts.")
    return redirect("assessments:response", response.pk)


# --- the result page ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerRow:
    depth: int
    text: str
    answers: list[str]
    is_group: bool


def _answer_words(answer: dict[str, Any]) -> str:
    for key, value in answer.items():
        if not key.startswith("value"):
            continue
        if isinstance(value, dict):
            return str(value.get("display") or value.get("code") or "")
        if isinstance(value, bool):
            return "Yes" if value else "No"
        return str(value)
    return ""


def answer_rows(questionnaire: Questionnaire, items: list[dict[str, Any]], depth: int = 0) -> list[AnswerRow]:
    """The answers as lines to read: each question with its answers, groups as headings."""
    rows: list[AnswerRow] = []
    for node in items:
        link_id = str(node.get("linkId"))
        item = questionnaire.index.get(link_id)
        text = (item.text if item else None) or str(node.get("text") or link_id)
        if node.get("answer"):
            rows.append(AnswerRow(depth, text, [_answer_words(a) for a in node["answer"]], False))
            for answer in node["answer"]:
                rows.extend(answer_rows(questionnaire, answer.get("item") or [], depth + 1))
        else:
            rows.append(AnswerRow(depth, text, [], True))
            rows.extend(answer_rows(questionnaire, node.get("item") or [], depth + 1))
    return rows


def answer_to(items: list[dict[str, Any]], link_id: str) -> str:
    """The words of the first answer to ``link_id`` anywhere in stored response items."""
    for node in items:
        if node.get("linkId") == link_id and node.get("answer"):
            return _answer_words(node["answer"][0])
        nested = list(node.get("item") or []) + [c for a in node.get("answer") or [] for c in a.get("item") or []]
        found = answer_to(nested, link_id)
        if found:
            return found
    return ""


def _holder(task: Task | None) -> str:
    if task is None:
        return "the licensed care managers' queue"
    if task.owner is not None:
        return task.owner.get_full_name() or task.owner.username
    if task.queue is not None:
        return f"the {task.queue.name} queue"
    return "nobody yet"


def _flag_words(response: QuestionnaireResponse, questionnaire: Questionnaire) -> list[tuple[str, bool]]:
    """Each flag in words, and whether it is about safety."""
    words = []
    for code in response.flags:
        if code == SAFETY_REASON:
            text = questionnaire.index[PHQ9_ITEM9].text if PHQ9_ITEM9 in questionnaire.index else ""
            answered = answer_to(response.items, PHQ9_ITEM9)
            flag = response.safety_flags.select_related("task__owner", "task__queue").first()
            task = flag.task if flag else None
            if task is not None and task.focus == response.reference:
                then = f"a safety task was created for {_holder(task)}"
            elif task is not None:
                then = f"the safety task already open for {_holder(task)} covers it"
            else:
                then = "a safety follow-up is needed today"
            words.append((f"Question 9 (“{text}”) answered “{answered}”: {then}.", True))
        else:
            words.append((FLAG_WORDS.get(code, code.replace("-", " ").capitalize() + "."), False))
    return words


def _result(request: HttpRequest, user: User, response: QuestionnaireResponse) -> HttpResponse:
    questionnaire = parsed(response.questionnaire)
    patient = response.patient
    tasks = [t for t in tasks_of_accessed_patient(user, patient, include_closed=True) if t.focus == response.reference]
    try:
        observations = [
            o
            for o in access_observations(user, patient.pk, start=response.authored, end=response.authored)
            if o.derived_from == response.reference
        ]
    except AccessDenied:
        observations = []
    total = live_total(questionnaire, sex=patient.sex)
    may = may_correct(user, response.questionnaire)
    return render(
        request,
        "assessments/result.html",
        {
            "response": response,
            "patient": patient,
            "definition": response.questionnaire,
            "maximum": total["max"] if total and response.questionnaire.url in LIVE_TOTALS else "",
            "flag_words": _flag_words(response, questionnaire),
            "tasks": tasks,
            "observations": observations,
            "rows": answer_rows(questionnaire, response.items),
            "versions": list(response.versions.select_related("recorded_by").order_by("-version")),
            "may_amend": may and response.finished,
            "may_retract": may and response.status != ResponseStatus.ENTERED_IN_ERROR,
            "reason_form": ReasonForm(),
        },
    )


# --- the safety flag ---------------------------------------------------------------------------------------------


@require_POST
@requires(Capability.VIEW_PATIENTS)
def resolve_flag(request: HttpRequest, flag_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    flag = _fetch(access_safety_flag, user, flag_id)
    if not has_current_license(user):
        raise PermissionDenied("Only a user with a current license may resolve a safety flag.")
    form = ResolveFlagForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say how the safety concern was resolved.")
    else:
        try:
            resolve_safety_flag(flag=flag, by=user, resolution=form.cleaned_data["resolution"])
        except DomainError as error:
            _errors_of(error)
            messages.error(request, error.message)
        else:
            messages.success(request, "Safety flag resolved. The banner is gone; the note is kept with the response.")
    return redirect("web:chart", flag.patient_id)


# --- questionnaires (organization administrators) ----------------------------------------------------------------


@login_required
def questionnaires(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    may_manage = can(user, Capability.MANAGE_PROGRAMS)
    form = UploadQuestionnaireForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if not may_manage:
            raise PermissionDenied("Only an organization administrator may add questionnaires.")
        if form.is_valid():
            try:
                resource = json.loads(form.cleaned_data["file"].read().decode("utf-8"))
                capability = form.cleaned_data["capability"]
                definition = create_questionnaire(resource=resource, by=user, capability=capability)
            except UnicodeDecodeError:
                form.add_error("file", "The file is not text: upload the Questionnaire as a UTF-8 JSON file.")
            except json.JSONDecodeError as error:
                form.add_error("file", f"The file is not valid JSON (line {error.lineno}, column {error.colno}).")
            except ValidationFailed as error:
                found = [message for messages_ in error.errors.values() for message in messages_]
                for message in found or [error.message]:
                    form.add_error("file", message)
            except DomainError as error:
                if isinstance(error, AccessDenied | NotFound):
                    _errors_of(error)
                add_domain_error(form, error, field_map={"url": "file", "version": "file"})
            else:
                messages.success(request, f"“{definition.title}” added. Preview it below before people use it.")
                return redirect("assessments:questionnaire", definition.pk)
        status = 422
    rows = access_questionnaires(user)
    return render(
        request,
        "assessments/questionnaires.html",
        {
            "builtins": [q for q in rows if q.builtin],
            "custom": [q for q in rows if not q.builtin],
            "form": form,
            "may_manage": may_manage,
        },
        status=status,
    )


@login_required
def questionnaire(request: HttpRequest, questionnaire_id: uuid.UUID) -> HttpResponse:
    """A preview: the form as people will fill it in (nothing is saved)."""
    user = staff_user(request)
    definition = _fetch(access_questionnaire, user, questionnaire_id)
    parsed_form = parsed(definition)
    builder = FormBuilder(parsed_form, initial_data(parsed_form))
    return render(
        request,
        "assessments/preview.html",
        {
            "definition": definition,
            "questionnaire": parsed_form,
            "nodes": builder.nodes(),
            "total": live_total(parsed_form),
            "question_count": len(builder.numbers),
            "may_manage": can(user, Capability.MANAGE_PROGRAMS) and not definition.builtin,
            "preview": True,
        },
    )


@require_POST
@login_required
def retire(request: HttpRequest, questionnaire_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    definition = _fetch(access_questionnaire, user, questionnaire_id)
    try:
        retire_questionnaire(definition=definition, by=user)
    except DomainError as error:
        _errors_of(error)
        messages.error(request, error.message)
    else:
        messages.success(request, f"“{definition.title}” is retired: no new responses; those given stay.")
    return redirect("assessments:questionnaires")
