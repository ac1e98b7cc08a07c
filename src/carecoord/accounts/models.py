"""Organizations, their affiliations, staff users, qualifications, practitioners and API tokens."""

from __future__ import annotations

import datetime
import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone


class OrganizationType(models.TextChoices):
    HEALTH_HOME = "health_home", "Health Home lead"
    CARE_MANAGEMENT_AGENCY = "care_management_agency", "Care management agency"
    HOSPITAL = "hospital", "Hospital"
    PRIMARY_CARE = "primary_care", "Primary care"
    BEHAVIORAL_HEALTH = "behavioral_health", "Behavioral health"
    CBO = "cbo", "Community-based organization"
    HEALTH_PLAN = "health_plan", "Health plan"
    HOME_CARE = "home_care", "Home care"


class Organization(models.Model):
    """A participant in the network: Health Home lead, agency, hospital, practice, CBO, plan or home care."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200, unique=True)
    type = models.CharField(max_length=32, choices=OrganizationType.choices)
    active = models.BooleanField(default=True)
    npi = models.CharField("NPI", max_length=10, blank=True)
    tax_id = models.CharField("tax id", max_length=12, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    email = models.EmailField(blank=True)
    address_line = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=2, blank=True)
    postal_code = models.CharField(max_length=10, blank=True)
    time_zone = models.CharField(max_length=64, blank=True, help_text="Blank means the installation's zone.")
    part_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="parts")
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AffiliationKind(models.TextChoices):
    """What an affiliation lets the source organization do with the target."""

    MEMBER = "member", "Member of network"  # a care management agency in a Health Home's network
    REFERS_TO = "refers_to", "May refer to"
    ASSIGNS_TO = "assigns_to", "May assign members to"
    SHARES_WITH = "shares_with", "Shares care plans with"


class Affiliation(models.Model):
    """A directed relationship between two organizations (as NY's MAPP links plans, leads and agencies)."""

    source = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="affiliations_out")
    target = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="affiliations_in")
    kind = models.CharField(max_length=16, choices=AffiliationKind.choices)
    active = models.BooleanField(default=True)
    start_date = models.DateField(default=timezone.localdate)
    end_date = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "kind"], name="affiliation_unique"),
            models.CheckConstraint(condition=~models.Q(source=models.F("target")), name="affiliation_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.get_kind_display().lower()} {self.target}"


class Role(models.TextChoices):
    CARE_COORDINATOR = "care_coordinator", "Care coordinator"
    CARE_MANAGER = "care_manager", "Care manager"
    LICENSED_CARE_MANAGER = "licensed_care_manager", "Licensed care manager"
    SUPERVISOR = "supervisor", "Supervisor"
    PARTNER = "partner", "Partner"
    ORG_ADMIN = "org_admin", "Organization administrator"
    AUDITOR = "auditor", "Auditor"


class User(AbstractUser):
    """A staff member of one organization, holding one role template (PRODUCT.md, "Who uses it")."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="users")
    role = models.CharField(max_length=32, choices=Role.choices)
    title = models.CharField(max_length=100, blank=True, help_text="Job title, e.g. RN Case Manager")
    phone = models.CharField(max_length=32, blank=True)
    education = models.CharField(max_length=200, blank=True, help_text="Highest degree, e.g. BSN, MSW")
    years_experience = models.PositiveSmallIntegerField(null=True, blank=True)
    languages = models.JSONField(default=list, blank=True, help_text="BCP-47 codes the user works in")
    supervisor = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="supervisees")
    password_changed_at = models.DateTimeField(null=True, blank=True)

    REQUIRED_FIELDS = ["email"]

    class Meta:
        ordering = ["last_name", "first_name", "username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class LicenseType(models.TextChoices):
    RN = "RN", "Registered Nurse"
    LPN = "LPN", "Licensed Practical Nurse"
    NP = "NP", "Nurse Practitioner"
    LCSW = "LCSW", "Licensed Clinical Social Worker"
    LMSW = "LMSW", "Licensed Master Social Worker"
    LMHC = "LMHC", "Licensed Mental Health Counselor"
    CASAC = "CASAC", "Credentialed Alcoholism and Substance Abuse Counselor"
    MD = "MD", "Physician"
    PA = "PA", "Physician Assistant"
    PHARMD = "PharmD", "Pharmacist"


class License(models.Model):
    """A professional license held by a user; clinical actions need one that is current."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="licenses")
    type = models.CharField(max_length=16, choices=LicenseType.choices)
    number = models.CharField(max_length=32)
    state = models.CharField(max_length=2)
    expires_on = models.DateField()
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["type", "number", "state"], name="license_unique")]

    def __str__(self) -> str:
        return f"{self.type} {self.state} {self.number}"

    def is_current(self, on: datetime.date | None = None) -> bool:
        return self.expires_on >= (on or timezone.localdate())


class Practitioner(models.Model):
    """A clinician or staff person known to the network (FHIR Practitioner), often a primary care provider.

    Staff users have one, linked through ``user``; outside clinicians (a patient's PCP) have none.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="practitioner")
    family_name = models.CharField(max_length=100)
    given_name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=20, blank=True)
    suffix = models.CharField(max_length=20, blank=True, help_text="Credentials, e.g. MD, RN")
    npi = models.CharField("NPI", max_length=10, blank=True, db_index=True)
    phone = models.CharField(max_length=32, blank=True)
    email = models.EmailField(blank=True)
    active = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["family_name", "given_name"]

    def __str__(self) -> str:
        name = " ".join(p for p in [self.prefix, self.given_name, self.family_name] if p)
        return f"{name}, {self.suffix}" if self.suffix else name


class PractitionerRole(models.Model):
    """What a practitioner does at an organization (FHIR PractitionerRole)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="roles")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="practitioner_roles")
    code = models.CharField(max_length=64, help_text="Role slug or a clinical role, e.g. primary_care_physician")
    specialty = models.CharField(max_length=100, blank=True)
    active = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["practitioner", "organization", "code"], name="practitioner_role_unique")
        ]

    def __str__(self) -> str:
        return f"{self.practitioner} — {self.code} at {self.organization}"


class ApiToken(models.Model):
    """A bearer token for the APIs. Only a hash is stored; the token is shown once when created."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12, help_text="First characters, to recognise a token in lists")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()
