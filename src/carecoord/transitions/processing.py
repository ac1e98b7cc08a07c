"""Turning stored ADT messages into events and encounters, one person at a time and in the order received.

A worker claims messages with a compare-and-swap update (``received`` → ``processing`` naming the worker);
only the earliest waiting message of each person (``patient_key``) can be claimed, so a person's messages
apply in order. Processing a message happens in one transaction that ends by moving it from ``processing``
(still claimed by this worker) to ``processed``: a worker killed mid-way leaves nothing applied, and the claim
is released after ``claim_timeout`` for another worker. A message that already produced events is never
applied again.

What each trigger event does (encounters through ``clinical.actions`` with ``by=None``, source ``hl7v2``):
A01/A04/A05 start (or restate) the visit named by PV1-19; A02 moves it; A03 finishes it; A06/A07/A08 update
it; A11/A12/A13 retract exactly what the latest admission, transfer or discharge of that visit changed; A31
records the demographics the hospital sent (the registry is not overwritten by a feed); A40 moves the merged
identifiers to the surviving person. Other events are stored and marked ``ignored``.
"""

from __future__ import annotations

import datetime
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import close_old_connections, connection, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from carecoord.audit.actions import deferred_appends
from carecoord.clinical.actions import (
    ConditionData,
    EncounterData,
    record_condition,
    record_encounter,
    update_condition_status,
    update_encounter,
)
from carecoord.clinical.codes import looks_like
from carecoord.clinical.models import (
    ICD10CM,
    SNOMED,
    Condition,
    ConditionCategory,
    ConditionClinicalStatus,
    ConditionVerificationStatus,
    Encounter,
    EncounterClass,
    EncounterStatus,
    RecordSource,
)
from carecoord.common import sql
from carecoord.common.errors import DomainError
from carecoord.common.middleware import origin
from carecoord.common.text import fold
from carecoord.hl7v2.messages import read_block
from carecoord.patients.models import IdentifierKind, Patient, PatientIdentifier
from carecoord.programs.models import Enrollment, EnrollmentStatus
from carecoord.transitions.adt import AdtContent, read_adt
from carecoord.transitions.alerts import ALERT_KINDS, on_events
from carecoord.transitions.config import WorkerConfig
from carecoord.transitions.models import (
    CANCELLED_KINDS,
    WAITING_STATUSES,
    AdtEvent,
    AdtMessage,
    AdtPatientLink,
    EventKind,
    MessageStatus,
)

log = logging.getLogger(__name__)

_CIN = re.compile(r"^[A-Z]{2}\d{5}[A-Z]$")
_MBI = re.compile(r"^[1-9][A-Z][A-Z0-9]\d[A-Z][A-Z0-9]\d[A-Z]{2}\d{2}$")
_SEX = {"M": "male", "F": "female", "O": "other", "A": "other", "N": "other", "U": "unknown"}
_OBSERVATION = {"OBS", "OBSERVATION", "OBV"}
_PRIORITY = {"E": "EM", "A": "EM", "U": "UR", "C": "EL", "R": "R"}
_ADMIT_SOURCE = {"1": "mp", "2": "outp", "3": "gp", "4": "hosp-trans", "5": "nursing", "6": "other", "7": "emd"}
_DISPOSITION = {
    1: "home",
    2: "other-hcf",
    3: "snf",
    4: "long",
    5: "other-hcf",
    6: "home",
    7: "aadvice",
    20: "exp",
    40: "exp",
    41: "exp",
    42: "exp",
    43: "other-hcf",
    50: "hosp",
    51: "hosp",
    61: "snf",
    62: "rehab",
    63: "long",
    64: "snf",
    65: "psy",
    66: "other-hcf",
}
_ICD10_SYSTEMS = {"I10", "ICD10", "I10C", "ICD10CM", "ICD-10-CM", "I10-CM"}
_SNOMED_SYSTEMS = {"SCT", "SNM", "SNM3", "SNOMED", "SNOMEDCT", "SNOMED-CT"}
_SNAPSHOT_FIELDS = (
    "encounter_class",
    "status",
    "service",
    "priority",
    "admit_source",
    "discharge_disposition",
    "period_start",
    "period_end",
    "facility_name",
    "reason_text",
)


