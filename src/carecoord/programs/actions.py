"""Writes for programs: referrals in, segments, outreach and its NY rules, enrollment, caseloads.

Callers have already been through ``patients.access`` for the person. Every write is audited here.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from carecoord.accounts.models import Organization, User
from carecoord.accounts.permissions import Capability, can
from carecoord.audit.actions import record
from carecoord.audit.models import AuditAction
from carecoord.common.errors import AccessDenied, DomainError, ValidationFailed
from carecoord.consents.models import SHARING_FORMS
from carecoord.notifications.actions import notify
from carecoord.notifications.models import NotificationKind
from carecoord.patients.models import Patient
from carecoord.programs.models import (
    CaseloadCoverage,
    Enrollment,
    EnrollmentEndReason,
    EnrollmentStatus,
    OutreachAttempt,
    OutreachDirection,
    OutreachMethod,
    OutreachMonth,
    OutreachMonthStatus,
    OutreachOutcome,
    Program,
    ProgramReferral,
    ReferralSource,
    ReferralStatus,
    Segment,
    SegmentEndReason,
    SegmentKind,
)
from carecoord.programs.rules import OutreachVerdict, judge_outreach_month, month_start


def _audit(by: User | None, action: str, obj: object, patient: object, **detail: object) -> None:
    record(
        by=by,
        action=action,
        object_type=type(obj).__name__,
        object_id=str(getattr(obj, "pk", "")),
        patient=patient,  # type: ignore[arg-type]
        detail=detail,
    )


def _need(by: User, capability: Capability, what: str) -> None:
    if not can(by, capability):
        raise AccessDenied(f"Your role may not {what}.")


# Referrals in -------------------------------------------------------------------------------------------------


def refer_to_program(
    *,
    patient: Patient,
    program: Program,
    receiving_organization: Organization,
    source: str,
    by: User | None,
    referring_organization: Organization | None = None,
    referrer_name: str = "",
    reason: str = "",
    security_labels: list[str] | None = None,
    external_id: str = "",
) -> ProgramReferral:
    """Ask an organization to take a person into a program; the organization is told."""
    if source not in ReferralSource.values:
        raise ValidationFailed(f"Unknown referral source {source!r}.", field="source")
    if not program.active:
        raise DomainError(f"{program} is not taking referrals.", code="program-inactive")
    pending = ProgramReferral.objects.filter(
        patient=patient, program=program, receiving_organization=receiving_organization, status=ReferralStatus.PENDING
    ).first()
    if pending is not None:
        raise DomainError(
            f"{receiving_organization} already has a referral for this person to {program} waiting for a decision.",
            code="duplicate-referral",
        )
    with transaction.atomic():
        referral = ProgramReferral.objects.create(
            patient=patient,
            program=program,
            source=source,
            referring_organization=referring_organization or (by.organization if by is not None else None),
            referrer_name=referrer_name.strip(),
            receiving_organization=receiving_organization,
            reason=reason.strip(),
            security_labels=sorted(set(security_labels or [])),
            created_by=by,
            external_id=external_id,
        )
        _audit(by, AuditAction.CREATE, referral, patient.pk, program=program.code, to=str(receiving_organization.pk))
        notify(
            organization=receiving_organization,
            patient=patient,
            kind=NotificationKind.REFERRAL_RECEIVED,
            title=f"New referral to {program.name}",
            link=f"/programs/referrals/{referral.pk}/",
            by=by,
        )
    return referral


def cancel_referral(*, referral: ProgramReferral, by: User, reason: str) -> ProgramReferral:
    """The referring organization withdraws a referral still waiting for a decision; the receiver is told."""
    if referral.referring_organization_id is None or referral.referring_organization_id != by.organization_id:
        raise AccessDenied("Only the organization that sent the referral may cancel it.")
    if referral.status != ReferralStatus.PENDING:
        raise DomainError(f"This referral was already {referral.get_status_display().lower()}.", code="decided")
    if not reason.strip():
        raise ValidationFailed("Say why the referral is cancelled.", field="reason")
    with transaction.atomic():
        referral.status = ReferralStatus.CANCELLED
        referral.decision_reason = reason.strip()
        referral.decided_at = timezone.now()
        referral.decided_by = by
        referral.version += 1
        referral.save(update_fields=["status", "decision_reason", "decided_at", "decided_by", "version"])
        _audit(by, AuditAction.UPDATE, referral, referral.patient_id, status=referral.status, reason=reason.strip())
        notify(
            organization=referral.receiving_organization,
            patient=referral.patient,
            kind=NotificationKind.REFERRAL_DECIDED,
            title=f"Referral to {referral.program.name} cancelled by {referral.referring_organization}",
            body=referral.decision_reason,
            by=by,
        )
    return referral


def _decide(referral: ProgramReferral, by: User) -> None:
    _need(by, Capability.ENROLL, "accept or reject referrals")
    if referral.receiving_organization_id != by.organization_id:
        raise AccessDenied("Only the organization the referral was sent to may decide on it.")
    if referral.status != ReferralStatus.PENDING:
        raise DomainError(f"This referral was already {referral.get_status_display().lower()}.", code="decided")


def accept_referral(*, referral: ProgramReferral, by: User, start_date: datetime.date | None = None) -> Segment:
    """The receiving organization takes the person on: an assignment segment starts."""
    _decide(referral, by)
    with transaction.atomic():
        referral.status = ReferralStatus.ACCEPTED
        referral.decided_at = timezone.now()
        referral.decided_by = by
        referral.version += 1
        referral.save(update_fields=["status", "decided_at", "decided_by", "version"])
        segment = start_segment(
            patient=referral.patient,
            program=referral.program,
            organization=referral.receiving_organization,
            kind=SegmentKind.ASSIGNMENT,
            start_date=start_date or timezone.localdate(),
            by=by,
            referral=referral,
        )
        _audit(by, AuditAction.UPDATE, referral, referral.patient_id, status=referral.status)
        if referral.referring_organization is not None:
            notify(
                organization=referral.referring_organization,
                kind=NotificationKind.REFERRAL_DECIDED,
                title=f"Referral to {referral.program.name} accepted by {referral.receiving_organization}",
                by=by,
            )
    return segment


def reject_referral(*, referral: ProgramReferral, by: User, reason: str) -> ProgramReferral:
    _decide(referral, by)
    if not reason.strip():
        raise ValidationFailed("Say why the referral is rejected.", field="reason")
    with transaction.atomic():
        referral.status = ReferralStatus.REJECTED
        referral.decision_reason = reason.strip()
        referral.decided_at = timezone.now()
        referral.decided_by = by
        referral.version += 1
        referral.save(update_fields=["status", "decision_reason", "decided_at", "decided_by", "version"])
        _audit(by, AuditAction.UPDATE, referral, referral.patient_id, status=referral.status, reason=reason.strip())
        if referral.referring_organization is not None:
            notify(
                organization=referral.referring_organization,
                kind=NotificationKind.REFERRAL_DECIDED,
                title=f"Referral to {referral.program.name} rejected by {referral.receiving_organization}",
                body=referral.decision_reason,
                by=by,
            )
    return referral


# Segments -----------------------------------------------------------------------------------------------------


def _open_segment(patient: Patient, program: Program, organization_id: Any, kind: str) -> Segment | None:
    return (
        Segment.objects.filter(
            patient=patient, program=program, organization_id=organization_id, kind=kind, end_date__isnull=True
        )
        .order_by("-start_date")
        .first()
    )


def start_segment(
    *,
    patient: Patient,
    program: Program,
    organization: Organization,
    kind: str,
    start_date: datetime.date,
    by: User | None,
    health_home: Organization | None = None,
    referral: ProgramReferral | None = None,
    transferred_from: Segment | None = None,
) -> Segment:
    """Open a segment, or return the one already open for the same organization, program and kind."""
    if kind not in SegmentKind.values:
        raise ValidationFailed(f"Unknown segment kind {kind!r}.", field="kind")
    existing = _open_segment(patient, program, organization.pk, kind)
    if existing is not None:
        return existing
    with transaction.atomic():
        segment = Segment.objects.create(
            patient=patient,
            program=program,
            organization=organization,
            health_home=health_home,
            kind=kind,
            start_date=start_date,
            referral=referral,
            transferred_from=transferred_from,
            created_by=by,
        )
        _audit(by, AuditAction.CREATE, segment, patient.pk, kind=kind, program=program.code)
    return segment


def end_segment(*, segment: Segment, end_date: datetime.date, reason: str, by: User | None, note: str = "") -> Segment:
    if reason not in SegmentEndReason.values:
        raise ValidationFailed(f"Unknown end reason {reason!r}.", field="end_reason")
    if end_date < segment.start_date:
        raise ValidationFailed("A segment cannot end before it starts.", field="end_date")
    if reason == SegmentEndReason.OPTED_OUT and segment.kind == SegmentKind.ENROLLMENT:
        raise ValidationFailed(
            "Opt-out ends outreach only; an enrolled person withdraws (DOH-5058).", field="end_reason"
        )
    with transaction.atomic():
        segment.end_date = end_date
        segment.end_reason = reason
        segment.end_note = note.strip()
        segment.save(update_fields=["end_date", "end_reason", "end_note"])
        _audit(by, AuditAction.UPDATE, segment, segment.patient_id, ended=end_date.isoformat(), reason=reason)
    return segment


def end_outreach_for_opt_out(*, patient: Patient, on: datetime.date, by: User) -> None:
    """DOH-5059: the person declines; outreach and assignment segments end with reason 2."""
    for segment in Segment.objects.filter(
        patient=patient, kind__in=[SegmentKind.OUTREACH, SegmentKind.ASSIGNMENT], end_date__isnull=True
    ):
        end_segment(segment=segment, end_date=max(on, segment.start_date), reason=SegmentEndReason.OPTED_OUT, by=by)


# Outreach -----------------------------------------------------------------------------------------------------


@dataclass
class AttemptData:
    method: str
    outcome: str
    attempted_at: datetime.datetime
    direction: str = "outbound"
    duration_minutes: int | None = None
    diligent_search: bool = False
    note: str = ""


def record_outreach_attempt(*, patient: Patient, program: Program, data: AttemptData, by: User) -> OutreachAttempt:
    """Log an attempt to reach the person. The first attempt opens the organization's outreach segment."""
    _need(by, Capability.OUTREACH, "record outreach")
    errors: dict[str, list[str]] = {}
    if data.method not in OutreachMethod.values:
        errors["method"] = [f"Unknown method {data.method!r}."]
    if data.outcome not in OutreachOutcome.values:
        errors["outcome"] = [f"Unknown outcome {data.outcome!r}."]
    if data.direction not in OutreachDirection.values:
        errors["direction"] = [f"Unknown direction {data.direction!r}."]
    if data.attempted_at > timezone.now() + datetime.timedelta(minutes=5):
        errors["attempted_at"] = ["An attempt cannot be in the future."]
    if data.duration_minutes is not None and not 0 <= data.duration_minutes <= 600:
        errors["duration_minutes"] = ["Duration must be between 0 and 600 minutes."]
    if errors:
        raise ValidationFailed("The outreach attempt is not valid.", errors=errors)
    if not program.outreach_allowed:
        raise DomainError(f"{program} does not use outreach.", code="no-outreach")
    if Enrollment.objects.filter(patient=patient, program=program, status=EnrollmentStatus.ACTIVE).exists():
        raise DomainError("The person is already enrolled in this program.", code="already-enrolled")
    day = timezone.localtime(data.attempted_at).date()
    with transaction.atomic():
        segment = _open_segment(patient, program, by.organization_id, SegmentKind.OUTREACH)
        if segment is None:
            assigned = _open_segment(patient, program, by.organization_id, SegmentKind.ASSIGNMENT)
            segment = start_segment(
                patient=patient,
                program=program,
                organization=by.organization,
                kind=SegmentKind.OUTREACH,
                start_date=min(day, timezone.localdate()),
                by=by,
                referral=assigned.referral if assigned else None,
                health_home=assigned.health_home if assigned else None,
            )
        attempt = OutreachAttempt.objects.create(
            patient=patient,
            program=program,
            organization_id=by.organization_id,
            segment=segment,
            attempted_at=data.attempted_at,
            method=data.method,
            direction=data.direction,
            outcome=data.outcome,
            duration_minutes=data.duration_minutes,
            diligent_search=data.diligent_search,
            note=data.note.strip(),
            by=by,
        )
        _audit(by, AuditAction.CREATE, attempt, patient.pk, method=data.method, outcome=data.outcome)
    return attempt


