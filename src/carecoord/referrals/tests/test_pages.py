"""Referral pages over HTTP: the send flow (consent required, the suggested task closed), the chart's section, the
referring side's page and links, the partner's inbox and referral (another organization's partner gets 403, and a
partner cannot open the chart or any other page that shows a person), and the secure link page (expired, revoked,
closed or unknown: nothing shown, 410/404)."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from carecoord.audit.models import AuditRecord
from carecoord.referrals.actions import Actor, change_status, create_link, revoke_link
from carecoord.referrals.models import Referral, ReferralLink
from carecoord.referrals.states import ReferralStatus, Side
from carecoord.referrals.tests.builders import send, world
from carecoord.tasks.actions import TaskData, create_task
from carecoord.tasks.models import TaskKind, TaskStatus
from carecoord.web.testing import plain_static_files, signed_in  # noqa: F401

pytestmark = pytest.mark.django_db
S = ReferralStatus


def _send_form(w, **extra):
    return {
        "service": str(w.service.pk),
        "need": "food-insecurity",
        "share": ["name", "phone"],
        "consent_method": "verbal",
        "consent_note": "On the phone",
        "reason": "Ran out of food",
        "note_to_partner": "Prefers mornings",
        "priority": "routine",
        **extra,
    }


def test_the_send_flow_requires_consent_then_sends_and_closes_the_suggestion(client):
    w = world()
    task = create_task(
        data=TaskData(organization_id=w.agency.pk, title="Suggested community referral: Food Insecurity",
                      kind=TaskKind.REFERRAL, patient=w.patient, owner=w.cm, reason="sdoh-food-insecurity"),
        by=None,
    )  # fmt: skip
    signed_in(client, w.cm)
    url = reverse("referrals:new", args=[w.patient.pk])
    page = client.get(url, {"service": w.service.pk, "need": "food-insecurity", "task": task.pk})
    assert page.status_code == 200
    body = page.content.decode()
    assert "Refer María García" in body and "Suggested community referral" in body
    refused = client.post(url, _send_form(w, consent_method="", task=str(task.pk)))
    assert refused.status_code == 200 and "consent to share" in refused.content.decode()
    assert not Referral.objects.exists()
    sent = client.post(url, _send_form(w, task=str(task.pk)))
    referral = Referral.objects.get()
    assert sent.status_code == 302 and sent["Location"] == reverse("referrals:detail", args=[referral.pk])
    assert referral.shared == {"name": "María García", "phone": referral.shared["phone"]}
    task.refresh_from_db()
    assert task.status == TaskStatus.COMPLETED
    chart = client.get(reverse("web:chart", args=[w.patient.pk])).content.decode()
    assert "Community referrals" in chart and "Community Food Pantry — Emergency groceries" in chart
    assert "Waiting for the partner" in chart


def test_the_task_page_offers_refer_for_a_suggested_referral(client):
    w = world()
    task = create_task(
        data=TaskData(organization_id=w.agency.pk, title="Suggested community referral: Food Insecurity",
                      kind=TaskKind.REFERRAL, patient=w.patient, owner=w.cm, reason="sdoh-food-insecurity"),
        by=None,
    )  # fmt: skip
    signed_in(client, w.cm)
    body = client.get(reverse("tasks:detail", args=[task.pk])).content.decode()
    assert f"/referrals/new/{w.patient.pk}/?task={task.pk}&amp;need=food-insecurity" in body


def test_the_partner_sees_the_inbox_and_works_the_referral(client):
    w = world()
    referral = send(w)
    signed_in(client, w.carla)
    home = client.get("/")
    assert home.status_code == 302 and home["Location"] == reverse("referrals:inbox")
    inbox = client.get(reverse("referrals:inbox")).content.decode()
    assert "María García" in inbox and "Ran out of food" in inbox
    page = client.get(reverse("referrals:detail", args=[referral.pk]))
    body = page.content.decode()
    assert page.status_code == 200 and "What is shared with you" in body and "Accept" in body
    assert str(w.patient.birth_date.year) not in body  # not shared
    client.post(reverse("referrals:status", args=[referral.pk]), {"to": "accepted"})
    client.post(reverse("referrals:activity", args=[referral.pk]),
                {"performed_on": timezone.localdate().isoformat(), "description": "Groceries"})  # fmt: skip
    client.post(reverse("referrals:status", args=[referral.pk]),
                {"to": "completed", "outcome": "need-met", "outcome_note": "Weekly box"})  # fmt: skip
    referral.refresh_from_db()
    assert referral.status == S.COMPLETED and referral.outcome == "need-met" and referral.activities.count() == 1


def test_a_partner_of_another_organization_gets_403_on_the_page_and_the_action(client):
    w = world()
    referral = send(w)
    signed_in(client, w.other_partner)
    assert client.get(reverse("referrals:detail", args=[referral.pk])).status_code == 403
    assert client.post(reverse("referrals:status", args=[referral.pk]), {"to": "accepted"}).status_code == 403
    assert "María" not in client.get(reverse("referrals:inbox")).content.decode()
    referral.refresh_from_db()
    assert referral.status == S.REQUESTED
    denied = AuditRecord.objects.filter(object_type="Referral", object_id=str(referral.pk), outcome="denied")
    assert denied.filter(user=w.other_partner).exists()


def test_a_partner_cannot_open_the_chart_or_any_page_that_shows_a_person(client):
    w = world()
    send(w)
    signed_in(client, w.carla)
    for url in (
        reverse("web:chart", args=[w.patient.pk]),
        reverse("web:patient_search"),
        reverse("tasks:work_list"),
        reverse("dayview:day"),
        reverse("programs:referrals"),
        reverse("programs:board"),
        reverse("referrals:new", args=[w.patient.pk]),
        "/careplans/start/" + str(w.patient.pk) + "/",
    ):
        response = client.get(url)
        assert response.status_code in (403, 405), (url, response.status_code)
    assert "García" not in client.get(reverse("web:chart", args=[w.patient.pk])).content.decode()


def test_the_referring_side_makes_a_link_shown_once_and_can_revoke_it(client):
    w = world()
    referral = send(w)
    signed_in(client, w.cm)
    made = client.post(reverse("referrals:make_link", args=[referral.pk]), {"recipient": "", "days": "5"})
    assert made.status_code == 302
    first = client.get(reverse("referrals:detail", args=[referral.pk])).content.decode()
    assert "/referrals/link/" in first and "shown only once" in first
    again = client.get(reverse("referrals:detail", args=[referral.pk])).content.decode()
    assert "/referrals/link/" not in again
    link = ReferralLink.objects.get()
    client.post(reverse("referrals:revoke_link", args=[referral.pk, link.pk]))
    link.refresh_from_db()
    assert link.revoked_at is not None


def _shows_nothing(response, w) -> None:
    body = response.content.decode()
    for secret in ("García", "María", "Ran out of food", "Emergency groceries", w.agency.name):
        assert secret not in body


def test_a_working_link_opens_the_referral_and_counts_its_use(client: Client):
    w = world()
    referral = send(w)
    _, token = create_link(referral=referral, recipient="", by=w.cm)
    url = reverse("referrals:link", args=[token])
    page = client.get(url)
    assert page.status_code == 200 and "María García" in page.content.decode()
    assert page["Cache-Control"].startswith("no-store") or "no-store" in page["Cache-Control"]
    assert page["Referrer-Policy"] == "same-origin"
    client.post(url, {"kind": "status", "to": "accepted"})
    referral.refresh_from_db()
    assert referral.status == S.ACCEPTED
    event = referral.events.last()
    assert event.channel == "link" and event.by_user is None
    link = ReferralLink.objects.get()
    assert link.use_count == 2 and link.last_used_at is not None
    audit = AuditRecord.objects.filter(object_type="ReferralLink", object_id=str(link.pk), outcome="success")
    assert audit.count() == 2 and audit.filter(user__isnull=True).count() == 2


def test_a_link_keeps_csrf(client: Client):
    w = world()
    referral = send(w)
    _, token = create_link(referral=referral, recipient="", by=w.cm)
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(reverse("referrals:link", args=[token]), {"kind": "status", "to": "accepted"}).status_code == 403
    referral.refresh_from_db()
    assert referral.status == S.REQUESTED


def test_expired_revoked_closed_and_unknown_links_show_nothing(client):
    w = world()
    referral = send(w)
    _, expired = create_link(referral=referral, recipient="", by=w.cm)
    ReferralLink.objects.filter(token_hash__isnull=False).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    revoked_link, revoked = create_link(referral=referral, recipient="", by=w.cm)
    revoke_link(link=revoked_link, by=w.cm)
    _, closing = create_link(referral=referral, recipient="", by=w.cm)
    for token in (expired, revoked):
        response = client.get(reverse("referrals:link", args=[token]))
        assert response.status_code == 410
        _shows_nothing(response, w)
    unknown = client.get(reverse("referrals:link", args=["x" * 43]))
    assert unknown.status_code == 404
    _shows_nothing(unknown, w)
    change_status(referral=referral, to=S.REJECTED, actor=Actor(Side.TARGET, w.carla), reason="Full")
    closed = client.get(reverse("referrals:link", args=[closing]))
    assert closed.status_code == 410
    _shows_nothing(closed, w)
    reasons = list(
        AuditRecord.objects.filter(object_type="ReferralLink", outcome="denied").values_list("detail", flat=True)
    )
    assert sorted(r["reason"] for r in reasons) == ["closed", "expired", "revoked"]


def test_an_administrator_sets_how_referrals_reach_a_directory_organization(client):
    from carecoord.referrals.models import PartnerOrganization
    from carecoord.referrals.tests.builders import directory_service
    from carecoord.testing.factories import make_user

    w = world()
    admin = make_user("dana_admin", role="org_admin", organization=w.agency)
    listed = directory_service("Harlem Food Bank").organization
    signed_in(client, w.cm)
    assert client.get(reverse("referrals:partners")).status_code == 403
    signed_in(client, admin)
    page = client.get(reverse("referrals:partners"), {"q": "Harlem"}).content.decode()
    assert f'id="partner-{listed.pk}"' in page and f'id="partner-{w.service.organization_id}"' not in page
    prefix = f"o{listed.pk}"
    refused = client.post(reverse("referrals:partners"), {
        "prefix": prefix, f"{prefix}-directory_organization": listed.pk, f"{prefix}-link_recipient": "",
        f"{prefix}-fhir_base_url": "ftp://x",
    })  # fmt: skip
    assert refused.status_code == 302 and not PartnerOrganization.objects.filter(directory_organization=listed).exists()
    client.post(reverse("referrals:partners"), {
        "prefix": prefix, f"{prefix}-directory_organization": listed.pk,
        f"{prefix}-link_recipient": "intake@harlemfood.example.org",
    })  # fmt: skip
    partner = PartnerOrganization.objects.get(directory_organization=listed)
    assert partner.link_recipient == "intake@harlemfood.example.org" and partner.organization is None
    audit = AuditRecord.objects.filter(object_type="PartnerOrganization", object_id=str(partner.pk), user=admin)
    assert audit.exists()


def test_the_plan_page_shows_the_referral_and_the_partners_progress_note(client):
    from carecoord.referrals.actions import complete
    from carecoord.referrals.tests.builders import plan_with_goal

    w = world()
    goal, intervention = plan_with_goal(w)
    referral = send(w, intervention=intervention)
    change_status(referral=referral, to=S.ACCEPTED, actor=Actor(Side.TARGET, w.carla))
    complete(referral=referral, actor=Actor(Side.TARGET, w.carla), outcome="need-met", note="Weekly box")
    signed_in(client, w.cm)
    page = client.get(reverse("careplans:detail", args=[goal.plan_id]))
    body = page.content.decode()
    assert page.status_code == 200 and "Referral: completed" in body
    assert "From a community referral" in body and "need met (Weekly box)" in body
