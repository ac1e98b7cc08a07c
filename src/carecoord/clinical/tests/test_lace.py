"""LACE index (STANDARDS.md C.9) from stored encounters and conditions."""

from __future__ import annotations

import datetime

import pytest

from carecoord.clinical.actions import finish_encounter
from carecoord.clinical.risk import lace_for_encounter
from carecoord.clinical.risk.stay import months_before
from carecoord.clinical.tests.builders import ADMITTED, condition, ed_visit, stay
from carecoord.common.errors import DomainError

DAY = datetime.timedelta(days=1)


def test_worked_example_five_day_acute_stay_cci_5_two_ed_visits_is_14(maria, alice_rn):
    for code in ("I50.9", "E11.22", "N18.4"):  # 1 + 2 + 2
        condition(maria, alice_rn, code)
    earlier = [
        ed_visit(maria, alice_rn, start=ADMITTED - 30 * DAY),
        ed_visit(maria, alice_rn, start=ADMITTED - 90 * DAY),
    ]
    leading = ed_visit(maria, alice_rn, start=ADMITTED - datetime.timedelta(hours=6), hours=5)
    index = stay(maria, alice_rn, days=5, priority="EM")
    score = lace_for_encounter(index)
    assert [(c.key, c.value, c.points) for c in score.components] == [
        ("L", 5, 4),
        ("A", True, 3),
        ("C", 5, 5),
        ("E", 2, 2),
    ]
    assert score.total == 14 and score.complete and score.band == "high" and score.highest == 14
    assert set(score.component("E").sources) == {f"Encounter/{v.pk}" for v in earlier}
    assert f"Encounter/{leading.pk}" in score.component("E").note
    assert len(score.component("C").sources) == 3
    assert score.subject == f"Encounter/{index.pk}" and score.as_of == datetime.date(2025, 3, 15)


def test_worked_example_two_day_elective_stay_no_comorbidity_no_ed_is_2(maria, alice_rn):
    score = lace_for_encounter(stay(maria, alice_rn, days=2, priority="EL"))
    assert [(c.key, c.points) for c in score.components] == [("L", 2), ("A", 0), ("C", 0), ("E", 0)]
    assert score.total == 2 and score.band == "low" and score.complete


@pytest.mark.parametrize(
    ("days", "points"),
    [(0, 0), (1, 1), (2, 2), (3, 3), (4, 4), (5, 4), (6, 4), (7, 5), (13, 5), (14, 7), (30, 7)],
)
def test_length_of_stay(maria, alice_rn, days, points):
    score = lace_for_encounter(stay(maria, alice_rn, days=days, priority="EL"))
    assert score.component("L").value == days and score.component("L").points == points


@pytest.mark.parametrize(("days", "counted", "points"), [(0, 1, 1), (3, 4, 4), (6, 7, 5), (13, 14, 7)])
def test_length_of_stay_counting_both_days(maria, alice_rn, days, counted, points):
    score = lace_for_encounter(stay(maria, alice_rn, days=days, priority="EL"), los_inclusive=True)
    assert score.component("L").value == counted and score.component("L").points == points
    assert "both included" in score.component("L").note


def test_length_of_stay_is_by_local_calendar_date(maria, alice_rn):
    """Admitted 23:30, discharged 00:30 the next day: one day, though only an hour passed."""
    start = ADMITTED.replace(hour=23, minute=30)
    index = stay(maria, alice_rn, days=None, start=start)
    finish_encounter(encounter=index, ended_at=start + datetime.timedelta(hours=1), by=alice_rn)
    assert lace_for_encounter(index).component("L").value == 1


@pytest.mark.parametrize(("visits", "points"), [(0, 0), (1, 1), (2, 2), (3, 3), (4, 4), (6, 4)])
def test_ed_visits(maria, alice_rn, visits, points):
    for n in range(visits):
        ed_visit(maria, alice_rn, start=ADMITTED - (10 + 20 * n) * DAY)
    score = lace_for_encounter(stay(maria, alice_rn, days=2, priority="EL"))
    assert score.component("E").value == visits and score.component("E").points == points


def test_ed_visit_window_is_six_calendar_months_before_admission(maria, alice_rn):
    boundary = months_before(ADMITTED, 6)
    assert boundary == ADMITTED.replace(month=9, year=2024)
    ed_visit(maria, alice_rn, start=boundary)  # counts: on the boundary
    ed_visit(maria, alice_rn, start=boundary - datetime.timedelta(minutes=1))  # too early
    ed_visit(maria, alice_rn, start=ADMITTED - 10 * DAY, status="cancelled")
    ed_visit(maria, alice_rn, start=ADMITTED - 11 * DAY, status="entered-in-error")
    ed_visit(maria, alice_rn, start=ADMITTED + 10 * DAY)  # after the admission
    assert lace_for_encounter(stay(maria, alice_rn, days=2)).component("E").value == 1


