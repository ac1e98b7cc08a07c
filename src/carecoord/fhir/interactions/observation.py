"""Observation: read and search (labs, vital signs, screening scores and social-needs findings).

Reads go through ``clinical.access.access_observation`` (the person's access check, audited); a search runs
inside the people the user may see, or over the people named by ``patient=`` (each access-checked: 403 for
someone the user may not see), and is audited with the ids it returned. ``code`` is ``system|code`` or a
code alone; ``category`` a category code (``system|code`` or the code: survey, sdoh, laboratory,
food-insecurity ...); ``date`` the effective time with the usual prefixes.
"""

from __future__ import annotations

from django.db.models import Q

from carecoord.clinical.access import access_observation
from carecoord.clinical.models import Observation, ObservationCategory
from carecoord.fhir.exchange import FhirRequest, FhirResponse, versioned
from carecoord.fhir.interactions.scope import patient_condition, people
from carecoord.fhir.mapping.observation import category_coding, observation_resource
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


def read(request: FhirRequest, observation_id: str) -> FhirResponse:
    return versioned(observation_resource(access_observation(request.authenticated_user, observation_id)))


def _id(_: str, value: str) -> Q:
    return Q(pk=int(value)) if value.isdigit() else Q(pk__in=[])


def _code(_: str, value: str) -> Q:
    system, code = token(value)
    if system is None:
        return Q(code=code)
    return Q(code_system=system, code=code) if system else Q(pk__in=[])


def _category(_: str, value: str) -> Q:
    system, code = token(value)
    if system and category_coding(code)["system"] != system:
        return Q(pk__in=[])
    return Q(pk__in=ObservationCategory.objects.filter(code=code).values("observation_id"))


_BUILDERS: dict[str, FilterBuilder] = {
    "_id": _id,
    "_lastUpdated": lambda _, v: date_condition("updated_at", v, name="_lastUpdated", aware=True),
    "patient": patient_condition,
    "subject": patient_condition,
    "code": _code,
    "category": _category,
    "date": lambda _, v: date_condition("effective_at", v, name="date", aware=True),
    "status": lambda _, v: Q(status=token(v)[1]),
    "derived-from": lambda _, v: Q(derived_from=v.removeprefix("/")),
}
_SORTS = {"date": ("effective_at",), "_lastUpdated": ("updated_at",)}


def search(request: FhirRequest) -> FhirResponse:
    user = request.authenticated_user
    query = parse_query(request, RESOURCE)
    scope = people(user, query, "Observation")
    rows = apply_criteria(Observation.objects.filter(scope.condition(user)), query, _BUILDERS)
    found, total = page(order(rows, query, _SORTS, ("-effective_at", "-pk")), query)
    resources = [observation_resource(o) for o in found]
    return audited_searchset(request, "Observation", query, resources, total)


RESOURCE = ResourceType(
    name="Observation",
    read=read,
    search=search,
    search_params=(
        SearchParam("patient", "reference", "The person (Patient/<id>)"),
        SearchParam("subject", "reference", "The person (Patient/<id>)"),
        SearchParam("code", "token", "system|code or code alone, e.g. http://loinc.org|44261-6 (PHQ-9 total)"),
        SearchParam("category", "token", "survey, sdoh, laboratory, vital-signs, or a social-needs domain"),
        SearchParam("date", "date", "Effective time (prefixes eq, ne, lt, le, gt, ge, sa, eb)"),
        SearchParam("status", "token", "final, amended, corrected, entered-in-error ..."),
        SearchParam("derived-from", "reference", "The QuestionnaireResponse a score or finding came from"),
        SearchParam("_lastUpdated", "date", "When the observation last changed"),
        SearchParam("_id", "token", "Logical id of the resource"),
    ),
    sorts=tuple(_SORTS),
    documentation="Labs, vital signs, screening scores and social-needs findings (read-only here). Scores and "
    "findings of a completed QuestionnaireResponse are derived from it (derivedFrom); a positive social-needs "
    "answer has categories survey, sdoh and its domain (Gravity SDOHCC) and interpretation POS.",
)
