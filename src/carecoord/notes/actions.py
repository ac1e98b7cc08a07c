"""Writes: start, save and sign a note; addenda; co-sign or return; mark a note entered in error.

Every write is audited. A signed note is locked: ``save_note`` refuses it with ``NoteLocked`` (409), whoever
asks (web or FHIR). Callers acting for a user on a person have been through ``patients.access.access_patient``
(for a new note) or ``notes.access.access_note``.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from carecoord.accounts.models import User
from carecoord.accounts.permissions import Capability, can
from carecoord.audit.actions import record
from carecoord.audit.models import AuditAction
from carecoord.common.errors import AccessDenied, Conflict, DomainError, ValidationFailed
from carecoord.contacts.models import Contact
from carecoord.notes.kinds import KINDS
from carecoord.notes.models import NoteAddendum, NoteStatus, ProgressNote
from carecoord.notes.rules import needs_cosign, rules
from carecoord.patients.models import Patient
from carecoord.programs.models import Enrollment

PART_2 = "42CFRPart2"
MAX_SECTION = 20_000
FUTURE_SLACK = datetime.timedelta(minutes=5)


class NoteLocked(Conflict):
    """A signed note (or addendum) cannot change: corrections are signed addenda."""

    code = "note-locked"


def _audit(by: User, obj: ProgressNote | NoteAddendum, action: str, **detail: object) -> None:
    note = obj if isinstance(obj, ProgressNote) else obj.note
    record(
        by=by,
        action=action,
        object_type=type(obj).__name__,
        object_id=str(obj.pk),
        patient=note.patient_id,
        detail=detail,
    )


def _check_writer(by: User) -> None:
    if not can(by, Capability.NOTES):
        raise AccessDenied("Your role does not write progress notes.")


def _check_own_org(note: ProgressNote, by: User) -> None:
    if note.organization_id != by.organization_id:
        raise AccessDenied("This note belongs to another organization.")


def _clean_sections(kind: str, sections: dict[str, str]) -> dict[str, str]:
    template = KINDS[kind]
    unknown = [key for key in sections if template.section(key) is None]
    if unknown:
        raise ValidationFailed(
            f"{template.label} has no section {', '.join(sorted(unknown))}.", errors={"sections": ["Unknown section."]}
        )
    long = [key for key, text in sections.items() if len(text) > MAX_SECTION]
    if long:
        raise ValidationFailed(
            f"A section may hold at most {MAX_SECTION} characters.", errors={key: ["Too long."] for key in long}
        )
    return {key: text.strip() for key, text in sections.items() if text.strip()}


def _labels(enrollment: Enrollment | None, part2: bool) -> list[str]:
    labels = set(enrollment.program.security_labels or []) if enrollment is not None else set()
    if part2:
        labels.add(PART_2)
    return sorted(labels)


def _touch(note: ProgressNote, now: datetime.datetime) -> None:
    note.updated_at = now
    note.version += 1


def start_note(
    *,
    patient: Patient,
    kind: str,
    by: User,
    enrollment: Enrollment | None = None,
    contact: Contact | None = None,
    event_at: datetime.datetime | None = None,
    sections: dict[str, str] | None = None,
    part2: bool = False,
    language: str = "en",
) -> ProgressNote:
    """A draft note of ``kind`` for the person; the event time defaults to the contact's, else now."""
    _check_writer(by)
    errors: dict[str, list[str]] = {}
    if kind not in KINDS:
        errors["kind"] = [f"Unknown note template {kind!r}."]
    if enrollment is not None and (
        enrollment.patient_id != patient.pk or enrollment.organization_id != by.organization_id
    ):
        errors["enrollment"] = ["That enrollment is not this person's with your organization."]
    if contact is not None and (contact.patient_id != patient.pk or contact.organization_id != by.organization_id):
        errors["contact"] = ["That contact is not this person's with your organization."]
    now = timezone.now()
    when = event_at or (contact.occurred_at if contact is not None else now)
    if when > now + FUTURE_SLACK:
        errors["event_at"] = ["A note cannot be about the future."]
    if errors:
        raise ValidationFailed("The note could not be started.", errors=errors)
    if enrollment is None and contact is not None and contact.enrollment_id is not None:
        enrollment = Enrollment.objects.select_related("program").get(pk=contact.enrollment_id)
    cleaned = _clean_sections(kind, sections or {})
    with transaction.atomic():
        note = ProgressNote.objects.create(
            patient=patient,
            organization_id=by.organization_id,
            enrollment=enrollment,
            contact=contact,
            kind=kind,
            sections=cleaned,
            language=(language or "en")[:12],
            part2=part2,
            security_labels=_labels(enrollment, part2),
            event_at=when,
            author=by,
            created_at=now,
            updated_at=now,
        )
        _audit(by, note, AuditAction.CREATE, kind=kind, labels=note.security_labels)
    return note


def save_note(*, note: ProgressNote, by: User, sections: dict[str, str], part2: bool | None = None) -> ProgressNote:
    """Replace a draft's sections (its author only). A signed note is refused: it is corrected by addenda."""
    _check_writer(by)
    _check_own_org(note, by)
    if note.is_locked:
        raise NoteLocked("This note is signed and locked: signed notes are corrected by addenda.")
    if note.author_id != by.pk:
        raise AccessDenied("Only the author edits a draft note.")
    cleaned = _clean_sections(note.kind, sections)
    with transaction.atomic():
        note.sections = cleaned
        if part2 is not None:
            note.part2 = part2
            note.security_labels = _labels(note.enrollment, part2)
        _touch(note, timezone.now())
        note.save()
        _audit(by, note, AuditAction.UPDATE, change="draft", labels=note.security_labels)
    return note


