"""Writes of the supervisor's pages: moving many tasks at once.

Each task goes through ``tasks.actions.assign_task`` (its rules, its audit record) in its own savepoint inside
one transaction, so a task that may not go where it was sent (clinical work to someone without a current
license) is reported and left exactly as it was, while the others move.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from carecoord.accounts.models import User
from carecoord.accounts.permissions import Capability, can
from carecoord.common.errors import AccessDenied, DomainError, ValidationFailed
from carecoord.tasks.actions import assign_task
from carecoord.tasks.models import Task, TaskQueue


@dataclass
class Reassignment:
    """What a bulk reassignment did: tasks moved, tasks already there, tasks refused with the reason."""

    moved: list[Task] = field(default_factory=list)
    unchanged: list[Task] = field(default_factory=list)
    refused: list[tuple[Task, str]] = field(default_factory=list)


def reassign_tasks(
    *, tasks: list[Task], by: User, owner: User | None = None, queue: TaskQueue | None = None
) -> Reassignment:
    """Give each task to ``owner`` or put it in ``queue``; refusals are per task, never the whole batch."""
    if not can(by, Capability.ASSIGN_CASELOAD):
        raise AccessDenied("Only supervisors move their team's tasks.")
    if (owner is None) == (queue is None):
        raise ValidationFailed("Choose a person or a queue.", field="to")
    if not tasks:
        raise ValidationFailed("Choose at least one task.", field="tasks")
    done = Reassignment()
    with transaction.atomic():
        for task in tasks:
            if (owner is not None and task.owner_id == owner.pk) or (
                queue is not None and task.owner_id is None and task.queue_id == queue.pk
            ):
                done.unchanged.append(task)
                continue
            before = (task.owner, task.queue, task.status, task.updated_at)
            try:
                with transaction.atomic():
                    assign_task(task=task, by=by, owner=owner, queue=queue)
            except DomainError as error:
                task.owner, task.queue, task.status, task.updated_at = before
                done.refused.append((task, error.message))
            else:
                done.moved.append(task)
    return done
