"""The person-centred care plan (plan of care): needs, goals in the person's words with measurable targets, who
does what by when, and the signatures that say the person and the team agree.

Statuses are FHIR R4's (STANDARDS.md D.1): CarePlan.status, Goal.lifecycleStatus and achievementStatus,
CarePlan.activity.detail.status for interventions. Labels the person sees on the printed plan are translated.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CarePlanStatus(models.TextChoices):
    """FHIR CarePlan.status (without ``unknown``: CareCoord always knows)."""

    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    ON_HOLD = "on-hold", "On hold"
    REVOKED = "revoked", "Revoked"
    COMPLETED = "completed", "Completed"
    ENTERED_IN_ERROR = "entered-in-error", "Entered in error"


# A person has at most one plan in these statuses per program episode (or outside programs, per organization).
LIVING_PLAN_STATUSES: tuple[str, ...] = (CarePlanStatus.DRAFT, CarePlanStatus.ACTIVE, CarePlanStatus.ON_HOLD)


class CarePlan(models.Model):
    """One person's living plan of care with one organization, for one program episode (``enrollment``) or,
    without an enrollment, for care outside a program.

    The person's preferences, strengths, supports and barriers sit on the plan; problems, goals and
    interventions hang from it. ``version`` counts writes: each one stores a ``CarePlanVersion`` snapshot.
    ``content_digest`` fingerprints what the person agrees to (not review dates or signatures), so a signature
    stays current until the content changes. ``review_due`` follows the program's review cadence and is brought
    forward by a significant change (a hospital discharge).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="care_plans")
    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="care_plans")
    enrollment = models.ForeignKey(
        "programs.Enrollment", null=True, blank=True, on_delete=models.PROTECT, related_name="care_plans"
    )
    status = models.CharField(max_length=16, choices=CarePlanStatus.choices, default=CarePlanStatus.DRAFT)
    status_reason = models.CharField(max_length=300, blank=True)
    # The person's preferences
    preferred_language = models.CharField(max_length=16, blank=True, help_text="BCP-47 code")
    contact_preferences = models.TextField(blank=True, help_text="How and when the person likes to be contacted")
    what_matters = models.TextField(blank=True, help_text="What matters most to the person, in their words")
    strengths = models.JSONField(default=list, blank=True)
    supports = models.JSONField(default=list, blank=True)
    barriers = models.JSONField(default=list, blank=True)
    # Versions and review
    version = models.PositiveIntegerField(default=1)
    content_digest = models.CharField(max_length=64, blank=True)
    review_due = models.DateField(null=True, blank=True)
    last_reviewed_on = models.DateField(null=True, blank=True)
    significant_change_on = models.DateField(null=True, blank=True)
    significant_change_reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["patient", "status"], name="careplan_patient"),
            models.Index(fields=["organization", "status", "review_due"], name="careplan_review_due"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment"],
                condition=models.Q(status__in=["draft", "active", "on-hold"], enrollment__isnull=False),
                name="careplan_one_living_per_episode",
            ),
            models.UniqueConstraint(
                fields=["patient", "organization"],
                condition=models.Q(status__in=["draft", "active", "on-hold"], enrollment__isnull=True),
                name="careplan_one_living_outside_programs",
            ),
        ]

    def __str__(self) -> str:
        return f"Care plan {self.pk} v{self.version}"

    @property
    def is_living(self) -> bool:
        return self.status in LIVING_PLAN_STATUSES

    @property
    def review_overdue(self) -> bool:
        return self.is_living and self.review_due is not None and self.review_due < timezone.localdate()


class ProblemSource(models.TextChoices):
    ASSESSMENT = "assessment", "Assessment"
    CONDITION = "condition", "Condition"
    SOCIAL_NEED = "social-need", "Social need"
    TYPED = "typed", "Typed by staff"


class ProblemStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    RESOLVED = "resolved", "Resolved"