def claim_outreach_month(
    *, patient: Patient, program: Program, month: datetime.date, by: User
) -> tuple[OutreachMonth, OutreachVerdict]:
    """Ask whether a month of outreach is billable for the person; the verdict is stored either way.

    The NY limits count every organization's billable months for the person (STANDARDS.md A.4).
    """
    _need(by, Capability.OUTREACH, "claim outreach months")
    first = month_start(month)
    if first > month_start(timezone.localdate()):
        raise ValidationFailed("A month in the future cannot be claimed.", field="month")
    verdict = judge_outreach_month(patient=patient, program=program, organization_id=by.organization_id, month=first)
    with transaction.atomic():
        claim, _ = OutreachMonth.objects.update_or_create(
            patient=patient,
            program=program,
            organization_id=by.organization_id,
            month=first,
            defaults={
                "status": OutreachMonthStatus.BILLABLE if verdict.billable else OutreachMonthStatus.REFUSED,
                "reason": verdict.reason,
                "decided_at": timezone.now(),
                "decided_by": by,
            },
        )
        _audit(by, AuditAction.UPDATE, claim, patient.pk, month=first.isoformat(), billable=verdict.billable)
    return claim, verdict


# Enrollment ---------------------------------------------------------------------------------------------------


class ConsentRequired(DomainError):
    """Enrollment needs a consent the program requires (NY: "Without consent, enrollment cannot occur")."""

    code = "consent-required"
    status = 422


