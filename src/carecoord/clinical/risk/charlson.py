"""Charlson Comorbidity Index (STANDARDS.md C.10) from the conditions a person has on a date.

Each condition present on ``as_of`` (``queries.conditions_present``) is mapped to its Charlson categories by
its code: ICD-10-CM by prefix (Quan 2005), SNOMED CT by concept (``tables.CHARLSON_SNOMED``). A category
counts once, at its weight, however many conditions fall in it. With ``hierarchy`` [R], a milder category is
not counted when its severe form is present (diabetes / with end-organ damage; mild / moderate-severe liver
disease; tumor / metastatic tumor). With ``age_adjusted``, points for age are added.

The index counts what is coded: a category with no condition recorded scores 0 (its component says so). Every
category appears in the result, so the explanation shows what was looked for as well as what was found.
"""

from __future__ import annotations

import datetime
import functools
import math

from django.utils import timezone

from carecoord.clinical.codes import normal_icd10
from carecoord.clinical.models import ICD10CM, SNOMED, Condition
from carecoord.clinical.queries import conditions_present
from carecoord.clinical.risk import tables
from carecoord.clinical.risk.result import Component, RiskScore, points_for
from carecoord.patients.models import Patient


def _expand(spec: str) -> list[str]:
    """``"I42.5-I42.9"`` -> ``["I425", ..., "I429"]``; a single code -> itself without its dot."""
    if "-" not in spec:
        return [normal_icd10(spec)]
    first, last = (normal_icd10(part) for part in spec.split("-"))
    letter, width = first[0], len(first) - 1
    return [f"{letter}{number:0{width}d}" for number in range(int(first[1:]), int(last[1:]) + 1)]


@functools.cache
def _icd10_index(table: tuple[tuple[str, tuple[str, ...]], ...]) -> dict[str, frozenset[str]]:
    index: dict[str, set[str]] = {}
    for category, specs in table:
        for spec in specs:
            for prefix in _expand(spec):
                index.setdefault(prefix, set()).add(category)
    return {prefix: frozenset(categories) for prefix, categories in index.items()}


def categories_of(code_system: str, code: str) -> frozenset[str]:
    """The Charlson categories a condition code falls in (none for most codes)."""
    if code_system == SNOMED:
        category = tables.CHARLSON_SNOMED.get(code.strip())
        return frozenset({category}) if category else frozenset()
    if code_system == ICD10CM:
        index = _icd10_index(tuple((key, tuple(specs)) for key, specs in tables.CHARLSON_ICD10.items()))
        normal = normal_icd10(code)
        found: set[str] = set()
        for length in range(3, len(normal) + 1):
            found |= index.get(normal[:length], frozenset())
        return frozenset(found)
    return frozenset()


def _reference(condition: Condition) -> str:
    return f"Condition/{condition.pk}"


def charlson_from_conditions(
    conditions: list[Condition],
    *,
    subject: str,
    as_of: datetime.date,
    age: int | None = None,
    hierarchy: bool = tables.CHARLSON_HIERARCHY,
) -> RiskScore:
    """The index over ``conditions`` (already those present on ``as_of``); ``age`` given for the age-adjusted
    index."""
    found: dict[str, list[Condition]] = {}
    unmapped = 0
    for condition in conditions:
        categories = categories_of(condition.code_system, condition.code)
        unmapped += not categories
        for key in categories:
            found.setdefault(key, []).append(condition)
    superseded = {
        milder: severe
        for milder, severe in tables.CHARLSON_SUPERSEDED_BY.items()
        if hierarchy and milder in found and severe in found
    }
    components = []
    for category in tables.CHARLSON_CATEGORIES:
        matches = found.get(category.key, [])
        codes = tuple(sorted({c.code for c in matches}))
        if not matches:
            note, points = "No condition coded for this category.", 0
        elif category.key in superseded:
            severe = tables.CHARLSON_BY_KEY[superseded[category.key]]
            note, points = f"Counted under {severe.label.lower()} instead.", 0
        else:
            note, points = "", category.weight
        components.append(
            Component(
                key=category.key,
                label=category.label,
                value=codes or None,
                points=points,
                max_points=category.weight,
                sources=tuple(_reference(c) for c in matches),
                note=note,
            )
        )
    if age is not None:
        components.append(
            Component(
                key="age",
                label="Age",
                value=age,
                points=points_for(age, tables.CHARLSON_AGE_POINTS),
                max_points=tables.CHARLSON_AGE_POINTS[0][1],
                sources=(subject,),
            )
        )
    notes = [f"{len(conditions)} conditions present on {as_of.isoformat()}, {unmapped} in no Charlson category."]
    if not hierarchy:
        notes.append("Hierarchy off: milder and severe forms of a disease are both counted.")
    return RiskScore(
        name="Charlson",
        subject=subject,
        as_of=as_of,
        components=tuple(components),
        bands=tables.CHARLSON_BANDS,
        notes=tuple(notes),
    )


def charlson_for_patient(
    patient: Patient,
    *,
    as_of: datetime.date | None = None,
    age_adjusted: bool = False,
    hierarchy: bool = tables.CHARLSON_HIERARCHY,
) -> RiskScore:
    """The person's Charlson index from the conditions present on ``as_of`` (today by default)."""
    day = as_of or timezone.localdate()
    conditions = list(conditions_present(patient.pk, on=day))
    return charlson_from_conditions(
        conditions,
        subject=f"Patient/{patient.pk}",
        as_of=day,
        age=patient.age(day) if age_adjusted else None,
        hierarchy=hierarchy,
    )


def ten_year_survival(index: int) -> float:
    """Estimated 10-year survival for a Charlson index: 0.983^(e^(0.9 x index)) (STANDARDS.md C.10)."""
    return float(0.983 ** math.exp(0.9 * index))
