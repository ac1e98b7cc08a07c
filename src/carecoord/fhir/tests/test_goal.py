"""FHIR Goal over HTTP: read, create and update through the care plan goal actions (audited on the plan), the
goal lifecycle (invalid moves 422), clinical goals for licensed users only, search by each parameter, and what
others may see."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from carecoord.audit.models import AuditRecord
from carecoord.careplans.actions import GoalData, add_goal, add_goal_progress, set_goal_status, start_care_plan
from carecoord.careplans.models import Goal
from carecoord.fhir.tests.conftest import outcome
from carecoord.fhir.tests.test_care_plan import enrolled
from carecoord.testing.factories import make_patient

pytestmark = pytest.mark.django_db

BASE = "http://carecoord.org/fhir"
LOINC = "http://loinc.org"
PLAN = f"{BASE}/StructureDefinition/goal-care-plan"
CATEGORY = f"{BASE}/CodeSystem/goal-category"
ACHIEVEMENT = "http://terminology.hl7.org/CodeSystem/goal-achievement"


@pytest.fixture
def plan(maria, alice_rn):
    return start_care_plan(patient=maria, enrollment=enrolled(maria, alice_rn), by=alice_rn)


@pytest.fixture
def pressure(plan, alice_rn):
    goal = add_goal(
        plan=plan,
        data=GoalData(
            description="Lower blood pressure",
            own_words="I want to feel less dizzy",
            measure_code="8480-6",
            measure_display="Systolic blood pressure",
            comparator="<",
            target_value=130,
            target_unit="mm[Hg]",
            due_date=datetime.date(2030, 6, 30),
        ),
        by=alice_rn,
        status="active",
    )
    add_goal_progress(goal=goal, text="Walked three times this week", by=alice_rn)
    return goal


def new_goal(plan, **extra):
    return {
        "resourceType": "Goal",
        "extension": [{"url": PLAN, "valueReference": {"reference": f"CarePlan/{plan.pk}"}}],
        "lifecycleStatus": "proposed",
        "description": {"text": "Find stable housing"},
        "subject": {"reference": f"Patient/{plan.patient_id}"},
        **extra,
    }


def test_read_maps_the_goal_and_an_unchanged_update_writes_nothing(alice, plan, pressure, maria):
    response = alice.get(f"Goal/{pressure.pk}")
    assert response.status_code == 200
    body = response.resource
    assert (body["lifecycleStatus"], body["description"]["text"]) == ("active", "Lower blood pressure")
    assert body["achievementStatus"]["coding"] == [{"system": ACHIEVEMENT, "code": "in-progress"}]
    assert body["category"][0]["coding"][0]["code"] == "clinical"
    assert body["subject"] == {"reference": f"Patient/{maria.pk}"}
    assert {"url": PLAN, "valueReference": {"reference": f"CarePlan/{plan.pk}"}} in body["extension"]
    (target,) = body["target"]
    assert target["measure"]["coding"] == [{"system": LOINC, "code": "8480-6", "display": "Systolic blood pressure"}]
    assert target["detailQuantity"] == {"value": 130, "comparator": "<", "unit": "mm[Hg]"}
    assert target["dueDate"] == "2030-06-30"
    assert [n["text"] for n in body["note"]] == ["Walked three times this week"]
    assert body["note"][0]["authorString"] == "Alice Nguyen"
    assert AuditRecord.objects.filter(object_type="CarePlan", object_id=str(plan.pk), action="read").exists()
    plan.refresh_from_db()
    before = plan.version
    again = alice.put(f"Goal/{pressure.pk}", body)
    assert again.status_code == 200, again.content
    assert again.resource == body
    plan.refresh_from_db()
    assert plan.version == before


def test_create_adds_a_goal_through_the_action(alice, bob, alice_rn, plan, maria):
    posted = new_goal(
        plan,
        target=[{"measure": {"text": "Nights housed"}, "detailQuantity": {"value": 30}, "dueDate": "2030-01-31"}],
        note=[{"text": "Applied to two programs"}],
    )
    response = bob.post("Goal", posted)  # a coordinator sets non-clinical goals
    assert response.status_code == 201, response.content
    created = response.resource
    assert response["Location"].endswith(f"/Goal/{created['id']}")
    goal = Goal.objects.get(pk=created["id"])
    assert (goal.plan_id, goal.description, goal.lifecycle_status) == (plan.pk, "Find stable housing", "proposed")
    assert (goal.measure_text, goal.comparator, goal.target_value) == ("Nights housed", "=", 30)
    assert [n.text for n in goal.progress_notes.all()] == ["Applied to two programs"]
    assert created["category"][0]["coding"][0]["code"] == "non-clinical"
    assert "comparator" not in created["target"][0]["detailQuantity"]  # exactly 30
    audit = AuditRecord.objects.filter(object_type="CarePlan", object_id=str(plan.pk), action="update")
    assert any(r.detail.get("goal") == created["id"] for r in audit)
    # without the extension: the person's one living plan with the user's organization
    by_person = new_goal(plan, description={"text": "See the dentist"})
    del by_person["extension"]
    response = alice.post("Goal", by_person)
    assert response.status_code == 201, response.content
    assert {"url": PLAN, "valueReference": {"reference": f"CarePlan/{plan.pk}"}} in response.resource["extension"]
    # clinical goals are for licensed users
    clinical = new_goal(plan, category=[{"coding": [{"system": CATEGORY, "code": "clinical"}]}])
    outcome(bob.post("Goal", clinical), 403)
    assert alice.post("Goal", clinical).status_code == 201


def test_create_refuses_bad_input(alice, alice_rn, plan, maria):
    outcome(alice.post("Goal", new_goal(plan, lifecycleStatus="completed")), 400)
    outcome(alice.post("Goal", new_goal(plan, description={"text": " "})), 400)
    outcome(alice.post("Goal", {k: v for k, v in new_goal(plan).items() if k != "description"}), 400)
    coded = new_goal(plan, target=[{"measure": {"coding": [{"system": "http://snomed.info/sct", "code": "1"}]}}])
    outcome(alice.post("Goal", coded), 400)
    outcome(alice.post("Goal", new_goal(plan, target=[{"dueDate": "2030-02"}])), 400)
    no_unit_measure = new_goal(plan, target=[{"detailQuantity": {"value": 3}}])
    assert outcome(alice.post("Goal", no_unit_measure), 400)["issue"][0]["expression"] == ["Goal.target[0].measure"]
    stranger = make_patient(alice_rn)
    outcome(alice.post("Goal", new_goal(plan, subject={"reference": f"Patient/{stranger.pk}"})), 400)
    homeless = new_goal(plan, subject={"reference": f"Patient/{stranger.pk}"})
    del homeless["extension"]
    outcome(alice.post("Goal", homeless), 400)  # no living plan for that person
    assert not Goal.objects.exists()


def test_update_changes_target_notes_progress_and_moves_the_lifecycle(alice, alice_rn, plan, pressure):
    body = alice.get(f"Goal/{pressure.pk}").resource
    body["target"][0]["detailQuantity"]["value"] = 125
    body["note"].append({"text": "BP 128/80 today"})
    changed = alice.put(f"Goal/{pressure.pk}", body)
    assert changed.status_code == 200, changed.content
    pressure.refresh_from_db()
    assert pressure.target_value == 125
    assert [n.text for n in pressure.progress_notes.all()] == ["Walked three times this week", "BP 128/80 today"]
    body = changed.resource
    outcome(alice.put(f"Goal/{pressure.pk}", {**body, "lifecycleStatus": "on-hold"}), 400)  # say why
    outcome(alice.put(f"Goal/{pressure.pk}", {**body, "lifecycleStatus": "rejected", "statusReason": "No"}), 422)
    done = {
        **body,
        "lifecycleStatus": "completed",
        "achievementStatus": {"coding": [{"system": ACHIEVEMENT, "code": "achieved"}]},
    }
    response = alice.put(f"Goal/{pressure.pk}", done)
    assert response.status_code == 200, response.content
    assert response.resource["lifecycleStatus"] == "completed"
    assert response.resource["achievementStatus"]["coding"][0]["code"] == "achieved"
    refused = outcome(alice.put(f"Goal/{pressure.pk}", {**response.resource, "lifecycleStatus": "active"}), 422)
    assert refused["issue"][0]["expression"] == ["Goal.lifecycleStatus"]
    statuses = [
        r.detail.get("status")
        for r in AuditRecord.objects.filter(object_type="CarePlan", object_id=str(plan.pk), action="update")
    ]
    assert "completed" in statuses
    other = start_care_plan(patient=make_patient(alice_rn), by=alice_rn)
    moved = {**response.resource, "extension": [{"url": PLAN, "valueReference": {"reference": f"CarePlan/{other.pk}"}}]}
    outcome(alice.put(f"Goal/{pressure.pk}", moved), 400)


def test_search_by_each_parameter(alice, alice_rn, plan, pressure, maria):
    housing = add_goal(
        plan=plan,
        data=GoalData(description="Find housing", due_date=datetime.date(2029, 1, 31)),
        by=alice_rn,
        status="proposed",
    )
    elsewhere = start_care_plan(patient=make_patient(alice_rn), by=alice_rn)
    dropped = add_goal(plan=elsewhere, data=GoalData(description="Quit smoking"), by=alice_rn)
    set_goal_status(goal=dropped, status="rejected", by=alice_rn, reason="Not now")

    def ids(params):
        response = alice.get("Goal", params)
        assert response.status_code == 200, response.content
        return {e["resource"]["id"] for e in response.resource.get("entry", [])}

    p, h, d = str(pressure.pk), str(housing.pk), str(dropped.pk)
    assert ids({}) == {p, h, d}
    assert ids({"patient": f"Patient/{maria.pk}"}) == {p, h}
    assert ids({"lifecycle-status": "rejected"}) == {d}
    assert ids({"lifecycle-status": "active,proposed"}) == {p, h}
    assert ids({"achievement-status": "in-progress"}) == ids({"achievement-status": f"{ACHIEVEMENT}|in-progress"})
    assert ids({"achievement-status": "in-progress"}) == {p}
    assert ids({"category": "clinical"}) == {p}
    assert ids({"category": f"{CATEGORY}|non-clinical"}) == {h, d}
    assert ids({"target-date": "2029-01"}) == {h}
    assert ids({"target-date": "ge2030"}) == {p}
    assert ids({"_id": d}) == {d}
    today = timezone.localdate().isoformat()
    assert ids({"_lastUpdated": f"ge{today}"}) == {p, h, d}
    outcome(alice.get("Goal", {"target-date": "June"}), 400)
    outcome(alice.get("Goal", {"_include": "Goal:patient"}), 400)


def test_another_organizations_user_sees_nothing(eve, plan, pressure, maria):
    outcome(eve.get(f"Goal/{pressure.pk}"), 403)
    outcome(eve.get("Goal", {"patient": f"Patient/{maria.pk}"}), 403)
    assert eve.get("Goal").resource["total"] == 0
    outcome(eve.post("Goal", new_goal(plan)), 403)
    outcome(eve.put(f"Goal/{pressure.pk}", {**new_goal(plan), "id": str(pressure.pk)}), 403)
    outcome(eve.get("Goal/00000000-0000-0000-0000-000000000000"), 404)
