"""Community referrals over FHIR: ServiceRequest/sdoh-<id> and Task/referral-<id> (Gravity SDOHCC shapes) read,
searched (merged with program referrals and care team tasks) and worked through Task updates; a referral received
as a transaction Bundle built from the Gravity IG's examples."""

from __future__ import annotations

import copy
import datetime
import json
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from carecoord.careplans.models import InterventionStatus
from carecoord.fhir.tests.conftest import as_user, outcome
from carecoord.programs.actions import refer_to_program
from carecoord.programs.models import Program
from carecoord.referrals.actions import Actor, change_status
from carecoord.referrals.models import Direction, EventChannel, Referral
from carecoord.referrals.states import MOVES, ReferralStatus, Side
from carecoord.referrals.tests.builders import plan_with_goal, send, world
from carecoord.tasks.actions import TaskData, create_task
from carecoord.tasks.models import TaskKind
from carecoord.testing.factories import make_organization, make_user

pytestmark = pytest.mark.django_db
S = ReferralStatus
GRAVITY = (
    Path(__file__).resolve().parents[4].parent / "shared" / "data" / "gravity-sdoh-ig" / "stu2-2.0.0-json-converted"
)
SDOHCC = "http://hl7.org/fhir/us/sdoh-clinicalcare/CodeSystem/SDOHCC-CodeSystemTemporaryCodes"
OUTCOME = "http://carecoord.org/fhir/CodeSystem/referral-outcome"
RESULTING = {"coding": [{"system": SDOHCC, "code": "resulting-activity"}]}


def ids(bundle: dict[str, Any]) -> list[str]:
    return [entry["resource"]["id"] for entry in bundle.get("entry", [])]


def test_read_as_each_side_shows_the_minimum_to_the_partner():
    w = world()
    referral = send(w)
    cm, carla, oscar = as_user(w.cm), as_user(w.carla), as_user(w.other_partner)

    own = cm.get(f"ServiceRequest/sdoh-{referral.pk}").resource
    assert own["subject"] == {"reference": f"Patient/{w.patient.pk}"}
    assert own["intent"] == "order" and own["status"] == "active"
    assert {"system": SDOHCC, "code": "food-insecurity", "display": "Food Insecurity"} in own["category"][1]["coding"]
    assert own["performer"][0]["reference"] == f"Organization/dir-{w.service.organization_id}"
    assert own["performer"][1]["reference"] == f"HealthcareService/{w.service.pk}"
    task = cm.get(f"Task/referral-{referral.pk}")
    assert task["ETag"] == 'W/"1"'
    body = task.resource
    assert body["status"] == "requested" and body["code"]["coding"][0]["code"] == "fulfill"
    assert body["focus"] == {"reference": f"ServiceRequest/sdoh-{referral.pk}"}
    assert body["owner"]["reference"] == f"Organization/{w.cbo.pk}"
    assert body["requester"]["reference"] == f"Organization/{w.agency.pk}"

    theirs = carla.get(f"Task/referral-{referral.pk}").resource
    assert theirs["for"]["reference"] == "#patient"
    contained = theirs["contained"][0]
    assert contained["name"] == [{"text": "María García"}] and "birthDate" not in contained
    assert "Patient/" not in json.dumps(theirs)
    assert "supportingInfo" not in carla.get(f"ServiceRequest/sdoh-{referral.pk}").resource

    outcome(oscar.get(f"Task/referral-{referral.pk}"), 403)
    outcome(oscar.get(f"ServiceRequest/sdoh-{referral.pk}"), 403)
    outcome(cm.get("Task/referral-00000000-0000-0000-0000-000000000000"), 404)
    outcome(cm.get("Task/referral-nonsense"), 404)


def test_task_search_by_owner_status_code_focus_and_last_updated():
    w = world()
    first, second = send(w), send(w, reason="Needs groceries this week")
    change_status(referral=second, to=S.ACCEPTED, actor=Actor(side=Side.TARGET, by=w.carla))
    carla = as_user(w.carla)
    owned = carla.get("Task", {"owner": f"Organization/{w.cbo.pk}"}).resource
    assert set(ids(owned)) == {f"referral-{first.pk}", f"referral-{second.pk}"}
    assert ids(carla.get("Task", {"status": "accepted"}).resource) == [f"referral-{second.pk}"]
    fulfil = carla.get("Task", {"code": "http://hl7.org/fhir/CodeSystem/task-code|fulfill"}).resource
    assert fulfil["total"] == 2
    assert carla.get("Task", {"code": "other"}).resource["total"] == 0
    focus = carla.get("Task", {"focus": f"ServiceRequest/sdoh-{first.pk}"}).resource
    assert ids(focus) == [f"referral-{first.pk}"]
    since = (second.updated_at - datetime.timedelta(seconds=1)).astimezone(datetime.UTC)
    polled = carla.get("Task", {"_lastUpdated": f"gt{since.strftime('%Y-%m-%dT%H:%M:%SZ')}"}).resource
    assert f"referral-{second.pk}" in ids(polled)
    later = (timezone.now() + datetime.timedelta(minutes=2)).astimezone(datetime.UTC)
    assert carla.get("Task", {"_lastUpdated": f"gt{later.strftime('%Y-%m-%dT%H:%M:%SZ')}"}).resource["total"] == 0
    # another partner's token finds none of them
    assert as_user(w.other_partner).get("Task", {"owner": f"Organization/{w.cbo.pk}"}).resource["total"] == 0
    # the referring side searches by requester
    cm = as_user(w.cm)
    assert cm.get("Task", {"requester": f"Organization/{w.agency.pk}", "code": "fulfill"}).resource["total"] == 2


