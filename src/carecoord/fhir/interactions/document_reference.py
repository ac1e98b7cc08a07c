"""DocumentReference (a progress note): read, search, create and update, through ``notes.access`` and
``notes.actions``.

Read and search show what the web shows: the user's organization's notes and other organizations' signed notes
about people the user may see, labelled notes (42 CFR Part 2, HIV) only where a consent releases them (a read
is 403; a search leaves them out of the results and the total, silently, as a read would be refused).

Create: ``subject`` Patient/<id>; ``type`` with a coding in ``{base}/CodeSystem/note-template`` (dap, soap,
outreach, transition, case_conference); ``content[0].attachment`` text/plain with base64 ``data`` whose lines
``<Section label>:`` start each section (text before any heading goes to the first section); optional
``context.period.start`` (the event), ``context.related`` ``EpisodeOfCare/<enrollment id>`` (the program),
``meta.security`` 42CFRPart2; ``docStatus`` ``preliminary`` (a draft) or ``final`` (started and signed by the
user, through the same actions as the web: late entry and co-signature decided there).

Update: a draft of the user's may be rewritten and, with ``docStatus`` final, signed; ``status``
``entered-in-error`` (with ``description`` as the reason) marks a note in error. Any other change to a signed
note is refused with 409: signed notes are corrected by addenda.
"""

from __future__ import annotations

import base64
import binascii
import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_datetime
from fhir.resources.R4B.documentreference import DocumentReference as DocumentReferenceModel

from carecoord.accounts.models import User
from carecoord.accounts.permissions import Capability, can
from carecoord.audit.models import AuditAction
from carecoord.common.errors import AccessDenied, NotFound, VersionConflict
from carecoord.fhir.exchange import FhirRequest, FhirResponse, versioned
from carecoord.fhir.interactions.organization import id_condition
from carecoord.fhir.interactions.scope import People, body_reference, patient_condition, people
from carecoord.fhir.mapping.codes import LOINC
from carecoord.fhir.mapping.document_reference import document_reference_resource, template_system
from carecoord.fhir.mapping.labels import V3_ACT_CODE
from carecoord.fhir.outcome import bad_request, domain_paths
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
from carecoord.notes.access import ShownNote, access_note, gate_note
from carecoord.notes.actions import enter_note_in_error, save_note, sign_note, start_note
from carecoord.notes.kinds import KINDS, NoteKind, parse_text
from carecoord.notes.models import NoteStatus, ProgressNote
from carecoord.notes.queries import with_related
from carecoord.patients.access import access_patient
from carecoord.programs.access import released_to
from carecoord.programs.models import Enrollment

_PATHS = {
    "kind": "DocumentReference.type",
    "enrollment": "DocumentReference.context.related",
    "event_at": "DocumentReference.context.period.start",
    "sections": "DocumentReference.content[0].attachment.data",
    "reason": "DocumentReference.description",
}


def _expression(field: str) -> str:
    return _PATHS.get(field, "DocumentReference")


def _with_addenda(rows: QuerySet[ProgressNote]) -> QuerySet[ProgressNote]:
    return rows.select_related("author__practitioner", "cosigned_by__practitioner").prefetch_related("addenda__author")


def _resource(user: User, note_id: object) -> dict[str, Any]:
    return document_reference_resource(access_note(user, note_id))


def read(request: FhirRequest, note_id: str) -> FhirResponse:
    return versioned(_resource(request.authenticated_user, note_id))


# --- create and update ---------------------------------------------------------------------------------------------


def _kind(resource: dict[str, Any]) -> NoteKind:
    codes = [
        c.get("code") for c in (resource.get("type") or {}).get("coding") or [] if c.get("system") == template_system()
    ]
    if len(codes) != 1 or codes[0] not in KINDS:
        raise bad_request(
            f"DocumentReference.type must hold one coding of {template_system()}: {', '.join(KINDS)}.",
            expression="DocumentReference.type",
            issue_code="code-invalid",
        )
    return KINDS[str(codes[0])]


