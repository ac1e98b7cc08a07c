"""FHIR CarePlan over HTTP: read and vread of stored versions, search by each parameter with _include of goals,
create and update through the care plan actions (audited), and what others may see."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from carecoord.audit.models import AuditRecord
from carecoord.careplans.actions import (
    GoalData,
    InterventionData,
    add_goal,
    add_intervention,
    set_plan_status,
    start_care_plan,
)
from carecoord.careplans.models import CarePlan
from carecoord.consents.actions import ConsentData, record_consent
from carecoord.fhir.tests.conftest import outcome
from carecoord.programs.actions import enroll
from carecoord.programs.models import Program
from carecoord.testing.factories import make_patient

pytestmark = pytest.mark.django_db

BASE = "http://carecoord.org/fhir"
STATUS_REASON = f"{BASE}/StructureDefinition/status-reason"


def enrolled(patient, by, program="ny-hh-adult"):
    record_consent(
        patient=patient,
        data=ConsentData(form="DOH-5055", signed_on=timezone.localdate(), partners=[by.organization]),
        by=by,
    )
    return enroll(patient=patient, program=Program.objects.get(code=program), by=by, care_manager=by)


@pytest.fixture
def enrollment(maria, alice_rn):
    return enrolled(maria, alice_rn)


@pytest.fixture
def plan(maria, alice_rn, enrollment):
    return start_care_plan(patient=maria, enrollment=enrollment, by=alice_rn)


@pytest.fixture
def furnished(plan, alice_rn):
    """The plan with a measured goal and an intervention toward it (version 3)."""
    goal = add_goal(
        plan=plan,
        data=GoalData(
            description="Lower blood pressure",
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
    add_intervention(
        plan=plan,
        data=InterventionData(
            description="Weekly BP check by phone",
            performer="care-manager",
            goal=goal,
            performer_user=alice_rn,
            due_date=datetime.date(2030, 1, 15),
        ),
        by=alice_rn,
    )
    plan.refresh_from_db()
    return plan, goal


def new_plan(maria, enrollment, **extra):
    return {
        "resourceType": "CarePlan",
        "status": "draft",
        "intent": "plan",
        "subject": {"reference": f"Patient/{maria.pk}"},
        "supportingInfo": [{"reference": f"EpisodeOfCare/{enrollment.pk}"}],
        **extra,
    }


def test_read_maps_the_plan_its_goals_and_interventions(alice, furnished, maria, enrollment):
    plan, goal = furnished
    response = alice.get(f"CarePlan/{plan.pk}")
    assert response.status_code == 200
    assert response["ETag"] == f'W/"{plan.version}"'
    body = response.resource
    assert body["meta"]["versionId"] == str(plan.version) == "3"
    assert (body["status"], body["intent"], body["subject"]["reference"]) == ("draft", "plan", f"Patient/{maria.pk}")
    codes = {(c["system"], c["code"]) for concept in body["category"] for c in concept["coding"]}
    assert codes == {
        ("http://hl7.org/fhir/us/core/CodeSystem/careplan-category", "assess-plan"),
        (f"{BASE}/CodeSystem/program", "ny-hh-adult"),
    }
    assert body["title"].endswith("care plan")
    assert body["supportingInfo"] == [{"reference": f"EpisodeOfCare/{enrollment.pk}"}]
    assert body["goal"] == [{"reference": f"Goal/{goal.pk}", "display": "Lower blood pressure"}]
    assert body["period"] == {"start": timezone.localdate().isoformat()}
    (activity,) = body["activity"]
    detail = activity["detail"]
    assert detail["description"] == "Weekly BP check by phone"
    assert detail["status"] == "not-started"
    assert detail["goal"] == [{"reference": f"Goal/{goal.pk}"}]
    assert detail["scheduledPeriod"] == {"end": "2030-01-15"}
    assert detail["performer"] == [{"display": "Alice Nguyen"}]
    assert detail["extension"][0]["valueReference"]["reference"].startswith("Task/")
    assert AuditRecord.objects.filter(object_type="CarePlan", object_id=str(plan.pk), action="read").exists()


def test_vread_gives_each_stored_version(alice, furnished):
    plan, _ = furnished
    first = alice.get(f"CarePlan/{plan.pk}/_history/1")
    assert first.status_code == 200
    assert first.resource["meta"]["versionId"] == "1"
    assert "goal" not in first.resource and "activity" not in first.resource
    second = alice.get(f"CarePlan/{plan.pk}/_history/2").resource
    assert [g["display"] for g in second["goal"]] == ["Lower blood pressure"] and "activity" not in second
    outcome(alice.get(f"CarePlan/{plan.pk}/_history/9"), 404)
    outcome(alice.get(f"CarePlan/{plan.pk}/_history/x"), 404)
    outcome(alice.get("CarePlan/not-an-id"), 404)


def test_create_starts_a_plan_through_the_action(alice, alice_rn, maria, enrollment):
    body = new_plan(maria, enrollment, status="active", description="Stay in my apartment")
    response = alice.post("CarePlan", body)
    assert response.status_code == 201, response.content
    created = response.resource
    assert response["Location"].endswith(f"/CarePlan/{created['id']}")
    assert (created["status"], created["description"]) == ("active", "Stay in my apartment")
    stored = CarePlan.objects.get(pk=created["id"])
    assert (stored.status, stored.what_matters, stored.enrollment_id) == (
        "active",
        "Stay in my apartment",
        enrollment.pk,
    )
    assert created["meta"]["versionId"] == str(stored.version) == "3"  # started, details, activated
    audit = AuditRecord.objects.filter(object_type="CarePlan", object_id=created["id"]).values_list("action", flat=True)
    assert {"create", "update"} <= set(audit)
    # one living plan per episode: the action refuses a second
    assert outcome(alice.post("CarePlan", new_plan(maria, enrollment)), 422)["issue"][0]["code"] == "business-rule"


def test_create_refuses_bad_input(alice, bob, maria, enrollment):
    outcome(alice.post("CarePlan", b"{not json"), 400)
    outcome(alice.post("CarePlan", {"resourceType": "Goal"}), 400)
    outcome(alice.post("CarePlan", new_plan(maria, enrollment, status="completed")), 400)
    outcome(alice.post("CarePlan", new_plan(maria, enrollment, goal=[{"reference": "Goal/x"}])), 400)
    no_subject = new_plan(maria, enrollment)
    del no_subject["subject"]
    outcome(alice.post("CarePlan", no_subject), 400)
    bad_episode = new_plan(maria, enrollment, supportingInfo=[{"reference": f"EpisodeOfCare/{maria.pk}"}])
    outcome(alice.post("CarePlan", bad_episode), 400)
    # a coordinator may not start a plan
    outcome(bob.post("CarePlan", new_plan(maria, enrollment)), 403)
    assert not CarePlan.objects.exists()


def test_update_moves_status_and_description_through_the_actions(alice, alice_rn, furnished):
    plan, goal = furnished
    current = alice.get(f"CarePlan/{plan.pk}").resource
    assert alice.put(f"CarePlan/{plan.pk}", current).resource["meta"]["versionId"] == "3"  # nothing changed
    # draft cannot go straight to completed: the plan's rule says so (422)
    refused = outcome(alice.put(f"CarePlan/{plan.pk}", {**current, "status": "completed"}), 422)
    assert refused["issue"][0]["expression"] == ["CarePlan.status"]
    active = alice.put(f"CarePlan/{plan.pk}", {**current, "status": "active", "description": "Be home for my kids"})
    assert active.status_code == 200, active.content
    assert (active.resource["status"], active.resource["description"]) == ("active", "Be home for my kids")
    # a hold says why
    held = {**active.resource, "status": "on-hold"}
    outcome(alice.put(f"CarePlan/{plan.pk}", held), 400)
    held["extension"] = [{"url": STATUS_REASON, "valueString": "In hospital"}]
    on_hold = alice.put(f"CarePlan/{plan.pk}", held, **{"If-Match": active["ETag"]})
    assert on_hold.status_code == 200, on_hold.content
    assert on_hold.resource["extension"] == [{"url": STATUS_REASON, "valueString": "In hospital"}]
    plan.refresh_from_db()
    assert (plan.status, plan.status_reason, plan.what_matters) == ("on-hold", "In hospital", "Be home for my kids")
    # a stale version is refused
    outcome(alice.put(f"CarePlan/{plan.pk}", on_hold.resource, **{"If-Match": 'W/"1"'}), 412)
    changes = AuditRecord.objects.filter(object_type="CarePlan", object_id=str(plan.pk), action="update")
    assert changes.count() >= 5  # goal, intervention, details, active, on hold
    # what cannot change
    outcome(alice.put(f"CarePlan/{plan.pk}", {**current, "subject": {"reference": "Patient/" + str(goal.pk)}}), 400)
    outcome(alice.put(f"CarePlan/{plan.pk}", {**current, "goal": [{"reference": f"Goal/{plan.pk}"}]}), 400)
    outcome(alice.put(f"CarePlan/{plan.pk}", {**current, "id": "other"}), 400)


def test_search_by_each_parameter_with_goals_included(alice, alice_rn, furnished, maria):
    plan, goal = furnished
    other = make_patient(alice_rn)
    outside = start_care_plan(patient=other, by=alice_rn)  # care outside programs
    set_plan_status(plan=outside, status="active", by=alice_rn)

    def ids(params):
        response = alice.get("CarePlan", params)
        assert response.status_code == 200, response.content
        return {e["resource"]["id"] for e in response.resource.get("entry", []) if e["search"]["mode"] == "match"}

    both = {str(plan.pk), str(outside.pk)}
    assert ids({}) == both
    assert ids({"patient": f"Patient/{maria.pk}"}) == ids({"subject": str(maria.pk)}) == {str(plan.pk)}
    assert ids({"status": "active"}) == {str(outside.pk)}
    assert ids({"status": "draft,active"}) == both
    assert (
        ids({"category": "ny-hh-adult"})
        == ids({"category": f"{BASE}/CodeSystem/program|ny-hh-adult"})
        == {str(plan.pk)}
    )
    assert ids({"category": "assess-plan"}) == both
    assert ids({"category": "medicare-ccm"}) == set()
    today = timezone.localdate()
    assert ids({"date": today.isoformat()}) == both
    assert ids({"date": f"lt{today.isoformat()}"}) == set()
    assert ids({"_id": str(outside.pk)}) == {str(outside.pk)}

    bundle = alice.get("CarePlan", {"patient": str(maria.pk), "_include": "CarePlan:goal"}).resource
    modes = {(e["resource"]["resourceType"], e["resource"]["id"]): e["search"]["mode"] for e in bundle["entry"]}
    assert modes == {("CarePlan", str(plan.pk)): "match", ("Goal", str(goal.pk)): "include"}
    assert bundle["total"] == 1
    assert "_include=CarePlan%3Agoal" in bundle["link"][0]["url"]
    audit = AuditRecord.objects.filter(object_type="CarePlan", action="search").latest("pk")
    assert audit.detail["included"] == [f"Goal/{goal.pk}"]
    assert "entry" not in alice.get("CarePlan", {"status": "revoked", "_include": "CarePlan:goal"}).resource
    refused = outcome(alice.get("CarePlan", {"_include": "CarePlan:patient"}), 400)
    assert "CarePlan:goal" in refused["issue"][0]["diagnostics"]
    outcome(alice.get("CarePlan", {"status:exact": "active"}), 400)


def test_another_organizations_user_sees_nothing(eve, furnished, maria, enrollment):
    plan, _ = furnished
    outcome(eve.get(f"CarePlan/{plan.pk}"), 403)
    outcome(eve.get(f"CarePlan/{plan.pk}/_history/1"), 403)
    outcome(eve.get("CarePlan", {"patient": f"Patient/{maria.pk}"}), 403)
    assert eve.get("CarePlan").resource["total"] == 0
    outcome(eve.put(f"CarePlan/{plan.pk}", {**new_plan(maria, enrollment), "id": str(plan.pk)}), 403)
    outcome(eve.post("CarePlan", new_plan(maria, enrollment)), 403)


def test_metadata_lists_care_plan_with_its_include(anonymous):
    listed = {r["type"]: r for r in anonymous.get("metadata").resource["rest"][0]["resource"]}
    care_plan = listed["CarePlan"]
    assert {i["code"] for i in care_plan["interaction"]} == {"read", "vread", "search-type", "create", "update"}
    assert care_plan["searchInclude"] == ["CarePlan:goal"]
    assert {p["name"] for p in care_plan["searchParam"]} == {"patient", "subject", "status", "category", "date", "_id"}
    assert listed["Task"]["searchInclude"] == ["Task:patient"]
