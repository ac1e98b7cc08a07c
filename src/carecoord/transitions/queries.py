"""Reads of the ADT feed with no permission check (callers go through ``access`` for people's data)."""

from __future__ import annotations

import datetime
import uuid
from collections import defaultdict
from collections.abc import Sequence

from django.db.models import Q
from django.utils import timezone

from carecoord.clinical.models import (
    ICD10CM,
    Condition,
    ConditionVerificationStatus,
    DischargeDisposition,
    Encounter,
    EncounterClass,
    EncounterStatus,
)
from carecoord.transitions import measures
from carecoord.transitions.models import (
    AdtEvent,
    AdtMessage,
    IntakeError,
    IntakeErrorStatus,
    MessageStatus,
    Transition,
    TransitionStatus,
)
from carecoord.transitions.rules import FUH_WINDOWS, NONACUTE_SERVICES


def list_intake_errors(*, limit: int = 200) -> list[IntakeError]:
    """What arrived and was refused (AE/AR), waiting for an administrator, oldest first."""
    return list(IntakeError.objects.filter(status=IntakeErrorStatus.NEW).order_by("received_at", "pk")[:limit])


def list_review_queue(*, limit: int = 200) -> list[AdtMessage]:
    """Accepted messages whose person could not be found, oldest first."""
    return list(AdtMessage.objects.filter(status=MessageStatus.REVIEW).order_by("pk")[:limit])


def list_failed_messages(*, limit: int = 200) -> list[AdtMessage]:
    """Messages whose processing a rule refused (e.g. a discharge before the admission), oldest first."""
    return list(AdtMessage.objects.filter(status=MessageStatus.FAILED).order_by("pk")[:limit])


def list_events_for_patient(patient_id: uuid.UUID | str) -> list[AdtEvent]:
    """A person's ADT events, newest first, cancelled ones included (``retracted_by`` says so)."""
    return list(AdtEvent.objects.filter(patient_id=patient_id).order_by("-occurred_at", "-pk"))


def count_waiting() -> int:
    return AdtMessage.objects.filter(status__in=[MessageStatus.RECEIVED, MessageStatus.PROCESSING]).count()


# TCM and FUH across a person's stays -------------------------------------------------------------------------------


def _local_day(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment).date()


def _tcm_stay(transition: Transition) -> measures.TcmStay:
    return measures.TcmStay(
        discharge_date=transition.discharge_date,
        contact_due=transition.contact_due,
        contact=measures.ContactOutcome(transition.contact_met_on, transition.contact_by_attempts),
        medication_reconciled_on=transition.medication_reconciled_on,
        visit_on=transition.visit_on,
        complexity=transition.decision_complexity,
    )


def tcm_verdicts_for(transitions: Sequence[Transition], *, today: datetime.date) -> dict[int, measures.TcmVerdict]:
    """The TCM verdict of each transition (by id), judged with the person's earlier discharges whatever the
    organization (once per person within 30 days of a discharge). One statement for any number of people."""
    if not transitions:
        return {}
    people = {t.patient_id for t in transitions}
    latest = max(t.discharge_date for t in transitions)
    rows: dict[uuid.UUID, list[Transition]] = defaultdict(list)
    for row in (
        Transition.objects.filter(patient_id__in=people, discharge_date__lte=latest)
        .exclude(status=TransitionStatus.CANCELLED)
        .order_by("discharge_date", "pk")
    ):
        rows[row.patient_id].append(row)
    verdicts: dict[int, measures.TcmVerdict] = {}
    for stays in rows.values():
        for stay, verdict in zip(stays, measures.tcm_verdicts([_tcm_stay(s) for s in stays], today=today), strict=True):
            verdicts[stay.pk] = verdict
    for transition in transitions:  # a cancelled transition is judged on its own
        if transition.pk not in verdicts:
            verdicts[transition.pk] = measures.tcm_verdicts([_tcm_stay(transition)], today=today)[0]
    return verdicts


def _principal_is_mental_health(encounter: Encounter, transitions: dict[int, Transition]) -> bool:
    if encounter.pk in transitions:
        return transitions[encounter.pk].mental_health
    condition = (
        Condition.objects.filter(encounter=encounter, code_system=ICD10CM)
        .exclude(verification_status=ConditionVerificationStatus.ENTERED_IN_ERROR)
        .order_by("pk")
        .first()
    )
    return condition is not None and measures.is_fuh_diagnosis(condition.code)


def fuh_standing_for(transition: Transition) -> measures.FuhStanding:
    """Whether the transition's discharge counts for FUH, from the person's other stays on record (D.5)."""
    start = transition.discharged_at - datetime.timedelta(days=1)
    end = transition.discharged_at + datetime.timedelta(days=max(FUH_WINDOWS) + 1)
    year = transition.discharge_date.year
    encounters = (
        Encounter.objects.filter(patient_id=transition.patient_id)
        .exclude(pk=transition.encounter_id)
        .exclude(status__in=[EncounterStatus.ENTERED_IN_ERROR, EncounterStatus.CANCELLED])
    )
    later = list(
        encounters.filter(encounter_class=EncounterClass.INPATIENT, period_start__gte=start, period_start__lte=end)
    )
    known = {t.encounter_id: t for t in Transition.objects.filter(encounter__in=later)}
    stays = [
        measures.LaterStay(
            admitted_on=_local_day(encounter.period_start),
            acute=encounter.service.strip().lower() not in NONACUTE_SERVICES,
            mental_health=_principal_is_mental_health(encounter, known),
        )
        for encounter in later
    ]
    died_on = transition.patient.deceased_date
    if died_on is None:
        death = encounters.filter(discharge_disposition=DischargeDisposition.EXPIRED, period_end__isnull=False).first()
        died_on = _local_day(death.period_end) if death is not None and death.period_end else None
    # [R] Hospice care in the measurement year: a stay ending in a discharge to hospice, or a hospice service.
    hospice = (
        encounters.filter(Q(discharge_disposition=DischargeDisposition.HOSPICE) | Q(service__in=["hospice", "hsp"]))
        .filter(Q(period_start__year=year) | Q(period_end__year=year))
        .order_by("period_start")
        .first()
    )
    hospice_on = _local_day(hospice.period_end or hospice.period_start) if hospice is not None else None
    return measures.fuh_standing(
        discharge_date=transition.discharge_date, later_stays=stays, died_on=died_on, hospice_on=hospice_on
    )
