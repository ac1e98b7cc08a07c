"""The plan itself, its reviews and its problems."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from carecoord.accounts.models import User
from carecoord.accounts.permissions import Capability, can
from carecoord.careplans.actions.base import (
    PLAN_NEEDS_REASON,
    PLAN_TRANSITIONS,
    REVIEW_REASON,
    SIGNIFICANT_CHANGE_REVIEW_DAYS,
    Errors,
    _clean_list,
    _commit,
    _deny,
    _local_end_of,
    _may_write,
    _review_days,
)
from carecoord.careplans.models import (
    LIVING_PLAN_STATUSES,
    CarePlan,
    CarePlanProblem,
    CarePlanStatus,
    ProblemSource,
    ProblemStatus,
)
from carecoord.common.errors import AccessDenied, DomainError, ValidationFailed
from carecoord.patients.models import Patient
from carecoord.programs.models import Enrollment, EnrollmentStatus
from carecoord.tasks.actions import TRANSITIONS as TASK_TRANSITIONS
from carecoord.tasks.actions import TaskData, create_task, set_task_status
from carecoord.tasks.models import Task, TaskKind, TaskStatus
from carecoord.tasks.queries import open_tasks

# The plan ---------------------------------------------------------------------------------------------------------


def start_care_plan(*, patient: Patient, by: User, enrollment: Enrollment | None = None) -> CarePlan:
    """A new draft plan for the person with the user's organization: for a program episode (an active
    enrollment with the organization) or, without one, for care outside programs. One living plan each."""
    if not can(by, Capability.OWN_CARE_PLAN):
        raise AccessDenied("Only a care manager starts a care plan.")
    if enrollment is not None:
        if enrollment.patient_id != patient.pk:
            raise ValidationFailed("That enrollment is another person's.", field="enrollment")
        if enrollment.organization_id != by.organization_id:
            raise ValidationFailed("That enrollment is with another organization.", field="enrollment")
        if enrollment.status not in (EnrollmentStatus.ACTIVE, EnrollmentStatus.ON_HOLD):
            raise DomainError("A plan is started for a current enrollment.", code="enrollment-ended")
    living = CarePlan.objects.filter(patient=patient, organization_id=by.organization_id, enrollment=enrollment)
    if living.filter(status__in=LIVING_PLAN_STATUSES).exists():
        raise DomainError("The person already has a care plan for this episode; open it.", code="plan-exists")
    today = timezone.localdate()
    with transaction.atomic():
        plan = CarePlan(
            patient=patient,
            organization_id=by.organization_id,
            enrollment=enrollment,
            preferred_language=patient.preferred_language,
            created_by=by,
            version=0,
        )
        plan.review_due = today + datetime.timedelta(days=_review_days(plan))
        plan.save()
        program = enrollment.program_id if enrollment is not None else ""
        _commit(plan, by, "Plan started", created=True, program=program)
    return plan


@dataclass
class PlanDetails:
    """The person's preferences and circumstances, as the plan page edits them together."""

    preferred_language: str = ""
    contact_preferences: str = ""
    what_matters: str = ""
    strengths: list[str] = field(default_factory=list)
    supports: list[str] = field(default_factory=list)
    barriers: list[str] = field(default_factory=list)


def update_plan_details(*, plan: CarePlan, details: PlanDetails, by: User) -> CarePlan:
    _may_write(by, plan)
    language = details.preferred_language.strip()
    if language and not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", language):
        raise ValidationFailed("Use a language code such as es or zh-Hant.", field="preferred_language")
    with transaction.atomic():
        plan.preferred_language = language
        plan.contact_preferences = details.contact_preferences.strip()
        plan.what_matters = details.what_matters.strip()
        plan.strengths = _clean_list(details.strengths)
        plan.supports = _clean_list(details.supports)
        plan.barriers = _clean_list(details.barriers)
        _commit(plan, by, "Preferences and circumstances updated")
    return plan


