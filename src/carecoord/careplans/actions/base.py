"""What every care plan write shares: the rule tables, the guards (``_may_write``) and ``_commit`` (the version
and the audit record)."""

from __future__ import annotations

import datetime

from django.utils import timezone

from carecoord.accounts.models import User
from carecoord.accounts.permissions import Capability, can
from carecoord.audit.actions import record
from carecoord.audit.models import AuditAction, AuditOutcome
from carecoord.careplans.models import (
    LIVING_PLAN_STATUSES,
    CarePlan,
    CarePlanStatus,
    CarePlanVersion,
    GoalAchievement,
    GoalLifecycle,
    InterventionStatus,
)
from carecoord.careplans.snapshot import content_digest, differences, snapshot_of
from carecoord.common.errors import AccessDenied, DomainError

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
