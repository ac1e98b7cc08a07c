"""Charlson Comorbidity Index (STANDARDS.md C.10): weights, code mapping, hierarchy, age, what counts as present."""

from __future__ import annotations

import datetime

import pytest

from carecoord.clinical.actions import update_condition_status
from carecoord.clinical.risk import categories_of, charlson_for_patient, ten_year_survival
from carecoord.clinical.risk.tables import CHARLSON_CATEGORIES
from carecoord.clinical.tests.builders import condition
from carecoord.testing.factories import make_patient

AS_OF = datetime.date(2025, 6, 1)
ICD = "http://hl7.org/fhir/sid/icd-10-cm"
SCT = "http://snomed.info/sct"


def test_the_weights_are_those_of_the_standard():
    weights = {c.key: c.weight for c in CHARLSON_CATEGORIES}
    assert sorted(weights.values()) == [1] * 10 + [2] * 6 + [3] + [6] * 2
    assert weights["severe_liver"] == 3 and weights["metastatic"] == 6 and weights["aids"] == 6


@pytest.mark.parametrize(
    ("code", "category", "weight"),
    [
        ("I21.4", "mi", 1),
        ("I25.2", "mi", 1),
        ("I50.9", "chf", 1),
        ("I42.7", "chf", 1),
        ("I70.0", "pvd", 1),
        ("I63.9", "cvd", 1),
        ("G45.9", "cvd", 1),
        ("G30.9", "dementia", 1),
        ("F03.90", "dementia", 1),
        ("J44.9", "cpd", 1),
        ("J45.909", "cpd", 1),
        ("M05.79", "rheumatic", 1),
        ("M32.14", "rheumatic", 1),
        ("K25.9", "pud", 1),
        ("K70.30", "mild_liver", 1),
        ("B18.2", "mild_liver", 1),
        ("E11.9", "diabetes", 1),
        ("E10.65", "diabetes", 1),
        ("G81.90", "hemiplegia", 2),
        ("G83.4", "hemiplegia", 2),
        ("N18.4", "renal", 2),
        ("Z99.2", "renal", 2),
        ("E11.22", "diabetes_complicated", 2),
        ("E11.40", "diabetes_complicated", 2),
        ("C34.90", "tumor", 2),
        ("C50.911", "tumor", 2),
        ("C92.00", "leukemia", 2),
        ("C83.30", "lymphoma", 2),
        ("C90.00", "lymphoma", 2),
        ("K72.10", "severe_liver", 3),
        ("I85.00", "severe_liver", 3),
        ("C78.00", "metastatic", 6),
        ("C79.51", "metastatic", 6),
        ("B20", "aids", 6),
    ],
)
def test_icd10cm_codes_map_to_their_category_and_weight(maria, alice_rn, code, category, weight):
    assert categories_of(ICD, code) == {category}
    assert categories_of(ICD, code.replace(".", "")) == {category}
    row = condition(maria, alice_rn, code)
    score = charlson_for_patient(maria, as_of=AS_OF)
    assert score.total == weight
    component = score.component(category)
    assert component.points == weight and component.sources == (f"Condition/{row.pk}",)
    assert component.value == (code,)


@pytest.mark.parametrize("code", ["C44.91", "I25.10", "E78.5", "I10", "D07.5", "E66.9", "R73.03", "I73.0"])
def test_icd10cm_codes_outside_the_index_score_nothing(maria, alice_rn, code):
    condition(maria, alice_rn, code)
    assert charlson_for_patient(maria, as_of=AS_OF).total == 0


@pytest.mark.parametrize(
    ("code", "category", "weight"),
    [
        ("44054006", "diabetes", 1),
        ("88805009", "chf", 1),
        ("84114007", "chf", 1),
        ("22298006", "mi", 1),
        ("399211009", "mi", 1),
        ("13645005", "cpd", 1),
        ("195967001", "cpd", 1),
        ("87433001", "cpd", 1),
        ("230690007", "cvd", 1),
        ("26929004", "dementia", 1),
        ("69896004", "rheumatic", 1),
        ("46177005", "renal", 2),
        ("433144002", "renal", 2),
        ("368581000119106", "diabetes_complicated", 2),
        ("127013003", "diabetes_complicated", 2),
        ("698754002", "hemiplegia", 2),
        ("254637007", "tumor", 2),
        ("126906006", "tumor", 2),
        ("314994000", "metastatic", 6),
        ("62479008", "aids", 6),
    ],
)
def test_snomed_codes_map_to_their_category_and_weight(maria, alice_rn, code, category, weight):
    assert categories_of(SCT, code) == {category}
    condition(maria, alice_rn, code)
    score = charlson_for_patient(maria, as_of=AS_OF)
    assert score.total == weight and score.component(category).points == weight


@pytest.mark.parametrize("code", ["38341003", "92691004", "162573006", "15777000", "53741008", "410429000"])
def test_snomed_codes_outside_the_index_score_nothing(maria, alice_rn, code):
    """Hypertension, carcinoma in situ, suspected cancer, prediabetes, coronary heart disease, cardiac arrest."""
    condition(maria, alice_rn, code)
    assert charlson_for_patient(maria, as_of=AS_OF).total == 0


