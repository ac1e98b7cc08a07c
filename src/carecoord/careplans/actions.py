"""Writes to care plans. Every call is one transaction that stores a new ``CarePlanVersion`` and one audit
record; callers have fetched the plan (or the person) through ``careplans.access`` / ``patients.access``.

Who may do what (``accounts/permissions.py``), checked in ``_may_write``:

- the plan is held by one organization; only its staff change it, and only while it is living (draft, active,
  on hold);
- ``OWN_CARE_PLAN`` (care managers, supervisors): start a plan, change its status, schedule and complete
  reviews, everything non-clinical, and sign as care manager;
- ``NONCLINICAL_PLAN`` (coordinators): the person's preferences, strengths, supports and barriers, problems,
  non-clinical goals and their interventions, progress notes, and recording the person's (or guardian's)
  signature;
- ``CLINICAL_GOALS`` (licensed users with a current license): clinical goals, i.e. goals marked clinical or
  measured by a LOINC code; signing as licensed clinician. Interventions toward a clinical goal need
  ``OWN_CARE_PLAN`` (the care manager arranges them), not a license;
- supervisors (``COSIGN``) sign as supervisor. Staff sign only as themselves.
"""

from __future__ import annotations

import datetime
import re
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from carecoord.accounts.models import User
from carecoord.accounts.permissions import Capability, can
from carecoord.audit.actions import record
from carecoord.audit.models import AuditAction, AuditOutcome
from carecoord.careplans.models import (
    LIVING_PLAN_STATUSES,
    OPEN_INTERVENTION_STATUSES,
    CarePlan,
    CarePlanProblem,
    CarePlanSignature,
    CarePlanStatus,
    CarePlanVersion,
    Comparator,
    Goal,
    GoalAchievement,
    GoalLifecycle,
    GoalProgressNote,
    Intervention,
    InterventionStatus,
    Performer,
    ProblemSource,
    ProblemStatus,
    SignatureMethod,
    SignerKind,
)
from carecoord.careplans.snapshot import content_digest, differences, snapshot_of
from carecoord.careteams.models import CareTeamMember
from carecoord.clinical.codes import looks_like
from carecoord.clinical.models import LOINC
from carecoord.common.errors import AccessDenied, DomainError, ValidationFailed
from carecoord.patients.models import Patient
from carecoord.programs.models import Enrollment, EnrollmentStatus
from carecoord.tasks.actions import TRANSITIONS as TASK_TRANSITIONS
from carecoord.tasks.actions import TaskData, create_task, set_task_status
from carecoord.tasks.models import Task, TaskKind, TaskStatus
from carecoord.tasks.queries import open_tasks

REVIEW_REASON = "careplan-review"
INTERVENTION_REASON = "careplan-intervention"
# [R] defaults: a plan outside a program is reviewed yearly; a significant change brings the review within 14 days.
DEFAULT_REVIEW_DAYS = 365
SIGNIFICANT_CHANGE_REVIEW_DAYS = 14

Errors = dict[str, list[str]]


# Plan status and goal lifecycle moves -----------------------------------------------------------------------------

PLAN_TRANSITIONS: dict[str, frozenset[str]] = {
    CarePlanStatus.DRAFT: frozenset({CarePlanStatus.ACTIVE, CarePlanStatus.REVOKED, CarePlanStatus.ENTERED_IN_ERROR}),
    CarePlanStatus.ACTIVE: frozenset(
        {CarePlanStatus.ON_HOLD, CarePlanStatus.COMPLETED, CarePlanStatus.REVOKED, CarePlanStatus.ENTERED_IN_ERROR}
    ),
    CarePlanStatus.ON_HOLD: frozenset(
        {CarePlanStatus.ACTIVE, CarePlanStatus.COMPLETED, CarePlanStatus.REVOKED, CarePlanStatus.ENTERED_IN_ERROR}
    ),
}
PLAN_NEEDS_REASON = frozenset({CarePlanStatus.ON_HOLD, CarePlanStatus.REVOKED, CarePlanStatus.ENTERED_IN_ERROR})

