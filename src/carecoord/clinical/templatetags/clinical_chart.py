"""The chart's clinical section: active problems, recent hospital and ED visits, and the risk scores with their
explanations, rendered in place from the chart template.

The chart view (patients app) has already let the user in; this tag reads through the clinical access functions
(each audited) and turns each ``RiskScore`` into lines a care manager reads: what was found, the points out of
the maximum, and the record it came from. A component whose data is missing is shown as missing, never as 0.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from typing import Any

from django import template
from django.utils import timezone

from carecoord.accounts.models import User
from carecoord.clinical.access import RiskScores, access_conditions, access_encounters, access_risk_scores
from carecoord.clinical.models import (
    Condition,
    Encounter,
    EncounterClass,
    EncounterStatus,
)
from carecoord.clinical.risk import Component, RiskScore, ten_year_survival
from carecoord.clinical.risk.result import band_for
from carecoord.clinical.risk.stay import length_of_stay
from carecoord.common.errors import AccessDenied
from carecoord.patients.models import Patient
from carecoord.web.decorators import staff_user
from carecoord.web.templatetags.carecoord import day

register = template.Library()

# Visits shown in the chart: hospital stays, ED visits and observation stays of the last year.
HOSPITAL_CLASSES = (EncounterClass.INPATIENT, EncounterClass.EMERGENCY, EncounterClass.OBSERVATION)
RECENT_DAYS = 365
VISIT_NAMES: dict[str, str] = {
    EncounterClass.INPATIENT: "Hospital stay",
    EncounterClass.EMERGENCY: "ED visit",
    EncounterClass.OBSERVATION: "Observation stay",
}

# Band -> (badge class, icon, words). The icon and the words carry the meaning; colour only reinforces it.
BAND_LOOK: dict[str, tuple[str, str, str]] = {
    "low": ("ok", "●", "Low risk"),
    "moderate": ("warn", "▲", "Moderate risk"),
    "intermediate": ("warn", "▲", "Intermediate risk"),
    "high": ("danger", "⚠", "High risk"),
    "none": ("", "○", "No comorbidity coded"),
    "mild": ("ok", "●", "Mild comorbidity"),
    "severe": ("danger", "⚠", "Severe comorbidity"),
}
# Charlson's "moderate" is a comorbidity burden, not a risk band: keyed apart.
CHARLSON_BAND_LOOK = {**BAND_LOOK, "moderate": ("warn", "▲", "Moderate comorbidity")}

SCORE_TEXT = {
    "LACE": ("LACE index", "Death or unplanned readmission within 30 days of the discharge"),
    "HOSPITAL": ("HOSPITAL score", "Potentially avoidable readmission within 30 days of the discharge"),
    "Charlson": ("Charlson comorbidity index", "Burden of chronic disease from the conditions on record today"),
}

_REFERENCE = re.compile(r"\b(Encounter|Condition|Observation|Procedure|Patient)/([0-9a-f-]+)")
_ISO_DAY = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


@dataclass(frozen=True)
class Line:
    """One component of a score as shown: ``points`` None means not known (never shown as 0)."""

    label: str
    found: str
    points: int | None
    max_points: int
    sources: tuple[str, ...]
    note: str


@dataclass(frozen=True)
class ScoreView:
    slug: str
    name: str
    purpose: str
    total: int
    highest: int
    scale_max: int | None
    complete: bool
    band_class: str
    band_icon: str
    band_words: str
    possible_bands: str
    missing: tuple[str, ...]
    lines: tuple[Line, ...]
    left_out: str = ""
    extra: str = ""
    band_verdict: str = ""


@dataclass(frozen=True)
class VisitRow:
    encounter: Encounter
    kind: str
    started: str
    ended: str
    length: str
    in_progress: bool


@dataclass
class _Records:
    """What the explanations may name: the person's encounters and conditions already read for the panel."""

    encounters: dict[int, Encounter]
    conditions: dict[int, Condition]
    index_stay: Encounter | None
    shown: dict[str, str] = field(default_factory=dict)

    def describe(self, reference: str) -> str:
        kind, _, key = reference.partition("/")
        if kind == "Encounter" and key.isdigit() and int(key) in self.encounters:
            encounter = self.encounters[int(key)]
            if self.index_stay is not None and encounter.pk == self.index_stay.pk:
                return "this stay"
            where = f" at {encounter.facility_name}" if encounter.facility_name else ""
            name = VISIT_NAMES.get(encounter.encounter_class, encounter.get_encounter_class_display() + " visit")
            return f"{name}{where}, {day(encounter.period_start)}"
        if kind == "Condition" and key.isdigit() and int(key) in self.conditions:
            condition = self.conditions[int(key)]
            since = f", since {condition.onset_date:%b %Y}" if condition.onset_date else ""
            return f"{condition.display or _code_words(condition)}{since}"
        return {
            "Encounter": "a visit on record",
            "Condition": "a condition on record",
            "Observation": "a laboratory result",
            "Procedure": "a procedure on record",
            "Patient": "date of birth",
        }.get(kind, "a record")

    def words(self, text: str) -> str:
        """A score's note in plain words: references named, ISO dates as 'Tue 4 Mar'."""
        text = _REFERENCE.sub(lambda match: self.describe(match.group(0)), text)
        return _ISO_DAY.sub(lambda m: day(datetime.date(int(m[1]), int(m[2]), int(m[3]))), text)