class CarePlanProblem(models.Model):
    """A need or problem the plan addresses: from an assessment (``QuestionnaireResponse/<id>``), a condition
    (``Condition/<id>``), a social need (the SDOH domain code, e.g. ``food-insecurity``) or typed by staff.
    ``evidence`` keeps where a suggested problem came from (the screening response that suggested it)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="problems")
    source = models.CharField(max_length=16, choices=ProblemSource.choices, default=ProblemSource.TYPED)
    reference = models.CharField(max_length=120, blank=True)
    evidence = models.CharField(max_length=120, blank=True)
    text = models.CharField(max_length=300)
    status = models.CharField(max_length=10, choices=ProblemStatus.choices, default=ProblemStatus.ACTIVE)
    resolution = models.CharField(max_length=300, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.text


class GoalLifecycle(models.TextChoices):
    """FHIR Goal.lifecycleStatus."""

    PROPOSED = "proposed", _("Proposed")
    PLANNED = "planned", _("Planned")
    ACCEPTED = "accepted", _("Agreed")
    ACTIVE = "active", _("Working on it")
    ON_HOLD = "on-hold", _("On hold")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    ENTERED_IN_ERROR = "entered-in-error", _("Entered in error")
    REJECTED = "rejected", _("Not agreed")


OPEN_GOAL_STATUSES: tuple[str, ...] = (
    GoalLifecycle.PROPOSED,
    GoalLifecycle.PLANNED,
    GoalLifecycle.ACCEPTED,
    GoalLifecycle.ACTIVE,
    GoalLifecycle.ON_HOLD,
)


class GoalAchievement(models.TextChoices):
    """FHIR Goal.achievementStatus (the codes care managers use)."""

    IN_PROGRESS = "in-progress", _("In progress")
    IMPROVING = "improving", _("Improving")
    WORSENING = "worsening", _("Getting worse")
    ACHIEVED = "achieved", _("Achieved")
    NOT_ACHIEVED = "not-achieved", _("Not achieved")


class Comparator(models.TextChoices):
    LT = "<", _("below")
    LE = "<=", _("at most")
    GT = ">", _("above")
    GE = ">=", _("at least")
    EQ = "=", _("exactly")


class Goal(models.Model):
    """What the person wants to achieve, in their own words, and the measurable target the team tracks.

    The measure is a LOINC code (whose latest value comes from ``clinical.Observation``) or free text ("stable
    housing"); the target is ``comparator`` ``target_value`` ``target_unit`` by ``due_date``. Clinical goals
    (marked so, or measured by a LOINC code) are set and moved only by licensed users.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="goals")
    description = models.CharField(max_length=300, help_text="The goal as the team writes it")
    own_words = models.TextField(blank=True, help_text="The goal in the person's own words")
    clinical = models.BooleanField(default=False)
    measure_code = models.CharField(max_length=16, blank=True, help_text="LOINC code, e.g. 4548-4")
    measure_display = models.CharField(max_length=200, blank=True)
    measure_text = models.CharField(max_length=200, blank=True, help_text="A measure without a code")
    comparator = models.CharField(max_length=2, choices=Comparator.choices, blank=True)
    target_value = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)
    target_unit = models.CharField(max_length=32, blank=True)
    due_date = models.DateField(null=True, blank=True)
    lifecycle_status = models.CharField(max_length=16, choices=GoalLifecycle.choices, default=GoalLifecycle.PROPOSED)
    achievement_status = models.CharField(max_length=16, choices=GoalAchievement.choices, blank=True)
    status_reason = models.CharField(max_length=300, blank=True)
    problems = models.ManyToManyField(CarePlanProblem, blank=True, related_name="goals")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.description

    @property
    def is_open(self) -> bool:
        return self.lifecycle_status in OPEN_GOAL_STATUSES

    @property
    def is_clinical(self) -> bool:
        return self.clinical or bool(self.measure_code)

    @property
    def has_target(self) -> bool:
        return bool(self.comparator) and self.target_value is not None


