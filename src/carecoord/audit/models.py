"""The append-only audit trail and break-the-glass grants."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditAction(models.TextChoices):
    READ = "read", "Read"
    SEARCH = "search", "Search"
    CREATE = "create", "Create"
    UPDATE = "update", "Update"
    DELETE = "delete", "Delete"
    EXPORT = "export", "Export"
    LOGIN = "login", "Log in"
    LOGOUT = "logout", "Log out"
    LOGIN_FAILED = "login_failed", "Failed log-in"
    BREAK_GLASS = "break_glass", "Break the glass"
    REVIEW = "review", "Review"
    SECURITY = "security", "Security change"


class AuditOutcome(models.TextChoices):
    SUCCESS = "success", "Success"
    DENIED = "denied", "Denied"
    FAILED = "failed", "Failed"


class Purpose(models.TextChoices):
    """Purpose of use, after HL7 v3 PurposeOfUse."""

    TREATMENT = "TREAT", "Treatment and care coordination"
    OPERATIONS = "HOPERAT", "Health care operations"
    PAYMENT = "HPAYMT", "Payment"
    EMERGENCY = "ETREAT", "Emergency (break the glass)"
    AUDIT = "HSYSADMIN", "System administration and audit"
    PATIENT_REQUEST = "PATRQT", "Patient request"


class AuditRecord(models.Model):
    """One recorded access to the system or to a person's record.

    Records are never updated or deleted. Each stores the hash of the previous record and its own hash over
    its content, so ``carecoord audit verify`` finds the first altered, inserted or removed record.
    """

    id = models.BigAutoField(primary_key=True)
    recorded_at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False
    )
    username = models.CharField(max_length=150, blank=True)
    organization_id = models.UUIDField(null=True, blank=True)
    role = models.CharField(max_length=32, blank=True)
    patient_id = models.UUIDField(null=True, blank=True, db_index=True)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    action = models.CharField(max_length=16, choices=AuditAction.choices)
    outcome = models.CharField(max_length=8, choices=AuditOutcome.choices, default=AuditOutcome.SUCCESS)
    purpose = models.CharField(max_length=12, choices=Purpose.choices, blank=True)
    channel = models.CharField(max_length=12, blank=True)
    client_address = models.CharField(max_length=64, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["user", "recorded_at"], name="audit_user_time"),
            models.Index(fields=["organization_id", "recorded_at"], name="audit_org_time"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.username} {self.action} {self.object_type}/{self.object_id}"


class BreakGlassStatus(models.TextChoices):
    PENDING = "pending", "Awaiting review"
    APPROPRIATE = "appropriate", "Reviewed: appropriate"
    INAPPROPRIATE = "inappropriate", "Reviewed: inappropriate"


class BreakGlassGrant(models.Model):
    """Emergency access to a person's record a user would not otherwise see, with a stated reason.

    It lasts a few hours, is audited, and waits in the user's supervisor queue until reviewed.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="break_glass_grants")
    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="break_glass_grants")
    reason = models.TextField()
    granted_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=BreakGlassStatus.choices, default=BreakGlassStatus.PENDING)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-granted_at"]
        indexes = [models.Index(fields=["user", "patient", "expires_at"], name="breakglass_lookup")]

    def __str__(self) -> str:
        return f"{self.user} → {self.patient_id} ({self.get_status_display()})"
