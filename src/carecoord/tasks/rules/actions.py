"""The rules job's writes: reconcile each rule's obligations with its open tasks, escalate safety work, record
the run. Every task created or closed is audited (channel ``job``).

Idempotent under concurrency: a rule-made task is unique among open ones per (reason, organization, person,
focus) by a partial unique constraint (``task_rule_obligation_once``); tasks are inserted with
``ON CONFLICT DO NOTHING`` (SQLite: ``INSERT OR IGNORE``) in a fixed order, and only the rows this run really
inserted are audited. Two runs at once therefore make one task per obligation; closing takes the row lock
first (``select_for_update``), and the safety escalation claims each task with a conditional update.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from carecoord.accounts.models import Organization, User
from carecoord.audit.actions import deferred_appends, record
from carecoord.audit.models import AuditAction
from carecoord.common.middleware import origin
from carecoord.notifications.actions import notify
from carecoord.notifications.models import NotificationKind
from carecoord.tasks.actions import close_task, licensed_queue, may_own
from carecoord.tasks.models import (
    OPEN_STATUSES,
    RuleRun,
    RuleRunStatus,
    Task,
    TaskComment,
    TaskKind,
    TaskPriority,
    TaskQueue,
    TaskStatus,
)
from carecoord.tasks.rules.config import RulesConfig
from carecoord.tasks.rules.definitions import Obligation, Rule, Scope, job_rules, rule_named

Progress = Callable[[int, int], None]

ESCALATION = "safety-escalation"
# Safety work nobody has touched yet: waiting in a queue, or given to an owner by the rule that made it.
UNTOUCHED_STATUSES = (TaskStatus.REQUESTED, TaskStatus.RECEIVED, TaskStatus.ACCEPTED, TaskStatus.READY)


@dataclass
class RuleCounts:
    created: int = 0
    closed: int = 0
    kept: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"created": self.created, "closed": self.closed, "kept": self.kept}


class _Owners:
    """Who may own a rule's task: the care manager, checked once per (user, organization, licensed)."""

    def __init__(self) -> None:
        self._users: dict[uuid.UUID, User | None] = {}
        self._verdicts: dict[tuple[uuid.UUID, uuid.UUID, bool], bool] = {}

    def load(self, user_ids: Iterable[uuid.UUID | None]) -> None:
        missing = list({pk for pk in user_ids if pk is not None and pk not in self._users})
        for start in range(0, len(missing), 1000):
            chunk = missing[start : start + 1000]
            found = {user.pk: user for user in User.objects.filter(pk__in=chunk).prefetch_related("licenses")}
            for pk in chunk:
                self._users[pk] = found.get(pk)

    def owner(self, user_id: uuid.UUID | None, organization_id: uuid.UUID, licensed: bool) -> uuid.UUID | None:
        if user_id is None:
            return None
        key = (user_id, organization_id, licensed)
        if key not in self._verdicts:
            self._verdicts[key] = may_own(self._users.get(user_id), organization_id, licensed=licensed)
        return user_id if self._verdicts[key] else None


def _obligations(rule: Rule, scope: Scope) -> dict[tuple[str, str, str], Obligation]:
    assert rule.find is not None
    wanted: dict[tuple[str, str, str], Obligation] = {}
    for obligation in rule.find(scope):
        wanted.setdefault(obligation.key, obligation)  # the first wins (e.g. the newest enrollment)
    return wanted


def _open_rule_tasks(rule: Rule, scope: Scope) -> dict[tuple[str, str, str], uuid.UUID]:
    found = Task.objects.filter(by_rule=True, reason=rule.reason, status__in=OPEN_STATUSES)
    if scope.organization_id is not None:
        found = found.filter(organization_id=scope.organization_id)
    return {
        (str(organization), str(patient), focus): pk
        for pk, organization, patient, focus in found.values_list("pk", "organization_id", "patient_id", "focus")
    }