def content_of(message: AdtMessage) -> AdtContent:
    """What a stored message says (read again from its bytes, the one source of truth)."""
    block = read_block(bytes(message.raw))
    received = block.messages[0]
    return read_adt(received.text, received.header)


# Matching ---------------------------------------------------------------------------------------------------------


@dataclass
class _Identifiers:
    """Who the identifiers in some messages name in the registry, read in three statements for all of them."""

    links: dict[tuple[str, str], Any] = field(default_factory=dict)  # (authority, value) → patient id
    by_kind: dict[tuple[str, str], set[Any]] = field(default_factory=dict)  # (kind, value) → patient ids
    by_system: dict[tuple[str, str], set[Any]] = field(default_factory=dict)  # (system, value) → patient ids

    @classmethod
    def load(cls, contents: list[AdtContent]) -> _Identifiers:
        found = cls()
        values = {identifier.value for content in contents for identifier in content.identifiers}
        if not values:
            return found
        links = AdtPatientLink.objects.filter(identifier__in=values)
        for authority, value, patient_id in links.values_list("authority", "identifier", "patient_id"):
            found.links[(authority, value)] = patient_id
        kinds = [IdentifierKind.MEDICAID_CIN, IdentifierKind.MEDICARE_MBI]
        uppercase = {value.upper() for value in values}
        rows = PatientIdentifier.objects.filter(kind__in=kinds, value__in=uppercase)
        for kind, value, patient_id in rows.values_list("kind", "value", "patient_id"):
            found.by_kind.setdefault((kind, value), set()).add(patient_id)
        systems = {
            system
            for content in contents
            for identifier in content.identifiers
            for system in (identifier.authority, f"urn:oid:{identifier.authority}")
        }
        rows = PatientIdentifier.objects.filter(system__in=systems, value__in=values)
        for system, value, patient_id in rows.values_list("system", "value", "patient_id"):
            found.by_system.setdefault((system, value), set()).add(patient_id)
        return found

    def people(self, content: AdtContent) -> set[Any]:
        """The people the message's identifiers name: a link from an earlier review, a Medicaid CIN or Medicare
        MBI, an identifier whose system is the assigning authority."""
        found: set[Any] = set()
        for identifier in content.identifiers:
            linked = self.links.get((identifier.authority, identifier.value))
            if linked is not None:
                found.add(linked)
            value = identifier.value.upper()
            if identifier.type_code in ("MA", "MCD") or _CIN.match(value):
                found |= self.by_kind.get((IdentifierKind.MEDICAID_CIN, value), set())
            if identifier.type_code in ("MC", "MCR") or _MBI.match(value):
                found |= self.by_kind.get((IdentifierKind.MEDICARE_MBI, value), set())
            for system in (identifier.authority, f"urn:oid:{identifier.authority}"):
                found |= self.by_system.get((system, identifier.value), set())
        return found


def match_patient(
    content: AdtContent, *, identifiers: _Identifiers | None = None, people: dict[Any, Patient] | None = None
) -> tuple[Patient | None, str]:
    """The registry's person for a message, or None and why: by identifiers first (a link from an earlier
    review, a Medicaid CIN or Medicare MBI, an identifier whose system is the assigning authority), then by
    exact name, birth date and sex when exactly one person has them. ``identifiers`` and ``people``: what a
    batch read ahead for all its messages."""
    found = (identifiers or _Identifiers.load([content])).people(content)
    if len(found) > 1:
        return None, "The message's identifiers name different people in the registry."
    if found:
        patient_id = found.pop()
        known = (people or {}).get(patient_id)
        return (known if known is not None else Patient.objects.get(pk=patient_id)), "identifier"
    sex = _SEX.get(content.sex[:1], "")
    if not (content.family_name and content.given_names and content.birth_date and sex):
        return None, "No identifier matched, and the message lacks the name, birth date or sex to match on."
    first_given = fold(content.given_names).split()[:1]
    candidates = [
        person
        for person in Patient.objects.filter(
            family_folded=fold(content.family_name), birth_date=content.birth_date, sex=sex
        )
        if person.given_folded.split()[:1] == first_given
    ]
    if len(candidates) == 1:
        return candidates[0], "demographics"
    if candidates:
        return None, f"{len(candidates)} people share this name, birth date and sex."
    return None, "No one in the registry has these identifiers, or this name, birth date and sex."


