"""Seeding the demo: the network, then the people, each registered and assigned through actions.

Idempotent: organizations and users are matched by name, people by their Medicaid CIN or Medicare MBI, and
assignments by (person, organization, kind); only what is missing is written, so a second run writes nothing,
not even an audit record.
"""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

from carecoord.accounts.models import Organization, User
from carecoord.demo.clinical import seed_clinical
from carecoord.demo.network import (
    AGENCY_BRONX,
    AGENCY_BROOKLYN,
    HEALTH_HOME,
    HOSPITAL,
    PLAN,
    PRACTICE_BRONX,
    PRACTICE_BROOKLYN,
    Network,
    build_network,
)
from carecoord.demo.people import Anchors, DemoPerson, generate_people
from carecoord.patients.actions import assign_patient, register_patient
from carecoord.patients.models import AssignmentKind, IdentifierKind, Patient, PatientAssignment, PatientIdentifier

DEFAULT_PATIENTS = 500
BATCH = 50
AGENCY_BY_REGION = {"bronx_manhattan": AGENCY_BRONX, "brooklyn_queens_si": AGENCY_BROOKLYN}


@dataclass
class SeedSummary:
    network: Network
    patients_created: int = 0
    patients_present: int = 0
    assignments_created: int = 0
    seconds: float = 0.0


def anchors_for(network: Network) -> Anchors:
    plan = network.organization(PLAN)
    return Anchors(
        hospital_id=network.organization(HOSPITAL).pk,
        plan_id=plan.pk,
        plan_name=plan.name,
        practice_ids={
            "bronx_manhattan": network.organization(PRACTICE_BRONX).pk,
            "brooklyn_queens_si": network.organization(PRACTICE_BROOKLYN).pk,
        },
    )


def _agency_supervisor(network: Network, agency: Organization) -> User:
    return next(u for u in network.users.values() if u.organization_id == agency.pk and u.role == "supervisor")


def _seed_person(
    person: DemoPerson,
    *,
    network: Network,
    patient_id: uuid.UUID | None,
    held: set[tuple[uuid.UUID, uuid.UUID, str]],
    summary: SeedSummary,
) -> None:
    """Register one person (unless present) and give the agency and the Health Home their assignments."""
    agency_key = AGENCY_BY_REGION[person.agency_region]
    agency = network.organization(agency_key)
    health_home = network.organization(HEALTH_HOME)
    wanted = [
        (agency, person.segment, _agency_supervisor(network, agency)),
        (health_home, AssignmentKind.ASSIGNMENT, _agency_supervisor(network, health_home)),
    ]
    with transaction.atomic():
        patient: Patient | None = None
        if patient_id is None:
            registrar = network.registrar(agency_key)
            patient = register_patient(
                data=person.data, by=registrar, confirm_not_duplicate=True, organization=agency
            ).patient
            patient_id = patient.pk
            summary.patients_created += 1
        else:
            summary.patients_present += 1
        for organization, kind, by in wanted:
            if (patient_id, organization.pk, kind) in held:
                continue
            if patient is None:
                patient = Patient.objects.get(pk=patient_id)
            assign_patient(patient=patient, organization=organization, kind=kind, by=by)
            summary.assignments_created += 1


def seed_demo(*, patients: int = DEFAULT_PATIENTS, progress: Callable[[int, int], None] | None = None) -> SeedSummary:
    """Build the demo network and ``patients`` people; see the module docstring for what is skipped."""
    started = time.monotonic()
    network = build_network()
    summary = SeedSummary(network=network)
    keys = {
        (system, value): patient_id
        for system, value, patient_id in PatientIdentifier.objects.filter(
            kind__in=[IdentifierKind.MEDICAID_CIN, IdentifierKind.MEDICARE_MBI]
        ).values_list("system", "value", "patient_id")
    }
    organizations = [network.organization(key) for key in (HEALTH_HOME, AGENCY_BRONX, AGENCY_BROOKLYN)]
    held: set[tuple[uuid.UUID, uuid.UUID, str]] = set(
        PatientAssignment.objects.filter(organization__in=organizations, end_date__isnull=True).values_list(
            "patient_id", "organization_id", "kind"
        )
    )
    people = generate_people(patients, anchors=anchors_for(network))
    done = 0
    while done < patients:
        # One transaction per batch: far fewer commits (and WAL syncs) than one per person.
        with transaction.atomic():
            for person in itertools.islice(people, BATCH):
                _seed_person(person, network=network, patient_id=keys.get(person.key), held=held, summary=summary)
                done += 1
                if progress is not None:
                    progress(done, patients)
    seed_clinical(network)
    summary.seconds = time.monotonic() - started
    return summary
