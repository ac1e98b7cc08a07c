"""Program activity for the demo people: referrals, outreach, consents, enrollments, care teams, caseloads.

Every write goes through the programs, consents and care team actions, as a person at the agency would do it.
Each person's story is drawn from a generator seeded with their id, so a rebuilt demo tells the same stories;
people who already have program records are skipped, so a second run writes nothing.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from carecoord.accounts.models import Organization, Role, User
from carecoord.careteams.actions import MemberData, add_member
from carecoord.consents.actions import ConsentData, record_consent
from carecoord.demo.network import (
    AGENCY_BRONX,
    AGENCY_BROOKLYN,
    BEHAVIORAL_HEALTH,
    HEALTH_HOME,
    HOSPITAL,
    PLAN,
    PRACTICE_BRONX,
    PRACTICE_BROOKLYN,
    Network,
)
from carecoord.patients.models import AssignmentKind, Patient, PatientAssignment
from carecoord.programs.actions import (
    AttemptData,
    accept_referral,
    claim_outreach_month,
    end_enrollment,
    enroll,
    record_outreach_attempt,
    refer_to_program,
)
from carecoord.programs.models import Enrollment, Program, ProgramReferral
from carecoord.programs.rules import add_months, month_start

PRACTICE_BY_AGENCY = {AGENCY_BRONX: PRACTICE_BRONX, AGENCY_BROOKLYN: PRACTICE_BROOKLYN}
METHODS = ("phone", "phone", "phone", "text", "mail", "in_person")
OUTCOMES = {
    "phone": ("no_answer", "left_message", "reached", "wrong_number"),
    "text": ("sent", "reached"),
    "mail": ("sent", "returned_mail"),
    "in_person": ("not_found", "reached"),
}


@dataclass
class ProgramSeedSummary:
    people: int = 0
    referrals: int = 0
    attempts: int = 0
    consents: int = 0
    enrollments: int = 0


@dataclass
class _Cast:
    agency: Organization
    practice: Organization
    coordinators: list[User]
    care_managers: list[User]


def _cast(network: Network, agency_key: str) -> _Cast:
    agency = network.organization(agency_key)
    staff = [u for u in network.users.values() if u.organization_id == agency.pk]
    return _Cast(
        agency=agency,
        practice=network.organization(PRACTICE_BY_AGENCY[agency_key]),
        coordinators=[u for u in staff if u.role == Role.CARE_COORDINATOR],
        care_managers=[u for u in staff if u.role in (Role.CARE_MANAGER, Role.LICENSED_CARE_MANAGER)],
    )


def _when(day: datetime.date, rng: random.Random) -> datetime.datetime:
    moment = datetime.datetime.combine(day, datetime.time(rng.randint(9, 16), rng.choice((0, 15, 30, 45))))
    return timezone.make_aware(moment)


def _care_manager(cast: _Cast, patient: Patient, rng: random.Random, *, licensed: bool) -> User:
    pool = [u for u in cast.care_managers if not licensed or u.role == Role.LICENSED_CARE_MANAGER] or cast.care_managers
    speaking = [u for u in pool if patient.preferred_language in (u.languages or [])]
    return rng.choice(speaking or pool)


def _outreach(
    patient: Patient, program: Program, cast: _Cast, rng: random.Random, months: int, s: ProgramSeedSummary
) -> None:
    """Attempts over the last ``months`` months, each month claimed as it would be at month end."""
    this_month = month_start(timezone.localdate())
    for back in range(months, 0, -1):
        month = add_months(this_month, -back)
        coordinator = rng.choice(cast.coordinators)
        methods = [rng.choice(METHODS) for _ in range(rng.randint(1, 3))]
        if back == 1 and months > 1:
            methods.append("in_person")  # the second consecutive month needs a face-to-face attempt
        for day_index, method in enumerate(methods):
            day = month + datetime.timedelta(days=3 + 7 * day_index)
            record_outreach_attempt(
                patient=patient,
                program=program,
                data=AttemptData(
                    method=method,
                    outcome=rng.choice(OUTCOMES[method]),
                    attempted_at=_when(day, rng),
                    duration_minutes=rng.choice((None, 5, 10, 20)) if method in ("phone", "in_person") else None,
                    note="" if rng.random() < 0.6 else "Spoke with a family member; will call back.",
                ),
                by=coordinator,
            )
            s.attempts += 1
        claim_outreach_month(patient=patient, program=program, month=month, by=coordinator)


def _consent(
    patient: Patient, cast: _Cast, network: Network, by: User, signed_on: datetime.date, rng: random.Random
) -> None:
    partners = [cast.agency, network.organization(HEALTH_HOME), network.organization(PLAN), cast.practice]
    if rng.random() < 0.3:
        partners.append(network.organization(BEHAVIORAL_HEALTH))
    if rng.random() < 0.4:
        partners.append(network.organization(HOSPITAL))
    record_consent(
        patient=patient,
        data=ConsentData(
            form="DOH-5055",
            signed_on=signed_on,
            partners=partners,
            language=patient.preferred_language,
            interpreter_used=patient.interpreter_needed,
            copy_given=True,
        ),
        by=by,
    )


def _story(
    patient: Patient, agency_key: str, segment: str, network: Network, hh: Program, s: ProgramSeedSummary
) -> None:
    rng = random.Random(str(patient.pk))
    cast = _cast(network, agency_key)
    today = timezone.localdate()
    plan = network.organization(PLAN)
    referral = refer_to_program(
        patient=patient,
        program=hh,
        receiving_organization=cast.agency,
        source="plan_assignment",
        referring_organization=plan,
        by=None,
        reason=rng.choice(
            (
                "High emergency department use in the last 6 months",
                "Two chronic conditions; not engaged in primary care",
                "Serious mental illness; recent inpatient stay",
                "Diabetes and depression; missed appointments",
            )
        ),
    )
    s.referrals += 1
    if (segment == AssignmentKind.ASSIGNMENT and rng.random() < 0.6) or (
        segment == AssignmentKind.OUTREACH and rng.random() < 0.2
    ):
        return  # still waiting for the agency's decision
    supervisor = next(
        u for u in network.users.values() if u.organization_id == cast.agency.pk and u.role == Role.SUPERVISOR
    )
    accepted_on = today - datetime.timedelta(
        days=rng.randint(70, 400) if segment == AssignmentKind.ENROLLMENT else rng.randint(35, 80)
    )
    accept_referral(referral=referral, by=supervisor, start_date=accepted_on)
    if segment == AssignmentKind.ASSIGNMENT:
        return
    if segment == AssignmentKind.OUTREACH:
        _outreach(patient, hh, cast, rng, months=rng.choice((1, 2)), s=s)
        if rng.random() < 0.3:
            _consent(
                patient,
                cast,
                network,
                rng.choice(cast.care_managers),
                today - datetime.timedelta(days=rng.randint(0, 6)),
                rng,
            )
            s.consents += 1
        return
    clinical = rng.random() < 0.35
    care_manager = _care_manager(cast, patient, rng, licensed=clinical)
    start = accepted_on + datetime.timedelta(days=rng.randint(10, 45))
    _consent(patient, cast, network, care_manager, start, rng)
    s.consents += 1
    enrollment = enroll(
        patient=patient,
        program=hh,
        by=care_manager,
        start_date=start,
        care_manager=care_manager,
        acuity=rng.choice(("high", "medium", "medium", "low")),
        clinical_need=clinical,
    )
    s.enrollments += 1
    practice_staff = next((u for u in network.users.values() if u.organization_id == cast.practice.pk), None)
    if practice_staff is not None and rng.random() < 0.5:
        add_member(
            patient=patient,
            data=MemberData(role="primary_care", user=practice_staff, start_date=start),
            by=care_manager,
        )
    contact = patient.contacts.filter(is_caregiver=True).first()
    if contact is not None:
        add_member(
            patient=patient,
            data=MemberData(
                role="caregiver", kind="related_person", contact=contact, name=contact.name, phone=contact.phone
            ),
            by=care_manager,
        )
    if rng.random() < 0.05:
        _substance_use_referral(patient, cast, network, care_manager, rng, s)
    if rng.random() < 0.06:
        end_enrollment(
            enrollment=enrollment,
            end_date=min(today, start + datetime.timedelta(days=rng.randint(60, 300))),
            reason=rng.choice(("graduated", "moved", "disenrolled")),
            by=care_manager,
        )


def _substance_use_referral(
    patient: Patient, cast: _Cast, network: Network, care_manager: User, rng: random.Random, s: ProgramSeedSummary
) -> None:
    """A referral from the behavioral health clinic's opioid treatment program: 42 CFR Part 2 data."""
    clinic = network.organization(BEHAVIORAL_HEALTH)
    complex_care = Program.objects.get(code="complex-care")
    refer_to_program(
        patient=patient,
        program=complex_care,
        receiving_organization=cast.agency,
        source="provider",
        referring_organization=clinic,
        by=None,
        reason="In medication treatment for opioid use disorder; needs housing and primary care follow-up",
        security_labels=["42CFRPart2"],
    )
    s.referrals += 1
    if rng.random() < 0.5:
        record_consent(
            patient=patient,
            data=ConsentData(
                form="42-CFR-2",
                signed_on=timezone.localdate() - datetime.timedelta(days=rng.randint(1, 60)),
                partners=[cast.agency, cast.practice],
                part2_recipients="named",
                part2_disclosing_program=clinic.name,
                part2_information="Substance use diagnosis, medications, treatment attendance",
                part2_purpose="Treatment and care coordination",
                part2_expiration="End of treatment",
                revocation_explained=True,
            ),
            by=care_manager,
        )
        s.consents += 1


def seed_programs(network: Network, *, progress: Callable[[int, int], None] | None = None) -> ProgramSeedSummary:
    """Give each demo person without program records a believable program story."""
    summary = ProgramSeedSummary()
    hh = Program.objects.get(code="ny-hh-adult")
    agencies = {network.organization(key).pk: key for key in (AGENCY_BRONX, AGENCY_BROOKLYN)}
    done_already = set(ProgramReferral.objects.values_list("patient_id", flat=True)) | set(
        Enrollment.objects.values_list("patient_id", flat=True)
    )
    rows = list(
        PatientAssignment.objects.filter(
            organization_id__in=agencies,
            kind__in=[AssignmentKind.ASSIGNMENT, AssignmentKind.OUTREACH, AssignmentKind.ENROLLMENT],
        )
        .exclude(patient_id__in=done_already)
        .select_related("patient")
        .order_by("patient__created_at", "patient_id")
    )
    for index, row in enumerate(rows, start=1):
        with transaction.atomic():
            _story(row.patient, agencies[row.organization_id], row.kind, network, hh, summary)
        summary.people += 1
        if progress is not None:
            progress(index, len(rows))
    return summary
