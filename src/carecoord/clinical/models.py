"""Clinical facts about a person: conditions, encounters, procedures and observations (FHIR R4 shaped).

Each row belongs to one person and says who recorded it (organization and user; none for a feed) and where
it came from (``source``). Code systems are stored as FHIR canonical URIs so the FHIR edge maps them as they
are. Status vocabularies follow STANDARDS.md D.1 and the FHIR R4 value sets named on each choice.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
ICD10PCS = "http://www.cms.gov/Medicare/Coding/ICD10"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
CPT = "http://www.ama-assn.org/go/cpt"
UCUM = "http://unitsofmeasure.org"


class ConditionCodeSystem(models.TextChoices):
    ICD10CM = ICD10CM, "ICD-10-CM"
    SNOMED = SNOMED, "SNOMED CT"


class ProcedureCodeSystem(models.TextChoices):
    ICD10PCS = ICD10PCS, "ICD-10-PCS"
    CPT = CPT, "CPT"
    SNOMED = SNOMED, "SNOMED CT"


class RecordSource(models.TextChoices):
    """How a clinical fact reached CareCoord; feeds identify their rows with ``source_identifier``."""

    MANUAL = "manual", "Entered by staff"
    HL7V2 = "hl7v2", "HL7 v2 feed (ADT)"
    FHIR = "fhir", "FHIR exchange or import"
    ASSESSMENT = "assessment", "Scored assessment"


class ConditionClinicalStatus(models.TextChoices):
    """FHIR condition-clinical."""

    ACTIVE = "active", "Active"
    RECURRENCE = "recurrence", "Recurrence"
    RELAPSE = "relapse", "Relapse"
    INACTIVE = "inactive", "Inactive"
    REMISSION = "remission", "Remission"
    RESOLVED = "resolved", "Resolved"


# Clinical statuses in which a condition is present (the others need no abatement date to be over).
ACTIVE_CLINICAL_STATUSES = frozenset(
    {ConditionClinicalStatus.ACTIVE, ConditionClinicalStatus.RECURRENCE, ConditionClinicalStatus.RELAPSE}
)


class ConditionVerificationStatus(models.TextChoices):
    """FHIR condition-ver-status."""

    UNCONFIRMED = "unconfirmed", "Unconfirmed"
    PROVISIONAL = "provisional", "Provisional"
    DIFFERENTIAL = "differential", "Differential"
    CONFIRMED = "confirmed", "Confirmed"
    REFUTED = "refuted", "Refuted"
    ENTERED_IN_ERROR = "entered-in-error", "Entered in error"


class ConditionCategory(models.TextChoices):
    """FHIR condition-category."""

    PROBLEM_LIST_ITEM = "problem-list-item", "Problem list item"
    ENCOUNTER_DIAGNOSIS = "encounter-diagnosis", "Encounter diagnosis"


class EncounterClass(models.TextChoices):
    """HL7 v3 ActCode encounter classes (FHIR Encounter.class)."""

    INPATIENT = "IMP", "Inpatient"
    EMERGENCY = "EMER", "Emergency"
    OBSERVATION = "OBSENC", "Observation"
    AMBULATORY = "AMB", "Ambulatory"
    HOME_HEALTH = "HH", "Home health"
    VIRTUAL = "VR", "Virtual"


class EncounterStatus(models.TextChoices):
    """FHIR encounter-status (STANDARDS.md D.1)."""

    PLANNED = "planned", "Planned"
    ARRIVED = "arrived", "Arrived"
    TRIAGED = "triaged", "Triaged"
    IN_PROGRESS = "in-progress", "In progress"
    ONLEAVE = "onleave", "On leave"
    FINISHED = "finished", "Finished"
    CANCELLED = "cancelled", "Cancelled"
    ENTERED_IN_ERROR = "entered-in-error", "Entered in error"
    UNKNOWN = "unknown", "Unknown"


# Encounters that did not happen, or were never real: left out of every count.
VOID_ENCOUNTER_STATUSES = frozenset(
    {EncounterStatus.PLANNED, EncounterStatus.CANCELLED, EncounterStatus.ENTERED_IN_ERROR}
)


class AdmitPriority(models.TextChoices):
    """HL7 v3 ActPriority, as carried in Encounter.priority."""

    EMERGENCY = "EM", "Emergency"
    URGENT = "UR", "Urgent"
    ELECTIVE = "EL", "Elective"
    ROUTINE = "R", "Routine"


class AdmitSource(models.TextChoices):
    """FHIR admit-source (Encounter.hospitalization.admitSource)."""

    HOSPITAL_TRANSFER = "hosp-trans", "Transferred from other hospital"
    EMERGENCY_DEPARTMENT = "emd", "From accident/emergency department"
    OUTPATIENT = "outp", "From outpatient department"
    BORN = "born", "Born in hospital"
    GP_REFERRAL = "gp", "General practitioner referral"
    SPECIALIST_REFERRAL = "mp", "Medical practitioner/physician referral"
    NURSING_HOME = "nursing", "From nursing home"
    PSYCHIATRIC = "psych", "From psychiatric hospital"
    REHABILITATION = "rehab", "From rehabilitation facility"
    OTHER = "other", "Other"


class DischargeDisposition(models.TextChoices):
    """FHIR discharge-disposition (Encounter.hospitalization.dischargeDisposition)."""

    HOME = "home", "Home"
    ALTERNATIVE_HOME = "alt-home", "Alternative home"
    OTHER_HEALTHCARE_FACILITY = "other-hcf", "Other healthcare facility"
    HOSPICE = "hosp", "Hospice"
    LONG_TERM_CARE = "long", "Long-term care"
    LEFT_AGAINST_ADVICE = "aadvice", "Left against advice"
    EXPIRED = "exp", "Expired"
    PSYCHIATRIC = "psy", "Psychiatric hospital"
    REHABILITATION = "rehab", "Rehabilitation"
    SKILLED_NURSING = "snf", "Skilled nursing facility"
    OTHER = "oth", "Other"


class ProcedureStatus(models.TextChoices):
    """FHIR event-status (Procedure.status)."""

    PREPARATION = "preparation", "Preparation"
    IN_PROGRESS = "in-progress", "In progress"
    NOT_DONE = "not-done", "Not done"
    ON_HOLD = "on-hold", "On hold"
    STOPPED = "stopped", "Stopped"
    COMPLETED = "completed", "Completed"
    ENTERED_IN_ERROR = "entered-in-error", "Entered in error"
    UNKNOWN = "unknown", "Unknown"


class ObservationStatus(models.TextChoices):
    """FHIR observation-status."""

    REGISTERED = "registered", "Registered"
    PRELIMINARY = "preliminary", "Preliminary"
    FINAL = "final", "Final"
    AMENDED = "amended", "Amended"
    CORRECTED = "corrected", "Corrected"
    CANCELLED = "cancelled", "Cancelled"
    ENTERED_IN_ERROR = "entered-in-error", "Entered in error"
    UNKNOWN = "unknown", "Unknown"


# Observations whose value may be used (a score never reads a cancelled or mistaken result).
RESULT_STATUSES = frozenset(
    {ObservationStatus.FINAL, ObservationStatus.AMENDED, ObservationStatus.CORRECTED, ObservationStatus.PRELIMINARY}
)


class ValueType(models.TextChoices):
    """Which one of FHIR Observation.value[x] the row carries."""

    QUANTITY = "quantity", "Quantity"
    INTEGER = "integer", "Integer"
    CODING = "coding", "Coded answer"
    STRING = "string", "Text"
    BOOLEAN = "boolean", "Yes/no"
    NONE = "none", "No value"


class ClinicalRecord(models.Model):
    """What every clinical fact carries: the person, who recorded it, where it came from, and when."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="+")
    organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(max_length=12, choices=RecordSource.choices, default=RecordSource.MANUAL)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True


