"""Encounter: read and search over two kinds of record served at one endpoint:

- clinical encounters (hospital stays, ED visits and observation stays from the ADT feed, and visits recorded by
  staff or FHIR; ``mapping/encounter.py``), with integer ids;
- contacts (calls, home visits, texts, collateral contacts; ``mapping/contact_encounter.py``), with ids
  ``contact-<uuid>``. Only the organization that recorded a contact sees it, and only roles that work with
  contacts (``contacts.access``); other users' searches simply hold no contacts.

A read dispatches on the id: ``contact-<uuid>`` goes through ``contacts.access.access_contact`` (another
organization's contact is 403), any other through ``patients.access.access_patient`` for the encounter's person;
both are audited as a read of the Encounter (an unknown id as failed). A search runs inside the people the user
may see, or over the people named by ``patient=`` (each access-checked: 403 for someone the user may not see),
and is audited with the ids it returned.

Each parameter is applied to both kinds; one that cannot hold for a kind leaves that kind out. ``date`` compares
the encounter's period with the FHIR prefixes (eq: the period lies within the value; ge/gt/le/lt: it overlaps
the range above or below; sa/eb: it starts after or ends before; an encounter still in progress has no end; a
contact's period is its start plus its duration). ``class`` is a v3 ActCode (``system|code`` or the code alone).
``type`` is a core service or a contact modality (contacts) or a SNOMED CT code (clinical). ``episode-of-care``
(``EpisodeOfCare/<id>``) finds the contacts of an enrollment. The results of both kinds are merged in the sort
order (default: latest first; clinical before contacts at the same instant, then by id): each kind's first
``_offset + _count`` sort keys are read, merged, and only the page's records loaded; the total is the sum.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import DateTimeField, DurationField, ExpressionWrapper, F, IntegerField, Q, QuerySet, Value
from django.db.models.functions import Cast

from carecoord.accounts.queries import as_uuid
from carecoord.audit.actions import not_found
from carecoord.clinical.models import Condition, ConditionVerificationStatus, Encounter
from carecoord.contacts.access import access_contact, visible_contacts
from carecoord.contacts.models import Contact
from carecoord.fhir.exchange import FhirRequest, FhirResponse
from carecoord.fhir.interactions.scope import patient_condition, people
from carecoord.fhir.mapping.codes import SNOMED
from carecoord.fhir.mapping.contact_encounter import (
    ID_PREFIX,
    contact_encounter_resource,
    core_service_system,
    modalities_of_class,
    modality_system,
)
from carecoord.fhir.mapping.encounter import ACT_CODE, encounter_resource
from carecoord.fhir.registry import ResourceType, SearchParam
from carecoord.fhir.search import (
    FilterBuilder,
    SearchQuery,
    apply_criteria,
    audited_searchset,
    date_condition,
    parse_query,
    reference_id,
    split_prefix,
    token,
)
from carecoord.patients.access import access_patient

NOTHING = Q(pk__in=[])


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
    if encounter_id.startswith(ID_PREFIX):
        contact = access_contact(
            user, encounter_id.removeprefix(ID_PREFIX), object_type="Encounter", object_id=encounter_id[:64]
        )
        return FhirResponse(body=contact_encounter_resource(contact))
    encounter = Encounter.objects.filter(pk=int(encounter_id)).first() if encounter_id.isdigit() else None
    if encounter is None:
        raise not_found(
            by=user, object_type="Encounter", object_id=encounter_id, message=f"No encounter with id {encounter_id}."
        )
    access_patient(user, encounter.patient_id, object_type="Encounter", object_id=str(encounter.pk))
    return FhirResponse(body=encounter_resource(encounter, _diagnoses([encounter]).get(encounter.pk, [])))


# --- search: the conditions of each kind ---------------------------------------------------------------------------


def _period(start: str, end: str, ongoing: Q) -> FilterBuilder:
    """The period against the value's range [low, high) with FHIR's prefix semantics for a Period."""

    def build(_: str, value: str) -> Q:
        prefix, text = split_prefix(value)

        def at(field: str, given_prefix: str) -> Q:
            return date_condition(field, f"{given_prefix}{text}", name="date", aware=True)

        if prefix == "eq":
            return at(start, "ge") & at(end, "le")
        if prefix == "ne":
            return ~(at(start, "ge") & at(end, "le"))
        if prefix == "gt":
            return at(end, "gt") | ongoing
        if prefix == "ge":
            return at(end, "ge") | ongoing
        if prefix == "lt":
            return at(start, "lt")
        if prefix == "le":
            return at(start, "le")
        if prefix == "sa":
            return at(start, "sa")
        return at(end, "eb")  # eb

    return build


def _class(_: str, value: str) -> Q:
    system, code = token(value)
    if system and system != ACT_CODE:
        return NOTHING
    return Q(encounter_class=code)


def _clinical_type(_: str, value: str) -> Q:
    system, code = token(value)
    return Q(type_code=code) if system in (None, SNOMED) and code else NOTHING


def _status(_: str, value: str) -> Q:
    return Q(status=token(value)[1])


_CLINICAL: dict[str, FilterBuilder] = {
    "_id": lambda _, v: Q(pk=int(v)) if v.isdigit() else NOTHING,
    "_lastUpdated": lambda _, v: date_condition("updated_at", v, name="_lastUpdated", aware=True),
    "patient": patient_condition,
    "subject": patient_condition,
    "date": _period("period_start", "period_end", Q(period_end__isnull=True)),
    "class": _class,
    "status": _status,
    "type": _clinical_type,
    "episode-of-care": lambda _, v: NOTHING,  # clinical encounters belong to no program episode
}


def _contact_id(_: str, value: str) -> Q:
    key = as_uuid(value.removeprefix(ID_PREFIX)) if value.startswith(ID_PREFIX) else None
    return Q(pk=key) if key is not None else NOTHING


def _contact_class(_: str, value: str) -> Q:
    system, code = token(value)
    if system and system != ACT_CODE:
        return NOTHING
    return Q(modality__in=modalities_of_class(code))


def _contact_type(_: str, value: str) -> Q:
    system, code = token(value)
    found = NOTHING
    if system in (None, core_service_system()) and code:
        # core_services is a JSON list of codes: the code with its quotes is one whole element
        found |= Q(core_services__icontains=f'"{code}"')
    if system in (None, modality_system()) and code:
        found |= Q(modality=code)
    return found


def _episode(_: str, value: str) -> Q:
    key = as_uuid(reference_id(value, "EpisodeOfCare"))
    return Q(enrollment_id=key) if key is not None else NOTHING


_CONTACT: dict[str, FilterBuilder] = {
    "_id": _contact_id,
    "_lastUpdated": lambda _, v: date_condition("recorded_at", v, name="_lastUpdated", aware=True),
    "patient": patient_condition,
    "subject": patient_condition,
    "date": _period("occurred_at", "period_end", NOTHING),
    "class": _contact_class,
    "status": lambda _, v: Q() if token(v)[1] == "finished" else NOTHING,
    "type": _contact_type,
    "episode-of-care": _episode,
}


def _with_period_end(rows: QuerySet[Contact]) -> QuerySet[Contact]:
    """A contact's period ends its duration after it started (minutes times a one-minute interval: the one form
    both SQLite and PostgreSQL compute)."""
    minutes = ExpressionWrapper(
        Value(datetime.timedelta(minutes=1)) * Cast("duration_minutes", IntegerField()), output_field=DurationField()
    )
    return rows.alias(period_end=ExpressionWrapper(F("occurred_at") + minutes, output_field=DateTimeField()))


# --- search: merging the two kinds ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Kind:
    rank: int  # which kind comes first at the same instant
    rows: QuerySet[Any]
    sorts: Mapping[str, str]  # sort parameter -> field
    load: Callable[[list[Any]], list[dict[str, Any]]]  # ids (in page order) -> resources


_CLINICAL_SORTS = {"date": "period_start", "_lastUpdated": "updated_at"}
_CONTACT_SORTS = {"date": "occurred_at", "_lastUpdated": "recorded_at"}


def _sort_keys(kind: _Kind, sort: list[tuple[str, bool]], limit: int) -> list[tuple[Any, ...]]:
    fields = [kind.sorts[name] for name, _ in sort]
    ordering = [f"-{f}" if descending else f for f, (_, descending) in zip(fields, sort, strict=True)]
    rows = kind.rows.order_by(*ordering, "pk").values_list(*fields, "pk")[:limit]
    return [(*row[:-1], kind.rank, row[-1]) for row in rows]


def _merged_page(kinds: list[_Kind], query: SearchQuery) -> tuple[list[dict[str, Any]], int]:
    total = sum(kind.rows.count() for kind in kinds)
    if query.count == 0 or query.offset >= total:
        return [], total
    sort = query.sort or [("date", True)]
    limit = query.offset + query.count
    keys = [key for kind in kinds for key in _sort_keys(kind, sort, limit)]
    # stable sorts, least significant first: kind and id, then each sort parameter from the last to the first
    keys.sort(key=lambda k: (k[-2], k[-1]))
    for position in reversed(range(len(sort))):
        keys.sort(key=lambda k, p=position: k[p], reverse=sort[position][1])  # type: ignore[misc]
    chosen = keys[query.offset : limit]
    resources: dict[tuple[int, Any], dict[str, Any]] = {}
    for kind in kinds:
        ids = [k[-1] for k in chosen if k[-2] == kind.rank]
        resources.update(((kind.rank, key), r) for key, r in zip(ids, kind.load(ids), strict=True))
    return [resources[(k[-2], k[-1])] for k in chosen], total


def _clinical_resources(ids: list[Any]) -> list[dict[str, Any]]:
    found = Encounter.objects.in_bulk(ids)
    diagnoses = _diagnoses(list(found.values()))
    return [encounter_resource(found[key], diagnoses.get(key, [])) for key in ids]


def search(request: FhirRequest) -> FhirResponse:
    user = request.authenticated_user
    query = parse_query(request, RESOURCE)
    scope = people(user, query, "Encounter")
    clinical = apply_criteria(Encounter.objects.filter(scope.condition(user)), query, _CLINICAL)
    contacts = visible_contacts(user)
    contacts = apply_criteria(_with_period_end(contacts.filter(scope.condition(user))), query, _CONTACT)
    kinds = [
        _Kind(0, clinical, _CLINICAL_SORTS, _clinical_resources),
        _Kind(
            1, contacts, _CONTACT_SORTS, lambda ids: [contact_encounter_resource(c) for c in _in_order(contacts, ids)]
        ),
    ]
    resources, total = _merged_page(kinds, query)
    return audited_searchset(request, "Encounter", query, resources, total)


def _in_order(rows: QuerySet[Contact], ids: list[Any]) -> list[Contact]:
    found = rows.in_bulk(ids)
    return [found[key] for key in ids]


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
        SearchParam(
            "type",
            "token",
            "A core service ({base}/CodeSystem/core-service) or contact modality ({base}/CodeSystem/contact-modality) "
            "of a contact, or a SNOMED CT type of a clinical encounter",
        ),
        SearchParam("episode-of-care", "reference", "The program episode of a contact (EpisodeOfCare/<id>)"),
        SearchParam("_lastUpdated", "date", "When the encounter last changed"),
        SearchParam("_id", "token", "Logical id of the resource"),
    ),
    sorts=tuple(_CLINICAL_SORTS),
    documentation="Hospital stays, ED visits and observation stays (most from the HL7 v2 ADT feed, identified by "
    "their visit number) and visits recorded by staff, with integer ids; diagnoses reference the encounter's "
    "Conditions. Care management contacts (calls, home visits, texts, collateral contacts) with ids "
    "contact-<uuid>: class by modality (AMB in person, HH home visit, VR otherwise), type the core services "
    "delivered and the modality, length the minutes, episodeOfCare the enrollment; read-only, shown only to the "
    "organization that recorded them. A search returns both kinds merged in date order.",
)