def set_plan_status(*, plan: CarePlan, status: str, by: User, reason: str = "") -> CarePlan:
    """Move the plan along FHIR CarePlan.status; holds, revocations and errors say why. A plan that ends
    (completed, revoked, entered in error) closes its open review task."""
    if by.organization_id != plan.organization_id or not can(by, Capability.OWN_CARE_PLAN):
        raise _deny(by, plan, "Only the plan's care managers change its status.")
    if status not in CarePlanStatus.values:
        raise ValidationFailed(f"Unknown status {status!r}.", field="status")
    if status not in PLAN_TRANSITIONS.get(plan.status, frozenset()):
        raise DomainError(
            f"A plan that is {plan.get_status_display().lower()} cannot become {CarePlanStatus(status).label.lower()}.",
            code="invalid-transition",
            field="status",
        )
    reason = reason.strip()
    if status in PLAN_NEEDS_REASON and not reason:
        raise ValidationFailed(f"Say why the plan is {CarePlanStatus(status).label.lower()}.", field="reason")
    previous = plan.status
    with transaction.atomic():
        plan.status = status
        plan.status_reason = reason[:300]
        if status not in LIVING_PLAN_STATUSES:
            _close_review_tasks(plan, by, TaskStatus.CANCELLED, f"Plan {CarePlanStatus(status).label.lower()}")
        _commit(plan, by, f"Plan {CarePlanStatus(status).label.lower()}", previous=previous, reason=reason)
    return plan


def mark_significant_change(*, plan: CarePlan, reason: str, by: User | None) -> CarePlan:
    """A significant change (a hospital discharge, a new diagnosis, a move): the review is brought forward to
    within ``SIGNIFICANT_CHANGE_REVIEW_DAYS`` and a review task is scheduled (or kept, if one is open in time).
    ``by`` is None when a rule (the transitions feed) calls it."""
    reason = reason.strip()
    if not reason:
        raise ValidationFailed("Say what changed.", field="reason")
    if by is not None:
        _may_write(by, plan)
    elif plan.status not in LIVING_PLAN_STATUSES:
        raise DomainError("This plan is no longer in use.", code="plan-closed")
    today = timezone.localdate()
    days = getattr(settings, "CAREPLAN_SIGNIFICANT_CHANGE_REVIEW_DAYS", SIGNIFICANT_CHANGE_REVIEW_DAYS)
    due = today + datetime.timedelta(days=days)
    with transaction.atomic():
        plan.significant_change_on = today
        plan.significant_change_reason = reason[:300]
        if plan.review_due is None or plan.review_due > due:
            plan.review_due = due
        _commit(plan, by, f"Significant change: {reason}"[:300], review_due=plan.review_due.isoformat())
        _schedule(plan, by)
    return plan


# Reviews ----------------------------------------------------------------------------------------------------------


def _task_owner(plan: CarePlan, by: User | None) -> User | None:
    """The care manager of the plan's episode, else the user, if they can own a task of the organization."""
    candidates = [plan.enrollment.care_manager if plan.enrollment is not None else None, by]
    for user in candidates:
        if (
            user is not None
            and user.is_active
            and user.organization_id == plan.organization_id
            and can(user, Capability.TASKS)
        ):
            return user
    return None


def _focus(plan: CarePlan) -> str:
    return f"CarePlan/{plan.pk}"


def open_review_task(plan: CarePlan) -> Task | None:
    return open_tasks(plan.patient, reason=REVIEW_REASON, focus=_focus(plan)).order_by("due_at").first()


def _schedule(plan: CarePlan, by: User | None) -> Task:
    """The plan's open review task, due by ``plan.review_due``; a task due later is replaced (when a user acts)."""
    assert plan.review_due is not None
    due_at = _local_end_of(plan.review_due)
    existing = open_review_task(plan)
    if existing is not None and (existing.due_at is None or existing.due_at <= due_at or by is None):
        return existing
    if existing is not None and by is not None:
        set_task_status(task=existing, status=TaskStatus.CANCELLED, by=by, reason="Review brought forward")
    return create_task(
        data=TaskData(
            organization_id=plan.organization_id,
            title="Review the care plan with the person",
            kind=TaskKind.CARE_PLAN,
            patient=plan.patient,
            owner=_task_owner(plan, by),
            due_at=due_at,
            reason=REVIEW_REASON,
            focus=_focus(plan),
            description=plan.significant_change_reason
            and f"Significant change on {plan.significant_change_on}: {plan.significant_change_reason}",
        ),
        by=by,
    )


def schedule_review(*, plan: CarePlan, by: User, due: datetime.date | None = None) -> Task:
    """A review task for the plan, due by ``due`` (else the plan's review date); never a second open one."""
    _may_write(by, plan, need=Capability.OWN_CARE_PLAN)
    with transaction.atomic():
        if due is not None and due != plan.review_due:
            plan.review_due = due
            _commit(plan, by, f"Review due {due.isoformat()}", review_due=due.isoformat())
        elif plan.review_due is None:
            plan.review_due = timezone.localdate() + datetime.timedelta(days=_review_days(plan))
            _commit(plan, by, "Review date set", review_due=plan.review_due.isoformat())
        return _schedule(plan, by)