@pytest.mark.parametrize(
    ("codes", "with_hierarchy", "without"),
    [
        (["E11.9", "E11.22"], 2, 3),
        (["44054006", "368581000119106"], 2, 3),
        (["K70.30", "K72.10"], 3, 4),
        (["C34.90", "C78.00"], 6, 8),
        (["126906006", "314994000"], 6, 8),
        (["C92.00", "C78.00"], 8, 8),  # leukemia is not a solid tumor: metastasis does not replace it
        (["I50.9", "88805009", "I11.0"], 1, 1),  # one category counts once
        (["I21.4", "I50.9", "J44.9", "E11.9", "N18.4"], 6, 6),
    ],
)
def test_hierarchy_counts_a_disease_once_at_its_most_severe(maria, alice_rn, codes, with_hierarchy, without):
    for code in codes:
        condition(maria, alice_rn, code)
    assert charlson_for_patient(maria, as_of=AS_OF).total == with_hierarchy
    assert charlson_for_patient(maria, as_of=AS_OF, hierarchy=False).total == without


def test_a_superseded_category_says_where_it_was_counted(maria, alice_rn):
    condition(maria, alice_rn, "E11.9")
    condition(maria, alice_rn, "E11.22")
    score = charlson_for_patient(maria, as_of=AS_OF)
    mild = score.component("diabetes")
    assert mild.points == 0 and "diabetes with end-organ damage" in mild.note and mild.sources
    assert score.component("diabetes_complicated").points == 2
    assert score.component("mi").note == "No condition coded for this category."


@pytest.mark.parametrize(
    ("age", "points"), [(30, 0), (49, 0), (50, 1), (59, 1), (60, 2), (69, 2), (70, 3), (79, 3), (80, 4), (97, 4)]
)
def test_age_adjustment(alice_rn, age, points):
    person = make_patient(alice_rn, birth_date=datetime.date(AS_OF.year - age, 1, 15))
    condition(person, alice_rn, "I50.9")
    adjusted = charlson_for_patient(person, as_of=AS_OF, age_adjusted=True)
    assert adjusted.component("age").value == age and adjusted.component("age").points == points
    assert adjusted.total == 1 + points
    plain = charlson_for_patient(person, as_of=AS_OF)
    assert plain.total == 1 and all(c.key != "age" for c in plain.components)


def test_age_on_the_birthday(alice_rn):
    person = make_patient(alice_rn, birth_date=datetime.date(1975, 6, 2))
    assert charlson_for_patient(person, as_of=datetime.date(2025, 6, 1), age_adjusted=True).total == 0  # 49
    assert charlson_for_patient(person, as_of=datetime.date(2025, 6, 2), age_adjusted=True).total == 1  # 50


@pytest.mark.parametrize(
    ("fields", "counts"),
    [
        ({}, True),
        ({"clinical_status": "recurrence"}, True),
        ({"clinical_status": "relapse"}, True),
        ({"clinical_status": "inactive"}, False),
        ({"clinical_status": "remission"}, False),
        ({"clinical_status": "resolved"}, False),
        ({"verification_status": "refuted"}, False),
        ({"verification_status": "entered-in-error"}, False),
        ({"verification_status": "provisional"}, True),
        ({"onset_date": datetime.date(2025, 6, 2)}, False),  # begins after the date asked about
        ({"onset_date": None, "recorded_date": datetime.date(2025, 6, 2)}, False),
        ({"onset_date": None, "recorded_date": datetime.date(2025, 6, 1)}, True),
        ({"clinical_status": "resolved", "abatement_date": datetime.date(2025, 6, 1)}, False),
        ({"clinical_status": "resolved", "abatement_date": datetime.date(2025, 6, 2)}, True),  # still present then
    ],
)
def test_only_conditions_present_on_the_date_count(maria, alice_rn, fields, counts):
    condition(maria, alice_rn, "I50.9", **fields)
    assert charlson_for_patient(maria, as_of=AS_OF).total == (1 if counts else 0)


def test_a_condition_that_resolves_stops_counting(maria, alice_rn):
    row = condition(maria, alice_rn, "C34.90")
    assert charlson_for_patient(maria).total == 2
    update_condition_status(
        condition=row, clinical_status="resolved", abatement_date=datetime.date(2025, 1, 1), by=alice_rn
    )
    assert charlson_for_patient(maria).total == 0
    assert charlson_for_patient(maria, as_of=datetime.date(2024, 12, 31)).total == 2


def test_no_conditions_is_a_complete_zero_that_says_what_it_counted(maria):
    score = charlson_for_patient(maria, as_of=AS_OF)
    assert score.total == 0 and score.complete and score.band == "none"
    assert len(score.components) == 19
    assert score.notes[0].startswith("0 conditions present on 2025-06-01")


@pytest.mark.parametrize(("codes", "band"), [([], "none"), (["I50.9"], "mild"), (["C34.90", "I50.9"], "moderate")])
def test_bands(maria, alice_rn, codes, band):
    for code in codes:
        condition(maria, alice_rn, code)
    assert charlson_for_patient(maria, as_of=AS_OF).band == band


def test_ten_year_survival():
    assert ten_year_survival(0) == pytest.approx(0.983)
    assert ten_year_survival(3) == pytest.approx(0.983**14.879731724872837)
    assert ten_year_survival(5) < ten_year_survival(2)
