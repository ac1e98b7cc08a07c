"""The transitional care workflow: a discharge home opens a ``Transition``, and each step is recorded here.

Every function is an action (keyword-only, typed, audited as ``Transition``). ``open_transition`` is called by
the ADT alert hook (``alerts.py``) with ``by=None``; the others by a user of the transition's organization who
has been through ``access.access_transition``. Each step has a task (reasons ``transition-contact``,
``transition-medrec``, ``transition-visit``; ``careplan-review`` when the care plans app cannot take the
significant change itself) focused on ``Transition/<id>``; recording the step closes its task.

Clocks (``rules.py``): contact by the 2nd business day after the discharge date; the visit within 7 days when
the discharge is high risk (LACE or HOSPITAL at their thresholds) or the decision making is high complexity,
else 14; medication reconciliation no later than the visit; FUH 7 and 30 days after a mental health stay.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass

from django.apps import apps
from django.db import transaction
from django.utils import timezone

from carecoord.accounts.models import User
from carecoord.accounts.permissions import Capability, can
from carecoord.audit.actions import record
from carecoord.audit.models import AuditAction
from carecoord.careteams.models import CareTeamMember, CareTeamStatus
from carecoord.clinical.models import (
    ICD10CM,
    Condition,
    ConditionVerificationStatus,
    Encounter,
    EncounterClass,
)
from carecoord.clinical.risk import hospital_for_encounter, lace_for_encounter
from carecoord.common.errors import AccessDenied, DomainError, ValidationFailed
from carecoord.patients.models import Patient
from carecoord.programs.models import Enrollment
from carecoord.tasks.actions import TaskData, close_task, create_task, licensed_queue, may_own
from carecoord.tasks.models import Task, TaskKind, TaskPriority, TaskStatus
from carecoord.tasks.queries import open_tasks
from carecoord.transitions import measures
from carecoord.transitions.models import (
    AdtEvent,
    ContactMethod,
    ContactWith,
    DecisionComplexity,
    RiskLevel,
    Transition,
    TransitionContact,
    TransitionStatus,
    TransitionVisit,
    VisitMode,
)
from carecoord.transitions.rules import (
    FUH_MIN_AGE,
    HIGH_RISK_VISIT_DAYS,
    MODERATE_RISK_VISIT_DAYS,
    TransitionRules,
    current_rules,
)

CONTACT_REASON = "transition-contact"
MEDREC_REASON = "transition-medrec"
VISIT_REASON = "transition-visit"
CAREPLAN_REVIEW_REASON = "careplan-review"
STEP_REASONS = (CONTACT_REASON, MEDREC_REASON, VISIT_REASON, CAREPLAN_REVIEW_REASON)


def end_of(day: datetime.date) -> datetime.datetime:
    """The last moment of ``day`` in the installation's zone (a task due "by Mon 30 Nov")."""
    return datetime.datetime.combine(day, datetime.time(23, 59, 59), timezone.get_current_timezone())


def _audit(by: User | None, transition: Transition, action: str, **detail: object) -> None:
    record(
        by=by,
        action=action,
        object_type="Transition",
        object_id=str(transition.pk),
        patient=transition.patient_id,
        detail=detail,
    )


# Who does the work --------------------------------------------------------------------------------------------


def lead_care_manager(patient: Patient, organization_id: uuid.UUID) -> User | None:
    """The lead of the person's active care team who works for ``organization_id``, if any."""
    today = timezone.localdate()
    place = (
        CareTeamMember.objects.filter(
            care_team__patient=patient,
            care_team__status=CareTeamStatus.ACTIVE,
            is_lead=True,
            user__isnull=False,
            user__organization_id=organization_id,
            start_date__lte=today,
        )
        .exclude(end_date__lt=today)
        .select_related("user")
        .first()
    )
    return place.user if place is not None else None


def care_manager_for(enrollment: Enrollment, *, licensed: bool = False) -> User | None:
    """Whoever should own the person's transition work: the enrollment's care manager, else the care team's lead,
    if they may own such a task."""
    for user in (enrollment.care_manager, lead_care_manager(enrollment.patient, enrollment.organization_id)):
        if may_own(user, enrollment.organization_id, licensed=licensed):
            return user
    return None


