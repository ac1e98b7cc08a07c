"""HOSPITAL score (STANDARDS.md C.11) from stored encounters, laboratory results and procedures."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from carecoord.clinical.actions import mark_entered_in_error
from carecoord.clinical.risk import hospital_for_encounter
from carecoord.clinical.tests.builders import ADMITTED, lab, procedure, stay

DAY = datetime.timedelta(days=1)
HOUR = datetime.timedelta(hours=1)


def _labs(patient, by, *, hemoglobin="13.5", sodium="140", day=1):
    when = ADMITTED + day * DAY - 4 * HOUR
    if hemoglobin is not None:
        lab(patient, by, "718-7", hemoglobin, "g/dL", when=when)
    if sodium is not None:
        lab(patient, by, "2951-2", sodium, "mmol/L", when=when)


def _index(patient, by, *, days=3, **fields):
    fields.setdefault("service", "medicine")
    fields.setdefault("priority", "EL")
    return stay(patient, by, days=days, **fields)


def _prior_admissions(patient, by, count):
    for n in range(count):
        stay(patient, by, days=1, start=ADMITTED - (20 + 30 * n) * DAY)


def test_all_low_is_zero(maria, alice_rn):
    _labs(maria, alice_rn)
    score = hospital_for_encounter(_index(maria, alice_rn))
    assert [(c.key, c.points) for c in score.components] == [
        ("H", 0), ("O", 0), ("S", 0), ("P", 0), ("IT", 0), ("A", 0), ("L", 0),
    ]  # fmt: skip
    assert score.total == 0 and score.complete and score.band == "low"


def test_everything_scoring_is_thirteen(maria, alice_rn):
    _prior_admissions(maria, alice_rn, 6)
    index = _index(maria, alice_rn, days=6, service="oncology", priority="EM")
    _labs(maria, alice_rn, hemoglobin="9.1", sodium="129", day=5)
    procedure(maria, alice_rn, when=ADMITTED + DAY, encounter=index)
    score = hospital_for_encounter(index)
    assert [(c.key, c.points) for c in score.components] == [
        ("H", 1), ("O", 2), ("S", 1), ("P", 1), ("IT", 1), ("A", 5), ("L", 2),
    ]  # fmt: skip
    assert score.total == 13 and score.band == "high"


@pytest.mark.parametrize(("value", "unit", "points"), [("11.9", "g/dL", 1), ("12.0", "g/dL", 0), ("119", "g/L", 1)])
def test_hemoglobin(maria, alice_rn, value, unit, points):
    lab(maria, alice_rn, "718-7", value, unit, when=ADMITTED + DAY)
    component = hospital_for_encounter(_index(maria, alice_rn)).component("H")
    assert component.points == points and component.value == Decimal(value) / (10 if unit == "g/L" else 1)


@pytest.mark.parametrize(
    ("value", "code", "points"), [("134", "2951-2", 1), ("135", "2951-2", 0), ("134", "2947-0", 1)]
)
def test_sodium(maria, alice_rn, value, code, points):
    lab(maria, alice_rn, code, value, "mmol/L", when=ADMITTED + DAY)
    assert hospital_for_encounter(_index(maria, alice_rn)).component("S").points == points


def test_the_last_result_of_the_stay_counts(maria, alice_rn):
    lab(maria, alice_rn, "718-7", "10.0", "g/dL", when=ADMITTED - DAY)  # before admission
    lab(maria, alice_rn, "718-7", "10.5", "g/dL", when=ADMITTED + HOUR)
    last = lab(maria, alice_rn, "718-7", "12.4", "g/dL", when=ADMITTED + 2 * DAY)
    wrong = lab(maria, alice_rn, "718-7", "8.0", "g/dL", when=ADMITTED + 2 * DAY + HOUR)
    mark_entered_in_error(observation=wrong, by=alice_rn, reason="Another person's sample")
    lab(maria, alice_rn, "718-7", "9.0", "g/dL", when=ADMITTED + 5 * DAY)  # after discharge
    component = hospital_for_encounter(_index(maria, alice_rn, days=3)).component("H")
    assert component.points == 0 and component.sources == (f"Observation/{last.pk}",)


@pytest.mark.parametrize(("count", "points"), [(0, 0), (1, 0), (2, 2), (5, 2), (6, 5)])
def test_admissions_in_the_previous_twelve_months(maria, alice_rn, count, points):
    _prior_admissions(maria, alice_rn, count)
    component = hospital_for_encounter(_index(maria, alice_rn)).component("A")
    assert component.value == count and component.points == points


def test_admission_window(maria, alice_rn):
    stay(maria, alice_rn, days=1, start=ADMITTED.replace(year=2024))  # exactly 12 months before: counts
    stay(maria, alice_rn, days=1, start=ADMITTED.replace(year=2024) - HOUR)  # too early
    stay(maria, alice_rn, days=1, start=ADMITTED - 40 * DAY, status="cancelled")
    assert hospital_for_encounter(_index(maria, alice_rn)).component("A").value == 1


@pytest.mark.parametrize(("days", "points"), [(4, 0), (5, 2), (12, 2)])
def test_length_of_stay(maria, alice_rn, days, points):
    assert hospital_for_encounter(_index(maria, alice_rn, days=days)).component("L").points == points


def test_length_of_stay_counting_both_days(maria, alice_rn):
    assert hospital_for_encounter(_index(maria, alice_rn, days=4), los_inclusive=True).component("L").points == 2


@pytest.mark.parametrize(
    ("service", "points"), [("oncology", 2), ("Hematology-Oncology", 2), ("medicine", 0), ("", None)]
)
def test_oncology_service(maria, alice_rn, service, points):
    assert hospital_for_encounter(_index(maria, alice_rn, service=service)).component("O").points == points


def test_procedure_during_the_stay(maria, alice_rn):
    index = _index(maria, alice_rn, days=3)
    procedure(maria, alice_rn, when=ADMITTED - DAY)  # before
    procedure(maria, alice_rn, when=ADMITTED + DAY, status="not-done")
    assert hospital_for_encounter(index).component("P").points == 0
    done = procedure(maria, alice_rn, when=ADMITTED + DAY)  # during, not linked
    component = hospital_for_encounter(index).component("P")
    assert component.points == 1 and component.sources == (f"Procedure/{done.pk}",)


@pytest.mark.parametrize(("priority", "points"), [("EM", 1), ("UR", 1), ("EL", 0), ("", None)])
def test_index_admission_type(maria, alice_rn, priority, points):
    assert hospital_for_encounter(_index(maria, alice_rn, priority=priority)).component("IT").points == points


@pytest.mark.parametrize(
    ("setup", "total", "band"),
    [
        ({"priority": "EM", "admissions": 2, "hemoglobin": "11"}, 4, "low"),
        ({"priority": "EM", "admissions": 2, "days": 5}, 5, "intermediate"),
        ({"priority": "EM", "admissions": 2, "days": 5, "sodium": "130"}, 6, "intermediate"),
        ({"priority": "EM", "admissions": 2, "days": 5, "sodium": "130", "hemoglobin": "11"}, 7, "high"),
    ],
)
def test_bands(maria, alice_rn, setup, total, band):
    _prior_admissions(maria, alice_rn, setup.get("admissions", 0))
    index = _index(maria, alice_rn, days=setup.get("days", 3), priority=setup["priority"])
    _labs(maria, alice_rn, hemoglobin=setup.get("hemoglobin", "13"), sodium=setup.get("sodium", "140"))
    score = hospital_for_encounter(index)
    assert score.total == total and score.band == band


def test_missing_laboratory_results_are_unknown_not_zero(maria, alice_rn):
    score = hospital_for_encounter(_index(maria, alice_rn, days=3))
    assert score.component("H").points is None and score.component("S").points is None
    assert score.total == 0 and score.highest == 2 and score.band == "low"  # low whatever the results
    assert not score.complete
    assert score.missing == (
        "Hemoglobin at discharge: No hemoglobin result recorded during the stay.",
        "Sodium at discharge: No sodium result recorded during the stay.",
    )
    _prior_admissions(maria, alice_rn, 2)
    later = hospital_for_encounter(_index(maria, alice_rn, days=4, start=ADMITTED + 10 * DAY, priority="EM"))
    assert later.component("A").value == 3 and later.total == 3 and later.highest == 5
    assert later.band is None  # low, or intermediate if both results are low
