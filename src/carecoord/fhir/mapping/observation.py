"""FHIR Observation from a clinical observation (a lab, a vital sign, a screening score or finding).

- ``category``: each stored code in order, with its system: FHIR observation-category (survey, laboratory ...),
  US Core (sdoh), the Gravity SDOHCC category codes for social-needs domains (food-insecurity ...), and our own
  domain system for the domains SDOHCC has no code for (``scoring.LOCAL_DOMAIN_SYSTEM``: interpersonal safety
  ...);
- ``value[x]``: valueQuantity (UCUM), valueInteger, valueCodeableConcept, valueString or valueBoolean, as
  stored; none when the row has no value;
- ``interpretation``: v3-ObservationInterpretation codes (a social-needs finding is POS; NEG is never written);
- ``derivedFrom``: the QuestionnaireResponse a score or finding came from;
- ``meta.versionId`` the row's version (amendments and entered-in-error raise it).
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from typing import Any

from carecoord.assessments.scoring import HRSN_POSITIVE_ANSWERS, INTERPERSONAL_SAFETY_DOMAIN, SUPPLEMENTAL_RULES
from carecoord.clinical.codes import category_system
from carecoord.clinical.models import UCUM, Observation, ValueType
from carecoord.fhir.mapping.codes import coding

INTERPRETATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
INTERPRETATION_DISPLAYS = {
    "POS": "Positive",
    "NEG": "Negative",
    "A": "Abnormal",
    "N": "Normal",
    "H": "High",
    "L": "Low",
}


@cache
def _domain_systems() -> dict[str, tuple[str, str]]:
    """Social-needs domain code -> (system, display) for every domain the scorers report."""
    domains = [INTERPERSONAL_SAFETY_DOMAIN]
    domains += [domain for answers in HRSN_POSITIVE_ANSWERS.values() for domain in answers.values()]
    domains += [rule.domain for rule in SUPPLEMENTAL_RULES]
    return {d.code: (d.system or "", d.display or "") for d in domains}


def category_coding(code: str) -> dict[str, str]:
    """The coding of a stored category code."""
    known = _domain_systems().get(code)
    if known is not None:
        return coding(known[0], code, known[1])
    return coding(category_system(code), code)


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _value(observation: Observation) -> dict[str, Any]:
    match observation.value_type:
        case ValueType.QUANTITY if observation.value_quantity is not None:
            quantity: dict[str, Any] = {"value": _number(observation.value_quantity)}
            if observation.value_unit:
                quantity["unit"] = observation.value_unit
            if observation.value_ucum:
                quantity["system"] = UCUM
                quantity["code"] = observation.value_ucum
            return {"valueQuantity": quantity}
        case ValueType.INTEGER if observation.value_integer is not None:
            return {"valueInteger": observation.value_integer}
        case ValueType.CODING if observation.value_code:
            concept: dict[str, Any] = {
                "coding": [coding(observation.value_code_system, observation.value_code, observation.value_display)]
            }
            if observation.value_display:
                concept["text"] = observation.value_display
            return {"valueCodeableConcept": concept}
        case ValueType.STRING if observation.value_string:
            return {"valueString": observation.value_string}
        case ValueType.BOOLEAN if observation.value_boolean is not None:
            return {"valueBoolean": observation.value_boolean}
    return {}


def observation_resource(observation: Observation) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": str(observation.pk),
        "meta": {"versionId": str(observation.version), "lastUpdated": observation.updated_at.isoformat()},
        "status": observation.status,
    }
    if observation.categories:
        resource["category"] = [{"coding": [category_coding(code)]} for code in observation.categories]
    code: dict[str, Any] = {"coding": [coding(observation.code_system, observation.code, observation.display)]}
    if observation.display:
        code["text"] = observation.display
    resource["code"] = code
    resource["subject"] = {"reference": f"Patient/{observation.patient_id}"}
    if observation.effective_at is not None:
        resource["effectiveDateTime"] = observation.effective_at.isoformat()
    if observation.issued_at is not None:
        resource["issued"] = observation.issued_at.isoformat()
    resource.update(_value(observation))
    if observation.interpretation:
        resource["interpretation"] = [
            {"coding": [coding(INTERPRETATION_SYSTEM, code, INTERPRETATION_DISPLAYS.get(code, ""))]}
            for code in observation.interpretation
        ]
    if observation.note:
        resource["note"] = [{"text": observation.note}]
    if observation.derived_from:
        resource["derivedFrom"] = [{"reference": observation.derived_from}]
    return resource
