"""Consent, enrollment, withdrawal, partners and labelled data, through the actions and the access layer."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from carecoord.common.errors import AccessDenied, DomainError, ValidationFailed
from carecoord.consents.actions import (
    ConsentData,
    add_consent_partner,
    record_consent,
    remove_consent_partner,
    withdraw_consent,
)
from carecoord.notifications.models import Notification
from carecoord.patients.access import access_patient
from carecoord.programs.access import access_program_record, access_referral
from carecoord.programs.actions import (
    ConsentRequired,
    accept_referral,
    assign_care_manager,
    cover_caseload,
    enroll,
    refer_to_program,
)
from carecoord.programs.models import Program
from carecoord.testing.factories import make_organization, make_user

TODAY = timezone.localdate()


@pytest.fixture
def hh() -> Program:
    return Program.objects.get(code="ny-hh-adult")


@pytest.fixture
def clinic(db):
    return make_organization("Eastside Primary Care", type="primary_care")


@pytest.fixture
def dr_lee(clinic):
    return make_user("dr_lee", role="care_manager", organization=clinic)


def sharing(maria, by, *partners, signed_on=TODAY):
    return record_consent(
        patient=maria,
        data=ConsentData(form="DOH-5055", signed_on=signed_on, partners=[by.organization, *partners]),
        by=by,
    )


def put_on_team(maria, user, by):
    from carecoord.careteams.actions import MemberData, add_member

    return add_member(patient=maria, data=MemberData(role="primary_care", user=user), by=by)


def test_enrollment_without_doh_5055_is_refused_and_names_the_form(maria, hh, alice_rn):
    with pytest.raises(ConsentRequired) as refused:
        enroll(patient=maria, program=hh, by=alice_rn)
    assert refused.value.status == 422 and "DOH-5055" in str(refused.value)
    assert not maria.enrollments.exists()


def test_a_consent_that_does_not_list_the_agency_does_not_count(maria, hh, alice_rn, clinic):
    record_consent(patient=maria, data=ConsentData(form="DOH-5055", signed_on=TODAY, partners=[clinic]), by=alice_rn)
    with pytest.raises(ConsentRequired):
        enroll(patient=maria, program=hh, by=alice_rn)


def test_referral_to_enrollment(maria, hh, alice_rn, sam_supervisor, clinic, dr_lee):
    referral = refer_to_program(
        patient=maria, program=hh, receiving_organization=alice_rn.organization, source="provider", by=dr_lee
    )
    assert Notification.objects.filter(organization=alice_rn.organization, kind="referral_received").exists()
    segment = accept_referral(referral=referral, by=alice_rn)
    assert segment.kind == "assignment"
    sharing(maria, alice_rn, clinic)
    enrollment = enroll(patient=maria, program=hh, by=alice_rn, care_manager=alice_rn, acuity="high")
    assert enrollment.consent.form == "DOH-5055" and enrollment.segment.kind == "enrollment"
    assert maria.segments.get(kind="assignment").end_reason == "x-enrolled"
    lead = maria.care_teams.get().members.get(is_lead=True)
    assert lead.user == alice_rn
    with pytest.raises(DomainError, match="already enrolled"):
        enroll(patient=maria, program=hh, by=alice_rn)


def test_withdrawal_ends_sharing_that_day_disenrolls_and_notifies_every_partner(maria, hh, alice_rn, clinic, dr_lee):
    cbo = make_organization("Food Bank", type="cbo")
    consent = sharing(maria, alice_rn, clinic, signed_on=TODAY - datetime.timedelta(days=40))
    add_consent_partner(consent=consent, organization=cbo, initials="MJG", added_on=TODAY, by=alice_rn)
    enrollment = enroll(patient=maria, program=hh, by=alice_rn, start_date=TODAY - datetime.timedelta(days=30))
    put_on_team(maria, dr_lee, alice_rn)
    assert access_patient(dr_lee, maria.pk).access_basis == "care-team"
    withdraw_consent(patient=maria, signed_on=TODAY, by=alice_rn)
    with pytest.raises(AccessDenied):
        access_patient(dr_lee, maria.pk)
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.end_reason, enrollment.end_date) == ("finished", "consent_withdrawn", TODAY)
    told = set(Notification.objects.filter(kind="consent_withdrawn").values_list("organization__name", flat=True))
    assert told == {alice_rn.organization.name, clinic.name, cbo.name}
    assert all(TODAY.strftime("%d %b %Y") in n.body for n in Notification.objects.filter(kind="consent_withdrawn"))


def test_a_partner_removed_from_consent_loses_access_at_once(maria, alice_rn, clinic, dr_lee):
    consent = sharing(maria, alice_rn, clinic)
    put_on_team(maria, dr_lee, alice_rn)
    access_patient(dr_lee, maria.pk)
    remove_consent_partner(consent=consent, organization=clinic, reason="Person asked", by=alice_rn)
    with pytest.raises(AccessDenied):
        access_patient(dr_lee, maria.pk)
    assert Notification.objects.filter(organization=clinic, kind="partner_removed").count() == 1


def test_initial_5055_list_refuses_social_service_agencies_and_page_3_needs_initials(maria, alice_rn):
    cbo = make_organization("Housing Works Now", type="cbo")
    with pytest.raises(ValidationFailed) as refused:
        sharing(maria, alice_rn, cbo)
    assert "Housing Works Now" in refused.value.errors["partners"][0]
    consent = sharing(maria, alice_rn)
    with pytest.raises(ValidationFailed):
        add_consent_partner(consent=consent, organization=cbo, initials=" ", added_on=TODAY, by=alice_rn)
    partner = add_consent_partner(consent=consent, organization=cbo, initials="MJG", added_on=TODAY, by=alice_rn)
    assert partner.added_later and partner.initials == "MJG"


def test_part_2_consent_requires_its_elements(maria, alice_rn):
    with pytest.raises(ValidationFailed) as refused:
        record_consent(patient=maria, data=ConsentData(form="42-CFR-2", signed_on=TODAY), by=alice_rn)
    assert {"part2_recipients", "part2_disclosing_program", "part2_information", "part2_purpose"} <= set(
        refused.value.errors
    )


def part2_consent(maria, by, *partners, recipients="named"):
    return record_consent(
        patient=maria,
        data=ConsentData(
            form="42-CFR-2",
            signed_on=TODAY,
            partners=list(partners),
            part2_recipients=recipients,
            part2_disclosing_program="Bridge Opioid Treatment Program",
            part2_information="Diagnosis, medications and attendance in treatment",
            part2_purpose="Treatment and care coordination",
            part2_expiration="End of treatment",
            revocation_explained=True,
        ),
        by=by,
    )


def test_part_2_referral_is_withheld_without_consent_and_shown_with_notice_with_it(maria, hh, alice_rn, clinic, dr_lee):
    otp = make_organization("Bridge Opioid Treatment Program", type="behavioral_health")
    otp_staff = make_user("otp_staff", role="care_manager", organization=otp)
    referral = refer_to_program(
        patient=maria,
        program=hh,
        receiving_organization=alice_rn.organization,
        source="provider",
        by=otp_staff,
        reason="In medication treatment for opioid use disorder",
        security_labels=["42CFRPart2"],
    )
    sharing(maria, alice_rn, clinic)
    put_on_team(maria, dr_lee, alice_rn)
    hidden = access_program_record(dr_lee, maria.pk)
    assert hidden.withheld == 1 and hidden.referrals == []
    with pytest.raises(AccessDenied):
        access_referral(dr_lee, referral.pk)
    part2_consent(maria, alice_rn, clinic)
    shown = access_program_record(dr_lee, maria.pk)
    assert shown.withheld == 0 and shown.referrals[0].item == referral
    assert "42 CFR part 2" in shown.referrals[0].notices[0]
    # The receiving agency sees the referral it must decide on, with the notice too.
    assert access_referral(alice_rn, referral.pk).notices


def test_part_2_consent_to_treating_providers_covers_a_care_team_partner(maria, hh, alice_rn, clinic, dr_lee):
    otp = make_organization("Bridge OTP", type="behavioral_health")
    refer_to_program(
        patient=maria,
        program=hh,
        receiving_organization=alice_rn.organization,
        source="provider",
        referring_organization=otp,
        by=None,
        security_labels=["42CFRPart2"],
    )
    sharing(maria, alice_rn, clinic)
    put_on_team(maria, dr_lee, alice_rn)
    part2_consent(maria, alice_rn, recipients="treating")
    assert access_program_record(dr_lee, maria.pk).withheld == 0


def test_hiv_program_enrollment_is_labelled(maria, alice_rn, clinic, dr_lee):
    plus = Program.objects.get(code="ny-hh-plus-hiv")
    sharing(maria, alice_rn, clinic)
    enroll(patient=maria, program=plus, by=alice_rn)
    put_on_team(maria, dr_lee, alice_rn)
    assert access_program_record(dr_lee, maria.pk).withheld == 1
    assert access_program_record(alice_rn, maria.pk).enrollments[0].labels == ["HIV"]


def test_opt_out_ends_outreach_and_is_refused_once_consented(maria, hh, alice_rn, bob_coordinator):
    from carecoord.programs.actions import start_segment

    start_segment(
        patient=maria, program=hh, organization=alice_rn.organization, kind="outreach", start_date=TODAY, by=None
    )
    record_consent(
        patient=maria,
        data=ConsentData(form="DOH-5059", signed_on=TODAY, signer_kind="care_manager", signer_name="Bob Okafor"),
        by=bob_coordinator,
    )
    assert maria.segments.get().end_reason == "2"
    sharing(maria, alice_rn)
    with pytest.raises(DomainError, match="withdrawal"):
        record_consent(patient=maria, data=ConsentData(form="DOH-5059", signed_on=TODAY), by=alice_rn)


def test_clinical_need_needs_a_licensed_care_manager_and_coverage_grants_access(
    maria, hh, alice_rn, bob_coordinator, sam_supervisor, eve_outsider
):
    sharing(maria, alice_rn)
    enrollment = enroll(patient=maria, program=hh, by=alice_rn, clinical_need=True)
    with pytest.raises(ValidationFailed, match="licensed"):
        assign_care_manager(enrollment=enrollment, care_manager=bob_coordinator, by=sam_supervisor)
    with pytest.raises(AccessDenied):
        assign_care_manager(enrollment=enrollment, care_manager=alice_rn, by=bob_coordinator)
    assign_care_manager(enrollment=enrollment, care_manager=alice_rn, by=sam_supervisor)
    covering = make_user("carl_cm", role="care_manager", organization=alice_rn.organization)
    cover_caseload(
        care_manager=alice_rn,
        covered_by=covering,
        start_date=TODAY,
        end_date=TODAY + datetime.timedelta(days=14),
        reason="Leave",
        by=sam_supervisor,
    )
    places = maria.care_teams.get().members.filter(user=covering)
    assert places.get().end_date == TODAY + datetime.timedelta(days=14)


def test_transfer_to_another_agency_keeps_history_and_moves_visibility(maria, hh, alice_rn, eve_outsider):
    from carecoord.patients.models import PatientAssignment
    from carecoord.programs.actions import transfer_enrollment

    PatientAssignment.objects.filter(patient=maria).update(start_date=TODAY - datetime.timedelta(days=90))
    sharing(maria, alice_rn, eve_outsider.organization, signed_on=TODAY - datetime.timedelta(days=60))
    enrollment = enroll(patient=maria, program=hh, by=alice_rn, start_date=TODAY - datetime.timedelta(days=50))
    with pytest.raises(AccessDenied):
        access_patient(eve_outsider, maria.pk)
    yesterday = TODAY - datetime.timedelta(days=1)
    segment = transfer_enrollment(
        enrollment=enrollment, to_organization=eve_outsider.organization, by=alice_rn, on=yesterday
    )
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.end_reason, enrollment.end_date) == ("finished", "transferred", yesterday)
    assert enrollment.segment.end_reason == "3" and segment.transferred_from == enrollment.segment
    assert segment.kind == "assignment" and segment.organization == eve_outsider.organization
    assert access_patient(eve_outsider, maria.pk).access_basis == "assignment"
    with pytest.raises(AccessDenied):
        access_patient(alice_rn, maria.pk)
    # History stays: the old episode and segments are still there.
    assert maria.enrollments.count() == 1 and maria.segments.count() == 2  # enrollment (ended) + new assignment