def _step_task(
    transition: Transition,
    enrollment: Enrollment | None,
    *,
    reason: str,
    title: str,
    due: datetime.date,
    by: User | None,
    licensed: bool = False,
    priority: str = TaskPriority.ROUTINE,
    description: str = "",
) -> Task:
    existing = open_tasks(transition.patient, reason=reason, focus=transition.focus).first()
    if existing is not None:
        return existing
    owner = care_manager_for(enrollment, licensed=licensed) if enrollment is not None else None
    return create_task(
        data=TaskData(
            organization_id=transition.organization_id,
            title=title,
            kind=TaskKind.TRANSITION if reason != CAREPLAN_REVIEW_REASON else TaskKind.CARE_PLAN,
            priority=priority,
            patient=transition.patient,
            owner=owner,
            queue=licensed_queue(transition.organization_id) if licensed and owner is None else None,
            due_at=end_of(due),
            requires_license=licensed,
            reason=reason,
            focus=transition.focus,
            description=description,
        ),
        by=by if by is not None and by.organization_id == transition.organization_id else None,
    )


def _close_step(transition: Transition, reason: str, *, by: User | None, status: str, why: str = "") -> None:
    for task in open_tasks(transition.patient, reason=reason, focus=transition.focus):
        close_task(task=task, status=status, by=by, reason=why, rule="transition")


# Opening -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RiskFinding:
    level: str
    basis: str
    lace_total: int | None = None
    lace_highest: int | None = None
    hospital_total: int | None = None
    hospital_highest: int | None = None


def assess_risk(encounter: Encounter, rules: TransitionRules) -> RiskFinding:
    """High or moderate readmission risk for the discharge, in words, from LACE and (with labs) HOSPITAL."""
    if encounter.encounter_class != EncounterClass.INPATIENT:
        return RiskFinding(RiskLevel.MODERATE, "Observation stay: LACE and HOSPITAL are scored for inpatient stays.")
    lace = lace_for_encounter(encounter)
    hospital = hospital_for_encounter(encounter)
    labs = hospital.component("H").known or hospital.component("S").known
    numbers = {
        "lace_total": lace.total,
        "lace_highest": lace.highest,
        "hospital_total": hospital.total if labs else None,
        "hospital_highest": hospital.highest if labs else None,
    }
    lace_words = f"LACE {lace.total}" if lace.complete else f"LACE at least {lace.total} (at most {lace.highest})"
    hospital_words = f"HOSPITAL {hospital.total}" if hospital.complete else f"HOSPITAL at least {hospital.total}"
    if lace.total >= rules.lace_high:
        return RiskFinding(RiskLevel.HIGH, f"{lace_words}: high at {rules.lace_high} or more.", **numbers)
    if labs and hospital.total >= rules.hospital_high:
        return RiskFinding(RiskLevel.HIGH, f"{hospital_words}: high at {rules.hospital_high} or more.", **numbers)
    if rules.unknown_risk_is_high and lace.highest >= rules.lace_high:
        return RiskFinding(
            RiskLevel.HIGH, f"{lace_words}: missing data could make it {rules.lace_high} or more.", **numbers
        )
    tail = hospital_words if labs else "HOSPITAL not scored (no hemoglobin or sodium during the stay)"
    return RiskFinding(RiskLevel.MODERATE, f"{lace_words}; {tail}.", **numbers)


def _principal(encounter: Encounter, event: AdtEvent | None) -> tuple[str, str]:
    chosen = measures.principal_diagnosis(event.diagnoses) if event is not None else None
    if chosen is not None:
        return chosen["code"].strip().upper()[:16], chosen.get("display", "")[:300]
    condition = (
        Condition.objects.filter(encounter=encounter, code_system=ICD10CM)
        .exclude(verification_status=ConditionVerificationStatus.ENTERED_IN_ERROR)
        .order_by("pk")
        .first()
    )
    return (condition.code, condition.display) if condition is not None else ("", "")


def visit_days(transition: Transition) -> int:
    high = transition.risk_level == RiskLevel.HIGH or transition.decision_complexity == DecisionComplexity.HIGH
    return HIGH_RISK_VISIT_DAYS if high else MODERATE_RISK_VISIT_DAYS