def _create(rule: Rule, obligations: list[Obligation], scope: Scope, owners: _Owners) -> int:
    """Insert one batch (ignoring rows another run inserted first) and audit the rows this run inserted."""
    now = scope.now
    queues: dict[uuid.UUID, TaskQueue] = {}  # the licensed queue of each organization, looked up once
    tasks: list[Task] = []
    for obligation in obligations:
        owner = owners.owner(obligation.care_manager_id, obligation.organization_id, rule.requires_license)
        queue = None
        if owner is None and rule.requires_license:
            if obligation.organization_id not in queues:
                queues[obligation.organization_id] = licensed_queue(obligation.organization_id)
            queue = queues[obligation.organization_id]
        tasks.append(
            Task(
                id=uuid.uuid4(),
                organization_id=obligation.organization_id,
                patient_id=obligation.patient_id,
                title=obligation.title[:200],
                description=obligation.description,
                kind=rule.kind,
                priority=rule.priority,
                status=TaskStatus.ACCEPTED if owner is not None else TaskStatus.REQUESTED,
                owner_id=owner,
                queue=queue,
                due_at=obligation.due_at,
                requires_license=rule.requires_license,
                reason=rule.reason,
                focus=obligation.focus[:120],
                by_rule=True,
                created_at=now,
                updated_at=now,
            )
        )
    with transaction.atomic(), deferred_appends():
        Task.objects.bulk_create(tasks, ignore_conflicts=True)
        inserted = set(Task.objects.filter(pk__in=[task.pk for task in tasks]).values_list("pk", flat=True))
        for task in tasks:
            if task.pk in inserted:
                record(
                    by=None,
                    action=AuditAction.CREATE,
                    object_type="Task",
                    object_id=str(task.pk),
                    patient=task.patient_id,
                    detail={
                        "kind": task.kind,
                        "priority": task.priority,
                        "owner": str(task.owner_id or ""),
                        "queue": str(task.queue_id or ""),
                        "reason": task.reason,
                        "focus": task.focus,
                        "rule": rule.reason,
                    },
                )
    return len(inserted)


def _close(rule: Rule, task_ids: list[uuid.UUID]) -> int:
    closed = 0
    with transaction.atomic(), deferred_appends():
        for task in Task.objects.select_for_update().filter(pk__in=task_ids, status__in=OPEN_STATUSES):
            if close_task(
                task=task,
                status=TaskStatus.COMPLETED,
                by=None,
                reason=f"No longer owed: {rule.closes_when}.",
                rule=rule.reason,
            ):
                closed += 1
    return closed


def reconcile(*, rule: Rule, scope: Scope) -> RuleCounts:
    """Make the rule's open tasks match its obligations: create the missing, close the no longer owed."""
    wanted = _obligations(rule, scope)
    existing = _open_rule_tasks(rule, scope)
    counts = RuleCounts(kept=len(wanted.keys() & existing.keys()))
    missing = [wanted[key] for key in sorted(wanted.keys() - existing.keys())]  # one order for every run
    owners = _Owners()
    owners.load(obligation.care_manager_id for obligation in missing)
    size = scope.config.batch_size
    for start in range(0, len(missing), size):
        counts.created += _create(rule, missing[start : start + size], scope, owners)
    counts.kept += len(missing) - counts.created  # made meanwhile by another run
    stale = sorted(existing[key] for key in existing.keys() - wanted.keys())
    for start in range(0, len(stale), size):
        counts.closed += _close(rule, stale[start : start + size])
    return counts


