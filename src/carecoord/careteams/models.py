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
    SPECIALIST = "specialist", "Specialist"
    CBO_CONTACT = "cbo_contact", "Community organization contact"
    CAREGIVER = "caregiver", "Family caregiver"
    PATIENT = "patient", "The person"
    HOSPITAL = "hospital", "Hospital contact"
    HEALTH_PLAN = "health_plan", "Health plan care manager"


class MemberKind(models.TextChoices):
    """Who the member is: staff with an account, or someone outside the system (FHIR CareTeam.participant)."""

    STAFF = "staff", "Staff user"
    PRACTITIONER = "practitioner", "Clinician"
    RELATED_PERSON = "related_person", "Caregiver or family"
    PATIENT = "patient", "The person"
    OTHER = "other", "Other contact"


class CareTeamMember(models.Model):
    """A place on a care team for a period. A staff user's active place lets them see the record, subject to
    consent (patients/access.py); clinicians, caregivers and the person are members without an account."""

    care_team = models.ForeignKey(CareTeam, on_delete=models.CASCADE, related_name="members")
    kind = models.CharField(max_length=16, choices=MemberKind.choices, default=MemberKind.STAFF)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="care_team_places",
    )
    practitioner = models.ForeignKey(
        "accounts.Practitioner", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    contact = models.ForeignKey(
        "patients.PatientContact", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(max_length=200, blank=True, help_text="For members without an account")
    phone = models.CharField(max_length=32, blank=True)
    email = models.EmailField(blank=True)
    role = models.CharField(max_length=24, choices=CareTeamMemberRole.choices)
    is_lead = models.BooleanField(default=False)
    start_date = models.DateField(default=timezone.localdate)
    end_date = models.DateField(null=True, blank=True)
    end_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "care_team"], name="careteam_member_user")]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.get_role_display()})"

    @property
    def display_name(self) -> str:
        if self.user_id is not None:
            return str(self.user)
        return self.name or (str(self.practitioner) if self.practitioner_id else "")
