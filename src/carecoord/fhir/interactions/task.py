"""Task over two kinds of record:

- care team tasks (UUID ids): read, search (with ``_include=Task:patient``), create and update, through
  ``tasks.access`` and ``tasks.actions`` (below);
- community referrals' Tasks (ids ``referral-<uuid>``, Gravity SDOHCC Task For Referral Management): read, search
  and update (the referral's status, services delivered, outcome) through ``referrals.access`` and
  ``referrals.actions`` (``community_referral.py``).

A read and an update dispatch on the id. A search covers care team tasks for roles that work on tasks and
community referrals for the referring side and the partner side (``community_referral.visible_referrals``); when
both kinds match, they are merged by ``_sort`` (default: last changed first; ``fhir/merge.py``). ``owner`` and
``requester`` take Practitioner/<id> (care team tasks) or Organization/<id> (referrals); ``code`` fulfill selects the
referrals.

A task is seen by its organization's staff whose role works on tasks; a person's task also needs access to the
person (``patients.access``), audited there.

Create (``create_task``): ``description`` (the title), ``intent`` order, ``status`` accepted with an ``owner``
(Practitioner/<id> of a colleague) or requested without (waiting in the queue named by the extension
``task-queue``, or the organization's); optional ``for`` Patient/<id>, ``priority``, ``code`` (a
``{base}/CodeSystem/task-kind`` code), ``restriction.period.end`` (due; a date alone means 5 pm that day),
``focus``, ``reasonCode`` ({base}/CodeSystem/task-reason), the extensions ``task-requires-license`` and
``task-recurrence``, and ``note`` (the task's longer description). Work that needs a license goes only to a licensed
owner or queue: the action refuses anyone else (400 naming the owner).

Update: ``status`` moves along the tasks app's FHIR state machine (``tasks.actions.TRANSITIONS``; any open task
may be entered in error); an invalid move is 422 naming both statuses; refusals, holds, failures, cancellations and
errors say why in ``statusReason.text``. A new ``owner`` hands the task over (``take_task`` when it is the user,
``assign_task`` otherwise); no owner and a ``task-queue`` puts it back in that queue. A ``note`` not yet on the
task is a comment. Nothing else changes through an update (422 naming the element): the tasks app has no action
for it.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from fhir.resources.R4B.task import Task as TaskModel

from carecoord.accounts.models import Practitioner, User
from carecoord.accounts.permissions import Capability, can
from carecoord.accounts.queries import as_uuid
from carecoord.audit.models import AuditAction
from carecoord.common.errors import AccessDenied, DomainError
from carecoord.fhir.exchange import FhirRequest, FhirResponse
from carecoord.fhir.interactions import community_referral
from carecoord.fhir.interactions.organization import id_condition
from carecoord.fhir.interactions.scope import body_reference, patient_condition, people
from carecoord.fhir.mapping.community_referral import task_resource as community_task_resource
from carecoord.fhir.mapping.patient import patient_resource
from carecoord.fhir.mapping.task import (
    kind_system,
    queue_url,
    reason_system,
    recurrence_url,
    requires_license_url,
    task_resource,
)
from carecoord.fhir.merge import Kind, merged_page
from carecoord.fhir.outcome import FhirError, bad_request, domain_paths
from carecoord.fhir.registry import ResourceType, SearchParam
from carecoord.fhir.search import (
    FilterBuilder,
    apply_criteria,
    audited_searchset,
    date_condition,
    order,
    page,
    parse_query,
    resolve_includes,
    token,
)
from carecoord.patients.access import access_patient, access_patient_version
from carecoord.patients.models import Patient
from carecoord.tasks.access import access_task
from carecoord.tasks.actions import (
    TaskData,
    assign_task,
    comment_on_task,
    create_task,
    set_task_status,
    take_task,
)
from carecoord.tasks.models import Task, TaskKind, TaskPriority, TaskQueue, TaskStatus
from carecoord.tasks.queries import queue_by_code

_PATHS = {
    "title": "Task.description",
    "kind": "Task.code",
    "priority": "Task.priority",
    "owner": "Task.owner",
    "queue": f"Task.extension('{queue_url()}')",
    "organization": "Task.owner",
    "recurrence": f"Task.extension('{recurrence_url()}')",
    "status": "Task.status",
    "reason": "Task.statusReason",
    "text": "Task.note",
}


def _expression(field: str) -> str:
    return _PATHS.get(field, "Task")


def _with_people(rows: QuerySet[Task]) -> QuerySet[Task]:
    return rows.select_related("patient", "owner__practitioner", "queue", "created_by__practitioner").prefetch_related(
        "comments__author"
    )


def _resource(user: User, task_id: object) -> dict[str, Any]:
    task = access_task(user, task_id)
    return task_resource(_with_people(Task.objects.filter(pk=task.pk)).get())


def read(request: FhirRequest, task_id: str) -> FhirResponse:
    if community_referral.is_task_id(task_id):
        return community_referral.read_task(request, task_id)
    return FhirResponse(body=_resource(request.authenticated_user, task_id))


# --- what a posted Task says ---------------------------------------------------------------------------------------


def _extension(resource: dict[str, Any], url: str) -> dict[str, Any] | None:
    return next((e for e in resource.get("extension") or [] if e.get("url") == url), None)


def _kind(resource: dict[str, Any]) -> str:
    concept = resource.get("code")
    if not concept:
        return TaskKind.OTHER
    codes = [c.get("code") for c in concept.get("coding") or [] if c.get("system") == kind_system()]
    if len(codes) != 1 or codes[0] not in TaskKind.values:
        raise bad_request(
            f"Task.code must hold one code of {kind_system()}: {', '.join(TaskKind.values)}.",
            expression="Task.code",
            issue_code="code-invalid",
        )
    return str(codes[0])


def _owner(resource: dict[str, Any], base: str) -> User | None:
    found = body_reference(resource.get("owner"), "Task.owner", ("Practitioner",), base)
    if found is None:
        return None
    practitioner = Practitioner.objects.select_related("user").filter(pk=found[1]).first()
    if practitioner is None or practitioner.user is None:
        raise bad_request("Task.owner must be the Practitioner of a staff user.", expression="Task.owner")
    return practitioner.user


def _queue(resource: dict[str, Any], user: User) -> TaskQueue | None:
    named = _extension(resource, queue_url())
    if named is None:
        return None
    queue = queue_by_code(user.organization_id, str(named.get("valueCode") or ""))
    if queue is None:
        raise bad_request("Your organization has no such task queue.", expression=_expression("queue"))
    return queue


def _due(resource: dict[str, Any]) -> datetime.datetime | None:
    value = ((resource.get("restriction") or {}).get("period") or {}).get("end")
    if not value:
        return None
    text = str(value)
    if len(text) == 10:
        try:
            day = datetime.date.fromisoformat(text)
        except ValueError:
            day = None
        if day is not None:
            return timezone.make_aware(datetime.datetime.combine(day, datetime.time(17, 0)))
    parsed = parse_datetime(text)
    if parsed is None or parsed.tzinfo is None:
        raise bad_request(
            "Task.restriction.period.end must be a date or a dateTime with a zone.",
            expression="Task.restriction.period.end",
            issue_code="value",
        )
    return parsed


def _focus(resource: dict[str, Any], base: str) -> str:
    focus = resource.get("focus") or {}
    text = str(focus.get("reference") or "").removeprefix(base + "/") or str(focus.get("display") or "")
    return text[:120]


def _reason(resource: dict[str, Any]) -> str:
    concept = resource.get("reasonCode") or {}
    codes = [c.get("code") for c in concept.get("coding") or [] if c.get("system") == reason_system()]
    return str(codes[0]) if codes else ""


def _flag(resource: dict[str, Any], url: str) -> bool:
    found = _extension(resource, url)
    return bool(found.get("valueBoolean")) if found else False


def _code(resource: dict[str, Any], url: str) -> str:
    found = _extension(resource, url)
    return str(found.get("valueCode") or "") if found else ""


def _notes(resource: dict[str, Any]) -> list[str]:
    return [text for n in resource.get("note") or [] if (text := str(n.get("text") or "").strip())]


def _patient(request: FhirRequest, resource: dict[str, Any], action: str) -> Patient | None:
    found = body_reference(resource.get("for"), "Task.for", ("Patient",), request.base)
    if found is None:
        return None
    return access_patient(request.authenticated_user, found[1], action=action, object_type="Task")


# --- create and update ---------------------------------------------------------------------------------------------


def create(request: FhirRequest) -> FhirResponse:
    user = request.authenticated_user
    resource = request.resource("Task", TaskModel)
    if not can(user, Capability.TASKS):
        raise AccessDenied("Your role does not work on tasks.")
    if resource.get("intent") != "order":
        raise bad_request("A task has intent order.", expression="Task.intent", issue_code="value")
    owner = _owner(resource, request.base)
    expected = TaskStatus.ACCEPTED if owner is not None else TaskStatus.REQUESTED
    if resource.get("status") != expected:
        raise bad_request(
            "A new task with an owner is accepted; one without (waiting in a queue) is requested.",
            expression="Task.status",
            issue_code="value",
        )
    priority = str(resource.get("priority") or TaskPriority.ROUTINE)
    data = TaskData(
        organization_id=user.organization_id,
        title=str(resource.get("description") or ""),
        kind=_kind(resource),
        priority=priority,
        patient=None,
        owner=owner,
        queue=_queue(resource, user) if owner is None else None,
        due_at=_due(resource),
        requires_license=_flag(resource, requires_license_url()),
        description="\n\n".join(_notes(resource)),
        reason=_reason(resource),
        focus=_focus(resource, request.base),
        recurrence=_code(resource, recurrence_url()),
    )
    data.patient = _patient(request, resource, AuditAction.CREATE)
    with domain_paths(_expression):
        task = create_task(data=data, by=user)
    return FhirResponse(body=_resource(user, task.pk), status=201, location=f"{request.base}/Task/{task.pk}")


def _unchanged(task: Task, resource: dict[str, Any], base: str) -> None:
    """Refuse (422) a change to what the tasks app cannot change after creation."""
    found = body_reference(resource.get("for"), "Task.for", ("Patient",), base)
    asked = {
        "Task.description": (task.title, str(resource.get("description") or "").strip()[:200]),
        "Task.priority": (task.priority, str(resource.get("priority") or TaskPriority.ROUTINE)),
        "Task.code": (task.kind, _kind(resource)),
        "Task.for": (task.patient_id, found[1] if found else None),
        "Task.focus": (task.focus, _focus(resource, base)),
        "Task.restriction.period.end": (task.due_at, _due(resource)),
        f"Task.extension('{requires_license_url()}')": (task.requires_license, _flag(resource, requires_license_url())),
        f"Task.extension('{recurrence_url()}')": (task.recurrence, _code(resource, recurrence_url())),
        "Task.reasonCode": (task.reason, _reason(resource)),
    }
    for expression, (stored, wanted) in asked.items():
        if stored != wanted:
            raise FhirError(
                f"{expression} cannot change: an update changes a task's status, owner or queue, or adds a note.",
                status=422,
                issue_code="business-rule",
                expression=expression,
            )


def _move(task: Task, status: str, by: User, reason: str) -> None:
    """``set_task_status``, with an invalid move said in FHIR's codes (from and to)."""
    try:
        set_task_status(task=task, status=status, by=by, reason=reason)
    except DomainError as error:
        if error.code != "invalid-transition":
            raise
        raise DomainError(
            f"Task.status cannot go from {task.status} to {status}: {error.message}",
            code="invalid-transition",
            field="status",
        ) from None