def enroll(
    *,
    patient: Patient,
    program: Program,
    by: User,
    start_date: datetime.date | None = None,
    care_manager: User | None = None,
    acuity: str = "",
    health_home: Organization | None = None,
    referral: ProgramReferral | None = None,
    clinical_need: bool = False,
) -> Enrollment:
    """Enroll the person with the user's organization: checks eligibility and the program's required consent,
    ends outreach, opens the enrollment segment and the episode, and puts the care manager on the care team."""
    from carecoord.consents.queries import covering_consent

    _need(by, Capability.ENROLL, "enroll people")
    start = start_date or timezone.localdate()
    if start > timezone.localdate() + datetime.timedelta(days=31):
        raise ValidationFailed("Enrollment cannot start more than a month ahead.", field="start_date")
    if not program.active:
        raise DomainError(f"{program} is not enrolling.", code="program-inactive")
    if patient.birth_date is not None:
        age = patient.age(start)
        if program.min_age is not None and age < program.min_age:
            raise DomainError(f"{program} enrolls people aged {program.min_age} and over.", code="not-eligible")
        if program.max_age is not None and age > program.max_age:
            raise DomainError(f"{program} enrolls people up to age {program.max_age}.", code="not-eligible")
    tiers = {tier["code"] for tier in program.acuity_tiers}
    if acuity and acuity not in tiers:
        raise ValidationFailed(f"Acuity must be one of {', '.join(sorted(tiers))}.", field="acuity")
    if Enrollment.objects.filter(
        patient=patient, program=program, status__in=[EnrollmentStatus.ACTIVE, EnrollmentStatus.ON_HOLD]
    ).exists():
        raise DomainError(f"The person is already enrolled in {program}.", code="already-enrolled")
    consent = None
    if program.required_consents:
        consent = covering_consent(patient.pk, program.required_consents, by.organization_id, on=start)
        if consent is None:
            forms = " or ".join(program.required_consents)
            raise ConsentRequired(
                f"Enrollment in {program} needs a signed {forms} that lists {by.organization}, in force on {start}.",
                missing=program.required_consents,
            )
    if care_manager is not None:
        _check_care_manager(care_manager, by.organization_id, program, clinical_need)
    with transaction.atomic():
        for outreach in Segment.objects.filter(
            patient=patient,
            program=program,
            kind__in=[SegmentKind.OUTREACH, SegmentKind.ASSIGNMENT],
            end_date__isnull=True,
        ):
            end_segment(
                segment=outreach, end_date=max(start, outreach.start_date), reason=SegmentEndReason.ENROLLED, by=by
            )
        segment = start_segment(
            patient=patient,
            program=program,
            organization=by.organization,
            kind=SegmentKind.ENROLLMENT,
            start_date=start,
            by=by,
            health_home=health_home,
            referral=referral,
        )
        enrollment = Enrollment.objects.create(
            patient=patient,
            program=program,
            organization_id=by.organization_id,
            health_home=health_home,
            care_manager=care_manager,
            acuity=acuity,
            start_date=start,
            consent=consent,
            segment=segment,
            referral=referral,
            clinical_need=clinical_need,
            created_by=by,
        )
        _audit(
            by,
            AuditAction.CREATE,
            enrollment,
            patient.pk,
            program=program.code,
            consent=str(consent.pk) if consent else None,
        )
        if care_manager is not None:
            _lead_care_manager(enrollment, care_manager, by)
    return enrollment


