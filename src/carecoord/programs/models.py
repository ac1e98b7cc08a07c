"""Care management programs and how a person moves through one: referral in, segments, outreach, enrollment.

The vocabulary follows New York's MAPP Health Home Tracking System (STANDARDS.md A.4, A.5), the strictest
common rule set, and works for any program: a *referral* asks an organization to take a person on; *segments*
(assignment, outreach, enrollment) record which organization is responsible for the person in a program and
when, and drive who may see the record; an *enrollment* is the episode of care itself.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Program(models.Model):
    """A configurable care management program (NY Health Home, Medicare CCM, complex care…).

    Rules that vary by program live here, editable by an org admin; the shipped values come from
    ``programs/catalog.py`` (STANDARDS.md A and B; values marked [R] there are defaults, not law).
    """

    code = models.SlugField(max_length=32, primary_key=True, help_text="Code in CodeSystem/program")
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    active = models.BooleanField(default=True)
    # Who may be enrolled
    min_age = models.PositiveSmallIntegerField(null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Age at enrollment, inclusive")
    eligibility = models.JSONField(default=list, blank=True, help_text="Eligibility criteria, one per line")
    # Consent: any one of these forms, active, is required before enrollment completes
    required_consents = models.JSONField(default=list, blank=True)
    # Outreach (NY Health Home, STANDARDS.md A.4)
    outreach_allowed = models.BooleanField(default=False)
    outreach_max_consecutive_months = models.PositiveSmallIntegerField(null=True, blank=True)
    outreach_second_month_needs_in_person = models.BooleanField(default=False)
    outreach_max_billable_months_per_year = models.PositiveSmallIntegerField(null=True, blank=True)
    # Monthly contact minimums for an enrolled person (core services, in person, with the care manager)
    min_core_services_per_month = models.PositiveSmallIntegerField(default=0)
    min_in_person_per_month = models.PositiveSmallIntegerField(default=0)
    min_minutes_per_month = models.PositiveSmallIntegerField(default=0)
    # Deadlines after enrollment start, and plan review cadence
    assessment_due_days = models.PositiveSmallIntegerField(null=True, blank=True)
    plan_due_days = models.PositiveSmallIntegerField(null=True, blank=True)
    plan_review_days = models.PositiveSmallIntegerField(null=True, blank=True)
    acuity_tiers = models.JSONField(default=list, blank=True, help_text='[{"code": "high", "label": "High"}, …]')
    # Data from this program carries these labels (e.g. HIV) and is shown only where a consent releases them
    security_labels = models.JSONField(default=list, blank=True)
    caseload_limit = models.PositiveSmallIntegerField(null=True, blank=True, help_text="People per care manager")
    needs_licensed_care_manager = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ReferralSource(models.TextChoices):
    PROVIDER = "provider", "Provider"
    PLAN_ASSIGNMENT = "plan_assignment", "Health plan assignment"
    HEALTH_HOME_ASSIGNMENT = "health_home_assignment", "Health Home assignment"
    SELF = "self", "Self-referral"
    HOSPITAL_EVENT = "hospital_event", "Hospital event"
    COMMUNITY = "community", "Community organization"


class ReferralStatus(models.TextChoices):
    """FHIR ServiceRequest.status, with the decision in ``decision``."""

    PENDING = "pending", "Waiting for a decision"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"


class ProgramReferral(models.Model):
    """A request that an organization take a person into a program (FHIR ServiceRequest)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="program_referrals")
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="referrals")
    source = models.CharField(max_length=24, choices=ReferralSource.choices)
    referring_organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="referrals_made"
    )
    referrer_name = models.CharField(max_length=200, blank=True, help_text="Person who referred, if not a user")
    receiving_organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="referrals_received"
    )
    reason = models.TextField(blank=True)
    security_labels = models.JSONField(default=list, blank=True, help_text="e.g. 42CFRPart2 from an SUD program")
    status = models.CharField(max_length=12, choices=ReferralStatus.choices, default=ReferralStatus.PENDING)
    decision_reason = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    received_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    external_id = models.CharField(max_length=64, blank=True, help_text="Id in the sender's file, e.g. a plan row")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["receiving_organization", "status", "received_at"], name="referral_inbox"),
            models.Index(fields=["patient", "program"], name="referral_patient"),
        ]

    def __str__(self) -> str:
        return f"{self.program} referral to {self.receiving_organization}"