class Encounter(ClinicalRecord):
    """A stay or visit: an inpatient admission, an ED visit, an observation stay, an office visit.

    ``service`` is the hospital service the person was discharged from (e.g. ``oncology``), ``priority`` the
    admission's urgency (ActPriority EM/UR/EL), ``admit_source`` where the person came from (``emd``: the
    emergency department). A feed (the HL7 ADT listener) names its encounters with ``source_identifier`` (the
    visit number), unique per person and source.
    """

    encounter_class = models.CharField(max_length=8, choices=EncounterClass.choices)
    status = models.CharField(max_length=16, choices=EncounterStatus.choices, default=EncounterStatus.FINISHED)
    type_code = models.CharField(max_length=32, blank=True, help_text="SNOMED CT encounter type")
    type_display = models.CharField(max_length=200, blank=True)
    service = models.CharField(max_length=64, blank=True, help_text="Service at discharge, e.g. oncology")
    priority = models.CharField(max_length=4, choices=AdmitPriority.choices, blank=True)
    admit_source = models.CharField(max_length=12, choices=AdmitSource.choices, blank=True)
    discharge_disposition = models.CharField(max_length=12, choices=DischargeDisposition.choices, blank=True)
    period_start = models.DateTimeField()
    period_end = models.DateTimeField(null=True, blank=True)
    facility_name = models.CharField(max_length=200, blank=True)
    facility_organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason_text = models.CharField(max_length=500, blank=True)
    source_identifier = models.CharField(max_length=64, blank=True, help_text="The feed's visit number")

    class Meta:
        indexes = [
            models.Index(fields=["patient", "encounter_class", "period_start"], name="clinical_encounter_class"),
            models.Index(fields=["patient", "period_start"], name="clinical_encounter_start"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "source", "source_identifier"],
                condition=~Q(source_identifier=""),
                name="clinical_encounter_source_id",
            ),
            models.CheckConstraint(
                condition=Q(period_end__isnull=True) | Q(period_end__gte=models.F("period_start")),
                name="clinical_encounter_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_encounter_class_display()} {self.period_start:%Y-%m-%d}"


class Condition(ClinicalRecord):
    """A problem or diagnosis: on the problem list, or made at an encounter (FHIR Condition)."""

    code_system = models.CharField(max_length=64, choices=ConditionCodeSystem.choices)
    code = models.CharField(max_length=32)
    display = models.CharField(max_length=300, blank=True)
    clinical_status = models.CharField(
        max_length=12, choices=ConditionClinicalStatus.choices, default=ConditionClinicalStatus.ACTIVE
    )
    verification_status = models.CharField(
        max_length=16, choices=ConditionVerificationStatus.choices, default=ConditionVerificationStatus.CONFIRMED
    )
    category = models.CharField(
        max_length=20, choices=ConditionCategory.choices, default=ConditionCategory.PROBLEM_LIST_ITEM
    )
    onset_date = models.DateField(null=True, blank=True)
    abatement_date = models.DateField(null=True, blank=True)
    recorded_date = models.DateField(default=timezone.localdate)
    encounter = models.ForeignKey(Encounter, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["patient", "clinical_status"], name="clinical_condition_status"),
            models.Index(fields=["patient", "code_system", "code"], name="clinical_condition_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.display}".strip()


class Procedure(ClinicalRecord):
    """Something done to the person: a surgery, an endoscopy, a line placed (FHIR Procedure)."""

    code_system = models.CharField(max_length=64, choices=ProcedureCodeSystem.choices)
    code = models.CharField(max_length=32)
    display = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=16, choices=ProcedureStatus.choices, default=ProcedureStatus.COMPLETED)
    performed_at = models.DateTimeField()
    encounter = models.ForeignKey(Encounter, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["patient", "performed_at"], name="clinical_procedure_performed")]

    def __str__(self) -> str:
        return f"{self.code} {self.display}".strip()


