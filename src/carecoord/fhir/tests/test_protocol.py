"""The HTTP contract every FHIR type shares: authentication, formats, routing errors and metadata."""

from __future__ import annotations

import pytest
from django.test import Client

from carecoord.accounts.actions import revoke_token
from carecoord.accounts.models import ApiToken
from carecoord.fhir.registry import resource_types
from carecoord.fhir.tests.conftest import Fhir, outcome


def test_no_token_is_401_with_challenge(anonymous, maria):
    response = anonymous.get(f"Patient/{maria.pk}")
    assert outcome(response, 401)["issue"][0]["code"] == "login"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_bad_and_revoked_tokens_are_401(alice_rn, alice, maria):
    outcome(Fhir("cc_not-a-real-token").get(f"Patient/{maria.pk}"), 401)
    revoke_token(token=ApiToken.objects.get(user=alice_rn), by=None)
    outcome(alice.get(f"Patient/{maria.pk}"), 401)


def test_session_login_is_not_enough(alice_rn, maria):
    client = Client()
    client.force_login(alice_rn)
    response = client.get(f"/fhir/Patient/{maria.pk}")
    assert response.status_code == 401


def test_unknown_type_and_path_are_404(alice, anonymous):
    assert outcome(alice.get("Spaceship/1"), 404)["issue"][0]["code"] == "not-supported"
    outcome(alice.get("Spaceship"), 404)
    outcome(anonymous.get("Patient/1/_stuff"), 404)


def test_unsupported_interactions_are_405(alice, maria):
    outcome(alice.delete(f"Patient/{maria.pk}"), 405)
    outcome(alice.post("Organization", {"resourceType": "Organization", "name": "X"}), 405)
    outcome(alice.put(f"RelatedPerson/{maria.contacts.get().pk}", {"resourceType": "RelatedPerson"}), 405)
    outcome(alice.get(f"RelatedPerson/{maria.contacts.get().pk}/_history"), 405)
    outcome(alice.post("metadata", {}), 405)


def test_non_json_formats_are_406(alice, maria):
    outcome(alice.get(f"Patient/{maria.pk}", {"_format": "xml"}), 406)
    outcome(alice.get(f"Patient/{maria.pk}", Accept="application/fhir+xml"), 406)


@pytest.mark.parametrize("accept", ["application/fhir+json", "application/json", "*/*", "text/html, */*;q=0.1"])
def test_json_accept_headers(alice, maria, accept):
    response = alice.get(f"Patient/{maria.pk}", Accept=accept)
    assert response.status_code == 200
    assert response["Content-Type"].split(";")[0] in ("application/fhir+json", "application/json")


def test_format_parameter_json_is_accepted(alice, maria):
    assert alice.get(f"Patient/{maria.pk}", {"_format": "json"}).status_code == 200
    assert alice.get("Patient", {"_format": "application/fhir+json"}).status_code == 200


def test_metadata_lists_exactly_what_is_routed(anonymous):
    response = anonymous.get("metadata")
    assert response.status_code == 200
    statement = response.resource
    assert statement["fhirVersion"] == "4.0.1" and statement["kind"] == "instance"
    listed = {r["type"]: r for r in statement["rest"][0]["resource"]}
    types = resource_types()
    assert (
        set(listed)
        == set(types)
        == {
            "Patient",
            "RelatedPerson",
            "Organization",
            "Practitioner",
            "PractitionerRole",
            "AuditEvent",
            "CodeSystem",
            "EpisodeOfCare",
            "Consent",
            "CareTeam",
            "ServiceRequest",
            "Questionnaire",
            "QuestionnaireResponse",
            "Observation",
            "Encounter",
            "Provenance",
            "DocumentReference",
            "CarePlan",
            "Goal",
            "Task",
            "HealthcareService",
            "Location",
        }
    )
    assert {i["code"] for i in listed["Patient"]["interaction"]} == {
        "read",
        "vread",
        "history-instance",
        "search-type",
        "create",
        "update",
    }
    for name in ("RelatedPerson", "Organization", "Practitioner", "PractitionerRole", "AuditEvent", "CodeSystem"):
        assert {i["code"] for i in listed[name]["interaction"]} == {"read", "search-type"}
    assert {p["name"] for p in listed["Patient"]["searchParam"]} == {
        "name",
        "family",
        "given",
        "birthdate",
        "identifier",
        "telecom",
        "gender",
        "address-postalcode",
        "_id",
        "_lastUpdated",
    }
    assert listed["Patient"]["conditionalCreate"] is True
    assert listed["Patient"]["versioning"] == "versioned-update"
    assert "http://carecoord.org/fhir/CodeSystem/program" in listed["CodeSystem"]["documentation"]