def _code_words(condition: Condition) -> str:
    return f"{condition.get_code_system_display()} {condition.code}"


def _found(score: str, component: Component) -> str:
    """The value a component found, in words ("" when nothing was found)."""
    value = component.value
    if value is None:
        return ""
    key = component.key
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if score == "Charlson":
        return f"{value} years" if key == "age" else ", ".join(str(code) for code in value)  # type: ignore[attr-defined]
    if key == "L":
        return _plural(int(str(value)), "day")
    if score == "LACE" and key == "C":
        return f"Index {value}"
    if score == "LACE" and key == "E":
        return _plural(int(str(value)), "visit")
    if score == "HOSPITAL":
        if key == "H":
            return f"{value} g/dL"
        if key == "S":
            return f"{value} mmol/L"
        if key == "A":
            return _plural(int(str(value)), "admission")
        if key == "P":
            return ", ".join(str(code) for code in value)  # type: ignore[attr-defined]
        if key == "O":
            return str(value).replace("-", " ").capitalize()
    return str(value)


def _band_range(score: RiskScore) -> str:
    """The bands a total between ``total`` and ``highest`` may fall in, in words ("intermediate or high")."""
    low, high = score.total, score.highest
    names = [name for bound, name in score.bands if low <= bound <= high or band_for(low, score.bands) == name]
    unique = list(dict.fromkeys(names))
    return " or ".join(unique)


