"""Permission-checked reads of progress notes.

A note is reached through ``patients.access.access_patient`` for its person (audited there), by a user whose
role writes notes. Drafts are seen only by the organization writing them; signed notes by anyone who may see
the person. A note carrying labels (42 CFR Part 2, HIV) then passes the same gate as program records
(``programs.access``): shown to the organization that wrote it, or to one a consent in force releases every
label to, with the notices that must accompany it; otherwise it is withheld (a read is 403, a list counts it).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from carecoord.accounts.models import User
from carecoord.accounts.permissions import Capability, can
from carecoord.audit.actions import record
from carecoord.audit.models import AuditAction, AuditOutcome
from carecoord.common.errors import AccessDenied, NotFound
from carecoord.notes.models import NoteStatus, ProgressNote
from carecoord.notes.queries import cosign_queue, notes_of, with_related
from carecoord.patients.access import access_patient
from carecoord.patients.models import Patient
from carecoord.programs.access import label_notices, released_to


@dataclass
class ShownNote:
    """A note the user may see, with its labels and the notices that must accompany it."""

    note: ProgressNote
    labels: list[str]
    notices: list[str]


@dataclass
class NoteList:
    patient: Patient
    notes: list[ShownNote] = field(default_factory=list)
    withheld: int = 0


def _check_role(user: User) -> None:
    if not can(user, Capability.NOTES):
        raise AccessDenied("Your role does not include progress notes.")


def gate_note(user: User, note: ProgressNote, released: frozenset[str]) -> ShownNote | None:
    """The label gate for one note: None when it must be withheld from the user."""
    labels = list(note.security_labels or [])
    notices = label_notices(user, labels, note.organization_id, released)
    return None if notices is None else ShownNote(note=note, labels=labels, notices=notices)


def _key(note_id: object) -> uuid.UUID:
    try:
        return uuid.UUID(str(note_id))
    except ValueError:
        raise NotFound(f"No note with id {note_id}.") from None


def access_note(user: User, note_id: object, *, action: str = AuditAction.READ) -> ShownNote:
    """One note with its addenda, for reading or for a write that follows (audited as ``action``)."""
    _check_role(user)
    key = _key(note_id)
    note = with_related(ProgressNote.objects.filter(pk=key)).prefetch_related("addenda__author").first()
    if note is None:
        record(by=user, action=action, object_type="ProgressNote", object_id=str(key), outcome=AuditOutcome.FAILED)
        raise NotFound(f"No note with id {note_id}.")
    patient = access_patient(user, note.patient_id, action=action, object_type="ProgressNote", object_id=str(note.pk))
    shown = None
    if note.status != NoteStatus.DRAFT or note.organization_id == user.organization_id:
        shown = gate_note(user, note, released_to(user, patient))
    if shown is None:
        record(
            by=user,
            action=action,
            object_type="ProgressNote",
            object_id=str(note.pk),
            patient=note.patient_id,
            outcome=AuditOutcome.DENIED,
            detail={"reason": "draft" if note.status == NoteStatus.DRAFT else "label-not-released"},
        )
        raise AccessDenied(
            "This draft belongs to another organization."
            if note.status == NoteStatus.DRAFT
            else "This note holds information a consent has not released to your organization."
        )
    if shown.notices:
        record(
            by=user,
            action=AuditAction.READ,
            object_type="LabelledData",
            object_id=str(note.pk),
            patient=note.patient_id,
            detail={"disclosed_labels": shown.labels},
        )
    return shown


def notes_of_accessed_patient(user: User, patient: Patient, *, limit: int | None = None) -> NoteList:
    """For a person the caller has just fetched through ``access_patient`` for this user (the chart)."""
    _check_role(user)
    released = released_to(user, patient)
    rows = notes_of(patient.pk, user.organization_id)
    result = NoteList(patient=patient)
    for note in rows:
        shown = gate_note(user, note, released)
        if shown is None:
            result.withheld += 1
        elif limit is None or len(result.notes) < limit:
            result.notes.append(shown)
    return result


def access_notes(user: User, patient_id: object) -> NoteList:
    """Every note about the person the user may see (audited as a listing of the person's notes)."""
    _check_role(user)
    patient = access_patient(user, patient_id, action=AuditAction.SEARCH, object_type="ProgressNote")
    return notes_of_accessed_patient(user, patient)


def accessed_patient_for_note(user: User, patient_id: object) -> Patient:
    """The person, for starting a note (audited)."""
    _check_role(user)
    return access_patient(user, patient_id, action=AuditAction.CREATE, object_type="ProgressNote")


def access_cosign_queue(user: User) -> list[ProgressNote]:
    """The notes of the user's organization waiting for co-signature (supervisors; audited as a listing)."""
    if not can(user, Capability.COSIGN):
        raise AccessDenied("Only supervisors see the co-signature queue.")
    found = list(cosign_queue(user.organization_id))
    record(
        by=user,
        action=AuditAction.SEARCH,
        object_type="ProgressNote",
        detail={
            "list": "cosign-queue",
            "results": [str(n.pk) for n in found],
            "patients": sorted({str(n.patient_id) for n in found}),
        },
    )
    return found
