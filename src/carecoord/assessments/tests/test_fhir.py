"""Questionnaire, QuestionnaireResponse and Observation over FHIR: an outside system posts completed screens and
finds the derived Observations and the tasks they triggered; invalid answers are 400s naming the item."""

from __future__ import annotations

import copy

import pytest

from carecoord.assessments import instruments
from carecoord.assessments.actions import builtin_id
from carecoord.assessments.models import QuestionnaireResponse
from carecoord.audit.models import AuditRecord
from carecoord.clinical.models import Observation
from carecoord.fhir.tests.conftest import as_user, outcome
from carecoord.tasks.models import Task
from carecoord.testing.factories import make_patient

from .builders import audit_c, dast10, gad7, hrsn_core, phq9, qr

LOINC = "http://loinc.org"
SDOHCC = "http://hl7.org/fhir/us/sdoh-clinicalcare/CodeSystem/SDOHCC-CodeSystemTemporaryCodes"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"


@pytest.fixture
def alice(alice_rn):
    return as_user(alice_rn)


@pytest.fixture
def eve(eve_outsider):
    return as_user(eve_outsider)


@pytest.fixture
def olga(olga_admin):
    return as_user(olga_admin)


def posted(patient, url, answers, **fields):
    resource = {**qr(url, answers), "subject": {"reference": f"Patient/{patient.pk}"}, **fields}
    return resource


def ids(bundle):
    return [entry["resource"]["id"] for entry in bundle.get("entry", [])]


def resources(bundle):
    return [entry["resource"] for entry in bundle.get("entry", [])]


def codes(concepts):
    return [(c["coding"][0]["system"], c["coding"][0]["code"]) for c in concepts]


# --- Questionnaire -----------------------------------------------------------------------------------------------


def test_builtins_are_read_and_found_by_url_code_status_and_title(alice):
    found = alice.get("Questionnaire", {"url": instruments.PHQ9_URL}).resource
    assert found["total"] == 1
    phq = found["entry"][0]["resource"]
    assert (phq["id"], phq["url"], phq["code"][0]["code"]) == (
        str(builtin_id(instruments.PHQ9_URL, "1.0.0")),
        instruments.PHQ9_URL,
        "44249-1",
    )
    assert [i["linkId"] for i in phq["item"]][1:10][-1] == "44260-8"
    assert alice.get(f"Questionnaire/{phq['id']}").resource["title"] == phq["title"]
    assert ids(alice.get("Questionnaire", {"code": "http://loinc.org|69737-5"}).resource) == [
        str(builtin_id(instruments.GAD7_URL, "1.0.0"))
    ]
    assert alice.get("Questionnaire", {"status": "active"}).resource["total"] == len(instruments.builtin())
    assert alice.get("Questionnaire", {"title:contains": "HRSN"}).resource["total"] >= 1
    assert alice.get("Questionnaire", {"name": "PHQ"}).resource["total"] == 2


def test_builtins_are_read_only(olga):
    phq_id = builtin_id(instruments.PHQ9_URL, "1.0.0")
    assert olga.put(f"Questionnaire/{phq_id}", {"resourceType": "Questionnaire"}).status_code == 405


def test_an_admin_creates_a_custom_questionnaire_and_a_care_manager_may_not(olga, alice, eve):
    form = {
        "resourceType": "Questionnaire",
        "url": "https://agency.example.org/q/intake",
        "version": "1",
        "title": "Agency intake",
        "status": "active",
        "item": [{"linkId": "reason", "type": "string", "text": "Why are you here?", "required": True}],
    }
    created = olga.post("Questionnaire", form)
    assert created.status_code == 201, created.content
    assert created["Location"].endswith(f"/Questionnaire/{created.resource['id']}")
    assert alice.get(f"Questionnaire/{created.resource['id']}").status_code == 200
    outcome(eve.get(f"Questionnaire/{created.resource['id']}"), 404)
    refused = outcome(alice.post("Questionnaire", {**form, "version": "2"}), 403)
    assert "administrator" in refused["issue"][0]["diagnostics"]
    broken = copy.deepcopy(form)
    broken["version"] = "3"
    broken["item"][0]["type"] = "slider"
    body = outcome(olga.post("Questionnaire", broken), 400)
    assert body["issue"][0]["expression"] == ["Questionnaire.descendants().where(linkId = 'reason')"]
    collide = outcome(olga.post("Questionnaire", {**form, "url": instruments.PHQ9_URL}), 400)
    assert collide["issue"][0]["expression"] == ["Questionnaire.url"]