class Observation(ClinicalRecord):
    """A measurement or an answer: a lab result, a vital sign, a screening score or a screening finding.

    The value is one of quantity (``value_quantity`` + ``value_unit`` + UCUM ``value_ucum``), integer, coding,
    string or boolean, as ``value_type`` says. ``categories`` keeps FHIR's category codes in order;
    ``ObservationCategory`` rows hold the same codes for search. ``derived_from`` is a reference such as
    ``QuestionnaireResponse/123`` for observations made by scoring a questionnaire.
    """

    status = models.CharField(max_length=16, choices=ObservationStatus.choices, default=ObservationStatus.FINAL)
    categories = models.JSONField(default=list, blank=True)
    code_system = models.CharField(max_length=64, default=LOINC)
    code = models.CharField(max_length=32)
    display = models.CharField(max_length=300, blank=True)
    value_type = models.CharField(max_length=8, choices=ValueType.choices)
    value_quantity = models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True)
    value_unit = models.CharField(max_length=32, blank=True)
    value_ucum = models.CharField(max_length=32, blank=True)
    value_integer = models.BigIntegerField(null=True, blank=True)
    value_code_system = models.CharField(max_length=200, blank=True)
    value_code = models.CharField(max_length=64, blank=True)
    value_display = models.CharField(max_length=300, blank=True)
    value_string = models.TextField(blank=True)
    value_boolean = models.BooleanField(null=True, blank=True)
    interpretation = models.JSONField(default=list, blank=True)
    effective_at = models.DateTimeField(null=True, blank=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    derived_from = models.CharField(max_length=128, blank=True)
    encounter = models.ForeignKey(Encounter, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        indexes = [
            models.Index(fields=["patient", "code", "effective_at"], name="clinical_observation_code"),
            models.Index(fields=["patient", "effective_at"], name="clinical_observation_when"),
            models.Index(fields=["derived_from"], name="clinical_observation_derived"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.display}".strip()

    @property
    def value(self) -> object:
        """The value the row carries, whatever its type (a Decimal, int, (system, code, display), str, bool)."""
        match self.value_type:
            case ValueType.QUANTITY:
                return self.value_quantity
            case ValueType.INTEGER:
                return self.value_integer
            case ValueType.CODING:
                return (self.value_code_system, self.value_code, self.value_display)
            case ValueType.STRING:
                return self.value_string
            case ValueType.BOOLEAN:
                return self.value_boolean
        return None


class ObservationCategory(models.Model):
    """One category code of an observation, with its person: what a search ``category=sdoh`` reads (the same on
    SQLite and PostgreSQL, by index)."""

    observation = models.ForeignKey(Observation, on_delete=models.CASCADE, related_name="category_rows")
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="+")
    code = models.CharField(max_length=64)

    class Meta:
        indexes = [models.Index(fields=["patient", "code"], name="clinical_obs_category")]
        constraints = [models.UniqueConstraint(fields=["observation", "code"], name="clinical_obs_category_once")]

    def __str__(self) -> str:
        return self.code
