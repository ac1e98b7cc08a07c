"""The built-in instruments: one FHIR R4 Questionnaire JSON file each, loaded and checked once.

``builtin()`` returns them all as parsed ``Questionnaire`` definitions (the JSON stays available as
``.resource``); ``by_url(url)`` finds one by canonical url (a ``|version`` suffix is ignored).

Sources: STANDARDS.md section C; Q1 answer codes of AUDIT-C from LOINC answer list LL2179-1; AHC HRSN
supplemental items from the public NY SHIN-NY HRSN specification; PRAPARE answer lists as in the HL7 Gravity SDOH
Clinical Care IG. Unverified points ([R]) are named in each file's ``description`` and below.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

from carecoord.assessments.engine import Questionnaire, parse_questionnaire

__all__ = [
    "AHC_HRSN_CORE_URL",
    "AHC_HRSN_SUPPLEMENTAL_URL",
    "AUDIT_C_URL",
    "COMPREHENSIVE_ASSESSMENT_URL",
    "DAST10_URL",
    "GAD2_URL",
    "GAD7_URL",
    "HUNGER_VITAL_SIGN_URL",
    "NY_HRSN_12_URL",
    "PHQ2_URL",
    "PHQ9_URL",
    "PRAPARE_URL",
    "builtin",
    "by_url",
]

PHQ2_URL = "http://loinc.org/q/55757-9"
PHQ9_URL = "http://loinc.org/q/44249-1"
# [R] No LOINC GAD-2 panel code is known with confidence (69724-3 is the PHQ-4 panel), hence our own url.
GAD2_URL = "http://carecoord.org/fhir/Questionnaire/gad-2"
GAD7_URL = "http://loinc.org/q/69737-5"
AUDIT_C_URL = "http://loinc.org/q/72109-2"
DAST10_URL = "http://loinc.org/q/82666-9"  # [R] item linkIds are local (dast10-1 .. dast10-10)
HUNGER_VITAL_SIGN_URL = "http://loinc.org/q/88121-9"
AHC_HRSN_CORE_URL = "http://loinc.org/q/96777-8"
AHC_HRSN_SUPPLEMENTAL_URL = "http://loinc.org/q/97023-6"
NY_HRSN_12_URL = "http://carecoord.org/fhir/Questionnaire/ny-hrsn-12"
PRAPARE_URL = "http://loinc.org/q/93025-5"
COMPREHENSIVE_ASSESSMENT_URL = "http://carecoord.org/fhir/Questionnaire/comprehensive-assessment"

FILES = (
    "phq-2.json",
    "phq-9.json",
    "gad-2.json",
    "gad-7.json",
    "audit-c.json",
    "dast-10.json",
    "hunger-vital-sign.json",
    "ahc-hrsn-core.json",
    "ahc-hrsn-supplemental.json",
    "ny-hrsn-12.json",
    "prapare.json",
    "comprehensive-assessment.json",
)


@cache
def _load() -> dict[str, Questionnaire]:
    folder = resources.files(__name__)
    loaded: dict[str, Questionnaire] = {}
    for name in FILES:
        questionnaire = parse_questionnaire(json.loads(folder.joinpath(name).read_text(encoding="utf-8")))
        if not questionnaire.url:
            raise ValueError(f"built-in instrument {name} has no url")
        loaded[questionnaire.url] = questionnaire
    return loaded


def builtin() -> list[Questionnaire]:
    """Every built-in instrument, parsed (cached: the same objects on every call)."""
    return list(_load().values())


def by_url(url: str) -> Questionnaire | None:
    """The built-in instrument with this canonical url, or None."""
    return _load().get(url.split("|")[0])
