"""Provenance (read-only): where an Encounter from the HL7 v2 ADT feed came from, one per stored message's
event that touched it (``mapping/provenance.py``).

A read goes through ``patients.access.access_patient`` for the event's person (audited as a read of the
Provenance; an unknown id as failed). A search runs inside the people the user may see, or over the people named
by ``patient=`` (each access-checked: 403 for someone the user may not see), and is audited with the ids it
returned. ``target`` takes ``Encounter/<id>``; ``recorded`` compares when the message was received, with the
FHIR prefixes; results are newest first unless sorted by ``recorded``.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from carecoord.audit.actions import not_found
from carecoord.fhir.exchange import FhirRequest, FhirResponse
from carecoord.fhir.interactions.scope import patient_condition, people
from carecoord.fhir.mapping.provenance import provenance_resource
from carecoord.fhir.registry import ResourceType, SearchParam
from carecoord.fhir.search import (
    FilterBuilder,
    apply_criteria,
    audited_searchset,
    date_condition,
    order,
    page,
    parse_query,
    reference_id,
)
from carecoord.patients.access import access_patient
from carecoord.transitions.models import AdtEvent

NOTHING = Q(pk__in=[])


def _events() -> QuerySet[AdtEvent]:
    """Events that touched an encounter, with what the mapping reads."""
    return AdtEvent.objects.filter(encounter__isnull=False).select_related("message", "retracted_by__message")


def read(request: FhirRequest, provenance_id: str) -> FhirResponse:
    user = request.authenticated_user
    event = _events().filter(pk=int(provenance_id)).first() if provenance_id.isdigit() else None
    if event is None:
        raise not_found(
            by=user,
            object_type="Provenance",
            object_id=provenance_id,
            message=f"No provenance with id {provenance_id}.",
        )
    access_patient(user, event.patient_id, object_type="Provenance", object_id=str(event.pk))
    return FhirResponse(body=provenance_resource(event))


def _target(_: str, value: str) -> Q:
    key = reference_id(value, "Encounter")
    return Q(encounter_id=int(key)) if key.isdigit() else NOTHING


_BUILDERS: dict[str, FilterBuilder] = {
    "_id": lambda _, v: Q(pk=int(v)) if v.isdigit() else NOTHING,
    "_lastUpdated": lambda _, v: date_condition("created_at", v, name="_lastUpdated", aware=True),
    "patient": patient_condition,
    "target": _target,
    "recorded": lambda _, v: date_condition("message__received_at", v, name="recorded", aware=True),
}
_SORTS = {"recorded": ("message__received_at",), "_lastUpdated": ("created_at",)}


def search(request: FhirRequest) -> FhirResponse:
    user = request.authenticated_user
    query = parse_query(request, RESOURCE)
    scope = people(user, query, "Provenance")
    rows = apply_criteria(_events().filter(scope.condition(user)), query, _BUILDERS)
    found, total = page(order(rows, query, _SORTS, ("-message__received_at",)), query)
    return audited_searchset(request, "Provenance", query, [provenance_resource(e) for e in found], total)


RESOURCE = ResourceType(
    name="Provenance",
    read=read,
    search=search,
    search_params=(
        SearchParam("target", "reference", "The Encounter the event changed (Encounter/<id>)"),
        SearchParam("patient", "reference", "The person (Patient/<id>)"),
        SearchParam("recorded", "date", "When the message was received, with prefixes eq, ne, lt, le, gt, ge, sa, eb"),
        SearchParam("_lastUpdated", "date", "When the event was recorded"),
        SearchParam("_id", "token", "Logical id of the resource"),
    ),
    sorts=tuple(_SORTS),
    documentation="Where an Encounter from the HL7 v2 ADT feed came from: one Provenance per stored message's "
    "event that changed it (admission, transfer, discharge, update, cancel). target is the Encounter, activity the "
    "trigger event (v2-0003), agent the sending facility (MSH-4), entity the stored message by its control id "
    "(MSH-10; role removal for the message that cancelled the event). Read-only.",
)