def sign_note(*, note: ProgressNote, by: User) -> ProgressNote:
    """Sign and lock a draft (its author only); decide late entry and whether it needs co-signature."""
    _check_writer(by)
    _check_own_org(note, by)
    if note.is_locked:
        raise NoteLocked("This note is already signed: signed notes are corrected by addenda.")
    if note.author_id != by.pk:
        raise AccessDenied("Only the author signs a note.")
    if not any(text.strip() for text in note.sections.values()):
        raise ValidationFailed("Write at least one section before signing.", errors={"sections": ["Empty note."]})
    now = timezone.now()
    program = note.enrollment.program_id if note.enrollment is not None else None
    with transaction.atomic():
        note.status = NoteStatus.SIGNED
        note.signed_at = now
        note.late_entry = now - note.event_at > datetime.timedelta(hours=rules()["late_entry_hours"])
        note.cosign_required = needs_cosign(program, by)
        _touch(note, now)
        note.save()
        _audit(
            by,
            note,
            AuditAction.UPDATE,
            change="sign",
            late_entry=note.late_entry,
            cosign_required=note.cosign_required,
        )
    return note


def add_addendum(*, note: ProgressNote, text: str, by: User) -> NoteAddendum:
    """A draft addendum to a signed note, by staff of the note's organization."""
    _check_writer(by)
    _check_own_org(note, by)
    if note.status == NoteStatus.DRAFT:
        raise DomainError("A draft is edited, not amended: addenda are for signed notes.", code="not-signed")
    if note.status == NoteStatus.ENTERED_IN_ERROR:
        raise DomainError("This note was entered in error; it takes no addenda.", code="entered-in-error")
    if not text.strip():
        raise ValidationFailed("Write the addendum.", errors={"text": ["Write the addendum."]})
    if len(text) > MAX_SECTION:
        raise ValidationFailed("The addendum is too long.", errors={"text": ["Too long."]})
    with transaction.atomic():
        addendum = NoteAddendum.objects.create(note=note, text=text.strip(), author=by, created_at=timezone.now())
        _audit(by, addendum, AuditAction.CREATE)
    return addendum


def sign_addendum(*, addendum: NoteAddendum, by: User) -> NoteAddendum:
    """Sign and lock an addendum (its author only). A note returned by a supervisor goes back to the queue."""
    _check_writer(by)
    if addendum.is_signed:
        raise NoteLocked("This addendum is signed and locked; write another addendum.")
    if addendum.author_id != by.pk:
        raise AccessDenied("Only the author signs an addendum.")
    now = timezone.now()
    note = addendum.note
    with transaction.atomic():
        addendum.signed_at = now
        addendum.save(update_fields=["signed_at"])
        resubmitted = note.returned and note.author_id == by.pk
        if resubmitted:
            note.returned = False
        _touch(note, now)
        note.save()
        _audit(by, addendum, AuditAction.UPDATE, change="sign", resubmitted=resubmitted)
    return addendum


def _check_cosigner(note: ProgressNote, by: User) -> None:
    if not can(by, Capability.COSIGN):
        raise AccessDenied("Only supervisors co-sign notes.")
    _check_own_org(note, by)
    if not note.awaiting_cosign:
        raise DomainError(
            f"This note is not waiting for co-signature ({note.state_label.lower()}).", code="not-awaiting"
        )
    if note.author_id == by.pk:
        raise DomainError("A note is co-signed by someone other than its author.", code="own-note")


def cosign_note(*, note: ProgressNote, by: User) -> ProgressNote:
    """A supervisor of the note's organization co-signs a note waiting in the queue."""
    _check_cosigner(note, by)
    now = timezone.now()
    with transaction.atomic():
        note.cosigned_by = by
        note.cosigned_at = now
        _touch(note, now)
        note.save()
        _audit(by, note, AuditAction.UPDATE, change="cosign")
    return note


def return_note(*, note: ProgressNote, by: User, comment: str) -> ProgressNote:
    """Return a note to its author with a comment: it stays signed; the author answers with an addendum."""
    _check_cosigner(note, by)
    if not comment.strip():
        raise ValidationFailed("Say what the author should address.", errors={"comment": ["Required."]})
    now = timezone.now()
    with transaction.atomic():
        note.returned = True
        note.returns = [
            *note.returns,
            {
                "by": str(by.pk),
                "name": by.get_full_name() or by.username,
                "at": now.isoformat(),
                "comment": comment.strip(),
            },
        ]
        _touch(note, now)
        note.save()
        _audit(by, note, AuditAction.UPDATE, change="return")
    return note


def enter_note_in_error(*, note: ProgressNote, by: User, reason: str) -> ProgressNote:
    """Mark a note written in error (its author, or a supervisor of its organization); it is kept, not deleted."""
    _check_writer(by)
    _check_own_org(note, by)
    if note.author_id != by.pk and not can(by, Capability.COSIGN):
        raise AccessDenied("Only the author or a supervisor marks a note entered in error.")
    if note.status == NoteStatus.ENTERED_IN_ERROR:
        raise DomainError("This note is already marked entered in error.", code="entered-in-error")
    if not reason.strip():
        raise ValidationFailed("Say why the note is in error.", errors={"reason": ["Required."]})
    with transaction.atomic():
        note.status = NoteStatus.ENTERED_IN_ERROR
        note.error_reason = reason.strip()
        _touch(note, timezone.now())
        note.save()
        _audit(by, note, AuditAction.UPDATE, change="entered-in-error", reason=note.error_reason)
    return note