def _check_care_manager(care_manager: User, organization_id: object, program: Program, clinical_need: bool) -> None:
    if care_manager.organization_id != organization_id or not care_manager.is_active:
        raise ValidationFailed(
            "The care manager must be active staff of the enrolling organization.", field="care_manager"
        )
    if not can(care_manager, Capability.OWN_CARE_PLAN) and not can(care_manager, Capability.OUTREACH):
        raise ValidationFailed(f"{care_manager} cannot hold a caseload.", field="care_manager")
    if (clinical_need or program.needs_licensed_care_manager) and not can(care_manager, Capability.CLINICAL_ASSESSMENT):
        raise ValidationFailed(
            f"This person needs a licensed care manager with a current license; {care_manager} is not one.",
            field="care_manager",
        )


def _lead_care_manager(enrollment: Enrollment, care_manager: User, by: User) -> None:
    from carecoord.careteams.actions import set_lead_care_manager

    set_lead_care_manager(patient=enrollment.patient, user=care_manager, by=by)
    if care_manager.pk != by.pk:
        notify(
            organization=care_manager.organization,
            user=care_manager,
            patient=enrollment.patient,
            kind=NotificationKind.CASELOAD_ASSIGNED,
            title=f"New on your caseload: {enrollment.program.name}",
            link=f"/patients/{enrollment.patient_id}/",
            by=by,
        )