def update(request: FhirRequest, task_id: str) -> FhirResponse:
    if community_referral.is_task_id(task_id):
        return community_referral.update_task(request, task_id)
    user = request.authenticated_user
    resource = request.resource("Task", TaskModel)
    if resource.get("id") != task_id:
        raise bad_request("The resource's id must equal the id in the URL.", expression="Task.id")
    task = access_task(user, task_id)
    _unchanged(task, resource, request.base)
    owner = _owner(resource, request.base)
    status = str(resource.get("status") or "")
    reason = str((resource.get("statusReason") or {}).get("text") or "")
    known = {task.description.strip(), *(c.text.strip() for c in task.comments.all())}
    with domain_paths(_expression), transaction.atomic():
        if owner is not None and owner.pk != task.owner_id:
            if owner.pk == user.pk:
                take_task(task=task, by=user)
            else:
                assign_task(task=task, by=user, owner=owner)
        elif owner is None and task.owner_id is not None:
            queue = _queue(resource, user)
            if queue is None:
                raise bad_request(
                    "Work without an owner waits in a queue: name it with the task-queue extension.",
                    expression=_expression("queue"),
                )
            assign_task(task=task, by=user, queue=queue)
        for text in _notes(resource):
            if text not in known:
                comment_on_task(task=task, text=text, by=user)
                known.add(text)
        if status != task.status:
            _move(task, status, user, reason)
    return FhirResponse(body=_resource(user, task_id))


