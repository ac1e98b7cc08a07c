"""FHIR Questionnaire from a stored questionnaire definition.

The stored JSON is the definition as written (built-ins from ``assessments/instruments``, custom ones as their
organization uploaded them); the mapping adds our id, ``meta`` (versionId = the definition's revision) and the
status in force (a retired custom questionnaire says so).
"""

from __future__ import annotations

from typing import Any

from carecoord.assessments.models import QuestionnaireDefinition


def questionnaire_resource(definition: QuestionnaireDefinition) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": str(definition.pk),
        "meta": {"versionId": str(definition.revision), "lastUpdated": definition.updated_at.isoformat()},
    }
    resource.update((k, v) for k, v in definition.resource.items() if k not in ("resourceType", "id", "meta"))
    resource["status"] = definition.status
    return resource