def escalate_safety_tasks(
    *, now: datetime.datetime, config: RulesConfig, organization_id: uuid.UUID | None = None
) -> int:
    """Escalate, once, each stat/asap safety task nobody has touched (taken, assigned, started, commented or
    moved: ``updated_at`` still equals ``created_at``) for ``config.escalation_minutes``: priority stat, a
    comment, an audit record, a notice to the owner's supervisor and one to the organization."""
    cutoff = now - datetime.timedelta(minutes=config.escalation_minutes)
    waiting = Task.objects.filter(
        kind=TaskKind.SAFETY,
        escalated_at__isnull=True,
        priority__in=(TaskPriority.STAT, TaskPriority.ASAP),
        status__in=UNTOUCHED_STATUSES,
        created_at__lte=cutoff,
        updated_at__lte=F("created_at"),
    )
    if organization_id is not None:
        waiting = waiting.filter(organization_id=organization_id)
    escalated = 0
    for task in waiting.select_related("owner__supervisor", "organization", "patient").order_by("created_at"):
        with transaction.atomic():
            claimed = Task.objects.filter(pk=task.pk, escalated_at__isnull=True).update(
                escalated_at=now, priority=TaskPriority.STAT, updated_at=now
            )
            if not claimed:
                continue  # another run escalated it
            minutes = config.escalation_minutes
            text = f"Escalated: not acted on within {minutes} minutes of being raised; priority raised to stat."
            TaskComment.objects.create(task=task, author=None, text=text)
            record(
                by=None,
                action=AuditAction.UPDATE,
                object_type="Task",
                object_id=str(task.pk),
                patient=task.patient_id,
                detail={"change": "escalation", "previous_priority": task.priority, "minutes": minutes},
            )
            _tell(task, minutes)
            escalated += 1
    return escalated


def _tell(task: Task, minutes: int) -> None:
    organization: Organization = task.organization
    title = f"Safety task not acted on in {minutes} minutes: {task.title}"
    body = "Nobody has taken, started or commented on this safety task. Contact the person now."
    link = f"/tasks/{task.pk}/"
    supervisor = task.owner.supervisor if task.owner is not None else None
    if supervisor is not None and supervisor.is_active and supervisor.organization_id == task.organization_id:
        notify(
            organization=organization,
            user=supervisor,
            kind=NotificationKind.SAFETY_ESCALATION,
            title=title,
            body=body,
            patient=task.patient,
            link=link,
            by=None,
        )
    notify(
        organization=organization,
        kind=NotificationKind.SAFETY_ESCALATION,
        title=title,
        body=body,
        patient=task.patient,
        link=link,
        by=None,
    )


def run_rules(
    *,
    organization_id: uuid.UUID | None = None,
    only: str | None = None,
    now: datetime.datetime | None = None,
    trigger: str = "job",
    config: RulesConfig | None = None,
    progress: Progress | None = None,
) -> RuleRun:
    """Run every job rule (or ``only`` that one) for every organization (or one), then the safety escalation;
    returns the recorded run with its counts. Audit records carry the channel ``job``."""
    config = config or RulesConfig.from_env()
    now = now or timezone.now()
    if only is not None and only != ESCALATION:
        chosen = rule_named(only)
        if chosen is None or chosen.find is None:
            raise ValueError(f"{only!r} is not a rule the job runs")
        selected: tuple[Rule, ...] = (chosen,)
    else:
        selected = () if only == ESCALATION else job_rules()
    escalate = only is None or only == ESCALATION
    scope = Scope(today=timezone.localdate(now), now=now, config=config, organization_id=organization_id)
    steps = len(selected) + (1 if escalate else 0)
    run = RuleRun.objects.create(organization_id=organization_id, rule=only or "", trigger=trigger, started_at=now)
    counts: dict[str, dict[str, int]] = {}
    with origin("job", client_address=f"job:rules:{trigger}"):
        try:
            for done, rule in enumerate(selected):
                counts[rule.reason] = reconcile(rule=rule, scope=scope).as_dict()
                if progress is not None:
                    progress(done + 1, steps)
            if escalate:
                counts[ESCALATION] = {
                    "escalated": escalate_safety_tasks(now=now, config=config, organization_id=organization_id)
                }
                if progress is not None:
                    progress(steps, steps)
        except Exception as error:
            run.status, run.error = RuleRunStatus.FAILED, f"{type(error).__name__}: {error}"[:2000]
            raise
        else:
            run.status = RuleRunStatus.SUCCEEDED
        finally:
            run.counts = counts
            run.finished_at = timezone.now()
            run.save(update_fields=["status", "error", "counts", "finished_at"])
    return run