def test_only_the_ed_visit_that_led_to_the_admission_is_left_out(maria, alice_rn):
    ed_visit(maria, alice_rn, start=ADMITTED - datetime.timedelta(hours=30), hours=2)  # ended 28 h before: counts
    ed_visit(maria, alice_rn, start=ADMITTED - datetime.timedelta(hours=8), hours=7)  # led to it
    score = lace_for_encounter(stay(maria, alice_rn, days=2, priority="EM"))
    assert score.component("E").value == 1


def test_months_before_falls_back_to_the_last_day_of_a_shorter_month():
    moment = datetime.datetime(2025, 8, 31, 9, 0, tzinfo=datetime.UTC)
    assert months_before(moment, 6) == datetime.datetime(2025, 2, 28, 9, 0, tzinfo=datetime.UTC)
    assert months_before(moment, 12) == datetime.datetime(2024, 8, 31, 9, 0, tzinfo=datetime.UTC)


@pytest.mark.parametrize(("codes", "cci", "points"), [
    ([], 0, 0),
    (["I50.9"], 1, 1),
    (["I50.9", "J44.9"], 2, 2),
    (["I50.9", "C34.90"], 3, 3),
    (["C34.90", "N18.4"], 4, 5),
    (["C78.00"], 6, 5),
])  # fmt: skip
def test_comorbidity(maria, alice_rn, codes, cci, points):
    for code in codes:
        condition(maria, alice_rn, code)
    score = lace_for_encounter(stay(maria, alice_rn, days=2))
    assert score.component("C").value == cci and score.component("C").points == points


def test_comorbidity_reads_conditions_present_at_discharge(maria, alice_rn):
    condition(maria, alice_rn, "I50.9", clinical_status="resolved", abatement_date=datetime.date(2025, 3, 1))
    condition(maria, alice_rn, "J44.9", clinical_status="resolved", abatement_date=datetime.date(2025, 3, 20))
    condition(maria, alice_rn, "E11.9", onset_date=datetime.date(2025, 4, 1))
    score = lace_for_encounter(stay(maria, alice_rn, days=2))
    assert score.component("C").value == 1 and "Chronic pulmonary disease 1" in score.component("C").note


@pytest.mark.parametrize(
    ("fields", "acute"),
    [
        ({"priority": "EM"}, True),
        ({"priority": "UR"}, True),
        ({"priority": "EL"}, False),
        ({"priority": "R"}, False),
        ({"priority": "EL", "admit_source": "emd"}, True),
        ({"priority": "", "admit_source": "emd"}, True),
        ({"priority": "", "admit_source": "gp"}, None),
        ({"priority": ""}, None),
    ],
)
def test_acuity(maria, alice_rn, fields, acute):
    component = lace_for_encounter(stay(maria, alice_rn, days=2, **fields)).component("A")
    assert component.value is acute
    assert component.points == {True: 3, False: 0, None: None}[acute]


def test_acuity_inferred_from_an_ed_visit_just_before(maria, alice_rn):
    visit = ed_visit(maria, alice_rn, start=ADMITTED - datetime.timedelta(hours=3), hours=3)
    component = lace_for_encounter(stay(maria, alice_rn, days=2, priority="")).component("A")
    assert component.points == 3 and f"Encounter/{visit.pk}" in component.sources


def test_unknown_acuity_makes_the_total_a_lower_bound(maria, alice_rn):
    score = lace_for_encounter(stay(maria, alice_rn, days=5, priority=""))
    assert score.total == 4 and score.highest == 7 and not score.complete
    assert score.band is None  # low or moderate, depending on the acuity
    assert score.missing == ("Acuity of admission: Admission priority and source not recorded.",)


def test_a_band_reached_whatever_is_missing_is_given(maria, alice_rn):
    for code in ("C78.00",):
        condition(maria, alice_rn, code)
    for n in range(4):
        ed_visit(maria, alice_rn, start=ADMITTED - (10 + 20 * n) * DAY)
    score = lace_for_encounter(stay(maria, alice_rn, days=3, priority=""))
    assert score.total == 3 + 5 + 4 and not score.complete and score.band == "high"


def test_a_stay_not_yet_discharged(maria, alice_rn):
    score = lace_for_encounter(stay(maria, alice_rn, days=None))
    length = score.component("L")
    assert length.points is None and length.value is None and length.note == "Not discharged yet."
    assert score.total == 3 and score.highest == 10 and score.band is None


def test_only_for_an_inpatient_stay(maria, alice_rn):
    visit = ed_visit(maria, alice_rn, start=ADMITTED)
    with pytest.raises(DomainError) as error:
        lace_for_encounter(visit)
    assert error.value.code == "not-inpatient"
