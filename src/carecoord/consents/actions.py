"""Writes to consents: record a form, add or remove partners, withdraw (DOH-5058), revoke.

Callers have already been through ``patients.access`` for the person. Every change is audited; a withdrawal
or a partner's removal ends that partner's access the same day and tells the partner.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from carecoord.accounts.models import Organization, OrganizationType, User
from carecoord.accounts.permissions import Capability, can
from carecoord.audit.actions import record
from carecoord.audit.models import AuditAction
from carecoord.common.errors import AccessDenied, DomainError, ValidationFailed
from carecoord.consents.models import (
    LABEL_FORMS,
    SHARING_FORMS,
    Consent,
    ConsentForm,
    ConsentPartner,
    ConsentStatus,
    Part2Recipients,
    SignerKind,
)
from carecoord.consents.queries import consents_in_force, current_partner
from carecoord.notifications.actions import notify
from carecoord.notifications.models import NotificationKind
from carecoord.patients.models import Patient

# DOH-5055 instructions: these may not be on the initial partner list, only added later with initials and date.
NOT_ON_INITIAL_5055 = frozenset({OrganizationType.CBO})


@dataclass
class ConsentData:
    """What a consent form says, as entered by the care manager."""

    form: str
    signed_on: datetime.date
    partners: list[Organization] = field(default_factory=list)
    signer_kind: str = SignerKind.PERSON
    signer_name: str = ""
    verbal: bool = False
    program_code: str | None = None
    language: str = "en"
    interpreter_used: bool = False
    copy_given: bool = False
    expires_on: datetime.date | None = None
    released_labels: list[str] = field(default_factory=list)
    part2_recipients: str = ""
    part2_disclosing_program: str = ""
    part2_information: str = ""
    part2_purpose: str = ""
    part2_expiration: str = ""
    revocation_explained: bool = False
    note: str = ""


def _validate(patient: Patient, data: ConsentData) -> None:
    errors: dict[str, list[str]] = {}

    def fail(path: str, message: str) -> None:
        errors.setdefault(path, []).append(message)

    if data.form not in ConsentForm.values:
        fail("form", f"Unknown consent form {data.form!r}.")
    if data.signed_on > timezone.localdate():
        fail("signed_on", "The signature date cannot be in the future.")
    if data.expires_on is not None and data.expires_on < data.signed_on:
        fail("expires_on", "A consent cannot expire before it is signed.")
    if data.signer_kind not in SignerKind.values:
        fail("signer_kind", f"Unknown signer {data.signer_kind!r}.")
    if data.signer_kind == SignerKind.CARE_MANAGER and data.form != ConsentForm.DOH_5059:
        fail("signer_kind", "Only an opt-out (DOH-5059) may be signed by the care manager for the person.")
    if data.verbal and data.form != ConsentForm.CCM_VERBAL:
        fail("verbal", "Only Medicare care management consent may be given verbally.")
    if data.signer_kind != SignerKind.PERSON and not data.signer_name.strip():
        fail("signer_name", "Name the parent, guardian or representative who signed.")
    if data.form in SHARING_FORMS | set(LABEL_FORMS) and not data.partners and data.form != ConsentForm.PART_2:
        fail("partners", "List the organizations this consent lets share the record.")
    if data.form == ConsentForm.DOH_5055:
        excluded = [p.name for p in data.partners if p.type in NOT_ON_INITIAL_5055]
        if excluded:
            fail(
                "partners",
                "Social service and housing organizations cannot be on the first DOH-5055 partner list; "
                f"add them later with the person's initials and the date: {', '.join(excluded)}.",
            )
    if data.form == ConsentForm.DOH_5201 and data.signer_kind == SignerKind.PERSON and patient.birth_date:
        age = patient.age(data.signed_on)
        if age < 18:
            fail("signer_kind", "A parent, guardian or legally authorized representative signs DOH-5201 for a child.")
    if data.form == ConsentForm.PART_2:
        if data.part2_recipients not in Part2Recipients.values:
            fail("part2_recipients", "Say who may receive the records: named organizations or treating providers.")
        if data.part2_recipients == Part2Recipients.NAMED and not data.partners:
            fail("partners", "Name the organizations that may receive the records.")
        for name, label in (
            ("part2_disclosing_program", "who may disclose the records"),
            ("part2_information", "a specific description of the information"),
            ("part2_purpose", "the purpose of the disclosure"),
            ("part2_expiration", "when the consent expires (a date, an event, or none)"),
        ):
            if not str(getattr(data, name)).strip():
                fail(name, f"42 CFR Part 2 requires {label}.")
        if not data.revocation_explained:
            fail("revocation_explained", "The person must be told of the right to revoke in writing.")
    if errors:
        raise ValidationFailed("The consent is incomplete.", errors=errors)


def _require(by: User, patient: Patient) -> None:
    if not can(by, Capability.ENROLL):
        raise AccessDenied("Your role may not record consent.")


def record_consent(*, patient: Patient, data: ConsentData, by: User) -> Consent:
    """Record a signed, verbal or declined consent form with its partner list."""
    _require(by, patient)
    _validate(patient, data)
    if data.form == ConsentForm.DOH_5058:
        raise ValidationFailed("Record a withdrawal with withdraw_consent.", field="form")
    if data.form == ConsentForm.DOH_5059 and consents_in_force(patient.pk).filter(form__in=SHARING_FORMS).exists():
        raise DomainError(
            "The person has an information sharing consent in force; use a withdrawal (DOH-5058), not an opt-out.",
            code="consent-in-force",
        )
    with transaction.atomic():
        consent = Consent.objects.create(
            patient=patient,
            form=data.form,
            program_id=data.program_code,
            organization_id=by.organization_id,
            status=ConsentStatus.REJECTED if data.form == ConsentForm.DOH_5059 else ConsentStatus.ACTIVE,
            signed_on=data.signed_on,
            signer_kind=data.signer_kind,
            signer_name=data.signer_name.strip(),
            verbal=data.verbal,
            language=data.language,
            interpreter_used=data.interpreter_used,
            copy_given=data.copy_given,
            expires_on=data.expires_on,
            released_labels=sorted(
                {*data.released_labels, *([LABEL_FORMS[data.form]] if data.form in LABEL_FORMS else [])}
            ),
            part2_recipients=data.part2_recipients,
            part2_disclosing_program=data.part2_disclosing_program.strip(),
            part2_information=data.part2_information.strip(),
            part2_purpose=data.part2_purpose.strip(),
            part2_expiration=data.part2_expiration.strip(),
            revocation_explained=data.revocation_explained,
            note=data.note.strip(),
            recorded_by=by,
        )
        for organization in _unique(data.partners):
            ConsentPartner.objects.create(
                consent=consent, organization=organization, added_on=data.signed_on, added_by=by
            )
        record(
            by=by,
            action=AuditAction.CREATE,
            object_type="Consent",
            object_id=str(consent.pk),
            patient=patient,
            detail={"form": data.form, "partners": [str(o.pk) for o in _unique(data.partners)]},
        )
        if data.form == ConsentForm.DOH_5059:
            from carecoord.programs.actions import end_outreach_for_opt_out

            end_outreach_for_opt_out(patient=patient, on=data.signed_on, by=by)
    return consent


def _unique(organizations: Iterable[Organization]) -> list[Organization]:
    seen: dict[object, Organization] = {}
    for organization in organizations:
        seen.setdefault(organization.pk, organization)
    return list(seen.values())


def add_consent_partner(
    *, consent: Consent, organization: Organization, initials: str, added_on: datetime.date, by: User
) -> ConsentPartner:
    """Add a partner after signing (DOH-5055 "page 3"): the person's initials and the date are required."""
    _require(by, consent.patient)
    if consent.status != ConsentStatus.ACTIVE or not consents_in_force(consent.patient_id).filter(pk=consent.pk):
        raise DomainError("Partners can be added only to a consent in force.", code="consent-not-in-force")
    initials = initials.strip()
    if not (1 <= len(initials) <= 8):
        raise ValidationFailed("The person's initials are required to add a partner.", field="initials")
    if added_on < consent.signed_on or added_on > timezone.localdate():
        raise ValidationFailed("The date must be between the signature and today.", field="added_on")
    if consent.partners.filter(current_partner(), organization=organization).exists():
        raise DomainError(f"{organization} is already on this consent.", code="already-partner")
    with transaction.atomic():
        partner = ConsentPartner.objects.create(
            consent=consent,
            organization=organization,
            added_on=added_on,
            added_later=True,
            initials=initials,
            added_by=by,
        )
        consent.version += 1
        consent.save(update_fields=["version"])
        record(
            by=by,
            action=AuditAction.UPDATE,
            object_type="Consent",
            object_id=str(consent.pk),
            patient=consent.patient_id,
            detail={"partner_added": str(organization.pk), "initials": initials, "on": added_on.isoformat()},
        )
    return partner