def test_every_declared_search_parameter_is_accepted(alice, audrey, maria):
    samples = {
        "date": "ge2000",
        "token": "x",
        "string": "x",
        "reference": "x",
        "uri": "http://x",
        "special": "40.7|-74.0|5|km",
    }
    statement = alice.get("metadata").resource
    for entry in statement["rest"][0]["resource"]:
        client = audrey if entry["type"] == "AuditEvent" else alice
        for param in entry.get("searchParam", []):
            value = {"action": "R", "birthdate": "1960"}.get(param["name"], samples[param["type"]])
            response = client.get(entry["type"], {param["name"]: value})
            assert response.status_code == 200, (entry["type"], param["name"], response.content)


def test_code_systems_are_public_and_searchable_by_url(anonymous):
    program = anonymous.get("CodeSystem/program").resource
    assert program["url"] == "http://carecoord.org/fhir/CodeSystem/program"
    assert [c["code"] for c in program["concept"]] == [
        "ny-hh-adult",
        "ny-hhsc",
        "ny-hh-plus-smi",
        "ny-hh-plus-hiv",
        "medicare-ccm",
        "medicare-pcm",
        "medicare-tcm",
        "complex-care",
        "plan-cm",
    ]
    consent = anonymous.get("CodeSystem", {"url": "http://carecoord.org/fhir/CodeSystem/consent-form"}).resource
    assert consent["total"] == 1
    assert [c["code"] for c in consent["entry"][0]["resource"]["concept"]] == [
        "DOH-5055",
        "DOH-5201",
        "DOH-5058",
        "DOH-5059",
        "CCM-VERBAL",
        "42-CFR-2",
        "NY-HIV-RELEASE",
    ]
    services = anonymous.get("CodeSystem/core-service").resource
    assert [c["code"] for c in services["concept"]] == [
        "care-management",
        "care-coordination",
        "transitional-care",
        "patient-family-support",
        "community-referral",
        "hit-linkage",
    ]
    listed = anonymous.get("CodeSystem").resource
    assert {e["resource"]["id"] for e in listed["entry"]} == {
        "program",
        "consent-form",
        "core-service",
        "care-team-role",
        "contact-modality",
        "contact-outcome",
        "task-kind",
        "task-reason",
        "goal-category",
        "organization-listing",
        "referral-outcome",
    }
    roles = anonymous.get("CodeSystem/care-team-role").resource
    assert {"lead_care_manager", "caregiver", "primary_care"} <= {c["code"] for c in roles["concept"]}
    kinds = anonymous.get("CodeSystem/task-kind").resource
    assert {"safety", "screening", "transition", "care-plan"} <= {c["code"] for c in kinds["concept"]}
    reasons = {c["code"] for c in anonymous.get("CodeSystem/task-reason").resource["concept"]}
    assert {"careplan-review", "monthly-contact-minimum", "sdoh-food-insecurity", "problem-homelessness"} <= reasons
    assert not any("<" in code for code in reasons)
    categories = anonymous.get("CodeSystem/goal-category").resource
    assert [c["code"] for c in categories["concept"]] == ["clinical", "non-clinical"]
    outcome(anonymous.get("CodeSystem/unknown"), 404)


def test_code_system_urls_follow_the_base_setting(anonymous, settings):
    settings.FHIR_BASE_URL = "https://fhir.example.org/base"
    assert anonymous.get("CodeSystem/program").resource["url"] == "https://fhir.example.org/base/CodeSystem/program"


def test_an_unexpected_failure_is_a_500_operation_outcome_not_a_traceback(alice, maria, monkeypatch):
    def broken(snapshot):
        raise RuntimeError("boom")

    monkeypatch.setattr("carecoord.fhir.interactions.patient.patient_resource", broken)
    body = outcome(alice.get(f"Patient/{maria.pk}"), 500)
    assert body["issue"][0]["code"] == "exception"
    assert "boom" not in body["issue"][0]["diagnostics"]
