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
    by_rule = models.BooleanField(default=False, help_text="Made by the rules job (tasks.rules), which also closes it")
    escalated_at = models.DateTimeField(null=True, blank=True, help_text="When the safety escalation fired")
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
            # The safety escalation's scan: safety work not yet escalated, oldest first.
            models.Index(
                fields=["created_at"],
                condition=models.Q(kind="safety", escalated_at__isnull=True),
                name="task_safety_waiting",
            ),
        ]
        constraints = [
            # One open rule-made task per obligation, whatever runs the rules at the same time (tasks.rules).
            models.UniqueConstraint(
                fields=["reason", "organization", "patient", "focus"],
                condition=models.Q(by_rule=True, status__in=OPEN_STATUSES),
                name="task_rule_obligation_once",
            ),
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


class RuleRunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class RuleRun(models.Model):
    """One run of the rules that create and close tasks (``tasks.rules``): which rules, for which organization
    (or all), and per rule how many tasks it created, closed and kept (``counts``), plus safety escalations."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    rule = models.CharField(max_length=64, blank=True, help_text="Only this rule's reason code (blank: every rule)")
    trigger = models.CharField(max_length=16, default="job", help_text="job (the worker) or cli (run-rules)")
    status = models.CharField(max_length=12, choices=RuleRunStatus.choices, default=RuleRunStatus.RUNNING)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["started_at"], name="rule_run_started")]

    def __str__(self) -> str:
        return f"Rules run {self.started_at:%Y-%m-%d %H:%M} {self.get_status_display()}"
