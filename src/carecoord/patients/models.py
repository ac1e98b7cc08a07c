"""The person receiving care and what care managers need to reach and identify them."""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class AdministrativeSex(models.TextChoices):
    """Sex for administrative purposes (FHIR Patient.gender)."""

    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Unknown"


class GenderIdentity(models.TextChoices):
    """Gender identity, after the US Core / ONC value set."""

    WOMAN = "woman", "Woman"
    MAN = "man", "Man"
    NONBINARY = "non-binary", "Non-binary"
    TRANSGENDER_WOMAN = "transgender-woman", "Transgender woman"
    TRANSGENDER_MAN = "transgender-man", "Transgender man"
    OTHER = "other", "Other"
    NOT_DISCLOSED = "asked-declined", "Chose not to disclose"
    UNKNOWN = "", "Not recorded"


class Patient(models.Model):
    """A person whose care is coordinated: demographics, contact details and status.

    Every change bumps ``version`` and stores a snapshot in PatientVersion, which serves FHIR history.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    family_name = models.CharField(max_length=100)
    given_names = models.CharField(max_length=150, help_text="First and middle names")
    name_prefix = models.CharField(max_length=20, blank=True)
    name_suffix = models.CharField(max_length=20, blank=True)
    preferred_name = models.CharField(max_length=100, blank=True, help_text="What the person likes to be called")
    birth_date = models.DateField(db_index=True)
    sex = models.CharField(max_length=8, choices=AdministrativeSex.choices)
    gender_identity = models.CharField(max_length=24, choices=GenderIdentity.choices, blank=True)
    pronouns = models.CharField(max_length=32, blank=True, help_text="e.g. she/her, he/him, they/them")
    preferred_language = models.CharField(max_length=16, default="en", help_text="BCP-47 language code")
    interpreter_needed = models.BooleanField(default=False)
    email = models.EmailField(blank=True)
    primary_care_provider = models.ForeignKey(
        "accounts.Practitioner", null=True, blank=True, on_delete=models.SET_NULL, related_name="pcp_patients"
    )
    primary_care_organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.SET_NULL, related_name="pcp_patients"
    )
    deceased_date = models.DateField(null=True, blank=True)
    active = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Folded names for sorting and duplicate checks (see common.text.fold).
    family_folded = models.CharField(max_length=100, blank=True, db_index=True)
    given_folded = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["family_folded", "given_folded"]

    def __str__(self) -> str:
        return f"{self.given_names} {self.family_name}"

    @property
    def display_name(self) -> str:
        preferred = f" ({self.preferred_name})" if self.preferred_name else ""
        return f"{self.family_name}, {self.given_names}{preferred}"

    def age(self, on: datetime.date | None = None) -> int:
        today = on or timezone.localdate()
        born = self.birth_date
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


class PatientNameToken(models.Model):
    """One folded word of a person's legal or preferred name: the index behind name search."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="name_tokens")
    token = models.CharField(max_length=64)

    class Meta:
        indexes = [
            models.Index(fields=["token", "patient"], name="patient_token_idx"),
            models.Index(fields=["token"], name="patient_token_like", opclasses=["varchar_pattern_ops"]),
        ]
        constraints = [models.UniqueConstraint(fields=["patient", "token"], name="patient_token_unique")]

    def __str__(self) -> str:
        return self.token


class IdentifierKind(models.TextChoices):
    MRN = "mrn", "Medical record number"
    MEDICAID_CIN = "medicaid_cin", "Medicaid CIN"
    MEDICARE_MBI = "medicare_mbi", "Medicare MBI"
    PLAN_MEMBER = "plan_member", "Health plan member id"
    SSN_LAST4 = "ssn4", "SSN (last 4)"
    OTHER = "other", "Other"


