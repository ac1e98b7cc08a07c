"""Permission-checked reads of program records: referrals, segments, enrollments, outreach, consents.

Everything goes through ``patients.access.access_patient`` first (the relationship rule, audited). Records
labelled 42 CFR Part 2 or HIV (a referral from a substance use program, an HH+ HIV enrollment) are then shown
only to the organization that made them or to one a consent in force releases the label to; each one shown
carries the notices that must accompany it (``consents/notices.py``). Hidden records are counted, not listed,
so the user knows to ask for consent rather than assume there is nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from carecoord.accounts.models import User
from carecoord.accounts.permissions import Capability, can
from carecoord.audit.actions import record
from carecoord.audit.models import AuditAction, AuditOutcome
from carecoord.common.errors import AccessDenied, NotFound
from carecoord.common.sql import custom_plans
from carecoord.consents.models import Consent
from carecoord.consents.notices import notices_for
from carecoord.consents.queries import released_labels
from carecoord.patients.access import access_patient
from carecoord.patients.models import Patient
from carecoord.programs.board import BoardColumn, enrollment_board
from carecoord.programs.caseload import caseload_of, unassigned_enrollments
from carecoord.programs.models import Enrollment, OutreachAttempt, ProgramReferral, ReferralStatus, Segment


@dataclass
class Labelled:
    """A record the user may see, with the notices that must accompany it (empty when unlabelled)."""

    item: object
    labels: list[str]
    notices: list[str]


@dataclass
class ProgramRecord:
    """What the user may see of a person's program history, after the access rule and the label gate."""

    patient: Patient
    released: frozenset[str]
    referrals: list[Labelled] = field(default_factory=list)
    enrollments: list[Labelled] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    attempts: list[OutreachAttempt] = field(default_factory=list)
    consents: list[Consent] = field(default_factory=list)
    withheld: int = 0  # labelled records not released to the user's organization

    @property
    def notices(self) -> list[str]:
        return notices_for({label for group in (self.referrals, self.enrollments) for x in group for label in x.labels})


def _labels_of(item: ProgramReferral | Enrollment) -> list[str]:
    if isinstance(item, ProgramReferral):
        return list(item.security_labels or [])
    return list(item.program.security_labels or [])


def _owner(item: ProgramReferral | Enrollment) -> object:
    if isinstance(item, ProgramReferral):
        return item.referring_organization_id
    return item.organization_id


def released_to(user: User, patient: Patient) -> frozenset[str]:
    basis = getattr(patient, "access_basis", "")
    return released_labels(patient.pk, user.organization_id, treating=basis in ("assignment", "care-team"))


def gate(
    user: User, patient: Patient, items: list[ProgramReferral] | list[Enrollment], released: frozenset[str]
) -> tuple[list[Labelled], int]:
    """Split ``items`` into those the user may see (with notices) and a count of those withheld."""
    shown: list[Labelled] = []
    withheld = 0
    for item in items:
        labels = _labels_of(item)
        notices = label_notices(user, labels, _owner(item), released)
        if notices is None:
            withheld += 1
            continue
        shown.append(Labelled(item=item, labels=labels, notices=notices))
    return shown, withheld


def label_notices(user: User, labels: list[str], owner_id: object, released: frozenset[str]) -> list[str] | None:
    """The label rule for any labelled record (decision 0007): the organization that made it sees it as it is;
    anyone else only when a consent in force releases every label to them (``released_to``), and then with the
    labels' notices. None when the record must be withheld."""
    own = owner_id == user.organization_id
    if labels and not own and not set(labels) <= released:
        return None
    return [] if own else notices_for(labels)


