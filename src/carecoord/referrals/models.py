"""Closed-loop community referrals: a person sent to a service in the directory, with their consent to share, and
followed until the organization doing the work closes the loop (Gravity SDOH Clinical Care IG, STANDARDS.md D.2).

A ``Referral`` is the IG's ServiceRequest (what is asked, for whom, by whom, what is shared) and its referral
management Task (the state, in ``states.py``) in one record. Every change of state is a ``ReferralEvent`` with who,
when and why; services delivered are ``ReferralActivity`` rows (the IG's resulting activities). The organization
doing the work reaches the referral in one of three ways, per directory organization (``PartnerOrganization``):
its own users in CareCoord (role ``partner``), a remote FHIR server (another CareCoord or a referral platform), or
a secure, expiring link (``ReferralLink``) for partners with neither.
"""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from carecoord.referrals.states import OPEN, ReferralStatus


class PartnerOrganization(models.Model):
    """How referrals reach one organization listed in the directory.

    ``organization``: the partner works referrals here, as a tenant of this CareCoord (its ``partner`` users see
    only referrals sent to it). ``fhir_base_url``: referrals are sent to a remote FHIR server as a ServiceRequest and
    a Task, and their status is read back from it; the bearer token is read from the environment variable named in
    ``fhir_token_variable`` (never stored). ``link_recipient``: where secure links go when neither applies.
    """

    directory_organization = models.OneToOneField(
        "directory.ResourceOrganization", on_delete=models.CASCADE, related_name="partner"
    )
    organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.SET_NULL, related_name="partner_listings"
    )
    fhir_base_url = models.URLField(max_length=500, blank=True)
    fhir_token_variable = models.CharField(max_length=100, blank=True)
    remote_organization_reference = models.CharField(
        max_length=200, blank=True, help_text="The organization on the remote server, e.g. Organization/12"
    )
    link_recipient = models.CharField(max_length=254, blank=True, help_text="E-mail address for secure links")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"partner {self.directory_organization_id}"


class Direction(models.TextChoices):
    OUTGOING = "outgoing", "Sent from here"
    INCOMING = "incoming", "Received from another system"


class ConsentMethod(models.TextChoices):
    WRITTEN = "written", "Written"
    VERBAL = "verbal", "Verbal"
    ELECTRONIC = "electronic", "Electronic"


class ReferralPriority(models.TextChoices):
    """FHIR request priority."""

    ROUTINE = "routine", "Routine"
    URGENT = "urgent", "Urgent"
    ASAP = "asap", "As soon as possible"
    STAT = "stat", "Immediately"


class ReferralOutcome(models.TextChoices):
    """How a closed referral ended for the person (reported by the organization that did the work)."""

    NEED_MET = "need-met", "Need met"
    PARTLY_MET = "partly-met", "Need partly met"
    NOT_MET = "not-met", "Need not met"
    DECLINED = "declined", "Person declined the service"
    UNREACHABLE = "unreachable", "Could not reach the person"
    INELIGIBLE = "ineligible", "Not eligible"
    OTHER = "other", "Other"


