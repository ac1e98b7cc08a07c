"""Community referrals in the demo: the network's three community organizations listed in the directory (a food
pantry, a housing navigator, a ride service; imported as HSDS 3.0 through ``directory.actions``), each mapped to how
referrals reach it (the pantry and the housing network work them here: ``carmen_pantry``, ``andre_housing``; the
ride service by secure link), and a handful of referrals from the first care manager's caseload in every state that
matters: waiting (one past the acceptance time, so the rules job follows it up), accepted, in progress with a
service delivered, completed with its outcome (the care plan follows), and rejected (news on the day view).

Idempotent: the directory import is keyed on source and id; referrals are made once (none from the demo agencies
yet). A few dozen statements: fast.
"""

from __future__ import annotations

import datetime
import json
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from carecoord.careplans.actions import InterventionData, add_intervention
from carecoord.careplans.models import LIVING_PLAN_STATUSES, CarePlan, Intervention
from carecoord.demo.network import AGENCY_BRONX, AGENCY_BROOKLYN, FOOD, HOUSING, TRANSPORT, Network
from carecoord.demo.today import _caseloads
from carecoord.directory.actions import import_directory
from carecoord.directory.imports import read_path
from carecoord.directory.models import ResourceOrganization, Service
from carecoord.referrals.actions import (
    Actor,
    ConsentToShare,
    change_status,
    complete,
    record_activity,
    send_referral,
    upsert_partner,
)
from carecoord.referrals.models import PartnerOrganization, Referral
from carecoord.referrals.states import ReferralStatus, Side

SOURCE = "carecoord-demo"
S = ReferralStatus


def _listing(key: str, name: str, service: str, term: str, street: str, city: str, zip_code: str) -> dict[str, Any]:
    return {
        "id": f"demo-svc-{key}",
        "name": service,
        "status": "active",
        "description": f"{service} from {name}.",
        "organization": {"id": f"demo-org-{key}", "name": name, "description": f"{name}, a community partner."},
        "attributes": [
            {"id": f"demo-attr-{key}", "taxonomy_term": {"id": f"demo-term-{term}", "code": term, "name": term}}
        ],
        "service_at_locations": [
            {
                "id": f"demo-sal-{key}",
                "location": {
                    "id": f"demo-loc-{key}",
                    "name": name,
                    "location_type": "physical",
                    "addresses": [
                        {
                            "id": f"demo-addr-{key}",
                            "address_1": street,
                            "city": city,
                            "state_province": "NY",
                            "postal_code": zip_code,
                            "country": "US",
                            "address_type": "physical",
                        }
                    ],
                    "schedules": [
                        {
                            "id": f"demo-hours-{key}",
                            "freq": "WEEKLY",
                            "byday": "MO,TU,WE,TH,FR",
                            "opens_at": "09:00",
                            "closes_at": "17:00",
                        }
                    ],
                },
            }
        ],
    }


LISTINGS = {
    FOOD: _listing(
        "food",
        "Flatbush Community Pantry",
        "Emergency groceries and weekly food boxes",
        "Food Pantry",
        "1010 Church Ave",
        "Brooklyn",
        "11218",
    ),
    HOUSING: _listing(
        "housing",
        "Uptown Housing Access Network",
        "Housing navigation and rental assistance",
        "Housing Assistance",
        "4120 Broadway",
        "New York",
        "10033",
    ),
    TRANSPORT: _listing(
        "ride",
        "MetroRide Medical Transportation",
        "Rides to medical appointments",
        "Transportation",
        "40-20 21st St",
        "Long Island City",
        "11101",
    ),
}


@dataclass
class ReferralSeedSummary:
    services: int = 0
    referrals: int = 0
    skipped: bool = False


def _directory(network: Network) -> dict[str, Service]:
    """The listings and their partners, written only when missing (a second run writes nothing)."""
    listed = Service.objects.filter(source=SOURCE, external_id__in=[v["id"] for v in LISTINGS.values()]).count()
    if listed < len(LISTINGS):
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "demo-partners.json"
            path.write_text(json.dumps(list(LISTINGS.values())), encoding="utf-8")
            import_directory(bundle=read_path(path), source=SOURCE)
    services = {}
    for key, listing in LISTINGS.items():
        service = Service.objects.select_related("organization").get(source=SOURCE, external_id=listing["id"])
        services[key] = service
        organization = service.organization
        assert isinstance(organization, ResourceOrganization)
        tenant = network.organization(key)
        if PartnerOrganization.objects.filter(directory_organization=organization).exists():
            continue
        if key == TRANSPORT:  # no CareCoord users: reached by secure link
            upsert_partner(directory_organization=organization, link_recipient=tenant.email or "", by=None)
        else:
            upsert_partner(directory_organization=organization, organization=tenant, by=None)
    return services


