"""Care plan pages: the plan (an outline of needs → goals → interventions, edited in place), its version history
and past versions, sign-off, and the printable copy for the person.

Reads go through ``careplans.access``; writes through ``careplans.actions``. A refused write re-renders the plan
with the form's errors next to its fields and in the summary at the top (status 422); ``AccessDenied`` is the
403 page.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.views.decorators.http import require_POST

from carecoord.accounts.models import User
from carecoord.accounts.permissions import ROLE_CAPABILITIES, Capability, can
from carecoord.careplans import actions
from carecoord.careplans.access import (
    access_care_plan,
    access_goal,
    access_intervention,
    access_plan_version,
)
from carecoord.careplans.actions import (
    GOAL_NEEDS_REASON,
    GOAL_TRANSITIONS,
    PLAN_TRANSITIONS,
    InterventionData,
)
from carecoord.careplans.forms import (
    COMMON_MEASURES,
    DetailsForm,
    GoalForm,
    GoalStatusForm,
    InterventionForm,
    InterventionUpdateForm,
    NewGoalForm,
    PlanStatusForm,
    ProblemForm,
    ProgressForm,
    ReviewForm,
    ScheduleReviewForm,
    SignForm,
    SignificantChangeForm,
    StartForm,
)
from carecoord.careplans.models import (
    CarePlan,
    CarePlanStatus,
    Goal,
    GoalLifecycle,
    Intervention,
    ProblemStatus,
    SignerKind,
)
from carecoord.careplans.queries import (
    MeasureReading,
    SignOff,
    latest_measure,
    next_interventions,
    plan_contacts,
    signoff_state,
)
from carecoord.careteams.models import CareTeamMember, CareTeamStatus, MemberKind
from carecoord.common.errors import AccessDenied, DomainError
from carecoord.patients.access import access_patient
from carecoord.programs.models import Enrollment, EnrollmentStatus
from carecoord.tasks.access import access_task, tasks_of_accessed_patient
from carecoord.tasks.models import Task, TaskKind
from carecoord.web.decorators import page_fetch, requires, staff_user
from carecoord.web.forms import add_domain_error, problems_of

PRINT_LANGUAGES = ("en", "es")
# Dates on the printed plan, spelled out: "June 30, 2027", "30 de junio de 2027".
PRINT_DATE_FORMATS = {"en": "F j, Y", "es": r"j \d\e F \d\e Y"}


# What the plan page shows -------------------------------------------------------------------------------------------


@dataclass
class GoalRow:
    goal: Goal
    reading: MeasureReading | None
    interventions: list[Intervention]
    steps: list[tuple[str, str, bool]]  # (status, label, needs a reason)
    status_form: GoalStatusForm
    progress_form: ProgressForm


def _goal_steps(goal: Goal) -> list[tuple[str, str, bool]]:
    allowed = set(GOAL_TRANSITIONS.get(goal.lifecycle_status, frozenset()))
    if goal.lifecycle_status != GoalLifecycle.ENTERED_IN_ERROR:
        allowed.add(GoalLifecycle.ENTERED_IN_ERROR)
    return [(s.value, str(s.label), s in GOAL_NEEDS_REASON) for s in GoalLifecycle if s in allowed]


def _prefix(kind: str, key: uuid.UUID) -> str:
    return f"{kind}-{key.hex}"


def signed_by_sentence(state: SignOff) -> str:
    """'the person and Alice Nguyen' — who signed what the plan says now."""
    names = []
    for signature in state.current:
        if signature.signer_kind == SignerKind.PERSON:
            names.append("the person")
        elif signature.signer_kind == SignerKind.GUARDIAN:
            names.append(f"guardian {signature.signer_name}")
        else:
            names.append(signature.signer_name)
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _assignees(plan: CarePlan, user: User) -> list[tuple[str, str]]:
    roles = [role for role, granted in ROLE_CAPABILITIES.items() if Capability.TASKS in granted]
    staff = User.objects.filter(organization_id=plan.organization_id, is_active=True, role__in=roles).order_by(
        "last_name", "first_name"
    )
    choices = [(f"user:{u.pk}", f"{u.get_full_name() or u.username} (task)") for u in staff]
    today = timezone.localdate()
    members = (
        CareTeamMember.objects.filter(care_team__patient_id=plan.patient_id, care_team__status=CareTeamStatus.ACTIVE)
        .exclude(kind=MemberKind.STAFF)
        .exclude(end_date__lt=today)
        .select_related("practitioner", "contact")
    )
    choices += [(f"member:{m.pk}", f"{m.display_name} ({m.get_role_display()})") for m in members]
    return choices


def _intervention_form(plan: CarePlan, user: User, data: Any = None, **kwargs: Any) -> InterventionForm:
    goals = [(str(g.pk), g.description) for g in plan.goals.all() if g.is_open]
    form_class = kwargs.pop("form_class", InterventionForm)
    return form_class(data, assignees=_assignees(plan, user), goals=goals, **kwargs)


def _suggestions(user: User, plan: CarePlan) -> list[Task]:
    return [
        t
        for t in tasks_of_accessed_patient(user, plan.patient)
        if t.kind == TaskKind.CARE_PLAN and t.reason.startswith(actions.SUGGESTION_PREFIX)
    ]


def _plan_context(request: HttpRequest, plan: CarePlan, bound: dict[str, forms.Form] | None = None) -> dict[str, Any]:
    user = staff_user(request)
    bound = bound or {}
    goals = list(plan.goals.all())
    rows = [
        GoalRow(
            goal=g,
            reading=latest_measure(g),
            interventions=[i for i in plan.interventions.all() if i.goal_id == g.pk],
            steps=_goal_steps(g),
            status_form=bound.get(_prefix("gs", g.pk))  # type: ignore[arg-type]
            or GoalStatusForm(prefix=_prefix("gs", g.pk)),
            progress_form=bound.get(_prefix("gp", g.pk))  # type: ignore[arg-type]
            or ProgressForm(prefix=_prefix("gp", g.pk)),
        )
        for g in goals
    ]
    problems = list(plan.problems.all())
    state = signoff_state(plan)
    details = bound.get("details") or DetailsForm(
        prefix="details",
        initial={
            "preferred_language": plan.preferred_language,
            "contact_preferences": plan.contact_preferences,
            "what_matters": plan.what_matters,
            "strengths": "\n".join(plan.strengths),
            "supports": "\n".join(plan.supports),
            "barriers": "\n".join(plan.barriers),
        },
    )
    status_choices = [
        (s.value, str(s.label)) for s in CarePlanStatus if s in PLAN_TRANSITIONS.get(plan.status, frozenset())
    ]
    page_forms: dict[str, forms.Form] = {
        "details_form": details,
        "problem_form": bound.get("problem") or ProblemForm(prefix="problem"),
        "goal_form": bound.get("goal") or NewGoalForm(prefix="goal", problems=problems),
        "intervention_form": bound.get("intervention") or _intervention_form(plan, user, prefix="intervention"),
        "sign_form": bound.get("sign") or SignForm(prefix="sign"),
        "review_form": bound.get("review") or ReviewForm(prefix="review"),
        "schedule_form": bound.get("schedule") or ScheduleReviewForm(prefix="schedule"),
        "status_form": bound.get("status") or PlanStatusForm(prefix="status", choices=status_choices),
        "change_form": bound.get("change") or SignificantChangeForm(prefix="change"),
    }
    return {
        "plan": plan,
        "patient": plan.patient,
        "problems": [p for p in problems if p.status == ProblemStatus.ACTIVE],
        "resolved_problems": [p for p in problems if p.status == ProblemStatus.RESOLVED],
        "goal_rows": rows,
        "unlinked_interventions": [i for i in plan.interventions.all() if i.goal_id is None],
        "signoff": state,
        "signed_by": signed_by_sentence(state),
        "needed_signers": [" or ".join(str(SignerKind(k).label) for k in sorted(group)) for group in state.missing],
        "suggestions": _suggestions(user, plan) if plan.is_living else [],
        "versions": list(plan.versions.select_related("changed_by")[:5]),
        "review_task": actions.open_review_task(plan),
        "may_edit": plan.is_living
        and plan.organization_id == user.organization_id
        and (can(user, Capability.OWN_CARE_PLAN) or can(user, Capability.NONCLINICAL_PLAN)),
        "may_own": plan.organization_id == user.organization_id and can(user, Capability.OWN_CARE_PLAN),
        "measures": COMMON_MEASURES,
        "error_problems": problems_of(*bound.values()),
        **page_forms,
    }


def _plan_url(plan: CarePlan, anchor: str = "") -> str:
    return reverse("careplans:detail", args=[plan.pk]) + (f"#{anchor}" if anchor else "")


def _render_plan(request: HttpRequest, plan: CarePlan, bound: dict[str, forms.Form], status: int) -> HttpResponse:
    return render(request, "careplans/plan.html", _plan_context(request, plan, bound), status=status)


def _submit(
    request: HttpRequest,
    plan: CarePlan,
    key: str,
    form: forms.Form,
    run: Callable[[], object],
    *,
    done: str,
    anchor: str,
    field_map: dict[str, str] | None = None,
) -> HttpResponse:
    """Validate ``form``, run the action; on success a message and the plan page at ``anchor``, otherwise the
    plan again with the form's errors."""
    if form.is_valid():
        try:
            run()
        except AccessDenied as error:
            raise PermissionDenied(error.message) from None
        except DomainError as error:
            add_domain_error(form, error, field_map=field_map)
        else:
            messages.success(request, done)
            return redirect(_plan_url(plan, anchor))
    return _render_plan(request, plan, {key: form}, status=422)


