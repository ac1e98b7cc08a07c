"""Break-the-glass: a stated reason, a limited time, an audit record and a supervisor's review."""

import datetime

import pytest
from django.utils import timezone

from carecoord.audit.actions import break_glass, review_break_glass
from carecoord.audit.models import AuditRecord, BreakGlassGrant
from carecoord.audit.queries import list_pending_break_glass
from carecoord.common.errors import AccessDenied, ValidationFailed
from carecoord.patients.access import access_patient
from carecoord.testing.factories import make_user


@pytest.fixture
def queens_supervisor(other_agency):
    return make_user("quinn_supervisor", role="supervisor", organization=other_agency)


def test_a_reason_is_required(eve_outsider, maria):
    with pytest.raises(ValidationFailed):
        break_glass(user=eve_outsider, patient=maria, reason="  ")
    assert not BreakGlassGrant.objects.exists()


def test_partners_may_not_break_the_glass(cbo_carla, maria):
    with pytest.raises(AccessDenied):
        break_glass(user=cbo_carla, patient=maria, reason="I would like to see this record please")
    assert AuditRecord.objects.filter(action="break_glass", outcome="denied").exists()


def test_grant_expires(eve_outsider, maria):
    grant = break_glass(user=eve_outsider, patient=maria, reason="Unresponsive in ED, need history")
    access_patient(eve_outsider, maria.pk)
    BreakGlassGrant.objects.filter(pk=grant.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    with pytest.raises(AccessDenied):
        access_patient(eve_outsider, maria.pk)


def test_grant_waits_in_the_supervisors_queue_and_is_reviewed(eve_outsider, queens_supervisor, sam_supervisor, maria):
    grant = break_glass(user=eve_outsider, patient=maria, reason="Unresponsive in ED, need history")
    assert list(list_pending_break_glass(organization_id=eve_outsider.organization_id)) == [grant]
    with pytest.raises(AccessDenied):
        review_break_glass(grant=grant, by=sam_supervisor, appropriate=True)  # another organization's supervisor
    with pytest.raises(ValidationFailed):
        review_break_glass(grant=grant, by=queens_supervisor, appropriate=False, note="")
    review_break_glass(grant=grant, by=queens_supervisor, appropriate=False, note="Not our member; counselled")
    assert list(list_pending_break_glass(organization_id=eve_outsider.organization_id)) == []
    grant.refresh_from_db()
    assert grant.status == "inappropriate"
    entry = AuditRecord.objects.last()
    assert (entry.action, entry.username, entry.patient_id) == ("review", "quinn_supervisor", maria.pk)


def test_supervisors_cannot_review_themselves(queens_supervisor, maria):
    grant = break_glass(user=queens_supervisor, patient=maria, reason="Covering an emergency call tonight")
    with pytest.raises(AccessDenied):
        review_break_glass(grant=grant, by=queens_supervisor, appropriate=True)


def test_reading_the_queue_is_audited_and_limited_to_supervisors(eve_outsider, queens_supervisor, maria):
    from carecoord.audit.access import access_break_glass_queue

    break_glass(user=eve_outsider, patient=maria, reason="Unresponsive in ED, need history")
    assert [g.patient_id for g in access_break_glass_queue(queens_supervisor)] == [maria.pk]
    entry = AuditRecord.objects.last()
    assert (entry.username, entry.object_type, entry.detail["patients"]) == (
        "quinn_supervisor",
        "BreakGlassGrant",
        [str(maria.pk)],
    )
    with pytest.raises(AccessDenied):
        access_break_glass_queue(eve_outsider)