def _sections(resource: dict[str, Any], kind: NoteKind) -> dict[str, str]:
    contents = resource.get("content") or []
    attachment = contents[0].get("attachment") or {} if contents else {}
    if len(contents) != 1 or not str(attachment.get("contentType", "")).startswith("text/plain"):
        raise bad_request(
            "A note is one content attachment of type text/plain.",
            expression="DocumentReference.content[0].attachment.contentType",
        )
    try:
        text = base64.b64decode(str(attachment.get("data") or ""), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise bad_request(
            "The attachment's data must be base64 of UTF-8 text.",
            expression="DocumentReference.content[0].attachment.data",
        ) from None
    return parse_text(kind, text)


def _part2(resource: dict[str, Any]) -> bool:
    part2 = False
    for index, item in enumerate((resource.get("meta") or {}).get("security") or []):
        if item.get("system") != V3_ACT_CODE or item.get("code") != "42CFRPart2":
            raise bad_request(
                "A note may be labelled 42CFRPart2 (v3-ActCode); other labels come from its program.",
                expression=f"DocumentReference.meta.security[{index}]",
                issue_code="code-invalid",
            )
        part2 = True
    return part2


def _enrollment(resource: dict[str, Any], base: str) -> Enrollment | None:
    for index, related in enumerate((resource.get("context") or {}).get("related") or []):
        found = body_reference(related, f"DocumentReference.context.related[{index}]", ("EpisodeOfCare",), base)
        if found is not None:
            enrollment = Enrollment.objects.select_related("program").filter(pk=found[1]).first()
            if enrollment is None:
                raise bad_request(
                    f"No EpisodeOfCare/{found[1]} here.", expression=f"DocumentReference.context.related[{index}]"
                )
            return enrollment
    return None


def _event_at(value: object) -> datetime.datetime | None:
    if not value:
        return None
    parsed = parse_datetime(str(value))
    if parsed is None or parsed.tzinfo is None:
        raise bad_request(
            "context.period.start must be a dateTime with a time and zone.",
            expression="DocumentReference.context.period.start",
            issue_code="value",
        )
    return parsed


def create(request: FhirRequest) -> FhirResponse:
    user = request.authenticated_user
    resource = request.resource("DocumentReference", DocumentReferenceModel)
    if resource.get("status") != "current" or resource.get("docStatus") not in (None, "preliminary", "final"):
        raise bad_request(
            "A new note has status current and docStatus preliminary (a draft) or final (signed).",
            expression="DocumentReference.docStatus",
            issue_code="value",
        )
    subject = body_reference(resource.get("subject"), "DocumentReference.subject", ("Patient",), request.base)
    if subject is None:
        raise bad_request(
            "DocumentReference.subject must reference Patient/<id>.", expression="DocumentReference.subject"
        )
    kind = _kind(resource)
    sections = _sections(resource, kind)
    part2 = _part2(resource)
    enrollment = _enrollment(resource, request.base)
    period = (resource.get("context") or {}).get("period") or {}
    event_at = _event_at(period.get("start"))
    if not can(user, Capability.NOTES):
        raise AccessDenied("Your role does not write progress notes.")
    patient = access_patient(user, subject[1], action=AuditAction.CREATE, object_type="DocumentReference")
    language = str(((resource.get("content") or [{}])[0].get("attachment") or {}).get("language") or "en")
    with domain_paths(_expression):
        note = start_note(
            patient=patient,
            kind=kind.code,
            by=user,
            enrollment=enrollment,
            event_at=event_at,
            sections=sections,
            part2=part2,
            language=language,
        )
        if resource.get("docStatus") == "final":
            sign_note(note=note, by=user)
    return versioned(_resource(user, note.pk), status=201, location=f"{request.base}/DocumentReference/{note.pk}")


def update(request: FhirRequest, note_id: str) -> FhirResponse:
    user = request.authenticated_user
    resource = request.resource("DocumentReference", DocumentReferenceModel)
    if resource.get("id") != note_id:
        raise bad_request("The resource's id must equal the id in the URL.", expression="DocumentReference.id")
    note = access_note(user, note_id, action=AuditAction.UPDATE).note
    expected = request.if_match()
    if expected is not None and expected != note.version:
        raise VersionConflict(f"DocumentReference/{note_id} is at version {note.version}, not {expected}.")
    with domain_paths(_expression):
        if resource.get("status") == "entered-in-error":
            if note.status != NoteStatus.ENTERED_IN_ERROR:
                enter_note_in_error(note=note, by=user, reason=str(resource.get("description") or ""))
            return versioned(_resource(user, note_id))
        kind = _kind(resource)
        if kind.code != note.kind:
            raise bad_request("A note's template does not change.", expression="DocumentReference.type")
        save_note(note=note, by=user, sections=_sections(resource, kind), part2=_part2(resource))
        if resource.get("docStatus") == "final":
            sign_note(note=note, by=user)
    return versioned(_resource(user, note_id))


# --- search --------------------------------------------------------------------------------------------------------


def _type(_: str, value: str) -> Q:
    system, code = token(value)
    kinds = set()
    if system in (None, template_system()) and code in KINDS:
        kinds.add(code)
    if system in (None, LOINC):
        kinds.update(k.code for k in KINDS.values() if k.loinc[0] == code)
    return Q(kind__in=sorted(kinds))


def _status(_: str, value: str) -> Q:
    code = token(value)[1]
    if code == "current":
        return Q(status__in=[NoteStatus.DRAFT, NoteStatus.SIGNED])
    if code == "entered-in-error":
        return Q(status=NoteStatus.ENTERED_IN_ERROR)
    return Q(pk__in=[])


_BUILDERS: dict[str, FilterBuilder] = {
    "_id": id_condition,
    "_lastUpdated": lambda _, v: date_condition("updated_at", v, name="_lastUpdated", aware=True),
    "patient": patient_condition,
    "subject": patient_condition,
    "date": lambda _, v: date_condition("created_at", v, name="date", aware=True),
    "type": _type,
    "status": _status,
}
_SORTS = {"date": ("created_at",), "_lastUpdated": ("updated_at",)}


def _gate(
    user: User, rows: QuerySet[ProgressNote], scope: People
) -> tuple[QuerySet[ProgressNote], dict[Any, ShownNote], int]:
    """Rows without the labelled notes of other organizations not released to the user."""
    candidates: dict[Any, list[ProgressNote]] = {}
    for note in rows.filter(~Q(security_labels=[]) & ~Q(organization_id=user.organization_id)):
        candidates.setdefault(note.patient_id, []).append(note)
    hidden: list[Any] = []
    shown: dict[Any, ShownNote] = {}
    for patient_id, notes in candidates.items():
        patient = scope.named.get(patient_id)
        if patient is None:
            try:
                patient = access_patient(user, patient_id, action=AuditAction.SEARCH, object_type="DocumentReference")
            except (AccessDenied, NotFound):
                hidden.extend(n.pk for n in notes)
                continue
        released = released_to(user, patient)
        for note in notes:
            passed = gate_note(user, note, released)
            if passed is None:
                hidden.append(note.pk)
            else:
                shown[note.pk] = passed
    return (rows.exclude(pk__in=hidden) if hidden else rows), shown, len(hidden)


def search(request: FhirRequest) -> FhirResponse:
    user = request.authenticated_user
    if not can(user, Capability.NOTES):
        raise AccessDenied("Your role does not include progress notes.")
    query = parse_query(request, RESOURCE)
    scope = people(user, query, "DocumentReference")
    rows = ProgressNote.objects.filter(scope.condition(user)).filter(
        Q(organization_id=user.organization_id) | ~Q(status=NoteStatus.DRAFT)
    )
    rows = apply_criteria(rows, query, _BUILDERS)
    rows, shown, withheld = _gate(user, rows, scope)
    found, total = page(order(_with_addenda(with_related(rows)), query, _SORTS, ("-created_at",)), query)
    resources = [
        document_reference_resource(shown.get(n.pk) or ShownNote(note=n, labels=list(n.security_labels), notices=[]))
        for n in found
    ]
    return audited_searchset(request, "DocumentReference", query, resources, total, withheld=withheld)


RESOURCE = ResourceType(
    name="DocumentReference",
    read=read,
    search=search,
    create=create,
    update=update,
    search_params=(
        SearchParam("patient", "reference", "The person (Patient/<id>)"),
        SearchParam("subject", "reference", "The person (Patient/<id>)"),
        SearchParam("date", "date", "When the note was started (prefixes eq, ne, lt, le, gt, ge)"),
        SearchParam("type", "token", "LOINC 11506-3 (progress note) or 34109-9 (note), or a note-template code"),
        SearchParam("status", "token", "current or entered-in-error"),
        SearchParam("_lastUpdated", "date", "When the note last changed"),
        SearchParam("_id", "token", "Logical id of the resource"),
    ),
    sorts=tuple(_SORTS),
    documentation="Progress notes (DAP, SOAP, outreach, transition call, case conference) as text/plain "
    "attachments with their signed addenda. docStatus: preliminary (draft), final (signed), amended (signed "
    "addenda follow). A signed note is locked: an update is refused with 409 (signed notes are corrected by "
    "addenda); status entered-in-error marks it in error. Labelled notes (42 CFR Part 2, HIV) appear only where "
    "a consent releases them.",
)
