"""The supervisor's pages under /team/: the team's workload, its tasks (moved in bulk) and its productivity.

Who is on the team and what the viewer may open is decided by ``supervision.access``; figures come from
``supervision.queries``; moves go through ``supervision.actions``.
"""

from __future__ import annotations

import csv
import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from carecoord.accounts.models import User
from carecoord.accounts.permissions import Capability, can
from carecoord.audit.actions import record
from carecoord.audit.models import AuditAction
from carecoord.common.errors import ValidationFailed
from carecoord.programs.rules import add_months
from carecoord.supervision.access import (
    TaskFilters,
    Team,
    access_task_list_targets,
    access_tasks_to_move,
    access_team,
    access_team_tasks,
)
from carecoord.supervision.actions import reassign_tasks
from carecoord.supervision.charts import bar_chart
from carecoord.supervision.queries import (
    NO_ACUITY,
    ProductivityRow,
    WorkloadRow,
    parse_month,
    team_productivity,
    team_workload,
)
from carecoord.tasks.actions import may_own
from carecoord.tasks.models import TaskPriority, TaskQueue
from carecoord.web.decorators import page_fetch, staff_user


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{round(rate * 100)}%"


@dataclass(frozen=True)
class Figure:
    """One number of a table cell and the list it opens (empty when the viewer may not open it)."""

    value: int
    url: str = ""


@dataclass(frozen=True)
class WorkloadLine:
    name: str
    role: str
    caseload: Figure
    acuity: list[int]
    open_tasks: Figure
    overdue_tasks: Figure
    safety_tasks: Figure
    billable_rate: str
    billable: int
    assessed: int
    at_risk: int


def _tasks_url(team: Team, query: str) -> str:
    return f"{reverse('supervision:tasks')}?{query}" if team.may_reassign else ""


def _line(team: Team, row: WorkloadRow, acuity_codes: list[str]) -> WorkloadLine:
    member = row.member
    owner = f"owner={member.id}&" if member is not None else ""
    caseload_url = ""
    if member is not None and can(team.viewer, Capability.ASSIGN_CASELOAD):
        caseload_url = reverse("caseload:member", args=[member.id])
    elif member is None and can(team.viewer, Capability.ASSIGN_CASELOAD):
        caseload_url = reverse("caseload:team")
    return WorkloadLine(
        name=member.name if member is not None else "Team",
        role=member.role_label if member is not None else f"{len(team.members)} staff",
        caseload=Figure(row.caseload, caseload_url),
        acuity=[row.by_acuity.get(code, 0) for code in acuity_codes],
        open_tasks=Figure(row.open_tasks, _tasks_url(team, owner.rstrip("&"))),
        overdue_tasks=Figure(row.overdue_tasks, _tasks_url(team, f"{owner}overdue=1")),
        safety_tasks=Figure(row.safety_tasks, _tasks_url(team, f"{owner}kind=safety")),
        billable_rate=_percent(row.billable_rate),
        billable=row.billable,
        assessed=row.assessed,
        at_risk=row.at_risk,
    )


