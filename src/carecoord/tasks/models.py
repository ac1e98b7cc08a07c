"""Tasks and the team queues that hold them until someone takes them."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class TaskStatus(models.TextChoices):
    """FHIR R4 Task.status (STANDARDS.md D.1)."""

    DRAFT = "draft", "Draft"
    REQUESTED = "requested", "Requested"
    RECEIVED = "received", "Received"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    READY = "ready", "Ready"
    CANCELLED = "cancelled", "Cancelled"
    IN_PROGRESS = "in-progress", "In progress"
    ON_HOLD = "on-hold", "On hold"
    FAILED = "failed", "Failed"
    COMPLETED = "completed", "Completed"
    ENTERED_IN_ERROR = "entered-in-error", "Entered in error"


OPEN_STATUSES: tuple[str, ...] = (
    TaskStatus.DRAFT,
    TaskStatus.REQUESTED,
    TaskStatus.RECEIVED,
    TaskStatus.ACCEPTED,
    TaskStatus.READY,
    TaskStatus.IN_PROGRESS,
    TaskStatus.ON_HOLD,
)


class TaskPriority(models.TextChoices):
    """FHIR request priority, most urgent last."""

    ROUTINE = "routine", "Routine"
    URGENT = "urgent", "Urgent"
    ASAP = "asap", "As soon as possible"
    STAT = "stat", "Immediately"


PRIORITY_RANK: dict[str, int] = {
    TaskPriority.STAT: 0,
    TaskPriority.ASAP: 1,
    TaskPriority.URGENT: 2,
    TaskPriority.ROUTINE: 3,
}


class TaskKind(models.TextChoices):
    SAFETY = "safety", "Safety"
    SCREENING = "screening", "Screening due"
    FOLLOW_UP = "follow-up", "Follow-up"
    REFERRAL = "referral", "Community referral"
    CARE_PLAN = "care-plan", "Care plan"
    OUTREACH = "outreach", "Outreach"
    TRANSITION = "transition", "Transition of care"
    OTHER = "other", "Other"


class Recurrence(models.TextChoices):
    """How often a task comes back: when one is completed (or fails), the next is created, due one interval
    after the completed one was due (or after its completion, when it had no due time)."""

    NONE = "", "Does not repeat"
    DAILY = "daily", "Every day"
    WEEKLY = "weekly", "Every week"
    BIWEEKLY = "biweekly", "Every two weeks"
    MONTHLY = "monthly", "Every month"
    QUARTERLY = "quarterly", "Every three months"


class TaskQueue(models.Model):
    """A team's shared work list in one organization (e.g. "RN team"): tasks wait here until a member takes them.

    ``licensed_only`` queues hold clinical work: only a user with a current license may take from them.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="task_queues")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=100)
    licensed_only = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "code"], name="task_queue_code_unique")]

    def __str__(self) -> str:
        return self.name


class Task(models.Model):
    """A piece of work for a person (or the organization) with an owner or a queue, a priority and a due time.

    Statuses are FHIR's. ``reason`` is the machine code of why the task exists (``phq9-item9-safety``) and
    ``focus`` a reference to what it is about (``QuestionnaireResponse/<id>``), so rules that create tasks can
    tell whether one is already open. Work that needs a licensed user (``requires_license``) can only be owned
    by someone with a current license.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="tasks")
    patient = models.ForeignKey(
        "patients.Patient", null=True, blank=True, on_delete=models.CASCADE, related_name="tasks"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=16, choices=TaskKind.choices, default=TaskKind.OTHER)
    priority = models.CharField(max_length=8, choices=TaskPriority.choices, default=TaskPriority.ROUTINE)
    status = models.CharField(max_length=16, choices=TaskStatus.choices, default=TaskStatus.REQUESTED)
    status_reason = models.CharField(max_length=300, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_tasks"
    )
    queue = models.ForeignKey(TaskQueue, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks")
    due_at = models.DateTimeField(null=True, blank=True)
    recurrence = models.CharField(max_length=12, choices=Recurrence.choices, blank=True, default=Recurrence.NONE)
    previous = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", help_text="The occurrence before"
    )
    requires_license = models.BooleanField(default=False)
    reason = models.CharField(max_length=64, blank=True)
    focus = models.CharField(max_length=120, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["owner", "status", "due_at"], name="task_owner_open"),
            models.Index(fields=["queue", "status", "due_at"], name="task_queue_open"),
            models.Index(fields=["patient", "status"], name="task_patient_open"),
            models.Index(fields=["patient", "reason"], name="task_patient_reason"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_at is not None and self.due_at < timezone.now()


class TaskComment(models.Model):
    """A note on a task: what was done, why it is on hold, who was called."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.text[:60]
