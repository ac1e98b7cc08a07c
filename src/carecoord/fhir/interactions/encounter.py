"""Encounter: read and search (hospital stays, ED visits and observation stays from the ADT feed, and visits
recorded by staff or FHIR).

A read goes through ``patients.access.access_patient`` for the encounter's person (audited as a read of the
Encounter; an unknown id is audited as failed). A search runs inside the people the user may see, or over the
people named by ``patient=`` (each access-checked: 403 for someone the user may not see), and is audited with
the ids it returned. ``date`` compares the encounter's period with the FHIR prefixes (eq: the period lies within
the value; ge/gt/le/lt: it overlaps the range above or below; sa/eb: it starts after or ends before; an
encounter still in progress has no end). ``class`` is a v3 ActCode (``system|code`` or the code alone).
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Q

from carecoord.audit.actions import record
from carecoord.audit.models import AuditAction, AuditOutcome
from carecoord.clinical.models import Condition, ConditionVerificationStatus, Encounter
from carecoord.common.errors import NotFound
from carecoord.fhir.exchange import FhirRequest, FhirResponse
from carecoord.fhir.interactions.scope import patient_condition, people
from carecoord.fhir.mapping.encounter import ACT_CODE, encounter_resource
from carecoord.fhir.registry import ResourceType, SearchParam
from carecoord.fhir.search import (
    FilterBuilder,
    apply_criteria,
    audited_searchset,
    date_condition,
    order,
    page,
    parse_query,
    split_prefix,
    token,
)
from carecoord.patients.access import access_patient


def _diagnoses(encounters: list[Encounter]) -> dict[int, list[Condition]]:
    found: dict[int, list[Condition]] = defaultdict(list)
    rows = (
        Condition.objects.filter(encounter__in=encounters)
        .exclude(verification_status=ConditionVerificationStatus.ENTERED_IN_ERROR)
        .order_by("pk")
    )
    for condition in rows:
        assert condition.encounter_id is not None
        found[condition.encounter_id].append(condition)
    return found


def read(request: FhirRequest, encounter_id: str) -> FhirResponse:
    user = request.authenticated_user
    encounter = Encounter.objects.filter(pk=int(encounter_id)).first() if encounter_id.isdigit() else None
    if encounter is None:
        record(
            by=user,
            action=AuditAction.READ,
            object_type="Encounter",
            object_id=encounter_id[:64],
            outcome=AuditOutcome.FAILED,
            detail={"reason": "not-found"},
        )
        raise NotFound(f"No encounter with id {encounter_id}.")
    access_patient(user, encounter.patient_id, object_type="Encounter", object_id=str(encounter.pk))
    return FhirResponse(body=encounter_resource(encounter, _diagnoses([encounter]).get(encounter.pk, [])))


def _id(_: str, value: str) -> Q:
    return Q(pk=int(value)) if value.isdigit() else Q(pk__in=[])


def _class(_: str, value: str) -> Q:
    system, code = token(value)
    if system and system != ACT_CODE:
        return Q(pk__in=[])
    return Q(encounter_class=code)


def _date(_: str, value: str) -> Q:
    """The period against the value's range [low, high) with FHIR's prefix semantics for a Period."""
    prefix, text = split_prefix(value)

    def at(field: str, given_prefix: str) -> Q:
        return date_condition(field, f"{given_prefix}{text}", name="date", aware=True)

    ongoing = Q(period_end__isnull=True)
    if prefix == "eq":
        return at("period_start", "ge") & at("period_end", "le")
    if prefix == "ne":
        return ~(at("period_start", "ge") & at("period_end", "le"))
    if prefix == "gt":
        return at("period_end", "gt") | ongoing
    if prefix == "ge":
        return at("period_end", "ge") | ongoing
    if prefix == "lt":
        return at("period_start", "lt")
    if prefix == "le":
        return at("period_start", "le")
    if prefix == "sa":
        return at("period_start", "sa")
    return at("period_end", "eb")  # eb


_BUILDERS: dict[str, FilterBuilder] = {
    "_id": _id,
    "_lastUpdated": lambda _, v: date_condition("updated_at", v, name="_lastUpdated", aware=True),
    "patient": patient_condition,
    "subject": patient_condition,
    "date": _date,
    "class": _class,
    "status": lambda _, v: Q(status=token(v)[1]),
}
_SORTS = {"date": ("period_start",), "_lastUpdated": ("updated_at",)}


def search(request: FhirRequest) -> FhirResponse:
    user = request.authenticated_user
    query = parse_query(request, RESOURCE)
    scope = people(user, query, "Encounter")
    rows = apply_criteria(Encounter.objects.filter(scope.condition(user)), query, _BUILDERS)
    found, total = page(order(rows, query, _SORTS, ("-period_start", "-pk")), query)
    diagnoses = _diagnoses(found)
    resources = [encounter_resource(e, diagnoses.get(e.pk, [])) for e in found]
    return audited_searchset(request, "Encounter", query, resources, total)


RESOURCE = ResourceType(
    name="Encounter",
    read=read,
    search=search,
    search_params=(
        SearchParam("patient", "reference", "The person (Patient/<id>)"),
        SearchParam("subject", "reference", "The person (Patient/<id>)"),
        SearchParam("date", "date", "The period, compared with prefixes eq, ne, lt, le, gt, ge, sa, eb"),
        SearchParam("class", "token", "v3 ActCode: IMP, EMER, OBSENC, AMB, HH, VR"),
        SearchParam("status", "token", "planned, in-progress, finished, cancelled, entered-in-error ..."),
        SearchParam("_lastUpdated", "date", "When the encounter last changed"),
        SearchParam("_id", "token", "Logical id of the resource"),
    ),
    sorts=tuple(_SORTS),
    documentation="Hospital stays, ED visits and observation stays (most from the HL7 v2 ADT feed, identified by "
    "their visit number) and visits recorded by staff; diagnoses reference the encounter's Conditions.",
)