def _score_view(slug: str, score: RiskScore, records: _Records) -> ScoreView:
    name, purpose = SCORE_TEXT[score.name]
    look = CHARLSON_BAND_LOOK if score.name == "Charlson" else BAND_LOOK
    lines = []
    absent: list[str] = []
    for component in score.components:
        if score.name == "Charlson" and component.key != "age" and not component.value:
            label = component.label
            absent.append(label if label[1:2].isupper() else label[:1].lower() + label[1:])
            continue
        sources = tuple(dict.fromkeys(records.describe(ref) for ref in component.sources))
        lines.append(
            Line(
                label=component.label,
                found=_found(score.name, component),
                points=component.points,
                max_points=component.max_points,
                sources=() if component.key == "C" and score.name == "LACE" else sources,
                note=records.words(component.note),
            )
        )
    band = score.band
    band_class, band_icon, band_words = look.get(band, ("", "?", "Band not known")) if band else ("", "?", "")
    missing = tuple(records.words(component.note) for component in score.components if not component.known)
    if not missing:
        band_verdict = ""
    elif band:
        band_verdict = f"{band_words} whatever the missing {'value is' if len(missing) == 1 else 'values are'}."
    else:
        band_verdict = f"The band could be {_band_range(score)}."
    extra = ""
    if score.name == "Charlson":
        survival = ten_year_survival(score.total)
        extra = f"Estimated 10-year survival {'under 1%' if survival < 0.005 else f'{survival:.0%}'}."
    return ScoreView(
        slug=slug,
        name=name,
        purpose=purpose,
        total=score.total,
        highest=score.highest,
        scale_max=None if score.name == "Charlson" else sum(c.max_points for c in score.components),
        complete=score.complete,
        band_class=band_class,
        band_icon=band_icon,
        band_words=band_words or "Band not known",
        possible_bands="" if band else _band_range(score),
        missing=missing,
        lines=tuple(lines),
        left_out=f"No condition coded for the other {len(absent)} categories ({', '.join(absent)})." if absent else "",
        extra=extra,
        band_verdict=band_verdict,
    )


def _visit_row(encounter: Encounter) -> VisitRow:
    in_progress = encounter.period_end is None and encounter.status != EncounterStatus.FINISHED
    if encounter.encounter_class == EncounterClass.INPATIENT:
        days = length_of_stay(encounter, inclusive=False)
        length = _plural(days, "day") if days is not None else "Still in hospital"
    elif encounter.period_end is not None:
        hours = round((encounter.period_end - encounter.period_start).total_seconds() / 3600)
        length = _plural(max(hours, 1), "hour")
    else:
        length = "In progress"
    ended = ""
    if encounter.period_end is not None and (
        timezone.localtime(encounter.period_end).date() != timezone.localtime(encounter.period_start).date()
    ):
        ended = day(encounter.period_end)
    return VisitRow(
        encounter=encounter,
        kind=VISIT_NAMES.get(encounter.encounter_class, encounter.get_encounter_class_display()),
        started=day(encounter.period_start),
        ended=ended,
        length=length,
        in_progress=in_progress,
    )


def panel_context(user: User, patient: Patient) -> dict[str, Any]:
    """What the clinical section shows to ``user``; ``withheld`` when their role may not read it."""
    today = timezone.localdate()
    try:
        problems = access_conditions(user, patient.pk, present_on=today)
        encounters = access_encounters(user, patient.pk)
        scores: RiskScores = access_risk_scores(user, patient.pk)
    except AccessDenied as error:
        return {"patient": patient, "withheld": error.message}
    since = timezone.now() - datetime.timedelta(days=RECENT_DAYS)
    recent = [
        e
        for e in encounters
        if e.encounter_class in HOSPITAL_CLASSES
        and e.period_start >= since
        and e.status not in (EncounterStatus.CANCELLED, EncounterStatus.ENTERED_IN_ERROR, EncounterStatus.PLANNED)
    ]
    records = _Records(
        encounters={e.pk: e for e in encounters},
        conditions={c.pk: c for c in problems},
        index_stay=scores.index_stay,
    )
    views = [
        _score_view(slug, score, records)
        for slug, score in (("lace", scores.lace), ("hospital", scores.hospital), ("charlson", scores.charlson))
        if score is not None
    ]
    stay = scores.index_stay
    return {
        "patient": patient,
        "withheld": "",
        "problems": problems,
        "visits": [_visit_row(e) for e in recent],
        "older_visits": sum(1 for e in encounters if e.encounter_class in HOSPITAL_CLASSES) - len(recent),
        "scores": views,
        "index_stay": _visit_row(stay) if stay is not None else None,
    }


@register.inclusion_tag("clinical/_panel.html", takes_context=True)
def clinical_panel(context: template.Context, patient: Patient) -> dict[str, Any]:
    return panel_context(staff_user(context["request"]), patient)