class SegmentKind(models.TextChoices):
    ASSIGNMENT = "assignment", "Assignment"
    OUTREACH = "outreach", "Outreach"
    ENROLLMENT = "enrollment", "Enrollment"


class SegmentEndReason(models.TextChoices):
    """MAPP segment end date reason codes (STANDARDS.md A.5; codes not read there are ours, prefixed x-)."""

    TRANSFERRED_HEALTH_HOME = "1", "Transferred to another Health Home"
    OPTED_OUT = "2", "Opted out (before consent)"
    TRANSFERRED_AGENCY = "3", "Transferred to another care management agency"
    DECEASED = "4", "Deceased"
    NEW_CIN = "5", "Has a new Medicaid CIN"
    HEALTH_WELFARE_SAFETY = "7", "Closed for health, welfare and safety concerns"
    CONSENT_WITHDRAWN = "x-withdrawn", "Withdrew consent"
    GOALS_MET = "x-graduated", "Goals met (graduated)"
    ENROLLED = "x-enrolled", "Outreach ended: enrolled"
    UNABLE_TO_REACH = "x-unreached", "Unable to locate or engage"
    NOT_ELIGIBLE = "x-ineligible", "No longer eligible"
    MOVED = "x-moved", "Moved out of the service area"
    OTHER = "x-other", "Other"


class Segment(models.Model):
    """An organization's responsibility for a person in a program over a period (MAPP assignment, outreach
    or enrollment segment). While active, the organization's staff may see the person's record."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="segments")
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="segments")
    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="segments")
    health_home = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=SegmentKind.choices)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    end_reason = models.CharField(max_length=16, choices=SegmentEndReason.choices, blank=True)
    end_note = models.TextField(blank=True)
    referral = models.ForeignKey(ProgramReferral, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    transferred_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["patient", "start_date"]
        indexes = [
            models.Index(fields=["patient", "organization"], name="segment_patient_org"),
            models.Index(fields=["organization", "kind", "end_date"], name="segment_org_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} segment, {self.organization}, from {self.start_date}"


class OutreachMethod(models.TextChoices):
    PHONE = "phone", "Phone"
    TEXT = "text", "Text message"
    MAIL = "mail", "Mail"
    EMAIL = "email", "Email"
    IN_PERSON = "in_person", "In person"


class OutreachDirection(models.TextChoices):
    OUTBOUND = "outbound", "We reached out"
    INBOUND = "inbound", "The person contacted us"


class OutreachOutcome(models.TextChoices):
    REACHED = "reached", "Reached, engaged"
    REACHED_DECLINED = "declined", "Reached, declined"
    LEFT_MESSAGE = "left_message", "Left a message"
    NO_ANSWER = "no_answer", "No answer"
    WRONG_NUMBER = "wrong_number", "Wrong number or address"
    NOT_FOUND = "not_found", "Not found at the address"
    RETURNED_MAIL = "returned_mail", "Mail returned"
    SENT = "sent", "Sent, no reply yet"


class OutreachAttempt(models.Model):
    """One attempt to reach a person not yet enrolled; in-person attempts are face-to-face for NY's rule."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="outreach_attempts")
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    segment = models.ForeignKey(Segment, null=True, blank=True, on_delete=models.SET_NULL, related_name="attempts")
    attempted_at = models.DateTimeField()
    method = models.CharField(max_length=12, choices=OutreachMethod.choices)
    direction = models.CharField(max_length=10, choices=OutreachDirection.choices, default=OutreachDirection.OUTBOUND)
    outcome = models.CharField(max_length=16, choices=OutreachOutcome.choices)
    duration_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    diligent_search = models.BooleanField(default=False, help_text="Searching for a person who cannot be found")
    note = models.TextField(blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-attempted_at"]
        indexes = [models.Index(fields=["patient", "attempted_at"], name="outreach_patient_time")]

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.attempted_at:%Y-%m-%d}: {self.get_outcome_display()}"


