"""Progress notes through the actions and HTTP: drafts, signing locks, addenda, late entries, the co-sign queue,
who may see what (Part 2 label gate) and the audit."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from carecoord.audit.models import AuditRecord
from carecoord.common.errors import AccessDenied, DomainError
from carecoord.contacts.tests.helpers import enrolled
from carecoord.notes.access import access_cosign_queue, access_note, access_notes
from carecoord.notes.actions import (
    NoteLocked,
    add_addendum,
    cosign_note,
    enter_note_in_error,
    return_note,
    save_note,
    sign_addendum,
    sign_note,
    start_note,
)
from carecoord.notes.models import NoteAddendum, ProgressNote
from carecoord.notes.tests.helpers import signed
from carecoord.testing.factories import make_organization, make_user
from carecoord.web.testing import plain_static_files, signed_in  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def hh(alice_rn, maria):
    return enrolled(alice_rn, "ny-hh-adult", patient=maria, care_manager=alice_rn)


def test_a_signed_note_is_locked_and_amended_only_by_signed_addenda(alice_rn, bob_coordinator, maria, hh):
    note = start_note(patient=maria, kind="soap", by=alice_rn, enrollment=hh, sections={"subjective": "Tired"})
    save_note(note=note, by=alice_rn, sections={"subjective": "Tired, sleeping badly", "plan": "Call Friday"})
    sign_note(note=note, by=alice_rn)
    assert (note.status, note.state_label, note.late_entry, note.cosign_required) == ("signed", "Signed", False, False)
    with pytest.raises(NoteLocked, match="corrected by addenda") as refused:
        save_note(note=note, by=alice_rn, sections={"subjective": "changed"})
    assert refused.value.status == 409
    with pytest.raises(NoteLocked):
        sign_note(note=note, by=alice_rn)
    addendum = add_addendum(note=note, text="Also reported dizziness.", by=bob_coordinator)
    with pytest.raises(AccessDenied):
        sign_addendum(addendum=addendum, by=alice_rn)
    sign_addendum(addendum=addendum, by=bob_coordinator)
    with pytest.raises(NoteLocked):
        sign_addendum(addendum=addendum, by=bob_coordinator)
    note.refresh_from_db()
    assert note.sections["subjective"] == "Tired, sleeping badly" and note.version == 4
    changes = list(
        AuditRecord.objects.filter(object_type__in=["ProgressNote", "NoteAddendum"], action__in=["create", "update"])
        .order_by("pk")
        .values_list("object_type", "action")
    )
    assert changes == [
        ("ProgressNote", "create"),
        ("ProgressNote", "update"),
        ("ProgressNote", "update"),
        ("NoteAddendum", "create"),
        ("NoteAddendum", "update"),
    ]


def test_drafts_are_the_authors_and_empty_notes_are_not_signed(alice_rn, bob_coordinator, maria):
    note = start_note(patient=maria, kind="dap", by=alice_rn)
    with pytest.raises(AccessDenied):
        save_note(note=note, by=bob_coordinator, sections={"data": "x"})
    with pytest.raises(DomainError, match="at least one section"):
        sign_note(note=note, by=alice_rn)
    with pytest.raises(DomainError, match="addenda are for signed notes"):
        add_addendum(note=note, text="x", by=alice_rn)


def test_late_entry_is_marked_by_the_setting(alice_rn, maria, settings):
    two_days_ago = timezone.now() - datetime.timedelta(days=2)
    assert signed(alice_rn, maria, event_at=two_days_ago).late_entry
    assert not signed(alice_rn, maria, event_at=timezone.now() - datetime.timedelta(hours=3)).late_entry
    settings.NOTES_RULES = {"late_entry_hours": 72}
    assert not signed(alice_rn, maria, event_at=two_days_ago).late_entry


def test_hh_plus_notes_go_to_the_queue_and_a_supervisor_cosigns(alice_rn, bob_coordinator, sam_supervisor, maria):
    smi = enrolled(alice_rn, "ny-hh-plus-smi", patient=maria, care_manager=alice_rn)
    plain = signed(alice_rn, maria)
    note = signed(alice_rn, maria, enrollment=smi)
    assert note.cosign_required and note.state_label == "Awaiting co-signature"
    assert access_cosign_queue(sam_supervisor) == [note]
    assert AuditRecord.objects.filter(user=sam_supervisor, action="search", detail__list="cosign-queue").exists()
    with pytest.raises(AccessDenied):
        access_cosign_queue(bob_coordinator)
    with pytest.raises(AccessDenied):
        cosign_note(note=note, by=bob_coordinator)
    with pytest.raises(DomainError, match="not waiting"):
        cosign_note(note=plain, by=sam_supervisor)
    cosign_note(note=note, by=sam_supervisor)
    assert (note.cosigned_by, note.state_label) == (sam_supervisor, "Co-signed")
    assert access_cosign_queue(sam_supervisor) == []


def test_complex_care_needs_cosign_only_for_unlicensed_authors(alice_rn, bob_coordinator, maria):
    complex_care = enrolled(alice_rn, "complex-care", patient=maria, care_manager=alice_rn)
    assert not signed(alice_rn, maria, enrollment=complex_care).cosign_required
    assert signed(bob_coordinator, maria, enrollment=complex_care).cosign_required


def test_a_returned_note_stays_signed_and_returns_to_the_queue_after_an_addendum(alice_rn, sam_supervisor, maria):
    smi = enrolled(alice_rn, "ny-hh-plus-smi", patient=maria, care_manager=alice_rn)
    note = signed(alice_rn, maria, enrollment=smi)
    with pytest.raises(DomainError):
        return_note(note=note, by=sam_supervisor, comment=" ")
    return_note(note=note, by=sam_supervisor, comment="Add the safety plan you discussed.")
    assert (note.status, note.state_label, note.returns[0]["comment"]) == (
        "signed",
        "Returned for changes",
        "Add the safety plan you discussed.",
    )
    assert access_cosign_queue(sam_supervisor) == []
    sign_addendum(addendum=add_addendum(note=note, text="Safety plan reviewed.", by=alice_rn), by=alice_rn)
    assert access_cosign_queue(sam_supervisor) == [note]


def test_a_note_in_error_is_kept_with_its_reason(alice_rn, bob_coordinator, maria):
    note = signed(alice_rn, maria)
    with pytest.raises(AccessDenied):
        enter_note_in_error(note=note, by=bob_coordinator, reason="wrong person")
    enter_note_in_error(note=note, by=alice_rn, reason="Wrong person")
    assert ProgressNote.objects.get().status == "entered_in_error"
    with pytest.raises(DomainError):
        add_addendum(note=note, text="x", by=alice_rn)


def test_a_part_2_note_is_hidden_from_an_organization_without_a_part_2_consent(alice_rn, maria):
    from carecoord.programs.tests.test_enrollment_and_consent import part2_consent, put_on_team, sharing

    clinic = make_organization("Eastside Primary Care", type="primary_care")
    dr_lee = make_user("dr_lee", role="care_manager", organization=clinic)
    sharing(maria, alice_rn, clinic)
    put_on_team(maria, dr_lee, alice_rn)
    plain = signed(alice_rn, maria)
    secret = signed(alice_rn, maria, part2=True, text="Attends methadone clinic daily.")
    draft = start_note(patient=maria, kind="dap", by=alice_rn)
    assert secret.security_labels == ["42CFRPart2"]
    found = access_notes(dr_lee, maria.pk)
    assert [s.note for s in found.notes] == [plain] and found.withheld == 1
    for hidden in (secret, draft):
        with pytest.raises(AccessDenied):
            access_note(dr_lee, hidden.pk)
    assert AuditRecord.objects.filter(user=dr_lee, object_id=str(secret.pk), outcome="denied").exists()
    part2_consent(maria, alice_rn, clinic)
    shown = access_note(dr_lee, secret.pk)
    assert shown.labels == ["42CFRPart2"] and "42 CFR part 2" in shown.notices[0]
    assert access_note(alice_rn, secret.pk).notices == []  # the writer's own record


# --- HTTP ---------------------------------------------------------------------------------------------------


def test_the_chart_panel_and_a_note_written_signed_and_amended_on_the_web(client, alice_rn, maria, hh):
    signed_in(client, alice_rn)
    chart = client.get(reverse("web:chart", args=[maria.pk])).content.decode()
    assert 'id="s-notes"' in chart and '<option value="transition">Transition call</option>' in chart
    response = client.post(reverse("notes:new", args=[maria.pk]), {"kind": "dap", "enrollment": str(hh.pk)})
    note = ProgressNote.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("notes:detail", args=[note.pk])
    page = client.get(response["Location"]).content.decode()
    assert 'spellcheck="true"' in page and 'lang="en"' in page and "What it means" in page
    save = reverse("notes:save", args=[note.pk])
    client.post(save, {"s_data": "Reached by phone.", "s_plan": "Visit Tuesday", "sign": "1"})
    note.refresh_from_db()
    assert note.status == "signed" and note.sections == {"data": "Reached by phone.", "plan": "Visit Tuesday"}
    refused = client.post(save, {"s_data": "Changed afterwards"})
    assert refused.status_code == 409 and "signed notes are corrected by addenda" in refused.content.decode()
    note.refresh_from_db()
    assert note.sections["data"] == "Reached by phone."
    client.post(reverse("notes:addendum", args=[note.pk]), {"text": "Visit moved to Wednesday."})
    assert NoteAddendum.objects.get().is_signed
    page = client.get(reverse("notes:detail", args=[note.pk])).content.decode()
    assert "Visit moved to Wednesday." in page and "Add addendum" in page and "Sign and lock" not in page
    chart = client.get(reverse("web:chart", args=[maria.pk])).content.decode()
    assert "DAP note" in chart and ">Signed</span>" in chart


def test_the_cosign_queue_on_the_web(client, alice_rn, bob_coordinator, sam_supervisor, maria):
    smi = enrolled(alice_rn, "ny-hh-plus-smi", patient=maria, care_manager=alice_rn)
    note = signed(alice_rn, maria, enrollment=smi, event_at=timezone.now() - datetime.timedelta(days=3))
    signed_in(client, bob_coordinator)
    assert client.get(reverse("notes:queue")).status_code == 403
    assert client.post(reverse("notes:cosign", args=[note.pk])).status_code == 403
    signed_in(client, sam_supervisor)
    html = client.get(reverse("notes:queue")).content.decode()
    assert "García, María José" in html and "Late entry" in html
    response = client.post(reverse("notes:cosign", args=[note.pk]), {"next": "queue"})
    assert response.status_code == 302 and response["Location"] == reverse("notes:queue")
    note.refresh_from_db()
    assert note.cosigned_by == sam_supervisor and note.cosigned_at is not None
    assert "No notes are waiting" in client.get(reverse("notes:queue")).content.decode()


def test_outsiders_are_refused_and_audited(client, alice_rn, eve_outsider, audrey_auditor, maria):
    note = signed(alice_rn, maria)
    signed_in(client, eve_outsider)
    assert client.get(reverse("notes:detail", args=[note.pk])).status_code == 403
    assert client.get(reverse("notes:list", args=[maria.pk])).status_code == 403
    assert client.post(reverse("notes:new", args=[maria.pk]), {"kind": "dap"}).status_code == 403
    assert client.post(reverse("notes:addendum", args=[note.pk]), {"text": "x"}).status_code == 403
    assert ProgressNote.objects.count() == 1 and not NoteAddendum.objects.exists()
    assert AuditRecord.objects.filter(user=eve_outsider, patient_id=maria.pk, outcome="denied").exists()
    signed_in(client, audrey_auditor)
    assert client.get(reverse("notes:detail", args=[note.pk])).status_code == 403
