"""Sending, services delivered, outcomes, links and partners through the actions; closing the loop (notice to the
requester, the care plan following)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from carecoord.audit.models import AuditRecord
from carecoord.careplans.models import GoalProgressNote, InterventionStatus
from carecoord.common.errors import AccessDenied, DomainError, ValidationFailed
from carecoord.notifications.models import Notification, NotificationKind
from carecoord.referrals import actions
from carecoord.referrals.actions import Actor, ConsentToShare, change_status, complete, create_link, record_activity
from carecoord.referrals.models import ReferralLink
from carecoord.referrals.states import ReferralStatus, Side
from carecoord.referrals.tests.builders import directory_service, plan_with_goal, send, world
from carecoord.tasks.actions import TaskData, create_task
from carecoord.tasks.models import TaskKind, TaskStatus

pytestmark = pytest.mark.django_db
S = ReferralStatus


def test_sending_without_consent_is_refused_and_names_it():
    w = world()
    for missing in (None, ConsentToShare(method="")):
        with pytest.raises(ValidationFailed) as caught:
            send(w, consent=missing)
        assert "consent" in caught.value.errors
        assert "consent" in caught.value.message.lower()
    assert not w.patient.community_referrals.exists()


def test_a_sent_referral_is_requested_to_the_partner_with_only_what_was_chosen():
    w = world()
    task = create_task(
        data=TaskData(organization_id=w.agency.pk, title="Suggested community referral: Food Insecurity",
                      kind=TaskKind.REFERRAL, patient=w.patient, owner=w.cm, reason="sdoh-food-insecurity"),
        by=None,
    )  # fmt: skip
    referral = send(w, share=["name", "zip"], source_task=task, priority="urgent")
    assert referral.status == S.REQUESTED and referral.target_organization == w.cbo
    assert referral.target_directory_organization == w.service.organization
    assert referral.shared == {"name": "María García", "zip": "11201"}
    assert referral.consent_method == "verbal" and referral.consent_recorded_by == w.cm
    assert [(e.from_status, e.to_status) for e in referral.events.all()] == [("", S.REQUESTED)]
    task.refresh_from_db()
    assert task.status == TaskStatus.COMPLETED
    audit = AuditRecord.objects.filter(object_type="Referral", object_id=str(referral.pk), action="create").get()
    assert audit.detail["shared"] == ["name", "zip"] and audit.channel == "web"
    # the partner tenant hears of it, without the person's name
    notice = Notification.objects.get(organization=w.cbo, kind=NotificationKind.COMMUNITY_REFERRAL)
    assert "García" not in notice.title + notice.body and notice.patient is None


def test_unknown_share_items_an_inactive_service_and_another_persons_goal_are_refused():
    w = world()
    with pytest.raises(ValidationFailed) as caught:
        send(w, share=["name", "ssn"])
    assert "share" in caught.value.errors
    closed = directory_service("Closed Pantry")
    closed.status = "inactive"
    closed.save()
    with pytest.raises(ValidationFailed) as caught:
        send(w, service=closed)
    assert "service" in caught.value.errors


def test_a_partner_cannot_send():
    w = world()
    with pytest.raises(AccessDenied):
        send(w, by=w.carla)


def test_the_channel_is_recorded_on_the_event_and_the_audit():
    w = world()
    referral = send(w)
    change_status(referral=referral, to=S.ACCEPTED, actor=Actor(Side.TARGET, display="Pantry's system"),
                  channel="sync")  # fmt: skip
    event = referral.events.last()
    assert (event.channel, event.by_user, event.by_display) == ("sync", None, "Pantry's system")
    audit = AuditRecord.objects.filter(object_id=str(referral.pk), action="update").get()
    assert audit.channel == "sync" and audit.user_id is None and audit.username == "Pantry's system"


def test_target_moves_notify_the_requester_and_mark_the_referral_unseen():
    w = world()
    referral = send(w)
    change_status(referral=referral, to=S.REJECTED, actor=Actor(Side.TARGET, w.carla), reason="Outside our area")
    referral.refresh_from_db()
    assert referral.unseen_by_requester
    notice = Notification.objects.get(user=w.cm, kind=NotificationKind.COMMUNITY_REFERRAL)
    assert "rejected" in notice.title and "Outside our area" in notice.body
    assert notice.link == f"/referrals/{referral.pk}/"
    actions.mark_seen(referral=referral, by=w.cm)
    referral.refresh_from_db()
    assert not referral.unseen_by_requester


def test_the_care_plan_follows_the_referral():
    w = world()
    goal, intervention = plan_with_goal(w)
    referral = send(w, goal=goal, intervention=intervention)
    carla = Actor(Side.TARGET, w.carla)
    change_status(referral=referral, to=S.ACCEPTED, actor=carla)
    intervention.refresh_from_db()
    assert intervention.status == InterventionStatus.IN_PROGRESS
    record_activity(referral=referral, performed_on=timezone.localdate(), description="Groceries for a week",
                    actor=carla)  # fmt: skip
    complete(referral=referral, actor=carla, outcome="need-met", note="Enrolled in weekly deliveries")
    intervention.refresh_from_db()
    goal.refresh_from_db()
    assert intervention.status == InterventionStatus.COMPLETED and intervention.completed_at is not None
    notes = list(GoalProgressNote.objects.filter(goal=goal).values_list("text", flat=True))
    assert any("need met" in n and "weekly deliveries" in n for n in notes), notes
    assert goal.achievement_status == "improving"
    assert referral.activities.count() == 1


@pytest.mark.parametrize(("to", "side", "expected"), [
    (S.REJECTED, Side.TARGET, InterventionStatus.STOPPED),
    (S.CANCELLED, Side.REQUESTER, InterventionStatus.CANCELLED),
])  # fmt: skip
def test_a_referral_that_ends_without_the_service_stops_the_intervention(to, side, expected):
    w = world()
    goal, intervention = plan_with_goal(w)
    referral = send(w, intervention=intervention)
    actor = Actor(side, w.carla if side == Side.TARGET else w.cm)
    change_status(referral=referral, to=to, actor=actor, reason="The person moved away")
    intervention.refresh_from_db()
    assert (intervention.status, intervention.status_reason) == (expected, "The person moved away")
    assert GoalProgressNote.objects.filter(goal=goal, text__contains="The person moved away").exists()


def test_services_are_recorded_by_the_target_once_accepted():
    w = world()
    referral = send(w)
    carla = Actor(Side.TARGET, w.carla)
    with pytest.raises(DomainError):
        record_activity(referral=referral, performed_on=timezone.localdate(), description="Bag", actor=carla)
    change_status(referral=referral, to=S.ACCEPTED, actor=carla)
    with pytest.raises(AccessDenied):
        record_activity(referral=referral, performed_on=timezone.localdate(), description="Bag",
                        actor=Actor(Side.REQUESTER, w.cm))  # fmt: skip
    with pytest.raises(ValidationFailed):
        record_activity(referral=referral, performed_on=timezone.localdate() + datetime.timedelta(days=1),
                        description="Bag", actor=carla)  # fmt: skip
    activity = record_activity(referral=referral, performed_on=timezone.localdate(), description="Bag", code="1234",
                               actor=carla)  # fmt: skip
    assert activity.recorded_by == w.carla


def test_a_link_stores_only_the_hash_of_its_token(settings):
    settings.REFERRAL_LINK_DAYS = 3
    w = world()
    referral = send(w)
    link, token = create_link(referral=referral, recipient="intake@pantry.example.org", by=w.cm)
    assert len(token) >= 43
    stored = ReferralLink.objects.get(pk=link.pk)
    assert stored.token_hash == actions.token_hash(token) and token not in stored.token_hash
    assert abs((stored.expires_at - timezone.now()) - datetime.timedelta(days=3)) < datetime.timedelta(minutes=1)
    every_value = " ".join(str(v) for v in ReferralLink.objects.values_list().get())
    assert token not in every_value
    assert not AuditRecord.objects.filter(detail__icontains=token).exists()
    with pytest.raises(AccessDenied):
        create_link(referral=referral, recipient="", by=w.carla)


def test_upsert_partner_needs_a_way_to_reach_them():
    w = world()
    with pytest.raises(ValidationFailed):
        actions.upsert_partner(directory_organization=directory_service().organization, by=None)
    partner = actions.upsert_partner(
        directory_organization=w.service.organization, fhir_base_url="https://pantry.example.org/fhir/",
        fhir_token_variable="PANTRY_TOKEN", by=None,
    )  # fmt: skip
    assert partner.fhir_base_url == "https://pantry.example.org/fhir" and partner.organization is None
    with pytest.raises(AccessDenied):
        actions.upsert_partner(directory_organization=w.service.organization, organization=w.cbo, by=w.cm)


def test_the_requester_is_emailed_when_referral_alerts_are_on(settings, django_capture_on_commit_callbacks, mailoutbox):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://carecoord.example.org"
    w = world()
    referral = send(w)
    settings.ALERT_EMAIL_KINDS = frozenset()
    with django_capture_on_commit_callbacks(execute=True):
        change_status(referral=referral, to=S.ACCEPTED, actor=Actor(Side.TARGET, w.carla))
    assert mailoutbox == []
    settings.ALERT_EMAIL_KINDS = frozenset({"referral"})
    with django_capture_on_commit_callbacks(execute=True):
        change_status(referral=referral, to=S.IN_PROGRESS, actor=Actor(Side.TARGET, w.carla))
    assert [m.to for m in mailoutbox] == [[w.cm.email]]
    assert "García" not in mailoutbox[0].body and "/notifications/" in mailoutbox[0].body