# --- QuestionnaireResponse: the outside system's screens ---------------------------------------------------------


def test_posted_screens_are_scored_into_observations_and_tasks(alice, alice_rn, maria):
    phq = alice.post("QuestionnaireResponse", posted(maria, instruments.PHQ9_URL, phq9([2, 2, 2, 1, 1, 1, 0, 0, 1])))
    assert phq.status_code == 201, phq.content
    response_id = phq.resource["id"]
    assert phq.resource["status"] == "completed" and phq.resource["meta"]["versionId"] == "1"
    assert QuestionnaireResponse.objects.get(pk=response_id).source == "fhir"

    total = alice.get("Observation", {"patient": f"Patient/{maria.pk}", "code": f"{LOINC}|44261-6"}).resource
    (observation,) = resources(total)
    assert observation["valueInteger"] == 10 and observation["status"] == "final"
    assert observation["derivedFrom"] == [{"reference": f"QuestionnaireResponse/{response_id}"}]
    assert codes(observation["interpretation"]) == [
        ("http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", "POS")
    ]
    assert codes(observation["category"]) == [(OBSERVATION_CATEGORY, "survey")]
    assert alice.get(f"Observation/{observation['id']}").resource["code"]["coding"][0]["code"] == "44261-6"
    safety = Task.objects.get(patient=maria, reason="phq9-item9-safety")
    assert (safety.priority, safety.focus) == ("asap", f"QuestionnaireResponse/{response_id}")

    gad = alice.post("QuestionnaireResponse", posted(maria, instruments.GAD7_URL, gad7([3, 3, 2, 2, 1, 1, 0])))
    assert gad.status_code == 201
    (anxiety,) = resources(alice.get("Observation", {"code": "70274-6", "patient": f"Patient/{maria.pk}"}).resource)
    assert anxiety["valueInteger"] == 12 and codes(anxiety["interpretation"])[0][1] == "POS"

    dast = alice.post("QuestionnaireResponse", posted(maria, instruments.DAST10_URL, dast10([1, 2, 4, 5, 6, 7])))
    assert dast.status_code == 201
    (drugs,) = resources(alice.get("Observation", {"code": "82667-7"}).resource)
    assert drugs["valueInteger"] == 7
    assert Task.objects.get(patient=maria, reason="dast10-follow-up").kind == "follow-up"

    surveys = alice.get("Observation", {"patient": f"Patient/{maria.pk}", "category": "survey"}).resource
    assert surveys["total"] == 3


@pytest.mark.parametrize(("sex", "positive"), [("male", False), ("female", True)])
def test_posted_audit_c_uses_the_persons_sex_at_the_edge(alice, alice_rn, sex, positive):
    person = make_patient(alice_rn, sex=sex)
    answer = alice.post("QuestionnaireResponse", posted(person, instruments.AUDIT_C_URL, audit_c([1, 1, 1])))
    assert answer.status_code == 201, answer.content
    (total,) = resources(alice.get("Observation", {"patient": f"Patient/{person.pk}", "code": "75626-2"}).resource)
    assert total["valueInteger"] == 3
    assert ("interpretation" in total) is positive
    assert Task.objects.filter(patient=person, reason="auditc-follow-up").exists() is positive