# --- search --------------------------------------------------------------------------------------------------------


def _practitioner(field_name: str) -> FilterBuilder:
    def build(_: str, value: str) -> Q:
        tail = value.rstrip("/").split("/")
        if len(tail) >= 2 and tail[-2] != "Practitioner":
            return Q(pk__in=[])  # an Organization owns or requests only community referrals
        key = as_uuid(tail[-1])
        return Q(**{field_name: key}) if key else Q(pk__in=[])

    return build


def _kind_condition(_: str, value: str) -> Q:
    system, code = token(value)
    return Q(kind=code) if system in (None, kind_system()) else Q(pk__in=[])


def _focus_condition(_: str, value: str) -> Q:
    tail = value.rstrip("/").split("/")
    return Q(focus="/".join(tail[-2:])) if len(tail) >= 2 else Q(focus__endswith=f"/{value}")


_BUILDERS: dict[str, FilterBuilder] = {
    "_id": id_condition,
    "_lastUpdated": lambda _, v: date_condition("updated_at", v, name="_lastUpdated", aware=True),
    "patient": patient_condition,
    "status": lambda _, v: Q(status=token(v)[1]),
    "owner": _practitioner("owner__practitioner__id"),
    "requester": _practitioner("created_by__practitioner__id"),
    "authored-on": lambda _, v: date_condition("created_at", v, name="authored-on", aware=True),
    "due-date": lambda _, v: date_condition("due_at", v, name="due-date", aware=True),
    "priority": lambda _, v: Q(priority=token(v)[1]),
    "code": _kind_condition,
    "focus": _focus_condition,
}
_SORTS = {"due-date": ("due_at",), "_lastUpdated": ("updated_at",), "authored-on": ("created_at",)}


