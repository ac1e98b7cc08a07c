"""Risk scores computed from stored clinical facts: LACE, HOSPITAL, Charlson (STANDARDS.md C.9-C.11).

Each returns a ``RiskScore`` that explains itself (``result.py`` says how missing data is handled); the tables
are data in ``tables.py``. These read without a permission check: the UI goes through
``clinical.access.access_risk_scores``.
"""

from carecoord.clinical.risk.charlson import categories_of, charlson_for_patient, ten_year_survival
from carecoord.clinical.risk.hospital import hospital_for_encounter
from carecoord.clinical.risk.lace import lace_for_encounter
from carecoord.clinical.risk.result import Component, RiskScore

__all__ = [
    "Component",
    "RiskScore",
    "categories_of",
    "charlson_for_patient",
    "hospital_for_encounter",
    "lace_for_encounter",
    "ten_year_survival",
]