def test_posted_hrsn_makes_sdoh_observations_with_domain_categories(alice, maria):
    answers = hrsn_core({"88122-7": "LA28397-0", "93030-5": "LA33-6", "71802-3": "LA31995-6"})
    created = alice.post("QuestionnaireResponse", posted(maria, instruments.AHC_HRSN_CORE_URL, answers))
    assert created.status_code == 201, created.content
    sdoh = resources(alice.get("Observation", {"patient": f"Patient/{maria.pk}", "category": "sdoh"}).resource)
    by_code = {o["code"]["coding"][0]["code"]: o for o in sdoh}
    assert sorted(by_code) == ["71802-3", "88122-7", "93030-5", "95614-4"]
    food = by_code["88122-7"]
    assert codes(food["category"]) == [
        (OBSERVATION_CATEGORY, "survey"),
        ("http://hl7.org/fhir/us/core/CodeSystem/us-core-category", "sdoh"),
        (SDOHCC, "food-insecurity"),
    ]
    assert food["valueCodeableConcept"]["coding"][0] == {"system": LOINC, "code": "LA28397-0", "display": "Often true"}
    assert codes(food["interpretation"])[0][1] == "POS"
    assert all(c[1] != "NEG" for o in sdoh for c in codes(o.get("interpretation", [])))
    assert by_code["95614-4"]["valueInteger"] == 4 and "interpretation" not in by_code["95614-4"]
    homeless = alice.get("Observation", {"category": f"{SDOHCC}|homelessness"}).resource
    assert [o["code"]["coding"][0]["code"] for o in resources(homeless)] == ["71802-3"]
    reasons = set(Task.objects.filter(patient=maria).values_list("reason", flat=True))
    assert {"sdoh-food-insecurity", "sdoh-transportation-insecurity", "sdoh-homelessness"} <= reasons
    assert {"problem-food-insecurity", "problem-transportation-insecurity"} <= reasons


# --- invalid responses ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "link_id", "words"),
    [
        (
            lambda r: r["item"].append({"linkId": "99999-9", "answer": [{"valueBoolean": True}]}),
            "99999-9",
            "not an item",
        ),
        (
            lambda r: r["item"][0].update(answer=[{"valueCoding": {"system": LOINC, "code": "LA33-6"}}]),
            "44250-9",
            "not one of the answer options",
        ),
        (lambda r: r["item"][1].update(answer=[{"valueInteger": 2}]), "44255-8", "valueCoding"),
        (lambda r: r["item"].pop(8), "44260-8", "required"),
    ],
)
def test_invalid_answers_are_400_naming_the_item(alice, maria, change, link_id, words):
    resource = posted(maria, instruments.PHQ9_URL, phq9([1] * 9))
    change(resource)
    body = outcome(alice.post("QuestionnaireResponse", resource), 400)
    problem = body["issue"][0]  # (an answer refused also leaves the required item unanswered: a second issue)
    assert link_id in problem["diagnostics"] and words in problem["diagnostics"]
    assert problem["expression"] == [f"QuestionnaireResponse.descendants().where(linkId = '{link_id}')"]
    assert all(link_id in i["diagnostics"] for i in body["issue"])
    assert not QuestionnaireResponse.objects.exists() and not Observation.objects.exists()


def test_a_structure_error_inside_an_item_names_its_link_id(alice, maria):
    resource = posted(maria, instruments.PHQ9_URL, phq9([1] * 9))
    resource["item"][2]["answer"] = [{"valueInteger": "three"}]
    body = outcome(alice.post("QuestionnaireResponse", resource), 400)
    assert any("44259-0" in i["diagnostics"] for i in body["issue"])


def test_an_unknown_questionnaire_or_status_is_refused(alice, maria):
    unknown = posted(maria, "http://example.org/q/nothing", {})
    assert outcome(alice.post("QuestionnaireResponse", unknown), 400)["issue"][0]["expression"] == [
        "QuestionnaireResponse.questionnaire"
    ]
    amended = posted(maria, instruments.PHQ9_URL, phq9([0] * 9), status="amended")
    outcome(alice.post("QuestionnaireResponse", amended), 400)


