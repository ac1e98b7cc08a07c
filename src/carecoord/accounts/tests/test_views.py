"""Signing in over HTTP: password, lockout, second factor (enrol and verify), sign out, password change."""

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from carecoord.audit.models import AuditRecord
from carecoord.testing.factories import PASSWORD
from carecoord.web.testing import confirmed_device, signed_in, totp_code

LOGIN = "/accounts/login/"
MFA = "/accounts/mfa/"


def test_login_page_renders(client, db):
    response = client.get(LOGIN)
    assert response.status_code == 200
    assert b"Sign in" in response.content
    assert b"<script>" not in response.content  # CSP: no inline scripts


def test_idle_timeout_notice(client, db):
    response = client.get(LOGIN + "?timeout=1&next=/patients/")
    assert b"You were signed out" in response.content


def test_wrong_password_is_refused_and_audited(client, alice_rn):
    response = client.post(LOGIN, {"username": "alice_rn", "password": "nope"})
    assert response.status_code == 200
    assert b"do not match an active account" in response.content
    last = AuditRecord.objects.last()
    assert (last.action, last.outcome, last.username) == ("login_failed", "failed", "alice_rn")


def test_lockout_after_five_failures(client, alice_rn):
    for _ in range(5):
        client.post(LOGIN, {"username": "alice_rn", "password": "wrong-password"})
    response = client.post(LOGIN, {"username": "alice_rn", "password": PASSWORD})
    assert response.status_code == 429
    assert b"This account is locked for now" in response.content
    assert "_auth_user_id" not in client.session


def test_password_then_enrolment_then_patients(client, alice_rn, maria):
    response = client.post(LOGIN, {"username": "alice_rn", "password": PASSWORD, "next": "/patients/"})
    assert response.status_code == 302
    assert response["Location"].startswith(MFA)
    # Before the second factor, patient pages send the user back to the MFA page.
    response = client.get(f"/patients/{maria.pk}/")
    assert response.status_code == 302 and response["Location"].startswith(MFA)
    page = client.get(MFA + "?next=/patients/")
    assert page.status_code == 200
    assert b"<svg" in page.content and b"Set up your authenticator app" in page.content
    device = TOTPDevice.objects.get(user=alice_rn, confirmed=False)
    again = client.get(MFA)  # reloading keeps the same secret
    assert TOTPDevice.objects.get(user=alice_rn, confirmed=False).pk == device.pk
    assert again.status_code == 200
    wrong = client.post(MFA, {"code": "000000", "next": "/patients/"})
    assert b"does not match" in wrong.content
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0, throttling_failure_timestamp=None)
    response = client.post(MFA, {"code": totp_code(device), "next": "/patients/"})
    assert response.status_code == 302 and response["Location"] == "/patients/"
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    assert client.get(f"/patients/{maria.pk}/").status_code == 200
    assert AuditRecord.objects.filter(action="login", username="alice_rn", outcome="success").exists()


def test_verify_with_existing_device(client, bob_coordinator):
    device = confirmed_device(bob_coordinator)
    client.post(LOGIN, {"username": "bob_coordinator", "password": PASSWORD})
    page = client.get(MFA)
    assert b"Confirm it" in page.content
    bad = client.post(MFA, {"code": "12345"})
    assert b"Enter the 6 digits" in bad.content
    wrong = client.post(MFA, {"code": "000000" if totp_code(device) != "000000" else "111111"})
    assert b"not right" in wrong.content
    assert AuditRecord.objects.filter(action="login_failed", username="bob_coordinator").exists()
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0, throttling_failure_timestamp=None)
    ok = client.post(MFA, {"code": totp_code(device)})
    assert ok.status_code == 302 and ok["Location"] == "/"


def test_open_redirect_is_ignored(client, bob_coordinator):
    confirmed_device(bob_coordinator)
    response = client.post(
        LOGIN, {"username": "bob_coordinator", "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert "evil" not in response["Location"]


def test_logout_is_post_only(client, bob_coordinator):
    signed_in(client, bob_coordinator)
    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert client.get("/patients/").status_code == 302
    assert AuditRecord.objects.filter(action="logout", username="bob_coordinator").exists()


def test_password_change(client, bob_coordinator):
    signed_in(client, bob_coordinator)
    url = reverse("accounts:password_change")
    assert client.get(url).status_code == 200
    wrong = client.post(
        url, {"current_password": "x", "new_password": "A-new-Passw0rd!", "confirm_password": "A-new-Passw0rd!"}
    )
    assert b"not your current password" in wrong.content
    weak = client.post(url, {"current_password": PASSWORD, "new_password": "short", "confirm_password": "short"})
    assert b"There is a problem" in weak.content or b"There are" in weak.content
    mismatch = client.post(
        url, {"current_password": PASSWORD, "new_password": "A-new-Passw0rd!", "confirm_password": "Other-Passw0rd!"}
    )
    assert b"not the same" in mismatch.content
    done = client.post(
        url, {"current_password": PASSWORD, "new_password": "A-new-Passw0rd!", "confirm_password": "A-new-Passw0rd!"}
    )
    assert done.status_code == 302
    bob_coordinator.refresh_from_db()
    assert bob_coordinator.check_password("A-new-Passw0rd!")
    assert client.get("/patients/").status_code == 200  # still signed in


@pytest.mark.parametrize(
    ("persona", "home"),
    [("bob_coordinator", "/patients/"), ("audrey_auditor", "/audit/"), ("olga_admin", "/admin-center/")],
)
def test_home_sends_each_role_to_its_work(request, client, persona, home):
    signed_in(client, request.getfixturevalue(persona))
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == home


def test_partner_home_is_the_referral_inbox(client, cbo_carla):
    signed_in(client, cbo_carla)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/referrals/inbox/"
    inbox = client.get(response["Location"])
    assert inbox.status_code == 200
    assert b"No referrals here." in inbox.content
