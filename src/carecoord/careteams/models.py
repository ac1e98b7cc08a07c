"""The people who work together on one person's care."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class CareTeamStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    INACTIVE = "inactive", "Inactive"


class CareTeam(models.Model):
    """The team around one person: staff of several organizations, the person's caregivers, outside clinicians."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="care_teams")
    name = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=12, choices=CareTeamStatus.choices, default=CareTeamStatus.ACTIVE)
    managing_organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name or f"Care team {self.pk}"


class CareTeamMemberRole(models.TextChoices):
    LEAD_CARE_MANAGER = "lead_care_manager", "Lead care manager"
    CARE_MANAGER = "care_manager", "Care manager"
    CARE_COORDINATOR = "care_coordinator", "Care coordinator"
    NURSE = "nurse", "Nurse"
    PRIMARY_CARE = "primary_care", "Primary care provider"
    BEHAVIORAL_HEALTH = "behavioral_health", "Behavioral health clinician"
    PHARMACIST = "pharmacist", "Pharmacist"
    COMMUNITY_PARTNER = "community_partner", "Community partner"
    SUPERVISOR = "supervisor", "Supervisor"


class CareTeamMember(models.Model):
    """A staff user's place on a care team for a period; an active place lets them see the record."""

    care_team = models.ForeignKey(CareTeam, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="care_team_places")
    role = models.CharField(max_length=24, choices=CareTeamMemberRole.choices)
    start_date = models.DateField(default=timezone.localdate)
    end_date = models.DateField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "care_team"], name="careteam_member_user")]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"