# FHIR Goal.lifecycleStatus as a care team moves a goal; completed, cancelled, rejected and entered-in-error end it.
# Any goal not already entered in error may be marked so.
GOAL_TRANSITIONS: dict[str, frozenset[str]] = {
    GoalLifecycle.PROPOSED: frozenset(
        {
            GoalLifecycle.PLANNED,
            GoalLifecycle.ACCEPTED,
            GoalLifecycle.ACTIVE,
            GoalLifecycle.REJECTED,
            GoalLifecycle.CANCELLED,
        }
    ),
    GoalLifecycle.PLANNED: frozenset(
        {GoalLifecycle.ACCEPTED, GoalLifecycle.ACTIVE, GoalLifecycle.ON_HOLD, GoalLifecycle.CANCELLED}
    ),
    GoalLifecycle.ACCEPTED: frozenset({GoalLifecycle.ACTIVE, GoalLifecycle.ON_HOLD, GoalLifecycle.CANCELLED}),
    GoalLifecycle.ACTIVE: frozenset({GoalLifecycle.ON_HOLD, GoalLifecycle.COMPLETED, GoalLifecycle.CANCELLED}),
    GoalLifecycle.ON_HOLD: frozenset({GoalLifecycle.ACTIVE, GoalLifecycle.CANCELLED}),
}
GOAL_NEEDS_REASON = frozenset(
    {GoalLifecycle.ON_HOLD, GoalLifecycle.CANCELLED, GoalLifecycle.REJECTED, GoalLifecycle.ENTERED_IN_ERROR}
)
GOAL_START_STATUSES = (GoalLifecycle.PROPOSED, GoalLifecycle.PLANNED, GoalLifecycle.ACCEPTED, GoalLifecycle.ACTIVE)
FINAL_ACHIEVEMENTS = (GoalAchievement.ACHIEVED, GoalAchievement.NOT_ACHIEVED)
PROGRESS_ACHIEVEMENTS = (GoalAchievement.IN_PROGRESS, GoalAchievement.IMPROVING, GoalAchievement.WORSENING)

INTERVENTION_NEEDS_REASON = frozenset(
    {InterventionStatus.CANCELLED, InterventionStatus.STOPPED, InterventionStatus.ON_HOLD}
)


# Guards and the version every write stores -------------------------------------------------------------------------


def _deny(by: User, plan: CarePlan, message: str, **detail: object) -> AccessDenied:
    record(
        by=by,
        action=AuditAction.UPDATE,
        object_type="CarePlan",
        object_id=str(plan.pk),
        patient=plan.patient_id,
        outcome=AuditOutcome.DENIED,
        detail={"reason": message, **detail},
    )
    return AccessDenied(message)


def _may_write(by: User, plan: CarePlan, *, need: Capability | None = None, clinical: bool = False) -> None:
    """Refuse (audited) unless ``by`` may make this kind of change to the plan (see the module docstring)."""
    if by.organization_id != plan.organization_id:
        raise _deny(by, plan, "This plan is held by another organization.")
    if need is not None and not can(by, need):
        raise _deny(by, plan, "Your role may not make this change to a care plan.", need=str(need))
    if clinical and not can(by, Capability.CLINICAL_GOALS):
        raise _deny(by, plan, "Only a licensed user with a current license sets clinical goals.")
    if need is None and not (can(by, Capability.OWN_CARE_PLAN) or can(by, Capability.NONCLINICAL_PLAN)):
        raise _deny(by, plan, "Your role does not work on care plans.")
    if plan.status not in LIVING_PLAN_STATUSES:
        raise DomainError(f"This plan is {plan.get_status_display().lower()}; start a new one.", code="plan-closed")


