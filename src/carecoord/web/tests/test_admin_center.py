"""The administration center: organization, users, licenses, second-factor reset and API tokens."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from carecoord.accounts.actions import affiliate
from carecoord.accounts.models import ApiToken, User
from carecoord.testing.factories import PASSWORD
from carecoord.web.testing import confirmed_device, signed_in


@pytest.mark.parametrize("persona", ["bob_coordinator", "audrey_auditor", "sam_supervisor", "cbo_carla"])
def test_admin_center_is_for_org_admins_only(request, client, persona):
    signed_in(client, request.getfixturevalue(persona))
    for url in ("/admin-center/", "/admin-center/users/", "/admin-center/users/new/", "/admin-center/tokens/"):
        assert client.get(url).status_code == 403


def test_overview_lists_affiliations(client, olga_admin, agency, other_agency):
    affiliate(source=agency, target=other_agency, kind="refers_to", by=None)
    signed_in(client, olga_admin)
    response = client.get("/admin-center/")
    assert response.status_code == 200
    assert b"Brooklyn Care Partners" in response.content and b"may refer to" in response.content
    assert b"Queens Community Care" in response.content


def test_users_list_shows_role_licenses_and_mfa(client, olga_admin, alice_rn, eve_outsider):
    signed_in(client, olga_admin)
    html = client.get("/admin-center/users/").content.decode()
    assert "Alice Nguyen" in html and "Licensed care manager" in html and "RN NY" in html
    assert "Eve" not in html  # another organization's staff
    assert "Not set up" in html and "Set up" in html


def test_create_user_with_errors_then_success(client, olga_admin):
    signed_in(client, olga_admin)
    bad = client.post(
        "/admin-center/users/new/",
        {"username": "olga_admin", "role": "care_manager", "password": PASSWORD, "languages": "en"},
    )
    assert b"is taken" in bad.content
    weak = client.post(
        "/admin-center/users/new/",
        {"username": "nina", "role": "care_manager", "password": "password", "languages": "en"},
    )
    assert b"There is a problem" in weak.content or b"There are" in weak.content
    ok = client.post(
        "/admin-center/users/new/",
        {
            "username": "nina",
            "role": "care_manager",
            "first_name": "Nina",
            "last_name": "Ruiz",
            "email": "nina@example.org",
            "title": "Care Manager",
            "education": "MSW",
            "years_experience": "4",
            "languages": "en, es",
            "password": PASSWORD,
        },
    )
    nina = User.objects.get(username="nina")
    assert ok.status_code == 302 and ok["Location"] == f"/admin-center/users/{nina.pk}/"
    assert nina.organization == olga_admin.organization and nina.languages == ["en", "es"]


def test_edit_user_role_and_deactivate(client, olga_admin, bob_coordinator):
    signed_in(client, olga_admin)
    url = f"/admin-center/users/{bob_coordinator.pk}/"
    page = client.get(url)
    assert page.status_code == 200 and b"Bob Okafor" in page.content
    response = client.post(
        url,
        {
            "role": "care_manager",
            "first_name": "Bob",
            "last_name": "Okafor",
            "email": "bob_coordinator@example.org",
            "languages": "en",
        },
    )
    assert response.status_code == 302
    bob_coordinator.refresh_from_db()
    assert bob_coordinator.role == "care_manager" and not bob_coordinator.is_active
    self_off = client.post(f"/admin-center/users/{olga_admin.pk}/", {"role": "org_admin", "languages": "en"})
    assert b"cannot deactivate yourself" in self_off.content


def test_other_organizations_users_are_not_found(client, olga_admin, eve_outsider):
    signed_in(client, olga_admin)
    assert client.get(f"/admin-center/users/{eve_outsider.pk}/").status_code == 404


def test_add_license(client, olga_admin, bob_coordinator):
    signed_in(client, olga_admin)
    url = f"/admin-center/users/{bob_coordinator.pk}/licenses/"
    bad = client.post(url, {"type": "RN", "number": "123", "state": "N", "expires_on": "2030-01-01"})
    assert b"two-letter state code" in bad.content
    ok = client.post(url, {"type": "LMSW", "number": "L-555", "state": "ny", "expires_on": "2030-01-01"})
    assert ok.status_code == 302
    assert bob_coordinator.licenses.get().state == "NY"


def test_reset_mfa(client, olga_admin, bob_coordinator):
    confirmed_device(bob_coordinator)
    signed_in(client, olga_admin)
    assert client.get(f"/admin-center/users/{bob_coordinator.pk}/reset-mfa/").status_code == 405
    response = client.post(f"/admin-center/users/{bob_coordinator.pk}/reset-mfa/")
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=bob_coordinator).exists()


def test_tokens_shown_once_and_revoked(client, olga_admin):
    signed_in(client, olga_admin)
    created = client.post("/admin-center/tokens/", {"name": "reports", "days": "30"})
    token = ApiToken.objects.get(user=olga_admin)
    assert b"Copy this token now" in created.content and token.prefix.encode() in created.content
    listing = client.get("/admin-center/tokens/")
    assert b"Copy this token now" not in listing.content and b"reports" in listing.content
    revoked = client.post(f"/admin-center/tokens/{token.pk}/revoke/")
    assert revoked.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert client.post(f"/admin-center/tokens/{token.pk}/revoke/").status_code == 404
