"""Patient over FHIR: read, vread, history, create, update with If-Match, and the access rule."""

from __future__ import annotations

import copy

from carecoord.audit.models import AuditRecord
from carecoord.fhir.tests.conftest import outcome
from carecoord.patients.models import Patient, PatientVersion


def new_patient(**overrides):
    resource = {
        "resourceType": "Patient",
        "identifier": [{"system": "http://carecoord.org/fhir/sid/ny-medicaid-cin", "value": "ZZ12345Q"}],
        "name": [
            {"use": "official", "family": "Okonkwo", "given": ["Ada", "Nneka"], "prefix": ["Ms."]},
            {"use": "nickname", "given": ["Nne"]},
        ],
        "telecom": [
            {"system": "phone", "value": "(347) 555-0101", "use": "mobile"},
            {"system": "phone", "value": "718-555-0102", "use": "home"},
            {"system": "email", "value": "ada@example.org"},
        ],
        "gender": "female",
        "birthDate": "1958-04-02",
        "address": [
            {"use": "home", "line": ["12 Fulton St", "Apt 3"], "city": "Brooklyn", "state": "NY", "postalCode": "11201"}
        ],
        "communication": [{"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "ig"}]}, "preferred": True}],
        "extension": [
            {"url": "http://hl7.org/fhir/StructureDefinition/patient-interpreterRequired", "valueBoolean": True},
            {
                "url": "http://hl7.org/fhir/StructureDefinition/individual-pronouns",
                "extension": [{"url": "value", "valueCodeableConcept": {"text": "she/her"}}],
            },
            {
                "url": "http://hl7.org/fhir/StructureDefinition/individual-genderIdentity",
                "extension": [
                    {
                        "url": "value",
                        "valueCodeableConcept": {
                            "coding": [{"system": "http://snomed.info/sct", "code": "446141000124107"}]
                        },
                    }
                ],
            },
        ],
        "contact": [
            {
                "relationship": [
                    {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "code": "DAU"}]},
                    {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0131", "code": "C"}]},
                ],
                "name": {"family": "Okonkwo", "given": ["Chioma"]},
                "telecom": [{"system": "phone", "value": "9175550103"}],
            }
        ],
    }
    resource.update(overrides)
    return resource


def test_read_returns_current_version_with_etag(alice, maria):
    response = alice.get(f"Patient/{maria.pk}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json; charset=utf-8"
    assert response["ETag"] == 'W/"1"'
    body = response.resource
    assert body["id"] == str(maria.pk)
    assert body["name"][0] == {"use": "official", "family": "García", "given": ["María", "José"]}
    assert body["name"][1] == {"use": "usual", "given": ["Majo"]}
    assert body["meta"]["versionId"] == "1"
    assert body["communication"][0]["language"]["coding"][0]["code"] == "es"
    assert body["contact"][0]["name"]["text"] == "Jose Ruiz"


def test_read_is_audited(alice, maria):
    alice.get(f"Patient/{maria.pk}")
    last = AuditRecord.objects.filter(action="read").last()
    assert (last.username, last.patient_id, last.outcome, last.channel) == ("alice_rn", maria.pk, "success", "fhir")


def test_outsider_gets_403_and_the_attempt_is_audited(eve, maria):
    body = outcome(eve.get(f"Patient/{maria.pk}"), 403)
    assert body["issue"][0]["code"] == "forbidden"
    last = AuditRecord.objects.last()
    assert (last.username, last.outcome, last.patient_id) == ("eve_outsider", "denied", maria.pk)


def test_partner_and_auditor_see_no_patient(carla, audrey, maria):
    outcome(carla.get(f"Patient/{maria.pk}"), 403)
    outcome(audrey.get(f"Patient/{maria.pk}"), 403)


def test_unknown_and_malformed_ids_are_404(alice, db):
    outcome(alice.get("Patient/00000000-0000-0000-0000-000000000000"), 404)
    assert outcome(alice.get("Patient/not-a-uuid"), 404)["issue"][0]["code"] == "not-found"


def test_create_round_trips_every_mapped_field(alice, alice_rn):
    response = alice.post("Patient", new_patient())
    assert response.status_code == 201, response.content
    created = response.resource
    assert response["ETag"] == 'W/"1"'
    assert response["Location"].endswith(f"/fhir/Patient/{created['id']}/_history/1")
    patient = Patient.objects.get(pk=created["id"])
    assert (patient.family_name, patient.given_names, patient.preferred_name) == ("Okonkwo", "Ada Nneka", "Nne")
    assert (patient.name_prefix, patient.pronouns, patient.gender_identity) == ("Ms.", "she/her", "woman")
    assert (patient.preferred_language, patient.interpreter_needed, patient.email) == ("ig", True, "ada@example.org")
    assert [(p.kind, p.digits) for p in patient.phones.all()] == [("mobile", "3475550101"), ("home", "7185550102")]
    contact = patient.contacts.get()
    assert (contact.name, contact.relationship, contact.is_emergency) == ("Chioma Okonkwo", "child", True)
    assert patient.assignments.get().organization_id == alice_rn.organization_id
    read = alice.get(f"Patient/{created['id']}").resource
    assert read == created
    assert read["identifier"][0]["type"]["coding"][0]["code"] == "MA"
    assert {e["url"].rsplit("/", 1)[-1] for e in read["extension"]} == {
        "individual-genderIdentity",
        "individual-pronouns",
        "patient-interpreterRequired",
    }
    assert read["address"][0]["line"] == ["12 Fulton St", "Apt 3"]


def test_create_possible_duplicate_is_created_anyway(alice, maria):
    twin = new_patient(
        name=[{"use": "official", "family": "Garcia", "given": ["Maria"]}],
        birthDate=maria.birth_date.isoformat(),
        identifier=[],
    )
    assert alice.post("Patient", twin).status_code == 201


def test_duplicate_identifier_is_409(alice, maria):
    cin = maria.identifiers.get()
    body = outcome(alice.post("Patient", new_patient(identifier=[{"system": cin.system, "value": cin.value}])), 409)
    assert body["issue"][0]["code"] == "duplicate"
    assert body["issue"][0]["expression"] == ["Patient.identifier[0].value"]


def test_conditional_create_returns_the_existing_person(alice, maria):
    cin = maria.identifiers.get()
    response = alice.post("Patient", new_patient(), **{"If-None-Exist": f"identifier={cin.system}|{cin.value}"})
    assert response.status_code == 200
    assert response.resource["id"] == str(maria.pk)
    assert Patient.objects.count() == 1


def test_validation_problems_become_one_issue_each_with_expression(alice):
    bad = new_patient(
        telecom=[{"system": "phone", "value": "12", "use": "mobile"}],
        address=[{"use": "home", "line": ["1 Main"], "city": "Paris", "state": "IDF", "postalCode": "F-75001"}],
        birthDate="2999-01-01",
    )
    body = outcome(alice.post("Patient", bad), 400)
    where = {tuple(i["expression"]) for i in body["issue"]}
    assert {
        ("Patient.telecom[0].value",),
        ("Patient.address[0].state",),
        ("Patient.address[0].postalCode",),
        ("Patient.birthDate",),
    } <= where
    assert all(i["code"] == "invalid" for i in body["issue"])


def test_structure_errors_come_from_the_r4_model(alice):
    body = outcome(alice.post("Patient", {"resourceType": "Patient", "birthDate": "02/04/1958", "bogus": 1}), 400)
    where = {i["expression"][0] for i in body["issue"]}
    assert {"Patient.birthDate", "Patient.bogus"} <= where
    assert {i["code"] for i in body["issue"]} == {"structure"}


def test_malformed_json_and_wrong_type_are_400(alice):
    assert outcome(alice.post("Patient", b"{not json"), 400)["issue"][0]["code"] == "structure"
    assert outcome(alice.post("Patient", b"[1, 2]"), 400)["issue"][0]["code"] == "structure"
    body = outcome(alice.post("Patient", {"resourceType": "Organization", "name": "X"}), 400)
    assert "Expected a Patient" in body["issue"][0]["diagnostics"]


def test_wrong_content_type_is_415(alice):
    outcome(alice.post("Patient", "x=1", content_type="application/x-www-form-urlencoded"), 415)


def test_role_without_registration_gets_403(audrey):
    outcome(audrey.post("Patient", new_patient()), 403)


def test_update_with_if_match_then_stale_if_match_is_412(alice, maria):
    current = alice.get(f"Patient/{maria.pk}").resource
    changed = copy.deepcopy(current)
    changed["name"][0]["family"] = "García López"
    response = alice.put(f"Patient/{maria.pk}", changed, **{"If-Match": 'W/"1"'})
    assert response.status_code == 200, response.content
    assert response["ETag"] == 'W/"2"'
    assert response["Location"].endswith(f"/Patient/{maria.pk}/_history/2")
    assert response.resource["name"][0]["family"] == "García López"
    stale = alice.put(f"Patient/{maria.pk}", changed, **{"If-Match": 'W/"1"'})
    assert outcome(stale, 412)["issue"][0]["code"] == "conflict"
    maria.refresh_from_db()
    assert maria.version == 2


def test_update_keeps_what_patient_does_not_carry(alice, maria):
    current = alice.get(f"Patient/{maria.pk}").resource
    assert alice.put(f"Patient/{maria.pk}", current).status_code == 200
    maria.refresh_from_db()
    assert maria.version == 2
    assert maria.coverages.get().payer_name == "Fidelis Care"
    assert maria.phones.get().text_consent is True
    after = alice.get(f"Patient/{maria.pk}").resource
    assert {k: v for k, v in after.items() if k != "meta"} == {k: v for k, v in current.items() if k != "meta"}


def test_update_requires_matching_id_and_valid_if_match(alice, maria):
    current = alice.get(f"Patient/{maria.pk}").resource
    outcome(alice.put(f"Patient/{maria.pk}", {**current, "id": "other"}), 400)
    outcome(alice.put(f"Patient/{maria.pk}", current, **{"If-Match": "yesterday"}), 400)


def test_outsider_cannot_update(eve, alice, maria):
    current = alice.get(f"Patient/{maria.pk}").resource
    outcome(eve.put(f"Patient/{maria.pk}", current), 403)
    maria.refresh_from_db()
    assert maria.version == 1


def test_history_and_vread(alice, maria):
    first = alice.get(f"Patient/{maria.pk}").resource
    second = copy.deepcopy(first)
    second["gender"] = "other"
    alice.put(f"Patient/{maria.pk}", second)
    history = alice.get(f"Patient/{maria.pk}/_history").resource
    assert history["type"] == "history"
    assert [e["resource"]["meta"]["versionId"] for e in history["entry"]] == ["2", "1"]
    assert [e["request"]["method"] for e in history["entry"]] == ["PUT", "POST"]
    old = alice.get(f"Patient/{maria.pk}/_history/1")
    assert old.status_code == 200 and old["ETag"] == 'W/"1"'
    assert old.resource == history["entry"][1]["resource"] == first
    assert alice.get(f"Patient/{maria.pk}/_history/2").resource["gender"] == "other"
    outcome(alice.get(f"Patient/{maria.pk}/_history/9"), 404)
    outcome(alice.get(f"Patient/{maria.pk}/_history/x"), 404)
    assert PatientVersion.objects.filter(patient=maria).count() == 2


def test_history_and_vread_are_access_checked(eve, maria):
    outcome(eve.get(f"Patient/{maria.pk}/_history"), 403)
    outcome(eve.get(f"Patient/{maria.pk}/_history/1"), 403)