def _commit(plan: CarePlan, by: User | None, summary: str, *, created: bool = False, **detail: object) -> CarePlan:
    """Store the plan's new version (snapshot, fingerprint, differences) and audit the write. Call inside the
    action's transaction, after its rows are written."""
    current = CarePlan.objects.select_for_update().filter(pk=plan.pk).values_list("version", flat=True).first()
    previous = (
        CarePlanVersion.objects.filter(plan=plan, version=current).values_list("snapshot", flat=True).first()
        if current is not None and not created
        else None
    )
    plan.version = (current or 0) + 1 if not created else 1
    plan.updated_at = timezone.now()
    snapshot = snapshot_of(plan)
    plan.content_digest = content_digest(snapshot)
    plan.save()
    CarePlanVersion.objects.create(
        plan=plan,
        version=plan.version,
        snapshot=snapshot,
        content_digest=plan.content_digest,
        summary=summary[:300],
        changes=differences(previous or {}, snapshot),
        changed_by=by,
        changed_at=plan.updated_at,
    )
    record(
        by=by,
        action=AuditAction.CREATE if created else AuditAction.UPDATE,
        object_type="CarePlan",
        object_id=str(plan.pk),
        patient=plan.patient_id,
        detail={"version": plan.version, "change": summary[:300], **detail},
    )
    return plan


def _clean_list(entries: list[str]) -> list[str]:
    """Short entries, trimmed, blank and repeated ones dropped, in order."""
    return list(dict.fromkeys(entry.strip()[:200] for entry in entries if entry.strip()))


