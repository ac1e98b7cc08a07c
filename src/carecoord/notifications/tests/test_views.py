"""Notifications over HTTP: the inbox (organization-wide and personal, unread first), marking read, the nav count."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.test import RequestFactory

from carecoord.notifications.actions import notify
from carecoord.notifications.models import Notification
from carecoord.web.testing import plain_static_files, signed_in  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def notices(agency, other_agency, alice_rn, bob_coordinator):
    return {
        "org": notify(organization=agency, kind="referral_received", title="New referral to NY Health Home", by=None),
        "mine": notify(
            organization=agency,
            user=alice_rn,
            kind="caseload_assigned",
            title="New on your caseload",
            link="/patients/",
            by=None,
        ),
        "bobs": notify(organization=agency, user=bob_coordinator, kind="coverage", title="Bob covers Dina", by=None),
        "theirs": notify(organization=other_agency, kind="referral_received", title="Other agency notice", by=None),
    }


def test_inbox_shows_org_and_personal_notices_only(client, alice_rn, notices):
    page = signed_in(client, alice_rn).get("/notifications/").content.decode()
    assert "New referral to NY Health Home" in page and "New on your caseload" in page
    assert "Bob covers Dina" not in page and "Other agency notice" not in page


def test_unread_first(client, alice_rn, notices):
    browser = signed_in(client, alice_rn)
    browser.post(f"/notifications/{notices['org'].pk}/read/")
    page = browser.get("/notifications/").content.decode()
    assert page.index("New on your caseload") < page.index("New referral to NY Health Home")
    assert "✓ Read" in page


def test_mark_read_with_htmx_returns_the_item(client, alice_rn, notices):
    response = signed_in(client, alice_rn).post(f"/notifications/{notices['mine'].pk}/read/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response.content.decode().startswith('<li class="card" id="notice-')
    notices["mine"].refresh_from_db()
    assert notices["mine"].read_by_id == alice_rn.pk


def test_opening_follows_the_link_and_marks_read(client, alice_rn, notices):
    response = signed_in(client, alice_rn).get(f"/notifications/{notices['mine'].pk}/")
    assert (response.status_code, response["Location"]) == (302, "/patients/")
    notices["mine"].refresh_from_db()
    assert notices["mine"].read_at is not None


def test_someone_elses_notice_is_404(client, alice_rn, notices):
    browser = signed_in(client, alice_rn)
    assert browser.post(f"/notifications/{notices['bobs'].pk}/read/").status_code == 404
    assert browser.post(f"/notifications/{notices['theirs'].pk}/read/").status_code == 404
    assert Notification.objects.filter(read_at__isnull=False).count() == 0


def test_mark_all_read(client, alice_rn, notices):
    response = signed_in(client, alice_rn).post("/notifications/read-all/", follow=True)
    assert "Marked 2 notifications read." in response.content.decode()
    assert set(Notification.objects.filter(read_at__isnull=True).values_list("title", flat=True)) == {
        "Bob covers Dina",
        "Other agency notice",
    }


def test_nav_count(client, alice_rn, notices):
    browser = signed_in(client, alice_rn)
    assert (
        '<span class="badge warn" aria-label="2 unread">2</span>'
        in browser.get("/notifications/count/").content.decode()
    )
    request = RequestFactory().get("/")
    request.user = alice_rn
    rendered = Template("{% load notifications %}{% unread_notifications %}|{% notifications_link %}").render(
        Context({"request": request})
    )
    assert rendered.startswith("2|") and "2 unread" in rendered


def test_signed_out_is_sent_to_sign_in(client):
    response = client.get("/notifications/")
    assert response.status_code == 302
    assert client.get("/notifications/count/").status_code == 204


def test_notices_naming_a_person_are_audited_when_listed_and_opened(client, agency, alice_rn, maria):
    from carecoord.audit.models import AuditRecord

    notice = notify(
        organization=agency, kind="consent_withdrawn", title="Consent withdrawn", patient=maria, link="/", by=None
    )
    alice = signed_in(client, alice_rn)
    assert "Consent withdrawn" in alice.get("/notifications/").content.decode()
    listing = AuditRecord.objects.filter(object_type="Notification", action="search").get()
    assert listing.detail["patients"] == [str(maria.pk)] and str(notice.pk) in listing.detail["results"]
    alice.get(f"/notifications/{notice.pk}/")
    opened = AuditRecord.objects.filter(object_type="Notification", action="read").get()
    assert (opened.object_id, opened.patient_id, opened.user_id) == (str(notice.pk), maria.pk, alice_rn.pk)