def remove_consent_partner(*, consent: Consent, organization: Organization, reason: str, by: User) -> ConsentPartner:
    """The person takes a partner off the consent: the partner's access ends today and it is told so."""
    _require(by, consent.patient)
    partner = consent.partners.filter(current_partner(), organization=organization).first()
    if partner is None:
        raise DomainError(f"{organization} is not on this consent.", code="not-a-partner")
    if not reason.strip():
        raise ValidationFailed("Say why the partner is removed.", field="reason")
    today = timezone.localdate()
    with transaction.atomic():
        partner.removed_on = today
        partner.removed_reason = reason.strip()
        partner.save(update_fields=["removed_on", "removed_reason"])
        consent.version += 1
        consent.save(update_fields=["version"])
        record(
            by=by,
            action=AuditAction.UPDATE,
            object_type="Consent",
            object_id=str(consent.pk),
            patient=consent.patient_id,
            detail={"partner_removed": str(organization.pk), "reason": partner.removed_reason},
        )
        _tell_partner(
            consent.patient,
            organization,
            kind=NotificationKind.PARTNER_REMOVED,
            title="Removed from a person's consent",
            effective=today,
            by=by,
        )
    return partner


def withdraw_consent(
    *,
    patient: Patient,
    signed_on: datetime.date,
    by: User,
    signer_kind: str = SignerKind.PERSON,
    signer_name: str = "",
    refused_to_sign: bool = False,
    note: str = "",
) -> Consent:
    """DOH-5058: end every information sharing consent from the day signed, disenroll from Health Home
    programs, and tell every partner on those consents (including partners added later) the effective date.

    If the person asks to withdraw but will not sign, the care manager documents the request and the refusal.
    """
    _require(by, patient)
    if signed_on > timezone.localdate():
        raise ValidationFailed("The withdrawal date cannot be in the future.", field="signed_on")
    if refused_to_sign and not note.strip():
        raise ValidationFailed("Document the person's request and refusal to sign.", field="note")
    ending = list(consents_in_force(patient.pk, on=signed_on).filter(form__in=SHARING_FORMS))
    if not ending:
        raise DomainError("The person has no information sharing consent to withdraw.", code="nothing-to-withdraw")
    with transaction.atomic():
        withdrawal = Consent.objects.create(
            patient=patient,
            form=ConsentForm.DOH_5058,
            organization_id=by.organization_id,
            status=ConsentStatus.ACTIVE,
            signed_on=signed_on,
            signer_kind=SignerKind.CARE_MANAGER if refused_to_sign else signer_kind,
            signer_name=signer_name.strip(),
            note=note.strip(),
            recorded_by=by,
        )
        partners: dict[object, Organization] = {}
        for consent in ending:
            consent.status = ConsentStatus.INACTIVE
            consent.withdrawn_on = signed_on
            consent.withdrawal = withdrawal
            consent.version += 1
            consent.save(update_fields=["status", "withdrawn_on", "withdrawal", "version"])
            for partner in consent.partners.filter(removed_on__isnull=True).select_related("organization"):
                partners.setdefault(partner.organization_id, partner.organization)
        record(
            by=by,
            action=AuditAction.CREATE,
            object_type="Consent",
            object_id=str(withdrawal.pk),
            patient=patient,
            detail={
                "form": ConsentForm.DOH_5058,
                "withdraws": [str(c.pk) for c in ending],
                "effective": signed_on.isoformat(),
                "refused_to_sign": refused_to_sign,
            },
        )
        from carecoord.programs.actions import end_enrollments_for_withdrawal

        end_enrollments_for_withdrawal(patient=patient, on=signed_on, by=by)
        for organization in partners.values():
            _tell_partner(
                patient,
                organization,
                kind=NotificationKind.CONSENT_WITHDRAWN,
                title="Consent withdrawn (DOH-5058)",
                effective=signed_on,
                by=by,
            )
    return withdrawal


