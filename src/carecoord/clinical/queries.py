"""Reads of clinical facts with no permission check: for risk scores and for ``access.py`` after its check."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable

from django.db.models import Q, QuerySet

from carecoord.clinical.models import (
    ACTIVE_CLINICAL_STATUSES,
    RESULT_STATUSES,
    VOID_ENCOUNTER_STATUSES,
    Condition,
    ConditionVerificationStatus,
    Encounter,
    EncounterClass,
    Observation,
    ObservationCategory,
    Procedure,
    ProcedureStatus,
)

PatientKey = uuid.UUID | str

# Verification statuses that mean the person does not have the condition.
NOT_PRESENT = (ConditionVerificationStatus.REFUTED, ConditionVerificationStatus.ENTERED_IN_ERROR)


def conditions_of(patient_id: PatientKey) -> QuerySet[Condition]:
    return Condition.objects.filter(patient_id=patient_id).order_by("-recorded_date", "-pk")


def conditions_present(patient_id: PatientKey, *, on: datetime.date) -> QuerySet[Condition]:
    """Conditions the person had on ``on``: begun (onset, else recorded) by then and not yet abated.

    Without an abatement date the clinical status decides: active, recurrence or relapse. With one, the
    condition was present until that date whatever its status now (a condition resolved after a discharge was
    present at it). Refuted and mistaken entries never count.
    """
    begun = Q(onset_date__lte=on) | Q(onset_date__isnull=True, recorded_date__lte=on)
    ongoing = Q(abatement_date__isnull=True, clinical_status__in=ACTIVE_CLINICAL_STATUSES) | Q(abatement_date__gt=on)
    return conditions_of(patient_id).filter(begun, ongoing).exclude(verification_status__in=NOT_PRESENT)


def encounters_of(patient_id: PatientKey) -> QuerySet[Encounter]:
    return Encounter.objects.filter(patient_id=patient_id).order_by("-period_start", "-pk")


def real_encounters(patient_id: PatientKey) -> QuerySet[Encounter]:
    """Encounters that happened (not planned, cancelled or entered in error)."""
    return encounters_of(patient_id).exclude(status__in=VOID_ENCOUNTER_STATUSES)


def encounters_starting(
    patient_id: PatientKey, *, classes: Iterable[str], start: datetime.datetime, end: datetime.datetime
) -> QuerySet[Encounter]:
    """Real encounters of the given classes that began in [start, end)."""
    return real_encounters(patient_id).filter(
        encounter_class__in=list(classes), period_start__gte=start, period_start__lt=end
    )


def latest_inpatient_discharge(patient_id: PatientKey) -> Encounter | None:
    """The person's most recent finished inpatient stay (the index stay for readmission risk)."""
    return (
        real_encounters(patient_id)
        .filter(encounter_class=EncounterClass.INPATIENT, period_end__isnull=False)
        .order_by("-period_end", "-pk")
        .first()
    )


def procedures_during(encounter: Encounter) -> QuerySet[Procedure]:
    """Completed procedures of the stay: linked to it, or performed between admission and discharge."""
    within = Q(encounter=encounter)
    if encounter.period_end is not None:
        within |= Q(performed_at__gte=encounter.period_start, performed_at__lte=encounter.period_end)
    return Procedure.objects.filter(within, patient_id=encounter.patient_id, status=ProcedureStatus.COMPLETED).order_by(
        "performed_at", "pk"
    )


def observations_of(
    patient_id: PatientKey,
    *,
    codes: Iterable[str] = (),
    category: str = "",
    start: datetime.datetime | None = None,
    end: datetime.datetime | None = None,
) -> QuerySet[Observation]:
    """The person's observations, newest first, optionally by code, category and effective time [start, end]."""
    rows = Observation.objects.filter(patient_id=patient_id)
    wanted = list(codes)
    if wanted:
        rows = rows.filter(code__in=wanted)
    if category:
        rows = rows.filter(
            pk__in=ObservationCategory.objects.filter(patient_id=patient_id, code=category).values("observation")
        )
    if start is not None:
        rows = rows.filter(effective_at__gte=start)
    if end is not None:
        rows = rows.filter(effective_at__lte=end)
    return rows.order_by("-effective_at", "-pk")


def last_result(
    patient_id: PatientKey, *, codes: Iterable[str], start: datetime.datetime, end: datetime.datetime
) -> Observation | None:
    """The last usable numeric result with one of ``codes`` effective in [start, end]."""
    return (
        observations_of(patient_id, codes=codes, start=start, end=end)
        .filter(status__in=RESULT_STATUSES, value_quantity__isnull=False)
        .first()
    )