def _patients(user: User) -> Any:
    def resolve(tasks: list[Task]) -> list[dict[str, Any]]:
        ids = dict.fromkeys(t.patient_id for t in tasks if t.patient_id is not None)
        return [patient_resource(access_patient_version(user, key, None).snapshot) for key in ids]

    return resolve


def _patients_of(user: User) -> Any:
    """``_include=Task:patient`` over a merged page: the people its resources are for (read through access)."""

    def resolve(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
        named = [str((r.get("for") or {}).get("reference") or "") for r in resources]
        ids = dict.fromkeys(ref.removeprefix("Patient/") for ref in named if ref.startswith("Patient/"))
        return [patient_resource(access_patient_version(user, key, None).snapshot) for key in ids]

    return resolve


def search(request: FhirRequest) -> FhirResponse:
    user = request.authenticated_user
    works_tasks = can(user, Capability.TASKS)
    if not works_tasks and not community_referral.may_search(user):
        raise AccessDenied("Your role does not work on tasks.")
    query = parse_query(request, RESOURCE)
    scope = people(user, query, "Task")
    rows = Task.objects.filter(Q(patient__isnull=True) | scope.condition(user), organization_id=user.organization_id)
    rows = apply_criteria(rows if works_tasks else Task.objects.none(), query, _BUILDERS)
    community = apply_criteria(
        community_referral.visible_referrals(user, scope), query, community_referral.TASK_BUILDERS
    )
    if not community.exists():
        found, total = page(order(_with_people(rows), query, _SORTS, ("due_at", "created_at")), query)
        resources = [task_resource(task) for task in found]
        extra = resolve_includes(query, found, {"Task:patient": _patients(user)})
        return audited_searchset(request, "Task", query, resources, total, extra)
    if any(name == "due-date" for name, _ in query.sort):
        raise bad_request(
            "Community referrals have no due date: sort by _lastUpdated or authored-on.",
            expression="_sort",
            issue_code="not-supported",
        )

    def care(ids: list[Any]) -> list[dict[str, Any]]:
        found = _with_people(rows).in_bulk(ids)
        return [task_resource(found[key]) for key in ids]

    kinds = [
        Kind(0, rows, {"_lastUpdated": "updated_at", "authored-on": "created_at"}, care),
        Kind(
            1,
            community,
            community_referral.TASK_SORTS,
            lambda ids: community_referral.load(user, ids, community_task_resource),
        ),
    ]
    resources, total = merged_page(kinds, query, [("_lastUpdated", True)])
    extra = resolve_includes(query, resources, {"Task:patient": _patients_of(user)})
    return audited_searchset(request, "Task", query, resources, total, extra)


RESOURCE = ResourceType(
    name="Task",
    read=read,
    search=search,
    create=create,
    update=update,
    search_params=(
        SearchParam("patient", "reference", "The person the task is for (Patient/<id>)"),
        SearchParam("status", "token", "FHIR Task status"),
        SearchParam(
            "owner",
            "reference",
            "The staff user who owns it (Practitioner/<id>); for a community referral the organization asked to do "
            "the work (Organization/<id> or Organization/dir-<id>)",
        ),
        SearchParam(
            "requester",
            "reference",
            "Who asked: the staff user who made the task (Practitioner/<id>); for a community referral the "
            "referring organization (Organization/<id>) or the user who sent it (Practitioner/<id>)",
        ),
        SearchParam("authored-on", "date", "When the task or referral was made (prefixes eq, ne, lt, le, gt, ge)"),
        SearchParam(
            "due-date",
            "date",
            "When it is due: Task.restriction.period.end (prefixes eq, ne, lt, le, gt, ge)",
            definition="Task.restriction.period.end",
        ),
        SearchParam("priority", "token", "routine, urgent, asap or stat"),
        SearchParam(
            "code",
            "token",
            "The kind of work ({base}/CodeSystem/task-kind); fulfill (http://hl7.org/fhir/CodeSystem/task-code) "
            "for community referrals",
        ),
        SearchParam("focus", "reference", "What the task is about, e.g. CarePlan/<id> or ServiceRequest/sdoh-<id>"),
        SearchParam(
            "_lastUpdated",
            "date",
            "When the task last changed (the Gravity IG's polling: Task?owner=...&_lastUpdated=gt...)",
        ),
        SearchParam("_id", "token", "Logical id of the resource"),
    ),
    sorts=tuple(_SORTS),
    includes=("Task:patient",),
    patch=True,
    documentation="Community referrals (ids referral-<uuid>): Gravity SDOHCC Tasks For Referral Management, read, "
    "searched and updated (PUT, or PATCH with a JSON Patch of the resource as read) by either side (status "
    "through the Gravity state table: a forbidden move is 422 naming both statuses, the other side's move 403; "
    "services delivered as output resulting-activity; the outcome as "
    "businessStatus; If-Match versions). "
    "Work for a person or the organization, owned by a staff user or waiting in a team queue. "
    "Create makes a task (accepted with an owner, requested in a queue); update moves its status along the FHIR "
    "Task state machine the tasks app defines (an invalid move is 422 naming both statuses), hands it over, puts "
    "it back in a queue, or adds a note. Licensed-only work goes only to licensed owners and queues. Due dates "
    "are searched with the custom parameter due-date (Task.restriction.period.end).",
)