def access_program_record(user: User, patient_id: object) -> ProgramRecord:
    """A person's referrals, segments, enrollments, outreach and consents, for the chart and the API."""
    patient = access_patient(user, patient_id, object_type="ProgramRecord")
    released = released_to(user, patient)
    referrals = list(
        ProgramReferral.objects.filter(patient=patient).select_related(
            "program", "referring_organization", "receiving_organization"
        )
    )
    enrollments = list(
        Enrollment.objects.filter(patient=patient).select_related("program", "organization", "care_manager", "consent")
    )
    shown_referrals, hidden_referrals = gate(user, patient, referrals, released)
    shown_enrollments, hidden_enrollments = gate(user, patient, enrollments, released)
    withheld = hidden_referrals + hidden_enrollments
    hidden_programs = {e.program_id for e in enrollments} - {e.item.program_id for e in shown_enrollments}  # type: ignore[attr-defined]
    result = ProgramRecord(
        patient=patient,
        released=released,
        referrals=shown_referrals,
        enrollments=shown_enrollments,
        segments=[
            s
            for s in Segment.objects.filter(patient=patient).select_related("program", "organization")
            if s.program_id not in hidden_programs
        ],
        attempts=[
            a
            for a in OutreachAttempt.objects.filter(patient=patient).select_related("program", "organization", "by")
            if a.program_id not in hidden_programs
        ],
        consents=list(Consent.objects.filter(patient=patient).prefetch_related("partners__organization")),
        withheld=withheld,
    )
    if withheld or result.notices:
        record(
            by=user,
            action=AuditAction.READ,
            object_type="LabelledData",
            patient=patient,
            outcome=AuditOutcome.SUCCESS,
            detail={
                "withheld": withheld,
                "disclosed_labels": sorted({label for x in shown_referrals + shown_enrollments for label in x.labels}),
            },
        )
    return result


def access_referral(user: User, referral_id: object) -> Labelled:
    """One referral: the receiving and referring organizations see it (to decide, or to follow it); anyone
    else needs access to the person and, for labelled referrals, a consent releasing the label."""
    try:
        key = uuid.UUID(str(referral_id))
    except ValueError:
        raise NotFound(f"No referral with id {referral_id}.") from None
    referral = (
        ProgramReferral.objects.filter(pk=key)
        .select_related("program", "patient", "referring_organization", "receiving_organization")
        .first()
    )
    if referral is None:
        raise NotFound(f"No referral with id {referral_id}.")
    party = user.organization_id in (referral.receiving_organization_id, referral.referring_organization_id)
    if party:
        record(
            by=user,
            action=AuditAction.READ,
            object_type="ServiceRequest",
            object_id=str(referral.pk),
            patient=referral.patient_id,
            detail={"basis": "referral-party"},
        )
        labels = list(referral.security_labels or [])
        own = referral.referring_organization_id == user.organization_id
        return Labelled(item=referral, labels=labels, notices=[] if own else notices_for(labels))
    patient = access_patient(user, referral.patient_id, object_type="ServiceRequest", object_id=str(referral.pk))
    shown, withheld = gate(user, patient, [referral], released_to(user, patient))
    if withheld:
        raise AccessDenied("This referral holds information the person has not consented to share with you.")
    return shown[0]


def access_referral_inbox(user: User, *, limit: int = 50) -> tuple[list[Labelled], int]:
    """Referrals waiting for the user's organization to decide, oldest first, and how many there are.

    The receiving organization is a party to each referral (the basis ``access_referral`` gives it), so the
    listing is one read with one audit record naming every referral shown, as a search is audited.
    """
    waiting = ProgramReferral.objects.filter(
        receiving_organization_id=user.organization_id, status=ReferralStatus.PENDING
    )
    total = waiting.count()
    rows = list(
        waiting.select_related("program", "patient", "referring_organization", "created_by").order_by("received_at")[
            :limit
        ]
    )
    if rows:
        record(
            by=user,
            action=AuditAction.SEARCH,
            object_type="ServiceRequest",
            detail={
                "basis": "referral-party",
                "inbox": True,
                "results": [str(r.pk) for r in rows],
                "patients": [str(r.patient_id) for r in rows],
            },
        )
    shown = [
        Labelled(
            item=r,
            labels=list(r.security_labels or []),
            notices=[] if r.referring_organization_id == user.organization_id else notices_for(r.security_labels or []),
        )
        for r in rows
    ]
    return shown, total


