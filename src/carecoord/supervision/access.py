"""Who is on a supervisor's team, and the team's tasks as a supervisor may see them.

A supervisor's team is the people they supervise and themselves; an organization administrator sees everyone
in the organization who may hold a caseload. Someone who has left stays on the team while they still own open
tasks or hold people, so their work can be moved. The workload and productivity pages show staff names and counts,
never people's records. The team's task list names people, so it is narrowed to people the supervisor may see
(``patients.access.visible_patients``, the rule the work list uses) and audited as one listing naming every
person, as ``tasks.access`` does for the work list.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from carecoord.accounts.models import User
from carecoord.accounts.permissions import Capability, can
from carecoord.audit.actions import record
from carecoord.audit.models import AuditAction
from carecoord.common.errors import AccessDenied
from carecoord.patients.access import visible_patients
from carecoord.programs.caseload import CASELOAD_ROLES
from carecoord.programs.models import Enrollment
from carecoord.supervision.queries import OPEN_ENROLLMENT, Member, members_of
from carecoord.tasks.models import OPEN_STATUSES, PRIORITY_RANK, Task, TaskKind, TaskQueue

TASKS_SHOWN = 300


@dataclass(frozen=True)
class Team:
    """The viewer and the staff whose work they oversee."""

    viewer: User
    members: list[Member]
    everyone: bool  # the whole organization (an administrator's view)
    may_reassign: bool  # a supervisor: sees the team's tasks (they name people) and moves them

    @property
    def ids(self) -> set[uuid.UUID]:
        return {member.id for member in self.members}

    def member(self, member_id: Any) -> Member | None:
        return next((member for member in self.members if str(member.id) == str(member_id)), None)


def _active_or_holding_work(user: User) -> Q:
    """Active staff, and anyone who has left but still owns open tasks or holds people (to be reassigned)."""
    tasks = Task.objects.filter(owner_id=OuterRef("pk"), organization_id=user.organization_id, status__in=OPEN_STATUSES)
    people = Enrollment.objects.filter(
        care_manager_id=OuterRef("pk"), organization_id=user.organization_id, status__in=OPEN_ENROLLMENT
    )
    return Q(is_active=True) | Q(Exists(tasks)) | Q(Exists(people))


def access_team(user: User) -> Team:
    """The user's team, or AccessDenied for anyone who supervises nobody by role."""
    if can(user, Capability.ASSIGN_CASELOAD):
        staff = User.objects.filter(Q(supervisor=user) | Q(pk=user.pk), organization_id=user.organization_id)
        return Team(
            viewer=user,
            members=members_of(staff.filter(_active_or_holding_work(user))),
            everyone=False,
            may_reassign=can(user, Capability.TASKS),
        )
    if can(user, Capability.MANAGE_ORGANIZATION):
        staff = User.objects.filter(organization_id=user.organization_id, role__in=CASELOAD_ROLES)
        return Team(
            viewer=user,
            members=members_of(staff.filter(_active_or_holding_work(user))),
            everyone=True,
            may_reassign=False,
        )
    raise AccessDenied("Only supervisors and organization administrators see the team's workload.")


@dataclass(frozen=True)
class TaskFilters:
    """What the team's task list shows: one member or all, overdue only, one priority, safety only."""

    owner: uuid.UUID | None = None
    overdue: bool = False
    priority: str = ""
    safety: bool = False

    @classmethod
    def parse(cls, query: Any) -> TaskFilters:
        try:
            owner = uuid.UUID(query.get("owner", "")) if query.get("owner") else None
        except ValueError:
            owner = None
        priority = query.get("priority", "")
        return cls(
            owner=owner,
            overdue=query.get("overdue") == "1",
            priority=priority if priority in PRIORITY_RANK else "",
            safety=query.get("kind") == TaskKind.SAFETY,
        )

    def query(self) -> str:
        """The filters as a query string (for links back to this list)."""
        parts = [f"owner={self.owner}"] if self.owner else []
        parts += ["overdue=1"] if self.overdue else []
        parts += [f"priority={self.priority}"] if self.priority else []
        parts += [f"kind={TaskKind.SAFETY}"] if self.safety else []
        return "&".join(parts)


def _team_tasks(team: Team, ids: Sequence[uuid.UUID] | None = None) -> Any:
    if not team.may_reassign:
        raise AccessDenied("Only supervisors see and move their team's tasks.")
    user = team.viewer
    found = Task.objects.filter(
        organization_id=user.organization_id, status__in=OPEN_STATUSES, owner_id__in=team.ids
    ).filter(Q(patient__isnull=True) | Q(patient__in=visible_patients(user)))
    if ids is not None:
        found = found.filter(pk__in=list(ids))
    return found.select_related("patient", "owner", "queue")


def _audit_listing(user: User, tasks: list[Task], **detail: object) -> None:
    if tasks:
        record(
            by=user,
            action=AuditAction.SEARCH,
            object_type="Task",
            detail={
                **detail,
                "results": [str(task.pk) for task in tasks],
                "patients": sorted({str(task.patient_id) for task in tasks if task.patient_id is not None}),
            },
        )


def _urgency(task: Task) -> tuple[int, int, float]:
    due = task.due_at.timestamp() if task.due_at is not None else float("inf")
    return (0 if task.is_overdue else 1, PRIORITY_RANK.get(task.priority, 9), due)


def access_team_tasks(team: Team, filters: TaskFilters) -> list[Task]:
    """The team's open tasks for people the supervisor may see, overdue and most urgent first; audited."""
    if filters.owner is not None and filters.owner not in team.ids:
        raise AccessDenied("That person is not on your team.")
    found = _team_tasks(team)
    if filters.owner is not None:
        found = found.filter(owner_id=filters.owner)
    if filters.overdue:
        found = found.filter(due_at__lt=timezone.now())
    if filters.priority:
        found = found.filter(priority=filters.priority)
    if filters.safety:
        found = found.filter(kind=TaskKind.SAFETY)
    tasks = sorted(found.order_by("due_at", "created_at")[:TASKS_SHOWN], key=_urgency)
    _audit_listing(team.viewer, tasks, list="team", filters=filters.query())
    return tasks


def access_tasks_to_move(team: Team, task_ids: Sequence[uuid.UUID]) -> tuple[list[Task], list[uuid.UUID]]:
    """The chosen tasks that are still open on the team's list (audited), and the ids that are not."""
    tasks = sorted(_team_tasks(team, task_ids), key=_urgency)
    _audit_listing(team.viewer, tasks, list="team", purpose="reassign")
    found = {task.pk for task in tasks}
    return tasks, [task_id for task_id in task_ids if task_id not in found]


def access_task_list_targets(team: Team) -> tuple[list[User], list[TaskQueue]]:
    """Where the supervisor may move the team's tasks: a team member who takes tasks, or a queue of the
    organization (whether each task may go there is the task's own rule, checked when it moves)."""
    if not team.may_reassign:
        raise AccessDenied("Only supervisors see and move their team's tasks.")
    people = [
        person
        for person in User.objects.filter(pk__in=team.ids, is_active=True).order_by("last_name", "first_name")
        if can(person, Capability.TASKS)
    ]
    queues = list(TaskQueue.objects.filter(organization_id=team.viewer.organization_id).order_by("name"))
    return people, queues
