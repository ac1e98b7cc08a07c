"""Goals (FHIR lifecycle, measured targets, progress notes) and interventions (who does what by when)."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from carecoord.accounts.models import User
from carecoord.accounts.permissions import Capability, can
from carecoord.careplans.actions.base import (
    FINAL_ACHIEVEMENTS,
    GOAL_NEEDS_REASON,
    GOAL_START_STATUSES,
    GOAL_TRANSITIONS,
    INTERVENTION_NEEDS_REASON,
    INTERVENTION_REASON,
    PROGRESS_ACHIEVEMENTS,
    Errors,
    _commit,
    _local_end_of,
    _may_write,
)
from carecoord.careplans.models import (
    LIVING_PLAN_STATUSES,
    OPEN_INTERVENTION_STATUSES,
    CarePlan,
    CarePlanProblem,
    Comparator,
    Goal,
    GoalAchievement,
    GoalLifecycle,
    GoalProgressNote,
    Intervention,
    InterventionStatus,
    Performer,
)
from carecoord.careteams.models import CareTeamMember
from carecoord.clinical.codes import looks_like
from carecoord.clinical.models import LOINC
from carecoord.common.errors import DomainError, ValidationFailed
from carecoord.tasks.actions import TRANSITIONS as TASK_TRANSITIONS
from carecoord.tasks.actions import TaskData, close_task, create_task, set_task_status
from carecoord.tasks.models import Task, TaskKind, TaskStatus

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


# A community referral's news (closing the loop) -------------------------------------------------------------------


def follow_referral(
    *,
    intervention: Intervention | None,
    goal: Goal | None,
    status: str = "",
    reason: str = "",
    progress: str = "",
    achievement: str = "",
    summary: str,
) -> bool:
    """A community referral linked to this intervention or goal moved (``referrals.loop``): the intervention takes
    ``status`` (completed closes it and its task) and the goal gets ``progress`` as a note. Written by the system,
    not a user: the news came from the organization doing the work, which never writes the plan itself. Nothing
    happens to a closed plan, intervention or goal. True when something was written."""
    plan = intervention.plan if intervention is not None else goal.plan if goal is not None else None
    if plan is None or plan.status not in LIVING_PLAN_STATUSES:
        return False
    if intervention is not None and intervention.plan_id != plan.pk:
        raise ValueError("The intervention and the goal belong to different plans.")
    wrote = False
    with transaction.atomic():
        if intervention is not None and intervention.is_open and status and status != intervention.status:
            now = timezone.now()
            intervention.status = status
            intervention.status_reason = reason.strip()[:300]
            intervention.updated_at = now
            if status == InterventionStatus.COMPLETED:
                intervention.completed_at = now
            intervention.save()
            task = intervention.task
            if task is not None and task.is_open and status not in OPEN_INTERVENTION_STATUSES:
                done = status == InterventionStatus.COMPLETED
                close_task(
                    task=task,
                    status=TaskStatus.COMPLETED if done else TaskStatus.CANCELLED,
                    by=None,
                    reason=reason or summary,
                )
            wrote = True
        if goal is not None and goal.is_open and progress.strip():
            GoalProgressNote.objects.create(goal=goal, text=progress.strip(), author=None)
            if achievement in PROGRESS_ACHIEVEMENTS and achievement != goal.achievement_status:
                goal.achievement_status = achievement
                goal.updated_at = timezone.now()
                goal.save(update_fields=["achievement_status", "updated_at"])
            wrote = True
        if wrote:
            _commit(plan, None, summary, source="community-referral")
    return wrote
