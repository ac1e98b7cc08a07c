"""HOSPITAL score (STANDARDS.md C.11) for an inpatient stay.

- H / S: the last hemoglobin (LOINC 718-7) and sodium (2951-2, 2947-0) results effective during the stay
  (admission to discharge; to now before discharge), final, amended, corrected or preliminary; unknown when
  none is recorded or its unit is not one of ``HEMOGLOBIN_UNITS`` / ``SODIUM_UNITS``.
- O: discharged from a service in ``ONCOLOGY_SERVICES``; unknown when the service is not recorded.
- P: a completed procedure linked to the stay or performed during it (none recorded counts as none).
- IT: urgent/non-elective index admission, decided as LACE's acuity.
- A: inpatient admissions that began in the 12 calendar months before this one.
- L: length of stay of at least 5 days (the LACE definition, ``inclusive`` [R]).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from carecoord.clinical.models import Encounter
from carecoord.clinical.queries import last_result, procedures_during
from carecoord.clinical.risk import tables
from carecoord.clinical.risk.result import Component, RiskScore, points_for
from carecoord.clinical.risk.stay import (
    acuity,
    leading_ed_visit,
    length_of_stay,
    los_note,
    prior_encounters,
    reference,
    require_inpatient,
)


def _lab(
    encounter: Encounter,
    *,
    key: str,
    label: str,
    what: str,
    codes: tuple[str, ...],
    units: dict[str, Decimal],
    below: Decimal,
    points: int,
    unit: str,
) -> Component:
    end = encounter.period_end or timezone.now()
    result = last_result(encounter.patient_id, codes=codes, start=encounter.period_start, end=end)
    if result is None:
        return Component(key, label, None, None, points, note=f"No {what} result recorded during the stay.")
    given = result.value_ucum or result.value_unit
    factor = units.get(given)
    source = (f"Observation/{result.pk}",)
    if factor is None or result.value_quantity is None:
        return Component(key, label, result.value_quantity, None, points, source, f"Unit {given!r} not understood.")
    value = (result.value_quantity * factor).normalize()
    when = timezone.localtime(result.effective_at) if result.effective_at else None
    note = (
        f"Last result of the stay{f' ({when:%Y-%m-%d %H:%M})' if when else ''}: {value} {unit}; below {below} scores."
    )
    return Component(key, label, value, points if value < below else 0, points, source, note)


def hospital_for_encounter(encounter: Encounter, *, los_inclusive: bool = tables.LACE_LOS_INCLUSIVE) -> RiskScore:
    """The HOSPITAL score of an inpatient stay, component by component."""
    require_inpatient(encounter, "HOSPITAL")
    here = (reference(encounter),)
    hemoglobin = _lab(
        encounter,
        key="H",
        label="Hemoglobin at discharge",
        what="hemoglobin",
        codes=tables.HEMOGLOBIN_CODES,
        units=tables.HEMOGLOBIN_UNITS,
        below=tables.HOSPITAL_HEMOGLOBIN_BELOW,
        points=tables.HOSPITAL_HEMOGLOBIN_POINTS,
        unit="g/dL",
    )
    if encounter.service:
        oncology = encounter.service in tables.ONCOLOGY_SERVICES
        service = Component(
            "O",
            "Discharge from an oncology service",
            encounter.service,
            tables.HOSPITAL_ONCOLOGY_POINTS if oncology else 0,
            tables.HOSPITAL_ONCOLOGY_POINTS,
            here,
            f"Service {encounter.service}.",
        )
    else:
        service = Component(
            "O", "Discharge from an oncology service", None, None, tables.HOSPITAL_ONCOLOGY_POINTS, here,
            "Discharging service not recorded.",
        )  # fmt: skip
    sodium = _lab(
        encounter,
        key="S",
        label="Sodium at discharge",
        what="sodium",
        codes=tables.SODIUM_CODES,
        units=tables.SODIUM_UNITS,
        below=tables.HOSPITAL_SODIUM_BELOW,
        points=tables.HOSPITAL_SODIUM_POINTS,
        unit="mmol/L",
    )
    procedures = list(procedures_during(encounter))
    procedure = Component(
        "P",
        "Procedure during the stay",
        [p.code for p in procedures] or None,
        tables.HOSPITAL_PROCEDURE_POINTS if procedures else 0,
        tables.HOSPITAL_PROCEDURE_POINTS,
        tuple(f"Procedure/{p.pk}" for p in procedures),
        "" if procedures else "No completed procedure recorded during the stay (counted as none).",
    )
    acute = acuity(encounter, leading_ed_visit(encounter))
    index_type = Component(
        "IT",
        "Urgent (non-elective) index admission",
        acute.acute,
        None if acute.acute is None else (tables.HOSPITAL_INDEX_TYPE_POINTS if acute.acute else 0),
        tables.HOSPITAL_INDEX_TYPE_POINTS,
        acute.sources,
        acute.note,
    )
    earlier = prior_encounters(
        encounter, classes=tables.INPATIENT_CLASSES, months=tables.HOSPITAL_ADMISSION_LOOKBACK_MONTHS
    )
    admissions = Component(
        "A",
        f"Admissions in the previous {tables.HOSPITAL_ADMISSION_LOOKBACK_MONTHS} months",
        len(earlier),
        points_for(len(earlier), tables.HOSPITAL_ADMISSION_POINTS),
        tables.HOSPITAL_ADMISSION_POINTS[0][1],
        tuple(reference(e) for e in earlier),
        "Recorded inpatient admissions before this one.",
    )
    los = length_of_stay(encounter, inclusive=los_inclusive)
    stay = Component(
        "L",
        f"Length of stay of {tables.HOSPITAL_LONG_STAY_DAYS} days or more",
        los,
        None if los is None else (tables.HOSPITAL_LONG_STAY_POINTS if los >= tables.HOSPITAL_LONG_STAY_DAYS else 0),
        tables.HOSPITAL_LONG_STAY_POINTS,
        here,
        "Not discharged yet." if los is None else los_note(los_inclusive),
    )
    day: datetime.date = (
        timezone.localtime(encounter.period_end).date() if encounter.period_end else timezone.localdate()
    )
    return RiskScore(
        name="HOSPITAL",
        subject=reference(encounter),
        as_of=day,
        components=(hemoglobin, service, sodium, procedure, index_type, admissions, stay),
        bands=tables.HOSPITAL_BANDS,
    )