def _close_review_tasks(plan: CarePlan, by: User | None, status: str, reason: str) -> None:
    if by is None:
        return
    for task in open_tasks(plan.patient, reason=REVIEW_REASON, focus=_focus(plan)):
        if status in TASK_TRANSITIONS.get(task.status, frozenset()):
            set_task_status(task=task, status=status, by=by, reason=reason if status != TaskStatus.COMPLETED else "")


def complete_review(*, plan: CarePlan, by: User, note: str = "") -> CarePlan:
    """The plan was reviewed with the person today: the next review is due a program cadence from now, and the
    open review task is completed."""
    _may_write(by, plan, need=Capability.OWN_CARE_PLAN)
    today = timezone.localdate()
    with transaction.atomic():
        plan.last_reviewed_on = today
        plan.review_due = today + datetime.timedelta(days=_review_days(plan))
        plan.significant_change_reason = ""
        plan.significant_change_on = None
        _close_review_tasks(plan, by, TaskStatus.COMPLETED, "")
        summary = f"Reviewed with the person{': ' + note.strip() if note.strip() else ''}"
        _commit(plan, by, summary, review_due=plan.review_due.isoformat())
    return plan


# Problems ---------------------------------------------------------------------------------------------------------

_REFERENCES = {
    ProblemSource.ASSESSMENT: re.compile(r"^QuestionnaireResponse/[0-9a-f-]{1,64}$"),
    ProblemSource.CONDITION: re.compile(r"^Condition/[0-9a-zA-Z-]{1,64}$"),
    ProblemSource.SOCIAL_NEED: re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$"),
}


def add_problem(
    *,
    plan: CarePlan,
    text: str,
    by: User,
    source: str = ProblemSource.TYPED,
    reference: str = "",
    evidence: str = "",
) -> CarePlanProblem:
    """A need or problem on the plan; one from an assessment, a condition or a social need names it
    (``QuestionnaireResponse/<id>``, ``Condition/<id>``, the SDOH domain code)."""
    _may_write(by, plan)
    errors: Errors = {}
    text, reference = text.strip(), reference.strip()
    if not text:
        errors["text"] = ["Describe the need or problem."]
    if source not in ProblemSource.values:
        errors["source"] = [f"Unknown source {source!r}."]
    elif source in _REFERENCES and not _REFERENCES[ProblemSource(source)].match(reference):
        errors["reference"] = [f"A problem from a {ProblemSource(source).label.lower()} names it."]
    if errors:
        raise ValidationFailed("The problem is not valid.", errors=errors)
    with transaction.atomic():
        problem = CarePlanProblem.objects.create(
            plan=plan,
            source=source,
            reference=reference[:120],
            evidence=evidence.strip()[:120],
            text=text[:300],
            created_by=by,
        )
        _commit(plan, by, f"Problem added: {text}", problem=str(problem.pk), source=source)
    return problem


def resolve_problem(*, problem: CarePlanProblem, by: User, resolution: str = "") -> CarePlanProblem:
    plan = problem.plan
    _may_write(by, plan)
    if problem.status == ProblemStatus.RESOLVED:
        raise DomainError("This problem is already resolved.", code="invalid-transition")
    with transaction.atomic():
        problem.status = ProblemStatus.RESOLVED
        problem.resolution = resolution.strip()[:300]
        problem.resolved_at = timezone.now()
        problem.save(update_fields=["status", "resolution", "resolved_at"])
        _commit(plan, by, f"Problem resolved: {problem.text}", problem=str(problem.pk))
    return problem


SUGGESTION_PREFIX = "problem-"


def problem_from_suggestion(*, plan: CarePlan, task: Task, by: User) -> CarePlanProblem:
    """Turn a screening's suggested problem (a care-plan task with reason ``problem-<domain>``) into a social-need
    problem on the plan, and complete the suggestion."""
    if task.kind != TaskKind.CARE_PLAN or not task.reason.startswith(SUGGESTION_PREFIX):
        raise ValidationFailed("That task is not a suggested care plan problem.", field="task")
    if task.patient_id != plan.patient_id:
        raise ValidationFailed("That suggestion is about another person.", field="task")
    if not task.is_open:
        raise DomainError("That suggestion has already been dealt with.", code="task-closed")
    domain = task.reason.removeprefix(SUGGESTION_PREFIX)
    text = task.title.split(":", 1)[1].strip() if ":" in task.title else domain.replace("-", " ").capitalize()
    with transaction.atomic():
        problem = add_problem(
            plan=plan,
            text=text,
            by=by,
            source=ProblemSource.SOCIAL_NEED,
            reference=domain,
            evidence=task.focus,
        )
        set_task_status(task=task, status=TaskStatus.COMPLETED, by=by)
    return problem
