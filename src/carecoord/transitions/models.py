"""Transitions of care: what hospitals tell us over HL7 v2 ADT, and what it meant for a person.

An ``AdtMessage`` is stored exactly as received (and committed) before it is acknowledged; a worker later turns
it into ``AdtEvent`` rows and encounters. Messages that could not be accepted wait in the ``IntakeError``
queue; accepted messages whose person could not be found wait in review (status ``review``) until someone
links them, which also records an ``AdtPatientLink`` so the facility's identifier matches next time.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class MessageStatus(models.TextChoices):
    RECEIVED = "received", "Received, waiting to be processed"
    PROCESSING = "processing", "Being processed"
    PROCESSED = "processed", "Processed"
    IGNORED = "ignored", "Nothing to do (event not used)"
    REVIEW = "review", "Waiting for review (person not matched)"
    FAILED = "failed", "Processing failed"


# Statuses that hold back later messages about the same person (processing is in order per person).
WAITING_STATUSES = (MessageStatus.RECEIVED, MessageStatus.PROCESSING, MessageStatus.REVIEW)


class AdtMessage(models.Model):
    """One ADT message from a hospital or HIE, stored exactly as it arrived, before it was acknowledged.

    ``sending_facility`` (MSH-4 as sent) and ``control_id`` (MSH-10) identify it: a resent message is
    acknowledged again but stored once. ``patient_key`` names the person as the sender does (first PID-3
    identifier with its assigning authority, or name and birth date) so that a person's messages are processed
    in the order received. Workers claim a message by moving it from ``received`` to ``processing``.
    """

    received_at = models.DateTimeField(default=timezone.now)
    peer = models.CharField(max_length=100, blank=True, help_text="Address of the connection it came on")
    sending_application = models.CharField(max_length=200, blank=True)
    sending_facility = models.CharField(max_length=200, blank=True)
    control_id = models.CharField(max_length=200)
    message_type = models.CharField(max_length=16, help_text="MSH-9.1, e.g. ADT")
    trigger_event = models.CharField(max_length=16, blank=True, help_text="MSH-9.2, e.g. A01")
    message_structure = models.CharField(max_length=16, blank=True)
    version = models.CharField(max_length=16, blank=True)
    batch_control_id = models.CharField(max_length=200, blank=True, help_text="BHS-11 when it came in a batch")
    charset = models.CharField(max_length=16, default="utf-8", help_text="How the bytes were read")
    raw = models.BinaryField(help_text="The message's bytes exactly as received")
    patient_key = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=12, choices=MessageStatus.choices, default=MessageStatus.RECEIVED)
    status_reason = models.TextField(blank=True)
    claimed_by = models.CharField(max_length=100, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)
    patient = models.ForeignKey("patients.Patient", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sending_facility", "control_id"], name="transitions_message_once"),
        ]
        indexes = [
            models.Index(fields=["status", "id"], name="transitions_message_status"),
            models.Index(fields=["patient_key", "id"], name="transitions_message_key"),
        ]

    def __str__(self) -> str:
        return f"{self.message_type}^{self.trigger_event} {self.control_id} from {self.sending_facility}"

    @property
    def text(self) -> str:
        return bytes(self.raw).decode(self.charset, errors="replace")


class IntakeErrorStatus(models.TextChoices):
    NEW = "new", "New"
    REPLAYED = "replayed", "Replayed"
    DISMISSED = "dismissed", "Dismissed"


class IntakeError(models.Model):
    """Something that arrived and was answered AE or AR: broken framing, not HL7, not ADT, unsupported version,
    a missing control id. Kept with its bytes for an administrator to repair and replay, or dismiss."""

    received_at = models.DateTimeField(default=timezone.now)
    peer = models.CharField(max_length=100, blank=True)
    raw = models.BinaryField()
    charset = models.CharField(max_length=16, default="utf-8")
    ack_code = models.CharField(max_length=2, help_text="AE or AR")
    error_code = models.CharField(max_length=8, blank=True, help_text="HL7 table 0357")
    location = models.CharField(max_length=64, blank=True)
    reason = models.TextField()
    sending_facility = models.CharField(max_length=200, blank=True)
    control_id = models.CharField(max_length=200, blank=True)
    message_type = models.CharField(max_length=32, blank=True)
    version = models.CharField(max_length=16, blank=True)
    status = models.CharField(max_length=10, choices=IntakeErrorStatus.choices, default=IntakeErrorStatus.NEW)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_note = models.TextField(blank=True)
    message = models.ForeignKey(AdtMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["status", "received_at"], name="transitions_error_status")]

    def __str__(self) -> str:
        return f"{self.ack_code} {self.reason[:60]}"

    @property
    def text(self) -> str:
        return bytes(self.raw).decode(self.charset, errors="replace")


class AdtPatientLink(models.Model):
    """A facility's identifier for a person (PID-3 value and its assigning authority) known to be this person:
    set when someone links a message in review, or when a merge (A40) moves the identifier."""

    authority = models.CharField(max_length=200)
    identifier = models.CharField(max_length=64)
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    via = models.CharField(max_length=16, default="review")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["authority", "identifier"], name="transitions_link_once"),
        ]

    def __str__(self) -> str:
        return f"{self.identifier} at {self.authority}"


class EventKind(models.TextChoices):
    ADMISSION = "admission", "Admission"
    ED_VISIT = "ed-visit", "Emergency department visit"
    OBSERVATION = "observation", "Observation stay"
    REGISTRATION = "registration", "Registration"
    PRE_ADMISSION = "pre-admission", "Pre-admission"
    TRANSFER = "transfer", "Transfer"
    DISCHARGE = "discharge", "Discharge"
    UPDATE = "update", "Visit update"
    DEMOGRAPHICS = "demographics", "Demographics update"
    MERGE = "merge", "Patient merge"
    CANCEL = "cancel", "Cancellation"


# Events that begin a stay or visit (what A11 cancels), and what each cancel event retracts.
START_KINDS = (
    EventKind.ADMISSION,
    EventKind.ED_VISIT,
    EventKind.OBSERVATION,
    EventKind.REGISTRATION,
    EventKind.PRE_ADMISSION,
)
CANCELLED_KINDS = {"A11": START_KINDS, "A12": (EventKind.TRANSFER,), "A13": (EventKind.DISCHARGE,)}


class AdtEvent(models.Model):
    """What one ADT message meant for a person: an admission, an ED visit, a transfer, a discharge, a cancel.

    It remembers exactly what it changed (``encounter_before``: the encounter's fields before, or null when it
    created the encounter; ``condition_ids``: diagnoses it recorded) so that a cancel retracts exactly that.
    Alerts and the transitional care workflow start from these rows.
    """

    message = models.ForeignKey(AdtMessage, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=16, choices=EventKind.choices)
    trigger_event = models.CharField(max_length=16)
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="+")
    encounter = models.ForeignKey(
        "clinical.Encounter", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    occurred_at = models.DateTimeField()
    facility = models.CharField(max_length=200, blank=True)
    patient_class = models.CharField(max_length=8, blank=True, help_text="PV1-2 as sent")
    reason = models.CharField(max_length=500, blank=True)
    diagnoses = models.JSONField(default=list, blank=True, help_text="DG1 as sent: code, system, display")
    visit_number = models.CharField(max_length=64, blank=True)
    encounter_before = models.JSONField(null=True, blank=True)
    condition_ids = models.JSONField(default=list, blank=True)
    retracts = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    retracted_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["patient", "occurred_at"], name="transitions_event_patient"),
            models.Index(fields=["encounter", "kind"], name="transitions_event_encounter"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_at:%Y-%m-%d %H:%M}"


# Alerts and the transitional care workflow -------------------------------------------------------------------------


class EventAlert(models.Model):
    """The alert an ADT event raised for one organization that has the person enrolled: the notices sent and the
    task made. One per event and organization, so a message processed again never alerts twice; a cancel
    (A11/A13) finds here what to withdraw and records when it did (``corrected_at``)."""

    event = models.ForeignKey(AdtEvent, on_delete=models.CASCADE, related_name="alerts")
    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    notified_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    task = models.ForeignKey("tasks.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    corrected_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "organization"], name="transitions_alert_once")]

    def __str__(self) -> str:
        return f"Alert for {self.event}"


class TransitionStatus(models.TextChoices):
    OPEN = "open", "Open"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class DecisionComplexity(models.TextChoices):
    """Medical decision making, as a licensed clinician judges it (TCM: 99495 at least moderate, 99496 high)."""

    STRAIGHTFORWARD = "straightforward", "Straightforward"
    LOW = "low", "Low"
    MODERATE = "moderate", "Moderate"
    HIGH = "high", "High"


class RiskLevel(models.TextChoices):
    HIGH = "high", "High risk"
    MODERATE = "moderate", "Moderate risk"


class Transition(models.Model):
    """A person's move home from a hospital or observation stay, and the care that must follow it (TCM).

    Opened by a discharge to the community for a person enrolled with ``organization``; one per encounter. It
    keeps the clocks (contact within 2 business days, the visit within 7 or 14 days by risk, FUH's 7 and 30
    days after a mental health stay), the readmission risk found at discharge, and what was done: contacts
    (``TransitionContact``), medication reconciliation, visits (``TransitionVisit``) and the decision
    complexity a licensed clinician recorded. TCM eligibility is derived from these, never stored.
    """

    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="+")
    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    enrollment = models.ForeignKey(
        "programs.Enrollment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    encounter = models.ForeignKey("clinical.Encounter", on_delete=models.PROTECT, related_name="+")
    discharge_event = models.ForeignKey(AdtEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    encounter_class = models.CharField(max_length=8)
    facility = models.CharField(max_length=200, blank=True)
    disposition = models.CharField(max_length=12, blank=True)
    admitted_at = models.DateTimeField(null=True, blank=True)
    discharged_at = models.DateTimeField()
    discharge_date = models.DateField(help_text="In the installation's time zone")
    status = models.CharField(max_length=12, choices=TransitionStatus.choices, default=TransitionStatus.OPEN)
    status_reason = models.CharField(max_length=300, blank=True)
    risk_level = models.CharField(max_length=12, choices=RiskLevel.choices, default=RiskLevel.MODERATE)
    risk_basis = models.CharField(max_length=300, blank=True, help_text="Why this risk level, in words")
    lace_total = models.PositiveSmallIntegerField(null=True, blank=True)
    lace_highest = models.PositiveSmallIntegerField(null=True, blank=True)
    hospital_total = models.PositiveSmallIntegerField(null=True, blank=True)
    hospital_highest = models.PositiveSmallIntegerField(null=True, blank=True)
    contact_due = models.DateField()
    visit_due = models.DateField()
    contact_met_on = models.DateField(null=True, blank=True)
    contact_by_attempts = models.BooleanField(default=False)
    medication_reconciled_on = models.DateField(null=True, blank=True)
    medication_reconciled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    medication_note = models.TextField(blank=True)
    visit_on = models.DateField(null=True, blank=True, help_text="The first face-to-face visit after discharge")
    decision_complexity = models.CharField(max_length=16, choices=DecisionComplexity.choices, blank=True)
    complexity_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    complexity_at = models.DateTimeField(null=True, blank=True)
    principal_code = models.CharField(max_length=16, blank=True)
    principal_display = models.CharField(max_length=300, blank=True)
    mental_health = models.BooleanField(default=False, help_text="FUH applies: mental illness or self-harm")
    fuh_follow_up_on = models.DateField(null=True, blank=True, help_text="First mental health follow-up")
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["encounter"], name="transitions_transition_encounter")]
        indexes = [
            models.Index(fields=["organization", "status", "discharge_date"], name="transitions_transition_open"),
            models.Index(fields=["patient", "status"], name="transitions_transition_person"),
        ]

    def __str__(self) -> str:
        return f"Transition after discharge on {self.discharge_date}"

    @property
    def is_open(self) -> bool:
        return self.status == TransitionStatus.OPEN

    @property
    def focus(self) -> str:
        """How tasks name the transition they belong to."""
        return f"Transition/{self.pk}"


class ContactMethod(models.TextChoices):
    """Ways an interactive contact may happen (B.3: direct, telephone, electronic; never a chatbot)."""

    TELEPHONE = "telephone", "Telephone"
    VIDEO = "video", "Video call"
    IN_PERSON = "in-person", "In person"
    ELECTRONIC = "electronic", "Secure message (two-way)"


class ContactWith(models.TextChoices):
    PATIENT = "patient", "The person"
    CAREGIVER = "caregiver", "Caregiver or family"


class TransitionContact(models.Model):
    """One interactive contact, or an attempt at one, after the discharge."""

    transition = models.ForeignKey(Transition, on_delete=models.CASCADE, related_name="contacts")
    occurred_at = models.DateTimeField()
    method = models.CharField(max_length=12, choices=ContactMethod.choices)
    with_whom = models.CharField(max_length=12, choices=ContactWith.choices)
    successful = models.BooleanField()
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["occurred_at", "pk"]

    def __str__(self) -> str:
        return f"{'Contact' if self.successful else 'Attempt'} {self.occurred_at:%Y-%m-%d}"


class VisitMode(models.TextChoices):
    IN_PERSON = "in-person", "In person"
    TELEHEALTH = "telehealth", "Telehealth (audio and video)"


class TransitionVisit(models.Model):
    """A follow-up visit with a practitioner after the discharge: the first is TCM's face-to-face visit; a visit
    with a mental health provider counts for FUH."""

    transition = models.ForeignKey(Transition, on_delete=models.CASCADE, related_name="visits")
    visit_on = models.DateField()
    mode = models.CharField(max_length=12, choices=VisitMode.choices, default=VisitMode.IN_PERSON)
    provider = models.CharField(max_length=200, blank=True)
    mental_health_provider = models.BooleanField(default=False)
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["visit_on", "pk"]

    def __str__(self) -> str:
        return f"Visit {self.visit_on}"
