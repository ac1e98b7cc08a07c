"""FHIR Task from a task: a piece of work for a person (or the organization) with an owner or a team queue.

- ``status`` and ``priority`` are stored as FHIR's; ``intent`` is always ``order``; ``statusReason.text`` says why
  a task was refused, held, failed, cancelled or entered in error;
- ``code``: the kind of work, ``{base}/CodeSystem/task-kind`` (safety, screening, follow-up, referral,
  care-plan, outreach, transition, other), with its label as text;
- ``description`` is the task's title; ``note`` its longer description first, then its comments (author, time);
- ``for`` the person (absent for the organization's own work); ``focus`` what it is about (``CarePlan/<id>``,
  ``QuestionnaireResponse/<id>``...: a reference when it names a FHIR type, its text otherwise);
- ``owner`` the staff user's Practitioner; work waiting in a team queue has no owner and names the queue in
  ``{base}/StructureDefinition/task-queue`` (the queue's code);
- ``restriction.period.end`` is when it is due (searched with the custom parameter ``due-date``);
- ``executionPeriod.end`` when it was closed; ``authoredOn`` and ``lastModified`` when it was made and changed;
  ``requester`` the Practitioner of the user who made it (none for a rule's task);
- ``reasonCode``: the machine code of why it exists (``{base}/CodeSystem/task-reason``, e.g.
  ``phq9-item9-safety``); ``{base}/StructureDefinition/task-requires-license`` says whether only a licensed user
  may own it; ``{base}/StructureDefinition/task-recurrence`` how often it comes back.
"""

from __future__ import annotations

from typing import Any

from carecoord.accounts.models import User
from carecoord.fhir.mapping.codes import base_url, coding
from carecoord.tasks.models import Task, TaskKind

# Types a task's focus may name that are FHIR resource types (others, e.g. Intervention/<id>, are text).
FHIR_FOCUS_TYPES = frozenset(
    {
        "CarePlan",
        "Goal",
        "QuestionnaireResponse",
        "Observation",
        "Encounter",
        "EpisodeOfCare",
        "ServiceRequest",
        "DocumentReference",
        "Consent",
        "CareTeam",
        "Patient",
        "Task",
    }
)


def kind_system() -> str:
    return f"{base_url()}/CodeSystem/task-kind"


def reason_system() -> str:
    return f"{base_url()}/CodeSystem/task-reason"


def queue_url() -> str:
    return f"{base_url()}/StructureDefinition/task-queue"


def requires_license_url() -> str:
    return f"{base_url()}/StructureDefinition/task-requires-license"


def recurrence_url() -> str:
    return f"{base_url()}/StructureDefinition/task-recurrence"


def practitioner_reference(user: User) -> dict[str, str]:
    """A staff user as a Reference to their Practitioner (every staff user has one), else by name."""
    name = user.get_full_name() or user.username
    practitioner = getattr(user, "practitioner", None)
    if practitioner is None:
        return {"display": name}
    return {"reference": f"Practitioner/{practitioner.pk}", "display": name}


def focus_reference(focus: str) -> dict[str, str]:
    kind, _, key = focus.partition("/")
    if kind in FHIR_FOCUS_TYPES and key and "/" not in key:
        return {"reference": focus}
    return {"display": focus}


def task_resource(task: Task) -> dict[str, Any]:
    """The FHIR Task (owner, queue and creator with their practitioners, comments with authors loaded)."""
    resource: dict[str, Any] = {
        "resourceType": "Task",
        "id": str(task.pk),
        "meta": {"lastUpdated": task.updated_at.isoformat()},
    }
    extensions: list[dict[str, Any]] = [{"url": requires_license_url(), "valueBoolean": task.requires_license}]
    if task.queue_id is not None and task.queue is not None:
        extensions.append({"url": queue_url(), "valueCode": task.queue.code})
    if task.recurrence:
        extensions.append({"url": recurrence_url(), "valueCode": task.recurrence})
    resource["extension"] = extensions
    resource["status"] = task.status
    if task.status_reason:
        resource["statusReason"] = {"text": task.status_reason}
    resource["intent"] = "order"
    resource["priority"] = task.priority
    label = str(TaskKind(task.kind).label) if task.kind in TaskKind.values else task.kind
    resource["code"] = {"coding": [coding(kind_system(), task.kind, label)], "text": label}
    resource["description"] = task.title
    if task.focus:
        resource["focus"] = focus_reference(task.focus)
    if task.patient_id is not None:
        resource["for"] = {"reference": f"Patient/{task.patient_id}"}
    if task.closed_at is not None:
        resource["executionPeriod"] = {"end": task.closed_at.isoformat()}
    resource["authoredOn"] = task.created_at.isoformat()
    resource["lastModified"] = task.updated_at.isoformat()
    if task.created_by_id is not None and task.created_by is not None:
        resource["requester"] = practitioner_reference(task.created_by)
    if task.owner_id is not None and task.owner is not None:
        resource["owner"] = practitioner_reference(task.owner)
    if task.reason:
        resource["reasonCode"] = {"coding": [coding(reason_system(), task.reason)]}
    notes: list[dict[str, Any]] = []
    if task.description:
        notes.append({"text": task.description})
    for comment in task.comments.all():
        note: dict[str, Any] = {"text": comment.text, "time": comment.created_at.isoformat()}
        if comment.author is not None:
            note["authorString"] = comment.author.get_full_name() or comment.author.username
        notes.append(note)
    if notes:
        resource["note"] = notes
    if task.due_at is not None:
        resource["restriction"] = {"period": {"end": task.due_at.isoformat()}}
    return resource