def _local_end_of(day: datetime.date) -> datetime.datetime:
    """5 pm on ``day`` in the installation's zone: when a dated piece of work is due."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(17, 0)))


def _review_days(plan: CarePlan) -> int:
    days = plan.enrollment.program.plan_review_days if plan.enrollment is not None else None
    return days or DEFAULT_REVIEW_DAYS


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


# Goals ------------------------------------------------------------------------------------------------------------


@dataclass
class GoalData:
    """A goal as entered: the team's wording, the person's words and an optional measurable target."""

    description: str
    own_words: str = ""
    clinical: bool = False
    measure_code: str = ""  # LOINC, e.g. 4548-4
    measure_display: str = ""
    measure_text: str = ""  # a measure without a code
    comparator: str = ""
    target_value: Decimal | None = None
    target_unit: str = ""
    due_date: datetime.date | None = None
    problem_ids: list[uuid.UUID] = field(default_factory=list)


def _check_goal(plan: CarePlan, data: GoalData) -> list[CarePlanProblem]:
    errors: Errors = {}
    if not data.description.strip():
        errors["description"] = ["Say what the goal is."]
    code = data.measure_code.strip()
    if code and not looks_like(LOINC, code):
        errors["measure_code"] = [f"{code} is not a LOINC code (e.g. 4548-4)."]
    if data.comparator and data.comparator not in Comparator.values:
        errors["comparator"] = [f"Unknown comparison {data.comparator!r}."]
    if data.comparator and data.target_value is None:
        errors["target_value"] = ["Give the target value."]
    if data.target_value is not None and not data.comparator:
        errors["comparator"] = ["Say whether the value should be below, above or at the target."]
    if data.target_value is not None and not (code or data.measure_text.strip()):
        errors["measure_text"] = ["Say what is measured."]
    problems = list(CarePlanProblem.objects.filter(plan=plan, pk__in=data.problem_ids))
    if len(problems) != len(set(data.problem_ids)):
        errors["problem_ids"] = ["Link only problems of this plan."]
    if errors:
        raise ValidationFailed("The goal is not valid.", errors=errors)
    return problems


def _apply_goal(goal: Goal, data: GoalData) -> None:
    goal.description = data.description.strip()[:300]
    goal.own_words = data.own_words.strip()
    goal.clinical = data.clinical
    goal.measure_code = data.measure_code.strip()
    goal.measure_display = data.measure_display.strip()[:200]
    goal.measure_text = data.measure_text.strip()[:200]
    goal.comparator = data.comparator
    goal.target_value = data.target_value
    goal.target_unit = data.target_unit.strip()[:32]
    goal.due_date = data.due_date


def _is_clinical(data: GoalData) -> bool:
    return data.clinical or bool(data.measure_code.strip())


def add_goal(*, plan: CarePlan, data: GoalData, by: User, status: str = GoalLifecycle.PROPOSED) -> Goal:
    _may_write(by, plan, clinical=_is_clinical(data))
    if status not in GOAL_START_STATUSES:
        raise ValidationFailed("A new goal is proposed, planned, agreed or active.", field="status")
    problems = _check_goal(plan, data)
    with transaction.atomic():
        goal = Goal(plan=plan, lifecycle_status=status, created_by=by)
        if status == GoalLifecycle.ACTIVE:
            goal.achievement_status = GoalAchievement.IN_PROGRESS
        _apply_goal(goal, data)
        goal.save()
        goal.problems.set(problems)
        _commit(plan, by, f"Goal added: {goal.description}", goal=str(goal.pk))
    return goal


def update_goal(*, goal: Goal, data: GoalData, by: User) -> Goal:
    plan = goal.plan
    _may_write(by, plan, clinical=goal.is_clinical or _is_clinical(data))
    if not goal.is_open:
        raise DomainError(f"This goal is {goal.get_lifecycle_status_display().lower()}.", code="goal-closed")
    problems = _check_goal(plan, data)
    with transaction.atomic():
        _apply_goal(goal, data)
        goal.updated_at = timezone.now()
        goal.save()
        goal.problems.set(problems)
        _commit(plan, by, f"Goal changed: {goal.description}", goal=str(goal.pk))
    return goal


def set_goal_status(*, goal: Goal, status: str, by: User, reason: str = "", achievement: str = "") -> Goal:
    """Move a goal along FHIR's lifecycle (``GOAL_TRANSITIONS``), or with the same status change only how it is
    going. Completing says whether it was achieved; holds, cancellations, refusals, errors and goals not achieved
    say why."""
    plan = goal.plan
    _may_write(by, plan, clinical=goal.is_clinical)
    if status not in GoalLifecycle.values:
        raise ValidationFailed(f"Unknown status {status!r}.", field="status")
    if achievement and achievement not in GoalAchievement.values:
        raise ValidationFailed(f"Unknown achievement {achievement!r}.", field="achievement")
    reason = reason.strip()
    same = status == goal.lifecycle_status
    allowed = GOAL_TRANSITIONS.get(goal.lifecycle_status, frozenset())
    if status == GoalLifecycle.ENTERED_IN_ERROR and goal.lifecycle_status != GoalLifecycle.ENTERED_IN_ERROR:
        allowed = allowed | {GoalLifecycle.ENTERED_IN_ERROR}
    if same and not (goal.is_open and achievement and achievement != goal.achievement_status):
        raise DomainError(
            f"The goal is already {goal.get_lifecycle_status_display().lower()}.", code="invalid-transition"
        )
    if not same and status not in allowed:
        raise DomainError(
            f"A goal that is {goal.get_lifecycle_status_display().lower()} cannot become "
            f"{GoalLifecycle(status).label.lower()}.",
            code="invalid-transition",
            field="status",
        )
    if status == GoalLifecycle.COMPLETED:
        if achievement not in FINAL_ACHIEVEMENTS:
            raise ValidationFailed("Say whether the goal was achieved.", field="achievement")
    elif achievement and achievement not in PROGRESS_ACHIEVEMENTS:
        raise ValidationFailed("Only a completed goal is achieved or not achieved.", field="achievement")
    if not same and status in GOAL_NEEDS_REASON and not reason:
        raise ValidationFailed(f"Say why the goal is {GoalLifecycle(status).label.lower()}.", field="reason")
    if achievement == GoalAchievement.NOT_ACHIEVED and not reason:
        raise ValidationFailed("Say why the goal was not achieved.", field="reason")
    previous = goal.lifecycle_status
    with transaction.atomic():
        goal.lifecycle_status = status
        if achievement:
            goal.achievement_status = achievement
        elif status == GoalLifecycle.ACTIVE and not goal.achievement_status:
            goal.achievement_status = GoalAchievement.IN_PROGRESS
        if reason or not same:
            goal.status_reason = reason[:300]
        goal.updated_at = timezone.now()
        goal.save(update_fields=["lifecycle_status", "achievement_status", "status_reason", "updated_at"])
        label = goal.get_achievement_status_display() if same else goal.get_lifecycle_status_display()
        _commit(
            plan,
            by,
            f"Goal “{goal.description}”: {str(label).lower()}",
            goal=str(goal.pk),
            previous=previous,
            status=status,
            achievement=goal.achievement_status,
        )
    return goal


def add_goal_progress(*, goal: Goal, text: str, by: User, achievement: str = "") -> GoalProgressNote:
    """A note on how the goal is going, optionally saying whether it is improving or getting worse. Noting
    progress is documentation: any plan writer may note it on any open goal."""
    plan = goal.plan
    _may_write(by, plan)
    text = text.strip()
    if not text:
        raise ValidationFailed("Write the progress note.", field="text")
    if not goal.is_open:
        raise DomainError(f"This goal is {goal.get_lifecycle_status_display().lower()}.", code="goal-closed")
    if achievement and achievement not in PROGRESS_ACHIEVEMENTS:
        raise ValidationFailed("Progress is in progress, improving or getting worse.", field="achievement")
    with transaction.atomic():
        note = GoalProgressNote.objects.create(goal=goal, text=text, author=by)
        if achievement and achievement != goal.achievement_status:
            goal.achievement_status = achievement
            goal.updated_at = timezone.now()
            goal.save(update_fields=["achievement_status", "updated_at"])
        _commit(plan, by, f"Progress on “{goal.description}”", goal=str(goal.pk))
    return note


# Interventions ----------------------------------------------------------------------------------------------------


@dataclass
class InterventionData:
    """Who does what by when, toward which goal."""

    description: str
    performer: str
    goal: Goal | None = None
    performer_member: CareTeamMember | None = None
    performer_user: User | None = None
    performer_name: str = ""
    due_date: datetime.date | None = None


def _check_intervention(plan: CarePlan, data: InterventionData, by: User) -> None:
    errors: Errors = {}
    if not data.description.strip():
        errors["description"] = ["Say what will be done."]
    if data.performer not in Performer.values:
        errors["performer"] = ["Say who does it."]
    if data.goal is not None and data.goal.plan_id != plan.pk:
        errors["goal"] = ["Link a goal of this plan."]
    member = data.performer_member
    if member is not None and member.care_team.patient_id != plan.patient_id:
        errors["performer_member"] = ["Choose someone on the person's care team."]
    user = data.performer_user
    if user is not None and (
        not user.is_active or user.organization_id != plan.organization_id or not can(user, Capability.TASKS)
    ):
        errors["performer_user"] = [f"{user.get_full_name() or user.username} cannot be given care plan work."]
    if errors:
        raise ValidationFailed("The intervention is not valid.", errors=errors)
    clinical_goal = data.goal is not None and data.goal.is_clinical
    _may_write(by, plan, need=Capability.OWN_CARE_PLAN if clinical_goal else None)


def _intervention_task(intervention: Intervention, by: User) -> Task | None:
    """The task that carries a staff user's intervention (created once; the intervention keeps it)."""
    if intervention.performer_user is None or intervention.task_id is not None:
        return None
    return create_task(
        data=TaskData(
            organization_id=intervention.plan.organization_id,
            title=f"Care plan: {intervention.description}"[:200],
            kind=TaskKind.CARE_PLAN,
            patient=intervention.plan.patient,
            owner=intervention.performer_user,
            due_at=_local_end_of(intervention.due_date) if intervention.due_date else None,
            reason=INTERVENTION_REASON,
            focus=f"Intervention/{intervention.pk}",
        ),
        by=by,
    )