@login_required
def team(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    found = page_fetch(access_team, user)
    workload = team_workload(
        found.members, organization_id=user.organization_id, now=timezone.now(), today=timezone.localdate()
    )
    codes = list(workload.acuity_labels)
    return render(
        request,
        "supervision/team.html",
        {
            "team": found,
            "month": workload.month,
            "acuity": [workload.acuity_labels[code] for code in codes],
            "acuity_not_set": NO_ACUITY in workload.acuity_labels,
            "lines": [_line(found, row, codes) for row in workload.rows],
            "totals": _line(found, workload.totals, codes),
        },
    )


# Tasks and bulk reassignment -------------------------------------------------------------------------------------


def _supervisor_team(request: HttpRequest) -> Team:
    found = page_fetch(access_team, staff_user(request))
    if not found.may_reassign:
        raise PermissionDenied("Only supervisors see and move their team's tasks.")
    return found


@login_required
def tasks(request: HttpRequest) -> HttpResponse:
    found = _supervisor_team(request)
    filters = TaskFilters.parse(request.GET)
    listed = page_fetch(access_team_tasks, found, filters)
    people, queues = access_task_list_targets(found)
    return render(
        request,
        "supervision/tasks.html",
        {
            "team": found,
            "filters": filters,
            "tasks": listed,
            "owner": found.member(filters.owner) if filters.owner else None,
            "priorities": TaskPriority.choices,
            "people": people,
            "queues": queues,
        },
    )


def _task_ids(values: list[str]) -> list[uuid.UUID]:
    ids: list[uuid.UUID] = []
    for value in values:
        try:
            key = uuid.UUID(value)
        except ValueError:
            continue
        if key not in ids:
            ids.append(key)
    return ids


def _target(found: Team, value: str) -> tuple[User | None, TaskQueue | None, str]:
    """The chosen owner or queue (among those offered), and its name; (None, None, "") when not offered."""
    people, queues = access_task_list_targets(found)
    kind, _, key = value.partition(":")
    if kind == "user":
        person = next((p for p in people if str(p.pk) == key), None)
        return person, None, (person.get_full_name() or person.username) if person else ""
    if kind == "queue":
        queue = next((q for q in queues if str(q.pk) == key), None)
        return None, queue, f"the {queue.name} queue" if queue else ""
    return None, None, ""


def _will_stay(chosen: list[Any], owner: User | None, queue: TaskQueue | None) -> set[Any]:
    """Tasks that need a license the chosen person or queue lacks (warned before confirming; the action decides)."""
    if owner is not None:
        if may_own(owner, owner.organization_id, licensed=True):
            return set()
        if not may_own(owner, owner.organization_id):
            return {task.pk for task in chosen}
    elif queue is None or queue.licensed_only:
        return set()
    return {task.pk for task in chosen if task.requires_license}


def _back_to_list(request: HttpRequest) -> HttpResponse:
    query = request.POST.get("filters", "")
    return redirect(reverse("supervision:tasks") + (f"?{query}" if query else ""))


@require_POST
@login_required
def reassign(request: HttpRequest) -> HttpResponse:
    """Step one shows what will move where and asks to confirm; step two (``confirm``) moves the tasks."""
    found = _supervisor_team(request)
    ids = _task_ids(request.POST.getlist("task"))
    owner, queue, target_name = _target(found, request.POST.get("to", ""))
    if not ids:
        messages.error(request, "Choose the tasks to move: tick their boxes.")
        return _back_to_list(request)
    if not target_name:
        messages.error(request, "Choose who should take the tasks, or a queue.")
        return _back_to_list(request)
    chosen, gone = access_tasks_to_move(found, ids)
    if request.POST.get("confirm") != "1":
        return render(
            request,
            "supervision/confirm.html",
            {
                "tasks": chosen,
                "staying": _will_stay(chosen, owner, queue),
                "gone": len(gone),
                "target": target_name,
                "to": request.POST.get("to", ""),
                "filters": request.POST.get("filters", ""),
            },
        )
    if gone:
        messages.warning(
            request, f"{len(gone)} of the chosen tasks were closed or moved off your team's list meanwhile."
        )
    if not chosen:
        return _back_to_list(request)
    try:
        done = reassign_tasks(tasks=chosen, by=found.viewer, owner=owner, queue=queue)
    except ValidationFailed as error:
        messages.error(request, error.message)
        return _back_to_list(request)
    if done.moved:
        count = len(done.moved)
        messages.success(request, f"Moved {count} task{'s' if count != 1 else ''} to {target_name}.")
    if done.unchanged:
        messages.info(request, f"{len(done.unchanged)} already with {target_name}: left as they were.")
    for task, reason in done.refused:
        messages.error(request, f"Not moved: “{task.title}”{_for(task)}. {reason}")
    return _back_to_list(request)


def _for(task: Any) -> str:
    return f" for {task.patient}" if task.patient_id is not None else ""


# Productivity ----------------------------------------------------------------------------------------------------


def _month(request: HttpRequest) -> tuple[Any, str]:
    today = timezone.localdate()
    try:
        return parse_month(request.GET.get("month"), today=today), ""
    except ValidationFailed as error:
        return parse_month(None, today=today), error.message


@login_required
def productivity(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    found = page_fetch(access_team, user)
    month, problem = _month(request)
    rows, totals = team_productivity(found.members, organization_id=user.organization_id, month=month)
    chart = bar_chart(
        title=f"Contacts and people reached, {month:%B %Y}",
        description="For each care manager, two bars: contacts recorded and distinct people reached. "
        "The table below gives the same figures.",
        series=[("Contacts", "contact", "contacts"), ("People reached", "person reached", "people reached")],
        rows=[(row.member.name if row.member else "", [row.contacts, row.people_reached]) for row in rows],
    )
    this_month = parse_month(None, today=timezone.localdate())
    return render(
        request,
        "supervision/productivity.html",
        {
            "team": found,
            "month": month,
            "month_value": f"{month:%Y-%m}",
            "previous": f"{add_months(month, -1):%Y-%m}",
            "next": f"{add_months(month, 1):%Y-%m}" if month < this_month else "",
            "problem": problem,
            "rows": [_productivity_line(row) for row in rows],
            "totals": _productivity_line(totals),
            "chart": chart,
        },
        status=400 if problem else 200,
    )


def _productivity_line(row: ProductivityRow) -> dict[str, Any]:
    return {
        "name": row.member.name if row.member else "Team",
        "role": row.member.role_label if row.member else "",
        "contacts": row.contacts,
        "minutes": row.minutes,
        "contact_minutes": row.contact_minutes,
        "time_minutes": row.time_minutes,
        "people_reached": row.people_reached,
        "core_services": row.core_services,
        "outreach_attempts": row.outreach_attempts,
        "outreach_successes": row.outreach_successes,
        "outreach_rate": _percent(row.outreach_success_rate),
    }


CSV_COLUMNS = [
    ("care_manager", "name"),
    ("role", "role"),
    ("contacts", "contacts"),
    ("minutes", "minutes"),
    ("contact_minutes", "contact_minutes"),
    ("time_entry_minutes", "time_minutes"),
    ("people_reached", "people_reached"),
    ("core_services", "core_services"),
    ("outreach_attempts", "outreach_attempts"),
    ("outreach_reached", "outreach_successes"),
    ("outreach_success_rate", "outreach_rate"),
]


@login_required
def productivity_csv(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    found = page_fetch(access_team, user)
    month, problem = _month(request)
    if problem:
        return HttpResponse(problem, status=400, content_type="text/plain; charset=utf-8")
    rows, totals = team_productivity(found.members, organization_id=user.organization_id, month=month)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="productivity-{month:%Y-%m}.csv"'
    writer = csv.writer(response)
    writer.writerow(["month"] + [header for header, _ in CSV_COLUMNS])
    for row in [*rows, totals]:
        line = _productivity_line(row)
        rate = row.outreach_success_rate
        line["outreach_rate"] = "" if rate is None else f"{rate * 100:.1f}"
        writer.writerow([f"{month:%Y-%m}"] + [line[key] for _, key in CSV_COLUMNS])
    record(
        by=user,
        action=AuditAction.EXPORT,
        object_type="ProductivityReport",
        detail={"month": f"{month:%Y-%m}", "staff": len(rows)},
    )
    return response