class Referral(models.Model):
    """One community referral of a person to a service, from the referring organization's care team.

    ``shared`` is what the referral discloses to the organization doing the work, fixed when it is sent (the
    minimum necessary: name, birth date, phone, language, ZIP, ... as chosen); the partner sees that and the
    referral's own fields, never the chart. The consent to share is recorded on the referral. ``goal``,
    ``intervention``, ``screening`` and ``source_task`` say what the referral serves. ``remote_*`` link it to its
    copy on another system (a referral sent to, or received from, a remote FHIR server). ``version`` counts
    writes (optimistic concurrency for the FHIR edge).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    direction = models.CharField(max_length=10, choices=Direction.choices, default=Direction.OUTGOING)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="community_referrals")
    referring_organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="community_referrals_sent"
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requester_display = models.CharField(max_length=300, blank=True)
    need = models.CharField(max_length=40, blank=True, help_text="SDOH need category (assessments.scoring.sdoh)")
    service = models.ForeignKey(
        "directory.Service", null=True, blank=True, on_delete=models.SET_NULL, related_name="referrals"
    )
    location = models.ForeignKey(
        "directory.Location", null=True, blank=True, on_delete=models.SET_NULL, related_name="referrals"
    )
    target_directory_organization = models.ForeignKey(
        "directory.ResourceOrganization", null=True, blank=True, on_delete=models.SET_NULL, related_name="referrals"
    )
    target_organization = models.ForeignKey(
        "accounts.Organization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="community_referrals_received",
    )
    target_display = models.CharField(max_length=300, help_text="The organization and service as named when sent")
    priority = models.CharField(max_length=8, choices=ReferralPriority.choices, default=ReferralPriority.ROUTINE)
    reason = models.TextField(blank=True, help_text="Why the person is referred, as the partner will read it")
    note_to_partner = models.TextField(blank=True)
    shared = models.JSONField(default=dict, blank=True)
    consent_method = models.CharField(max_length=10, choices=ConsentMethod.choices, blank=True)
    consent_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    consent_recorded_at = models.DateTimeField(null=True, blank=True)
    consent_note = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=16, choices=ReferralStatus.choices, default=ReferralStatus.REQUESTED)
    status_reason = models.CharField(max_length=500, blank=True)
    status_changed_at = models.DateTimeField(default=timezone.now)
    authored_on = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=12, choices=ReferralOutcome.choices, blank=True)
    outcome_note = models.TextField(blank=True)
    goal = models.ForeignKey(
        "careplans.Goal", null=True, blank=True, on_delete=models.SET_NULL, related_name="community_referrals"
    )
    intervention = models.ForeignKey(
        "careplans.Intervention",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="community_referrals",
    )
    screening = models.ForeignKey(
        "assessments.QuestionnaireResponse",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="community_referrals",
    )
    source_task = models.ForeignKey(
        "tasks.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="community_referrals"
    )
    remote_base_url = models.URLField(max_length=500, blank=True)
    remote_service_request_id = models.CharField(max_length=200, blank=True)
    remote_task_id = models.CharField(max_length=200, blank=True)
    remote_version = models.CharField(max_length=64, blank=True)
    remote_synced_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # The organization doing the work changed something the requester has not opened the referral since (the day
    # view's "referral updates"); cleared when the requester opens it.
    unseen_by_requester = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(
                fields=["requester", "status_changed_at"],
                condition=models.Q(unseen_by_requester=True),
                name="sdoh_referral_unseen",
            ),
            models.Index(fields=["target_organization", "status", "authored_on"], name="sdoh_referral_target"),
            models.Index(fields=["referring_organization", "status", "authored_on"], name="sdoh_referral_source"),
            models.Index(fields=["patient", "authored_on"], name="sdoh_referral_patient"),
            models.Index(fields=["requester", "status_changed_at"], name="sdoh_referral_requester"),
            # Follow-up of referrals nobody has accepted yet (the rules job).
            models.Index(fields=["authored_on"], condition=models.Q(status="requested"), name="sdoh_referral_waiting"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["remote_base_url", "remote_task_id"],
                condition=~models.Q(remote_task_id=""),
                name="sdoh_referral_remote_once",
            ),
        ]

    def __str__(self) -> str:
        return f"referral to {self.target_display}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @property
    def patient_name(self) -> str:
        """The person's name as shared with the partner (the partner never reads the chart)."""
        return str(self.shared.get("name", "")) if isinstance(self.shared, dict) else ""


class EventChannel(models.TextChoices):
    WEB = "web", "Web"
    FHIR = "fhir", "FHIR API"
    LINK = "link", "Secure link"
    SYNC = "sync", "Read from the remote system"
    JOB = "job", "Background job"
    CLI = "cli", "Command line"


class ReferralEvent(models.Model):
    """One change of a referral's state (or a note on it), with who made it, when, through what, and why."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    from_status = models.CharField(max_length=16, choices=ReferralStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=ReferralStatus.choices, blank=True)
    reason = models.TextField(blank=True)
    by_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    by_display = models.CharField(max_length=300, help_text="Who, as shown in the timeline")
    channel = models.CharField(max_length=8, choices=EventChannel.choices, default=EventChannel.WEB)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["referral", "at"], name="sdoh_referral_event_at")]

    def __str__(self) -> str:
        return f"{self.from_status or 'new'} → {self.to_status}"


class ReferralActivity(models.Model):
    """A service the partner delivered under the referral (the IG's resulting activity, a Procedure)."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="activities")
    performed_on = models.DateField()
    description = models.CharField(max_length=500)
    code = models.CharField(max_length=40, blank=True, help_text="SNOMED CT procedure code, when known")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    recorded_by_display = models.CharField(max_length=300)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["performed_on", "recorded_at"]

    def __str__(self) -> str:
        return self.description


class ReferralLink(models.Model):
    """A secure, expiring link that lets a partner without an account see and work one referral.

    Only the SHA-256 of the token is stored; the token itself is shown once, when the link is made. A link stops
    working when it expires, is revoked, or the referral closes."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="links")
    token_hash = models.CharField(max_length=64, unique=True)
    recipient = models.CharField(max_length=254, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    use_count = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"link to referral {self.referral_id}"

    def unusable_because(self, now: datetime.datetime) -> str:
        """Why the link no longer opens its referral ("revoked", "expired", "closed"), or "" while it does."""
        if self.revoked_at is not None:
            return "revoked"
        if now >= self.expires_at:
            return "expired"
        return "" if self.referral.is_open else "closed"
