"""Questionnaires, the answers people give to them, and the safety flags their answers raise.

A questionnaire is stored as the FHIR R4 Questionnaire JSON it was defined with (the engine in ``engine/`` reads
it); a response keeps its answers as normalized QuestionnaireResponse items, the score the instrument's scorer
gave them, and every earlier state in ``QuestionnaireResponseVersion``. Statuses follow STANDARDS.md D.1.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class PublicationStatus(models.TextChoices):
    """FHIR publication-status (Questionnaire.status)."""

    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    RETIRED = "retired", "Retired"
    UNKNOWN = "unknown", "Unknown"


class ResponseStatus(models.TextChoices):
    """FHIR questionnaire-answers-status (STANDARDS.md D.1)."""

    IN_PROGRESS = "in-progress", "In progress"
    COMPLETED = "completed", "Completed"
    AMENDED = "amended", "Amended"
    ENTERED_IN_ERROR = "entered-in-error", "Entered in error"
    STOPPED = "stopped", "Stopped"


# Responses whose answers (and score) stand: the ones summaries, history and rescreening read.
FINISHED_STATUSES = (ResponseStatus.COMPLETED, ResponseStatus.AMENDED)


class ResponseSource(models.TextChoices):
    """How a response reached CareCoord."""

    WEB = "web", "Entered in CareCoord"
    FHIR = "fhir", "Received over FHIR"


class QuestionnaireDefinition(models.Model):
    """A form people answer: a built-in screening instrument (PHQ-9, AHC HRSN ...) or an organization's own.

    ``resource`` is the FHIR Questionnaire JSON; ``url``, ``version``, ``code`` (the first Questionnaire.code,
    e.g. the LOINC panel) and ``title`` are copied from it for search. Built-ins (``builtin``, no
    ``organization``) are installed from ``instruments.builtin()`` after every migrate and are read-only;
    custom questionnaires belong to the organization that made them. ``capability`` is what a user needs to
    fill it in (``accounts.permissions.Capability``: behavioral, social or comprehensive assessment).
    ``revision`` counts changes to this row (FHIR meta.versionId).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    url = models.CharField(max_length=255)
    version = models.CharField(max_length=64, blank=True)
    code = models.CharField(max_length=64, blank=True)
    name = models.CharField(max_length=100, blank=True)
    title = models.CharField(max_length=300)
    status = models.CharField(max_length=8, choices=PublicationStatus.choices, default=PublicationStatus.ACTIVE)
    resource = models.JSONField()
    organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    builtin = models.BooleanField(default=False)
    capability = models.CharField(max_length=32)
    revision = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["title", "version"]
        constraints = [models.UniqueConstraint(fields=["url", "version"], name="questionnaire_url_version")]
        indexes = [models.Index(fields=["code"], name="questionnaire_code")]

    def __str__(self) -> str:
        return f"{self.title} {self.version}".strip()

    @property
    def canonical(self) -> str:
        """``url|version`` (the url alone when there is no version)."""
        return f"{self.url}|{self.version}" if self.version else self.url


class QuestionnaireResponse(models.Model):
    """One person's answers to one questionnaire, as a draft or finished, with the score it earned.

    ``items`` holds the answers as normalized QuestionnaireResponse.item JSON (the engine's output, with answer
    displays). A finished response (completed or amended) carries its score: ``total`` (None when it could not
    be computed, ``incomplete_reason`` says why, or when the instrument has no total), the severity ``band``,
    ``positive`` (the screen's decision, or a clinically significant band where the screen decides none, see
    ``actions.POSITIVE_BANDS``), the scorer's ``flags`` (e.g. ``phq9-item9-safety``) and ``findings`` (positive
    social needs: linkId, answer code, domain). ``version`` counts saves; each one is kept in
    ``QuestionnaireResponseVersion``.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="+")
    questionnaire = models.ForeignKey(QuestionnaireDefinition, on_delete=models.PROTECT, related_name="responses")
    status = models.CharField(max_length=16, choices=ResponseStatus.choices, default=ResponseStatus.IN_PROGRESS)
    authored = models.DateTimeField(default=timezone.now)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(max_length=8, choices=ResponseSource.choices, default=ResponseSource.WEB)
    items = models.JSONField(default=list, blank=True)
    total = models.IntegerField(null=True, blank=True)
    band_code = models.CharField(max_length=32, blank=True)
    band_label = models.CharField(max_length=100, blank=True)
    positive = models.BooleanField(null=True, blank=True)
    incomplete_reason = models.TextField(blank=True)
    flags = models.JSONField(default=list, blank=True)
    findings = models.JSONField(default=list, blank=True)
    explanation = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["patient", "questionnaire", "authored"], name="qresponse_patient_form"),
            models.Index(fields=["patient", "authored"], name="qresponse_patient_when"),
        ]

    def __str__(self) -> str:
        return f"{self.questionnaire} {self.get_status_display()} {self.authored:%Y-%m-%d}"

    @property
    def reference(self) -> str:
        """How Observations and tasks point at it: ``QuestionnaireResponse/<id>``."""
        return f"QuestionnaireResponse/{self.pk}"

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_STATUSES


class QuestionnaireResponseVersion(models.Model):
    """A response as it stood after one save, completion, amendment or retraction: who, when and why.

    ``snapshot`` holds the status, items and score fields of that version; the latest row equals the response.
    """

    response = models.ForeignKey(QuestionnaireResponse, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=ResponseStatus.choices)
    snapshot = models.JSONField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["response", "version"]
        constraints = [models.UniqueConstraint(fields=["response", "version"], name="qresponse_version_once")]

    def __str__(self) -> str:
        return f"{self.response_id} v{self.version}"


class SafetyFlag(models.Model):
    """A safety concern a response raised (PHQ-9 item 9 above 0): the banner on the person's chart.

    It shows until the safety task (``task``) is completed or a licensed user resolves it
    (``resolved_at``, ``resolved_by``, ``resolution``).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="+")
    response = models.ForeignKey(QuestionnaireResponse, on_delete=models.CASCADE, related_name="safety_flags")
    organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(max_length=64)
    description = models.CharField(max_length=300)
    raised_at = models.DateTimeField(default=timezone.now)
    task = models.ForeignKey(
        "tasks.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", help_text="The safety task"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolution = models.TextField(blank=True)

    class Meta:
        ordering = ["-raised_at"]
        indexes = [
            models.Index(fields=["patient"], condition=Q(resolved_at__isnull=True), name="safety_flag_open"),
        ]

    def __str__(self) -> str:
        return self.description
