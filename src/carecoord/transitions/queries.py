"""Reads of the ADT feed with no permission check (callers go through ``access`` for people's data)."""

from __future__ import annotations

import uuid

from carecoord.transitions.models import (
    AdtEvent,
    AdtMessage,
    IntakeError,
    IntakeErrorStatus,
    MessageStatus,
)


def list_intake_errors(*, limit: int = 200) -> list[IntakeError]:
    """What arrived and was refused (AE/AR), waiting for an administrator, oldest first."""
    return list(IntakeError.objects.filter(status=IntakeErrorStatus.NEW).order_by("received_at", "pk")[:limit])


def list_review_queue(*, limit: int = 200) -> list[AdtMessage]:
    """Accepted messages whose person could not be found, oldest first."""
    return list(AdtMessage.objects.filter(status=MessageStatus.REVIEW).order_by("pk")[:limit])


def list_failed_messages(*, limit: int = 200) -> list[AdtMessage]:
    """Messages whose processing a rule refused (e.g. a discharge before the admission), oldest first."""
    return list(AdtMessage.objects.filter(status=MessageStatus.FAILED).order_by("pk")[:limit])


def list_events_for_patient(patient_id: uuid.UUID | str) -> list[AdtEvent]:
    """A person's ADT events, newest first, cancelled ones included (``retracted_by`` says so)."""
    return list(AdtEvent.objects.filter(patient_id=patient_id).order_by("-occurred_at", "-pk"))


def count_waiting() -> int:
    return AdtMessage.objects.filter(status__in=[MessageStatus.RECEIVED, MessageStatus.PROCESSING]).count()