def _plan(request: HttpRequest, plan_id: uuid.UUID) -> CarePlan:
    return page_fetch(access_care_plan, staff_user(request), plan_id)


# The plan page ------------------------------------------------------------------------------------------------------


@requires(Capability.VIEW_PATIENTS)
def detail(request: HttpRequest, plan_id: uuid.UUID) -> HttpResponse:
    plan = _plan(request, plan_id)
    return render(request, "careplans/plan.html", _plan_context(request, plan))


@require_POST
@requires(Capability.OWN_CARE_PLAN)
def start(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    patient = page_fetch(access_patient, user, patient_id, object_type="CarePlan", detail={"purpose": "start plan"})
    episodes = Enrollment.objects.filter(
        patient=patient, organization_id=user.organization_id, status__in=[EnrollmentStatus.ACTIVE]
    ).select_related("program")
    form = StartForm(request.POST, choices=[(str(e.pk), str(e.program)) for e in episodes])
    chosen = form.cleaned_data["enrollment"] if form.is_valid() else None
    enrollment = next((e for e in episodes if str(e.pk) == chosen), None)
    try:
        plan = actions.start_care_plan(patient=patient, enrollment=enrollment, by=user)
    except AccessDenied as error:
        raise PermissionDenied(error.message) from None
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(reverse("web:chart", args=[patient.pk]) + "#care-plan")
    messages.success(request, "Care plan started. Add what matters to the person, their needs and goals.")
    return redirect(_plan_url(plan))


@require_POST
@requires(Capability.VIEW_PATIENTS)
def edit_details(request: HttpRequest, plan_id: uuid.UUID) -> HttpResponse:
    plan = _plan(request, plan_id)
    form = DetailsForm(request.POST, prefix="details")
    return _submit(
        request,
        plan,
        "details",
        form,
        lambda: actions.update_plan_details(plan=plan, details=form.details(), by=staff_user(request)),
        done="The person's preferences are saved.",
        anchor="person",
    )


@require_POST
@requires(Capability.VIEW_PATIENTS)
def add_problem(request: HttpRequest, plan_id: uuid.UUID) -> HttpResponse:
    plan = _plan(request, plan_id)
    form = ProblemForm(request.POST, prefix="problem")
    return _submit(
        request,
        plan,
        "problem",
        form,
        lambda: actions.add_problem(
            plan=plan,
            text=form.cleaned_data["text"],
            source=form.cleaned_data["source"],
            reference=form.cleaned_data["reference"],
            by=staff_user(request),
        ),
        done="Problem added.",
        anchor="problems",
    )


@require_POST
@requires(Capability.VIEW_PATIENTS)
def resolve_problem(request: HttpRequest, plan_id: uuid.UUID, problem_id: uuid.UUID) -> HttpResponse:
    plan = _plan(request, plan_id)
    problem = next((p for p in plan.problems.all() if p.pk == problem_id), None)
    if problem is None:
        raise PermissionDenied("No such problem on this plan.")
    problem.plan = plan
    try:
        actions.resolve_problem(problem=problem, by=staff_user(request), resolution=request.POST.get("resolution", ""))
    except AccessDenied as error:
        raise PermissionDenied(error.message) from None
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"“{problem.text}” resolved.")
    return redirect(_plan_url(plan, "problems"))


