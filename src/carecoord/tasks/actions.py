"""Writes to tasks: create, take, assign, move through FHIR statuses, comment. Every change is audited.

Callers that act for a user on a person's task have been through ``tasks.access`` (and so ``patients.access``);
rules that create tasks (a positive screen, a discharge) call ``create_task`` with ``by`` the user whose work
triggered them, or ``None`` for the system.
"""

from __future__ import annotations

import calendar
import datetime
import uuid
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from carecoord.accounts.models import User
from carecoord.accounts.permissions import Capability, can, has_current_license
from carecoord.audit.actions import record
from carecoord.audit.models import AuditAction
from carecoord.common.errors import AccessDenied, DomainError, ValidationFailed
from carecoord.patients.models import Patient
from carecoord.tasks.models import (
    OPEN_STATUSES,
    Recurrence,
    Task,
    TaskComment,
    TaskKind,
    TaskPriority,
    TaskQueue,
    TaskStatus,
)

LICENSED_QUEUE_CODE = "rn-team"

# Where a task may go from each status (FHIR Task's state machine, as care managers use it). Any open task may
# also be marked entered-in-error.
TRANSITIONS: dict[str, frozenset[str]] = {
    TaskStatus.DRAFT: frozenset({TaskStatus.REQUESTED, TaskStatus.CANCELLED}),
    TaskStatus.REQUESTED: frozenset(
        {
            TaskStatus.ACCEPTED,
            TaskStatus.REJECTED,
            TaskStatus.IN_PROGRESS,
            TaskStatus.ON_HOLD,
            TaskStatus.COMPLETED,
            TaskStatus.CANCELLED,
        }
    ),
    TaskStatus.RECEIVED: frozenset({TaskStatus.ACCEPTED, TaskStatus.REJECTED, TaskStatus.CANCELLED}),
    TaskStatus.ACCEPTED: frozenset(
        {TaskStatus.IN_PROGRESS, TaskStatus.ON_HOLD, TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.CANCELLED}
    ),
    TaskStatus.READY: frozenset({TaskStatus.IN_PROGRESS, TaskStatus.COMPLETED, TaskStatus.CANCELLED}),
    TaskStatus.IN_PROGRESS: frozenset(
        {TaskStatus.ON_HOLD, TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.CANCELLED}
    ),
    TaskStatus.ON_HOLD: frozenset({TaskStatus.IN_PROGRESS, TaskStatus.CANCELLED, TaskStatus.FAILED}),
}
NEEDS_REASON = frozenset(
    {TaskStatus.REJECTED, TaskStatus.CANCELLED, TaskStatus.FAILED, TaskStatus.ON_HOLD, TaskStatus.ENTERED_IN_ERROR}
)


@dataclass
class TaskData:
    organization_id: uuid.UUID
    title: str
    kind: str = TaskKind.OTHER
    priority: str = TaskPriority.ROUTINE
    patient: Patient | None = None
    owner: User | None = None
    queue: TaskQueue | None = None
    due_at: datetime.datetime | None = None
    requires_license: bool = False
    description: str = ""
    reason: str = ""  # machine code of why the task exists, e.g. "phq9-item9-safety"
    focus: str = ""  # what it is about, e.g. "QuestionnaireResponse/<id>"
    recurrence: str = Recurrence.NONE  # the next occurrence is created when this one is completed or fails
    previous: Task | None = None


def _audit(by: User | None, task: Task, action: str, **detail: object) -> None:
    record(by=by, action=action, object_type="Task", object_id=str(task.pk), patient=task.patient_id, detail=detail)


def _may_own(user: User, *, requires_license: bool, organization_id: object) -> str | None:
    """Why ``user`` may not own such a task, or None."""
    if not user.is_active:
        return f"{user.get_full_name() or user.username} is not an active user."
    if user.organization_id != organization_id:
        return f"{user.get_full_name() or user.username} is not in the task's organization."
    if not can(user, Capability.TASKS):
        return f"{user.get_full_name() or user.username}'s role does not take tasks."
    if requires_license and not has_current_license(user):
        return "This task needs a licensed user with a current license."
    return None


def may_own(user: User | None, organization_id: object, *, licensed: bool = False) -> bool:
    """Whether ``user`` may own a task of ``organization_id`` (one needing a license when ``licensed``)."""
    return user is not None and _may_own(user, requires_license=licensed, organization_id=organization_id) is None


