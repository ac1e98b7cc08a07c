"""`carecoord seed-demo` and `carecoord demo`, through the command line."""

import copy
import datetime
import uuid
from io import StringIO

import pytest
from django.core.management import call_command

from carecoord.accounts.models import (
    Affiliation,
    License,
    Organization,
    OrganizationType,
    Practitioner,
    Role,
    User,
)
from carecoord.accounts.permissions import has_current_license
from carecoord.audit.models import AuditRecord
from carecoord.careteams.models import CareTeamMember
from carecoord.consents.models import Consent, ConsentPartner
from carecoord.demo.network import DEMO_PASSWORD
from carecoord.demo.people import REFERENCE_DATE, Anchors, generate_people
from carecoord.notifications.models import Notification
from carecoord.patients.access import search_accessible_patients
from carecoord.patients.data import normalise_phone, validate
from carecoord.patients.models import (
    Coverage,
    Patient,
    PatientAddress,
    PatientAssignment,
    PatientContact,
    PatientIdentifier,
    PatientNameToken,
    PatientPhone,
    PatientVersion,
)
from carecoord.programs.models import Enrollment, OutreachAttempt, OutreachMonth, ProgramReferral, Segment

COUNTED = (
    Organization,
    Affiliation,
    User,
    License,
    Practitioner,
    Patient,
    PatientIdentifier,
    PatientAddress,
    PatientPhone,
    Coverage,
    PatientContact,
    PatientNameToken,
    PatientAssignment,
    PatientVersion,
    AuditRecord,
    ProgramReferral,
    Segment,
    OutreachAttempt,
    OutreachMonth,
    Enrollment,
    Consent,
    ConsentPartner,
    CareTeamMember,
    Notification,
)


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    """Argon2 costs a quarter of a second per user; these tests check the data, not the hasher."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed(patients: int) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("seed_demo", "--patients", str(patients), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


def anchors() -> Anchors:
    return Anchors(
        hospital_id=uuid.uuid4(),
        plan_id=uuid.uuid4(),
        plan_name="Harbor Community Health Plan",
        practice_ids={"bronx_manhattan": uuid.uuid4(), "brooklyn_queens_si": uuid.uuid4()},
    )


@pytest.mark.django_db
def test_builds_every_organization_type_every_role_and_prints_the_logins():
    out, err = seed(30)

    assert set(Organization.objects.values_list("type", flat=True)) == set(OrganizationType.values)
    assert Organization.objects.filter(type=OrganizationType.CBO).count() == 3
    assert Organization.objects.filter(type=OrganizationType.CARE_MANAGEMENT_AGENCY).count() == 2
    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)
    assert 18 <= User.objects.count() <= 26
    licensed = User.objects.filter(role=Role.LICENSED_CARE_MANAGER)
    assert licensed.exists()
    for user in licensed:
        assert has_current_license(user)
        assert {lic.type for lic in user.licenses.all()} <= {"RN", "LCSW"}
    assert all(user.check_password(DEMO_PASSWORD) for user in User.objects.all())
    health_home = Organization.objects.get(type=OrganizationType.HEALTH_HOME)
    assert Affiliation.objects.filter(target=health_home, kind="member").count() == 2

    assert Patient.objects.count() == 30
    for patient in Patient.objects.all():
        kinds = {(a.organization.type, a.kind) for a in patient.assignments.select_related("organization")}
        assert ("health_home", "assignment") in kinds
        assert ("care_management_agency", "registration") in kinds
        assert {"enrollment", "outreach"} & {kind for _, kind in kinds}

    assert DEMO_PASSWORD in out
    for user in User.objects.all():
        assert f"{user.username} " in out
        assert user.organization.name in out
    assert "30/30 (100%)" in err


@pytest.mark.django_db
def test_people_have_program_stories_in_every_stage():
    out, _ = seed(60)
    assert "program activity for 60 people" in out
    assert {"pending", "accepted"} <= set(ProgramReferral.objects.values_list("status", flat=True))
    assert Segment.objects.filter(kind="outreach", end_date__isnull=True).exists()
    assert OutreachMonth.objects.filter(status="billable").exists()
    enrolled = Enrollment.objects.filter(status="active")
    assert enrolled.exists() and not enrolled.filter(consent__isnull=True).exists()
    assert not enrolled.filter(care_manager__isnull=True).exists()
    for enrollment in enrolled.select_related("care_manager", "patient"):
        lead = CareTeamMember.objects.get(care_team__patient=enrollment.patient, is_lead=True, end_date__isnull=True)
        assert lead.user == enrollment.care_manager
        if enrollment.clinical_need:
            assert enrollment.care_manager.role == Role.LICENSED_CARE_MANAGER


@pytest.mark.django_db
def test_second_run_creates_nothing():
    seed(25)
    before = counts()
    out, _ = seed(25)
    assert counts() == before
    assert "25 people (0 new, 0 new assignments)" in out


@pytest.mark.django_db
def test_a_larger_run_keeps_the_people_already_there():
    seed(8)
    first = set(PatientIdentifier.objects.values_list("value", flat=True))
    seed(12)
    assert Patient.objects.count() == 12
    assert first <= set(PatientIdentifier.objects.values_list("value", flat=True))


@pytest.mark.django_db
def test_each_person_is_found_by_their_agency_and_not_by_the_other():
    seed(30)
    staff = {user.organization_id: user for user in User.objects.filter(role=Role.CARE_MANAGER)}
    lead = User.objects.get(username="marcus_supervisor")
    for patient in Patient.objects.all():
        agency_id = patient.assignments.get(kind="registration").organization_id
        other = next(user for org, user in staff.items() if org != agency_id)
        key = patient.identifiers.filter(kind__in=["medicaid_cin", "medicare_mbi"]).first()
        assert key is not None
        assert patient in search_accessible_patients(staff[agency_id], key.value).patients
        assert patient in search_accessible_patients(lead, key.value).patients
        assert search_accessible_patients(other, key.value).patients == []
        by_name = search_accessible_patients(staff[agency_id], f"{patient.given_names} {patient.family_name}")
        assert patient in by_name.patients


def test_people_are_the_same_every_run_and_pass_validation():
    fixed = anchors()
    first = [person.data for person in generate_people(500, anchors=fixed)]
    again = [person.data for person in generate_people(500, anchors=fixed)]
    assert first == again

    for data in first:
        validate(copy.deepcopy(data))
        age = (REFERENCE_DATE - data.birth_date).days // 365
        assert 18 <= age <= 96
        assert {i.kind for i in data.identifiers} & {"medicaid_cin", "medicare_mbi"}
        assert all(a.state == "NY" and a.postal_code[0] == "1" for a in data.addresses)
        for number in [p.number for p in data.phones] + [c.phone for c in data.contacts]:
            assert normalise_phone(number)[3:6] == "555"
            assert normalise_phone(number)[6:8] == "01"

    languages = {d.preferred_language for d in first}
    assert {"es", "zh", "ru", "ht", "bn", "ko", "yi", "ar", "pl", "fr", "en"} <= languages
    assert any(not d.family_name.isascii() for d in first)
    assert any(d.preferred_name for d in first)
    assert any(d.pronouns == "they/them" for d in first)
    assert any(d.interpreter_needed for d in first)
    assert any(d.deceased_date for d in first)
    assert any(not d.active and not d.deceased_date for d in first)
    assert any(c.is_proxy for d in first for c in d.contacts)
    assert any(c.is_emergency for d in first for c in d.contacts)
    assert any(i.kind == "mrn" for d in first for i in d.identifiers)
    assert any(i.kind == "plan_member" for d in first for i in d.identifiers)
    assert any(a.city in {"Buffalo", "Rochester", "Albany", "Syracuse"} for d in first for a in d.addresses)
    assert max(d.birth_date for d in first) < datetime.date(2008, 1, 1)


def test_demo_migrates_seeds_and_serves(monkeypatch):
    calls = []
    monkeypatch.setattr(
        "carecoord.demo.management.commands.demo.call_command", lambda name, **kw: calls.append((name, kw))
    )
    call_command("demo", "--port", "8123", "--workers", "2", "--patients", "5", stdout=StringIO())
    assert [name for name, _ in calls] == ["migrate", "seed_demo", "serve"]
    assert calls[1][1]["patients"] == 5
    assert calls[2][1] == {"host": "127.0.0.1", "port": 8123, "workers": 2}
