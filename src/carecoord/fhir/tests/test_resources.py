"""RelatedPerson, Organization, Practitioner, PractitionerRole and AuditEvent over FHIR."""

from __future__ import annotations

from carecoord.audit.models import AuditRecord
from carecoord.fhir.tests.conftest import outcome


def test_related_person_read_and_search_through_patient_access(alice, eve, maria):
    contact = maria.contacts.get()
    person = alice.get(f"RelatedPerson/{contact.pk}")
    assert person.status_code == 200 and person["ETag"] == 'W/"1"'
    body = person.resource
    assert body["patient"] == {"reference": f"Patient/{maria.pk}"}
    assert body["name"] == [{"text": "Jose Ruiz"}]
    codes = {c["code"] for r in body["relationship"] for c in r["coding"]}
    assert codes == {"SPS", "C"}
    last = AuditRecord.objects.last()
    assert (last.object_type, last.object_id, last.patient_id) == ("RelatedPerson", str(contact.pk), maria.pk)
    found = alice.get("RelatedPerson", {"patient": f"Patient/{maria.pk}"}).resource
    assert [e["resource"]["id"] for e in found["entry"]] == [str(contact.pk)]
    assert alice.get("RelatedPerson", {"name": "jose"}).resource["total"] == 1
    outcome(eve.get(f"RelatedPerson/{contact.pk}"), 403)
    outcome(eve.get("RelatedPerson", {"patient": str(maria.pk)}), 403)
    assert eve.get("RelatedPerson").resource["total"] == 0
    assert AuditRecord.objects.filter(username="eve_outsider", outcome="denied").count() == 2
    outcome(alice.get("RelatedPerson/00000000-0000-0000-0000-000000000000"), 404)


def test_organization_read_and_search(alice, agency, cbo):
    body = alice.get(f"Organization/{agency.pk}").resource
    assert body["name"] == "Brooklyn Care Partners"
    assert body["type"][0]["coding"][0]["code"] == "prov"
    assert [e["resource"]["id"] for e in alice.get("Organization", {"type": "cg"}).resource["entry"]] == [str(cbo.pk)]
    assert alice.get("Organization", {"type": "cbo"}).resource["total"] == 1
    assert alice.get("Organization", {"name": "brooklyn"}).resource["total"] == 1
    agency.npi = "1234567893"
    agency.save()
    found = alice.get("Organization", {"identifier": "http://hl7.org/fhir/sid/us-npi|1234567893"}).resource
    assert [e["resource"]["id"] for e in found["entry"]] == [str(agency.pk)]
    outcome(alice.get("Organization/nope"), 404)


def test_directory_needs_a_token_but_no_patient_access(anonymous, carla, audrey, agency):
    outcome(anonymous.get(f"Organization/{agency.pk}"), 401)
    assert carla.get(f"Organization/{agency.pk}").status_code == 200
    assert audrey.get("Practitioner").status_code == 200


def test_practitioner_and_role(alice, alice_rn, bob_coordinator, agency):
    practitioner = alice_rn.practitioner
    body = alice.get(f"Practitioner/{practitioner.pk}").resource
    assert body["name"][0]["family"] == "Nguyen"
    assert {"system": "http://carecoord.org/fhir/sid/username", "value": "alice_rn"} in body["identifier"]
    assert alice.get("Practitioner", {"family": "nguy"}).resource["total"] == 1
    assert (
        alice.get("Practitioner", {"identifier": "http://carecoord.org/fhir/sid/username|bob_coordinator"}).resource[
            "total"
        ]
        == 1
    )
    roles = alice.get("PractitionerRole", {"organization": f"Organization/{agency.pk}"}).resource
    assert roles["total"] == 2
    mine = alice.get("PractitionerRole", {"practitioner": f"Practitioner/{practitioner.pk}"}).resource
    role = mine["entry"][0]["resource"]
    assert role["code"][0]["coding"][0]["code"] == "licensed_care_manager"
    assert role["organization"]["reference"] == f"Organization/{agency.pk}"
    assert alice.get(f"PractitionerRole/{role['id']}").resource == role
    assert alice.get("PractitionerRole", {"role": "care_coordinator"}).resource["total"] == 1


def test_audit_events_are_for_auditors_only_and_reading_them_is_audited(alice, audrey, maria):
    alice.get(f"Patient/{maria.pk}")
    read = AuditRecord.objects.filter(action="read", username="alice_rn").last()
    body = outcome(alice.get(f"AuditEvent/{read.pk}"), 403)
    assert body["issue"][0]["code"] == "forbidden"
    denied = AuditRecord.objects.last()
    assert (denied.username, denied.object_type, denied.outcome) == ("alice_rn", "AuditEvent", "denied")
    outcome(alice.get("AuditEvent"), 403)

    event = audrey.get(f"AuditEvent/{read.pk}").resource
    assert event["action"] == "R" and event["outcome"] == "0"
    assert event["subtype"][0]["code"] == "read"
    assert event["agent"][0]["who"]["display"] == "alice_rn"
    assert event["agent"][0]["purposeOfUse"][0]["coding"][0]["code"] == "TREAT"
    assert event["entity"][0]["what"] == {"reference": f"Patient/{maria.pk}"}
    assert event["source"]["site"] == "fhir"
    seen = AuditRecord.objects.last()
    assert (seen.username, seen.object_type, seen.object_id, seen.purpose) == (
        "audrey_auditor",
        "AuditEvent",
        str(read.pk),
        "HSYSADMIN",
    )


def test_audit_event_search(audrey, alice, eve, maria):
    alice.get(f"Patient/{maria.pk}")
    eve.get(f"Patient/{maria.pk}")
    by_patient = audrey.get("AuditEvent", {"patient": f"Patient/{maria.pk}"}).resource
    assert by_patient["total"] >= 3  # registration, Alice's read, Eve's denied read
    denied = audrey.get("AuditEvent", {"outcome": "4"}).resource
    assert {e["resource"]["agent"][0]["who"]["display"] for e in denied["entry"]} == {"eve_outsider"}
    reads = audrey.get("AuditEvent", {"agent-name": "alice_rn", "action": "R"}).resource
    assert reads["total"] == 1
    assert audrey.get("AuditEvent", {"date": "ge2000-01-01", "_count": "1"}).resource["link"][1]["relation"] == "next"
    assert audrey.get("AuditEvent", {"date": "lt2000-01-01"}).resource["total"] == 0
    outcome(audrey.get("AuditEvent", {"action": "X"}), 400)
    outcome(audrey.get("AuditEvent/999999"), 404)
    assert AuditRecord.objects.filter(username="audrey_auditor", object_type="AuditEvent", action="search").exists()