_SEGMENT_REASON = {
    EnrollmentEndReason.GRADUATED: SegmentEndReason.GOALS_MET,
    EnrollmentEndReason.CONSENT_WITHDRAWN: SegmentEndReason.CONSENT_WITHDRAWN,
    EnrollmentEndReason.TRANSFERRED: SegmentEndReason.TRANSFERRED_AGENCY,
    EnrollmentEndReason.DECEASED: SegmentEndReason.DECEASED,
    EnrollmentEndReason.INELIGIBLE: SegmentEndReason.NOT_ELIGIBLE,
    EnrollmentEndReason.MOVED: SegmentEndReason.MOVED,
    EnrollmentEndReason.UNREACHABLE: SegmentEndReason.UNABLE_TO_REACH,
    EnrollmentEndReason.HEALTH_WELFARE_SAFETY: SegmentEndReason.HEALTH_WELFARE_SAFETY,
}


def end_enrollment(
    *, enrollment: Enrollment, end_date: datetime.date, reason: str, by: User | None, note: str = ""
) -> Enrollment:
    """Disenroll, graduate or close an episode with a reason; its enrollment segment ends the same day.

    Only the enrolling organization ends its episodes (a withdrawal ends them through the consent action)."""
    if by is not None:
        _need(by, Capability.ENROLL, "end enrollments")
        if by.organization_id != enrollment.organization_id:
            raise AccessDenied("Only the organization that enrolled the person may end this enrollment.")
    return _end_enrollment(enrollment=enrollment, end_date=end_date, reason=reason, by=by, note=note)