# Encounters ---------------------------------------------------------------------------------------------------------


def _encounter_class(content: AdtContent) -> str:
    if content.patient_type in _OBSERVATION or content.patient_class in _OBSERVATION:
        return EncounterClass.OBSERVATION
    if content.patient_class == "E":
        return EncounterClass.EMERGENCY
    if content.patient_class in ("I", "P"):
        return EncounterClass.INPATIENT
    return EncounterClass.AMBULATORY


def _disposition(code: str) -> str:
    if not code:
        return ""
    try:
        return _DISPOSITION.get(int(code), "oth")
    except ValueError:
        return "oth"


def _snapshot(encounter: Encounter) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in _SNAPSHOT_FIELDS:
        value = getattr(encounter, name)
        values[name] = value.isoformat() if isinstance(value, datetime.datetime) else value
    return values


def _data_from(encounter: Encounter, changes: dict[str, Any]) -> EncounterData:
    values = _snapshot(encounter) | changes
    for name in ("period_start", "period_end"):
        if isinstance(values[name], str):
            values[name] = datetime.datetime.fromisoformat(values[name])
    return EncounterData(
        **values,
        type_code=encounter.type_code,
        type_display=encounter.type_display,
        facility_organization=encounter.facility_organization,
        source=encounter.source,
        source_identifier=encounter.source_identifier,
    )


def _find_encounter(patient: Patient, content: AdtContent, ahead: ReadAhead | None) -> Encounter | None:
    if content.visit_number and ahead is not None and ahead.knows(patient):
        return ahead.encounters.get((patient.pk, content.visit_number))
    encounters = Encounter.objects.filter(patient=patient, source=RecordSource.HL7V2)
    if content.visit_number:
        return encounters.filter(source_identifier=content.visit_number).first()
    # No visit number: the person's latest open visit at the facility.
    return (
        encounters.filter(
            facility_name=content.facility,
            status__in=[EncounterStatus.IN_PROGRESS, EncounterStatus.PLANNED, EncounterStatus.ARRIVED],
        )
        .order_by("-period_start", "-pk")
        .first()
    )


def _visit_changes(content: AdtContent, message: AdtMessage) -> dict[str, Any]:
    """The encounter fields the message gives (fields it leaves empty are not in the result)."""
    changes: dict[str, Any] = {}
    if content.patient_class or content.patient_type:
        changes["encounter_class"] = _encounter_class(content)
    if content.hospital_service:
        changes["service"] = content.hospital_service.lower()
    if _PRIORITY.get(content.admission_type[:1]):
        changes["priority"] = _PRIORITY[content.admission_type[:1]]
    if content.admit_source:
        changes["admit_source"] = _ADMIT_SOURCE.get(content.admit_source.lstrip("0"), "other")
    if content.facility:
        changes["facility_name"] = content.facility
    reason = content.reason or (content.diagnoses[0]["display"] if content.diagnoses else "")
    if reason:
        changes["reason_text"] = reason[:500]
    if content.admitted_at:
        changes["period_start"] = content.admitted_at
    return changes


def _when(content: AdtContent, message: AdtMessage) -> datetime.datetime:
    return content.recorded_at or message.received_at


