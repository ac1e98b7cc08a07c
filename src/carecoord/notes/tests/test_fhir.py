"""Progress notes as FHIR DocumentReference: read, search by each parameter, create through the same actions,
and a signed note that an update cannot change."""

from __future__ import annotations

import base64
import datetime

import pytest
from django.utils import timezone

from carecoord.audit.models import AuditRecord
from carecoord.contacts.actions import ContactData, record_contact
from carecoord.contacts.tests.helpers import enrolled
from carecoord.fhir.mapping.document_reference import template_system
from carecoord.fhir.tests.conftest import as_user, outcome
from carecoord.notes.actions import add_addendum, sign_addendum, start_note
from carecoord.notes.models import ProgressNote
from carecoord.notes.tests.helpers import signed

pytestmark = pytest.mark.django_db


def _text(resource):
    return base64.b64decode(resource["content"][0]["attachment"]["data"]).decode()


def _ids(response):
    assert response.status_code == 200, response.content
    return {entry["resource"]["id"] for entry in response.resource.get("entry", [])}


def _body(patient, *, kind="soap", doc_status="preliminary", text="Subjective:\nTired\n\nPlan:\nCall Friday", **extra):
    return {
        "resourceType": "DocumentReference",
        "status": "current",
        "docStatus": doc_status,
        "type": {"coding": [{"system": template_system(), "code": kind}]},
        "subject": {"reference": f"Patient/{patient.pk}"},
        "content": [{"attachment": {"contentType": "text/plain", "data": base64.b64encode(text.encode()).decode()}}],
        **extra,
    }


def test_read_maps_the_note_its_addenda_and_the_contact(alice_rn, bob_coordinator, maria):
    hh = enrolled(alice_rn, "ny-hh-adult", patient=maria, care_manager=alice_rn)
    contact = record_contact(
        patient=maria, data=ContactData(modality="phone", outcome="reached", enrollment=hh), by=alice_rn
    )
    note = start_note(
        patient=maria, kind="dap", by=alice_rn, contact=contact, sections={"data": "Reached", "plan": "Visit"}
    )
    fhir = as_user(alice_rn)
    draft = fhir.get(f"DocumentReference/{note.pk}").resource
    assert (draft["status"], draft["docStatus"]) == ("current", "preliminary")
    assert draft["type"]["coding"][0] == {"system": "http://loinc.org", "code": "11506-3", "display": "Progress note"}
    assert draft["context"]["related"][0]["identifier"]["value"] == str(contact.pk)
    assert draft["context"]["encounter"] == [{"reference": f"Encounter/contact-{contact.pk}"}]
    assert _text(draft) == "Data:\nReached\n\nPlan:\nVisit"
    assert AuditRecord.objects.filter(object_type="ProgressNote", object_id=str(note.pk), action="read").exists()
    from carecoord.notes.actions import sign_note

    sign_note(note=note, by=alice_rn)
    assert fhir.get(f"DocumentReference/{note.pk}").resource["docStatus"] == "final"
    sign_addendum(addendum=add_addendum(note=note, text="Visit moved.", by=bob_coordinator), by=bob_coordinator)
    amended = fhir.get(f"DocumentReference/{note.pk}").resource
    assert (
        amended["docStatus"] == "amended" and "Addendum (signed" in _text(amended) and "Visit moved." in _text(amended)
    )


def test_a_signed_note_cannot_be_updated_only_a_draft(alice_rn, maria):
    fhir = as_user(alice_rn)
    created = fhir.post("DocumentReference", _body(maria))
    assert created.status_code == 201, created.content
    note_id = created.resource["id"]
    note = ProgressNote.objects.get(pk=note_id)
    assert (note.status, note.sections) == ("draft", {"subjective": "Tired", "plan": "Call Friday"})
    body = _body(maria, doc_status="final", text="Subjective:\nTired, better today", id=note_id)
    updated = fhir.put(f"DocumentReference/{note_id}", body)
    assert updated.status_code == 200 and updated.resource["docStatus"] == "final"
    refused = fhir.put(f"DocumentReference/{note_id}", {**body, "content": _body(maria, text="Rewritten")["content"]})
    issue = outcome(refused, 409)["issue"][0]
    assert "signed notes are corrected by addenda" in issue["diagnostics"]
    assert ProgressNote.objects.get(pk=note_id).sections == {"subjective": "Tired, better today"}
    gone = fhir.put(
        f"DocumentReference/{note_id}", {**body, "status": "entered-in-error", "description": "Wrong person"}
    )
    assert gone.resource["status"] == "entered-in-error" and ProgressNote.objects.filter(pk=note_id).exists()