def _end_enrollment(
    *, enrollment: Enrollment, end_date: datetime.date, reason: str, by: User | None, note: str = ""
) -> Enrollment:
    if reason not in EnrollmentEndReason.values:
        raise ValidationFailed(f"Unknown reason {reason!r}.", field="end_reason")
    if enrollment.status not in (EnrollmentStatus.ACTIVE, EnrollmentStatus.ON_HOLD):
        raise DomainError("This enrollment has already ended.", code="already-ended")
    if end_date < enrollment.start_date:
        raise ValidationFailed("An enrollment cannot end before it starts.", field="end_date")
    if reason == EnrollmentEndReason.OTHER and not note.strip():
        raise ValidationFailed("Say why the enrollment ends.", field="note")
    with transaction.atomic():
        enrollment.status = EnrollmentStatus.FINISHED
        enrollment.end_date = end_date
        enrollment.end_reason = reason
        enrollment.end_note = note.strip()
        enrollment.version += 1
        enrollment.save(update_fields=["status", "end_date", "end_reason", "end_note", "version"])
        if enrollment.segment is not None and enrollment.segment.end_date is None:
            end_segment(
                segment=enrollment.segment,
                end_date=end_date,
                reason=_SEGMENT_REASON.get(reason, SegmentEndReason.OTHER),  # type: ignore[call-overload]
                by=by,
                note=note,
            )
        _audit(by, AuditAction.UPDATE, enrollment, enrollment.patient_id, ended=end_date.isoformat(), reason=reason)
    return enrollment


def end_enrollments_for_withdrawal(*, patient: Patient, on: datetime.date, by: User) -> None:
    """DOH-5058 disenrolls from every program whose enrollment rests on a sharing consent."""
    for enrollment in Enrollment.objects.filter(
        patient=patient, status__in=[EnrollmentStatus.ACTIVE, EnrollmentStatus.ON_HOLD], consent__isnull=False
    ).select_related("segment"):
        if enrollment.consent is not None and enrollment.consent.form in SHARING_FORMS:
            _end_enrollment(
                enrollment=enrollment,
                end_date=max(on, enrollment.start_date),
                reason=EnrollmentEndReason.CONSENT_WITHDRAWN,
                by=by,
            )


def transfer_enrollment(
    *, enrollment: Enrollment, to_organization: Organization, by: User, on: datetime.date, to_health_home: bool = False
) -> Segment:
    """Hand the person to another agency (or Health Home): the episode and segment end with the transfer
    reason and an assignment segment starts at the receiving organization, linked to the old one."""
    reason = SegmentEndReason.TRANSFERRED_HEALTH_HOME if to_health_home else SegmentEndReason.TRANSFERRED_AGENCY
    if to_organization.pk == enrollment.organization_id:
        raise ValidationFailed("Choose another organization to transfer to.", field="to_organization")
    with transaction.atomic():
        old_segment = enrollment.segment
        end_enrollment(enrollment=enrollment, end_date=on, reason=EnrollmentEndReason.TRANSFERRED, by=by)
        if old_segment is not None and old_segment.end_reason != reason:
            old_segment.end_reason = reason
            old_segment.save(update_fields=["end_reason"])
        # The sending organization's other open responsibilities for the person end with the transfer, so its
        # staff stop seeing the record (MAPP: visibility follows segments); its history stays.
        from carecoord.patients.actions import end_assignment
        from carecoord.patients.models import PatientAssignment

        for held in PatientAssignment.objects.filter(
            patient=enrollment.patient, organization_id=enrollment.organization_id, end_date__isnull=True
        ):
            end_assignment(assignment=held, by=by, on=on)
        for segment in Segment.objects.filter(
            patient=enrollment.patient, organization_id=enrollment.organization_id, end_date__isnull=True
        ):
            end_segment(segment=segment, end_date=max(on, segment.start_date), reason=reason, by=by)
        return start_segment(
            patient=enrollment.patient,
            program=enrollment.program,
            organization=to_organization,
            kind=SegmentKind.ASSIGNMENT,
            start_date=on,
            by=by,
            health_home=enrollment.health_home,
            transferred_from=old_segment,
        )


