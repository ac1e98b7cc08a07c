"""Permission-checked reads of tasks. A task about a person is reached through ``patients.access`` for that
person; work lists show only people the user may see, and are audited as one listing naming every person."""

from __future__ import annotations

import uuid

from django.db.models import Q, QuerySet

from carecoord.accounts.models import User
from carecoord.accounts.permissions import Capability, can
from carecoord.audit.actions import record
from carecoord.audit.models import AuditAction
from carecoord.common.errors import AccessDenied, NotFound
from carecoord.patients.access import access_patient, visible_patients
from carecoord.patients.models import Patient
from carecoord.tasks.models import OPEN_STATUSES, Task
from carecoord.tasks.queries import work_list


def _with_people(found: QuerySet[Task]) -> QuerySet[Task]:
    return found.select_related("patient", "owner", "queue")


def access_task(user: User, task_id: object) -> Task:
    """One task of the user's organization; a person's task needs access to the person (audited there)."""
    try:
        key = uuid.UUID(str(task_id))
    except ValueError:
        raise NotFound(f"No task with id {task_id}.") from None
    task = _with_people(Task.objects.filter(pk=key)).prefetch_related("comments__author").first()
    if task is None or task.organization_id != user.organization_id or not can(user, Capability.TASKS):
        record(
            by=user,
            action=AuditAction.READ,
            object_type="Task",
            object_id=str(key),
            patient=task.patient_id if task is not None else None,
            outcome="denied" if task is not None else "failed",
        )
        if task is None:
            raise NotFound(f"No task with id {task_id}.")
        raise AccessDenied("This task belongs to another organization.")
    if task.patient_id is not None:
        access_patient(user, task.patient_id, object_type="Task", object_id=str(task.pk))
    else:
        record(by=user, action=AuditAction.READ, object_type="Task", object_id=str(task.pk))
    return task


def _audit_listing(user: User, tasks: list[Task], **detail: object) -> None:
    if tasks:
        record(
            by=user,
            action=AuditAction.SEARCH,
            object_type="Task",
            detail={
                **detail,
                "results": [str(t.pk) for t in tasks],
                "patients": sorted({str(t.patient_id) for t in tasks if t.patient_id is not None}),
            },
        )


def access_work_list(user: User, *, limit: int = 200) -> list[Task]:
    """The user's open tasks and those waiting in queues they may take from, for people they may see; most
    urgent and overdue first (ordered in Python: priority rank, then due time, undated last)."""
    if not can(user, Capability.TASKS):
        return []
    found = _with_people(
        work_list(user).filter(Q(patient__isnull=True) | Q(patient__in=visible_patients(user)))
    ).order_by("due_at", "created_at")[:limit]
    tasks = sorted(found, key=_urgency)
    _audit_listing(user, tasks, list="work")
    return tasks


def access_patient_tasks(user: User, patient_id: object, *, include_closed: bool = False) -> list[Task]:
    """The person's tasks held by the user's organization (through the person's access check)."""
    patient = access_patient(user, patient_id, object_type="Task", detail={"list": "patient"})
    return tasks_of_accessed_patient(user, patient, include_closed=include_closed)


def tasks_of_accessed_patient(user: User, patient: Patient, *, include_closed: bool = False) -> list[Task]:
    """The same, for a person the caller has just fetched through ``access_patient`` for this user (the chart:
    its read is audited once, with the page)."""
    if not can(user, Capability.TASKS):
        return []
    found = Task.objects.filter(patient=patient, organization_id=user.organization_id)
    if not include_closed:
        found = found.filter(status__in=OPEN_STATUSES)
    return sorted(_with_people(found).order_by("due_at", "created_at")[:100], key=_urgency)


def _urgency(task: Task) -> tuple[int, int, float]:
    from carecoord.tasks.models import PRIORITY_RANK

    due = task.due_at.timestamp() if task.due_at is not None else float("inf")
    return (0 if task.is_overdue else 1, PRIORITY_RANK.get(task.priority, 9), due)