def create_task(*, data: TaskData, by: User | None) -> Task:
    """A new task, owned by a user or waiting in a queue of the organization (or neither: the organization's)."""
    errors: dict[str, list[str]] = {}
    title = data.title.strip()
    if not title:
        errors["title"] = ["Give the task a title."]
    if data.kind not in TaskKind.values:
        errors["kind"] = [f"Unknown kind {data.kind!r}."]
    if data.priority not in TaskPriority.values:
        errors["priority"] = [f"Unknown priority {data.priority!r}."]
    if data.recurrence not in Recurrence.values:
        errors["recurrence"] = [f"Unknown recurrence {data.recurrence!r}."]
    if data.owner is not None:
        problem = _may_own(data.owner, requires_license=data.requires_license, organization_id=data.organization_id)
        if problem:
            errors["owner"] = [problem]
    if data.queue is not None:
        if data.queue.organization_id != data.organization_id:
            errors["queue"] = ["The queue belongs to another organization."]
        elif data.requires_license and not data.queue.licensed_only:
            errors["queue"] = ["Work that needs a license goes to a licensed queue."]
    if by is not None and by.organization_id != data.organization_id:
        errors["organization"] = ["You can only create tasks for your own organization."]
    if errors:
        raise ValidationFailed("The task could not be created.", errors=errors)
    now = timezone.now()
    with transaction.atomic():
        task = Task.objects.create(
            organization_id=data.organization_id,
            patient=data.patient,
            title=title[:200],
            description=data.description.strip(),
            kind=data.kind,
            priority=data.priority,
            status=TaskStatus.ACCEPTED if data.owner is not None else TaskStatus.REQUESTED,
            owner=data.owner,
            queue=data.queue,
            due_at=data.due_at,
            requires_license=data.requires_license,
            reason=data.reason[:64],
            focus=data.focus[:120],
            recurrence=data.recurrence,
            previous=data.previous,
            created_by=by,
            created_at=now,
            updated_at=now,
        )
        _audit(
            by,
            task,
            AuditAction.CREATE,
            kind=task.kind,
            priority=task.priority,
            owner=str(task.owner_id or ""),
            queue=str(task.queue_id or ""),
            reason=task.reason,
            recurrence=task.recurrence,
        )
    return task


_MONTHS: dict[str, int] = {Recurrence.MONTHLY: 1, Recurrence.QUARTERLY: 3}
_DAYS: dict[str, int] = {Recurrence.DAILY: 1, Recurrence.WEEKLY: 7, Recurrence.BIWEEKLY: 14}


def next_due(moment: datetime.datetime, recurrence: str) -> datetime.datetime:
    """One interval after ``moment``: whole days keep the local time of day; months keep the day of the month
    (the last day when the month is shorter: 31 Jan → 28 Feb)."""
    if recurrence in _DAYS:
        local = timezone.localtime(moment)
        return timezone.make_aware(local.replace(tzinfo=None) + datetime.timedelta(days=_DAYS[recurrence]))
    months = _MONTHS[recurrence]
    local = timezone.localtime(moment)
    index = local.month - 1 + months
    year, month = local.year + index // 12, index % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    return timezone.make_aware(local.replace(tzinfo=None, year=year, month=month, day=day))


def _next_occurrence(task: Task, by: User | None) -> Task | None:
    """The next occurrence of a recurring task, given to the same owner (if they may still own it) or queue."""
    if not task.recurrence:
        return None
    owner = task.owner
    if owner is not None and _may_own(
        owner, requires_license=task.requires_license, organization_id=task.organization_id
    ):
        owner = None
    queue = task.queue
    if owner is None and queue is None and task.requires_license:
        queue = licensed_queue(task.organization_id)
    return create_task(
        data=TaskData(
            organization_id=task.organization_id,
            title=task.title,
            kind=task.kind,
            priority=task.priority,
            patient=task.patient,
            owner=owner,
            queue=queue if owner is None else None,
            due_at=next_due(task.due_at or timezone.now(), task.recurrence),
            requires_license=task.requires_license,
            description=task.description,
            reason=task.reason,
            focus=task.focus,
            recurrence=task.recurrence,
            previous=task,
        ),
        by=by if by is not None and by.organization_id == task.organization_id else None,
    )


def licensed_queue(organization_id: uuid.UUID | str) -> TaskQueue:
    """The organization's queue for clinical work ("RN team"), created on first use."""
    org = uuid.UUID(str(organization_id))
    found = TaskQueue.objects.filter(organization_id=org, code=LICENSED_QUEUE_CODE).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return TaskQueue.objects.create(
                organization_id=org, code=LICENSED_QUEUE_CODE, name="RN team", licensed_only=True
            )
    except IntegrityError:  # created meanwhile by another request
        return TaskQueue.objects.get(organization_id=org, code=LICENSED_QUEUE_CODE)


def _check_staff(task: Task, by: User) -> None:
    if by.organization_id != task.organization_id:
        raise AccessDenied("This task belongs to another organization.")
    if not can(by, Capability.TASKS):
        raise AccessDenied("Your role does not work on tasks.")


def take_task(*, task: Task, by: User) -> Task:
    """The user takes a task (from a queue, or from a colleague who is away): it becomes theirs, accepted."""
    _check_staff(task, by)
    if not task.is_open:
        raise DomainError(f"This task is {task.get_status_display().lower()}.", code="task-closed")
    problem = _may_own(by, requires_license=task.requires_license, organization_id=task.organization_id)
    if problem:
        raise AccessDenied(problem)
    if task.queue is not None and task.queue.licensed_only and not has_current_license(by):
        raise AccessDenied("Only a licensed user may take work from this queue.")
    before = str(task.owner_id or "")
    task.owner = by
    if task.status in (TaskStatus.REQUESTED, TaskStatus.RECEIVED, TaskStatus.READY):
        task.status = TaskStatus.ACCEPTED
    task.updated_at = timezone.now()
    with transaction.atomic():
        task.save(update_fields=["owner", "status", "updated_at"])
        _audit(by, task, AuditAction.UPDATE, change="take", previous_owner=before)
    return task


