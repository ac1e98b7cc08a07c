"""Writes to care teams: members join and leave with dates; the lead care manager follows the caseload.

Callers have already been through ``patients.access`` for the person. Every change is audited.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from carecoord.accounts.models import Organization, Practitioner, User
from carecoord.audit.actions import record
from carecoord.audit.models import AuditAction
from carecoord.careteams.models import CareTeam, CareTeamMember, CareTeamMemberRole, CareTeamStatus, MemberKind
from carecoord.common.errors import DomainError, ValidationFailed
from carecoord.patients.models import Patient, PatientContact


def care_team_for(patient: Patient, *, by: User | None) -> CareTeam:
    """The person's active care team, created on first use."""
    team = CareTeam.objects.filter(patient=patient, status=CareTeamStatus.ACTIVE).order_by("created_at").first()
    if team is None:
        team = CareTeam.objects.create(
            patient=patient,
            name="Care team",
            managing_organization_id=by.organization_id if by is not None else None,
        )
        record(by=by, action=AuditAction.CREATE, object_type="CareTeam", object_id=str(team.pk), patient=patient)
    return team


@dataclass
class MemberData:
    role: str
    kind: str = MemberKind.STAFF
    user: User | None = None
    practitioner: Practitioner | None = None
    contact: PatientContact | None = None
    organization: Organization | None = None
    name: str = ""
    phone: str = ""
    email: str = ""
    start_date: datetime.date | None = None
    end_date: datetime.date | None = None


def add_member(*, patient: Patient, data: MemberData, by: User | None) -> CareTeamMember:
    errors: dict[str, list[str]] = {}
    if data.role not in CareTeamMemberRole.values:
        errors["role"] = [f"Unknown role {data.role!r}."]
    if data.kind not in MemberKind.values:
        errors["kind"] = [f"Unknown kind {data.kind!r}."]
    if data.kind == MemberKind.STAFF and data.user is None:
        errors["user"] = ["Choose the staff member."]
    if data.kind == MemberKind.PRACTITIONER and data.practitioner is None and not data.name.strip():
        errors["practitioner"] = ["Choose the clinician or type their name."]
    if data.kind == MemberKind.RELATED_PERSON and data.contact is None and not data.name.strip():
        errors["contact"] = ["Choose the caregiver or type their name."]
    if data.contact is not None and data.contact.patient_id != patient.pk:
        errors["contact"] = ["That contact belongs to another person."]
    start = data.start_date or timezone.localdate()
    if data.end_date is not None and data.end_date < start:
        errors["end_date"] = ["A place on the team cannot end before it starts."]
    if errors:
        raise ValidationFailed("The care team member is not valid.", errors=errors)
    team = care_team_for(patient, by=by)
    if data.user is not None and team.members.filter(user=data.user, role=data.role, end_date__isnull=True).exists():
        raise DomainError(f"{data.user} is already on the care team as {data.role}.", code="already-member")
    with transaction.atomic():
        member = CareTeamMember.objects.create(
            care_team=team,
            kind=data.kind,
            user=data.user,
            practitioner=data.practitioner,
            contact=data.contact,
            organization=data.organization or (data.user.organization if data.user is not None else None),
            name=data.name.strip(),
            phone=data.phone.strip(),
            email=data.email.strip(),
            role=data.role,
            start_date=start,
            end_date=data.end_date,
        )
        record(
            by=by,
            action=AuditAction.UPDATE,
            object_type="CareTeam",
            object_id=str(team.pk),
            patient=patient,
            detail={"member_added": member.pk, "role": data.role, "kind": data.kind},
        )
    return member


def end_member(*, member: CareTeamMember, by: User | None, reason: str = "", on: datetime.date | None = None) -> None:
    day = on or timezone.localdate()
    with transaction.atomic():
        member.end_date = max(day, member.start_date)
        member.end_reason = reason.strip()
        member.save(update_fields=["end_date", "end_reason"])
        record(
            by=by,
            action=AuditAction.UPDATE,
            object_type="CareTeam",
            object_id=str(member.care_team_id),
            patient=member.care_team.patient_id,
            detail={"member_ended": member.pk, "reason": member.end_reason},
        )


def set_lead_care_manager(*, patient: Patient, user: User, by: User | None) -> CareTeamMember:
    """Make ``user`` the lead care manager; a previous lead's place ends today (history stays)."""
    team = care_team_for(patient, by=by)
    today = timezone.localdate()
    with transaction.atomic():
        for lead in team.members.filter(is_lead=True, end_date__isnull=True).exclude(user=user):
            end_member(member=lead, by=by, reason="Caseload reassigned", on=today)
        member = team.members.filter(user=user, is_lead=True, end_date__isnull=True).first()
        if member is None:
            member = add_member(
                patient=patient,
                data=MemberData(role=CareTeamMemberRole.LEAD_CARE_MANAGER, user=user, start_date=today),
                by=by,
            )
            member.is_lead = True
            member.save(update_fields=["is_lead"])
    return member


def add_covering_member(
    *, patient: Patient, user: User, start_date: datetime.date, end_date: datetime.date, by: User | None
) -> CareTeamMember:
    return add_member(
        patient=patient,
        data=MemberData(role=CareTeamMemberRole.CARE_MANAGER, user=user, start_date=start_date, end_date=end_date),
        by=by,
    )
