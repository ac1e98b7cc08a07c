"""A referral's world built through actions: a care management agency with a care manager and a person on their
caseload, a directory organization with a food pantry service, and the partner tenant it is mapped to with its
``partner`` user (cbo_carla)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from carecoord.accounts.models import Organization, User
from carecoord.careplans.actions import GoalData, InterventionData, add_goal, add_intervention, start_care_plan
from carecoord.careplans.models import Goal, Intervention
from carecoord.dayview.tests.builders import person_on_caseload
from carecoord.directory.models import Location, ResourceOrganization, Service
from carecoord.patients.models import Patient
from carecoord.referrals.actions import MINIMUM_SHARE, ConsentToShare, send_referral, upsert_partner
from carecoord.referrals.models import Referral
from carecoord.testing.factories import make_organization, make_user

_n = itertools.count(1)


def directory_service(name: str = "Community Food Pantry", service: str = "Emergency groceries") -> Service:
    """A directory organization and one active service (directory records are imported data: no action writes
    one by hand, so the test writes the rows an import would)."""
    n = next(_n)
    organization = ResourceOrganization.objects.create(
        source="test", external_id=f"org-{n}", content_hash="x", name=name, email="intake@pantry.example.org"
    )
    Location.objects.create(source="test", external_id=f"loc-{n}", content_hash="x", organization=organization,
                            name=f"{name} — main site")  # fmt: skip
    return Service.objects.create(
        source="test", external_id=f"svc-{n}", content_hash="x", organization=organization, name=service
    )


@dataclass
class World:
    agency: Organization
    cm: User
    patient: Patient
    service: Service
    cbo: Organization
    carla: User
    other_cbo: Organization
    other_partner: User


def world(*, suffix: str = "") -> World:
    agency = make_organization("Brooklyn Care Partners")
    cm = make_user(f"alice_cm{suffix}", role="care_manager", organization=agency, first_name="Alice")
    patient = person_on_caseload(cm, family_name="García", given_names="María").patient
    service = directory_service()
    cbo = make_organization("Community Food Pantry", "cbo")
    carla = make_user(f"cbo_carla{suffix}", role="partner", organization=cbo, first_name="Carla")
    upsert_partner(directory_organization=service.organization, organization=cbo, by=None)
    other_cbo = make_organization("Another Pantry", "cbo")
    other_partner = make_user(f"cbo_oscar{suffix}", role="partner", organization=other_cbo, first_name="Oscar")
    return World(agency, cm, patient, service, cbo, carla, other_cbo, other_partner)


def consent() -> ConsentToShare:
    return ConsentToShare(method="verbal", note="Agreed on the phone")


def send(w: World, **overrides: object) -> Referral:
    values: dict[str, object] = {
        "patient": w.patient,
        "service": w.service,
        "need": "food-insecurity",
        "reason": "Ran out of food before the end of the month",
        "share": MINIMUM_SHARE,
        "consent": consent(),
        "by": w.cm,
    }
    values.update(overrides)
    return send_referral(**values)  # type: ignore[arg-type]


def plan_with_goal(w: World) -> tuple[Goal, Intervention]:
    plan = start_care_plan(patient=w.patient, by=w.cm)
    goal = add_goal(plan=plan, data=GoalData(description="Enough food every week"), by=w.cm, status="active")
    intervention = add_intervention(
        plan=plan,
        data=InterventionData(description="Food pantry referral", performer="cbo", goal=goal,
                              performer_name="Community Food Pantry"),
        by=w.cm,
    )  # fmt: skip
    return goal, intervention
