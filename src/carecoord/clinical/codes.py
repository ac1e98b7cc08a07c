"""Code systems the clinical app accepts, and the shape each code must have.

Only the shape is checked (a code that looks like ICD-10-CM, SNOMED CT, LOINC ...), not membership of the code
system: CareCoord holds no terminology server. Category and interpretation codes are short vocabularies and are
checked against the tables below.
"""

from __future__ import annotations

import re

from carecoord.clinical.models import CPT, ICD10CM, ICD10PCS, LOINC, SNOMED

CODE_PATTERNS: dict[str, re.Pattern[str]] = {
    ICD10CM: re.compile(r"^[A-Z][0-9][0-9A-Z](\.?[0-9A-Z]{1,4})?$"),
    ICD10PCS: re.compile(r"^[0-9A-HJ-NP-Z]{7}$"),
    CPT: re.compile(r"^[0-9]{4}[0-9A-Z]$"),
    SNOMED: re.compile(r"^[1-9][0-9]{5,17}$"),
    LOINC: re.compile(r"^[0-9]{1,7}-[0-9]$"),
}

OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
US_CORE_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/us-core-category"
SDOH_CATEGORY = "http://hl7.org/fhir/us/sdoh-clinicalcare/CodeSystem/SDOHCC-CodeSystemTemporaryCodes"

# Observation category codes and the code system each belongs to (for the FHIR edge). Anything else that is a
# lowercase token is accepted and mapped under the SDOH domain system (Gravity's domains: food-insecurity ...).
CATEGORY_SYSTEMS: dict[str, str] = {
    "social-history": OBSERVATION_CATEGORY,
    "vital-signs": OBSERVATION_CATEGORY,
    "imaging": OBSERVATION_CATEGORY,
    "laboratory": OBSERVATION_CATEGORY,
    "procedure": OBSERVATION_CATEGORY,
    "survey": OBSERVATION_CATEGORY,
    "exam": OBSERVATION_CATEGORY,
    "therapy": OBSERVATION_CATEGORY,
    "activity": OBSERVATION_CATEGORY,
    "sdoh": US_CORE_CATEGORY,
}
CATEGORY_TOKEN = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")

# HL7 v3 ObservationInterpretation codes CareCoord records.
INTERPRETATION_CODES = frozenset(
    {"N", "A", "AA", "H", "HH", "L", "LL", "POS", "NEG", "IND", "DET", "ND", "HU", "LU", "U", "D", "B", "W"}
)


def looks_like(system: str, code: str) -> bool:
    """Whether ``code`` has the shape of a code of ``system`` (True for systems without a known shape)."""
    pattern = CODE_PATTERNS.get(system)
    return bool(code) and (pattern is None or pattern.match(code) is not None)


def normal_icd10(code: str) -> str:
    """An ICD-10 code without its dot, upper case: the form the coding tables compare by prefix."""
    return code.replace(".", "").strip().upper()


def category_system(code: str) -> str:
    return CATEGORY_SYSTEMS.get(code, SDOH_CATEGORY)
