"""Permissions derive from the role template and the user's qualifications."""

import datetime

import pytest

from carecoord.accounts.actions import LicenseData, add_license, create_user
from carecoord.accounts.permissions import CLINICAL_CAPABILITIES, Capability, can, requires_mfa
from carecoord.common.errors import AccessDenied, Conflict, ValidationFailed
from carecoord.testing.factories import PASSWORD, make_user


def test_licensed_care_manager_with_current_license_may_do_clinical_work(alice_rn):
    assert all(can(alice_rn, c) for c in CLINICAL_CAPABILITIES)


def test_licensed_role_without_a_current_license_may_not(agency):
    nurse = make_user("lapsed_rn", role="licensed_care_manager", organization=agency)
    assert not can(nurse, Capability.MEDICATION_RECONCILIATION)
    add_license(user=nurse, by=None, data=LicenseData("RN", "R1", "NY", datetime.date.today() - datetime.timedelta(1)))
    assert not can(nurse, Capability.MEDICATION_RECONCILIATION)
    add_license(user=nurse, by=None, data=LicenseData("RN", "R2", "NY", datetime.date.today()))
    assert can(nurse, Capability.MEDICATION_RECONCILIATION)


def test_a_license_does_not_lift_a_non_clinical_role(bob_coordinator):
    add_license(user=bob_coordinator, by=None, data=LicenseData("RN", "R3", "NY", datetime.date(2099, 1, 1)))
    assert not can(bob_coordinator, Capability.CLINICAL_ASSESSMENT)
    assert can(bob_coordinator, Capability.OUTREACH)
    assert not can(bob_coordinator, Capability.COMPREHENSIVE_ASSESSMENT)


@pytest.mark.parametrize(
    ("persona", "capability", "allowed"),
    [
        ("sam_supervisor", Capability.REVIEW_BREAK_GLASS, True),
        ("alice_rn", Capability.REVIEW_BREAK_GLASS, False),
        ("cbo_carla", Capability.VIEW_PATIENTS, False),
        ("cbo_carla", Capability.VIEW_REFERRALS_TO_ORG, True),
        ("olga_admin", Capability.MANAGE_USERS, True),
        ("olga_admin", Capability.VIEW_PATIENTS, False),
        ("audrey_auditor", Capability.READ_AUDIT, True),
        ("audrey_auditor", Capability.VIEW_PATIENTS, False),
    ],
)
def test_role_templates(request, persona, capability, allowed):
    assert can(request.getfixturevalue(persona), capability) is allowed


def test_every_role_needs_a_second_factor(alice_rn, cbo_carla, audrey_auditor, olga_admin):
    assert all(requires_mfa(u) for u in (alice_rn, cbo_carla, audrey_auditor, olga_admin))


def test_deactivated_users_may_do_nothing(bob_coordinator):
    bob_coordinator.is_active = False
    assert not can(bob_coordinator, Capability.VIEW_PATIENTS)


def test_admins_only_manage_their_own_organization(olga_admin, other_agency):
    with pytest.raises(AccessDenied):
        create_user(username="x1", role="care_manager", organization=other_agency, password=PASSWORD, by=olga_admin)
    user = create_user(
        username="x2", role="care_manager", organization=olga_admin.organization, password=PASSWORD, by=olga_admin
    )
    assert user.organization == olga_admin.organization


def test_non_admins_cannot_create_users(alice_rn):
    with pytest.raises(AccessDenied):
        create_user(
            username="x3", role="care_manager", organization=alice_rn.organization, password=PASSWORD, by=alice_rn
        )


def test_usernames_are_unique_regardless_of_case(agency, alice_rn):
    with pytest.raises(Conflict):
        create_user(username="ALICE_RN", role="care_manager", organization=agency, password=PASSWORD, by=None)


@pytest.mark.parametrize("password", ["short1A!", "alllowercaseletters", "123456789012", "Password1234"])
def test_password_policy(agency, password):
    with pytest.raises(ValidationFailed):
        create_user(username="weak", role="care_manager", organization=agency, password=password, by=None)