@require_POST
@requires(Capability.VIEW_PATIENTS)
def from_suggestion(request: HttpRequest, plan_id: uuid.UUID, task_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    plan = _plan(request, plan_id)
    task = page_fetch(access_task, user, task_id)
    try:
        problem = actions.problem_from_suggestion(plan=plan, task=task, by=user)
    except AccessDenied as error:
        raise PermissionDenied(error.message) from None
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"“{problem.text}” added to the plan; the suggestion is done.")
    return redirect(_plan_url(plan, "problems"))


# Goals --------------------------------------------------------------------------------------------------------------


@require_POST
@requires(Capability.VIEW_PATIENTS)
def add_goal(request: HttpRequest, plan_id: uuid.UUID) -> HttpResponse:
    plan = _plan(request, plan_id)
    form = NewGoalForm(request.POST, prefix="goal", problems=list(plan.problems.all()))
    return _submit(
        request,
        plan,
        "goal",
        form,
        lambda: actions.add_goal(
            plan=plan, data=form.goal(), status=form.cleaned_data["status"], by=staff_user(request)
        ),
        done="Goal added.",
        anchor="goals",
        field_map={"problem_ids": "problems"},
    )


@requires(Capability.VIEW_PATIENTS)
def edit_goal(request: HttpRequest, goal_id: uuid.UUID) -> HttpResponse:
    goal = page_fetch(access_goal, staff_user(request), goal_id)
    plan = goal.plan
    problems = list(plan.problems.all())
    initial = {
        "description": goal.description,
        "own_words": goal.own_words,
        "measure_code": goal.measure_code,
        "measure_text": goal.measure_text,
        "comparator": goal.comparator,
        "target_value": goal.target_value,
        "target_unit": goal.target_unit,
        "due_date": goal.due_date,
        "clinical": goal.clinical,
        "problems": [str(p.pk) for p in goal.problems.all()],
    }
    form = GoalForm(request.POST or None, initial=initial, problems=problems)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_goal(goal=goal, data=form.goal(), by=staff_user(request))
        except AccessDenied as error:
            raise PermissionDenied(error.message) from None
        except DomainError as error:
            add_domain_error(form, error, field_map={"problem_ids": "problems"})
        else:
            messages.success(request, "Goal saved.")
            return redirect(_plan_url(plan, f"goal-{goal.pk}"))
    return render(
        request,
        "careplans/edit_goal.html",
        {"plan": plan, "goal": goal, "form": form, "measures": COMMON_MEASURES, "error_problems": problems_of(form)},
        status=422 if form.errors else 200,
    )


