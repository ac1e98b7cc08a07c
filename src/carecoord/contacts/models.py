"""Contacts with or about a person, the time spent on their care, and each month's billing readiness.

A *contact* is one interaction (a call, a home visit, a text, a call with the person's doctor) with the Health
Home core services it delivered (PRODUCT.md ``CodeSystem/core-service``); a *time entry* is care management
work without a contact (revising the care plan, reconciling medications). Both carry the staff type of the
user who did the work, fixed when recorded, so Medicare time counts by who did it then. A *month status* is the
billing readiness of one enrollment in one calendar month, recomputed whenever work is recorded
(``contacts.billing``). A *month close* freezes an organization's month for billing; work dated in a closed
month then leaves the closed figures as they were and records a *billing correction* instead.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Modality(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    HOME_VISIT = "home_visit", "Home visit"
    PHONE = "phone", "Phone"
    VIDEO = "video", "Video"
    TEXT = "text", "Text message"
    EMAIL = "email", "Email"
    MAIL = "mail", "Mail"
    COLLATERAL_PROVIDER = "collateral_provider", "With a provider (collateral)"
    COLLATERAL_FAMILY = "collateral_family", "With family or a caregiver (collateral)"


# Face to face with the person (STANDARDS.md A.3: in-person cannot be telehealth).
IN_PERSON_MODALITIES: frozenset[str] = frozenset({Modality.IN_PERSON, Modality.HOME_VISIT})


class Outcome(models.TextChoices):
    REACHED = "reached", "Reached"
    COMPLETED = "completed", "Completed (no conversation needed)"
    LEFT_MESSAGE = "left_message", "Left a message"
    NO_ANSWER = "no_answer", "No answer"
    REFUSED = "refused", "Reached, refused"
    WRONG_NUMBER = "wrong_number", "Wrong number or address"
    SENT = "sent", "Sent, no reply yet"


class CoreService(models.TextChoices):
    """The six Health Home core services (PRODUCT.md, ``CodeSystem/core-service``)."""

    CARE_MANAGEMENT = "care-management", "Comprehensive care management"
    CARE_COORDINATION = "care-coordination", "Care coordination and health promotion"
    TRANSITIONAL_CARE = "transitional-care", "Comprehensive transitional care"
    PATIENT_FAMILY_SUPPORT = "patient-family-support", "Patient and family support"
    COMMUNITY_REFERRAL = "community-referral", "Referral to community and social supports"
    HIT_LINKAGE = "hit-linkage", "Use of health information technology"


class StaffType(models.TextChoices):
    """Who did the work, for Medicare time (STANDARDS.md B.1: non-clinical staff time is not counted)."""

    PRACTITIONER = "practitioner", "Billing practitioner"
    CLINICAL = "clinical", "Clinical staff"
    NON_CLINICAL = "non_clinical", "Non-clinical staff"


class Participant(models.TextChoices):
    PERSON = "person", "The person"
    CAREGIVER = "caregiver", "Caregiver or family"
    PROVIDER = "provider", "Provider"
    TEAM_MEMBER = "team_member", "Care team member"


class Contact(models.Model):
    """One contact with or about a person: when, how, with whom, for how long, what it achieved.

    ``participants`` is a list of ``{"role": Participant, "name": str}``; ``with_person`` says whether the
    person took part (in-person core services count only then). ``links`` are references to what the contact
    served (``Goal/<id>``, ``Task/<id>``, ``Referral/<id>``, ``Transition/<id>``). ``late_entry`` is set when
    it was recorded more than the configured hours after it happened.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="care_contacts")
    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    enrollment = models.ForeignKey(
        "programs.Enrollment", null=True, blank=True, on_delete=models.PROTECT, related_name="contacts"
    )
    occurred_at = models.DateTimeField()
    modality = models.CharField(max_length=24, choices=Modality.choices)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    with_person = models.BooleanField(default=True)
    participants = models.JSONField(default=list, blank=True)
    place = models.CharField(max_length=200, blank=True)
    duration_minutes = models.PositiveSmallIntegerField(default=0)
    purpose = models.TextField(blank=True)
    core_services = models.JSONField(default=list, blank=True)
    links = models.JSONField(default=list, blank=True)
    late_entry = models.BooleanField(default=False)
    timed = models.BooleanField(default=False, help_text="Duration measured with the timer")
    staff_type = models.CharField(max_length=16, choices=StaffType.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-occurred_at"]
        indexes = [
            models.Index(fields=["patient", "occurred_at"], name="contact_patient_time"),
            models.Index(fields=["enrollment", "occurred_at"], name="contact_enrollment_time"),
            models.Index(fields=["by", "occurred_at"], name="contact_by_time"),
        ]

    def __str__(self) -> str:
        return f"{self.get_modality_display()} {self.occurred_at:%Y-%m-%d}: {self.get_outcome_display()}"

    @property
    def core_service_labels(self) -> list[str]:
        return [CoreService(code).label if code in CoreService.values else code for code in self.core_services]


class Activity(models.TextChoices):
    CARE_PLAN = "care_plan", "Care plan development or revision"
    MEDICATION = "medication", "Medication management or reconciliation"
    COORDINATION = "coordination", "Coordination with providers"
    RECORDS = "records", "Review of records and results"
    COMMUNITY = "community", "Arranging community services"
    TRANSITION = "transition", "Transition of care work"
    OTHER = "other", "Other care management work"


class TimeEntry(models.Model):
    """Care management time without a contact (care plan revision, medication management, coordination)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="time_entries")
    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    enrollment = models.ForeignKey(
        "programs.Enrollment", null=True, blank=True, on_delete=models.PROTECT, related_name="time_entries"
    )
    performed_at = models.DateTimeField()
    activity = models.CharField(max_length=16, choices=Activity.choices)
    minutes = models.PositiveSmallIntegerField()
    note = models.TextField(blank=True)
    staff_type = models.CharField(max_length=16, choices=StaffType.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-performed_at"]
        indexes = [
            models.Index(fields=["patient", "performed_at"], name="time_patient_time"),
            models.Index(fields=["enrollment", "performed_at"], name="time_enrollment_time"),
        ]

    def __str__(self) -> str:
        return f"{self.minutes} min {self.get_activity_display()}"


class ContactTimer(models.Model):
    """A running contact timer: one per user and person, kept on the server so reloads and other tabs see it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "patient"], name="contact_timer_once")]

    def __str__(self) -> str:
        return f"Timer from {self.started_at:%H:%M}"


