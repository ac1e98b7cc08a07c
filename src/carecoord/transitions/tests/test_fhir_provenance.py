"""FHIR Provenance over HTTP: where an Encounter from the ADT feed came from (the stored messages' events),
read and searched by target and patient, audited, and refused for someone the user may not see."""

from __future__ import annotations

import pytest

from carecoord.audit.models import AuditRecord
from carecoord.clinical.models import Encounter
from carecoord.fhir.tests.conftest import as_user, outcome
from carecoord.transitions.models import AdtEvent
from carecoord.transitions.tests.enrolled import make_ana, message, process


@pytest.fixture
def ana(alice_rn):
    return make_ana(alice_rn)


@pytest.fixture
def stay(ana) -> Encounter:
    """Admitted (M1), discharged (M2); another visit admitted and then cancelled (M3, M4)."""
    process(
        message("A01", "M1"),
        message("A03", "M2", discharged="202401081200", disposition="01"),
        message("A01", "M3", visit="V900", admitted="202405011000"),
        message("A11", "M4", visit="V900", admitted="202405011000"),
    )
    return Encounter.objects.get(source_identifier="V100")


def ids(bundle: dict) -> list[str]:
    return [entry["resource"]["id"] for entry in bundle.get("entry", [])]


def test_search_by_target_gives_each_message_that_made_the_encounter(stay, alice_rn):
    bundle = as_user(alice_rn).get("Provenance", {"target": f"Encounter/{stay.pk}", "_sort": "recorded"}).resource
    admission, discharge = (entry["resource"] for entry in bundle["entry"])
    assert bundle["total"] == 2
    for resource, control, trigger in ((admission, "M1", "A01"), (discharge, "M2", "A03")):
        event = AdtEvent.objects.get(message__control_id=control)
        assert resource["resourceType"] == "Provenance" and resource["id"] == str(event.pk)
        assert resource["target"] == [{"reference": f"Encounter/{stay.pk}"}]
        assert resource["activity"]["coding"][0] == {
            "system": "http://terminology.hl7.org/CodeSystem/v2-0003",
            "code": trigger,
        }
        (source,) = resource["entity"]
        assert source["role"] == "source" and source["what"]["identifier"]["value"] == control
        assert source["what"]["identifier"]["system"].endswith("/sid/hl7v2-message/GENHOSP")
        (agent,) = resource["agent"]
        assert agent["who"]["display"] == "GENHOSP" and agent["type"]["coding"][0]["code"] == "author"
        assert resource["recorded"] == event.message.received_at.isoformat()
    assert discharge["activity"]["text"] == "Discharge"
    search = AuditRecord.objects.filter(object_type="Provenance", action="search").last()
    assert search is not None and search.detail["results"] == [admission["id"], discharge["id"]]


def test_read_is_audited_and_a_cancelled_event_names_the_cancelling_message(stay, alice_rn, ana):
    alice = as_user(alice_rn)
    cancelled = AdtEvent.objects.get(message__control_id="M3")
    resource = alice.get(f"Provenance/{cancelled.pk}").resource
    assert [(e["role"], e["what"]["identifier"]["value"]) for e in resource["entity"]] == [
        ("source", "M3"),
        ("removal", "M4"),
    ]
    assert AuditRecord.objects.filter(
        object_type="Provenance", object_id=str(cancelled.pk), action="read", patient_id=ana.pk
    ).exists()
    everything = alice.get("Provenance", {"patient": f"Patient/{ana.pk}"}).resource
    assert set(ids(everything)) == {str(e.pk) for e in AdtEvent.objects.filter(encounter__isnull=False)}
    assert everything["total"] == 4  # M1..M4 each touched an encounter
    assert ids(alice.get("Provenance", {"recorded": "ge2000-01-01", "_id": str(cancelled.pk)}).resource) == [
        str(cancelled.pk)
    ]
    assert ids(alice.get("Provenance", {"recorded": "lt2000-01-01"}).resource) == []


def test_outsiders_are_refused_and_see_nothing(stay, eve_outsider, ana):
    eve = as_user(eve_outsider)
    event = AdtEvent.objects.get(message__control_id="M1")
    outcome(eve.get(f"Provenance/{event.pk}"), 403)
    outcome(eve.get("Provenance", {"patient": f"Patient/{ana.pk}"}), 403)
    assert ids(eve.get("Provenance", {"target": f"Encounter/{stay.pk}"}).resource) == []
    outcome(eve.get("Provenance/999999"), 404)
    outcome(eve.get("Provenance", {"target": "Patient/1"}), 400)
    assert AuditRecord.objects.filter(object_type="Provenance", object_id="999999", outcome="failed").exists()


def test_provenance_is_read_only_and_in_the_capability_statement(alice_rn):
    alice = as_user(alice_rn)
    statement = alice.get("metadata").resource
    (provenance,) = [r for r in statement["rest"][0]["resource"] if r["type"] == "Provenance"]
    assert {i["code"] for i in provenance["interaction"]} == {"read", "search-type"}
    assert {"target", "patient", "recorded"} <= {p["name"] for p in provenance["searchParam"]}
    outcome(alice.post("Provenance", {"resourceType": "Provenance"}), 405)
