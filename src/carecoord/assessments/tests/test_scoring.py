"""Exact scoring (STANDARDS.md section C): every band edge, the safety flags, sex-specific AUDIT-C, SDOH domains."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carecoord.assessments import instruments
from carecoord.assessments.engine import validate_response
from carecoord.assessments.scoring import (
    SDOHCC_SYSTEM,
    AnswerRule,
    AuditCThresholds,
    Score,
    ScoringContext,
    score_response,
    scorer_for,
)
from carecoord.assessments.scoring.screens import DAST10_ITEMS, GAD7_ITEMS, PHQ9_ITEMS
from carecoord.assessments.scoring.sdoh import SAFETY_ITEMS

from .test_responses import Answer, make_response

PHQ_SCALE = ("LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9")  # 0..3
AUDIT_SCALES = {
    "68518-0": ("LA6270-8", "LA18926-8", "LA18927-6", "LA18928-4", "LA18929-2"),
    "68519-8": ("LA15694-5", "LA15695-2", "LA18930-0", "LA18931-8", "LA18932-6"),
    "68520-6": ("LA6270-8", "LA18933-4", "LA18876-5", "LA18891-4", "LA18934-2"),
}
SAFETY_SCALE = ("LA6270-8", "LA10066-1", "LA10082-8", "LA16644-9", "LA6482-9")  # 1..5
YES, NO = "LA33-6", "LA32-8"


def score(url: str, answers: Mapping[str, Answer], *, sex: str | None = None, **context: object) -> Score:
    """Validate a response to the built-in instrument (as a draft, so it may be partial) and score it."""
    questionnaire = instruments.by_url(url)
    assert questionnaire is not None
    normalized = validate_response(questionnaire, make_response(url, answers, status="in-progress"))
    result = score_response(url, normalized, ScoringContext(sex=sex, **context))  # type: ignore[arg-type]
    assert result is not None
    return result


def spread(items: Sequence[str], total: int, scale: Sequence[str]) -> dict[str, str]:
    """Answers to ``items`` whose points add up to ``total`` (filling items in order)."""
    answers, left = {}, total
    for item in items:
        points = min(left, len(scale) - 1)
        answers[item] = scale[points]
        left -= points
    assert left == 0, "total out of range"
    return answers


# --- PHQ-9 -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately-severe"),
        (19, "moderately-severe"),
        (20, "severe"),
        (27, "severe"),
    ],
)
def test_phq9_band_edges(total: int, band: str) -> None:
    result = score(instruments.PHQ9_URL, spread(PHQ9_ITEMS, total, PHQ_SCALE))
    assert (result.total, result.band and result.band.code, result.total_code) == (total, band, "44261-6")
    assert result.incomplete_reason is None


@pytest.mark.parametrize("total", range(28))
def test_phq9_item9_flag_whatever_the_total(total: int) -> None:
    item9 = max(1, total - 24) if total else 0  # item 9 above 0 whenever the total allows; items 1-8 give at most 24
    answers = spread(PHQ9_ITEMS[:8], total - item9, PHQ_SCALE) | {"44260-8": PHQ_SCALE[item9]}
    result = score(instruments.PHQ9_URL, answers)
    assert result.total == total
    assert ("phq9-item9-safety" in result.flags) is (total >= 1)


@pytest.mark.parametrize("total", range(25))
def test_phq9_no_item9_flag_when_item9_is_zero(total: int) -> None:
    result = score(instruments.PHQ9_URL, spread(PHQ9_ITEMS[:8], total, PHQ_SCALE) | {"44260-8": PHQ_SCALE[0]})
    assert result.total == total
    assert "phq9-item9-safety" not in result.flags


@pytest.mark.parametrize(("code", "flagged"), [("LA6568-5", False), ("LA6569-3", True), ("LA6571-9", True)])
def test_phq9_item9_alone_flags_without_a_total(code: str, flagged: bool) -> None:
    result = score(instruments.PHQ9_URL, {"44260-8": code})
    assert result.total is None and result.band is None
    assert ("phq9-item9-safety" in result.flags) is flagged
    assert result.missing == PHQ9_ITEMS[:8]
    assert "44250-9" in (result.incomplete_reason or "")


def test_phq9_difficulty_item_is_not_scored() -> None:
    answers = spread(PHQ9_ITEMS, 3, PHQ_SCALE) | {"69722-7": "LA6574-3"}
    assert score(instruments.PHQ9_URL, answers).total == 3


# --- PHQ-2, GAD-2, GAD-7 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("total", range(7))
@pytest.mark.parametrize(
    ("url", "items", "flag", "code"),
    [
        (instruments.PHQ2_URL, PHQ9_ITEMS[:2], "phq2-positive", "55758-7"),
        (instruments.GAD2_URL, GAD7_ITEMS[:2], "gad2-positive", None),
    ],
)
def test_two_item_screens_positive_at_3(
    total: int, url: str, items: tuple[str, ...], flag: str, code: str | None
) -> None:
    result = score(url, spread(items, total, PHQ_SCALE))
    assert (result.total, result.positive, result.total_code) == (total, total >= 3, code)
    assert (flag in result.flags) is (total >= 3)


def test_phq2_scores_the_first_two_items_of_a_phq9_response() -> None:
    questionnaire = instruments.by_url(instruments.PHQ9_URL)
    assert questionnaire is not None
    normalized = validate_response(questionnaire, make_response(None, spread(PHQ9_ITEMS, 9, PHQ_SCALE)))
    result = score_response(instruments.PHQ2_URL, normalized)
    assert result is not None and result.total == 6 and result.positive


@pytest.mark.parametrize(
    ("total", "band", "positive"),
    [
        (0, "minimal", False),
        (4, "minimal", False),
        (5, "mild", False),
        (9, "mild", False),
        (10, "moderate", True),
        (14, "moderate", True),
        (15, "severe", True),
        (21, "severe", True),
    ],
)
def test_gad7_band_edges_and_positive_at_10(total: int, band: str, positive: bool) -> None:
    result = score(instruments.GAD7_URL, spread(GAD7_ITEMS, total, PHQ_SCALE))
    assert (result.total, result.band and result.band.code, result.positive) == (total, band, positive)
    assert ("gad7-positive" in result.flags) is positive
    assert result.total_code == "70274-6"


# --- AUDIT-C ---------------------------------------------------------------------------------------------------


def audit(total: int) -> dict[str, str]:
    answers, left = {}, total
    for item, scale in AUDIT_SCALES.items():
        points = min(left, 4)
        answers[item] = scale[points]
        left -= points
    return answers


@pytest.mark.parametrize("total", range(13))
@pytest.mark.parametrize(("sex", "threshold"), [("male", 4), ("female", 3), (None, None), ("other", None)])
def test_audit_c_by_sex(total: int, sex: str | None, threshold: int | None) -> None:
    result = score(instruments.AUDIT_C_URL, audit(total), sex=sex)
    assert result.total == total and result.total_code == "75626-2"
    expected = None if threshold is None else total >= threshold
    assert result.positive is expected
    assert ("auditc-positive" in result.flags) is bool(expected)
    if threshold is None:
        assert "sex is not known" in result.explanation


def test_audit_c_thresholds_are_configurable() -> None:
    context = {"audit_c_thresholds": AuditCThresholds(male=5, female=4)}
    assert score(instruments.AUDIT_C_URL, audit(4), sex="male", **context).positive is False
    assert score(instruments.AUDIT_C_URL, audit(5), sex="male", **context).positive is True
    assert score(instruments.AUDIT_C_URL, audit(3), sex="female", **context).positive is False


def test_audit_c_missing_item_gives_no_total() -> None:
    answers = audit(6)
    del answers["68519-8"]
    result = score(instruments.AUDIT_C_URL, answers, sex="male")
    assert (result.total, result.positive, result.missing) == (None, None, ("68519-8",))


# --- DAST-10 ---------------------------------------------------------------------------------------------------


def dast(yes_items: set[int]) -> dict[str, str]:
    return {f"dast10-{n}": YES if n in yes_items else NO for n in range(1, 11)}


def test_dast10_item3_is_reversed() -> None:
    assert score(instruments.DAST10_URL, dast(set())).total == 1  # "No" to item 3 scores 1
    assert score(instruments.DAST10_URL, dast({3})).total == 0
    assert score(instruments.DAST10_URL, dast(set(range(1, 11)))).total == 9
    assert score(instruments.DAST10_URL, dast(set(range(1, 11)) - {3})).total == 10


@pytest.mark.parametrize(
    ("total", "band", "flag"),
    [
        (0, "none", None),
        (1, "low", None),
        (2, "low", None),
        (3, "moderate", "dast10-further-investigation"),
        (5, "moderate", "dast10-further-investigation"),
        (6, "substantial", "dast10-intensive-assessment"),
        (8, "substantial", "dast10-intensive-assessment"),
        (9, "severe", "dast10-intensive-assessment"),
        (10, "severe", "dast10-intensive-assessment"),
    ],
)
def test_dast10_band_edges(total: int, band: str, flag: str | None) -> None:
    # item 3 answered Yes (0 points); then 'total' of the other nine answered Yes
    others = [n for n in range(1, 11) if n != 3]
    answers = dast({3, *others[:total]}) if total < 10 else dast(set(others))
    result = score(instruments.DAST10_URL, answers)
    assert (result.total, result.band and result.band.code) == (total, band)
    assert result.flags == ((flag,) if flag else ())
    assert result.total_code == "82667-7"


# --- Hunger Vital Sign -----------------------------------------------------------------------------------------

OFTEN, SOMETIMES, NEVER = "LA28397-0", "LA6729-3", "LA28398-8"


@pytest.mark.parametrize(
    ("answers", "positive"),
    [
        ({"88122-7": OFTEN, "88123-5": NEVER}, True),
        ({"88122-7": NEVER, "88123-5": SOMETIMES}, True),
        ({"88122-7": SOMETIMES, "88123-5": OFTEN}, True),
        ({"88122-7": NEVER, "88123-5": NEVER}, False),
        ({"88122-7": OFTEN}, True),  # one at-risk answer decides even with the other missing
        ({"88122-7": NEVER}, None),  # not at risk so far, but undecided
        ({}, None),
    ],
)
def test_hunger_vital_sign(answers: dict[str, str], positive: bool | None) -> None:
    result = score(instruments.HUNGER_VITAL_SIGN_URL, answers)
    assert result.positive is positive
    assert ("hvs-at-risk" in result.flags) is bool(positive)
    assert result.band == (None if positive is None else result.band)
    if positive:
        assert result.band is not None and result.band.code == "LA19952-3"
        assert {f.domain.code for f in result.findings} == {"food-insecurity"}
        assert all(f.domain.system == SDOHCC_SYSTEM for f in result.findings)
    if positive is False:
        assert result.band is not None and result.band.code == "LA19983-8"
    if positive is None:
        assert result.incomplete_reason


# --- AHC HRSN and the NY 12 questions --------------------------------------------------------------------------

SAFE = dict.fromkeys(SAFETY_ITEMS, SAFETY_SCALE[0])
NY_NEGATIVE: dict[str, Answer] = {
    "71802-3": "LA31993-1",
    "96778-6": ["LA9-3"],
    "96779-4": NO,
    "88122-7": NEVER,
    "88123-5": NEVER,
    "93030-5": NO,
    "96780-2": "LA31983-2",
    "96782-8": NO,
    **SAFE,
}


def test_ny12_all_negative() -> None:
    result = score(instruments.NY_HRSN_12_URL, NY_NEGATIVE)
    assert (result.positive, result.findings, result.flags, result.missing) == (False, (), (), ())
    assert result.subscores[0].value == 4 and result.subscores[0].positive is False


@pytest.mark.parametrize(
    ("link_id", "answer", "domain"),
    [
        ("71802-3", "LA31994-9", "housing-instability"),
        ("71802-3", "LA31995-6", "homelessness"),
        ("96778-6", ["LA31996-4"], "inadequate-housing"),
        ("96778-6", ["LA28580-1", "LA32001-2"], "inadequate-housing"),
        ("96778-6", ["LA32000-4"], "inadequate-housing"),
        ("96779-4", YES, "utility-insecurity"),
        ("96779-4", "LA32002-0", "utility-insecurity"),
        ("88122-7", OFTEN, "food-insecurity"),
        ("88123-5", SOMETIMES, "food-insecurity"),
        ("93030-5", YES, "transportation-insecurity"),
        ("96780-2", "LA31981-6", "employment-status"),
        ("96780-2", "LA31982-4", "employment-status"),
        ("96782-8", YES, "educational-attainment"),
    ],
)
def test_ny12_positive_answers_by_domain(link_id: str, answer: Answer, domain: str) -> None:
    result = score(instruments.NY_HRSN_12_URL, {**NY_NEGATIVE, link_id: answer})
    assert result.positive is True
    assert {f.domain.code for f in result.findings} == {domain}
    assert all(f.link_id == link_id and f.answer is not None for f in result.findings)
    assert len(result.findings) == (len(answer) if isinstance(answer, list) else 1)
    assert result.flags == (f"hrsn-{domain}",)
    assert result.findings[0].explanation


@pytest.mark.parametrize(("total", "positive"), [(4, False), (10, False), (11, True), (15, True), (20, True)])
def test_interpersonal_safety_total_positive_at_11(total: int, positive: bool) -> None:
    answers = {item: SAFETY_SCALE[points - 1] for item, points in zip(SAFETY_ITEMS, _split(total), strict=True)}
    result = score(instruments.AHC_HRSN_CORE_URL, answers)
    safety = result.subscores[0]
    assert (safety.code, safety.value, safety.positive) == ("95614-4", total, positive)
    assert ("interpersonal-safety-positive" in result.flags) is positive
    assert any(f.link_id == "95614-4" and f.value == total for f in result.findings) is positive


def _split(total: int) -> list[int]:
    """Four safety answers (1-5 each) adding up to ``total``."""
    values, left = [], total
    for remaining in range(4, 0, -1):
        value = min(5, left - (remaining - 1))
        values.append(value)
        left -= value
    return values


@pytest.mark.parametrize("missing", SAFETY_ITEMS)
def test_interpersonal_safety_needs_all_four(missing: str) -> None:
    answers = {item: SAFETY_SCALE[4] for item in SAFETY_ITEMS if item != missing}  # 15 from three answers
    result = score(instruments.AHC_HRSN_CORE_URL, answers)
    safety = result.subscores[0]
    assert (safety.value, safety.positive, safety.missing) == (None, None, (missing,))
    assert "interpersonal-safety-positive" not in result.flags
    assert "safety" in (result.incomplete_reason or "")


def test_ahc_core_ignores_ny_only_questions_and_reports_missing() -> None:
    result = score(instruments.AHC_HRSN_CORE_URL, {"71802-3": "LA31994-9"})
    assert result.positive is True
    assert "96778-6" in result.missing and "96780-2" not in result.missing


def test_supplemental_rules_and_their_override() -> None:
    answers: dict[str, Answer] = {
        "76513-1": "LA22683-9",  # somewhat hard to pay for basics
        "89555-7": "LA6114-8",  # 3 days
        "68516-4": "LA28855-7",  # 30 minutes: 90 a week
        "44250-9": "LA6570-1",
        "44255-8": "LA6569-3",  # 2 + 1 = 3
        "68524-8": "LA26460-8",  # illegal drugs once or twice
        "93038-8": "LA13863-8",  # a little stress: not positive
    }
    result = score(instruments.AHC_HRSN_SUPPLEMENTAL_URL, answers)
    assert result.flags == (
        "hrsn-financial-insecurity",
        "hrsn-physical-activity",
        "hrsn-substance-use",
        "hrsn-mental-health",
    )
    stress_only = (AnswerRule("93038-8", frozenset({"LA13863-8"}), result.findings[0].domain),)
    overridden = score(instruments.AHC_HRSN_SUPPLEMENTAL_URL, answers, supplemental_rules=stress_only)
    assert [f.link_id for f in overridden.findings] == ["93038-8"]


def test_supplemental_enough_activity_is_not_positive() -> None:
    result = score(instruments.AHC_HRSN_SUPPLEMENTAL_URL, {"89555-7": "LA10137-0", "68516-4": "LA28855-7"})
    assert result.findings == () and result.positive is None


# --- registry ----------------------------------------------------------------------------------------------------


def test_registry() -> None:
    assert scorer_for(instruments.PHQ9_URL) is not None
    assert scorer_for(instruments.PHQ9_URL + "|1.0.0") is scorer_for(instruments.PHQ9_URL)
    assert scorer_for(instruments.PRAPARE_URL) is None
    assert scorer_for(instruments.COMPREHENSIVE_ASSESSMENT_URL) is None
    assert scorer_for("http://example.org/Questionnaire/custom") is None


# --- properties --------------------------------------------------------------------------------------------------

TOTALLED = [
    (instruments.PHQ9_URL, {item: PHQ_SCALE for item in PHQ9_ITEMS}, 27),
    (instruments.PHQ2_URL, {item: PHQ_SCALE for item in PHQ9_ITEMS[:2]}, 6),
    (instruments.GAD7_URL, {item: PHQ_SCALE for item in GAD7_ITEMS}, 21),
    (instruments.GAD2_URL, {item: PHQ_SCALE for item in GAD7_ITEMS[:2]}, 6),
    (instruments.AUDIT_C_URL, AUDIT_SCALES, 12),
    (instruments.DAST10_URL, {item: (YES, NO) for item in DAST10_ITEMS}, 10),
]


@st.composite
def complete_answers(draw: st.DrawFn) -> tuple[str, dict[str, str], int]:
    url, scales, maximum = draw(st.sampled_from(TOTALLED))
    answers = {item: draw(st.sampled_from(scale)) for item, scale in scales.items()}
    return url, answers, maximum


@given(complete_answers(), st.sampled_from(["male", "female", None]))
def test_complete_answers_give_a_total_in_range(case: tuple[str, dict[str, str], int], sex: str | None) -> None:
    url, answers, maximum = case
    result = score(url, answers, sex=sex)
    assert result.total is not None and 0 <= result.total <= maximum
    assert result.incomplete_reason is None and result.missing == ()
    if result.band is not None:
        assert result.band.code


@given(complete_answers(), st.data())
def test_any_missing_scored_answer_means_no_total(case: tuple[str, dict[str, str], int], data: st.DataObject) -> None:
    url, answers, _ = case
    removed = data.draw(st.sets(st.sampled_from(sorted(answers)), min_size=1))
    result = score(url, {k: v for k, v in answers.items() if k not in removed})
    assert result.total is None and result.band is None
    assert set(result.missing) == removed
    assert result.incomplete_reason


@given(st.lists(st.sampled_from(SAFETY_SCALE), min_size=4, max_size=4))
def test_safety_total_in_range(codes: list[str]) -> None:
    result = score(instruments.NY_HRSN_12_URL, dict(zip(SAFETY_ITEMS, codes, strict=True)))
    value = result.subscores[0].value
    assert value is not None and 4 <= value <= 20
    assert result.subscores[0].positive is (value >= 11)