class Readiness(models.TextChoices):
    BILLABLE = "billable", "Billable"
    AT_RISK = "at_risk", "At risk"
    NOT_BILLABLE = "not_billable", "Not billable"
    NOT_ASSESSED = "not_assessed", "Not assessed here"


class MonthStatus(models.Model):
    """The billing readiness of one enrollment in one calendar month, as of ``computed_at``.

    ``codes`` are what may be billed (``[{"code": "99490", "units": 1}]`` or a Health Home rate),
    ``reasons`` say why not (or what limits it), ``missing`` what is still needed while the month is open,
    ``counts`` the figures the rules used (core services, in person, minutes by staff type).
    """

    enrollment = models.ForeignKey("programs.Enrollment", on_delete=models.CASCADE, related_name="month_statuses")
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="+")
    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    month = models.DateField(help_text="First day of the month")
    status = models.CharField(max_length=16, choices=Readiness.choices)
    rate = models.CharField(max_length=40, blank=True)
    acuity = models.CharField(max_length=16, blank=True)
    codes = models.JSONField(default=list, blank=True)
    reasons = models.JSONField(default=list, blank=True)
    missing = models.JSONField(default=list, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    computed_at = models.DateTimeField(default=timezone.now)
    closed = models.BooleanField(default=False, help_text="Frozen by the month close: later work makes corrections")

    class Meta:
        ordering = ["month"]
        constraints = [models.UniqueConstraint(fields=["enrollment", "month"], name="month_status_once")]
        indexes = [
            models.Index(fields=["organization", "month", "status"], name="month_status_report"),
            # The closed month's report reads the frozen rows in person order, a batch at a time.
            models.Index(fields=["organization", "month", "patient", "id"], name="month_status_person_order"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.get_status_display()}"


class MonthClose(models.Model):
    """An organization's calendar month closed for billing: its month statuses are frozen as judged at
    ``closed_at``. Reopening (an org admin, with a reason) ends this close; closing again makes a new one, so
    the history of closes stays."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    month = models.DateField(help_text="First day of the month")
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(default=timezone.now)
    enrollments = models.PositiveIntegerField(default=0, help_text="Enrollments judged at the close")
    billable = models.PositiveIntegerField(default=0)
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reopened_at = models.DateTimeField(null=True, blank=True)
    reopen_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-month", "-closed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "month"],
                condition=models.Q(reopened_at__isnull=True),
                name="month_close_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} closed {self.closed_at:%Y-%m-%d}"


class BillingCorrection(models.Model):
    """A change to a closed month's verdict for one enrollment, caused by work recorded after the close (a late
    contact or time entry): what the close said (or the previous correction), what the rules say now, what
    caused it and who. The closed month status keeps its closed value; the report lists the corrections."""

    month_close = models.ForeignKey(MonthClose, on_delete=models.PROTECT, related_name="corrections")
    enrollment = models.ForeignKey("programs.Enrollment", on_delete=models.CASCADE, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="+")
    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    month = models.DateField()
    before_status = models.CharField(max_length=16, choices=Readiness.choices, blank=True)
    before_codes = models.JSONField(default=list, blank=True)
    after_status = models.CharField(max_length=16, choices=Readiness.choices)
    after_codes = models.JSONField(default=list, blank=True)
    after_reasons = models.JSONField(default=list, blank=True)
    trigger_type = models.CharField(max_length=40, help_text="What was recorded: Contact, TimeEntry")
    trigger_id = models.CharField(max_length=64)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["recorded_at", "id"]
        indexes = [models.Index(fields=["organization", "month"], name="billing_correction_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.before_status or '-'} -> {self.after_status}"
