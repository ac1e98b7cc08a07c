"""The access rule, branch by branch, through access_patient (the one door)."""

import pytest

from carecoord.audit.actions import break_glass
from carecoord.audit.models import AuditRecord
from carecoord.careteams.models import CareTeam, CareTeamMember
from carecoord.common.errors import AccessDenied, NotFound
from carecoord.patients.access import access_patient, search_accessible_patients


def test_same_organization_sees_assigned_patient(maria, bob_coordinator):
    assert access_patient(bob_coordinator, maria.pk).pk == maria.pk
    last = AuditRecord.objects.last()
    assert (last.action, last.outcome, last.username, last.patient_id) == (
        "read",
        "success",
        "bob_coordinator",
        maria.pk,
    )


def test_other_organization_is_denied_and_audited(maria, eve_outsider):
    with pytest.raises(AccessDenied):
        access_patient(eve_outsider, maria.pk)
    last = AuditRecord.objects.last()
    assert (last.outcome, last.username, last.detail["basis"]) == ("denied", "eve_outsider", "no-relationship")


def share_with(maria, by, *organizations, signed_on=None):
    """A DOH-5055 consent in force that lists ``organizations``."""
    import datetime

    from carecoord.consents.actions import ConsentData, record_consent

    return record_consent(
        patient=maria,
        data=ConsentData(
            form="DOH-5055", signed_on=signed_on or datetime.date.today(), partners=[by.organization, *organizations]
        ),
        by=by,
    )


def test_care_team_place_grants_access_when_consent_covers_the_organization(maria, alice_rn, eve_outsider):
    team = CareTeam.objects.create(patient=maria)
    CareTeamMember.objects.create(care_team=team, user=eve_outsider, role="care_manager")
    share_with(maria, alice_rn, eve_outsider.organization)
    assert access_patient(eve_outsider, maria.pk).access_basis == "care-team"


def test_care_team_place_without_consent_is_denied_and_says_why(maria, eve_outsider):
    team = CareTeam.objects.create(patient=maria)
    CareTeamMember.objects.create(care_team=team, user=eve_outsider, role="care_manager")
    with pytest.raises(AccessDenied):
        access_patient(eve_outsider, maria.pk)
    assert AuditRecord.objects.last().detail["basis"] == "no-consent"


def test_ended_care_team_place_does_not(maria, eve_outsider):
    import datetime

    team = CareTeam.objects.create(patient=maria)
    CareTeamMember.objects.create(
        care_team=team,
        user=eve_outsider,
        role="care_manager",
        start_date=datetime.date(2020, 1, 1),
        end_date=datetime.date(2021, 1, 1),
    )
    with pytest.raises(AccessDenied):
        access_patient(eve_outsider, maria.pk)


def test_break_the_glass_grants_emergency_access(maria, eve_outsider):
    break_glass(user=eve_outsider, patient=maria, reason="Patient in our ED, unresponsive, need contacts")
    patient = access_patient(eve_outsider, maria.pk)
    assert patient.access_basis == "break-glass"
    assert AuditRecord.objects.last().purpose == "ETREAT"


@pytest.mark.parametrize("persona", ["cbo_carla", "audrey_auditor", "olga_admin"])
def test_roles_without_patient_access_are_denied(request, maria, persona):
    user = request.getfixturevalue(persona)
    with pytest.raises(AccessDenied):
        access_patient(user, maria.pk)


def test_unknown_and_malformed_ids_are_not_found(alice_rn):
    with pytest.raises(NotFound):
        access_patient(alice_rn, "not-a-uuid")
    with pytest.raises(NotFound):
        access_patient(alice_rn, "00000000-0000-0000-0000-000000000000")


def test_search_only_returns_visible_people(maria, alice_rn, eve_outsider):
    assert [p.pk for p in search_accessible_patients(alice_rn, "garcia maria").patients] == [maria.pk]
    assert search_accessible_patients(eve_outsider, "garcia maria").patients == []


@pytest.mark.parametrize(
    "scenario",
    [
        "assignment",
        "ended-assignment",
        "future-assignment",
        "care-team",
        "care-team-no-consent",
        "care-team-withdrawn-consent",
        "care-team-removed-partner",
        "ended-care-team",
        "inactive-care-team",
        "segment",
        "ended-segment",
        "nothing",
    ],
)
def test_the_single_record_rule_and_the_search_rule_agree(maria, alice_rn, eve_outsider, scenario):
    """access_patient decides in hand-written SQL, searches filter with the ORM: both must say the same."""
    import datetime

    from carecoord.patients.access import visible_patients
    from carecoord.patients.models import PatientAssignment

    today = datetime.date.today()
    past, future = today - datetime.timedelta(days=30), today + datetime.timedelta(days=30)
    if "assignment" in scenario:
        start, end = {
            "assignment": (past, None),
            "ended-assignment": (past, today - datetime.timedelta(days=1)),
            "future-assignment": (future, None),
        }[scenario]
        PatientAssignment.objects.create(
            patient=maria, organization=eve_outsider.organization, kind="assignment", start_date=start, end_date=end
        )
    if "care-team" in scenario:
        team = CareTeam.objects.create(
            patient=maria, status="inactive" if scenario.startswith("inactive") else "active"
        )
        CareTeamMember.objects.create(
            care_team=team,
            user=eve_outsider,
            role="care_manager",
            start_date=past,
            end_date=past if scenario.startswith("ended") else None,
        )
        if scenario != "care-team-no-consent":
            consent = share_with(maria, alice_rn, eve_outsider.organization, signed_on=past)
            if scenario == "care-team-withdrawn-consent":
                from carecoord.consents.actions import withdraw_consent

                withdraw_consent(patient=maria, signed_on=today, by=alice_rn)
            if scenario == "care-team-removed-partner":
                from carecoord.consents.actions import remove_consent_partner

                remove_consent_partner(
                    consent=consent, organization=eve_outsider.organization, reason="Asked", by=alice_rn
                )
    if "segment" in scenario:
        from carecoord.programs.actions import end_segment, start_segment
        from carecoord.programs.models import Program

        segment = start_segment(
            patient=maria,
            program=Program.objects.get(code="ny-hh-adult"),
            organization=eve_outsider.organization,
            kind="outreach",
            start_date=past,
            by=None,
        )
        if scenario == "ended-segment":
            end_segment(segment=segment, end_date=today - datetime.timedelta(days=1), reason="3", by=None)
    expected = scenario in ("assignment", "care-team", "segment")
    assert visible_patients(eve_outsider).filter(pk=maria.pk).exists() is expected
    if expected:
        assert access_patient(eve_outsider, maria.pk).pk == maria.pk
    else:
        with pytest.raises(AccessDenied):
            access_patient(eve_outsider, maria.pk)