def test_a_draft_is_saved_partial_and_searched(alice, maria):
    draft = posted(maria, instruments.PHQ9_URL, {"44250-9": "LA6569-3"}, status="in-progress")
    created = alice.post("QuestionnaireResponse", draft)
    assert created.status_code == 201, created.content
    assert created.resource["status"] == "in-progress" and len(created.resource["item"]) == 1
    assert not Observation.objects.exists()
    done = alice.post("QuestionnaireResponse", posted(maria, instruments.PHQ9_URL, phq9([0] * 9)))
    search = {"patient": f"Patient/{maria.pk}", "questionnaire": instruments.PHQ9_URL}
    assert alice.get("QuestionnaireResponse", search).resource["total"] == 2
    assert ids(alice.get("QuestionnaireResponse", {**search, "status": "completed"}).resource) == [done.resource["id"]]
    assert alice.get("QuestionnaireResponse", {**search, "authored": "gt2000-01-01"}).resource["total"] == 2
    assert alice.get("QuestionnaireResponse", {**search, "authored": "lt2000-01-01"}).resource["total"] == 0
    read = alice.get(f"QuestionnaireResponse/{done.resource['id']}").resource
    assert read["questionnaire"] == f"{instruments.PHQ9_URL}|1.0.0" and read["subject"]["reference"].endswith(
        str(maria.pk)
    )
    assert alice.get(f"QuestionnaireResponse/{done.resource['id']}/_history/1").resource["meta"]["versionId"] == "1"
    outcome(alice.get(f"QuestionnaireResponse/{done.resource['id']}/_history/9"), 404)


# --- access --------------------------------------------------------------------------------------------------------


def test_an_unrelated_organization_gets_403(alice, eve, maria):
    created = alice.post("QuestionnaireResponse", posted(maria, instruments.PHQ9_URL, phq9([1] * 9)))
    response_id = created.resource["id"]
    outcome(eve.get(f"QuestionnaireResponse/{response_id}"), 403)
    outcome(eve.get("QuestionnaireResponse", {"patient": f"Patient/{maria.pk}"}), 403)
    outcome(eve.get("Observation", {"patient": f"Patient/{maria.pk}"}), 403)
    observation = Observation.objects.first()
    outcome(eve.get(f"Observation/{observation.pk}"), 403)
    outcome(eve.post("QuestionnaireResponse", posted(maria, instruments.PHQ9_URL, phq9([1] * 9))), 403)
    assert eve.get("Observation").resource["total"] == 0
    assert eve.get("QuestionnaireResponse").resource["total"] == 0
    denied = AuditRecord.objects.filter(user__username="eve_outsider", outcome="denied", patient_id=maria.pk)
    assert denied.count() >= 4


def test_searches_and_reads_are_audited(alice, alice_rn, maria):
    created = alice.post("QuestionnaireResponse", posted(maria, instruments.PHQ9_URL, phq9([1] * 9)))
    alice.get("Observation", {"patient": f"Patient/{maria.pk}"})
    alice.get(f"QuestionnaireResponse/{created.resource['id']}")
    search = AuditRecord.objects.filter(user=alice_rn, action="search", object_type="Observation").last()
    assert search.detail["total"] == 1
    assert AuditRecord.objects.filter(
        user=alice_rn, action="read", object_type="QuestionnaireResponse", object_id=created.resource["id"]
    ).exists()


def test_the_capability_statement_lists_the_three_types(anonymous_fhir):
    statement = anonymous_fhir.get("metadata").resource
    types = {r["type"]: r for r in statement["rest"][0]["resource"]}
    assert {i["code"] for i in types["QuestionnaireResponse"]["interaction"]} >= {"create", "read", "search-type"}
    assert {i["code"] for i in types["Questionnaire"]["interaction"]} == {"read", "create", "search-type"}
    assert {p["name"] for p in types["Observation"]["searchParam"]} >= {"patient", "code", "date", "category"}


@pytest.fixture
def anonymous_fhir(db):
    from carecoord.fhir.tests.conftest import Fhir

    return Fhir(None)