def _record_diagnoses(
    patient: Patient, encounter: Encounter, content: AdtContent, ahead: ReadAhead | None, *, created: bool
) -> list[int]:
    """DG1 diagnoses coded in ICD-10-CM or SNOMED CT, as encounter diagnoses (once per code and encounter)."""
    made = []
    known = ahead is not None and ahead.knows(patient)
    for diagnosis in content.diagnoses:
        system_name = diagnosis["system"].upper().replace(" ", "")
        system = ICD10CM if system_name in _ICD10_SYSTEMS else SNOMED if system_name in _SNOMED_SYSTEMS else ""
        code = diagnosis["code"].strip().upper()
        if not system or not looks_like(system, code):
            continue
        if known:  # read ahead (an encounter this message created has none yet)
            assert ahead is not None
            exists = not created and (patient.pk, encounter.pk, code, system) in ahead.diagnosed
        else:
            exists = (
                Condition.objects.filter(patient=patient, encounter=encounter, code=code, code_system=system)
                .exclude(verification_status=ConditionVerificationStatus.ENTERED_IN_ERROR)
                .exists()
            )
        if exists:
            continue
        condition = record_condition(
            patient=patient,
            data=ConditionData(
                code_system=system,
                code=code,
                display=diagnosis["display"][:300],
                category=ConditionCategory.ENCOUNTER_DIAGNOSIS,
                encounter=encounter,
                source=RecordSource.HL7V2,
            ),
            by=None,
        )
        made.append(condition.pk)
        if known:
            assert ahead is not None
            ahead.diagnosed.add((patient.pk, encounter.pk, code, system))
    return made


def _start_kind(trigger: str, encounter_class: str) -> str:
    if trigger == "A05":
        return EventKind.PRE_ADMISSION
    if encounter_class == EncounterClass.EMERGENCY:
        return EventKind.ED_VISIT
    if encounter_class == EncounterClass.OBSERVATION:
        return EventKind.OBSERVATION
    return EventKind.ADMISSION if trigger == "A01" else EventKind.REGISTRATION


def _event(message: AdtMessage, content: AdtContent, patient: Patient, kind: str, **values: Any) -> AdtEvent:
    return AdtEvent.objects.create(
        message=message,
        kind=kind,
        trigger_event=content.event_type or message.trigger_event,
        patient=patient,
        occurred_at=values.pop("occurred_at", None) or _when(content, message),
        facility=content.facility,
        patient_class=content.patient_class[:8],
        reason=(content.reason or (content.diagnoses[0]["display"] if content.diagnoses else ""))[:500],
        diagnoses=content.diagnoses,
        visit_number=content.visit_number,
        **values,
    )


def _changed(before: dict[str, Any], encounter: Encounter) -> dict[str, Any]:
    after = _snapshot(encounter)
    return {name: value for name, value in before.items() if after[name] != value}


def _apply_visit(
    message: AdtMessage, content: AdtContent, patient: Patient, ahead: ReadAhead | None = None
) -> list[AdtEvent]:
    trigger = message.trigger_event
    encounter = _find_encounter(patient, content, ahead)
    created = encounter is None
    changes = _visit_changes(content, message)
    when = _when(content, message)
    before: dict[str, Any] | None = _snapshot(encounter) if encounter else None
    occurred = when
    if trigger in ("A01", "A04", "A05"):
        changes["status"] = EncounterStatus.PLANNED if trigger == "A05" else EncounterStatus.IN_PROGRESS
        if content.discharged_at and trigger != "A05":
            changes |= {"status": EncounterStatus.FINISHED, "period_end": content.discharged_at}
        elif encounter is not None:
            changes["period_end"] = None
        occurred = content.admitted_at or when
    elif trigger == "A03":
        ended = content.discharged_at or when
        changes |= {"status": EncounterStatus.FINISHED, "period_end": ended}
        if content.discharge_disposition:
            changes["discharge_disposition"] = _disposition(content.discharge_disposition)
        occurred = ended
    elif encounter is None and trigger not in ("A02",):
        # An update for a visit we never heard of: nothing to change.
        return [_event(message, content, patient, EventKind.UPDATE, detail={"no_encounter": True})]
    if encounter is None:
        data = EncounterData(
            encounter_class=changes.pop("encounter_class", EncounterClass.INPATIENT),
            period_start=changes.pop("period_start", None) or min(when, changes.get("period_end") or when),
            status=changes.pop("status", EncounterStatus.IN_PROGRESS),
            source=RecordSource.HL7V2,
            source_identifier=content.visit_number,
            **changes,
        )
        encounter = record_encounter(patient=patient, data=data, by=None)
    else:
        encounter = update_encounter(encounter=encounter, data=_data_from(encounter, changes), by=None)
    conditions = _record_diagnoses(patient, encounter, content, ahead, created=created)
    if trigger in ("A01", "A04", "A05"):
        kind = _start_kind(trigger, encounter.encounter_class)
    else:
        kind = {"A02": EventKind.TRANSFER, "A03": EventKind.DISCHARGE}.get(trigger, EventKind.UPDATE)
    return [
        _event(
            message,
            content,
            patient,
            kind,
            occurred_at=occurred,
            encounter=encounter,
            encounter_before=_changed(before, encounter) if before is not None else None,
            condition_ids=conditions,
            detail={"location": content.location} if content.location else {},
        )
    ]


