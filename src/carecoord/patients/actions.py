"""Writes to the patient registry. Callers have already been through ``patients.access``."""

from __future__ import annotations

import dataclasses
import datetime
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone

from carecoord.accounts.models import Organization, User
from carecoord.accounts.permissions import Capability, can
from carecoord.audit.actions import record
from carecoord.audit.models import AuditAction
from carecoord.common.errors import AccessDenied, Conflict, VersionConflict
from carecoord.common.text import fold, name_tokens
from carecoord.patients.access import visible_patients
from carecoord.patients.data import PatientData, normalise_phone, validate
from carecoord.patients.models import (
    AssignmentKind,
    Coverage,
    Patient,
    PatientAddress,
    PatientAssignment,
    PatientContact,
    PatientIdentifier,
    PatientNameToken,
    PatientPhone,
    PatientVersion,
)
from carecoord.patients.queries import DuplicateCandidate, find_possible_duplicates
from carecoord.patients.snapshot import snapshot_patient

_SCALAR_FIELDS = (
    "family_name",
    "given_names",
    "name_prefix",
    "name_suffix",
    "preferred_name",
    "birth_date",
    "sex",
    "gender_identity",
    "pronouns",
    "preferred_language",
    "interpreter_needed",
    "email",
    "deceased_date",
    "active",
    "primary_care_provider_id",
    "primary_care_organization_id",
)


class PossibleDuplicate(Conflict):
    """The new person looks like someone already registered; confirm to register anyway."""

    code = "possible-duplicate"

    def __init__(self, candidates: list[DuplicateCandidate]):
        super().__init__("This person may already be registered.")
        self.candidates = candidates


@dataclass
class Registration:
    patient: Patient
    warnings: list[DuplicateCandidate] = field(default_factory=list)


def _check_identifiers_free(data: PatientData, *, patient: Patient | None) -> None:
    for index, ident in enumerate(data.identifiers):
        taken = PatientIdentifier.objects.filter(system=ident.system, value=ident.value)
        if patient is not None:
            taken = taken.exclude(patient=patient)
        owner = taken.values_list("patient_id", flat=True).first()
        if owner is not None:
            raise Conflict(
                f"{ident.value} is already the identifier of another person.",
                code="duplicate-identifier",
                field=f"identifiers.{index}.value",
                existing_patient_id=str(owner),
            )


def _write_children(patient: Patient, data: PatientData) -> None:
    patient.identifiers.all().delete()
    patient.addresses.all().delete()
    patient.phones.all().delete()
    patient.coverages.all().delete()
    patient.name_tokens.all().delete()
    PatientIdentifier.objects.bulk_create(
        PatientIdentifier(patient=patient, kind=i.kind, system=i.system, value=i.value, assigner_id=i.assigner_id)
        for i in data.identifiers
    )
    PatientAddress.objects.bulk_create(
        PatientAddress(
            patient=patient,
            use=a.use,
            line1=a.line1,
            line2=a.line2,
            city=a.city,
            state=a.state,
            postal_code=a.postal_code,
            county=a.county,
            start_date=a.start_date,
            end_date=a.end_date,
            rank=rank,
        )
        for rank, a in enumerate(data.addresses)
    )
    now = timezone.now()
    PatientPhone.objects.bulk_create(
        PatientPhone(
            patient=patient,
            kind=p.kind,
            number=p.number,
            digits=normalise_phone(p.number),
            text_consent=p.text_consent,
            text_consent_at=now if p.text_consent else None,
            rank=rank,
        )
        for rank, p in enumerate(data.phones)
    )
    Coverage.objects.bulk_create(
        Coverage(
            patient=patient,
            payer_id=c.payer_id,
            payer_name=c.payer_name,
            plan_type=c.plan_type,
            member_id=c.member_id,
            start_date=c.start_date,
            end_date=c.end_date,
        )
        for c in data.coverages
    )
    PatientNameToken.objects.bulk_create(
        PatientNameToken(patient=patient, token=token[:64])
        for token in name_tokens(patient.family_name, patient.given_names, patient.preferred_name)
    )


def _replace_contacts(patient: Patient, data: PatientData) -> None:
    """Contacts keep their ids when names match, so RelatedPerson references stay valid."""
    existing = {c.name.casefold(): c for c in patient.contacts.all()}
    keep: set[object] = set()
    for item in data.contacts:
        contact = existing.get(item.name.casefold()) or PatientContact(patient=patient)
        changed = contact._state.adding or any(
            getattr(contact, name) != getattr(item, name)
            for name in ("name", "relationship", "phone", "email", "is_caregiver", "is_proxy", "is_emergency", "notes")
        )
        for name in ("name", "relationship", "phone", "email", "is_caregiver", "is_proxy", "is_emergency", "notes"):
            setattr(contact, name, getattr(item, name))
        if changed:
            if not contact._state.adding:
                contact.version += 1
            contact.updated_at = timezone.now()
            contact.active = True
            contact.save()
        keep.add(contact.pk)
    patient.contacts.exclude(pk__in=keep).filter(active=True).update(active=False, updated_at=timezone.now())


