"""Exact scoring of the built-in instruments (STANDARDS.md section C), as pure functions of a checked response.

``scorer_for(questionnaire_url)`` returns the instrument's scorer, or None (custom questionnaires have none:
their answers are stored as they are); ``score_response(url, response, context)`` scores in one call. A scorer
takes a ``NormalizedResponse`` (from ``engine.validate_response``) and a ``ScoringContext`` and returns a ``Score``.

Rules every scorer keeps:

- A missing answer never counts as zero: the total is None, ``incomplete_reason`` says why and ``missing``
  lists the linkIds. An answer that is not one of the instrument's codes counts as missing.
- A flag that does not depend on the total is raised whenever its own answer is there (PHQ-9 item 9).
- Points come from the tables in ``screens`` and ``sdoh``, not from the Questionnaire file, so an edited file
  cannot change a score; ``tests/test_instruments.py`` checks the files' ordinalValue extensions agree.
- Items are found by linkId anywhere in the response, so a scorer also works on a larger form that embeds the
  instrument's items (e.g. PHQ-2 on a PHQ-9 response).

Unverified values ([R]) are settings: ``ScoringContext`` (AUDIT-C thresholds, safety threshold, supplemental
rules) and the module-level tables ``sdoh.SUPPLEMENTAL_RULES`` and ``sdoh.INTERPERSONAL_SAFETY_DOMAIN``.
"""

from __future__ import annotations

from carecoord.assessments import instruments
from carecoord.assessments.engine import NormalizedResponse

from .results import (
    AUDIT_C_THRESHOLDS,
    INTERPERSONAL_SAFETY_THRESHOLD,
    LOCAL_DOMAIN_SYSTEM,
    SDOHCC_SYSTEM,
    AuditCThresholds,
    Band,
    Score,
    Scorer,
    ScoringContext,
    SdohFinding,
    Subscore,
)
from .screens import score_audit_c, score_dast10, score_gad2, score_gad7, score_phq2, score_phq9
from .sdoh import (
    HRSN_POSITIVE_ANSWERS,
    INTERPERSONAL_SAFETY_DOMAIN,
    SUPPLEMENTAL_RULES,
    AnswerRule,
    OrdinalSumRule,
    PhysicalActivityRule,
    SupplementalRule,
    score_ahc_hrsn_core,
    score_ahc_hrsn_supplemental,
    score_hunger_vital_sign,
    score_ny_hrsn_12,
)

__all__ = [
    "AUDIT_C_THRESHOLDS",
    "HRSN_POSITIVE_ANSWERS",
    "INTERPERSONAL_SAFETY_DOMAIN",
    "INTERPERSONAL_SAFETY_THRESHOLD",
    "LOCAL_DOMAIN_SYSTEM",
    "SCORERS",
    "SDOHCC_SYSTEM",
    "SUPPLEMENTAL_RULES",
    "AnswerRule",
    "AuditCThresholds",
    "Band",
    "OrdinalSumRule",
    "PhysicalActivityRule",
    "Score",
    "Scorer",
    "ScoringContext",
    "SdohFinding",
    "Subscore",
    "SupplementalRule",
    "score_response",
    "scorer_for",
]

SCORERS: dict[str, Scorer] = {
    instruments.PHQ2_URL: score_phq2,
    instruments.PHQ9_URL: score_phq9,
    instruments.GAD2_URL: score_gad2,
    instruments.GAD7_URL: score_gad7,
    instruments.AUDIT_C_URL: score_audit_c,
    instruments.DAST10_URL: score_dast10,
    instruments.HUNGER_VITAL_SIGN_URL: score_hunger_vital_sign,
    instruments.AHC_HRSN_CORE_URL: score_ahc_hrsn_core,
    instruments.AHC_HRSN_SUPPLEMENTAL_URL: score_ahc_hrsn_supplemental,
    instruments.NY_HRSN_12_URL: score_ny_hrsn_12,
}


def scorer_for(questionnaire_url: str) -> Scorer | None:
    """The scorer of the instrument with this canonical url (``|version`` ignored), or None."""
    return SCORERS.get(questionnaire_url.split("|")[0])


def score_response(
    questionnaire_url: str, response: NormalizedResponse, context: ScoringContext | None = None
) -> Score | None:
    """Score ``response`` with the instrument's scorer; None when the questionnaire has no scorer."""
    scorer = scorer_for(questionnaire_url)
    return scorer(response, context or ScoringContext()) if scorer else None
