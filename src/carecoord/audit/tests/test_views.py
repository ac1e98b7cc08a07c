"""The audit trail page and the supervisor's break-the-glass review queue."""

import pytest

from carecoord.audit.actions import break_glass
from carecoord.audit.models import AuditRecord, BreakGlassGrant
from carecoord.testing.factories import make_patient, make_user
from carecoord.web.testing import signed_in


@pytest.fixture
def outsider_patient(eve_outsider):
    """Someone registered at the other agency, so Brooklyn staff need break-the-glass to see them."""
    return make_patient(eve_outsider, family_name="Lindqvist", given_names="Karl")


def test_audit_trail_lists_newest_first_and_audits_itself(client, audrey_auditor, maria):
    signed_in(client, audrey_auditor)
    response = client.get("/audit/")
    assert response.status_code == 200
    page = response.context["page"]
    ids = [r.pk for r in page.object_list]
    assert ids == sorted(ids, reverse=True)
    last = AuditRecord.objects.last()
    assert (last.action, last.object_type, last.username) == ("read", "AuditRecord", "audrey_auditor")


def test_audit_filters(client, audrey_auditor, alice_rn, maria):
    signed_in(client, audrey_auditor)
    response = client.get("/audit/", {"username": "alice_rn", "action": "create", "patient_id": str(maria.pk)})
    records = list(response.context["page"].object_list)
    assert records and all(r.username == "alice_rn" and r.action == "create" for r in records)
    bad = client.get("/audit/", {"patient_id": "nope", "since": "2026-02-01", "until": "2026-01-01"})
    assert bad.status_code == 200 and bad.context["page"] is None
    assert b"Paste a person id" in bad.content and b"before the start date" in bad.content
    dated = client.get("/audit/", {"since": "2000-01-01", "until": "2000-01-02"})
    assert b"No records match" in dated.content


def test_audit_pagination(client, audrey_auditor, alice_rn):
    for n in range(3):
        make_patient(alice_rn, family_name=f"Page{n}")
    signed_in(client, audrey_auditor)
    first = client.get("/audit/")
    assert first.context["page"].paginator.count > 0
    assert client.get("/audit/", {"page": "999"}).status_code == 200


@pytest.mark.parametrize("persona", ["bob_coordinator", "olga_admin", "sam_supervisor", "cbo_carla"])
def test_audit_trail_is_for_auditors_only(request, client, persona):
    signed_in(client, request.getfixturevalue(persona))
    assert client.get("/audit/").status_code == 403


@pytest.mark.parametrize("persona", ["bob_coordinator", "audrey_auditor", "olga_admin"])
def test_review_queue_is_for_supervisors_only(request, client, persona):
    signed_in(client, request.getfixturevalue(persona))
    assert client.get("/supervisor/break-glass/").status_code == 403


def test_supervisor_reviews_emergency_access(client, bob_coordinator, sam_supervisor, outsider_patient):
    signed_in(client, bob_coordinator)
    client.post(
        f"/patients/{outsider_patient.pk}/emergency-access/",
        {"reason": "Caller says Karl collapsed; need his emergency contact"},
    )
    grant = BreakGlassGrant.objects.get(user=bob_coordinator)
    signed_in(client, sam_supervisor)
    queue = client.get("/supervisor/break-glass/")
    assert b"Bob Okafor" in queue.content and b"Karl collapsed" in queue.content
    url = f"/supervisor/break-glass/{grant.pk}/review/"
    missing_note = client.post(url, {"decision": "inappropriate", "note": ""}, follow=True)
    assert b"Say why the access was not appropriate" in missing_note.content
    done = client.post(url, {"decision": "appropriate", "note": "Verified with the caller"}, follow=True)
    assert b"as appropriate" in done.content and b"Nothing to review" in done.content
    grant.refresh_from_db()
    assert grant.status == "appropriate" and grant.reviewed_by == sam_supervisor
    again = client.post(url, {"decision": "appropriate"}, follow=True)
    assert b"already been reviewed" in again.content


def test_supervisor_cannot_review_own_access(client, sam_supervisor, agency, outsider_patient):
    break_glass(user=sam_supervisor, patient=outsider_patient, reason="Own emergency access for testing")
    other = make_user("tess_supervisor", role="supervisor", organization=agency)
    signed_in(client, sam_supervisor)
    grant = BreakGlassGrant.objects.get()
    response = client.post(f"/supervisor/break-glass/{grant.pk}/review/", {"decision": "appropriate"}, follow=True)
    assert b"may not review your own" in response.content
    signed_in(client, other)
    assert b"Sam Rivera" in client.get("/supervisor/break-glass/").content
