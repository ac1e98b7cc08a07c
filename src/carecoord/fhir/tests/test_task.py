"""FHIR Task over HTTP: read, create and update through the tasks actions (audited), every status move of the
FHIR Task state machine as the tasks app defines it (each invalid one 422 naming both statuses), licensed-only
work, search by each parameter with _include of the person, and what others may see."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from carecoord.audit.models import AuditRecord
from carecoord.fhir.tests.conftest import outcome
from carecoord.tasks.actions import TaskData, comment_on_task, create_task, licensed_queue, set_task_status
from carecoord.tasks.models import Task
from carecoord.testing.factories import make_patient

pytestmark = pytest.mark.django_db

BASE = "http://carecoord.org/fhir"
KIND = f"{BASE}/CodeSystem/task-kind"
QUEUE = f"{BASE}/StructureDefinition/task-queue"
LICENSED = f"{BASE}/StructureDefinition/task-requires-license"
ALL = (
    "draft",
    "requested",
    "received",
    "accepted",
    "rejected",
    "ready",
    "cancelled",
    "in-progress",
    "on-hold",
    "failed",
    "completed",
    "entered-in-error",
)
# Where a task may go, as the tasks app defines FHIR's state machine for care managers (tasks.actions.TRANSITIONS
# plus: any open task may be entered in error). draft, received and ready are never reached through the actions.
ALLOWED = {
    "requested": {"accepted", "rejected", "in-progress", "on-hold", "completed", "cancelled", "entered-in-error"},
    "accepted": {"in-progress", "on-hold", "completed", "failed", "cancelled", "entered-in-error"},
    "in-progress": {"on-hold", "completed", "failed", "cancelled", "entered-in-error"},
    "on-hold": {"in-progress", "cancelled", "failed", "entered-in-error"},
    "rejected": set(),
    "cancelled": set(),
    "failed": set(),
    "completed": set(),
    "entered-in-error": set(),
}
# How each starting status is reached through the actions: (owned at creation, moves)
ROUTES = {
    "requested": (False, []),
    "accepted": (True, []),
    "in-progress": (True, ["in-progress"]),
    "on-hold": (True, ["on-hold"]),
    "rejected": (False, ["rejected"]),
    "cancelled": (False, ["cancelled"]),
    "failed": (True, ["failed"]),
    "completed": (True, ["completed"]),
    "entered-in-error": (False, ["entered-in-error"]),
}


def practitioner(user):
    return f"Practitioner/{user.practitioner.pk}"


def task_at(status, *, org, by, patient, **extra):
    owned, moves = ROUTES[status]
    task = create_task(
        data=TaskData(
            organization_id=org.pk, title="Call about housing", patient=patient, owner=by if owned else None, **extra
        ),
        by=by,
    )
    for move in moves:
        set_task_status(task=task, status=move, by=by, reason="Because")
    assert task.status == status
    return task


def new_task(maria, **extra):
    return {
        "resourceType": "Task",
        "status": "requested",
        "intent": "order",
        "description": "Follow up on the food pantry referral",
        "for": {"reference": f"Patient/{maria.pk}"},
        **extra,
    }


def test_read_maps_the_task_and_an_unchanged_update_keeps_it(alice, alice_rn, agency, maria):
    due = timezone.now().replace(microsecond=0) + datetime.timedelta(days=2)
    task = create_task(
        data=TaskData(
            organization_id=agency.pk,
            title="Call about housing",
            description="Ask about the lease",
            kind="follow-up",
            priority="urgent",
            patient=maria,
            owner=alice_rn,
            due_at=due,
            focus=f"CarePlan/{maria.pk}",
            reason="housing-follow-up",
        ),
        by=alice_rn,
    )
    comment_on_task(task=task, text="Left a message", by=alice_rn)
    response = alice.get(f"Task/{task.pk}")
    assert response.status_code == 200
    body = response.resource
    assert (body["status"], body["intent"], body["priority"]) == ("accepted", "order", "urgent")
    assert body["code"]["coding"][0] == {"system": KIND, "code": "follow-up", "display": "Follow-up"}
    assert body["description"] == "Call about housing"
    assert body["for"] == {"reference": f"Patient/{maria.pk}"}
    assert body["focus"] == {"reference": f"CarePlan/{maria.pk}"}
    assert body["owner"]["reference"] == practitioner(alice_rn)
    assert body["requester"]["reference"] == practitioner(alice_rn)
    assert datetime.datetime.fromisoformat(body["restriction"]["period"]["end"]) == due
    assert [n["text"] for n in body["note"]] == ["Ask about the lease", "Left a message"]
    assert body["reasonCode"]["coding"][0]["code"] == "housing-follow-up"
    assert {"url": LICENSED, "valueBoolean": False} in body["extension"]
    assert AuditRecord.objects.filter(object_type="Task", object_id=str(task.pk), action="read").exists()
    again = alice.put(f"Task/{task.pk}", body)
    assert again.status_code == 200, again.content
    assert again.resource == body


def test_create_through_the_action_owned_or_in_a_licensed_queue(alice, alice_rn, bob_coordinator, agency, maria):
    due = "2030-03-04T10:00:00-05:00"
    posted = new_task(
        maria,
        status="accepted",
        owner={"reference": practitioner(alice_rn)},
        priority="asap",
        code={"coding": [{"system": KIND, "code": "outreach"}]},
        restriction={"period": {"end": due}},
        note=[{"text": "Try the mobile first"}],
    )
    response = alice.post("Task", posted)
    assert response.status_code == 201, response.content
    created = response.resource
    assert response["Location"].endswith(f"/Task/{created['id']}")
    stored = Task.objects.get(pk=created["id"])
    assert (stored.owner_id, stored.status, stored.priority, stored.kind) == (
        alice_rn.pk,
        "accepted",
        "asap",
        "outreach",
    )
    assert (stored.patient_id, stored.description) == (maria.pk, "Try the mobile first")
    assert stored.due_at == datetime.datetime.fromisoformat(due)
    assert AuditRecord.objects.filter(object_type="Task", object_id=created["id"], action="create").exists()

    queue = licensed_queue(agency.pk)
    licensed = new_task(
        maria,
        extension=[{"url": LICENSED, "valueBoolean": True}, {"url": QUEUE, "valueCode": queue.code}],
        restriction={"period": {"end": "2030-03-05"}},
    )
    response = alice.post("Task", licensed)
    assert response.status_code == 201, response.content
    stored = Task.objects.get(pk=response.resource["id"])
    assert (stored.queue_id, stored.requires_license, stored.status) == (queue.pk, True, "requested")
    assert timezone.localtime(stored.due_at).time() == datetime.time(17, 0)
    # licensed work given to an unlicensed owner: the action refuses it, naming the owner
    refused = new_task(
        maria,
        status="accepted",
        owner={"reference": practitioner(bob_coordinator)},
        extension=[{"url": LICENSED, "valueBoolean": True}],
    )
    issue = outcome(alice.post("Task", refused), 400)["issue"][0]
    assert issue["expression"] == ["Task.owner"] and "licensed" in issue["diagnostics"]


def test_create_refuses_bad_input(alice, bob, alice_rn, maria):
    outcome(alice.post("Task", b"[]"), 400)
    outcome(alice.post("Task", new_task(maria, status="accepted")), 400)  # accepted needs an owner
    outcome(alice.post("Task", new_task(maria, intent="plan")), 400)
    outcome(alice.post("Task", new_task(maria, code={"coding": [{"system": KIND, "code": "nap"}]})), 400)
    outcome(alice.post("Task", new_task(maria, owner={"reference": "Organization/1"}, status="accepted")), 400)
    outcome(alice.post("Task", new_task(maria, restriction={"period": {"end": "2030-03-05T10:00:00"}})), 400)
    outcome(alice.post("Task", new_task(maria, extension=[{"url": QUEUE, "valueCode": "nobody"}])), 400)
    assert outcome(alice.post("Task", new_task(maria, description=" ")), 400)["issue"][0]["expression"] == [
        "Task.description"
    ]
    assert not Task.objects.exists()


@pytest.mark.parametrize("start", list(ALLOWED))
def test_every_status_move_follows_the_state_machine(alice, alice_rn, agency, maria, start):
    stuck = task_at(start, org=agency, by=alice_rn, patient=maria)
    body = alice.get(f"Task/{stuck.pk}").resource
    for target in ALL:
        if target == start:
            continue
        wanted = {**body, "status": target, "statusReason": {"text": "Because"}}
        if target in ALLOWED[start]:
            moving = task_at(start, org=agency, by=alice_rn, patient=maria)
            response = alice.put(f"Task/{moving.pk}", {**wanted, "id": str(moving.pk)})
            assert response.status_code == 200, (start, target, response.content)
            assert response.resource["status"] == target
            moving.refresh_from_db()
            assert moving.status == target
        else:
            issue = outcome(alice.put(f"Task/{stuck.pk}", wanted), 422)["issue"][0]
            assert f"from {start} to {target}" in issue["diagnostics"], issue
            assert issue["expression"] == ["Task.status"]
    stuck.refresh_from_db()
    assert stuck.status == start


def test_update_hands_over_comments_and_refuses_other_changes(
    alice, bob, alice_rn, bob_coordinator, sam_supervisor, agency, maria
):
    task = task_at("accepted", org=agency, by=alice_rn, patient=maria)
    body = alice.get(f"Task/{task.pk}").resource
    handed = alice.put(f"Task/{task.pk}", {**body, "owner": {"reference": practitioner(bob_coordinator)}})
    assert handed.status_code == 200, handed.content
    assert handed.resource["owner"]["reference"] == practitioner(bob_coordinator)
    noted = bob.put(f"Task/{task.pk}", {**handed.resource, "note": [{"text": "Called twice"}]})
    assert [n["text"] for n in noted.resource["note"]] == ["Called twice"]
    # back to a queue
    queue = licensed_queue(agency.pk)
    body = noted.resource
    queued = {k: v for k, v in body.items() if k != "owner"} | {"status": "requested"}
    queued["extension"] = [*body["extension"], {"url": QUEUE, "valueCode": queue.code}]
    outcome(alice.put(f"Task/{task.pk}", {k: v for k, v in body.items() if k != "owner"}), 400)  # which queue?
    response = alice.put(f"Task/{task.pk}", queued)
    assert response.status_code == 200, response.content
    task.refresh_from_db()
    assert (task.owner_id, task.queue_id, task.status) == (None, queue.pk, "requested")
    changes = AuditRecord.objects.filter(object_type="Task", object_id=str(task.pk), action="update")
    assert {r.detail.get("change") for r in changes} >= {"assign", "comment"}
    # nothing else changes through an update
    for element, value in (("priority", "stat"), ("description", "Something else"), ("for", None)):
        changed = {**response.resource, element: value} if value else {**response.resource}
        if value is None:
            changed[element] = {"reference": f"Patient/{make_patient(alice_rn).pk}"}
        issue = outcome(alice.put(f"Task/{task.pk}", changed), 422)["issue"][0]
        assert issue["expression"] == [f"Task.{element}"]


def test_licensed_work_stays_with_the_licensed(alice, bob, alice_rn, bob_coordinator, agency, maria):
    queue = licensed_queue(agency.pk)
    task = create_task(
        data=TaskData(
            organization_id=agency.pk, title="Safety check", patient=maria, queue=queue, requires_license=True
        ),
        by=alice_rn,
    )
    body = alice.get(f"Task/{task.pk}").resource
    given = {**body, "owner": {"reference": practitioner(bob_coordinator)}}
    assert outcome(alice.put(f"Task/{task.pk}", given), 400)["issue"][0]["expression"] == ["Task.owner"]
    outcome(bob.put(f"Task/{task.pk}", given), 403)  # taking it himself
    outcome(bob.put(f"Task/{task.pk}", {**body, "status": "completed"}), 403)
    task.refresh_from_db()
    assert (task.owner_id, task.status) == (None, "requested")
    done = alice.put(f"Task/{task.pk}", {**body, "status": "completed"})
    assert done.status_code == 200 and done.resource["owner"]["reference"] == practitioner(alice_rn)


def test_search_by_each_parameter_with_the_person_included(alice, alice_rn, bob_coordinator, agency, maria):
    other = make_patient(alice_rn)
    now = timezone.now()
    mine = create_task(
        data=TaskData(
            organization_id=agency.pk,
            title="Mine",
            patient=maria,
            owner=alice_rn,
            priority="urgent",
            kind="follow-up",
            due_at=now + datetime.timedelta(days=3),
            focus=f"CarePlan/{other.pk}",
        ),
        by=alice_rn,
    )
    bobs = create_task(
        data=TaskData(organization_id=agency.pk, title="Bob's", patient=other, owner=bob_coordinator, kind="outreach"),
        by=alice_rn,
    )
    office = create_task(data=TaskData(organization_id=agency.pk, title="Order toner"), by=alice_rn)
    set_task_status(task=office, status="in-progress", by=alice_rn)

    def ids(params):
        response = alice.get("Task", params)
        assert response.status_code == 200, response.content
        return {e["resource"]["id"] for e in response.resource.get("entry", []) if e["search"]["mode"] == "match"}

    everything = {str(mine.pk), str(bobs.pk), str(office.pk)}
    assert ids({}) == everything
    assert ids({"patient": f"Patient/{maria.pk}"}) == {str(mine.pk)}
    assert ids({"status": "accepted"}) == {str(mine.pk), str(bobs.pk)}
    assert ids({"status": "in-progress"}) == {str(office.pk)}
    assert ids({"owner": practitioner(bob_coordinator)}) == {str(bobs.pk)}
    assert ids({"priority": "urgent"}) == {str(mine.pk)}
    assert ids({"priority": "routine"}) == {str(bobs.pk), str(office.pk)}
    assert ids({"code": "outreach"}) == ids({"code": f"{KIND}|outreach"}) == {str(bobs.pk)}
    assert ids({"code": "http://elsewhere|outreach"}) == set()
    day = timezone.localdate(mine.due_at).isoformat()
    assert ids({"due-date": day}) == {str(mine.pk)}
    assert ids({"due-date": f"gt{day}"}) == set()
    assert ids({"focus": f"CarePlan/{other.pk}"}) == {str(mine.pk)}
    assert ids({"_id": f"{bobs.pk},{office.pk}"}) == {str(bobs.pk), str(office.pk)}

    bundle = alice.get("Task", {"status": "accepted", "_include": "Task:patient"}).resource
    included = {e["resource"]["id"] for e in bundle["entry"] if e["search"]["mode"] == "include"}
    assert included == {str(maria.pk), str(other.pk)}
    assert all(e["resource"]["resourceType"] == "Patient" for e in bundle["entry"] if e["search"]["mode"] == "include")
    reads = AuditRecord.objects.filter(object_type="Patient", action="read", patient_id__in=[maria.pk, other.pk])
    assert reads.count() >= 2  # an included person is read through the person's access check
    outcome(alice.get("Task", {"_include": "Task:owner"}), 400)
    outcome(alice.get("Task", {"due-date": "soon"}), 400)


def test_another_organizations_user_gets_nothing(eve, alice_rn, agency, maria):
    task = task_at("accepted", org=agency, by=alice_rn, patient=maria)
    outcome(eve.get(f"Task/{task.pk}"), 403)
    outcome(eve.get("Task", {"patient": f"Patient/{maria.pk}"}), 403)
    assert eve.get("Task").resource["total"] == 0
    outcome(eve.put(f"Task/{task.pk}", {**new_task(maria), "id": str(task.pk)}), 403)
    outcome(eve.post("Task", new_task(maria)), 403)
    outcome(eve.get("Task/not-a-task"), 404)