def open_transition(
    *, encounter: Encounter, enrollment: Enrollment, event: AdtEvent | None = None, by: User | None = None
) -> Transition | None:
    """Open the transition of a discharge to the community (None when the stay does not qualify). Idempotent per
    encounter: an open or completed transition is returned as it is; one cancelled (A13) is opened again with
    the new discharge's dates."""
    qualifies, _ = measures.qualifies_for_tcm(encounter.encounter_class, encounter.discharge_disposition)
    if not qualifies or encounter.period_end is None:
        return None
    existing = Transition.objects.filter(encounter=encounter).first()
    if existing is not None and existing.status != TransitionStatus.CANCELLED:
        return existing
    rules = current_rules()
    discharge_date = timezone.localtime(encounter.period_end).date()
    risk = assess_risk(encounter, rules)
    code, display = _principal(encounter, event)
    patient = encounter.patient
    age = patient.age(discharge_date) if patient.birth_date is not None else None
    values = {
        "patient": patient,
        "organization_id": enrollment.organization_id,
        "enrollment": enrollment,
        "discharge_event": event,
        "encounter_class": encounter.encounter_class,
        "facility": encounter.facility_name,
        "disposition": encounter.discharge_disposition,
        "admitted_at": encounter.period_start,
        "discharged_at": encounter.period_end,
        "discharge_date": discharge_date,
        "status": TransitionStatus.OPEN,
        "status_reason": "",
        "risk_level": risk.level,
        "risk_basis": risk.basis[:300],
        "lace_total": risk.lace_total,
        "lace_highest": risk.lace_highest,
        "hospital_total": risk.hospital_total,
        "hospital_highest": risk.hospital_highest,
        "contact_due": rules.calendar.add_business_days(discharge_date, 2),
        "principal_code": code,
        "principal_display": display,
        "mental_health": bool(code) and measures.is_fuh_diagnosis(code) and (age is None or age >= FUH_MIN_AGE),
        "closed_at": None,
        "closed_by": None,
        "updated_at": timezone.now(),
    }
    with transaction.atomic():
        if existing is not None:
            for name, value in values.items():
                setattr(existing, name, value)
            transition = existing
        else:
            transition = Transition(encounter=encounter, **values)
        transition.visit_due = discharge_date + datetime.timedelta(days=visit_days(transition))
        transition.save()
        _open_tasks(transition, enrollment, by)
        _care_plan_review(transition, enrollment, by)
        _audit(
            by,
            transition,
            AuditAction.CREATE if existing is None else AuditAction.UPDATE,
            change="open",
            encounter=encounter.pk,
            risk=risk.level,
            contact_due=transition.contact_due.isoformat(),
            visit_due=transition.visit_due.isoformat(),
            fuh=transition.mental_health,
        )
    return transition


def _where(transition: Transition) -> str:
    return f" from {transition.facility}" if transition.facility else ""


def _open_tasks(transition: Transition, enrollment: Enrollment, by: User | None) -> None:
    day = transition.discharge_date.strftime("%a %-d %b")
    _step_task(
        transition,
        enrollment,
        reason=CONTACT_REASON,
        title=f"Discharged{_where(transition)} on {day}: contact the person within 2 business days",
        due=transition.contact_due,
        by=by,
        priority=TaskPriority.URGENT,
        description="Talk with the person or their caregiver (telephone, video, in person or two-way secure "
        "message) about how they are and what they need, beyond scheduling. Record each attempt.",
    )
    _step_task(
        transition,
        enrollment,
        reason=MEDREC_REASON,
        title="Reconcile medications after the discharge (no later than the follow-up visit)",
        due=transition.visit_due,
        by=by,
        licensed=True,
    )
    fuh = " with a mental health provider" if transition.mental_health else ""
    _step_task(
        transition,
        enrollment,
        reason=VISIT_REASON,
        title=f"Follow-up visit{fuh} within {visit_days(transition)} days of the discharge",
        due=transition.visit_due,
        by=by,
    )


def _care_plan_review(transition: Transition, enrollment: Enrollment, by: User | None) -> None:
    """A discharge is a significant change: the care plans app brings the review forward when the person has a
    living plan with the organization; otherwise a review task of our own."""
    reason = f"Discharged{_where(transition)} on {transition.discharge_date:%d %b %Y}"
    if apps.is_installed("carecoord.careplans"):
        from carecoord.careplans import actions as plan_actions
        from carecoord.careplans.models import LIVING_PLAN_STATUSES, CarePlan

        mark = getattr(plan_actions, "mark_significant_change", None)
        plan = (
            CarePlan.objects.filter(
                patient=transition.patient,
                organization_id=transition.organization_id,
                status__in=LIVING_PLAN_STATUSES,
            )
            .order_by("-created_at")
            .first()
        )
        if mark is not None and plan is not None:
            try:
                with transaction.atomic():
                    mark(plan=plan, reason=reason, by=by)
                return
            except DomainError:
                pass  # a plan it will not change: fall back to our own task
    if open_tasks(transition.patient, reason=CAREPLAN_REVIEW_REASON).exists():
        return
    _step_task(
        transition,
        enrollment,
        reason=CAREPLAN_REVIEW_REASON,
        title="Review the care plan after the hospital stay",
        due=transition.visit_due,
        by=by,
        description=f"Significant change: {reason}.",
    )


# Recording the steps -------------------------------------------------------------------------------------------


