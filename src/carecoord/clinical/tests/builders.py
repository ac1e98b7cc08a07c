"""Building clinical records for tests, through the actions (never by hand)."""

from __future__ import annotations

import datetime
import zoneinfo
from decimal import Decimal

from carecoord.clinical.actions import (
    ConditionData,
    EncounterData,
    ObservationData,
    ProcedureData,
    Quantity,
    record_condition,
    record_encounter,
    record_observation,
    record_procedure,
)
from carecoord.clinical.models import ICD10CM, SNOMED, Condition, Encounter, Observation, Procedure

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
# An index admission well in the past: 10 March 2025, 14:00 New York time.
ADMITTED = datetime.datetime(2025, 3, 10, 14, 0, tzinfo=NEW_YORK)


def at(day: datetime.date | datetime.datetime, hour: int = 10) -> datetime.datetime:
    if isinstance(day, datetime.datetime):
        return day
    return datetime.datetime(day.year, day.month, day.day, hour, 0, tzinfo=NEW_YORK)


def stay(patient, by, *, days: int | None = 3, start: datetime.datetime = ADMITTED, **fields) -> Encounter:
    """An inpatient stay admitted at ``start`` and discharged ``days`` calendar days later at 11:00 (None: still in)."""
    end = None
    if days is not None:
        end = (start + datetime.timedelta(days=days)).replace(hour=11, minute=0)
        end = max(end, start + datetime.timedelta(hours=1))
    values = {"priority": "EM", "status": "finished" if end else "in-progress"}
    values.update(fields)
    return record_encounter(
        patient=patient,
        data=EncounterData(encounter_class="IMP", period_start=start, period_end=end, **values),
        by=by,
    )


def ed_visit(patient, by, *, start: datetime.datetime, hours: int = 4, **fields) -> Encounter:
    return record_encounter(
        patient=patient,
        data=EncounterData(
            encounter_class="EMER", period_start=start, period_end=start + datetime.timedelta(hours=hours), **fields
        ),
        by=by,
    )


def condition(patient, by, code: str, *, system: str = "", **fields) -> Condition:
    system = system or (SNOMED if code.isdigit() else ICD10CM)
    fields.setdefault("onset_date", datetime.date(2020, 1, 1))
    fields.setdefault("recorded_date", datetime.date(2020, 1, 1))
    return record_condition(patient=patient, data=ConditionData(code_system=system, code=code, **fields), by=by)


def lab(patient, by, code: str, value: str, unit: str, *, when: datetime.datetime, **fields) -> Observation:
    return record_observation(
        patient=patient,
        data=ObservationData(
            code=code,
            value=Quantity(Decimal(value), unit, unit),
            categories=["laboratory"],
            effective_at=when,
            **fields,
        ),
        by=by,
    )


def procedure(patient, by, *, when: datetime.datetime, code: str = "0DTJ4ZZ", **fields) -> Procedure:
    return record_procedure(
        patient=patient,
        data=ProcedureData(
            code_system="http://www.cms.gov/Medicare/Coding/ICD10", code=code, performed_at=when, **fields
        ),
        by=by,
    )
