"""A small team for the supervision tests: Sam supervises Alice (licensed) and Bob; Olga is on another team;
Ada administers the organization."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone

from carecoord.accounts.actions import update_user
from carecoord.accounts.models import Organization, User
from carecoord.patients.models import Patient
from carecoord.tasks.actions import TaskData, create_task
from carecoord.tasks.models import Task
from carecoord.testing.factories import make_organization, make_user


@dataclass
class Crew:
    agency: Organization
    sam: User
    alice: User
    bob: User
    olga: User
    ada: User


def make_crew() -> Crew:
    agency = make_organization("Brooklyn Care Partners")
    sam = make_user("sam_supervisor", role="supervisor", organization=agency, first_name="Sam", last_name="Ortiz")
    alice = make_user("alice_rn", role="licensed_care_manager", organization=agency, licensed=True, last_name="Nguyen")
    bob = make_user("bob_cm", role="care_manager", organization=agency, last_name="Brown")
    olga = make_user("olga_cm", role="care_manager", organization=agency, last_name="Other")
    ada = make_user("ada_admin", role="org_admin", organization=agency, last_name="Admin")
    for member in (alice, bob):
        update_user(user=member, by=None, supervisor=sam)
    return Crew(agency, sam, alice, bob, olga, ada)


def _enrolled_person(by: User) -> Patient:
    """A person the whole organization may see through their enrollment (held by no care manager, so the
    caseload figures are not changed)."""
    from carecoord.contacts.tests.helpers import enrolled

    return enrolled(by, "ny-hh-adult").patient


def task(
    owner: User,
    title: str,
    *,
    patient: Patient | None = None,
    due_in_days: float | None = None,
    kind: str = "follow-up",
    priority: str = "routine",
    requires_license: bool = False,
) -> Task:
    due = timezone.now() + datetime.timedelta(days=due_in_days) if due_in_days is not None else None
    return create_task(
        data=TaskData(
            organization_id=owner.organization_id,
            title=title,
            kind=kind,
            priority=priority,
            patient=patient or _enrolled_person(owner),
            owner=owner,
            due_at=due,
            requires_license=requires_license,
        ),
        by=owner,
    )