class OutreachMonthStatus(models.TextChoices):
    BILLABLE = "billable", "Billable"
    REFUSED = "refused", "Not billable"


class OutreachMonth(models.Model):
    """An organization's claim of one calendar month of outreach for a person, with the rules' verdict.

    The NY limits follow the person across organizations (STANDARDS.md A.4), so verdicts count every
    organization's billable months.
    """

    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="outreach_months")
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    month = models.DateField(help_text="First day of the month")
    status = models.CharField(max_length=10, choices=OutreachMonthStatus.choices)
    reason = models.TextField(blank=True)
    decided_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["patient", "month"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "program", "organization", "month"], name="outreach_month_once")
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.get_status_display()}"


class EnrollmentStatus(models.TextChoices):
    """FHIR EpisodeOfCare.status."""

    PLANNED = "planned", "Planned"
    ACTIVE = "active", "Enrolled"
    ON_HOLD = "onhold", "On hold"
    FINISHED = "finished", "Ended"
    CANCELLED = "cancelled", "Cancelled"


class EnrollmentEndReason(models.TextChoices):
    GRADUATED = "graduated", "Goals met (graduated)"
    DISENROLLED = "disenrolled", "Disenrolled at the person's request"
    CONSENT_WITHDRAWN = "consent_withdrawn", "Withdrew consent (DOH-5058)"
    TRANSFERRED = "transferred", "Transferred to another organization"
    DECEASED = "deceased", "Deceased"
    INELIGIBLE = "ineligible", "No longer eligible"
    MOVED = "moved", "Moved out of the service area"
    UNREACHABLE = "unreachable", "Lost contact"
    HEALTH_WELFARE_SAFETY = "safety", "Closed for health, welfare and safety concerns"
    OTHER = "other", "Other"


class Enrollment(models.Model):
    """A person's episode of care in a program with one organization (FHIR EpisodeOfCare).

    Re-enrolling creates a new episode; ended episodes stay as history.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="enrollments")
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="enrollments")
    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="enrollments")
    health_home = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    care_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="caseload"
    )
    status = models.CharField(max_length=12, choices=EnrollmentStatus.choices, default=EnrollmentStatus.ACTIVE)
    acuity = models.CharField(max_length=16, blank=True)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    end_reason = models.CharField(max_length=20, choices=EnrollmentEndReason.choices, blank=True)
    end_note = models.TextField(blank=True)
    consent = models.ForeignKey(
        "consents.Consent", null=True, blank=True, on_delete=models.PROTECT, related_name="enrollments"
    )
    segment = models.ForeignKey(Segment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    referral = models.ForeignKey(ProgramReferral, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    clinical_need = models.BooleanField(default=False, help_text="Needs a licensed care manager")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-start_date"]
        indexes = [
            models.Index(fields=["care_manager", "status"], name="enrollment_caseload"),
            # The supervisor's caseload counts (grouped by care manager, program and acuity) read only this index.
            models.Index(
                fields=["organization", "status", "care_manager", "program", "acuity"], name="enrollment_org_caseload"
            ),
            # The board's enrolled column: newest first, and people still without a care manager.
            models.Index(fields=["organization", "start_date"], name="enrollment_org_start"),
            models.Index(
                fields=["organization", "start_date"],
                condition=models.Q(care_manager__isnull=True),
                name="enrollment_unassigned",
            ),
            models.Index(fields=["patient", "program"], name="enrollment_patient"),
        ]

    def __str__(self) -> str:
        return f"{self.program} at {self.organization} from {self.start_date}"


class CaseloadCoverage(models.Model):
    """A colleague covers a care manager's caseload for a period (leave, vacation)."""

    care_manager = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="coverages")
    covered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="covering")
    start_date = models.DateField()
    end_date = models.DateField()
    reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-start_date"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end_date__gte=models.F("start_date")), name="coverage_dates"),
            models.CheckConstraint(condition=~models.Q(care_manager=models.F("covered_by")), name="coverage_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.covered_by} covers {self.care_manager} {self.start_date}-{self.end_date}"