def test_merged_searches_still_return_the_old_kinds():
    w = world()
    referral = send(w)
    care = create_task(
        data=TaskData(organization_id=w.agency.pk, title="Call about groceries", kind=TaskKind.FOLLOW_UP,
                      patient=w.patient, owner=w.cm),
        by=w.cm,
    )  # fmt: skip
    cm = as_user(w.cm)
    both = cm.get("Task", {"patient": f"Patient/{w.patient.pk}", "_include": "Task:patient"}).resource
    matched = [e["resource"]["id"] for e in both["entry"] if e["search"]["mode"] == "match"]
    assert set(matched) == {str(care.pk), f"referral-{referral.pk}"} and both["total"] == 2
    assert [e["resource"]["id"] for e in both["entry"] if e["search"]["mode"] == "include"] == [str(w.patient.pk)]
    only_care = cm.get("Task", {"code": "follow-up"}).resource
    assert ids(only_care) == [str(care.pk)]

    program = Program.objects.order_by("code").first()
    assert program is not None
    into_program = refer_to_program(
        patient=w.patient, program=program, receiving_organization=w.agency, source="provider", by=w.cm
    )
    requests = cm.get("ServiceRequest", {"patient": f"Patient/{w.patient.pk}"}).resource
    assert set(ids(requests)) == {str(into_program.pk), f"sdoh-{referral.pk}"}
    food = cm.get("ServiceRequest", {"category": f"{SDOHCC}|food-insecurity"}).resource
    assert ids(food) == [f"sdoh-{referral.pk}"]
    programs_only = cm.get("ServiceRequest", {"category": "http://snomed.info/sct|3457005"}).resource
    assert ids(programs_only) == [str(into_program.pk)]
    by_performer = cm.get("ServiceRequest", {"performer": f"HealthcareService/{w.service.pk}"}).resource
    assert ids(by_performer) == [f"sdoh-{referral.pk}"]
    assert cm.get("ServiceRequest", {"status": "active", "patient": f"Patient/{w.patient.pk}"}).resource["total"] == 2


def _put(client: Any, referral: Referral, status: str, **extra: Any) -> Any:
    body = client.get(f"Task/referral-{referral.pk}").resource
    body["status"] = status
    body.pop("statusReason", None)
    body.update(extra)
    return client.put(f"Task/referral-{referral.pk}", body)


def test_the_partner_works_the_referral_through_task_updates_and_the_plan_follows():
    w = world()
    goal, intervention = plan_with_goal(w)
    referral = send(w, goal=goal, intervention=intervention)
    carla = as_user(w.carla)
    accepted = _put(carla, referral, "accepted")
    assert accepted.status_code == 200, accepted.content
    assert accepted.resource["meta"]["versionId"] == "2" and accepted["ETag"] == 'W/"2"'
    intervention.refresh_from_db()
    assert intervention.status == InterventionStatus.IN_PROGRESS

    stale = _put(carla, referral, "in-progress")
    body = stale.resource
    body["status"] = "on-hold"
    outcome(carla.put(f"Task/referral-{referral.pk}", body, **{"If-Match": 'W/"1"'}), 412)

    today = timezone.localdate().isoformat()
    done = _put(
        carla,
        referral,
        "completed",
        output=[{"type": RESULTING, "valueCodeableConcept": {"text": f"{today}: Two weeks of groceries"}}],
        businessStatus={"coding": [{"system": OUTCOME, "code": "need-met"}], "text": "Enrolled in the pantry"},
    )
    assert done.status_code == 200, done.content
    referral.refresh_from_db()
    assert referral.status == S.COMPLETED and referral.outcome == "need-met"
    assert referral.outcome_note == "Enrolled in the pantry"
    assert [a.description for a in referral.activities.all()] == ["Two weeks of groceries"]
    assert {e.channel for e in referral.events.exclude(to_status=S.REQUESTED)} == {EventChannel.FHIR}
    answer = done.resource
    assert answer["businessStatus"]["coding"][0]["code"] == "need-met"
    assert answer["output"][0]["valueCodeableConcept"]["text"] == f"{today}: Two weeks of groceries"
    intervention.refresh_from_db()
    assert intervention.status == InterventionStatus.COMPLETED