# Caseloads ----------------------------------------------------------------------------------------------------


def assign_care_manager(*, enrollment: Enrollment, care_manager: User, by: User) -> Enrollment:
    """A supervisor puts a person on a care manager's caseload (reassigning keeps the care team's history)."""
    _need(by, Capability.ASSIGN_CASELOAD, "assign caseloads")
    if enrollment.organization_id != by.organization_id:
        raise AccessDenied("Only a supervisor of the enrolling organization may assign this person.")
    if enrollment.status not in (EnrollmentStatus.ACTIVE, EnrollmentStatus.ON_HOLD):
        raise DomainError("This enrollment has ended.", code="already-ended")
    _check_care_manager(care_manager, enrollment.organization_id, enrollment.program, enrollment.clinical_need)
    with transaction.atomic():
        previous = enrollment.care_manager_id
        enrollment.care_manager = care_manager
        enrollment.version += 1
        enrollment.save(update_fields=["care_manager", "version"])
        _audit(
            by,
            AuditAction.UPDATE,
            enrollment,
            enrollment.patient_id,
            care_manager=str(care_manager.pk),
            previous=str(previous) if previous else None,
        )
        _lead_care_manager(enrollment, care_manager, by)
    return enrollment


def cover_caseload(
    *, care_manager: User, covered_by: User, start_date: datetime.date, end_date: datetime.date, reason: str, by: User
) -> CaseloadCoverage:
    """A colleague covers a care manager's caseload for a period: they join each person's care team for it."""
    _need(by, Capability.ASSIGN_CASELOAD, "arrange caseload coverage")
    if {care_manager.organization_id, covered_by.organization_id} != {by.organization_id}:
        raise AccessDenied("Coverage is arranged within one organization.")
    if care_manager.pk == covered_by.pk:
        raise ValidationFailed("A care manager cannot cover their own caseload.", field="covered_by")
    if end_date < start_date:
        raise ValidationFailed("Coverage cannot end before it starts.", field="end_date")
    from carecoord.careteams.actions import add_covering_member

    with transaction.atomic():
        coverage = CaseloadCoverage.objects.create(
            care_manager=care_manager,
            covered_by=covered_by,
            start_date=start_date,
            end_date=end_date,
            reason=reason.strip(),
            created_by=by,
        )
        for enrollment in Enrollment.objects.filter(
            care_manager=care_manager, status=EnrollmentStatus.ACTIVE
        ).select_related("patient"):
            add_covering_member(
                patient=enrollment.patient, user=covered_by, start_date=start_date, end_date=end_date, by=by
            )
        record(
            by=by,
            action=AuditAction.CREATE,
            object_type="CaseloadCoverage",
            object_id=str(coverage.pk),
            detail={"care_manager": str(care_manager.pk), "covered_by": str(covered_by.pk)},
        )
        notify(
            organization=covered_by.organization,
            user=covered_by,
            kind=NotificationKind.COVERAGE,
            title=f"You are covering {care_manager}'s caseload {start_date:%d %b}-{end_date:%d %b}",
            by=by,
        )
    return coverage