def assign_task(*, task: Task, by: User, owner: User | None = None, queue: TaskQueue | None = None) -> Task:
    """Give the task to a colleague or put it (back) in a queue."""
    _check_staff(task, by)
    if not task.is_open:
        raise DomainError(f"This task is {task.get_status_display().lower()}.", code="task-closed")
    if (owner is None) == (queue is None):
        raise ValidationFailed("Choose a person or a queue.", field="owner")
    if owner is not None:
        problem = _may_own(owner, requires_license=task.requires_license, organization_id=task.organization_id)
        if problem:
            raise ValidationFailed(problem, field="owner")
    if queue is not None:
        if queue.organization_id != task.organization_id:
            raise ValidationFailed("The queue belongs to another organization.", field="queue")
        if task.requires_license and not queue.licensed_only:
            raise ValidationFailed("Work that needs a license goes to a licensed queue.", field="queue")
    task.owner, task.queue = owner, queue if owner is None else task.queue
    task.status = TaskStatus.ACCEPTED if owner is not None and task.status == TaskStatus.REQUESTED else task.status
    if owner is None and task.status == TaskStatus.ACCEPTED:
        task.status = TaskStatus.REQUESTED
    task.updated_at = timezone.now()
    with transaction.atomic():
        task.save(update_fields=["owner", "queue", "status", "updated_at"])
        _audit(
            by,
            task,
            AuditAction.UPDATE,
            change="assign",
            owner=str(owner.pk if owner else ""),
            queue=str(queue.pk if queue else ""),
        )
    return task


def set_task_status(*, task: Task, status: str, by: User, reason: str = "") -> Task:
    """Move the task to ``status`` along FHIR's state machine; refusals, holds and failures say why."""
    _check_staff(task, by)
    if status not in TaskStatus.values:
        raise ValidationFailed(f"Unknown status {status!r}.", field="status")
    allowed = TRANSITIONS.get(task.status, frozenset())
    if status == TaskStatus.ENTERED_IN_ERROR and task.status in OPEN_STATUSES:
        allowed = allowed | {TaskStatus.ENTERED_IN_ERROR}
    if status not in allowed:
        raise DomainError(
            f"A task that is {task.get_status_display().lower()} cannot become {TaskStatus(status).label.lower()}.",
            code="invalid-transition",
            field="status",
        )
    reason = reason.strip()
    if status in NEEDS_REASON and not reason:
        raise ValidationFailed(f"Say why the task is {TaskStatus(status).label.lower()}.", field="reason")
    if task.requires_license and status == TaskStatus.COMPLETED and not has_current_license(by):
        raise AccessDenied("Only a licensed user may complete this task.")
    return _move(task, status, by, reason)


def close_task(*, task: Task, status: str, by: User | None, reason: str = "", rule: str = "") -> bool:
    """Close an open task because the work it asked for was recorded by another action (a transition step, a
    completed review) or withdrawn (a cancelled hospital event). ``by`` is the user whose action did it, or None
    for a feed. No permission or state-machine check: the calling action made its own, and the work is done
    whatever state the task was in. False when the task was already closed."""
    if status in OPEN_STATUSES or status not in TaskStatus.values:
        raise ValueError(f"{status!r} does not close a task")
    if not task.is_open:
        return False
    _move(task, status, by, reason.strip(), rule=rule)
    return True


def _move(task: Task, status: str, by: User | None, reason: str, **detail: object) -> Task:
    """Write a status change: the task, a comment with the reason, the audit record, the next occurrence."""
    previous = task.status
    now = timezone.now()
    task.status = status
    task.status_reason = reason[:300]
    task.updated_at = now
    if by is not None and task.owner_id is None and status in (TaskStatus.IN_PROGRESS, TaskStatus.COMPLETED):
        task.owner = by  # whoever starts or finishes queue work owns it
    task.closed_at = None if status in OPEN_STATUSES else now
    with transaction.atomic():
        task.save(update_fields=["status", "status_reason", "updated_at", "owner", "closed_at"])
        if reason:
            TaskComment.objects.create(task=task, author=by, text=f"{TaskStatus(status).label}: {reason}")
        extra = {key: value for key, value in detail.items() if value}
        _audit(by, task, AuditAction.UPDATE, change="status", previous=previous, status=status, reason=reason, **extra)
        if status in (TaskStatus.COMPLETED, TaskStatus.FAILED):
            _next_occurrence(task, by)
    return task


def comment_on_task(*, task: Task, text: str, by: User) -> TaskComment:
    _check_staff(task, by)
    text = text.strip()
    if not text:
        raise ValidationFailed("Write the comment.", field="text")
    with transaction.atomic():
        comment = TaskComment.objects.create(task=task, author=by, text=text)
        task.updated_at = timezone.now()
        task.save(update_fields=["updated_at"])
        _audit(by, task, AuditAction.UPDATE, change="comment")
    return comment