def test_every_forbidden_move_is_422_and_the_other_sides_move_403():
    w = world()
    # one referral in each state the two sides can reach (draft is never sent)
    paths = {
        S.REQUESTED: [],
        S.ACCEPTED: [S.ACCEPTED],
        S.REJECTED: [S.REJECTED],
        S.CANCELLED: [S.CANCELLED],
        S.IN_PROGRESS: [S.ACCEPTED, S.IN_PROGRESS],
        S.ON_HOLD: [S.ACCEPTED, S.ON_HOLD],
        S.FAILED: [S.ACCEPTED, S.FAILED],
        S.COMPLETED: [S.ACCEPTED, S.COMPLETED],
        S.ENTERED_IN_ERROR: [S.ENTERED_IN_ERROR],
    }
    clients = {Side.REQUESTER: as_user(w.cm), Side.TARGET: as_user(w.carla)}
    users = {Side.REQUESTER: w.cm, Side.TARGET: w.carla}
    checked = 0
    for state, steps in paths.items():
        referral = send(w)
        for step in steps:
            side = Side.REQUESTER if step in (S.CANCELLED, S.ENTERED_IN_ERROR) else Side.TARGET
            change_status(referral=referral, to=step, actor=Actor(side=side, by=users[side]), reason="Because")
        for to in S.values:
            if to == state:
                continue
            allowed = MOVES.get((state, to), frozenset())
            for side, client in clients.items():
                if side in allowed:
                    continue
                response = _put(client, referral, to, statusReason={"text": "Because"})
                if allowed:
                    outcome(response, 403)
                else:
                    body = outcome(response, 422)
                    text = body["issue"][0]["diagnostics"]
                    assert state in text and to in text, text
                    assert body["issue"][0]["expression"] == ["Task.status"]
                checked += 1
        referral.refresh_from_db()
        assert referral.status == state
    assert checked > 100


def test_another_organizations_token_cannot_update():
    w = world()
    referral = send(w)
    oscar = as_user(w.other_partner)
    body = as_user(w.carla).get(f"Task/referral-{referral.pk}").resource
    body["status"] = "accepted"
    outcome(oscar.put(f"Task/referral-{referral.pk}", body), 403)
    referral.refresh_from_db()
    assert referral.status == S.REQUESTED


def gravity(kind: str, name: str) -> dict[str, Any]:
    return json.loads((GRAVITY / kind / f"{name}.json").read_text())


def gravity_bundle(owner: str) -> dict[str, Any]:
    """The Gravity IG's food pantry ServiceRequest, its referral Task (made requested, owned here) and its Patient."""
    patient = gravity("patient", "pat-53234")
    request = gravity("servicerequest", "SDOHCC-ServiceRequestActiveFoodPantryApplicationAssistExample")
    task = gravity("task", "SDOHCC-TaskReferralManagementOrderFulfillmentAcceptedExample")
    request.pop("reasonReference", None)  # a Condition the Bundle does not carry
    task = copy.deepcopy(task)
    task["status"] = "requested"
    task["owner"] = {"reference": owner, "display": "Community Food Pantry"}
    task.pop("requester", None)
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": f"Patient/{patient['id']}",
                "resource": patient,
                "request": {"method": "POST", "url": "Patient"},
            },
            {
                "fullUrl": f"ServiceRequest/{request['id']}",
                "resource": request,
                "request": {"method": "POST", "url": "ServiceRequest"},
            },
            {"fullUrl": f"Task/{task['id']}", "resource": task, "request": {"method": "POST", "url": "Task"}},
        ],
    }


@pytest.mark.skipif(not GRAVITY.is_dir(), reason="../shared/data is not present")
def test_a_referral_from_the_gravity_examples_is_received_for_the_partner():
    w = world()
    sender_org = make_organization("Outside Referral Platform", "care_management_agency")
    sender = as_user(make_user("platform_bot", role="care_manager", organization=sender_org))
    bundle = gravity_bundle(f"Organization/{w.cbo.pk}")
    answer = sender.post("", bundle)
    assert answer.status_code == 200, answer.content
    body = answer.resource
    assert body["type"] == "transaction-response"
    statuses = [e["response"]["status"] for e in body["entry"]]
    assert statuses == ["201 Created"] * 3
    task_location = body["entry"][2]["response"]["location"]
    referral = Referral.objects.get(direction=Direction.INCOMING)
    assert task_location.startswith(f"Task/referral-{referral.pk}/_history/")
    assert referral.need == "food-insecurity" and referral.target_organization == w.cbo
    assert referral.reason == "Assistance with application for food pantry program"
    assert referral.patient.family_name == "ABBAS" and referral.patient.birth_date == datetime.date(1987, 2, 20)
    assert referral.remote_task_id == "SDOHCC-TaskReferralManagementOrderFulfillmentAcceptedExample"
    # the partner sees it in its work list and may accept it
    carla = as_user(w.carla)
    assert f"referral-{referral.pk}" in ids(carla.get("Task", {"status": "requested"}).resource)
    assert _put(carla, referral, "accepted").status_code == 200
    # the same Task again is the same referral
    again = sender.post("", bundle)
    assert [e["response"]["status"] for e in again.resource["entry"]] == ["200 OK"] * 3
    assert Referral.objects.filter(direction=Direction.INCOMING).count() == 1


