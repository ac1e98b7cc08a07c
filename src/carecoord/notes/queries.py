"""Reads with no permission check: a person's notes, one note with its addenda, the co-sign queue.
``notes.access`` builds on these."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from carecoord.notes.models import NoteStatus, ProgressNote


def with_related(rows: QuerySet[ProgressNote]) -> QuerySet[ProgressNote]:
    return rows.select_related("author", "cosigned_by", "enrollment__program", "contact", "patient").annotate(
        signed_addenda=Count("addenda", filter=Q(addenda__signed_at__isnull=False))
    )


def notes_of(patient_id: Any, organization_id: Any) -> QuerySet[ProgressNote]:
    """The person's notes an organization may be shown before the label gate: its own, and others' signed ones."""
    return with_related(
        ProgressNote.objects.filter(patient_id=patient_id).filter(
            Q(organization_id=organization_id) | ~Q(status=NoteStatus.DRAFT)
        )
    )


def cosign_queue(organization_id: Any) -> QuerySet[ProgressNote]:
    """The organization's signed notes waiting for a supervisor's co-signature, oldest first."""
    return with_related(
        ProgressNote.objects.filter(
            organization_id=organization_id,
            status=NoteStatus.SIGNED,
            cosign_required=True,
            cosigned_at__isnull=True,
            returned=False,
        )
    ).order_by("signed_at", "pk")