def test_create_signed_goes_through_the_actions_late_entry_and_cosign(alice_rn, sam_supervisor, maria):
    smi = enrolled(alice_rn, "ny-hh-plus-smi", patient=maria, care_manager=alice_rn)
    three_days_ago = (timezone.now() - datetime.timedelta(days=3)).isoformat()
    body = _body(
        maria,
        kind="transition",
        doc_status="final",
        text="Discharge:\nMaimonides, yesterday",
        context={"period": {"start": three_days_ago}, "related": [{"reference": f"EpisodeOfCare/{smi.pk}"}]},
        meta={"security": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "42CFRPart2"}]},
    )
    created = as_user(alice_rn).post("DocumentReference", body)
    assert created.status_code == 201, created.content
    note = ProgressNote.objects.get()
    assert (note.status, note.late_entry, note.cosign_required, note.security_labels) == (
        "signed",
        True,
        True,
        ["42CFRPart2"],
    )
    assert created.resource["type"]["coding"][0]["code"] == "34109-9"
    assert AuditRecord.objects.filter(object_type="ProgressNote", object_id=str(note.pk), action="create").exists()
    bad = outcome(as_user(alice_rn).post("DocumentReference", {**_body(maria), "type": {"text": "x"}}), 400)
    assert bad["issue"][0]["expression"] == ["DocumentReference.type"]


def test_search_by_each_parameter(alice_rn, maria, bob_coordinator):
    from carecoord.testing.factories import make_patient

    other = make_patient(alice_rn, family_name="Other", given_names="Person")
    dap = signed(alice_rn, maria, kind="dap")
    outreach = signed(alice_rn, maria, kind="outreach")
    draft = start_note(patient=other, kind="soap", by=alice_rn)
    ProgressNote.objects.filter(pk=dap.pk).update(created_at=timezone.now() - datetime.timedelta(days=40))
    fhir = as_user(alice_rn)
    assert _ids(fhir.get("DocumentReference", {"patient": f"Patient/{maria.pk}"})) == {str(dap.pk), str(outreach.pk)}
    assert _ids(fhir.get("DocumentReference", {"type": "http://loinc.org|11506-3"})) == {str(dap.pk), str(draft.pk)}
    assert _ids(fhir.get("DocumentReference", {"type": "34109-9"})) == {str(outreach.pk)}
    assert _ids(fhir.get("DocumentReference", {"type": f"{template_system()}|soap"})) == {str(draft.pk)}
    recent = (timezone.localdate() - datetime.timedelta(days=10)).isoformat()
    assert _ids(fhir.get("DocumentReference", {"date": f"ge{recent}"})) == {str(outreach.pk), str(draft.pk)}
    assert _ids(fhir.get("DocumentReference", {"date": f"lt{recent}"})) == {str(dap.pk)}
    assert _ids(fhir.get("DocumentReference", {"_id": str(outreach.pk)})) == {str(outreach.pk)}
    from carecoord.notes.actions import enter_note_in_error

    enter_note_in_error(note=outreach, by=alice_rn, reason="Wrong person")
    assert _ids(fhir.get("DocumentReference", {"status": "entered-in-error"})) == {str(outreach.pk)}
    assert _ids(fhir.get("DocumentReference", {"status": "current", "patient": str(maria.pk)})) == {str(dap.pk)}
    assert AuditRecord.objects.filter(object_type="DocumentReference", action="search").count() >= 9


def test_outsiders_and_labels(alice_rn, eve_outsider, maria):
    from carecoord.programs.tests.test_enrollment_and_consent import part2_consent, put_on_team, sharing
    from carecoord.testing.factories import make_organization, make_user

    plain = signed(alice_rn, maria)
    secret = signed(alice_rn, maria, part2=True)
    eve = as_user(eve_outsider)
    outcome(eve.get(f"DocumentReference/{plain.pk}"), 403)
    outcome(eve.get("DocumentReference", {"patient": str(maria.pk)}), 403)
    assert _ids(eve.get("DocumentReference")) == set()
    outcome(eve.post("DocumentReference", _body(maria)), 403)
    clinic = make_organization("Eastside Primary Care", type="primary_care")
    dr_lee = make_user("dr_lee", role="care_manager", organization=clinic)
    sharing(maria, alice_rn, clinic)
    put_on_team(maria, dr_lee, alice_rn)
    lee = as_user(dr_lee)
    found = lee.get("DocumentReference", {"patient": str(maria.pk)})
    assert _ids(found) == {str(plain.pk)} and found.resource["total"] == 1
    outcome(lee.get(f"DocumentReference/{secret.pk}"), 403)
    part2_consent(maria, alice_rn, clinic)
    shown = lee.get(f"DocumentReference/{secret.pk}").resource
    codes = {c["code"] for c in shown["meta"]["security"]}
    assert codes == {"42CFRPart2", "NORDSLCD"} and "42 CFR part 2" in shown["text"]["div"]
