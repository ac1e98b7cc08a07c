"""LACE index (STANDARDS.md C.9) for an inpatient stay: Length of stay, Acuity, Comorbidity, ED visits.

- L: discharge date minus admission date in days (``inclusive`` [R] counts both days); unknown before discharge.
- A: acute when the admission priority is emergency or urgent, or the person came from the ED (admit source,
  or an ED visit that ended within ``ED_LEADS_TO_ADMISSION_HOURS`` before it); planned when elective or
  routine; unknown otherwise.
- C: the Charlson index (not age-adjusted) of the conditions present on the discharge date (today, before
  discharge).
- E: ED visits that began in the 6 calendar months before the admission, not counting the one that led to it.
"""

from __future__ import annotations

from django.utils import timezone

from carecoord.clinical.models import Encounter
from carecoord.clinical.risk import tables
from carecoord.clinical.risk.charlson import charlson_for_patient
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


def lace_for_encounter(
    encounter: Encounter,
    *,
    los_inclusive: bool = tables.LACE_LOS_INCLUSIVE,
    hierarchy: bool = tables.CHARLSON_HIERARCHY,
) -> RiskScore:
    """The LACE index of an inpatient stay, component by component."""
    require_inpatient(encounter, "LACE")
    los = length_of_stay(encounter, inclusive=los_inclusive)
    length = Component(
        key="L",
        label="Length of stay",
        value=los,
        points=None if los is None else points_for(los, tables.LACE_LOS_POINTS),
        max_points=tables.LACE_LOS_POINTS[0][1],
        sources=(reference(encounter),),
        note="Not discharged yet." if los is None else los_note(los_inclusive),
    )
    leading = leading_ed_visit(encounter)
    acute = acuity(encounter, leading)
    acuity_component = Component(
        key="A",
        label="Acuity of admission",
        value=acute.acute,
        points=None if acute.acute is None else (tables.LACE_ACUITY_POINTS if acute.acute else 0),
        max_points=tables.LACE_ACUITY_POINTS,
        sources=acute.sources,
        note=acute.note,
    )
    day = timezone.localtime(encounter.period_end).date() if encounter.period_end else timezone.localdate()
    charlson = charlson_for_patient(encounter.patient, as_of=day, hierarchy=hierarchy)
    counted = [c for c in charlson.components if c.points]
    comorbidity = Component(
        key="C",
        label="Comorbidity (Charlson index)",
        value=charlson.total,
        points=points_for(charlson.total, tables.LACE_COMORBIDITY_POINTS),
        max_points=tables.LACE_COMORBIDITY_POINTS[0][1],
        sources=tuple(source for c in counted for source in c.sources),
        note=(
            f"Conditions present on {day.isoformat()}: "
            + (", ".join(f"{c.label} {c.points}" for c in counted) or "none in a Charlson category")
            + "."
        ),
    )
    visits = prior_encounters(
        encounter, classes=tables.ED_CLASSES, months=tables.LACE_ED_LOOKBACK_MONTHS, exclude=leading
    )
    ed = Component(
        key="E",
        label=f"ED visits in the previous {tables.LACE_ED_LOOKBACK_MONTHS} months",
        value=len(visits),
        points=points_for(len(visits), tables.LACE_ED_VISIT_POINTS),
        max_points=tables.LACE_ED_VISIT_POINTS[0][1],
        sources=tuple(reference(v) for v in visits),
        note="Recorded ED visits"
        + (f", not counting {reference(leading)} which led to this admission." if leading else "."),
    )
    return RiskScore(
        name="LACE",
        subject=reference(encounter),
        as_of=day,
        components=(length, acuity_component, comorbidity, ed),
        bands=tables.LACE_BANDS,
    )
