"""FHIR DocumentReference from a progress note.

- ``status``: ``current`` (draft or signed) or ``entered-in-error``; ``docStatus``: ``preliminary`` for a draft,
  ``final`` once signed, ``amended`` once a signed addendum follows.
- ``type``: the template's LOINC document type (11506-3 Progress note for DAP and SOAP; 34109-9 Note for
  outreach, transition calls and case conferences) and the template itself in ``{base}/CodeSystem/note-template``.
- ``date``: when the note was started; ``context.period.start``: when the contact or event happened.
- ``author``: the writer; ``authenticator``: the supervisor who co-signed, when one did.
- ``content[0].attachment``: the sections as ``text/plain`` (label line, then text), base64, with the note's
  language, followed by each signed addendum; ``title`` names the template.
- The contact a note documents is ``context.encounter``: ``Encounter/contact-<id>``, the contact as
  ``/fhir/Encounter`` serves it (``mapping/contact_encounter.py``; readable by the organization that recorded
  it). ``context.related`` keeps the contact's identifier in ``{base}/sid/contact`` with a display, as before
  contacts were served, for readers that matched on it.
- Extensions: ``note-late-entry`` (boolean) and ``note-awaiting-cosign`` (boolean, while it waits).
- Labels (42CFRPart2, HIV) and, for a disclosure, NORDSLCD and the notices as narrative (``labels.py``).
"""

from __future__ import annotations

import base64
from typing import Any

from django.utils import timezone

from carecoord.fhir.mapping.codes import LOINC, base_url, coding
from carecoord.fhir.mapping.contact_encounter import contact_encounter_reference, contact_system
from carecoord.fhir.mapping.episode_of_care import practitioner_reference
from carecoord.fhir.mapping.labels import label
from carecoord.notes.access import ShownNote
from carecoord.notes.kinds import KINDS, render_text
from carecoord.notes.models import NoteStatus, ProgressNote


def template_system() -> str:
    return f"{base_url()}/CodeSystem/note-template"


def late_entry_url() -> str:
    return f"{base_url()}/StructureDefinition/note-late-entry"


def awaiting_cosign_url() -> str:
    return f"{base_url()}/StructureDefinition/note-awaiting-cosign"


def doc_status(note: ProgressNote, signed_addenda: int) -> str:
    if note.signed_at is None:
        return "preliminary"
    return "amended" if signed_addenda else "final"


def note_text(note: ProgressNote) -> str:
    """The note as the plain text a reader receives: the sections, then each signed addendum."""
    parts = [render_text(KINDS[note.kind], note.sections)]
    for addendum in note.addenda.all():
        if addendum.signed_at is not None:
            when = timezone.localtime(addendum.signed_at).strftime("%Y-%m-%d %H:%M")
            who = addendum.author.get_full_name() or addendum.author.username
            parts.append(f"Addendum (signed {when} by {who}):\n{addendum.text}")
    return "\n\n".join(p for p in parts if p)


def document_reference_resource(shown: ShownNote) -> dict[str, Any]:
    note = shown.note
    kind = KINDS[note.kind]
    signed_addenda = sum(1 for a in note.addenda.all() if a.signed_at is not None)
    resource: dict[str, Any] = {
        "resourceType": "DocumentReference",
        "id": str(note.pk),
        "meta": {"versionId": str(note.version), "lastUpdated": note.updated_at.isoformat()},
    }
    label(resource, shown.labels, shown.notices)
    resource["extension"] = [{"url": late_entry_url(), "valueBoolean": note.late_entry}]
    if note.awaiting_cosign:
        resource["extension"].append({"url": awaiting_cosign_url(), "valueBoolean": True})
    resource["status"] = "entered-in-error" if note.status == NoteStatus.ENTERED_IN_ERROR else "current"
    resource["docStatus"] = doc_status(note, signed_addenda)
    resource["type"] = {
        "coding": [coding(LOINC, *kind.loinc), coding(template_system(), kind.code, kind.label)],
        "text": kind.label,
    }
    resource["subject"] = {"reference": f"Patient/{note.patient_id}"}
    resource["date"] = note.created_at.isoformat()
    resource["author"] = [practitioner_reference(note.author)]
    if note.cosigned_by is not None:
        resource["authenticator"] = practitioner_reference(note.cosigned_by)
    if note.status == NoteStatus.ENTERED_IN_ERROR and note.error_reason:
        resource["description"] = f"Entered in error: {note.error_reason}"
    else:
        resource["description"] = kind.label
    text = note_text(note)
    resource["content"] = [
        {
            "attachment": {
                "contentType": "text/plain; charset=utf-8",
                "language": note.language,
                "data": base64.b64encode(text.encode()).decode(),
                "title": kind.label,
                "creation": (note.signed_at or note.created_at).isoformat(),
            }
        }
    ]
    context: dict[str, Any] = {"period": {"start": note.event_at.isoformat()}}
    if note.contact_id is not None and note.contact is not None:
        context["encounter"] = [{"reference": contact_encounter_reference(note.contact_id)}]
        context["related"] = [
            {"identifier": {"system": contact_system(), "value": str(note.contact_id)}, "display": str(note.contact)}
        ]
    resource["context"] = context
    return resource