def _intervention(patient_id: uuid.UUID, description: str, partner: str, by: Any) -> Intervention | None:
    plan = (
        CarePlan.objects.filter(
            patient_id=patient_id, organization_id=by.organization_id, status__in=LIVING_PLAN_STATUSES
        )
        .order_by("-created_at")
        .first()
    )
    if plan is None:
        return None
    return add_intervention(
        plan=plan, data=InterventionData(description=description, performer="cbo", performer_name=partner), by=by
    )


def seed_referrals(network: Network) -> ReferralSeedSummary:
    """The directory listings, partners and demo referrals (see the module docstring); nothing if done."""
    summary = ReferralSeedSummary()
    agencies = [network.organization(key).pk for key in (AGENCY_BRONX, AGENCY_BROOKLYN)]
    services = _directory(network)
    summary.services = len(services)
    if Referral.objects.filter(referring_organization_id__in=agencies).exists():
        summary.skipped = True
        return summary
    loads = _caseloads(network)
    if not loads or len(loads[0].people) < 5:
        return summary
    cm = loads[0].care_manager
    people = [patient for patient, _, _ in loads[0].people[:5]]
    carmen = network.users["carmen_pantry"]
    andre = network.users["andre_housing"]
    now = timezone.now()
    consent = ConsentToShare(method="verbal", note="Agreed on the phone to share these details")
    food, housing, ride = services[FOOD], services[HOUSING], services[TRANSPORT]

    def send(patient: Any, service: Service, need: str, reason: str, days_ago: float, **extra: Any) -> Referral:
        return send_referral(
            patient=patient,
            service=service,
            need=need,
            reason=reason,
            share=["name", "phone", "language"],
            consent=consent,
            by=cm,
            at=now - datetime.timedelta(days=days_ago),
            **extra,
        )

    with transaction.atomic():
        send(people[0], ride, "transportation-insecurity", "Needs rides to dialysis three times a week.", 4)
        send(people[1], food, "food-insecurity", "Runs out of food before the end of the month.", 0.2)
        working = send(
            people[2],
            food,
            "food-insecurity",
            "Skips meals to pay for medicines.",
            6,
            intervention=_intervention(people[2].pk, "Weekly food boxes", "Flatbush Community Pantry", cm),
        )
        change_status(referral=working, to=S.ACCEPTED, actor=Actor(Side.TARGET, carmen))
        change_status(referral=working, to=S.IN_PROGRESS, actor=Actor(Side.TARGET, carmen))
        record_activity(
            referral=working,
            performed_on=timezone.localdate() - datetime.timedelta(days=2),
            description="First food box picked up",
            actor=Actor(Side.TARGET, carmen),
        )
        done = send(
            people[3],
            food,
            "food-insecurity",
            "Lost SNAP benefits last month.",
            12,
            intervention=_intervention(people[3].pk, "Emergency groceries", "Flatbush Community Pantry", cm),
        )
        change_status(referral=done, to=S.ACCEPTED, actor=Actor(Side.TARGET, carmen))
        record_activity(
            referral=done,
            performed_on=timezone.localdate() - datetime.timedelta(days=5),
            description="Emergency groceries for two weeks",
            actor=Actor(Side.TARGET, carmen),
        )
        complete(
            referral=done,
            actor=Actor(Side.TARGET, carmen),
            outcome="need-met",
            note="Enrolled in weekly deliveries; SNAP reapplication submitted.",
        )
        refused = send(people[4], housing, "housing-instability", "Eviction notice; needs help with back rent.", 3)
        change_status(
            referral=refused,
            to=S.REJECTED,
            actor=Actor(Side.TARGET, andre),
            reason="Our rental assistance fund is closed until January; try the city's HRA office.",
        )
        summary.referrals = 5
    return summary
