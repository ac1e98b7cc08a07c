"""Progress notes and their addenda.

A *progress note* documents care management work for a person in a template's sections (``notes/kinds.py``).
It is a draft while its author writes it; once signed it is locked: corrections are *addenda*, themselves locked
once signed. A note a program requires to be co-signed (``notes/rules.py``) waits in the supervisors' queue
until a supervisor co-signs it or returns it with a comment; a returned note stays signed by its author, and the
author's next signed addendum puts it back in the queue. A note written in error is marked so, never deleted.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from carecoord.notes.kinds import KINDS


class NoteStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SIGNED = "signed", "Signed"
    ENTERED_IN_ERROR = "entered_in_error", "Entered in error"


class ProgressNote(models.Model):
    """One progress note about a person, optionally for a contact and an enrollment.

    ``sections`` maps the template's section keys to plain text. ``event_at`` is when the contact or event
    happened; ``late_entry`` is set at signing when the note was signed more than the configured hours after it.
    ``security_labels`` (42CFRPart2, HIV) come from the program and from marking the note Part 2. ``returns``
    lists a supervisor's returns (``{"by", "name", "at", "comment"}``); ``returned`` is true until the author
    signs an addendum in answer.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="progress_notes")
    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    enrollment = models.ForeignKey(
        "programs.Enrollment", null=True, blank=True, on_delete=models.PROTECT, related_name="notes"
    )
    contact = models.ForeignKey(
        "contacts.Contact", null=True, blank=True, on_delete=models.PROTECT, related_name="notes"
    )
    kind = models.CharField(max_length=24, choices=[(k.code, k.label) for k in KINDS.values()])
    sections = models.JSONField(default=dict, blank=True)
    language = models.CharField(max_length=12, default="en")
    part2 = models.BooleanField(default=False, help_text="Marked as holding 42 CFR Part 2 information")
    security_labels = models.JSONField(default=list, blank=True)
    event_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=NoteStatus.choices, default=NoteStatus.DRAFT)
    late_entry = models.BooleanField(default=False)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    signed_at = models.DateTimeField(null=True, blank=True)
    cosign_required = models.BooleanField(default=False)
    cosigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cosigned_at = models.DateTimeField(null=True, blank=True)
    returned = models.BooleanField(default=False)
    returns = models.JSONField(default=list, blank=True)
    error_reason = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-event_at", "-created_at"]
        indexes = [
            models.Index(fields=["patient", "event_at"], name="note_patient_time"),
            models.Index(fields=["organization", "cosign_required", "cosigned_at"], name="note_cosign_queue"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.event_at:%Y-%m-%d}"

    @property
    def is_locked(self) -> bool:
        return self.status != NoteStatus.DRAFT

    @property
    def awaiting_cosign(self) -> bool:
        return (
            self.status == NoteStatus.SIGNED and self.cosign_required and self.cosigned_at is None and not self.returned
        )

    @property
    def state_label(self) -> str:
        """What the chart's badge says: Draft, Signed, Awaiting co-signature, Returned, Co-signed, In error."""
        if self.status != NoteStatus.SIGNED:
            return str(self.get_status_display())
        if self.cosigned_at is not None:
            return "Co-signed"
        if self.cosign_required:
            return "Returned for changes" if self.returned else "Awaiting co-signature"
        return "Signed"


class NoteAddendum(models.Model):
    """A correction or addition to a signed note, by any staff of the note's organization; locked once signed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    note = models.ForeignKey(ProgressNote, on_delete=models.CASCADE, related_name="addenda")
    text = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    signed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"Addendum {self.created_at:%Y-%m-%d}"

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None
