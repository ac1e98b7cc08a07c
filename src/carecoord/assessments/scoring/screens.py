"""Scores of the mental health and substance use screens: PHQ-2, PHQ-9, GAD-2, GAD-7, AUDIT-C, DAST-10."""

from __future__ import annotations

from collections.abc import Mapping

from carecoord.assessments import instruments
from carecoord.assessments.engine import NormalizedResponse

from .results import NO, YES, Score, Scorer, ScoringContext, band_of, incomplete, points_of, total_of

PHQ_POINTS: Mapping[str, int] = {"LA6568-5": 0, "LA6569-3": 1, "LA6570-1": 2, "LA6571-9": 3}
PHQ9_ITEMS = ("44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5", "44253-3", "44260-8")
PHQ9_ITEM9 = "44260-8"
GAD7_ITEMS = ("69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7")
AUDIT_C_POINTS: Mapping[str, Mapping[str, int]] = {
    "68518-0": {"LA6270-8": 0, "LA18926-8": 1, "LA18927-6": 2, "LA18928-4": 3, "LA18929-2": 4},
    "68519-8": {"LA15694-5": 0, "LA15695-2": 1, "LA18930-0": 2, "LA18931-8": 3, "LA18932-6": 4},
    "68520-6": {"LA6270-8": 0, "LA18933-4": 1, "LA18876-5": 2, "LA18891-4": 3, "LA18934-2": 4},
}
DAST10_ITEMS = tuple(f"dast10-{n}" for n in range(1, 11))  # [R] local linkIds: LOINC item codes unverified
DAST10_REVERSED = "dast10-3"  # "Are you always able to stop using drugs when you want to?": No scores 1

PHQ9_BANDS = (
    (0, 4, "minimal", "None-minimal"),
    (5, 9, "mild", "Mild"),
    (10, 14, "moderate", "Moderate"),
    (15, 19, "moderately-severe", "Moderately severe"),
    (20, 27, "severe", "Severe"),
)
GAD7_BANDS = (
    (0, 4, "minimal", "Minimal"),
    (5, 9, "mild", "Mild"),
    (10, 14, "moderate", "Moderate"),
    (15, 21, "severe", "Severe"),
)
DAST10_BANDS = (
    (0, 0, "none", "No problems reported"),
    (1, 2, "low", "Low level (monitor)"),
    (3, 5, "moderate", "Moderate level (further investigation)"),
    (6, 8, "substantial", "Substantial level (intensive assessment)"),
    (9, 10, "severe", "Severe level (intensive assessment)"),
)
PHQ2_POSITIVE = 3
GAD2_POSITIVE = 3
GAD7_POSITIVE = 10


def score_phq9(response: NormalizedResponse, context: ScoringContext) -> Score:
    total, missing = total_of(response, PHQ9_ITEMS, lambda _: PHQ_POINTS)
    item9 = points_of(response, PHQ9_ITEM9, PHQ_POINTS)
    flags = ("phq9-item9-safety",) if item9 is not None and item9 > 0 else ()
    band = band_of(total, PHQ9_BANDS)
    words = [f"PHQ-9 total {total}: {band.label}" if band else "PHQ-9 total not computed"]
    if flags:
        words.append("item 9 (thoughts of being better off dead or of self-harm) is above 0: same-day safety follow-up")
    return Score(
        "phq-9",
        instruments.PHQ9_URL,
        total,
        "44261-6",
        band,
        None,
        incomplete(missing),
        missing,
        flags,
        explanation="; ".join(words),
    )


def _two_item_screen(
    name: str, url: str, items: tuple[str, ...], total_code: str | None, threshold: int, flag: str
) -> Scorer:
    def score(response: NormalizedResponse, context: ScoringContext) -> Score:
        total, missing = total_of(response, items, lambda _: PHQ_POINTS)
        positive = None if total is None else total >= threshold
        text = f"{name} total {total}: {'positive' if positive else 'negative'} (positive at {threshold} or more)"
        return Score(
            name.lower(),
            url,
            total,
            total_code,
            None,
            positive,
            incomplete(missing),
            missing,
            (flag,) if positive else (),
            explanation=text if total is not None else f"{name} not computed",
        )

    return score


score_phq2 = _two_item_screen("PHQ-2", instruments.PHQ2_URL, PHQ9_ITEMS[:2], "55758-7", PHQ2_POSITIVE, "phq2-positive")
# [R] GAD-2 total LOINC code unverified: none is reported.
score_gad2 = _two_item_screen("GAD-2", instruments.GAD2_URL, GAD7_ITEMS[:2], None, GAD2_POSITIVE, "gad2-positive")


def score_gad7(response: NormalizedResponse, context: ScoringContext) -> Score:
    total, missing = total_of(response, GAD7_ITEMS, lambda _: PHQ_POINTS)
    band = band_of(total, GAD7_BANDS)
    positive = None if total is None else total >= GAD7_POSITIVE
    text = f"GAD-7 total {total}: {band.label}" if band else "GAD-7 total not computed"
    return Score(
        "gad-7",
        instruments.GAD7_URL,
        total,
        "70274-6",
        band,
        positive,
        incomplete(missing),
        missing,
        ("gad7-positive",) if positive else (),
        explanation=text,
    )


def score_audit_c(response: NormalizedResponse, context: ScoringContext) -> Score:
    total, missing = total_of(response, tuple(AUDIT_C_POINTS), lambda link_id: AUDIT_C_POINTS[link_id])
    thresholds = context.audit_c_thresholds
    threshold = {"male": thresholds.male, "female": thresholds.female}.get(context.sex or "")
    positive = None if total is None or threshold is None else total >= threshold
    if total is None:
        text = "AUDIT-C total not computed"
    elif threshold is None:
        text = f"AUDIT-C total {total}: no positive/negative decision because the person's sex is not known"
    else:
        text = (
            f"AUDIT-C total {total}: {'positive' if positive else 'negative'} ({context.sex}: positive at {threshold}+)"
        )
    return Score(
        "audit-c",
        instruments.AUDIT_C_URL,
        total,
        "75626-2",
        None,
        positive,
        incomplete(missing),
        missing,
        ("auditc-positive",) if positive else (),
        explanation=text,
    )


def score_dast10(response: NormalizedResponse, context: ScoringContext) -> Score:
    reversed_table, table = {YES: 0, NO: 1}, {YES: 1, NO: 0}
    total, missing = total_of(response, DAST10_ITEMS, lambda i: reversed_table if i == DAST10_REVERSED else table)
    band = band_of(total, DAST10_BANDS)
    flags: tuple[str, ...] = ()
    if band and band.code == "moderate":
        flags = ("dast10-further-investigation",)
    elif band and band.code in ("substantial", "severe"):
        flags = ("dast10-intensive-assessment",)
    text = f"DAST-10 total {total}: {band.label}" if band else "DAST-10 total not computed"
    return Score(
        "dast-10",
        instruments.DAST10_URL,
        total,
        "82667-7",
        band,
        None,
        incomplete(missing),
        missing,
        flags,
        explanation=text,
    )