def access_enrollment(user: User, enrollment_id: object) -> Labelled:
    try:
        key = uuid.UUID(str(enrollment_id))
    except ValueError:
        raise NotFound(f"No enrollment with id {enrollment_id}.") from None
    enrollment = (
        Enrollment.objects.filter(pk=key).select_related("program", "organization", "care_manager", "consent").first()
    )
    if enrollment is None:
        raise NotFound(f"No enrollment with id {enrollment_id}.")
    patient = access_patient(user, enrollment.patient_id, object_type="EpisodeOfCare", object_id=str(enrollment.pk))
    shown, withheld = gate(user, patient, [enrollment], released_to(user, patient))
    if withheld:
        raise AccessDenied("This enrollment holds information the person has not consented to share with you.")
    return shown[0]


def access_consent(user: User, consent_id: object, *, action: str = AuditAction.READ) -> Consent:
    try:
        key = uuid.UUID(str(consent_id))
    except ValueError:
        raise NotFound(f"No consent with id {consent_id}.") from None
    patient_id = Consent.objects.filter(pk=key).values_list("patient_id", flat=True).first()
    if patient_id is None:
        raise NotFound(f"No consent with id {consent_id}.")
    access_patient(user, patient_id, action=action, object_type="Consent", object_id=str(key))
    return Consent.objects.prefetch_related("partners__organization").select_related("program").get(pk=key)


# Listings of the organization's own people (board, caseloads): one audit record per page, naming who was shown.


def _listed(user: User, object_type: str, patient_ids: list[object], **detail: object) -> None:
    if patient_ids:
        record(
            by=user,
            action=AuditAction.SEARCH,
            object_type=object_type,
            detail={"results": [str(p) for p in dict.fromkeys(patient_ids)], **detail},
        )


def access_board(
    user: User, *, program_code: str | None = None, mine: bool = False, limit: int = 50
) -> list[BoardColumn]:
    """The enrollment board of the user's organization (its own segments, enrollments and referrals to it)."""
    if not can(user, Capability.VIEW_PATIENTS):
        raise AccessDenied("Your role does not include people's records.")
    with custom_plans():
        columns = enrollment_board(
            organization_id=user.organization_id,
            program_code=program_code,
            care_manager_id=user.pk if mine else None,
            limit=limit,
        )
    _listed(user, "EnrollmentBoard", [card.patient_id for column in columns for card in column.cards])
    return columns


def _supervisor(user: User) -> None:
    if not can(user, Capability.ASSIGN_CASELOAD):
        raise AccessDenied("Only supervisors manage caseloads.")


def access_waiting_enrollments(user: User, *, limit: int) -> list[Enrollment]:
    """Enrolled people of the supervisor's organization who have no care manager yet."""
    _supervisor(user)
    waiting = unassigned_enrollments(organization_id=user.organization_id, limit=limit)
    _listed(user, "Caseload", [e.patient_id for e in waiting], waiting=True)
    return waiting


def access_caseload_of(user: User, care_manager: User) -> list[Enrollment]:
    """One care manager's people, for their supervisor."""
    _supervisor(user)
    if care_manager.organization_id != user.organization_id:
        raise AccessDenied("That care manager is not in your organization.")
    people = list(caseload_of(care_manager_id=care_manager.pk, organization_id=user.organization_id))
    _listed(user, "Caseload", [e.patient_id for e in people], care_manager=str(care_manager.pk))
    return people


def access_enrollment_to_assign(user: User, enrollment_id: object) -> Enrollment:
    """An enrollment of the supervisor's organization, for choosing its care manager."""
    _supervisor(user)
    try:
        key = uuid.UUID(str(enrollment_id))
    except ValueError:
        raise NotFound(f"No enrollment with id {enrollment_id}.") from None
    enrollment = (
        Enrollment.objects.filter(pk=key, organization_id=user.organization_id)
        .select_related("patient", "program", "care_manager")
        .first()
    )
    if enrollment is None:
        raise NotFound("No such enrollment with your organization.")
    record(
        by=user,
        action=AuditAction.READ,
        object_type="EpisodeOfCare",
        object_id=str(enrollment.pk),
        patient=enrollment.patient_id,
        detail={"basis": "enrolling-organization", "purpose": "caseload assignment"},
    )
    return enrollment