@pytest.mark.skipif(not GRAVITY.is_dir(), reason="../shared/data is not present")
def test_transactions_that_are_not_referrals_are_refused_without_writing():
    w = world()
    sender = as_user(w.cm)
    unknown_owner = gravity_bundle("Organization/00000000-0000-0000-0000-000000000000")
    body = outcome(sender.post("", unknown_owner), 422)
    assert body["issue"][0]["expression"] == ["Task.owner"]
    no_task = gravity_bundle(f"Organization/{w.cbo.pk}")
    no_task["entry"] = no_task["entry"][:2]
    outcome(sender.post("", no_task), 422)
    accepted = gravity_bundle(f"Organization/{w.cbo.pk}")
    accepted["entry"][2]["resource"]["status"] = "accepted"
    outcome(sender.post("", accepted), 422)
    batch = gravity_bundle(f"Organization/{w.cbo.pk}")
    batch["type"] = "batch"
    outcome(sender.post("", batch), 422)
    outcome(as_user(w.carla).post("", gravity_bundle(f"Organization/{w.other_cbo.pk}")), 403)
    outcome(sender.get(""), 405)
    assert not Referral.objects.filter(direction=Direction.INCOMING).exists()


def test_the_capability_statement_says_how_referrals_are_received(anonymous):
    statement = anonymous.get("metadata").resource
    rest = statement["rest"][0]
    assert [i["code"] for i in rest["interaction"]] == ["transaction"]
    types = {r["type"]: r for r in rest["resource"]}
    task_params = {p["name"] for p in types["Task"]["searchParam"]}
    assert {"owner", "requester", "status", "code", "focus", "_lastUpdated", "patient"} <= task_params
    request_params = {p["name"] for p in types["ServiceRequest"]["searchParam"]}
    assert {"patient", "status", "category", "performer"} <= request_params
    near = next(p for p in types["Location"]["searchParam"] if p["name"] == "near")
    assert near["type"] == "special" and near["definition"] == "http://hl7.org/fhir/SearchParameter/Location-near"
    outcomes = anonymous.get("CodeSystem/referral-outcome").resource
    assert "need-met" in [c["code"] for c in outcomes["concept"]]


def test_a_json_patch_moves_the_referral_and_a_failed_test_changes_nothing():
    w = world()
    referral = send(w)
    carla = as_user(w.carla)
    path = f"Task/referral-{referral.pk}"
    accept = [
        {"op": "test", "path": "/status", "value": "requested"},
        {"op": "replace", "path": "/status", "value": "accepted"},
    ]
    answer = carla.patch(path, accept, **{"If-Match": 'W/"1"'})
    assert answer.status_code == 200, answer.content
    assert answer.resource["status"] == "accepted" and answer["ETag"] == 'W/"2"'
    body = outcome(carla.patch(path, accept), 422)  # the test op fails: it is accepted now
    assert "requested" in body["issue"][0]["diagnostics"]
    today = timezone.localdate().isoformat()
    add = [
        {"op": "add", "path": "/output", "value": []},
        {
            "op": "add",
            "path": "/output/-",
            "value": {"type": RESULTING, "valueCodeableConcept": {"text": f"{today}: Intake call"}},
        },
    ]
    assert carla.patch(path, add).status_code == 200
    referral.refresh_from_db()
    assert [a.description for a in referral.activities.all()] == ["Intake call"] and referral.status == S.ACCEPTED
    outcome(carla.patch(path, [{"op": "replace", "path": "/status", "value": "requested"}]), 422)
    outcome(carla.patch(path, [{"op": "replace", "path": "/nothing/here", "value": 1}]), 400)
    outcome(
        carla.patch(
            path, [{"op": "replace", "path": "/status", "value": "completed"}], content_type="application/json"
        ),
        415,
    )
    outcome(as_user(w.cm).patch(f"Patient/{w.patient.pk}", [{"op": "replace", "path": "/active", "value": False}]), 405)
    referral.refresh_from_db()
    assert referral.status == S.ACCEPTED and referral.version == 3
