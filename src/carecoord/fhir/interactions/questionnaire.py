"""Questionnaire: read, search and create (``assessments.actions.create_questionnaire``).

Every signed-in user sees the built-in instruments and their own organization's questionnaires (a definition
is not about a person: reads are not audited); another organization's is not found. Built-ins are read-only.
Create is for an organization administrator: the posted Questionnaire is checked by the questionnaire engine
(every problem named by linkId) and may say who fills it in with the extension
``{base}/StructureDefinition/questionnaire-capability`` (valueCode behavioral_screening, social_screening or
comprehensive_assessment, the default).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from fhir.resources.R4B.questionnaire import Questionnaire as QuestionnaireModel

from carecoord.accounts.permissions import Capability
from carecoord.assessments.access import access_questionnaire
from carecoord.assessments.actions import create_questionnaire
from carecoord.assessments.queries import questionnaires_for
from carecoord.fhir.exchange import FhirRequest, FhirResponse, versioned
from carecoord.fhir.interactions.organization import id_condition
from carecoord.fhir.mapping.codes import base_url
from carecoord.fhir.mapping.questionnaire import questionnaire_resource
from carecoord.fhir.outcome import bad_request, domain_paths
from carecoord.fhir.registry import ResourceType, SearchParam
from carecoord.fhir.search import (
    FilterBuilder,
    apply_criteria,
    date_condition,
    order,
    page,
    parse_query,
    searchset,
    token,
)


def capability_url() -> str:
    return f"{base_url()}/StructureDefinition/questionnaire-capability"


def read(request: FhirRequest, questionnaire_id: str) -> FhirResponse:
    return versioned(questionnaire_resource(access_questionnaire(request.authenticated_user, questionnaire_id)))


def _expression(key: str) -> str:
    if key in ("url", "title", "status", "version", "name"):
        return f"Questionnaire.{key}"
    if key in ("questionnaire", "capability"):
        return "Questionnaire"
    quoted = key.replace("\\", "\\\\").replace("'", "\\'")
    return f"Questionnaire.descendants().where(linkId = '{quoted}')"


def _capability(resource: dict[str, Any]) -> str:
    for extension in resource.get("extension") or []:
        if extension.get("url") == capability_url():
            value = extension.get("valueCode")
            if value not in (
                Capability.BEHAVIORAL_SCREENING,
                Capability.SOCIAL_SCREENING,
                Capability.COMPREHENSIVE_ASSESSMENT,
            ):
                raise bad_request(
                    "questionnaire-capability is behavioral_screening, social_screening or comprehensive_assessment.",
                    expression="Questionnaire.extension",
                    issue_code="code-invalid",
                )
            return str(value)
    return Capability.COMPREHENSIVE_ASSESSMENT


def create(request: FhirRequest) -> FhirResponse:
    user = request.authenticated_user
    resource = request.resource("Questionnaire", QuestionnaireModel)
    capability = _capability(resource)
    with domain_paths(_expression):
        definition = create_questionnaire(resource=resource, by=user, capability=capability)
    return versioned(
        questionnaire_resource(definition), status=201, location=f"{request.base}/Questionnaire/{definition.pk}"
    )


def _string(field_name: str) -> FilterBuilder:
    def build(modifier: str, value: str) -> Q:
        if modifier == "exact":
            return Q(**{field_name: value})
        lookup = "icontains" if modifier == "contains" else "istartswith"
        return Q(**{f"{field_name}__{lookup}": value})

    return build


def _url(_: str, value: str) -> Q:
    url, _, version = value.partition("|")
    return Q(url=url, version=version) if version else Q(url=url)


def _code(_: str, value: str) -> Q:
    system, code = token(value)
    if system not in (None, "", "http://loinc.org"):
        return Q(pk__in=[])
    return Q(code=code)


_BUILDERS: dict[str, FilterBuilder] = {
    "_id": id_condition,
    "_lastUpdated": lambda _, v: date_condition("updated_at", v, name="_lastUpdated", aware=True),
    "url": _url,
    "code": _code,
    "status": lambda _, v: Q(status=token(v)[1]),
    "name": _string("name"),
    "title": _string("title"),
    "version": lambda _, v: Q(version=token(v)[1]),
}
_SORTS = {"title": ("title",), "name": ("name",), "_lastUpdated": ("updated_at",)}


def search(request: FhirRequest) -> FhirResponse:
    user = request.authenticated_user
    query = parse_query(request, RESOURCE)
    rows = apply_criteria(questionnaires_for(user.organization_id), query, _BUILDERS)
    found, total = page(order(rows, query, _SORTS, ("title", "version")), query)
    body = searchset(request, "Questionnaire", query, [questionnaire_resource(q) for q in found], total)
    return FhirResponse(body=body)


RESOURCE = ResourceType(
    name="Questionnaire",
    read=read,
    search=search,
    create=create,
    search_params=(
        SearchParam("url", "uri", "Canonical url (url|version for one version)"),
        SearchParam("code", "token", "Questionnaire.code, e.g. the LOINC panel code (44249-1 for PHQ-9)"),
        SearchParam("status", "token", "draft, active or retired"),
        SearchParam("name", "string", "Computer-friendly name (starts with; :contains, :exact)"),
        SearchParam("title", "string", "Title (starts with; :contains, :exact)"),
        SearchParam("version", "token", "Business version"),
        SearchParam("_id", "token", "Logical id of the resource"),
    ),
    sorts=tuple(_SORTS),
    documentation="Built-in screening instruments (PHQ-2, PHQ-9, GAD-2, GAD-7, AUDIT-C, DAST-10, Hunger Vital Sign, "
    "AHC HRSN core and supplemental, NY HRSN 12, PRAPARE, comprehensive assessment; read-only, url "
    "http://loinc.org/q/<panel> and LOINC item codes as linkIds) and the organization's own. Create (an "
    "organization administrator) adds a custom questionnaire; its url must not be a built-in's.",
)