def _check(transition: Transition, by: User, capability: Capability, what: str) -> None:
    if by.organization_id != transition.organization_id:
        raise AccessDenied("This transition belongs to another organization.")
    if not can(by, capability):
        raise AccessDenied(f"Your role may not {what}.")
    if not transition.is_open:
        raise DomainError(f"This transition is {transition.get_status_display().lower()}.", code="transition-closed")


def _check_day(day: datetime.date, transition: Transition, field: str, what: str) -> None:
    if day < transition.discharge_date:
        raise ValidationFailed(
            f"{what} cannot be before the discharge ({transition.discharge_date:%-d %b}).", field=field
        )
    if day > timezone.localdate():
        raise ValidationFailed(f"{what} cannot be in the future.", field=field)


def _touch(transition: Transition, *fields: str) -> None:
    transition.updated_at = timezone.now()
    transition.save(update_fields=[*fields, "updated_at"])


def record_interactive_contact(
    *,
    transition: Transition,
    occurred_at: datetime.datetime,
    method: str,
    with_whom: str,
    successful: bool,
    by: User,
    note: str = "",
) -> TransitionContact:
    """A contact with the person or caregiver, or an attempt. The requirement is met by the first successful
    contact by the due day, or by the second documented unsuccessful attempt by then; its task then closes."""
    _check(transition, by, Capability.TASKS, "record contacts")
    if method not in ContactMethod.values:
        raise ValidationFailed(
            "Choose how the contact happened (automated calls and chatbots do not count).", field="method"
        )
    if with_whom not in ContactWith.values:
        raise ValidationFailed("Say who was contacted.", field="with_whom")
    if timezone.is_naive(occurred_at):
        occurred_at = timezone.make_aware(occurred_at)
    if occurred_at > timezone.now() + datetime.timedelta(minutes=5):
        raise ValidationFailed("The contact cannot be in the future.", field="occurred_at")
    if occurred_at < transition.discharged_at:
        raise ValidationFailed("The contact cannot be before the discharge.", field="occurred_at")
    if not successful and not note.strip():
        raise ValidationFailed("Say what was tried (an attempt counts only when documented).", field="note")
    with transaction.atomic():
        contact = TransitionContact.objects.create(
            transition=transition,
            occurred_at=occurred_at,
            method=method,
            with_whom=with_whom,
            successful=successful,
            note=note.strip(),
            recorded_by=by,
        )
        outcome = measures.contact_outcome(
            [(timezone.localtime(c.occurred_at).date(), c.successful) for c in transition.contacts.all()],
            due=transition.contact_due,
            discharge_date=transition.discharge_date,
        )
        if outcome.met_on != transition.contact_met_on or outcome.by_attempts != transition.contact_by_attempts:
            transition.contact_met_on = outcome.met_on
            transition.contact_by_attempts = outcome.by_attempts
            _touch(transition, "contact_met_on", "contact_by_attempts")
        if successful or outcome.met_on is not None:
            _close_step(transition, CONTACT_REASON, by=by, status=TaskStatus.COMPLETED)
        _audit(
            by,
            transition,
            AuditAction.UPDATE,
            change="contact",
            contact=contact.pk,
            successful=successful,
            method=method,
            met_on=outcome.met_on.isoformat() if outcome.met_on else None,
        )
    return contact


def record_medication_reconciliation(
    *, transition: Transition, on: datetime.date, by: User, note: str = ""
) -> Transition:
    """Medications reconciled (a licensed user), no later than the face-to-face visit."""
    _check(transition, by, Capability.MEDICATION_RECONCILIATION, "reconcile medications")
    _check_day(on, transition, "on", "The reconciliation")
    with transaction.atomic():
        transition.medication_reconciled_on = on
        transition.medication_reconciled_by = by
        transition.medication_note = note.strip()
        _touch(transition, "medication_reconciled_on", "medication_reconciled_by", "medication_note")
        _close_step(transition, MEDREC_REASON, by=by, status=TaskStatus.COMPLETED)
        late = transition.visit_on is not None and on > transition.visit_on
        _audit(by, transition, AuditAction.UPDATE, change="medication-reconciliation", on=on.isoformat(), late=late)
    return transition


