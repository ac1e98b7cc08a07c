"""The rules that create work, one small declarative definition each, and the hooks other actions run.

A rule with ``find`` is the rules job's: ``find`` answers, in a few SQL statements over every enrolled person
(never a loop of queries per person), which obligations are owed now — each an ``Obligation`` keyed by
(organization, person, ``focus``). ``tasks.rules.actions.reconcile`` compares them with the open tasks the rule
made (``Task.by_rule``, same ``reason``): it creates what is missing, closes what is no longer owed and keeps
the rest. A rule without ``find`` is a hook: another action creates its task the moment the event happens
(a positive screen, a discharge); it is listed here so an administrator sees every rule in one place
(``carecoord rules``).

Values marked [R] are defaults, not published rules (program deadlines are per program, in
``programs.catalog`` and the program settings page; lead times in ``tasks.rules.config``).
"""

from __future__ import annotations

import datetime
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Exists, FilteredRelation, OuterRef, Q, QuerySet
from django.utils import timezone

from carecoord.assessments import instruments
from carecoord.assessments.models import FINISHED_STATUSES, QuestionnaireDefinition, QuestionnaireResponse
from carecoord.assessments.queries import screenings_due_for
from carecoord.careplans.models import (
    LIVING_PLAN_STATUSES,
    OPEN_INTERVENTION_STATUSES,
    CarePlan,
    CarePlanStatus,
    Intervention,
)
from carecoord.contacts.billing.rules import last_day
from carecoord.contacts.billing.table import rules as billing_rules
from carecoord.contacts.models import Readiness
from carecoord.programs.models import Enrollment, EnrollmentStatus, ProgramReferral, ReferralStatus
from carecoord.referrals.models import Referral
from carecoord.referrals.states import ReferralStatus as ReferralTaskStatus
from carecoord.tasks.models import OPEN_STATUSES, Task, TaskKind, TaskPriority
from carecoord.tasks.rules.config import RulesConfig

REFERRAL_DECISION_DAYS = 3  # [R] a program referral waits at most three days for a decision


@dataclass(frozen=True)
class Scope:
    """What one run looks at: the day, the moment, one organization (or all) and the settings."""

    today: datetime.date
    now: datetime.datetime
    config: RulesConfig
    organization_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Obligation:
    """Work owed now: one task for (organization, person, focus), for the care manager when there is one."""

    organization_id: uuid.UUID
    patient_id: uuid.UUID
    focus: str
    title: str
    due_at: datetime.datetime | None
    care_manager_id: uuid.UUID | None = None
    description: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        return (str(self.organization_id), str(self.patient_id), self.focus)


@dataclass(frozen=True)
class Rule:
    """One rule: its reason code (the tasks' ``reason``), what it finds and when its task closes, the task's
    kind and priority, and ``find`` (None for a hook another action runs; ``made_by`` names it)."""

    reason: str
    name: str
    finds: str
    closes_when: str
    kind: str
    find: Callable[[Scope], Iterable[Obligation]] | None = None
    made_by: str = "rules job"
    priority: str = TaskPriority.ROUTINE
    requires_license: bool = False