def _apply_cancel(
    message: AdtMessage, content: AdtContent, patient: Patient, ahead: ReadAhead | None = None
) -> list[AdtEvent]:
    """Retract exactly what the latest not-yet-cancelled admission (A11), transfer (A12) or discharge (A13)
    of the visit changed: its encounter fields go back, a visit it created becomes entered-in-error, and the
    diagnoses it recorded are marked entered-in-error."""
    kinds = CANCELLED_KINDS[message.trigger_event]
    events = AdtEvent.objects.filter(patient=patient, kind__in=kinds, retracted_by__isnull=True)
    if content.visit_number:
        events = events.filter(visit_number=content.visit_number)
    else:
        events = events.filter(facility=content.facility)
    target = events.order_by("-pk").first()
    cancel = _event(message, content, patient, EventKind.CANCEL, retracts=target)
    if target is None:
        cancel.detail = {"nothing_to_retract": True}
        cancel.save(update_fields=["detail"])
        return [cancel]
    encounter = target.encounter
    if encounter is not None:
        if target.encounter_before is None:
            changes: dict[str, Any] = {"status": EncounterStatus.ENTERED_IN_ERROR}
        else:
            changes = dict(target.encounter_before)
        update_encounter(encounter=encounter, data=_data_from(encounter, changes), by=None)
        cancel.encounter = encounter
    for condition in Condition.objects.filter(pk__in=target.condition_ids):
        update_condition_status(
            condition=condition,
            clinical_status=ConditionClinicalStatus.INACTIVE,
            verification_status=ConditionVerificationStatus.ENTERED_IN_ERROR,
            by=None,
        )
    cancel.detail = {"retracted": target.kind, "retracted_event": target.pk}
    cancel.save(update_fields=["encounter", "detail"])
    target.retracted_by = cancel
    target.save(update_fields=["retracted_by"])
    return [cancel]


def _apply_demographics(
    message: AdtMessage, content: AdtContent, patient: Patient, ahead: ReadAhead | None = None
) -> list[AdtEvent]:
    sent = {
        "family_name": content.family_name,
        "given_names": content.given_names,
        "birth_date": content.birth_date.isoformat() if content.birth_date else "",
        "sex": _SEX.get(content.sex[:1], ""),
    }
    return [_event(message, content, patient, EventKind.DEMOGRAPHICS, detail={"sent": sent})]


def _apply_merge(
    message: AdtMessage, content: AdtContent, patient: Patient, ahead: ReadAhead | None = None
) -> list[AdtEvent]:
    moved = []
    for identifier in content.prior_identifiers:
        AdtPatientLink.objects.update_or_create(
            authority=identifier.authority,
            identifier=identifier.value,
            defaults={"patient": patient, "via": "merge", "created_by": None},
        )
        moved.append(f"{identifier.authority}|{identifier.value}")
    return [_event(message, content, patient, EventKind.MERGE, detail={"prior_identifiers": moved})]


APPLY: dict[str, Callable[[AdtMessage, AdtContent, Patient, ReadAhead | None], list[AdtEvent]]] = {
    **dict.fromkeys(("A01", "A02", "A03", "A04", "A05", "A06", "A07", "A08"), _apply_visit),
    **dict.fromkeys(("A11", "A12", "A13"), _apply_cancel),
    "A31": _apply_demographics,
    "A40": _apply_merge,
}


# Claiming and processing ------------------------------------------------------------------------------------------


