"""QuestionnaireResponse: create, read, vread and search, through the person's access check.

A posted response names its person (``subject``: Patient/<id>) and its questionnaire (``questionnaire``: a
canonical url, ``url|version``, or Questionnaire/<id>; built-ins and the user's organization's own), with status
``completed`` or ``in-progress``. It goes through the same actions as one entered in CareCoord
(``complete_response`` / ``save_response_draft``): checked by the questionnaire engine, scored, its Observations
recorded (findable at once by ``code``), its flags acted on. An answer that is not valid (unknown linkId, an
answer outside the item's value set, the wrong type, a required item left out) is a 400 OperationOutcome naming
the item by linkId in ``diagnostics`` and ``expression``.
"""

from __future__ import annotations

import datetime
from typing import Any

import orjson
from django.db.models import Q
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse as ResponseModel

from carecoord.accounts.models import User
from carecoord.accounts.queries import as_uuid
from carecoord.assessments.access import access_questionnaire, access_response
from carecoord.assessments.actions import complete_response, save_response_draft
from carecoord.assessments.models import QuestionnaireDefinition, QuestionnaireResponse, ResponseSource
from carecoord.assessments.queries import find_questionnaire
from carecoord.audit.models import AuditAction
from carecoord.common.errors import NotFound
from carecoord.fhir.exchange import FhirRequest, FhirResponse, versioned
from carecoord.fhir.interactions.organization import id_condition
from carecoord.fhir.interactions.scope import body_reference, patient_condition, people
from carecoord.fhir.mapping.questionnaire_response import item_expression, questionnaire_response_resource
from carecoord.fhir.outcome import FhirError, bad_request, domain_paths, issue
from carecoord.fhir.registry import ResourceType, SearchParam
from carecoord.fhir.search import (
    FilterBuilder,
    apply_criteria,
    audited_searchset,
    date_condition,
    order,
    page,
    parse_query,
    token,
)
from carecoord.patients.access import access_patient

CREATE_STATUSES = ("completed", "in-progress")


def read(request: FhirRequest, response_id: str) -> FhirResponse:
    return versioned(questionnaire_response_resource(access_response(request.authenticated_user, response_id)))


def vread(request: FhirRequest, response_id: str, version_id: str) -> FhirResponse:
    response = access_response(request.authenticated_user, response_id)
    version = response.versions.filter(version=int(version_id)).first() if version_id.isdigit() else None
    if version is None:
        raise NotFound(f"QuestionnaireResponse {response_id} has no version {version_id}.")
    return versioned(questionnaire_response_resource(response, version))


# --- create ------------------------------------------------------------------------------------------------------


def _body(request: FhirRequest) -> dict[str, Any]:
    """The posted resource, structure-checked; a structure problem inside an item names the item's linkId."""
    try:
        return request.resource("QuestionnaireResponse", ResponseModel)
    except FhirError as error:
        try:
            data = orjson.loads(request.body)
        except orjson.JSONDecodeError:
            raise error from None
        error.issues = [_named(problem, data) for problem in error.issues]
        raise


def _named(problem: dict[str, Any], data: Any) -> dict[str, Any]:
    """The issue with the linkId of the innermost item its expression points into, if any."""
    expression = (problem.get("expression") or [""])[0]
    node, link_id = data, None
    for part in expression.split(".")[1:]:
        name, _, index = part.partition("[")
        node = node.get(name) if isinstance(node, dict) else None
        if index and isinstance(node, list):
            position = int(index.rstrip("]"))
            node = node[position] if position < len(node) else None
        if name == "item" and isinstance(node, dict) and isinstance(node.get("linkId"), str):
            link_id = node["linkId"]
    if link_id is None:
        return problem
    named = issue(problem["code"], f"{link_id}: {problem['diagnostics']}", expression=expression)
    named["expression"].append(item_expression(link_id))
    return named


def _questionnaire(user: User, resource: dict[str, Any], base: str) -> QuestionnaireDefinition:
    canonical = resource.get("questionnaire")
    if not isinstance(canonical, str) or not canonical:
        raise bad_request(
            "Give QuestionnaireResponse.questionnaire: the questionnaire's canonical url.",
            expression="QuestionnaireResponse.questionnaire",
            issue_code="required",
        )
    reference = canonical.removeprefix(base + "/")
    if reference.startswith("Questionnaire/"):
        return access_questionnaire(user, reference.removeprefix("Questionnaire/"))
    found = find_questionnaire(canonical, user.organization_id)
    if found is None:
        raise bad_request(
            f"No questionnaire {canonical} is known here (built-in or your organization's).",
            expression="QuestionnaireResponse.questionnaire",
            issue_code="not-found",
        )
    return found