def record_face_to_face_visit(
    *,
    transition: Transition,
    on: datetime.date,
    by: User,
    mode: str = VisitMode.IN_PERSON,
    provider: str = "",
    mental_health_provider: bool = False,
    note: str = "",
) -> TransitionVisit:
    """A follow-up visit after the discharge: the first is TCM's face-to-face visit (its task closes); one with a
    mental health provider after the discharge day counts for FUH."""
    _check(transition, by, Capability.TASKS, "record visits")
    _check_day(on, transition, "on", "The visit")
    if mode not in VisitMode.values:
        raise ValidationFailed("Choose in person or telehealth.", field="mode")
    with transaction.atomic():
        visit = TransitionVisit.objects.create(
            transition=transition,
            visit_on=on,
            mode=mode,
            provider=provider.strip()[:200],
            mental_health_provider=mental_health_provider,
            note=note.strip(),
            recorded_by=by,
        )
        changed = []
        if transition.visit_on is None or on < transition.visit_on:
            transition.visit_on = on
            changed.append("visit_on")
        if (
            mental_health_provider
            and on > transition.discharge_date
            and (transition.fuh_follow_up_on is None or on < transition.fuh_follow_up_on)
        ):
            transition.fuh_follow_up_on = on
            changed.append("fuh_follow_up_on")
        if changed:
            _touch(transition, *changed)
        if not transition.mental_health or transition.fuh_follow_up_on is not None:
            _close_step(transition, VISIT_REASON, by=by, status=TaskStatus.COMPLETED)
        _audit(
            by,
            transition,
            AuditAction.UPDATE,
            change="visit",
            visit=visit.pk,
            on=on.isoformat(),
            mode=mode,
            mental_health_provider=mental_health_provider,
        )
    return visit


def set_decision_complexity(*, transition: Transition, complexity: str, by: User) -> Transition:
    """The medical decision making of the transition, as a licensed clinician judges it. High complexity brings
    the visit forward to 7 days."""
    _check(transition, by, Capability.TRANSITION_CLINICAL, "record the decision complexity")
    if complexity not in DecisionComplexity.values:
        raise ValidationFailed("Choose straightforward, low, moderate or high.", field="complexity")
    with transaction.atomic():
        previous = transition.decision_complexity
        transition.decision_complexity = complexity
        transition.complexity_by = by
        transition.complexity_at = timezone.now()
        transition.visit_due = transition.discharge_date + datetime.timedelta(days=visit_days(transition))
        _touch(transition, "decision_complexity", "complexity_by", "complexity_at", "visit_due")
        for task in open_tasks(transition.patient, focus=transition.focus).filter(
            reason__in=[VISIT_REASON, MEDREC_REASON]
        ):
            task.due_at = end_of(transition.visit_due)
            task.updated_at = timezone.now()
            task.save(update_fields=["due_at", "updated_at"])
        _audit(
            by,
            transition,
            AuditAction.UPDATE,
            change="complexity",
            previous=previous,
            complexity=complexity,
            visit_due=transition.visit_due.isoformat(),
        )
    return transition


def complete_transition(*, transition: Transition, by: User, note: str = "") -> Transition:
    """The transition's work is done. Without a face-to-face visit on record, say why it is closed anyway."""
    _check(transition, by, Capability.TASKS, "complete transitions")
    if transition.visit_on is None and not note.strip():
        raise ValidationFailed("No follow-up visit is recorded: say why the transition is complete.", field="note")
    with transaction.atomic():
        transition.status = TransitionStatus.COMPLETED
        transition.status_reason = note.strip()[:300]
        transition.closed_at = timezone.now()
        transition.closed_by = by
        _touch(transition, "status", "status_reason", "closed_at", "closed_by")
        for reason in STEP_REASONS:
            _close_step(transition, reason, by=by, status=TaskStatus.CANCELLED, why="Transition completed")
        _audit(by, transition, AuditAction.UPDATE, change="complete", note=note.strip())
    return transition


def cancel_transition(
    *, transition: Transition, reason: str, by: User | None, status: str = TaskStatus.CANCELLED
) -> Transition:
    """Cancel a transition: the hospital cancelled the discharge (A13, ``by=None``, its tasks entered in error)
    or a user says why. Open step tasks are withdrawn with the reason."""
    if by is not None:
        _check(transition, by, Capability.TASKS, "cancel transitions")
    if not reason.strip():
        raise ValidationFailed("Say why the transition is cancelled.", field="reason")
    if transition.status == TransitionStatus.CANCELLED:
        return transition
    with transaction.atomic():
        transition.status = TransitionStatus.CANCELLED
        transition.status_reason = reason.strip()[:300]
        transition.closed_at = timezone.now()
        transition.closed_by = by
        _touch(transition, "status", "status_reason", "closed_at", "closed_by")
        for step in STEP_REASONS:
            _close_step(transition, step, by=by, status=status, why=reason.strip())
        _audit(by, transition, AuditAction.UPDATE, change="cancel", reason=reason.strip())
    return transition