def claimable() -> Any:
    """Received messages with no earlier message of the same person still waiting (in order per person)."""
    earlier = AdtMessage.objects.filter(
        patient_key=OuterRef("patient_key"), pk__lt=OuterRef("pk"), status__in=WAITING_STATUSES
    ).exclude(patient_key="")
    return AdtMessage.objects.filter(status=MessageStatus.RECEIVED).filter(~Exists(earlier)).order_by("pk")


def claim(*, worker: str, limit: int) -> list[AdtMessage]:
    """Claim up to ``limit`` messages for ``worker``: each one moved received → processing by a conditional
    update, so two workers never hold the same message."""
    wanted = list(claimable().values_list("pk", flat=True)[:limit])
    if not wanted:
        return []
    # One conditional update for the batch (a message another worker took meanwhile is not received any more),
    # then the rows this worker now holds, in order.
    stamp = timezone.now()
    AdtMessage.objects.filter(pk__in=wanted, status=MessageStatus.RECEIVED).update(
        status=MessageStatus.PROCESSING, claimed_by=worker, claimed_at=stamp, attempts=F("attempts") + 1
    )
    return list(
        AdtMessage.objects.filter(
            pk__in=wanted, status=MessageStatus.PROCESSING, claimed_by=worker, claimed_at=stamp
        ).order_by("pk")
    )


def release_stale_claims(*, older_than: float) -> int:
    """Messages held by a worker that died (claimed longer ago than ``older_than`` seconds) go back to wait."""
    cutoff = timezone.now() - datetime.timedelta(seconds=older_than)
    return AdtMessage.objects.filter(status=MessageStatus.PROCESSING, claimed_at__lt=cutoff).update(
        status=MessageStatus.RECEIVED, claimed_by="", claimed_at=None
    )


@dataclass
class ReadAhead:
    """What the messages of one claimed batch need from the database, read in a few statements for all of them
    instead of a few for each: whether each was applied before, who its identifiers name, the visits and
    their diagnoses, who is enrolled. A batch holds at most one message per ``patient_key`` (``claimable``),
    but two keys may name one person: what was read ahead of a person serves only the first message that
    touches them; later ones read the database as a lone message does (``knows``)."""

    contents: dict[int, AdtContent]
    applied: set[int]
    identifiers: _Identifiers
    people: dict[Any, Patient]
    encounters: dict[tuple[Any, str], Encounter]
    diagnosed: set[tuple[Any, int, str, str]]
    enrolled: set[Any]
    touched: set[Any] = field(default_factory=set)
    finished: list[tuple[int, str, str, Any]] = field(default_factory=list)

    @classmethod
    def load(cls, messages: list[AdtMessage]) -> ReadAhead:
        contents = {message.pk: content_of(message) for message in messages}
        applied = set(
            AdtEvent.objects.filter(message_id__in=list(contents)).values_list("message_id", flat=True).distinct()
        )
        identifiers = _Identifiers.load([contents[m.pk] for m in messages if m.pk not in applied])
        ids = {pid for content in contents.values() for pid in identifiers.people(content)}
        people = Patient.objects.in_bulk(ids) if ids else {}
        visits = {content.visit_number for content in contents.values() if content.visit_number}
        encounters: dict[tuple[Any, str], Encounter] = {}
        diagnosed: set[tuple[Any, int, str, str]] = set()
        enrolled: set[Any] = set()
        if people and visits:
            visited = Encounter.objects.filter(
                patient_id__in=list(people), source=RecordSource.HL7V2, source_identifier__in=visits
            ).order_by("-pk")
            for encounter in visited:  # the lowest id last: the one ``.first()`` finds
                encounter.patient = people[encounter.patient_id]
                encounters[(encounter.patient_id, encounter.source_identifier)] = encounter
        if encounters:
            conditions = Condition.objects.filter(encounter_id__in=[e.pk for e in encounters.values()]).exclude(
                verification_status=ConditionVerificationStatus.ENTERED_IN_ERROR
            )
            diagnosed = set(conditions.values_list("patient_id", "encounter_id", "code", "code_system"))
        if people:
            enrollments = Enrollment.objects.filter(patient_id__in=list(people), status=EnrollmentStatus.ACTIVE)
            enrolled = set(enrollments.values_list("patient_id", flat=True))
        return cls(contents, applied, identifiers, people, encounters, diagnosed, enrolled)

    def knows(self, patient: Patient) -> bool:
        return patient.pk in self.people and patient.pk not in self.touched


