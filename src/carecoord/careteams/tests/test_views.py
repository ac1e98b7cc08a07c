"""The chart's care team panel over HTTP: members listed, added (staff, clinician, caregiver, the person, anyone
else), ended with a reason; outsiders and emergency readers cannot change the team."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from carecoord.audit.actions import break_glass
from carecoord.careteams.actions import MemberData, add_member, end_member, set_lead_care_manager
from carecoord.careteams.models import CareTeamMember
from carecoord.web.testing import plain_static_files, signed_in  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice_client(client, alice_rn):
    return signed_in(client, alice_rn)


def test_chart_shows_the_team_with_lead_and_former_members(alice_client, maria, alice_rn, bob_coordinator):
    set_lead_care_manager(patient=maria, user=alice_rn, by=alice_rn)
    add_member(
        patient=maria,
        data=MemberData(role="care_coordinator", user=bob_coordinator),
        by=alice_rn,
    )
    old = add_member(
        patient=maria,
        data=MemberData(
            role="pharmacist",
            kind="other",
            name="Pat Pharmacist",
            phone="7185550111",
            start_date=timezone.localdate() - datetime.timedelta(days=30),
        ),
        by=alice_rn,
    )
    end_member(member=old, by=alice_rn, reason="Moved pharmacy", on=timezone.localdate() - datetime.timedelta(days=2))
    page = alice_client.get(f"/patients/{maria.pk}/").content.decode()
    assert 'id="care-team"' in page
    assert "★ Lead" in page
    assert "Bob Okafor" in page and "Care coordinator" in page
    assert "Former members (1)" in page and "Moved pharmacy" in page
    assert "Add a member" in page


def test_add_staff_member(alice_client, maria, bob_coordinator):
    assert "Staff member" in alice_client.get(f"/careteams/{maria.pk}/add/").content.decode()
    response = alice_client.post(
        f"/careteams/{maria.pk}/add/", {"kind": "staff", "user": bob_coordinator.pk, "role": "care_coordinator"}
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"/patients/{maria.pk}/#care-team")
    member = CareTeamMember.objects.get(user=bob_coordinator)
    assert (member.role, member.organization_id) == ("care_coordinator", bob_coordinator.organization_id)


def test_add_caregiver_from_contacts_takes_their_phone(alice_client, maria):
    contact = maria.contacts.get()
    response = alice_client.post(f"/careteams/{maria.pk}/add/", {"kind": "related_person", "contact": contact.pk})
    assert response.status_code == 302
    member = CareTeamMember.objects.get(contact=contact)
    assert (member.role, member.name, member.phone) == ("caregiver", contact.name, contact.phone)


def test_add_the_person_themself(alice_client, maria):
    alice_client.post(f"/careteams/{maria.pk}/add/", {"kind": "patient"})
    member = CareTeamMember.objects.get(kind="patient")
    assert (member.role, member.name) == ("patient", str(maria))


def test_add_typed_name_and_phone(alice_client, maria):
    response = alice_client.post(
        f"/careteams/{maria.pk}/add/",
        {"kind": "other", "name": "Rosa from the senior center", "phone": "718 555 0122", "role": "cbo_contact"},
    )
    assert response.status_code == 302
    assert CareTeamMember.objects.filter(name="Rosa from the senior center", phone="718 555 0122").exists()


def test_add_errors_are_shown_next_to_fields(alice_client, maria):
    response = alice_client.post(f"/careteams/{maria.pk}/add/", {"kind": "other"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Type their name." in page
    assert "Choose their role on the team." in page
    assert "There are" in page  # the error summary
    assert not CareTeamMember.objects.exists()


def test_end_member_with_htmx_swaps_the_panel(alice_client, maria, alice_rn, bob_coordinator):
    member = add_member(patient=maria, data=MemberData(role="care_coordinator", user=bob_coordinator), by=alice_rn)
    response = alice_client.post(
        f"/careteams/{maria.pk}/members/{member.pk}/end/", {"reason": "Left the agency"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert page.startswith('<section class="card" id="care-team"')
    assert "Bob Okafor left the care team." in page
    member.refresh_from_db()
    assert (member.end_date, member.end_reason) == (timezone.localdate(), "Left the agency")


def test_end_member_needs_a_reason(alice_client, maria, alice_rn, bob_coordinator):
    member = add_member(patient=maria, data=MemberData(role="care_coordinator", user=bob_coordinator), by=alice_rn)
    response = alice_client.post(f"/careteams/{maria.pk}/members/{member.pk}/end/", {"reason": ""}, follow=True)
    assert "Say why they leave the team." in response.content.decode()
    member.refresh_from_db()
    assert member.end_date is None


def test_lead_is_not_ended_from_the_panel(alice_client, maria, alice_rn):
    lead = set_lead_care_manager(patient=maria, user=alice_rn, by=alice_rn)
    alice_client.post(f"/careteams/{maria.pk}/members/{lead.pk}/end/", {"reason": "Bye"})
    lead.refresh_from_db()
    assert lead.end_date is None


def test_outsider_gets_403(client, maria, eve_outsider):
    outsider = signed_in(client, eve_outsider)
    assert outsider.get(f"/careteams/{maria.pk}/add/").status_code == 403
    assert outsider.post(f"/careteams/{maria.pk}/add/", {"kind": "patient"}).status_code == 403
    assert not CareTeamMember.objects.exists()


def test_emergency_reader_sees_but_cannot_change(client, maria, eve_outsider):
    break_glass(user=eve_outsider, patient=maria, reason="Found unresponsive; need medication list")
    outsider = signed_in(client, eve_outsider)
    page = outsider.get(f"/patients/{maria.pk}/").content.decode()
    assert 'id="care-team"' in page and "Add a member" not in page
    assert outsider.post(f"/careteams/{maria.pk}/add/", {"kind": "patient"}).status_code == 403


def test_staff_of_another_organization(alice_client, maria, eve_outsider, other_agency):
    # Not offered by default: Eve's agency is neither ours, an affiliate, nor on the person's consent.
    page = alice_client.get(f"/careteams/{maria.pk}/add/").content.decode()
    assert "Eve Marsh" not in page
    options = alice_client.get(
        f"/careteams/{maria.pk}/staff-options/?staff_organization={other_agency.pk}", HTTP_HX_REQUEST="true"
    ).content.decode()
    assert f'<option value="{eve_outsider.pk}">Eve Marsh' in options
    response = alice_client.post(
        f"/careteams/{maria.pk}/add/",
        {"kind": "staff", "staff_organization": other_agency.pk, "user": eve_outsider.pk, "role": "care_manager"},
    )
    assert response.status_code == 302
    member = CareTeamMember.objects.get(user=eve_outsider)
    assert member.organization_id == other_agency.pk


def test_staff_must_come_from_the_offered_organizations(alice_client, maria, eve_outsider):
    response = alice_client.post(
        f"/careteams/{maria.pk}/add/", {"kind": "staff", "user": eve_outsider.pk, "role": "care_manager"}
    )
    assert response.status_code == 400
    assert not CareTeamMember.objects.exists()


def test_chart_renders_members_without_an_account(alice_client, maria, alice_rn):
    """Caregivers, clinicians and the person have no user: their contact cells come from the member itself."""
    contact = maria.contacts.get()
    add_member(patient=maria, data=MemberData(role="caregiver", kind="related_person", contact=contact), by=alice_rn)
    add_member(patient=maria, data=MemberData(role="patient", kind="patient"), by=alice_rn)
    add_member(
        patient=maria, data=MemberData(role="primary_care", kind="practitioner", name="Dr. Ruth Levy"), by=alice_rn
    )
    response = alice_client.get(f"/patients/{maria.pk}/")
    assert response.status_code == 200
    assert "Dr. Ruth Levy" in response.content.decode()
