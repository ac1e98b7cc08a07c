"""Reads of tasks with no permission check (rules that create tasks; the access layer builds on these)."""

from __future__ import annotations

import uuid

from django.db.models import Q, QuerySet

from carecoord.accounts.models import User
from carecoord.patients.models import Patient
from carecoord.tasks.models import OPEN_STATUSES, Task, TaskQueue


def open_tasks(patient: Patient, *, reason: str | None = None, focus: str | None = None) -> QuerySet[Task]:
    """The person's open tasks, optionally only those for ``reason`` and/or about ``focus``."""
    found = Task.objects.filter(patient=patient, status__in=OPEN_STATUSES)
    if reason is not None:
        found = found.filter(reason=reason)
    if focus is not None:
        found = found.filter(focus=focus)
    return found


def queues_for(user: User) -> QuerySet[TaskQueue]:
    """The queues of the user's organization the user may take from (licensed queues need a license)."""
    from carecoord.accounts.permissions import has_current_license

    found = TaskQueue.objects.filter(organization_id=user.organization_id)
    return found if has_current_license(user) else found.filter(licensed_only=False)


def work_list(user: User) -> QuerySet[Task]:
    """Open tasks owned by the user or waiting in a queue the user may take from; people's tasks are narrowed to
    those the user may see by ``tasks.access``."""
    return Task.objects.filter(
        Q(owner=user) | Q(owner__isnull=True, queue__in=queues_for(user)),
        organization_id=user.organization_id,
        status__in=OPEN_STATUSES,
    )


def queue_by_code(organization_id: uuid.UUID | str, code: str) -> TaskQueue | None:
    """The organization's queue with ``code`` (e.g. ``rn-team``), if there is one."""
    return TaskQueue.objects.filter(organization_id=organization_id, code=code).first()
