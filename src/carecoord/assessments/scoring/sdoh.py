"""Social needs screens: Hunger Vital Sign, AHC HRSN (core, supplemental) and the NY 12-question version.

Each positive answer becomes an ``SdohFinding`` with its SDOH domain (Gravity SDOHCC category codes; a local
code where SDOHCC has none). The supplemental thresholds are unverified ([R]): ``SUPPLEMENTAL_RULES`` is the
default, and ``ScoringContext.supplemental_rules`` replaces it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from carecoord.assessments import instruments
from carecoord.assessments.engine import Coding, NormalizedResponse

from .results import (
    LOCAL_DOMAIN_SYSTEM,
    SDOHCC_SYSTEM,
    YES,
    Band,
    Score,
    Scorer,
    ScoringContext,
    SdohFinding,
    Subscore,
    incomplete,
    loinc_answers,
    points_of,
    total_of,
)
from .screens import PHQ_POINTS

SAFETY_ITEMS = ("95618-5", "95617-7", "95616-9", "95615-1")
SAFETY_POINTS: Mapping[str, int] = {"LA6270-8": 1, "LA10066-1": 2, "LA10082-8": 3, "LA16644-9": 4, "LA6482-9": 5}
HVS_ITEMS = ("88122-7", "88123-5")


def _domain(code: str, display: str, system: str = SDOHCC_SYSTEM) -> Coding:
    return Coding(system, code, display)


FOOD = _domain("food-insecurity", "Food Insecurity")
HOUSING = _domain("housing-instability", "Housing Instability")
HOMELESS = _domain("homelessness", "Homelessness")
INADEQUATE_HOUSING = _domain("inadequate-housing", "Inadequate Housing")
UTILITIES = _domain("utility-insecurity", "Utility Insecurity")
TRANSPORT = _domain("transportation-insecurity", "Transportation Insecurity")
EMPLOYMENT = _domain("employment-status", "Employment Status")
EDUCATION = _domain("educational-attainment", "Educational Attainment")
# [R] SDOHCC has no "interpersonal safety" category (intimate-partner-violence and elder-abuse are narrower than
# AHC's "anyone, including family and friends"), so the finding uses a local code until a clinician decides.
INTERPERSONAL_SAFETY_DOMAIN = _domain("interpersonal-safety", "Interpersonal Safety", LOCAL_DOMAIN_SYSTEM)
# Every domain a screen can find (the suggested referral and problem tasks are named after them).
DOMAINS: tuple[Coding, ...] = (
    FOOD,
    HOUSING,
    HOMELESS,
    INADEQUATE_HOUSING,
    UTILITIES,
    TRANSPORT,
    EMPLOYMENT,
    EDUCATION,
    INTERPERSONAL_SAFETY_DOMAIN,
)

# C.7: the positive answers of the AHC HRSN questions and the NY 12-question version, with their SDOH domain.
HRSN_POSITIVE_ANSWERS: Mapping[str, Mapping[str, Coding]] = {
    "71802-3": {"LA31994-9": HOUSING, "LA31995-6": HOMELESS},
    "96778-6": {
        code: INADEQUATE_HOUSING
        for code in ("LA31996-4", "LA28580-1", "LA31997-2", "LA31998-0", "LA31999-8", "LA32000-4", "LA32001-2")
    },
    "96779-4": {YES: UTILITIES, "LA32002-0": UTILITIES},
    "88122-7": {"LA28397-0": FOOD, "LA6729-3": FOOD},
    "88123-5": {"LA28397-0": FOOD, "LA6729-3": FOOD},
    "93030-5": {YES: TRANSPORT},
    "96780-2": {"LA31981-6": EMPLOYMENT, "LA31982-4": EMPLOYMENT},
    "96782-8": {YES: EDUCATION},
}


@dataclass(frozen=True)
class AnswerRule:
    """Positive when the answer to ``link_id`` is one of ``positive`` (LOINC answer codes)."""

    link_id: str
    positive: frozenset[str]
    domain: Coding

    def link_ids(self) -> tuple[str, ...]:
        return (self.link_id,)

    def findings(self, response: NormalizedResponse) -> list[SdohFinding]:
        return [
            SdohFinding(self.link_id, coding, self.domain, f"{self.link_id} answered {coding.display or coding.code}")
            for coding in loinc_answers(response, self.link_id)
            if coding.code in self.positive
        ]


@dataclass(frozen=True)
class OrdinalSumRule:
    """Positive when the points of all ``link_ids`` add up to ``threshold`` or more (all must be answered)."""

    items: tuple[str, ...]
    points: Mapping[str, int]
    threshold: int
    domain: Coding

    def link_ids(self) -> tuple[str, ...]:
        return self.items

    def findings(self, response: NormalizedResponse) -> list[SdohFinding]:
        total, _ = total_of(response, self.items, lambda _link_id: self.points)
        if total is None or total < self.threshold:
            return []
        why = f"{' + '.join(self.items)} = {total} (positive at {self.threshold} or more)"
        return [SdohFinding(self.items[0], None, self.domain, why, total)]


@dataclass(frozen=True)
class PhysicalActivityRule:
    """Positive when days per week x minutes per day is below ``minimum_minutes`` (both must be answered)."""

    days_item: str
    minutes_item: str
    days: Mapping[str, int]
    minutes: Mapping[str, int]
    minimum_minutes: int
    domain: Coding

    def link_ids(self) -> tuple[str, ...]:
        return (self.days_item, self.minutes_item)

    def findings(self, response: NormalizedResponse) -> list[SdohFinding]:
        days = points_of(response, self.days_item, self.days)
        minutes = points_of(response, self.minutes_item, self.minutes)
        if days is None or minutes is None or days * minutes >= self.minimum_minutes:
            return []
        why = f"{days} days x {minutes} minutes = {days * minutes} minutes a week (under {self.minimum_minutes})"
        return [SdohFinding(self.days_item, None, self.domain, why, days * minutes)]


SupplementalRule = AnswerRule | OrdinalSumRule | PhysicalActivityRule
_FREQUENT = frozenset({"LA26460-8", "LA18876-5", "LA18891-4", "LA18934-2"})  # once or twice ... daily
_DAYS = {
    "LA6111-4": 0,
    "LA6112-2": 1,
    "LA6113-0": 2,
    "LA6114-8": 3,
    "LA6115-5": 4,
    "LA10137-0": 5,
    "LA10138-8": 6,
    "LA10139-6": 7,
}
_MINUTES = {
    "LA6111-4": 0,
    "LA13942-0": 10,
    "LA19282-5": 20,
    "LA28855-7": 30,
    "LA28858-1": 40,
    "LA28854-0": 50,
    "LA28853-2": 60,
    "LA28891-2": 90,
    "LA32059-0": 120,
    "LA32060-8": 150,
}

# [R] Every threshold here is unverified (CMS "A Guide to Using the AHC HRSN Screening Tool", June 2021, has them).
SUPPLEMENTAL_RULES: tuple[SupplementalRule, ...] = (
    AnswerRule(
        "76513-1", frozenset({"LA15832-1", "LA22683-9"}), _domain("financial-insecurity", "Financial Insecurity")
    ),
    AnswerRule("96780-2", frozenset({"LA31981-6", "LA31982-4"}), EMPLOYMENT),
    AnswerRule(
        "96781-0",
        frozenset({"LA31978-2", "LA31979-0"}),
        _domain("family-community-support", "Family and Community Support", LOCAL_DOMAIN_SYSTEM),
    ),
    AnswerRule("93159-2", frozenset({"LA10044-8", "LA9933-8"}), _domain("social-connection", "Social Connection")),
    AnswerRule("97027-7", frozenset({YES}), _domain("language-access", "Language Access")),
    AnswerRule("96782-8", frozenset({YES}), EDUCATION),
    PhysicalActivityRule(
        "89555-7",
        "68516-4",
        _DAYS,
        _MINUTES,
        150,
        _domain("physical-activity", "Physical Activity", LOCAL_DOMAIN_SYSTEM),
    ),
    *(
        AnswerRule(link_id, _FREQUENT, _domain("substance-use", "Substance Use", LOCAL_DOMAIN_SYSTEM))
        for link_id in ("68517-2", "96842-0", "95530-2", "68524-8")
    ),
    OrdinalSumRule(
        ("44250-9", "44255-8"), PHQ_POINTS, 3, _domain("mental-health", "Mental Health", LOCAL_DOMAIN_SYSTEM)
    ),
    AnswerRule("93038-8", frozenset({"LA13902-4", "LA13914-9"}), _domain("stress", "Stress")),
    *(
        AnswerRule(link_id, frozenset({YES}), _domain("disabilities", "Disabilities", LOCAL_DOMAIN_SYSTEM))
        for link_id in ("69858-9", "69861-3")
    ),
)


def score_hunger_vital_sign(response: NormalizedResponse, context: ScoringContext) -> Score:
    findings = _positive_answers(response, {link_id: HRSN_POSITIVE_ANSWERS[link_id] for link_id in HVS_ITEMS})
    missing = tuple(link_id for link_id in HVS_ITEMS if not loinc_answers(response, link_id))
    if findings:
        positive: bool | None = True
    else:
        positive = None if missing else False
    band = {True: Band("LA19952-3", "At risk"), False: Band("LA19983-8", "No risk"), None: None}[positive]
    text = "Food insecurity: " + (
        "at risk (an answer is Often or Sometimes true)"
        if positive
        else "no risk"
        if positive is False
        else "undecided"
    )
    return Score(
        "hunger-vital-sign",
        instruments.HUNGER_VITAL_SIGN_URL,
        None,
        "88124-3",
        band,
        positive,
        incomplete(missing) if positive is None else None,
        missing,
        ("hvs-at-risk",) if positive else (),
        tuple(findings),
        explanation=text,
    )


def _positive_answers(response: NormalizedResponse, table: Mapping[str, Mapping[str, Coding]]) -> list[SdohFinding]:
    findings = []
    for link_id, positives in table.items():
        for coding in loinc_answers(response, link_id):
            domain = positives.get(coding.code)
            if domain is not None:
                why = f"{link_id} answered {coding.display or coding.code}: {domain.display}"
                findings.append(SdohFinding(link_id, coding, domain, why))
    return findings


def _hrsn_scorer(name: str, url: str, questions: tuple[str, ...]) -> Scorer:
    def score(response: NormalizedResponse, context: ScoringContext) -> Score:
        findings = _positive_answers(response, {q: HRSN_POSITIVE_ANSWERS[q] for q in questions})
        safety, safety_missing = total_of(response, SAFETY_ITEMS, lambda _: SAFETY_POINTS)
        threshold = context.interpersonal_safety_threshold
        safety_positive = None if safety is None else safety >= threshold
        if safety_positive:
            why = f"interpersonal safety score {safety} (positive at {threshold} or more)"
            findings.append(SdohFinding("95614-4", None, INTERPERSONAL_SAFETY_DOMAIN, why, safety))
        missing = tuple(q for q in questions if not loinc_answers(response, q)) + safety_missing
        flags = tuple(dict.fromkeys(f"hrsn-{f.domain.code}" for f in findings if f.link_id != "95614-4"))
        if safety_positive:
            flags += ("interpersonal-safety-positive",)
        reason = incomplete(missing)
        if safety is None:
            reason = f"interpersonal safety score needs all four safety answers; {reason}"
        positive = True if findings else (None if missing else False)
        domains = sorted({f.domain.display or f.domain.code for f in findings})
        text = f"{name}: " + (f"positive for {', '.join(domains)}" if domains else "no positive answers")
        subscore = Subscore("interpersonal-safety", "95614-4", safety, safety_positive, safety_missing)
        return Score(
            name.lower(),
            url,
            None,
            None,
            None,
            positive,
            reason,
            missing,
            flags,
            tuple(findings),
            (subscore,),
            explanation=text,
        )

    return score


CORE_QUESTIONS = ("71802-3", "96778-6", "88122-7", "88123-5", "93030-5", "96779-4")
score_ahc_hrsn_core = _hrsn_scorer("AHC-HRSN", instruments.AHC_HRSN_CORE_URL, CORE_QUESTIONS)
score_ny_hrsn_12 = _hrsn_scorer("NY-HRSN-12", instruments.NY_HRSN_12_URL, (*CORE_QUESTIONS, "96780-2", "96782-8"))


def score_ahc_hrsn_supplemental(response: NormalizedResponse, context: ScoringContext) -> Score:
    rules = SUPPLEMENTAL_RULES if context.supplemental_rules is None else context.supplemental_rules
    findings = [finding for rule in rules for finding in rule.findings(response)]
    flags = tuple(dict.fromkeys(f"hrsn-{f.domain.code}" for f in findings))
    domains = sorted({f.domain.display or f.domain.code for f in findings})
    text = "AHC-HRSN supplemental: " + (f"positive for {', '.join(domains)}" if domains else "no positive answers")
    text += " (supplemental thresholds are unverified)"
    return Score(
        "ahc-hrsn-supplemental",
        instruments.AHC_HRSN_SUPPLEMENTAL_URL,
        None,
        None,
        None,
        True if findings else None,
        None,
        (),
        flags,
        tuple(findings),
        explanation=text,
    )
