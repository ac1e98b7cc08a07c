"""Registering, updating and searching people through the actions and the access layer."""

import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carecoord.audit.models import AuditRecord
from carecoord.common.errors import AccessDenied, Conflict, ValidationFailed, VersionConflict
from carecoord.common.text import fold
from carecoord.patients.access import search_accessible_patients
from carecoord.patients.actions import PossibleDuplicate, register_patient, update_patient
from carecoord.patients.data import IdentifierData, PhoneData
from carecoord.patients.models import Patient, PatientAssignment, PatientVersion
from carecoord.patients.queries import parse_search
from carecoord.testing.factories import patient_data


def names(result):
    return [p.family_name for p in result.patients]


def test_registration_assigns_to_the_users_organization_and_keeps_a_version(alice_rn):
    patient = register_patient(data=patient_data(family_name="Okoye"), by=alice_rn).patient
    assignment = PatientAssignment.objects.get(patient=patient)
    assert (assignment.organization_id, assignment.kind) == (alice_rn.organization_id, "registration")
    version = PatientVersion.objects.get(patient=patient)
    assert version.version == 1
    assert version.snapshot["family_name"] == "Okoye"
    assert version.snapshot["identifiers"][0]["kind"] == "medicaid_cin"
    assert AuditRecord.objects.filter(action="create", object_type="Patient", patient_id=patient.pk).exists()


def test_invalid_fields_are_all_reported_and_nothing_is_stored(alice_rn):
    data = patient_data(
        family_name=" ",
        birth_date=datetime.date.today() + datetime.timedelta(days=3),
        sex="x",
        identifiers=[IdentifierData(kind="medicaid_cin", value="123")],
        phones=[PhoneData(number="555")],
    )
    with pytest.raises(ValidationFailed) as caught:
        register_patient(data=data, by=alice_rn)
    assert set(caught.value.errors) == {"family_name", "birth_date", "sex", "identifiers.0.value", "phones.0.number"}
    assert Patient.objects.count() == 0


def test_a_used_identifier_is_refused(alice_rn, maria):
    cin = maria.identifiers.get().value
    with pytest.raises(Conflict) as caught:
        register_patient(
            data=patient_data(identifiers=[IdentifierData(kind="medicaid_cin", value=cin.lower())]), by=alice_rn
        )
    assert caught.value.code == "duplicate-identifier"
    assert caught.value.field == "identifiers.0.value"
    assert Patient.objects.count() == 1


def test_same_birth_date_and_similar_name_warns_until_confirmed(alice_rn, maria):
    data = patient_data(family_name="Garcia", given_names="Maria", birth_date=maria.birth_date)
    with pytest.raises(PossibleDuplicate) as caught:
        register_patient(data=data, by=alice_rn)
    assert [c.patient_id for c in caught.value.candidates] == [maria.pk]
    assert "similar name" in caught.value.candidates[0].reasons[0]
    second = register_patient(data=data, by=alice_rn, confirm_not_duplicate=True)
    assert second.warnings[0].patient_id == maria.pk


def test_swapped_names_are_a_possible_duplicate(alice_rn):
    first = register_patient(data=patient_data(family_name="Chen", given_names="Wei"), by=alice_rn).patient
    data = patient_data(family_name="Wei", given_names="Chen", birth_date=first.birth_date)
    with pytest.raises(PossibleDuplicate):
        register_patient(data=data, by=alice_rn)


def test_different_birth_date_is_not_a_duplicate(alice_rn, maria):
    data = patient_data(family_name="Garcia", given_names="Maria", birth_date=maria.birth_date.replace(year=1950))
    assert register_patient(data=data, by=alice_rn).warnings == []


def test_update_bumps_the_version_and_refuses_a_stale_one(alice_rn, maria):
    data = patient_data(
        family_name="García",
        given_names="María José",
        birth_date=maria.birth_date,
        identifiers=[IdentifierData(kind="medicaid_cin", value=maria.identifiers.get().value)],
    )
    data.pronouns = "she/her"
    updated = update_patient(patient=maria, data=data, by=alice_rn, expected_version=1)
    assert updated.version == 2
    assert PatientVersion.objects.filter(patient=maria).count() == 2
    with pytest.raises(VersionConflict):
        update_patient(patient=maria, data=data, by=alice_rn, expected_version=1)
    maria.refresh_from_db()
    assert (maria.version, maria.pronouns) == (2, "she/her")


def test_partners_cannot_register_people(cbo_carla):
    with pytest.raises(AccessDenied):
        register_patient(data=patient_data(), by=cbo_carla)


@pytest.mark.parametrize(
    "query",
    ["garcia", "GARCÍA", "gar", "maria garcia", "garcia maria", "majo", "Garcia, Maria", "jose gar"],
)
def test_name_search_is_accent_and_case_insensitive_prefix_in_any_order(alice_rn, maria, query):
    assert names(search_accessible_patients(alice_rn, query)) == ["García"]


def test_search_by_birth_date_identifier_and_phone(alice_rn, maria):
    cin = maria.identifiers.get().value
    phone = maria.phones.get().number
    dob = maria.birth_date
    for query in [dob.strftime("%m/%d/%Y"), dob.isoformat(), cin, cin.lower(), phone, f"garcia {dob:%m/%d/%Y}"]:
        assert names(search_accessible_patients(alice_rn, query)) == ["García"], query


def test_search_that_matches_nobody(alice_rn, maria):
    assert search_accessible_patients(alice_rn, "zzyzx").patients == []
    assert search_accessible_patients(alice_rn, "garcia 01/01/1901").patients == []


def test_search_is_audited_with_its_results(alice_rn, maria):
    search_accessible_patients(alice_rn, "garcia")
    entry = AuditRecord.objects.last()
    assert entry.action == "search"
    assert entry.detail["results"] == [str(maria.pk)]


@given(st.text(max_size=60))
@settings(max_examples=200, deadline=None)
def test_search_parsing_never_fails(text):
    terms = parse_search(text)
    assert all(token == fold(token) for token in terms.names)


def test_duplicates_at_another_organization_are_not_named(alice_rn, eve_outsider, maria):
    data = patient_data(family_name="Garcia", given_names="Maria", birth_date=maria.birth_date)
    with pytest.raises(PossibleDuplicate) as caught:
        register_patient(data=data, by=eve_outsider)
    candidate = caught.value.candidates[0]
    assert candidate.patient_id == maria.pk
    assert not candidate.visible
    assert "García" not in candidate.display_name


def test_text_longer_than_its_column_is_a_field_error(alice_rn):
    data = patient_data(pronouns="x" * 40)
    data.coverages[0].member_id = "9" * 70
    with pytest.raises(ValidationFailed) as caught:
        register_patient(data=data, by=alice_rn)
    assert set(caught.value.errors) == {"pronouns", "coverages.0.member_id"}
