"""Consent: who may share a person's record with whom, which sensitive data it releases, and for how long.

Forms and their rules follow STANDARDS.md A.2 (NY Health Home forms), B.1 (Medicare CCM verbal consent) and
E.2-E.3 (42 CFR Part 2, NY HIV release). A sharing consent lists the partner organizations it covers; partners
added after signing carry the person's initials and the date (DOH-5055 "page 3").
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class ConsentForm(models.TextChoices):
    """Codes of CodeSystem/consent-form (PRODUCT.md)."""

    DOH_5055 = "DOH-5055", "DOH-5055 Health Home information sharing consent"
    DOH_5201 = "DOH-5201", "DOH-5201 Children's consent: enrollment and information sharing"
    DOH_5058 = "DOH-5058", "DOH-5058 Withdrawal of consent"
    DOH_5059 = "DOH-5059", "DOH-5059 Opt-out (declines to enroll)"
    CCM_VERBAL = "CCM-VERBAL", "Medicare care management consent (verbal or written)"
    PART_2 = "42-CFR-2", "42 CFR Part 2 consent (substance use treatment records)"
    HIV_RELEASE = "NY-HIV-RELEASE", "NY HIV information release (DOH-2557)"


# Forms that let listed partners see the shared record.
SHARING_FORMS: frozenset[str] = frozenset({ConsentForm.DOH_5055, ConsentForm.DOH_5201})
# Forms that release labelled data, and the label each releases.
LABEL_FORMS: dict[str, str] = {ConsentForm.PART_2: "42CFRPart2", ConsentForm.HIV_RELEASE: "HIV"}


class SecurityLabel(models.TextChoices):
    """HL7 v3 ActCode sensitivity codes carried in ``meta.security``."""

    PART_2 = "42CFRPart2", "Substance use treatment (42 CFR Part 2)"
    HIV = "HIV", "HIV/AIDS information"


class ConsentStatus(models.TextChoices):
    """FHIR Consent.state (R4 status)."""

    ACTIVE = "active", "Active"
    REJECTED = "rejected", "Declined"  # DOH-5059 opt-out
    INACTIVE = "inactive", "Withdrawn or expired"
    ENTERED_IN_ERROR = "entered-in-error", "Entered in error"


class SignerKind(models.TextChoices):
    PERSON = "person", "The person"
    GUARDIAN = "guardian", "Parent or guardian"
    REPRESENTATIVE = "representative", "Legally authorized representative"
    CARE_MANAGER = "care_manager", "Care manager (documented for the person)"


class Part2Recipients(models.TextChoices):
    NAMED = "named", "The organizations named on the consent"
    TREATING_PROVIDERS = "treating", "My treating providers (organizations with a treating relationship)"


class Consent(models.Model):
    """One signed (or verbally given, or declined) consent form for a person."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="consents")
    form = models.CharField(max_length=16, choices=ConsentForm.choices)
    program = models.ForeignKey("programs.Program", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="consents_taken", help_text="Who took it"
    )
    status = models.CharField(max_length=16, choices=ConsentStatus.choices, default=ConsentStatus.ACTIVE)
    signed_on = models.DateField()
    signer_kind = models.CharField(max_length=16, choices=SignerKind.choices, default=SignerKind.PERSON)
    signer_name = models.CharField(max_length=200, blank=True)
    verbal = models.BooleanField(default=False, help_text="Given verbally and documented (Medicare CCM)")
    language = models.CharField(max_length=16, default="en")
    interpreter_used = models.BooleanField(default=False)
    copy_given = models.BooleanField(default=False)
    expires_on = models.DateField(null=True, blank=True)
    # Withdrawal (DOH-5058) ends the consent from the day it is signed.
    withdrawn_on = models.DateField(null=True, blank=True)
    withdrawal = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="withdraws", help_text="The DOH-5058"
    )
    # Released data labels (42 CFR Part 2, HIV) and the Part 2 consent elements (§2.31(a))
    released_labels = models.JSONField(default=list, blank=True)
    part2_recipients = models.CharField(max_length=8, choices=Part2Recipients.choices, blank=True)
    part2_disclosing_program = models.CharField(max_length=200, blank=True, help_text="Who may disclose")
    part2_information = models.TextField(blank=True, help_text="Specific and meaningful description of the data")
    part2_purpose = models.CharField(max_length=200, blank=True)
    part2_expiration = models.CharField(max_length=100, blank=True, help_text='A date, an event or "none"')
    revocation_explained = models.BooleanField(default=False)
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-signed_on", "-recorded_at"]
        indexes = [models.Index(fields=["patient", "form", "status"], name="consent_patient_form")]

    def __str__(self) -> str:
        return f"{self.form} signed {self.signed_on}"


class ConsentPartner(models.Model):
    """An organization a consent covers. Partners added after signing carry the person's initials and date."""

    consent = models.ForeignKey(Consent, on_delete=models.CASCADE, related_name="partners")
    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    added_on = models.DateField()
    added_later = models.BooleanField(default=False)
    initials = models.CharField(max_length=8, blank=True)
    removed_on = models.DateField(null=True, blank=True)
    removed_reason = models.CharField(max_length=200, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["added_on", "id"]
        indexes = [models.Index(fields=["organization", "consent"], name="consent_partner_org")]

    def __str__(self) -> str:
        return f"{self.organization} on {self.consent}"