def _authored(value: Any) -> datetime.datetime | None:
    if value is None:
        return None
    text = str(value)
    try:
        parsed = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is None or "T" not in text or parsed.tzinfo is None:
        raise bad_request(
            f"QuestionnaireResponse.authored must be a date and time with a time zone, not {text!r}.",
            expression="QuestionnaireResponse.authored",
            issue_code="value",
        )
    return parsed


def create(request: FhirRequest) -> FhirResponse:
    user = request.authenticated_user
    resource = _body(request)
    status = resource.get("status")
    if status not in CREATE_STATUSES:
        raise bad_request(
            f"A new QuestionnaireResponse is completed or in-progress, not {status!r}.",
            expression="QuestionnaireResponse.status",
            issue_code="value",
        )
    subject = body_reference(resource.get("subject"), "QuestionnaireResponse.subject", ("Patient",), request.base)
    if subject is None:
        raise bad_request(
            "QuestionnaireResponse.subject must reference Patient/<id>.",
            expression="QuestionnaireResponse.subject",
            issue_code="required",
        )
    definition = _questionnaire(user, resource, request.base)
    authored = _authored(resource.get("authored"))
    patient = access_patient(user, subject[1], action=AuditAction.CREATE, object_type="QuestionnaireResponse")
    answers = {"item": resource.get("item") or [], "questionnaire": definition.url}
    write = complete_response if status == "completed" else save_response_draft
    with domain_paths(item_expression):
        response = write(
            patient=patient,
            questionnaire=definition,
            resource=answers,
            by=user,
            authored=authored,
            source=ResponseSource.FHIR,
        )
    return versioned(
        questionnaire_response_resource(response),
        status=201,
        location=f"{request.base}/QuestionnaireResponse/{response.pk}/_history/{response.version}",
    )


# --- search ------------------------------------------------------------------------------------------------------


def _questionnaire_condition(_: str, value: str) -> Q:
    if value.startswith("Questionnaire/"):
        key = as_uuid(value.removeprefix("Questionnaire/"))
        return Q(questionnaire_id=key) if key else Q(pk__in=[])
    url, _, version = value.partition("|")
    return Q(questionnaire__url=url, questionnaire__version=version) if version else Q(questionnaire__url=url)


_BUILDERS: dict[str, FilterBuilder] = {
    "_id": id_condition,
    "_lastUpdated": lambda _, v: date_condition("updated_at", v, name="_lastUpdated", aware=True),
    "patient": patient_condition,
    "subject": patient_condition,
    "questionnaire": _questionnaire_condition,
    "authored": lambda _, v: date_condition("authored", v, name="authored", aware=True),
    "status": lambda _, v: Q(status=token(v)[1]),
}
_SORTS = {"authored": ("authored",), "_lastUpdated": ("updated_at",)}


def search(request: FhirRequest) -> FhirResponse:
    user = request.authenticated_user
    query = parse_query(request, RESOURCE)
    scope = people(user, query, "QuestionnaireResponse")
    rows = apply_criteria(QuestionnaireResponse.objects.filter(scope.condition(user)), query, _BUILDERS)
    rows = rows.select_related("questionnaire", "author__practitioner")
    found, total = page(order(rows, query, _SORTS, ("-authored",)), query)
    resources = [questionnaire_response_resource(r) for r in found]
    return audited_searchset(request, "QuestionnaireResponse", query, resources, total)


RESOURCE = ResourceType(
    name="QuestionnaireResponse",
    read=read,
    vread=vread,
    search=search,
    create=create,
    search_params=(
        SearchParam("patient", "reference", "The person (Patient/<id>)"),
        SearchParam("subject", "reference", "The person (Patient/<id>)"),
        SearchParam(
            "questionnaire", "reference", "The questionnaire: canonical url (url|version) or Questionnaire/<id>"
        ),
        SearchParam("authored", "date", "When the answers were given (prefixes eq, ne, lt, le, gt, ge, sa, eb)"),
        SearchParam("status", "token", "in-progress, completed, amended, entered-in-error or stopped"),
        SearchParam("_lastUpdated", "date", "When the response last changed"),
        SearchParam("_id", "token", "Logical id of the resource"),
    ),
    sorts=tuple(_SORTS),
    documentation="Answers to a questionnaire. Create with status completed (scored; the score and each positive "
    "social-needs answer become Observations derived from the response; safety, screening, referral and "
    "follow-up tasks follow the configured rules) or in-progress (a draft). Answers are checked against the "
    "questionnaire: errors name the item's linkId. Every change keeps a version (vread).",
)
