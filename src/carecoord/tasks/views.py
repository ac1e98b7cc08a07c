"""Task pages: the work list (mine and my queues'), one task, and a new task from a person's chart.

Reads go through ``tasks.access``; writes through ``tasks.actions``; domain errors become form errors or
messages.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from carecoord.accounts.models import User
from carecoord.accounts.permissions import Capability, has_current_license
from carecoord.common.errors import DomainError
from carecoord.patients.access import access_patient
from carecoord.tasks.access import access_task, access_work_list
from carecoord.tasks.actions import (
    NEEDS_REASON,
    TRANSITIONS,
    TaskData,
    assign_task,
    comment_on_task,
    create_task,
    licensed_queue,
    set_task_status,
    take_task,
)
from carecoord.tasks.forms import AssignForm, CommentForm, NewTaskForm, StatusForm
from carecoord.tasks.models import Task, TaskQueue, TaskStatus
from carecoord.web.decorators import page_fetch, requires, staff_user
from carecoord.web.forms import add_domain_error

# The buttons a task offers, in order: status → label. Those needing a reason open a small form.
STATUS_BUTTONS: list[tuple[str, str]] = [
    (TaskStatus.IN_PROGRESS, "Start"),
    (TaskStatus.COMPLETED, "Complete"),
    (TaskStatus.ON_HOLD, "Put on hold"),
    (TaskStatus.FAILED, "Could not be done"),
    (TaskStatus.CANCELLED, "Cancel"),
    (TaskStatus.REJECTED, "Decline"),
]


def _next_steps(task: Task) -> list[tuple[str, str, bool]]:
    allowed = TRANSITIONS.get(task.status, frozenset())
    return [(status, label, status in NEEDS_REASON) for status, label in STATUS_BUTTONS if status in allowed]


def _colleagues(user: User, task: Task) -> list[tuple[str, str]]:
    from carecoord.accounts.permissions import ROLE_CAPABILITIES

    roles = [role for role, granted in ROLE_CAPABILITIES.items() if Capability.TASKS in granted]
    people = User.objects.filter(organization_id=user.organization_id, is_active=True, role__in=roles).order_by(
        "last_name", "first_name"
    )
    if task.requires_license:
        people = [p for p in people.prefetch_related("licenses") if has_current_license(p)]  # type: ignore[assignment]
    choices = [(f"user:{p.pk}", p.get_full_name() or p.username) for p in people if p.pk != task.owner_id]
    queues = TaskQueue.objects.filter(organization_id=user.organization_id)
    if task.requires_license:
        queues = queues.filter(licensed_only=True)
    choices += [(f"queue:{q.pk}", f"Queue: {q.name}") for q in queues]
    return choices


@requires(Capability.TASKS)
def work_list(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    tasks = access_work_list(user)
    mine = [t for t in tasks if t.owner_id == user.pk]
    queued = [t for t in tasks if t.owner_id is None]
    return render(
        request,
        "tasks/work_list.html",
        {"mine": mine, "queued": queued, "overdue": sum(1 for t in mine if t.is_overdue)},
    )


@requires(Capability.TASKS)
def detail(request: HttpRequest, task_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    task = page_fetch(access_task, user, task_id)
    return render(
        request,
        "tasks/detail.html",
        {
            "task": task,
            "steps": _next_steps(task),
            "comment_form": CommentForm(),
            "assign_form": AssignForm(choices=_colleagues(user, task)),
            "may_take": task.is_open and task.owner_id != user.pk,
        },
    )


def _back(request: HttpRequest, task: Task) -> HttpResponse:
    target = request.POST.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect("tasks:detail", task.pk)


@require_POST
@requires(Capability.TASKS)
def change_status(request: HttpRequest, task_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    task = page_fetch(access_task, user, task_id)
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            set_task_status(task=task, status=form.cleaned_data["status"], by=user, reason=form.cleaned_data["reason"])
        except DomainError as error:
            messages.error(request, error.message)
            return redirect("tasks:detail", task.pk)
        messages.success(request, f"“{task.title}” is {task.get_status_display().lower()}.")
    return _back(request, task)


@require_POST
@requires(Capability.TASKS)
def take(request: HttpRequest, task_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    task = page_fetch(access_task, user, task_id)
    try:
        take_task(task=task, by=user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"“{task.title}” is yours.")
    return _back(request, task)


@require_POST
@requires(Capability.TASKS)
def assign(request: HttpRequest, task_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    task = page_fetch(access_task, user, task_id)
    form = AssignForm(request.POST, choices=_colleagues(user, task))
    if not form.is_valid():
        messages.error(request, "Choose a colleague or a queue.")
        return redirect("tasks:detail", task.pk)
    kind, _, key = form.cleaned_data["to"].partition(":")
    owner = User.objects.filter(pk=key, organization_id=user.organization_id).first() if kind == "user" else None
    queue = TaskQueue.objects.filter(pk=key, organization_id=user.organization_id).first() if kind == "queue" else None
    try:
        assign_task(task=task, by=user, owner=owner, queue=queue)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"“{task.title}” given to {owner.get_full_name() if owner else queue}.")
    return redirect("tasks:detail", task.pk)


@require_POST
@requires(Capability.TASKS)
def comment(request: HttpRequest, task_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    task = page_fetch(access_task, user, task_id)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            comment_on_task(task=task, text=form.cleaned_data["text"], by=user)
        except DomainError as error:
            messages.error(request, error.message)
    else:
        messages.error(request, "Write the comment.")
    return redirect(reverse("tasks:detail", args=[task.pk]) + "#comments")


@requires(Capability.TASKS)
def new_for_patient(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    patient = page_fetch(access_patient, user, patient_id, object_type="Task", detail={"purpose": "new task"})
    form = NewTaskForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        must_queue = data["requires_license"] and not has_current_license(user)
        try:
            task = create_task(
                data=TaskData(
                    organization_id=user.organization_id,
                    patient=patient,
                    title=data["title"],
                    kind=data["kind"],
                    priority=data["priority"],
                    due_at=data["due_at"],
                    description=data["description"],
                    requires_license=data["requires_license"],
                    recurrence=data["recurrence"] or "",
                    # Clinical work the user may not do themselves waits in the licensed queue.
                    owner=None if must_queue else user,
                    queue=licensed_queue(user.organization_id) if must_queue else None,
                ),
                by=user,
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"Task “{task.title}” added.")
            return redirect("web:chart", patient.pk)
    return render(request, "tasks/new.html", {"patient": patient, "form": form})