def revoke_consent(*, consent: Consent, on: datetime.date, by: User, note: str = "") -> Consent:
    """Written revocation of a Part 2, HIV release or CCM consent, effective ``on``."""
    _require(by, consent.patient)
    if consent.form in SHARING_FORMS:
        raise ValidationFailed("Withdraw a Health Home sharing consent with DOH-5058.", field="form")
    if consent.status != ConsentStatus.ACTIVE:
        raise DomainError("This consent is not in force.", code="consent-not-in-force")
    with transaction.atomic():
        consent.status = ConsentStatus.INACTIVE
        consent.withdrawn_on = on
        consent.note = (consent.note + "\n" + note).strip()
        consent.version += 1
        consent.save(update_fields=["status", "withdrawn_on", "note", "version"])
        record(
            by=by,
            action=AuditAction.UPDATE,
            object_type="Consent",
            object_id=str(consent.pk),
            patient=consent.patient_id,
            detail={"revoked": on.isoformat()},
        )
    return consent


def _tell_partner(
    patient: Patient, organization: Organization, *, kind: str, title: str, effective: datetime.date, by: User
) -> None:
    born = patient.birth_date.isoformat() if patient.birth_date else "unknown"
    notify(
        organization=organization,
        patient=patient,
        kind=kind,
        title=title,
        body=(
            f"{patient.given_names} {patient.family_name} (born {born}): information sharing with your "
            f"organization ends {effective:%d %b %Y}. Do not request or share this person's records from that date."
        ),
        by=by,
    )