def _finish(
    message: AdtMessage,
    worker: str,
    status: str,
    *,
    reason: str = "",
    patient: Patient | None = None,
    ahead: ReadAhead | None = None,
) -> bool:
    if ahead is not None:  # the batch finishes all its messages at once (``_finish_batch``)
        ahead.finished.append((message.pk, status, reason, patient.pk if patient is not None else None))
        return True
    return bool(
        AdtMessage.objects.filter(pk=message.pk, status=MessageStatus.PROCESSING, claimed_by=worker).update(
            status=status, status_reason=reason, processed_at=timezone.now(), patient=patient
        )
    )


def _finish_batch(ahead: ReadAhead, worker: str) -> None:
    """Each message of the batch from ``processing`` (still claimed by ``worker``) to where it ended; raises
    LostClaim if another worker took any of them over."""
    statement = (
        f"UPDATE {sql.table(AdtMessage)} SET {sql.column(AdtMessage, 'status')} = %s, "  # noqa: S608
        f"{sql.column(AdtMessage, 'status_reason')} = %s, {sql.column(AdtMessage, 'processed_at')} = %s, "
        f"{sql.column(AdtMessage, 'patient')} = %s WHERE {sql.column(AdtMessage, 'id')} = %s "
        f"AND {sql.column(AdtMessage, 'status')} = %s AND {sql.column(AdtMessage, 'claimed_by')} = %s"
    )
    now = sql.prep(AdtMessage, "processed_at", timezone.now())
    rows = [
        (status, reason, now, sql.prep(AdtMessage, "patient", patient_id), pk, MessageStatus.PROCESSING.value, worker)
        for pk, status, reason, patient_id in ahead.finished
    ]
    with connection.cursor() as cursor:
        cursor.executemany(statement, rows)
        changed = cursor.rowcount
    if changed != len(rows):
        raise LostClaim


class LostClaim(Exception):
    """Another worker took the message over (this one was too slow): its work is rolled back."""


def process_claimed(message: AdtMessage, *, worker: str, patient: Patient | None = None) -> str:
    """Apply one claimed message in one transaction; returns its new status."""
    with origin("hl7", client_address=f"adt:{message.sending_facility}"[:64]):
        try:
            with transaction.atomic(), deferred_appends():  # the audit chain's lock only for the commit
                status = _process(message, worker, patient)
        except LostClaim:
            return MessageStatus.PROCESSING
        except DomainError as error:
            status = MessageStatus.FAILED
            with transaction.atomic():
                _finish(message, worker, status, reason=f"{error.code}: {error}", patient=patient)
        except Exception as error:
            log.exception("ADT message %s could not be processed", message.pk)
            status = MessageStatus.FAILED
            with transaction.atomic():
                _finish(message, worker, status, reason=f"internal error: {type(error).__name__}: {error}")
    return status


def process_batch(messages: list[AdtMessage], *, worker: str) -> None:
    """Apply a claimed batch in one transaction, with what its messages need read ahead for all of them (a few
    statements per message instead of about twenty). The batch commits whole: a worker killed mid-way leaves
    nothing applied. If any message fails (a domain error, a lost claim, anything), the batch is rolled back
    and each message is processed alone (``process_claimed``), so one message's failure is its own. A merge
    (A40) changes who identifiers name for the messages after it: a batch holding one is processed message
    by message."""
    if any(message.trigger_event == "A40" for message in messages):
        for message in messages:
            process_claimed(message, worker=worker)
        return
    try:
        with transaction.atomic(), deferred_appends():
            ahead = ReadAhead.load(messages)
            for message in messages:
                with origin("hl7", client_address=f"adt:{message.sending_facility}"[:64]):
                    _process(message, worker, None, ahead)
            _finish_batch(ahead, worker)
    except Exception:  # every message is tried again alone, which reports its own failure
        log.info("A batch of %s ADT messages is processed message by message after a failure", len(messages))
        for message in messages:
            process_claimed(message, worker=worker)


