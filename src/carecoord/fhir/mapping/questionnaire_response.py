"""FHIR QuestionnaireResponse from a stored response (or one of its versions), and paths for posted ones.

- ``questionnaire`` the canonical ``url|version`` of the definition answered;
- ``subject`` the person, ``authored`` when the answers were given, ``author`` the user who recorded them
  (Practitioner/<id> when the user is a known practitioner, else their name), ``source`` the person;
- ``item`` the normalized answers (with the answer options' displays);
- ``meta.versionId`` the response's version: every save, completion, amendment or retraction makes one, and
  each stays readable (vread).

The score is not carried here: it is in the Observations whose ``derivedFrom`` is this response.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist

from carecoord.assessments.models import QuestionnaireResponse, QuestionnaireResponseVersion

RESOURCE = "QuestionnaireResponse"


def _author(response: QuestionnaireResponse) -> dict[str, str] | None:
    user = response.author
    if user is None:
        return None
    try:
        practitioner = user.practitioner
    except ObjectDoesNotExist:
        practitioner = None
    name = user.get_full_name() or user.username
    if practitioner is not None:
        return {"reference": f"Practitioner/{practitioner.pk}", "display": name}
    return {"display": name}


def questionnaire_response_resource(
    response: QuestionnaireResponse, version: QuestionnaireResponseVersion | None = None
) -> dict[str, Any]:
    """The response as it is now, or as ``version`` of it recorded."""
    snapshot = version.snapshot if version is not None else None
    resource: dict[str, Any] = {
        "resourceType": RESOURCE,
        "id": str(response.pk),
        "meta": {
            "versionId": str(version.version if version is not None else response.version),
            "lastUpdated": (version.recorded_at if version is not None else response.updated_at).isoformat(),
        },
        "questionnaire": snapshot["questionnaire"] if snapshot else response.questionnaire.canonical,
        "status": snapshot["status"] if snapshot else response.status,
        "subject": {"reference": f"Patient/{response.patient_id}"},
        "authored": snapshot["authored"] if snapshot else response.authored.isoformat(),
    }
    author = _author(response)
    if author is not None:
        resource["author"] = author
    resource["source"] = {"reference": f"Patient/{response.patient_id}"}
    items = snapshot["items"] if snapshot else response.items
    if items:
        resource["item"] = items
    return resource


def item_expression(key: str) -> str:
    """FHIRPath of an engine error key: a linkId, or ``response`` for the resource itself."""
    if key in ("response", "questionnaire"):
        return RESOURCE
    if key in ("authored", "status", "subject", "source"):
        return f"{RESOURCE}.{key}"
    quoted = key.replace("\\", "\\\\").replace("'", "\\'")
    return f"{RESOURCE}.descendants().where(linkId = '{quoted}')"