@require_POST
@requires(Capability.VIEW_PATIENTS)
def goal_status(request: HttpRequest, goal_id: uuid.UUID) -> HttpResponse:
    goal = page_fetch(access_goal, staff_user(request), goal_id)
    key = _prefix("gs", goal.pk)
    form = GoalStatusForm(request.POST, prefix=key)
    return _submit(
        request,
        goal.plan,
        key,
        form,
        lambda: actions.set_goal_status(
            goal=goal,
            status=form.cleaned_data["status"],
            achievement=form.cleaned_data["achievement"],
            reason=form.cleaned_data["reason"],
            by=staff_user(request),
        ),
        done=f"“{goal.description}” updated.",
        anchor=f"goal-{goal.pk}",
    )


@require_POST
@requires(Capability.VIEW_PATIENTS)
def goal_progress(request: HttpRequest, goal_id: uuid.UUID) -> HttpResponse:
    goal = page_fetch(access_goal, staff_user(request), goal_id)
    key = _prefix("gp", goal.pk)
    form = ProgressForm(request.POST, prefix=key)
    return _submit(
        request,
        goal.plan,
        key,
        form,
        lambda: actions.add_goal_progress(
            goal=goal,
            text=form.cleaned_data["text"],
            achievement=form.cleaned_data["achievement"],
            by=staff_user(request),
        ),
        done="Progress noted.",
        anchor=f"goal-{goal.pk}",
    )


# Interventions ------------------------------------------------------------------------------------------------------


