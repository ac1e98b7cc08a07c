"""Named personas shared by every app's tests (STYLE.md: factories, not fixture files)."""

from __future__ import annotations

import datetime

import pytest

from carecoord.testing.factories import make_organization, make_patient, make_user


@pytest.fixture
def agency(db):
    return make_organization("Brooklyn Care Partners", "care_management_agency")


@pytest.fixture
def other_agency(db):
    return make_organization("Queens Community Care", "care_management_agency")


@pytest.fixture
def cbo(db):
    return make_organization("Bed-Stuy Food Pantry", "cbo")


@pytest.fixture
def alice_rn(agency):
    """A licensed nurse care manager at the agency."""
    return make_user(
        "alice_rn",
        role="licensed_care_manager",
        organization=agency,
        licensed=True,
        first_name="Alice",
        last_name="Nguyen",
    )


@pytest.fixture
def bob_coordinator(agency):
    return make_user(
        "bob_coordinator", role="care_coordinator", organization=agency, first_name="Bob", last_name="Okafor"
    )


@pytest.fixture
def sam_supervisor(agency):
    return make_user("sam_supervisor", role="supervisor", organization=agency, first_name="Sam", last_name="Rivera")


@pytest.fixture
def olga_admin(agency):
    return make_user("olga_admin", role="org_admin", organization=agency, first_name="Olga", last_name="Park")


@pytest.fixture
def audrey_auditor(agency):
    return make_user("audrey_auditor", role="auditor", organization=agency, first_name="Audrey", last_name="Cole")


@pytest.fixture
def eve_outsider(other_agency):
    """A care manager at another agency, with no relationship to the agency's patients."""
    return make_user(
        "eve_outsider", role="care_manager", organization=other_agency, first_name="Eve", last_name="Marsh"
    )


@pytest.fixture
def cbo_carla(cbo):
    return make_user("cbo_carla", role="partner", organization=cbo, first_name="Carla", last_name="Diaz")


@pytest.fixture
def maria(alice_rn):
    """A patient registered by Alice, so assigned to Alice's agency."""
    return make_patient(
        alice_rn,
        family_name="García",
        given_names="María José",
        preferred_name="Majo",
        birth_date=datetime.date(1968, 3, 9),
    )


@pytest.fixture(scope="session", autouse=True)
def _release_postgresql_sessions(django_db_setup, django_db_blocker):
    """Before the test database is dropped, end sessions that live-server threads (browser tests) left open;
    PostgreSQL refuses to drop a database that is still in use."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