class PatientIdentifier(models.Model):
    """An identifier a person is known by elsewhere. A (system, value) pair belongs to one person only."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="identifiers")
    kind = models.CharField(max_length=16, choices=IdentifierKind.choices)
    system = models.CharField(max_length=200)
    value = models.CharField(max_length=64)
    assigner = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["system", "value"], name="patient_identifier_unique")]
        indexes = [models.Index(fields=["value"], name="patient_identifier_value")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.value}"


class AddressUse(models.TextChoices):
    HOME = "home", "Home"
    MAILING = "mailing", "Mailing"
    TEMPORARY = "temp", "Temporary"
    SHELTER = "shelter", "Shelter"
    OLD = "old", "Former"


class PatientAddress(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="addresses")
    use = models.CharField(max_length=8, choices=AddressUse.choices, default=AddressUse.HOME)
    line1 = models.CharField(max_length=200)
    line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=2)
    postal_code = models.CharField(max_length=10, db_index=True)
    county = models.CharField(max_length=100, blank=True)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    rank = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["rank", "id"]

    def __str__(self) -> str:
        return f"{self.line1}, {self.city}, {self.state} {self.postal_code}"


class TelecomKind(models.TextChoices):
    MOBILE = "mobile", "Mobile"
    HOME = "home", "Home phone"
    WORK = "work", "Work phone"


class PatientPhone(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="phones")
    kind = models.CharField(max_length=8, choices=TelecomKind.choices, default=TelecomKind.MOBILE)
    number = models.CharField(max_length=32, help_text="As entered")
    digits = models.CharField(max_length=15, db_index=True, help_text="Digits only, for search")
    text_consent = models.BooleanField(default=False, help_text="The person agreed to text messages")
    text_consent_at = models.DateTimeField(null=True, blank=True)
    rank = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["rank", "id"]

    def __str__(self) -> str:
        return self.number


class Coverage(models.Model):
    """Insurance that pays for the person's care (FHIR Coverage)."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="coverages")
    payer = models.ForeignKey("accounts.Organization", null=True, blank=True, on_delete=models.PROTECT)
    payer_name = models.CharField(max_length=200, help_text="Plan or payer name as the card shows it")
    plan_type = models.CharField(max_length=100, blank=True, help_text="e.g. Medicaid managed care, Medicare FFS")
    member_id = models.CharField(max_length=64)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-start_date", "id"]

    def __str__(self) -> str:
        return f"{self.payer_name} {self.member_id}"


class ContactRelationship(models.TextChoices):
    SPOUSE = "spouse", "Spouse or partner"
    PARENT = "parent", "Parent"
    CHILD = "child", "Child"
    SIBLING = "sibling", "Sibling"
    GUARDIAN = "guardian", "Legal guardian"
    FRIEND = "friend", "Friend"
    CAREGIVER = "caregiver", "Paid caregiver"
    HEALTH_CARE_PROXY = "proxy", "Health care agent"
    OTHER = "other", "Other"


class PatientContact(models.Model):
    """A caregiver, family member or other contact of the person (FHIR RelatedPerson)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200)
    relationship = models.CharField(max_length=16, choices=ContactRelationship.choices)
    phone = models.CharField(max_length=32, blank=True)
    email = models.EmailField(blank=True)
    is_caregiver = models.BooleanField(default=False)
    is_proxy = models.BooleanField(default=False, help_text="Health care proxy or authorised representative")
    is_emergency = models.BooleanField(default=False, help_text="Call in an emergency")
    notes = models.CharField(max_length=500, blank=True)
    active = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-is_emergency", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_relationship_display()})"


class AssignmentKind(models.TextChoices):
    """Why an organization holds a person, after MAPP's segments."""

    ASSIGNMENT = "assignment", "Assigned"
    OUTREACH = "outreach", "Outreach"
    ENROLLMENT = "enrollment", "Enrolled"
    REGISTRATION = "registration", "Registered here"


class PatientAssignment(models.Model):
    """An organization's responsibility for a person; an active one lets its staff see the record."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="assignments")
    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="assignments")
    kind = models.CharField(max_length=16, choices=AssignmentKind.choices)
    start_date = models.DateField(default=timezone.localdate)
    end_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "patient"], name="assignment_org_patient"),
            models.Index(fields=["patient", "organization"], name="assignment_patient_org"),
        ]

    def __str__(self) -> str:
        return f"{self.organization} — {self.get_kind_display()}"


class PatientVersion(models.Model):
    """A stored copy of a person's record as it was after one change (FHIR history and vread)."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    change = models.CharField(max_length=8, default="update")  # create / update / delete
    snapshot = models.JSONField()

    class Meta:
        ordering = ["patient", "-version"]
        constraints = [models.UniqueConstraint(fields=["patient", "version"], name="patient_version_unique")]

    def __str__(self) -> str:
        return f"{self.patient_id} v{self.version}"