class GoalProgressNote(models.Model):
    """A dated note on how a goal is going ("walked 3 times this week"), by a member of staff."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="progress_notes")
    text = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.text[:60]


class Performer(models.TextChoices):
    """Who carries out an intervention, in the words the printed plan uses."""

    CARE_MANAGER = "care-manager", _("Care manager")
    PCP = "pcp", _("Primary care provider")
    CBO = "cbo", _("Community organization")
    PERSON = "person", _("You")
    CAREGIVER = "caregiver", _("Your caregiver")
    OTHER = "other", _("Other")


class InterventionStatus(models.TextChoices):
    """FHIR CarePlan.activity.detail.status."""

    NOT_STARTED = "not-started", _("Not started")
    SCHEDULED = "scheduled", _("Scheduled")
    IN_PROGRESS = "in-progress", _("In progress")
    ON_HOLD = "on-hold", _("On hold")
    COMPLETED = "completed", _("Done")
    CANCELLED = "cancelled", _("Cancelled")
    STOPPED = "stopped", _("Stopped")
    ENTERED_IN_ERROR = "entered-in-error", _("Entered in error")


OPEN_INTERVENTION_STATUSES: tuple[str, ...] = (
    InterventionStatus.NOT_STARTED,
    InterventionStatus.SCHEDULED,
    InterventionStatus.IN_PROGRESS,
    InterventionStatus.ON_HOLD,
)


class Intervention(models.Model):
    """Who does what by when toward a goal: the care manager, the PCP, a community organization, the person, a
    caregiver. It may name a care team member or a staff user; work for a staff user is also a task
    (``task``, focus ``Intervention/<id>``)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="interventions")
    goal = models.ForeignKey(Goal, null=True, blank=True, on_delete=models.SET_NULL, related_name="interventions")
    performer = models.CharField(max_length=16, choices=Performer.choices)
    performer_member = models.ForeignKey(
        "careteams.CareTeamMember", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    performer_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    performer_name = models.CharField(max_length=200, blank=True, help_text="e.g. the pantry's name")
    description = models.CharField(max_length=300)
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=InterventionStatus.choices, default=InterventionStatus.NOT_STARTED)
    status_reason = models.CharField(max_length=300, blank=True)
    task = models.ForeignKey("tasks.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    completed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_date", "created_at", "pk"]

    def __str__(self) -> str:
        return self.description

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_INTERVENTION_STATUSES

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_date is not None and self.due_date < timezone.localdate()

    @property
    def who(self) -> str:
        """The performer as a name where one is known ("Alice Nguyen"), else the kind ("Care manager")."""
        if self.performer_user_id is not None and self.performer_user is not None:
            return self.performer_user.get_full_name() or self.performer_user.username
        if self.performer_member_id is not None and self.performer_member is not None:
            return self.performer_member.display_name
        return self.performer_name or str(self.get_performer_display())


class CarePlanVersion(models.Model):
    """The whole plan as it stood after one write (a JSON snapshot), with who changed it, when, the change in a
    sentence (``summary``) and the differences from the previous version (``changes``)."""

    plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    snapshot = models.JSONField()
    content_digest = models.CharField(max_length=64)
    summary = models.CharField(max_length=300)
    changes = models.JSONField(default=list)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-version"]
        constraints = [models.UniqueConstraint(fields=["plan", "version"], name="careplan_version_once")]

    def __str__(self) -> str:
        return f"Care plan {self.plan_id} v{self.version}"


class SignerKind(models.TextChoices):
    PERSON = "person", _("The person")
    GUARDIAN = "guardian", _("Guardian or legal representative")
    CARE_MANAGER = "care-manager", _("Care manager")
    SUPERVISOR = "supervisor", _("Supervisor")
    LICENSED_CLINICIAN = "licensed-clinician", _("Licensed clinician")


class SignatureMethod(models.TextChoices):
    IN_PERSON = "in-person", _("Signed in person")
    VERBAL = "verbal", _("Agreed verbally")
    ELECTRONIC = "electronic", _("Signed electronically")


class CarePlanSignature(models.Model):
    """Agreement to one version of the plan: the person or their guardian (in person, with their typed name, or
    verbally, recorded by staff with a witness), or a member of staff signing for themselves. It stays current
    while the plan's content is what was signed (``content_digest``)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="signatures")
    version = models.PositiveIntegerField()
    content_digest = models.CharField(max_length=64)
    signer_kind = models.CharField(max_length=20, choices=SignerKind.choices)
    signer_name = models.CharField(max_length=200)
    signer_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    method = models.CharField(max_length=12, choices=SignatureMethod.choices)
    witness = models.CharField(max_length=200, blank=True)
    note = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["signed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_signer_kind_display()}: {self.signer_name}"