# Program settings ---------------------------------------------------------------------------------------------

PROGRAM_SETTINGS = (
    "name",
    "description",
    "active",
    "min_age",
    "max_age",
    "eligibility",
    "required_consents",
    "outreach_allowed",
    "outreach_max_consecutive_months",
    "outreach_second_month_needs_in_person",
    "outreach_max_billable_months_per_year",
    "min_core_services_per_month",
    "min_in_person_per_month",
    "min_minutes_per_month",
    "assessment_due_days",
    "plan_due_days",
    "plan_review_days",
    "acuity_tiers",
    "security_labels",
    "caseload_limit",
    "needs_licensed_care_manager",
)


def may_manage_programs(user: User) -> bool:
    """Programs are shared by the whole network: the Health Home lead's administrators configure them."""
    from carecoord.accounts.models import OrganizationType

    return can(user, Capability.MANAGE_PROGRAMS) and (
        user.organization.type == OrganizationType.HEALTH_HOME or user.is_superuser
    )


def update_program(*, program: Program, changes: dict[str, Any], by: User) -> Program:
    """Change a program's rules (eligibility, consents, outreach limits, deadlines, tiers); audited with the
    values before and after. Values the STANDARDS mark unverified ([R]) live here so policy changes need no code."""
    from carecoord.consents.models import ConsentForm, SecurityLabel

    if not may_manage_programs(by):
        raise AccessDenied("Only administrators of the Health Home lead may change program rules.")
    unknown = set(changes) - set(PROGRAM_SETTINGS)
    if unknown:
        raise ValidationFailed(f"Unknown program settings: {', '.join(sorted(unknown))}.")
    values = {name: changes.get(name, getattr(program, name)) for name in PROGRAM_SETTINGS}
    errors: dict[str, list[str]] = {}
    if not str(values["name"]).strip():
        errors["name"] = ["A program needs a name."]
    if values["min_age"] is not None and values["max_age"] is not None and values["min_age"] > values["max_age"]:
        errors["max_age"] = ["The maximum age is below the minimum age."]
    bad_forms = [f for f in values["required_consents"] if f not in ConsentForm.values]
    if bad_forms:
        errors["required_consents"] = [f"Unknown consent forms: {', '.join(bad_forms)}."]
    bad_labels = [label for label in values["security_labels"] if label not in SecurityLabel.values]
    if bad_labels:
        errors["security_labels"] = [f"Unknown labels: {', '.join(bad_labels)}."]
    tiers = values["acuity_tiers"]
    if not isinstance(tiers, list) or not all(
        isinstance(t, dict) and str(t.get("code", "")).strip() and str(t.get("label", "")).strip() for t in tiers
    ):
        errors["acuity_tiers"] = ["Each acuity tier needs a code and a label."]
    elif len({t["code"] for t in tiers}) != len(tiers):
        errors["acuity_tiers"] = ["Acuity tier codes must differ."]
    if values["outreach_allowed"] and not values["outreach_max_billable_months_per_year"]:
        errors["outreach_max_billable_months_per_year"] = ["Set the yearly limit of billable outreach months."]
    for name in ("assessment_due_days", "plan_due_days", "plan_review_days"):
        if values[name] is not None and not 1 <= values[name] <= 730:
            errors[name] = ["Between 1 and 730 days."]
    if errors:
        raise ValidationFailed("The program settings are not valid.", errors=errors)
    before = {name: getattr(program, name) for name in PROGRAM_SETTINGS}
    changed = {name: [before[name], values[name]] for name in PROGRAM_SETTINGS if before[name] != values[name]}
    if not changed:
        return program
    with transaction.atomic():
        for name in changed:
            setattr(program, name, values[name])
        program.save(update_fields=list(changed))
        record(
            by=by,
            action=AuditAction.UPDATE,
            object_type="Program",
            object_id=program.code,
            detail={"changed": {k: [str(a), str(b)] for k, (a, b) in changed.items()}},
        )
    return program