def _apply_intervention(intervention: Intervention, data: InterventionData) -> None:
    intervention.description = data.description.strip()[:300]
    intervention.performer = data.performer
    intervention.goal = data.goal
    intervention.performer_member = data.performer_member
    intervention.performer_user = data.performer_user
    intervention.performer_name = data.performer_name.strip()[:200]
    intervention.due_date = data.due_date


def add_intervention(*, plan: CarePlan, data: InterventionData, by: User) -> Intervention:
    """Who does what by when; a staff user's part also becomes a task of theirs (focus ``Intervention/<id>``)."""
    _check_intervention(plan, data, by)
    with transaction.atomic():
        intervention = Intervention(plan=plan, created_by=by)
        _apply_intervention(intervention, data)
        intervention.save()
        task = _intervention_task(intervention, by)
        if task is not None:
            intervention.task = task
            intervention.save(update_fields=["task"])
        _commit(plan, by, f"Intervention added: {intervention.description}", intervention=str(intervention.pk))
    return intervention


def update_intervention(
    *, intervention: Intervention, data: InterventionData, by: User, status: str = "", reason: str = ""
) -> Intervention:
    """Change what, who, when, or the status (cancelled, stopped or on hold say why; a cancelled intervention
    cancels its task)."""
    plan = intervention.plan
    _check_intervention(plan, data, by)
    if intervention.goal is not None and intervention.goal.is_clinical:
        _may_write(by, plan, need=Capability.OWN_CARE_PLAN)
    if not intervention.is_open:
        raise DomainError(f"This intervention is {intervention.get_status_display().lower()}.", code="closed")
    status = status or intervention.status
    if status not in InterventionStatus.values or status == InterventionStatus.COMPLETED:
        raise ValidationFailed("Choose an open status, or complete the intervention.", field="status")
    reason = reason.strip()
    if status in INTERVENTION_NEEDS_REASON and status != intervention.status and not reason:
        raise ValidationFailed(f"Say why it is {InterventionStatus(status).label.lower()}.", field="reason")
    with transaction.atomic():
        _apply_intervention(intervention, data)
        intervention.status = status
        if reason:
            intervention.status_reason = reason[:300]
        intervention.updated_at = timezone.now()
        intervention.save()
        task = intervention.task
        if task is not None and task.is_open and status not in OPEN_INTERVENTION_STATUSES:
            if TaskStatus.CANCELLED in TASK_TRANSITIONS.get(task.status, frozenset()):
                set_task_status(task=task, status=TaskStatus.CANCELLED, by=by, reason=reason or "Plan changed")
        elif intervention.task_id is None:
            created = _intervention_task(intervention, by)
            if created is not None:
                intervention.task = created
                intervention.save(update_fields=["task"])
        _commit(plan, by, f"Intervention changed: {intervention.description}", intervention=str(intervention.pk))
    return intervention