def _process(message: AdtMessage, worker: str, patient: Patient | None, ahead: ReadAhead | None = None) -> str:
    applied = message.pk in ahead.applied if ahead is not None else AdtEvent.objects.filter(message=message).exists()
    if applied:  # applied before: never again
        if not _finish(message, worker, MessageStatus.PROCESSED, patient=message.patient, ahead=ahead):
            raise LostClaim
        return MessageStatus.PROCESSED
    content = ahead.contents[message.pk] if ahead is not None else content_of(message)
    apply = APPLY.get(message.trigger_event)
    if apply is None:
        reason = f"{message.trigger_event} is not used"
        if not _finish(message, worker, MessageStatus.IGNORED, reason=reason, ahead=ahead):
            raise LostClaim
        return MessageStatus.IGNORED
    reason = ""
    if patient is None:
        if ahead is not None:
            patient, reason = match_patient(content, identifiers=ahead.identifiers, people=ahead.people)
        else:
            patient, reason = match_patient(content)
    if patient is None:
        if not _finish(message, worker, MessageStatus.REVIEW, reason=reason, ahead=ahead):
            raise LostClaim
        return MessageStatus.REVIEW
    events = apply(message, content, patient, ahead)
    # Alerts and transitions, in this transaction (alerts.py). Only an enrolled person's admissions, stays and
    # discharges alert: read ahead, a person known not to be enrolled needs no look.
    quiet = (
        ahead is not None
        and ahead.knows(patient)
        and patient.pk not in ahead.enrolled
        and all(event.kind in ALERT_KINDS for event in events)
    )
    if not quiet:
        on_events(events)
    if ahead is not None:
        ahead.touched.add(patient.pk)
    if not _finish(message, worker, MessageStatus.PROCESSED, patient=patient, ahead=ahead):
        raise LostClaim
    return MessageStatus.PROCESSED


def process_waiting_for_key(key: str, *, patient: Patient) -> list[AdtMessage]:
    """After a link: the person's messages in review or waiting behind them, processed in order."""
    done = []
    worker = f"review:{threading.get_ident()}"
    waiting = AdtMessage.objects.filter(
        patient_key=key, status__in=[MessageStatus.REVIEW, MessageStatus.RECEIVED]
    ).order_by("pk")
    for message in waiting:
        won = AdtMessage.objects.filter(pk=message.pk, status=message.status).update(
            status=MessageStatus.PROCESSING, claimed_by=worker, claimed_at=timezone.now(), attempts=F("attempts") + 1
        )
        if won:
            message.refresh_from_db()
            process_claimed(message, worker=worker, patient=patient)
            message.refresh_from_db()
            done.append(message)
    return done


def run_once(config: WorkerConfig, stop: threading.Event | None = None) -> int:
    """Claim and process what is waiting, until nothing is (or ``stop`` is set: a stopping worker finishes the
    batch in hand and claims no more); returns how many messages were processed."""
    total = 0
    while stop is None or not stop.is_set():
        messages = claim(worker=config.name, limit=config.batch_size)
        if not messages:
            return total
        process_batch(messages, worker=config.name)
        total += len(messages)
    return total


def run_forever(config: WorkerConfig, stop: threading.Event, *, on_idle: Callable[[], None] | None = None) -> int:
    """The worker loop: release dead workers' claims, drain, wait ``poll_interval``; until ``stop`` is set."""
    total = 0
    last_release = 0.0
    while not stop.is_set():
        close_old_connections()
        now = timezone.now().timestamp()
        if now - last_release > min(config.claim_timeout / 4, 60):
            released = release_stale_claims(older_than=config.claim_timeout)
            if released:
                log.warning("Released %s ADT messages claimed by workers that stopped", released)
            last_release = now
        total += run_once(config, stop)
        if on_idle is not None:
            on_idle()
        stop.wait(config.poll_interval)
    close_old_connections()
    return total