def _intervention_data(plan: CarePlan, form: InterventionForm) -> InterventionData:
    data = form.cleaned_data
    kind, _, key = data["assignee"].partition(":")
    user = User.objects.filter(pk=key, organization_id=plan.organization_id).first() if kind == "user" else None
    member = (
        CareTeamMember.objects.filter(pk=key, care_team__patient_id=plan.patient_id).select_related("care_team").first()
        if kind == "member" and key.isdigit()
        else None
    )
    goal = next((g for g in plan.goals.all() if str(g.pk) == data["goal"]), None)
    if goal is not None:
        goal.plan = plan
    return InterventionData(
        description=data["description"],
        performer=data["performer"],
        goal=goal,
        performer_user=user,
        performer_member=member,
        performer_name=data["performer_name"],
        due_date=data["due_date"],
    )


@require_POST
@requires(Capability.VIEW_PATIENTS)
def add_intervention(request: HttpRequest, plan_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    plan = _plan(request, plan_id)
    form = _intervention_form(plan, user, request.POST, prefix="intervention")
    return _submit(
        request,
        plan,
        "intervention",
        form,
        lambda: actions.add_intervention(plan=plan, data=_intervention_data(plan, form), by=user),
        done="Intervention added.",
        anchor="goals",
        field_map={"performer_user": "assignee", "performer_member": "assignee"},
    )


@requires(Capability.VIEW_PATIENTS)
def edit_intervention(request: HttpRequest, intervention_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    intervention = page_fetch(access_intervention, user, intervention_id)
    plan = intervention.plan
    assignee = (
        f"user:{intervention.performer_user_id}"
        if intervention.performer_user_id
        else (f"member:{intervention.performer_member_id}" if intervention.performer_member_id else "")
    )
    initial = {
        "description": intervention.description,
        "performer": intervention.performer,
        "assignee": assignee,
        "performer_name": intervention.performer_name,
        "goal": str(intervention.goal_id or ""),
        "due_date": intervention.due_date,
        "status": intervention.status,
    }
    form = _intervention_form(plan, user, request.POST or None, initial=initial, form_class=InterventionUpdateForm)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_intervention(
                intervention=intervention,
                data=_intervention_data(plan, form),
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
                by=user,
            )
        except AccessDenied as error:
            raise PermissionDenied(error.message) from None
        except DomainError as error:
            add_domain_error(form, error, field_map={"performer_user": "assignee", "performer_member": "assignee"})
        else:
            messages.success(request, "Intervention saved.")
            return redirect(_plan_url(plan, "goals"))
    return render(
        request,
        "careplans/edit_intervention.html",
        {"plan": plan, "intervention": intervention, "form": form, "error_problems": problems_of(form)},
        status=422 if form.errors else 200,
    )


@require_POST
@requires(Capability.VIEW_PATIENTS)
def complete_intervention(request: HttpRequest, intervention_id: uuid.UUID) -> HttpResponse:
    intervention = page_fetch(access_intervention, staff_user(request), intervention_id)
    try:
        actions.complete_intervention(intervention=intervention, by=staff_user(request))
    except AccessDenied as error:
        raise PermissionDenied(error.message) from None
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"“{intervention.description}” done.")
    return redirect(_plan_url(intervention.plan, "goals"))


# Sign-off, review, status -------------------------------------------------------------------------------------------


@require_POST
@requires(Capability.VIEW_PATIENTS)
def sign(request: HttpRequest, plan_id: uuid.UUID) -> HttpResponse:
    plan = _plan(request, plan_id)
    form = SignForm(request.POST, prefix="sign")
    return _submit(
        request,
        plan,
        "sign",
        form,
        lambda: actions.sign_plan(plan=plan, by=staff_user(request), **form.cleaned_data),
        done="Signature recorded.",
        anchor="signatures",
    )


@require_POST
@requires(Capability.OWN_CARE_PLAN)
def schedule_review(request: HttpRequest, plan_id: uuid.UUID) -> HttpResponse:
    plan = _plan(request, plan_id)
    form = ScheduleReviewForm(request.POST, prefix="schedule")
    return _submit(
        request,
        plan,
        "schedule",
        form,
        lambda: actions.schedule_review(plan=plan, due=form.cleaned_data["due"], by=staff_user(request)),
        done="Review scheduled: it is on the task list.",
        anchor="review",
    )


@require_POST
@requires(Capability.OWN_CARE_PLAN)
def complete_review(request: HttpRequest, plan_id: uuid.UUID) -> HttpResponse:
    plan = _plan(request, plan_id)
    form = ReviewForm(request.POST, prefix="review")
    return _submit(
        request,
        plan,
        "review",
        form,
        lambda: actions.complete_review(plan=plan, note=form.cleaned_data["note"], by=staff_user(request)),
        done="Review recorded; the next one is scheduled by the program's cadence.",
        anchor="review",
    )


@require_POST
@requires(Capability.VIEW_PATIENTS)
def significant_change(request: HttpRequest, plan_id: uuid.UUID) -> HttpResponse:
    plan = _plan(request, plan_id)
    form = SignificantChangeForm(request.POST, prefix="change")
    return _submit(
        request,
        plan,
        "change",
        form,
        lambda: actions.mark_significant_change(plan=plan, reason=form.cleaned_data["reason"], by=staff_user(request)),
        done="Significant change noted; the review is brought forward.",
        anchor="review",
    )


@require_POST
@requires(Capability.OWN_CARE_PLAN)
def plan_status(request: HttpRequest, plan_id: uuid.UUID) -> HttpResponse:
    plan = _plan(request, plan_id)
    choices = [(s.value, str(s.label)) for s in CarePlanStatus]
    form = PlanStatusForm(request.POST, prefix="status", choices=choices)
    return _submit(
        request,
        plan,
        "status",
        form,
        lambda: actions.set_plan_status(
            plan=plan, status=form.cleaned_data["status"], reason=form.cleaned_data["reason"], by=staff_user(request)
        ),
        done="Plan status changed.",
        anchor="",
    )


# History ------------------------------------------------------------------------------------------------------------


@requires(Capability.VIEW_PATIENTS)
def history(request: HttpRequest, plan_id: uuid.UUID) -> HttpResponse:
    plan = _plan(request, plan_id)
    versions = list(plan.versions.select_related("changed_by").defer("snapshot"))
    for stored in versions:
        # The differences, less the one that only repeats the summary ("Goal added: “…”").
        plain = [c.replace("“", "").replace("”", "").rstrip(".") for c in stored.changes]
        stored.details = [c for c, p in zip(stored.changes, plain, strict=True) if p != stored.summary]  # type: ignore[attr-defined]
    return render(request, "careplans/history.html", {"plan": plan, "patient": plan.patient, "versions": versions})


@requires(Capability.VIEW_PATIENTS)
def version(request: HttpRequest, plan_id: uuid.UUID, number: int) -> HttpResponse:
    stored = page_fetch(access_plan_version, staff_user(request), plan_id, number)
    plan = stored.plan
    snapshot = stored.snapshot
    goals_by_id = {g["id"]: g for g in snapshot.get("goals", [])}
    return render(
        request,
        "careplans/version.html",
        {
            "plan": plan,
            "patient": plan.patient,
            "stored": stored,
            "snap": snapshot,
            "goal_names": {key: g["description"] for key, g in goals_by_id.items()},
            "is_current": stored.version == plan.version,
        },
    )


# The printed plan ---------------------------------------------------------------------------------------------------


def print_language(request: HttpRequest, plan: CarePlan) -> str:
    asked = request.GET.get("lang", "")
    if asked in PRINT_LANGUAGES:
        return asked
    preferred = (plan.preferred_language or plan.patient.preferred_language or "en").split("-")[0].lower()
    return preferred if preferred in PRINT_LANGUAGES else "en"


@requires(Capability.VIEW_PATIENTS)
def print_plan(request: HttpRequest, plan_id: uuid.UUID) -> HttpResponse:
    plan = _plan(request, plan_id)
    language = print_language(request, plan)
    state = signoff_state(plan)
    goals = [g for g in plan.goals.all() if g.is_open or g.lifecycle_status == GoalLifecycle.COMPLETED]
    context = {
        "plan": plan,
        "patient": plan.patient,
        "language": language,
        "goals": [(g, latest_measure(g), [i for i in plan.interventions.all() if i.goal_id == g.pk]) for g in goals],
        "next_steps": next_interventions(plan, limit=6),
        "contacts": plan_contacts(plan),
        "signatures": state.current,
        "changed_since_signed": state.changed_since_signed,
        "today": timezone.localdate(),
        "date_format": PRINT_DATE_FORMATS[language],
    }
    with translation.override(language):
        response = render(request, "careplans/print.html", context)
    response["Content-Language"] = language
    return response