def complete_intervention(*, intervention: Intervention, by: User, note: str = "") -> Intervention:
    """Done: the intervention is completed, and so is its task if still open."""
    plan = intervention.plan
    clinical_goal = intervention.goal is not None and intervention.goal.is_clinical
    _may_write(by, plan, need=Capability.OWN_CARE_PLAN if clinical_goal else None)
    if not intervention.is_open:
        raise DomainError(f"This intervention is {intervention.get_status_display().lower()}.", code="closed")
    with transaction.atomic():
        intervention.status = InterventionStatus.COMPLETED
        intervention.status_reason = note.strip()[:300]
        intervention.completed_at = timezone.now()
        intervention.updated_at = intervention.completed_at
        intervention.save()
        task = intervention.task
        if task is not None and TaskStatus.COMPLETED in TASK_TRANSITIONS.get(task.status, frozenset()):
            set_task_status(task=task, status=TaskStatus.COMPLETED, by=by)
        _commit(plan, by, f"Intervention done: {intervention.description}", intervention=str(intervention.pk))
    return intervention


# Signatures -------------------------------------------------------------------------------------------------------

STAFF_SIGNERS: dict[str, Capability] = {
    SignerKind.CARE_MANAGER: Capability.OWN_CARE_PLAN,
    SignerKind.SUPERVISOR: Capability.COSIGN,
    SignerKind.LICENSED_CLINICIAN: Capability.CLINICAL_GOALS,
}


