"""What a scorer returns (``Score`` and its parts), what it is given (``ScoringContext``), and shared helpers."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from carecoord.assessments.engine import Coding, NormalizedResponse

if TYPE_CHECKING:
    from .sdoh import SupplementalRule

LOINC = "http://loinc.org"
YES, NO = "LA33-6", "LA32-8"
SDOHCC_SYSTEM = "http://hl7.org/fhir/us/sdoh-clinicalcare/CodeSystem/SDOHCC-CodeSystemTemporaryCodes"
LOCAL_DOMAIN_SYSTEM = "http://carecoord.org/fhir/CodeSystem/hrsn-domain"  # our codes for non-SDOHCC domains


@dataclass(frozen=True)
class Band:
    """A severity band or categorical result, e.g. ``Band("moderate", "Moderate depression")``."""

    code: str
    label: str


@dataclass(frozen=True)
class SdohFinding:
    """A positive social-needs answer: which item, which answer, which SDOH domain, and why in words."""

    link_id: str
    answer: Coding | None
    domain: Coding
    explanation: str
    value: int | None = None  # for a finding from a score (the safety total), the score


@dataclass(frozen=True)
class Subscore:
    """A score inside an instrument (e.g. the AHC interpersonal safety score, LOINC 95614-4)."""

    name: str
    code: str | None
    value: int | None
    positive: bool | None
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class Score:
    """The result of scoring one response.

    ``total`` is None when it cannot be computed (then ``incomplete_reason`` and ``missing`` say why) or when
    the instrument has no total (HVS, HRSN). ``positive`` is the screen's decision where it has one, None when
    undecided (e.g. AUDIT-C without the person's sex). For HVS the result is the band (LOINC LA19952-3 at risk,
    LA19983-8 no risk) reported under ``total_code`` 88124-3.
    """

    instrument: str
    questionnaire_url: str
    total: int | None
    total_code: str | None
    band: Band | None = None
    positive: bool | None = None
    incomplete_reason: str | None = None
    missing: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    findings: tuple[SdohFinding, ...] = ()
    subscores: tuple[Subscore, ...] = ()
    explanation: str = ""


@dataclass(frozen=True)
class AuditCThresholds:
    """AUDIT-C totals at or above which the screen is positive, by sex."""

    male: int = 4
    female: int = 3


AUDIT_C_THRESHOLDS = AuditCThresholds()
INTERPERSONAL_SAFETY_THRESHOLD = 11  # AHC HRSN: a safety total of 11 or more (of 4-20) is positive


@dataclass(frozen=True)
class ScoringContext:
    """What a scorer may need besides the answers: facts about the person, and settings a caller may change.

    ``sex`` is FHIR administrative sex ("male", "female"; anything else leaves AUDIT-C undecided).
    ``supplemental_rules`` replaces ``sdoh.SUPPLEMENTAL_RULES`` (unverified thresholds, [R]) when given.
    """

    sex: str | None = None
    audit_c_thresholds: AuditCThresholds = AUDIT_C_THRESHOLDS
    interpersonal_safety_threshold: int = INTERPERSONAL_SAFETY_THRESHOLD
    supplemental_rules: tuple[SupplementalRule, ...] | None = None


Scorer = Callable[[NormalizedResponse, ScoringContext], Score]


def loinc_answers(response: NormalizedResponse, link_id: str) -> tuple[Coding, ...]:
    return tuple(c for c in response.codings(link_id) if c.system == LOINC)


def points_of(response: NormalizedResponse, link_id: str, table: Mapping[str, int]) -> int | None:
    """Points of the (single) answer to ``link_id``, or None when unanswered or not a code of the table."""
    answers = loinc_answers(response, link_id)
    if len(answers) != 1 or answers[0].code not in table:
        return None
    return table[answers[0].code]


def total_of(
    response: NormalizedResponse, link_ids: Sequence[str], table_for: Callable[[str], Mapping[str, int]]
) -> tuple[int | None, tuple[str, ...]]:
    """Sum of points, or None with the linkIds that are unanswered (or answered with an unknown code)."""
    points = {link_id: points_of(response, link_id, table_for(link_id)) for link_id in link_ids}
    missing = tuple(link_id for link_id, value in points.items() if value is None)
    if missing:
        return None, missing
    return sum(value for value in points.values() if value is not None), ()


def band_of(total: int | None, bands: Sequence[tuple[int, int, str, str]]) -> Band | None:
    if total is None:
        return None
    for low, high, code, label in bands:
        if low <= total <= high:
            return Band(code, label)
    raise ValueError(f"total {total} is outside every band")


def incomplete(missing: tuple[str, ...]) -> str | None:
    return f"not answered (or not a scored answer): {', '.join(missing)}" if missing else None
