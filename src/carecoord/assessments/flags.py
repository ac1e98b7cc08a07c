"""Flags that act: rules, kept as data, that turn a scored response into work for the care team.

``evaluate_flags`` runs inside the action that completes or amends a response (same transaction):

- PHQ-9 item 9 above 0: an urgent safety task (kind safety, priority asap, due within hours) for the person's
  licensed care manager (the care manager of the person's active enrollment with the author's organization,
  if they hold a current license), otherwise the organization's licensed queue; and a ``SafetyFlag``, the
  banner on the chart (``queries.active_safety_flags``);
- a positive PHQ-2 (GAD-2): "PHQ-9 due" ("GAD-7 due") unless one was finished in the last N days;
- each positive social-needs domain: a suggested community referral (reason ``sdoh-<domain>``) and a suggested
  care plan problem (a care-plan task, reason ``problem-<domain>``);
- a positive AUDIT-C or a DAST-10 at moderate or worse: a follow-up task per policy (per program if the
  program has its own).

An open task with the same reason for the same person is never duplicated (``tasks.queries.open_tasks``).
Rescreening intervals (``RescreenRule``) feed ``queries.screenings_due``.

Every value marked [R] is a default, not a published rule: ``DEFAULT_POLICY`` can be replaced as a whole with
the Django setting ``ASSESSMENT_FLAG_POLICY`` (a ``FlagPolicy``), or field by field with ``dataclasses.replace``.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from carecoord.accounts.models import User
from carecoord.accounts.permissions import Capability, can, has_current_license
from carecoord.assessments import instruments
from carecoord.assessments.models import FINISHED_STATUSES, QuestionnaireResponse, SafetyFlag
from carecoord.assessments.scoring import Score
from carecoord.audit.actions import record
from carecoord.audit.models import AuditAction
from carecoord.programs.models import Enrollment, EnrollmentStatus
from carecoord.tasks.actions import TaskData, create_task, licensed_queue
from carecoord.tasks.models import Task, TaskKind, TaskPriority
from carecoord.tasks.queries import open_tasks

SAFETY_REASON = "phq9-item9-safety"


@dataclass(frozen=True)
class TaskRule:
    """The task a rule creates: kind and priority (tasks' codes), title, how long until due, and whether only a
    licensed user may own it."""

    reason: str
    title: str
    kind: str
    priority: str = TaskPriority.ROUTINE
    due_in: datetime.timedelta = datetime.timedelta(days=14)
    requires_license: bool = False


@dataclass(frozen=True)
class FollowUpRule:
    """A follow-up when a screen is positive (``bands`` None) or its band is one of ``bands``."""

    task: TaskRule
    bands: frozenset[str] | None = None

    def applies(self, score: Score) -> bool:
        if self.bands is None:
            return score.positive is True
        return score.band is not None and score.band.code in self.bands


@dataclass(frozen=True)
class ScreenFollowOn:
    """A short screen that, when positive, makes the full instrument due unless it was done lately."""

    instrument_url: str
    task: TaskRule
    recent_days: int


@dataclass(frozen=True)
class RescreenRule:
    """Screen again every ``interval_days`` while the person is enrolled in a program (``programs`` None: any
    program; otherwise only these program codes)."""

    instrument_url: str
    interval_days: int
    programs: frozenset[str] | None = None


@dataclass(frozen=True)
class FlagPolicy:
    safety: TaskRule
    follow_ons: Mapping[str, ScreenFollowOn]  # short screen url -> the full instrument it makes due
    follow_ups: Mapping[str, FollowUpRule]  # instrument url -> follow-up, for every program
    program_follow_ups: Mapping[tuple[str, str], FollowUpRule | None]  # (program code, url) -> its own, or none
    referral_due: datetime.timedelta
    care_plan_due: datetime.timedelta
    rescreening: tuple[RescreenRule, ...] = field(default=())


DEFAULT_POLICY = FlagPolicy(
    safety=TaskRule(
        reason=SAFETY_REASON,
        title="Safety follow-up: PHQ-9 item 9 (thoughts of death or self-harm)",
        kind=TaskKind.SAFETY,
        priority=TaskPriority.ASAP,
        due_in=datetime.timedelta(hours=4),  # [R] "same day": four hours
        requires_license=True,
    ),
    follow_ons={
        instruments.PHQ2_URL: ScreenFollowOn(
            instruments.PHQ9_URL,
            TaskRule("phq9-due", "PHQ-9 due (positive PHQ-2)", TaskKind.SCREENING, due_in=datetime.timedelta(days=14)),
            recent_days=30,  # [R]
        ),
        instruments.GAD2_URL: ScreenFollowOn(
            instruments.GAD7_URL,
            TaskRule("gad7-due", "GAD-7 due (positive GAD-2)", TaskKind.SCREENING, due_in=datetime.timedelta(days=14)),
            recent_days=30,  # [R]
        ),
    },
    follow_ups={
        instruments.AUDIT_C_URL: FollowUpRule(  # [R] brief intervention follow-up within two weeks
            TaskRule("auditc-follow-up", "Alcohol use follow-up (positive AUDIT-C)", TaskKind.FOLLOW_UP)
        ),
        instruments.DAST10_URL: FollowUpRule(  # [R] moderate or worse: further investigation
            TaskRule("dast10-follow-up", "Drug use follow-up (DAST-10 moderate or worse)", TaskKind.FOLLOW_UP),
            bands=frozenset({"moderate", "substantial", "severe"}),
        ),
    },
    program_follow_ups={},
    referral_due=datetime.timedelta(days=7),  # [R]
    care_plan_due=datetime.timedelta(days=30),  # [R]
    rescreening=(
        RescreenRule(instruments.PHQ9_URL, 90),  # [R] every 90 days while enrolled
        RescreenRule(instruments.AHC_HRSN_CORE_URL, 365),  # [R] yearly social needs screening
    ),
)


def policy() -> FlagPolicy:
    """The policy in force: the ``ASSESSMENT_FLAG_POLICY`` setting if there is one, else ``DEFAULT_POLICY``."""
    configured = getattr(settings, "ASSESSMENT_FLAG_POLICY", None)
    return configured if isinstance(configured, FlagPolicy) else DEFAULT_POLICY


def evaluate_flags(*, response: QuestionnaireResponse, score: Score | None, by: User) -> list[Task]:
    """Create the work ``score`` calls for (see the module docstring); returns the tasks created."""
    if score is None or not response.finished:
        return []
    rules = policy()
    created: list[Task | None] = []
    if "phq9-item9-safety" in score.flags:
        created.append(_raise_safety_flag(response, rules.safety, by))
    follow_on = rules.follow_ons.get(score.questionnaire_url)
    if follow_on is not None and score.positive and not _done_lately(response, follow_on):
        created.append(_task(response, follow_on.task, by))
    follow_up = _follow_up(response, score, rules)
    if follow_up is not None and follow_up.applies(score):
        created.append(_task(response, follow_up.task, by, description=score.explanation))
    for code, display, why in _domains(score):
        referral = TaskRule(f"sdoh-{code}", f"Suggested community referral: {display}", TaskKind.REFERRAL)
        problem = TaskRule(f"problem-{code}", f"Suggested care plan problem: {display}", TaskKind.CARE_PLAN)
        text = f"Social need domain {code} ({display}) from {response.questionnaire.title}: {why}"
        created.append(_task(response, referral, by, description=text, due_in=rules.referral_due))
        created.append(_task(response, problem, by, description=text, due_in=rules.care_plan_due))
    return [task for task in created if task is not None]


def _domains(score: Score) -> list[tuple[str, str, str]]:
    """(domain code, display, why) of each positive social-needs domain, once each, in order."""
    found: dict[str, tuple[str, str, str]] = {}
    for finding in score.findings:
        code = finding.domain.code
        if code not in found:
            found[code] = (code, finding.domain.display or code, finding.explanation)
    return list(found.values())


def _follow_up(response: QuestionnaireResponse, score: Score, rules: FlagPolicy) -> FollowUpRule | None:
    """The program's own follow-up rule if one of the person's programs (with the organization) has one."""
    for program in _enrollments(response).values_list("program_id", flat=True):
        key = (program, score.questionnaire_url)
        if key in rules.program_follow_ups:
            return rules.program_follow_ups[key]
    return rules.follow_ups.get(score.questionnaire_url)


def _enrollments(response: QuestionnaireResponse) -> QuerySet[Enrollment]:
    """The person's active enrollments with the organization the response was given in."""
    if response.organization_id is None:
        return Enrollment.objects.none()
    return Enrollment.objects.filter(
        patient_id=response.patient_id, organization_id=response.organization_id, status=EnrollmentStatus.ACTIVE
    ).order_by("-start_date")


def _care_manager(response: QuestionnaireResponse) -> User | None:
    enrollment = _enrollments(response).filter(care_manager__isnull=False).select_related("care_manager").first()
    manager = enrollment.care_manager if enrollment is not None else None
    return manager if manager is not None and manager.is_active else None


def _done_lately(response: QuestionnaireResponse, follow_on: ScreenFollowOn) -> bool:
    since = timezone.now() - datetime.timedelta(days=follow_on.recent_days)
    return (
        QuestionnaireResponse.objects.filter(
            patient_id=response.patient_id,
            questionnaire__url=follow_on.instrument_url,
            status__in=FINISHED_STATUSES,
            authored__gte=since,
        )
        .exclude(pk=response.pk)
        .exists()
    )


def _may_own(user: User | None, rule: TaskRule, organization_id: Any) -> bool:
    """Whether ``user`` can own the rule's task (as ``tasks.actions.create_task`` will check)."""
    if user is None or not user.is_active or user.organization_id != organization_id:
        return False
    if not can(user, Capability.TASKS):
        return False
    return has_current_license(user) if rule.requires_license else True


def _open_task(response: QuestionnaireResponse, reason: str) -> Task | None:
    return open_tasks(response.patient, reason=reason).first()


def _task(
    response: QuestionnaireResponse,
    rule: TaskRule,
    by: User,
    *,
    description: str = "",
    due_in: datetime.timedelta | None = None,
) -> Task | None:
    """Create the rule's task unless one with the same reason is open for the person (then None)."""
    if _open_task(response, rule.reason) is not None:
        return None
    organization_id = response.organization_id or by.organization_id
    candidates = [_care_manager(response)] if rule.requires_license else [_care_manager(response), by]
    owner = next((user for user in candidates if _may_own(user, rule, organization_id)), None)
    data = TaskData(
        organization_id=organization_id,
        title=rule.title,
        kind=rule.kind,
        priority=rule.priority,
        patient=response.patient,
        owner=owner,
        queue=licensed_queue(organization_id) if owner is None and rule.requires_license else None,
        due_at=timezone.now() + (due_in or rule.due_in),
        requires_license=rule.requires_license,
        description=description,
        reason=rule.reason,
        focus=response.reference,
    )
    return create_task(data=data, by=by)


def _raise_safety_flag(response: QuestionnaireResponse, rule: TaskRule, by: User) -> Task | None:
    """The safety task (or the one already open) and a banner flag on the chart waiting on it (one per response:
    an amendment that keeps item 9 above 0 does not raise a second)."""
    task = _task(response, rule, by, description="PHQ-9 item 9 answered above 0: contact the person today.")
    waiting_on = task or _open_task(response, rule.reason)
    if SafetyFlag.objects.filter(response=response, resolved_at__isnull=True).exists():
        return task
    flag = SafetyFlag.objects.create(
        patient_id=response.patient_id,
        response=response,
        organization_id=response.organization_id,
        reason=rule.reason,
        description="PHQ-9 item 9: thoughts of being better off dead or of self-harm",
        task=waiting_on,
    )
    record(
        by=by,
        action=AuditAction.CREATE,
        object_type="SafetyFlag",
        object_id=str(flag.pk),
        patient=response.patient,
        detail={"reason": flag.reason, "response": response.reference, "task": str(flag.task_id or "")},
    )
    return task