def _apply(patient: Patient, data: PatientData) -> None:
    for name in _SCALAR_FIELDS:
        setattr(patient, name, getattr(data, name))
    patient.family_folded = fold(patient.family_name)[:100]
    patient.given_folded = fold(patient.given_names)[:150]


def _store_version(patient: Patient, *, by: User | None, change: str) -> PatientVersion:
    return PatientVersion.objects.create(
        patient=patient,
        version=patient.version,
        recorded_at=patient.updated_at,
        recorded_by=by,
        change=change,
        snapshot=snapshot_patient(patient),
    )


def _redact(candidates: list[DuplicateCandidate], *, by: User) -> list[DuplicateCandidate]:
    """Only people the user may see are named; others are reported as registered elsewhere."""
    if not candidates:
        return candidates
    visible = set(visible_patients(by).filter(pk__in=[c.patient_id for c in candidates]).values_list("pk", flat=True))
    return [
        c
        if c.patient_id in visible
        else dataclasses.replace(c, display_name="A person registered at another organization", visible=False)
        for c in candidates
    ]


def register_patient(
    *,
    data: PatientData,
    by: User,
    confirm_not_duplicate: bool = False,
    organization: Organization | None = None,
) -> Registration:
    """Register a new person, assigned to the registering user's organization.

    Raises PossibleDuplicate when someone with the same date of birth and a similar name exists, unless the
    user has confirmed it is a different person; a reused identifier is always refused.
    """
    if not can(by, Capability.REGISTER_PATIENTS):
        raise AccessDenied("Your role may not register people.")
    owner = organization or by.organization
    validate(data, registering_organization_id=owner.pk)
    _check_identifiers_free(data, patient=None)
    candidates = _redact(find_possible_duplicates(data), by=by)
    if candidates and not confirm_not_duplicate:
        raise PossibleDuplicate(candidates)
    now = timezone.now()
    try:
        with transaction.atomic():
            patient = Patient(created_at=now, updated_at=now, created_by=by)
            _apply(patient, data)
            patient.save(force_insert=True)
            _write_children(patient, data)
            _replace_contacts(patient, data)
            PatientAssignment.objects.create(
                patient=patient,
                organization=owner,
                kind=AssignmentKind.REGISTRATION,
                start_date=timezone.localdate(now),
            )
            _store_version(patient, by=by, change="create")
            record(
                by=by,
                action=AuditAction.CREATE,
                object_type="Patient",
                object_id=str(patient.pk),
                patient=patient,
                detail={"possible_duplicates": [str(c.patient_id) for c in candidates]} if candidates else None,
            )
    except IntegrityError as error:
        raise Conflict(
            "An identifier was registered to another person at the same moment; try again.", code="duplicate-identifier"
        ) from error
    return Registration(patient=patient, warnings=candidates)


def update_patient(*, patient: Patient, data: PatientData, by: User, expected_version: int | None = None) -> Patient:
    """Replace a person's demographics with ``data``. ``expected_version`` guards against lost updates."""
    if not can(by, Capability.EDIT_DEMOGRAPHICS):
        raise AccessDenied("Your role may not change a person's details.")
    validate(data, registering_organization_id=by.organization_id)
    _check_identifiers_free(data, patient=patient)
    try:
        with transaction.atomic():
            current = Patient.objects.select_for_update().get(pk=patient.pk)
            if expected_version is not None and current.version != expected_version:
                raise VersionConflict(
                    f"The record changed since you opened it (now version {current.version}, "
                    f"you had {expected_version}). Reload and apply your change again."
                )
            _apply(current, data)
            current.version += 1
            current.updated_at = timezone.now()
            current.save()
            _write_children(current, data)
            _replace_contacts(current, data)
            _store_version(current, by=by, change="update")
            record(
                by=by,
                action=AuditAction.UPDATE,
                object_type="Patient",
                object_id=str(current.pk),
                patient=current,
                detail={"version": current.version},
            )
    except IntegrityError as error:
        raise Conflict(
            "An identifier was registered to another person at the same moment; try again.", code="duplicate-identifier"
        ) from error
    return current


def assign_patient(*, patient: Patient, organization: Organization, kind: str, by: User | None) -> PatientAssignment:
    """Give an organization an active assignment for a person (from a plan file, a referral or an admin)."""
    with transaction.atomic():
        assignment, _ = PatientAssignment.objects.get_or_create(
            patient=patient, organization=organization, kind=kind, end_date=None
        )
        record(
            by=by,
            action=AuditAction.CREATE,
            object_type="PatientAssignment",
            object_id=str(assignment.pk),
            patient=patient,
            detail={"organization": str(organization.pk), "kind": kind},
        )
    return assignment


def end_assignment(
    *, assignment: PatientAssignment, by: User | None, on: datetime.date | None = None
) -> PatientAssignment:
    """End an organization's assignment; it still counts on ``on`` (today by default), its last day."""
    with transaction.atomic():
        assignment.end_date = max(on or timezone.localdate(), assignment.start_date)
        assignment.save(update_fields=["end_date"])
        record(
            by=by,
            action=AuditAction.UPDATE,
            object_type="PatientAssignment",
            object_id=str(assignment.pk),
            patient=assignment.patient_id,
            detail={"ended": assignment.end_date.isoformat()},
        )
    return assignment