def due_at(day: datetime.date) -> datetime.datetime:
    """5 pm on ``day`` in the installation's zone (as care plan work is due)."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(17, 0)))


def _active_enrollments(scope: Scope) -> QuerySet[Enrollment]:
    found = Enrollment.objects.filter(status=EnrollmentStatus.ACTIVE)
    if scope.organization_id is not None:
        found = found.filter(organization_id=scope.organization_id)
    return found


def find_assessment_due(scope: Scope) -> Iterator[Obligation]:
    """Active enrollments in a program with an assessment deadline and no finished comprehensive assessment
    since the enrollment started (one statement)."""
    forms = list(
        QuestionnaireDefinition.objects.filter(url=instruments.COMPREHENSIVE_ASSESSMENT_URL).values_list(
            "pk", flat=True
        )
    )
    done = QuestionnaireResponse.objects.filter(
        patient_id=OuterRef("patient_id"),
        questionnaire_id__in=forms,
        status__in=FINISHED_STATUSES,
        authored__date__gte=OuterRef("start_date"),
    )
    rows = (
        _active_enrollments(scope)
        .filter(program__assessment_due_days__isnull=False)
        .exclude(Exists(done))
        .values_list(
            "pk", "organization_id", "patient_id", "care_manager_id", "start_date", "program__assessment_due_days"
        )
    )
    for pk, organization, patient, manager, start, days in rows.iterator(chunk_size=5000):
        yield Obligation(
            organization,
            patient,
            f"EpisodeOfCare/{pk}",
            "Comprehensive assessment due",
            due_at(start + datetime.timedelta(days=days or 0)),
            manager,
            f"Due {days} days after enrollment ({start.isoformat()}).",
        )


def find_plan_due(scope: Scope) -> Iterator[Obligation]:
    """Active enrollments in a program with a plan deadline whose episode has no agreed plan (active, on hold or
    completed; a draft is not a plan yet) — one statement."""
    agreed = CarePlan.objects.filter(
        enrollment_id=OuterRef("pk"),
        status__in=(CarePlanStatus.ACTIVE, CarePlanStatus.ON_HOLD, CarePlanStatus.COMPLETED),
    )
    rows = (
        _active_enrollments(scope)
        .filter(program__plan_due_days__isnull=False)
        .exclude(Exists(agreed))
        .values_list("pk", "organization_id", "patient_id", "care_manager_id", "start_date", "program__plan_due_days")
    )
    for pk, organization, patient, manager, start, days in rows.iterator(chunk_size=5000):
        yield Obligation(
            organization,
            patient,
            f"EpisodeOfCare/{pk}",
            "Care plan due",
            due_at(start + datetime.timedelta(days=days or 0)),
            manager,
            f"The plan of care is due {days} days after enrollment ({start.isoformat()}); sign it with the person.",
        )


def find_plan_review_due(scope: Scope) -> Iterator[Obligation]:
    """Active plans whose review falls due within the lead time and that have no review task made by a person
    or another action (``careplans.schedule_review``, a discharge) — one statement."""
    covered = Task.objects.filter(
        patient_id=OuterRef("patient_id"),
        organization_id=OuterRef("organization_id"),
        reason=REVIEW_REASON,
        status__in=OPEN_STATUSES,
        by_rule=False,
    )
    plans = CarePlan.objects.filter(
        status=CarePlanStatus.ACTIVE,
        review_due__isnull=False,
        review_due__lte=scope.today + datetime.timedelta(days=scope.config.lead_days),
    ).exclude(Exists(covered))
    if scope.organization_id is not None:
        plans = plans.filter(organization_id=scope.organization_id)
    rows = plans.values_list("pk", "organization_id", "patient_id", "enrollment__care_manager_id", "review_due")
    for pk, organization, patient, manager, review_due in rows.iterator(chunk_size=5000):
        if review_due is None:
            continue
        yield Obligation(organization, patient, f"CarePlan/{pk}", "Care plan review due", due_at(review_due), manager)


def find_intervention_due(scope: Scope) -> Iterator[Obligation]:
    """Open interventions of living plans due within the lead time with no open task of their own (a staff
    performer's intervention already has one) — one statement; for the staff performer, else the care manager."""
    rows = (
        Intervention.objects.filter(
            status__in=OPEN_INTERVENTION_STATUSES,
            due_date__isnull=False,
            due_date__lte=scope.today + datetime.timedelta(days=scope.config.lead_days),
            plan__status__in=LIVING_PLAN_STATUSES,
        )
        .exclude(task__status__in=OPEN_STATUSES)
        .values_list(
            "pk",
            "plan__organization_id",
            "plan__patient_id",
            "performer_user_id",
            "plan__enrollment__care_manager_id",
            "due_date",
            "description",
        )
    )
    if scope.organization_id is not None:
        rows = rows.filter(plan__organization_id=scope.organization_id)
    for pk, organization, patient, performer, manager, due_date, description in rows.iterator(chunk_size=5000):
        if due_date is None:
            continue
        yield Obligation(
            organization,
            patient,
            f"Intervention/{pk}",
            f"Intervention due {due_date:%b} {due_date.day}: {description}",
            due_at(due_date),
            performer or manager,
            "Follow the intervention up with whoever carries it out, and record it on the care plan.",
        )


def find_contact_minimum(scope: Scope) -> Iterator[Obligation]:
    """In a month's last N days (``CARECOORD_RULES_CONTACT_DAYS_LEFT``): active enrollments in a program judged
    by contacts whose month is not billable yet (the stored ``MonthStatus``; none stored means nothing recorded)
    — one statement."""
    month = scope.today.replace(day=1)
    end = last_day(month)
    if (end - scope.today).days + 1 > scope.config.contact_days_left:
        return
    programs = [code for code, rule in billing_rules()["programs"].items() if rule.get("kind") != "tcm"]
    rows = (
        _active_enrollments(scope)
        .filter(program_id__in=programs, start_date__lte=end)
        .annotate(verdict=FilteredRelation("month_statuses", condition=Q(month_statuses__month=month)))
        .exclude(verdict__status=Readiness.BILLABLE)
        .values_list("pk", "organization_id", "patient_id", "care_manager_id", "verdict__missing")
    )
    for pk, organization, patient, manager, missing in rows.iterator(chunk_size=5000):
        needed = "; ".join(str(item) for item in missing or []) or "the program's minimum contacts"
        yield Obligation(
            organization,
            patient,
            f"EpisodeOfCare/{pk}/{month:%Y-%m}",
            f"Contact minimum not met for {month:%B %Y}",
            due_at(end),
            manager,
            f"Still needed this month: {needed}.",
        )


RESCREEN_CHUNK = 2000


def find_rescreening_due(scope: Scope) -> Iterator[Obligation]:
    """People enrolled in a program a rescreening rule covers whose screen falls due within the lead time
    (``assessments.queries.screenings_due_for``: three statements per 2,000 people, read by id range, as the people
    are in id order), one task per organization they are enrolled with."""
    by_patient: dict[uuid.UUID, dict[uuid.UUID, uuid.UUID | None]] = defaultdict(dict)
    for organization, patient, manager in (
        _active_enrollments(scope)
        .order_by("patient_id", "-start_date")
        .values_list("organization_id", "patient_id", "care_manager_id")
        .iterator(chunk_size=5000)
    ):
        by_patient[patient].setdefault(organization, manager)
    horizon = scope.today + datetime.timedelta(days=scope.config.lead_days)
    people = list(by_patient)
    for start in range(0, len(people), RESCREEN_CHUNK):
        due = screenings_due_for(people[start : start + RESCREEN_CHUNK], today=scope.today, by_range=True)
        for patient, screenings in due.items():
            for screening in screenings:
                if screening.due_on > horizon:
                    continue
                last = f"last done {screening.last_done:%Y-%m-%d}" if screening.last_done else "never done"
                for held_by, lead in by_patient[patient].items():
                    yield Obligation(
                        held_by,
                        patient,
                        screening.instrument_url,
                        f"{screening.title} due (rescreening)",
                        due_at(screening.due_on),
                        lead,
                        f"Every {screening.interval_days} days while enrolled; {last}.",
                    )


def find_referral_decision(scope: Scope) -> Iterator[Obligation]:
    """Program referrals waiting for the receiving organization's decision (one statement); for its queue."""
    rows = ProgramReferral.objects.filter(status=ReferralStatus.PENDING)
    if scope.organization_id is not None:
        rows = rows.filter(receiving_organization_id=scope.organization_id)
    for pk, organization, patient, program, received in rows.values_list(
        "pk", "receiving_organization_id", "patient_id", "program__name", "received_at"
    ).iterator(chunk_size=5000):
        yield Obligation(
            organization,
            patient,
            f"ServiceRequest/{pk}",
            f"Referral to {program} waiting for a decision",
            received + datetime.timedelta(days=REFERRAL_DECISION_DAYS),
            None,
            "Accept or reject the referral (with a reason).",
        )


def find_referral_not_accepted(scope: Scope) -> Iterator[Obligation]:
    """Community referrals still waiting for the partner ``CARECOORD_REFERRAL_ACCEPT_HOURS`` after they were sent
    (one statement, on the index of waiting referrals); for the requester."""
    hours = datetime.timedelta(hours=settings.REFERRAL_ACCEPT_HOURS)
    rows = Referral.objects.filter(status=ReferralTaskStatus.REQUESTED, authored_on__lte=scope.now - hours)
    if scope.organization_id is not None:
        rows = rows.filter(referring_organization_id=scope.organization_id)
    for pk, organization, patient, requester, target, authored in rows.values_list(
        "pk", "referring_organization_id", "patient_id", "requester_id", "target_display", "authored_on"
    ).iterator(chunk_size=5000):
        yield Obligation(
            organization,
            patient,
            f"Referral/{pk}",
            f"Referral not accepted yet: {target}"[:200],
            authored + hours,
            requester,
            "Call the organization, or send the person somewhere else (cancel this referral with a reason).",
        )


# Codes of the hooks (kept equal to the constants of the modules that create them; test_rules checks).
REVIEW_REASON = "careplan-review"

RULES: tuple[Rule, ...] = (
    Rule(
        "program-assessment-due",
        "Assessment due after enrollment",
        "An active enrollment in a program with an assessment deadline (assessment_due_days) without a finished "
        "comprehensive assessment since it started.",
        "the comprehensive assessment is completed, or the enrollment ends",
        TaskKind.SCREENING,
        find_assessment_due,
    ),
    Rule(
        "program-plan-due",
        "Care plan due after enrollment",
        "An active enrollment in a program with a plan deadline (plan_due_days) without an agreed care plan.",
        "the plan is agreed (active), or the enrollment ends",
        TaskKind.CARE_PLAN,
        find_plan_due,
    ),
    Rule(
        REVIEW_REASON,
        "Care plan review cadence",
        "An active plan whose review (program plan_review_days, or brought forward by a significant change) is "
        "due within the lead time and has no review task yet.",
        "the review is completed (the next review date moves on), or the plan ends",
        TaskKind.CARE_PLAN,
        find_plan_review_due,
        made_by="rules job; also careplans.schedule_review and a discharge (transitions.workflow)",
    ),
    Rule(
        "careplan-intervention-due",
        "Intervention due",
        "An open intervention of a living plan due within the lead time without an open task of its own.",
        "the intervention is done, stopped or cancelled, or the plan ends",
        TaskKind.CARE_PLAN,
        find_intervention_due,
    ),
    Rule(
        "monthly-contact-minimum",
        "Monthly contact minimum at risk",
        "In the month's last CARECOORD_RULES_CONTACT_DAYS_LEFT days, an active enrollment whose month is not "
        "billable yet (contacts billing rules).",
        "the month becomes billable, the month ends, or the enrollment ends",
        TaskKind.FOLLOW_UP,
        find_contact_minimum,
    ),
    Rule(
        "rescreening-due",
        "Rescreening due",
        "An enrolled person whose rescreening (assessments.flags rescreening rules: PHQ-9, social needs) falls "
        "due within the lead time.",
        "the screen is done, or the person is no longer enrolled",
        TaskKind.SCREENING,
        find_rescreening_due,
    ),
    Rule(
        "program-referral-decision",
        "Program referral waiting",
        "A referral into a program (ServiceRequest) the receiving organization has not accepted or rejected.",
        "the referral is accepted, rejected or withdrawn",
        TaskKind.OTHER,
        find_referral_decision,
    ),
    Rule(
        "community-referral-not-accepted",
        "Community referral not accepted",
        "A community referral still waiting for the partner CARECOORD_REFERRAL_ACCEPT_HOURS after it was sent.",
        "the partner accepts or rejects it, or it is cancelled",
        TaskKind.REFERRAL,
        find_referral_not_accepted,
    ),
    Rule(
        "phq9-item9-safety",
        "Safety follow-up (PHQ-9 item 9)",
        "A completed PHQ-9 with item 9 above 0.",
        "a licensed user completes it; escalates when not acted on in time (see safety-escalation)",
        TaskKind.SAFETY,
        made_by="assessments.flags (positive screen)",
        priority=TaskPriority.ASAP,
        requires_license=True,
    ),
    Rule(
        "safety-escalation",
        "Safety task not acted on",
        "A stat/asap safety task untouched (not taken, started, commented or moved) for "
        "CARECOORD_SAFETY_ESCALATION_MINUTES: raised to stat once, the owner's supervisor and the organization "
        "notified.",
        "not a task of its own: the escalated task carries a comment and escalated_at",
        TaskKind.SAFETY,
        made_by="rules job (escalation)",
        priority=TaskPriority.STAT,
    ),
    Rule(
        "phq9-due",
        "PHQ-9 after a positive PHQ-2",
        "A positive PHQ-2.",
        "done by a user",
        TaskKind.SCREENING,
        made_by="assessments.flags (positive screen)",
    ),
    Rule(
        "gad7-due",
        "GAD-7 after a positive GAD-2",
        "A positive GAD-2.",
        "done by a user",
        TaskKind.SCREENING,
        made_by="assessments.flags (positive screen)",
    ),
    Rule(
        "auditc-follow-up",
        "Alcohol use follow-up",
        "A positive AUDIT-C.",
        "done by a user",
        TaskKind.FOLLOW_UP,
        made_by="assessments.flags (positive screen)",
    ),
    Rule(
        "dast10-follow-up",
        "Drug use follow-up",
        "A DAST-10 at moderate or worse.",
        "done by a user",
        TaskKind.FOLLOW_UP,
        made_by="assessments.flags (positive screen)",
    ),
    Rule(
        "sdoh-<domain>",
        "Suggested community referral",
        "A positive social needs domain.",
        "done by a user",
        TaskKind.REFERRAL,
        made_by="assessments.flags (positive screen)",
    ),
    Rule(
        "problem-<domain>",
        "Suggested care plan problem",
        "A positive social needs domain.",
        "done by a user",
        TaskKind.CARE_PLAN,
        made_by="assessments.flags (positive screen)",
    ),
    Rule(
        "transition-contact",
        "Interactive contact after discharge",
        "A discharge of an enrolled person.",
        "the contact is recorded",
        TaskKind.TRANSITION,
        made_by="transitions.workflow (discharge)",
    ),
    Rule(
        "transition-medrec",
        "Medication reconciliation after discharge",
        "A discharge of an enrolled person.",
        "the reconciliation is recorded",
        TaskKind.TRANSITION,
        made_by="transitions.workflow (discharge)",
    ),
    Rule(
        "transition-visit",
        "Follow-up visit after discharge",
        "A discharge of an enrolled person.",
        "the visit is recorded",
        TaskKind.TRANSITION,
        made_by="transitions.workflow (discharge)",
    ),
    Rule(
        "transition-admission",
        "Hospital admission",
        "An admission of an enrolled person (ADT A01).",
        "done by a user, or the event is cancelled",
        TaskKind.TRANSITION,
        made_by="transitions.alerts",
    ),
    Rule(
        "transition-ed-visit",
        "Emergency department visit",
        "An ED visit of an enrolled person.",
        "done by a user, or the event is cancelled",
        TaskKind.TRANSITION,
        made_by="transitions.alerts",
    ),
    Rule(
        "careplan-intervention",
        "A staff member's intervention",
        "An intervention performed by a staff user.",
        "the intervention is done",
        TaskKind.CARE_PLAN,
        made_by="careplans (add_intervention)",
    ),
)


def job_rules() -> tuple[Rule, ...]:
    """The rules the job runs (those with ``find``), in order."""
    return tuple(rule for rule in RULES if rule.find is not None)


def rule_named(reason: str) -> Rule | None:
    return next((rule for rule in RULES if rule.reason == reason), None)
