"""Permission-checked reads of clinical facts and risk scores.

Every function goes through ``patients.access.access_patient`` (the one door to a person's record), which
decides and writes the audit record (read or search, the object type, and the criteria) before anything is
read; a record asked for by its own id that does not exist is audited as failed.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass

from carecoord.accounts.models import User
from carecoord.audit.actions import not_found
from carecoord.audit.models import AuditAction
from carecoord.clinical.models import Condition, Encounter, Observation
from carecoord.clinical.queries import (
    conditions_of,
    conditions_present,
    encounters_of,
    latest_inpatient_discharge,
    observations_of,
)
from carecoord.clinical.risk import RiskScore, charlson_for_patient, hospital_for_encounter, lace_for_encounter
from carecoord.patients.access import access_patient
from carecoord.patients.models import Patient


def _criteria(**values: object) -> dict[str, object]:
    return {name: str(value) for name, value in values.items() if value not in (None, "", ())}


def access_conditions(
    user: User, patient_id: object, *, present_on: datetime.date | None = None, category: str = ""
) -> list[Condition]:
    """The person's conditions, newest first; only those present on ``present_on`` when given."""
    patient = access_patient(
        user,
        patient_id,
        action=AuditAction.SEARCH,
        object_type="Condition",
        detail=_criteria(present_on=present_on, category=category),
    )
    rows = conditions_present(patient.pk, on=present_on) if present_on else conditions_of(patient.pk)
    if category:
        rows = rows.filter(category=category)
    return list(rows.select_related("encounter"))


def access_encounters(
    user: User,
    patient_id: object,
    *,
    encounter_class: str = "",
    start: datetime.datetime | None = None,
    end: datetime.datetime | None = None,
) -> list[Encounter]:
    """The person's encounters, newest first, by class and by start in [start, end]."""
    patient = access_patient(
        user,
        patient_id,
        action=AuditAction.SEARCH,
        object_type="Encounter",
        detail=_criteria(encounter_class=encounter_class, start=start, end=end),
    )
    rows = encounters_of(patient.pk)
    if encounter_class:
        rows = rows.filter(encounter_class=encounter_class)
    if start is not None:
        rows = rows.filter(period_start__gte=start)
    if end is not None:
        rows = rows.filter(period_start__lte=end)
    return list(rows)


def access_observations(
    user: User,
    patient_id: object,
    *,
    code: str = "",
    category: str = "",
    start: datetime.datetime | None = None,
    end: datetime.datetime | None = None,
    limit: int = 500,
) -> list[Observation]:
    """The person's observations, newest first, by LOINC code, category and effective time in [start, end]."""
    patient = access_patient(
        user,
        patient_id,
        action=AuditAction.SEARCH,
        object_type="Observation",
        detail=_criteria(code=code, category=category, start=start, end=end),
    )
    rows = observations_of(patient.pk, codes=[code] if code else [], category=category, start=start, end=end)
    return list(rows[:limit])


def access_observation(user: User, observation_id: object) -> Observation:
    """One observation, once the user has been through the access check for its person."""
    key = observation_id if isinstance(observation_id, int) else None
    if key is None and str(observation_id).isdigit():
        key = int(str(observation_id))
    patient_id = (
        Observation.objects.filter(pk=key).values_list("patient_id", flat=True).first() if key is not None else None
    )
    if key is None or patient_id is None:
        raise not_found(
            by=user,
            object_type="Observation",
            object_id=observation_id,
            message=f"No observation with id {observation_id}.",
        )
    access_patient(user, patient_id, object_type="Observation", object_id=str(key))
    return Observation.objects.select_related("encounter").get(pk=key)


@dataclass(frozen=True)
class RiskScores:
    """The person's readmission risk for the latest inpatient discharge (none when there is no stay), and the
    Charlson index today."""

    patient_id: uuid.UUID
    index_stay: Encounter | None
    lace: RiskScore | None
    hospital: RiskScore | None
    charlson: RiskScore


def risk_scores_for(patient: Patient, *, age_adjusted: bool = False) -> RiskScores:
    stay = latest_inpatient_discharge(patient.pk)
    return RiskScores(
        patient_id=patient.pk,
        index_stay=stay,
        lace=lace_for_encounter(stay) if stay is not None else None,
        hospital=hospital_for_encounter(stay) if stay is not None else None,
        charlson=charlson_for_patient(patient, age_adjusted=age_adjusted),
    )


def access_risk_scores(user: User, patient_id: object, *, age_adjusted: bool = False) -> RiskScores:
    """LACE and HOSPITAL for the person's latest inpatient discharge and their Charlson index, after the access
    check (audited as a read of RiskAssessment)."""
    patient = access_patient(user, patient_id, object_type="RiskAssessment")
    return risk_scores_for(patient, age_adjusted=age_adjusted)