def sign_plan(
    *,
    plan: CarePlan,
    signer_kind: str,
    by: User,
    method: str = "",
    signer_name: str = "",
    witness: str = "",
    note: str = "",
) -> CarePlanSignature:
    """Record agreement to the plan as it stands (its current version).

    The person or guardian signs in person (their name typed as they sign) or verbally (recorded by the user,
    with a witness). Staff sign for themselves, as what their role and license allow: care manager
    (``OWN_CARE_PLAN``), supervisor (``COSIGN``), licensed clinician (``CLINICAL_GOALS``: a current license).
    A draft plan becomes active once the program's sign-off (``signoff.rule_for``) is complete.
    """
    from carecoord.careplans.queries import signoff_state

    _may_write(by, plan)
    if signer_kind not in SignerKind.values:
        raise ValidationFailed(f"Unknown signer {signer_kind!r}.", field="signer_kind")
    if not plan.goals.exclude(lifecycle_status=GoalLifecycle.ENTERED_IN_ERROR).exists():
        raise DomainError("Add at least one goal before the plan is signed.", code="nothing-to-sign")
    signer_name, witness = signer_name.strip(), witness.strip()
    signer_user = None
    if signer_kind in STAFF_SIGNERS:
        if not can(by, STAFF_SIGNERS[signer_kind]):
            raise _deny(
                by, plan, f"You may not sign as {SignerKind(signer_kind).label.lower()}.", signer_kind=signer_kind
            )
        method, signer_user = SignatureMethod.ELECTRONIC, by
        signer_name = by.get_full_name() or by.username
    else:
        if method not in (SignatureMethod.IN_PERSON, SignatureMethod.VERBAL):
            raise ValidationFailed("Say whether they signed in person or agreed verbally.", field="method")
        if not signer_name and signer_kind == SignerKind.PERSON:
            signer_name = f"{plan.patient.given_names} {plan.patient.family_name}"
        if method == SignatureMethod.IN_PERSON and not signer_name:
            raise ValidationFailed("Type the name of the person signing.", field="signer_name")
        if method == SignatureMethod.VERBAL and not witness:
            raise ValidationFailed("A verbal agreement needs a witness.", field="witness")
        if signer_kind == SignerKind.GUARDIAN and not signer_name:
            raise ValidationFailed("Type the guardian's name.", field="signer_name")
    state = signoff_state(plan)
    if any(s.signer_kind == signer_kind for s in state.current):
        raise DomainError(
            f"This version is already signed by the {SignerKind(signer_kind).label.lower()}.", code="already-signed"
        )
    with transaction.atomic():
        signature = CarePlanSignature.objects.create(
            plan=plan,
            version=plan.version,
            content_digest=plan.content_digest,
            signer_kind=signer_kind,
            signer_name=signer_name[:200],
            signer_user=signer_user,
            method=method,
            witness=witness[:200],
            note=note.strip()[:300],
            recorded_by=by,
        )
        summary = f"Signed by {signature.signer_name} ({SignerKind(signer_kind).label.lower()})"
        if plan.status == CarePlanStatus.DRAFT and signoff_state(plan).complete:
            plan.status = CarePlanStatus.ACTIVE
            summary += "; the plan is now active"
        _commit(plan, by, summary, signer_kind=signer_kind, method=method, signed_version=signature.version)
    return signature
