"""Messages to an organization or one user about something that needs their attention."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class NotificationKind(models.TextChoices):
    CONSENT_WITHDRAWN = "consent_withdrawn", "Consent withdrawn"
    PARTNER_REMOVED = "partner_removed", "Removed from a consent"
    REFERRAL_RECEIVED = "referral_received", "Referral received"
    REFERRAL_DECIDED = "referral_decided", "Referral accepted or rejected"
    CASELOAD_ASSIGNED = "caseload_assigned", "Person assigned to you"
    COVERAGE = "coverage", "Caseload coverage"
    HOSPITAL_EVENT = "hospital_event", "Hospital admission, ED visit or discharge"
    SAFETY_ESCALATION = "safety_escalation", "Safety task not acted on in time"
    COMMUNITY_REFERRAL = "community_referral", "Community referral update"


class Notification(models.Model):
    """A notice for an organization (all its staff may see it) or one user; read once, kept for the record.

    The body says only what the recipient needs (minimum necessary): for a partner told of a withdrawn consent,
    the person's name, date of birth and the effective date, never the record itself.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="notifications")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    patient = models.ForeignKey("patients.Patient", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=24, choices=NotificationKind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    read_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organization", "read_at", "created_at"], name="notification_inbox")]

    def __str__(self) -> str:
        return self.title
