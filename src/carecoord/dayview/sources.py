"""What the day view ranks, one function per source, each a fixed number of statements for the whole caseload.

No permission check here (``access.py`` decides who is asked about and audits what is shown). Each source turns
its records into ``ranking.Row``s with the reason in words and the one-click action. Screenings come from
``assessments.queries.screenings_due_for`` (the chart's rule for a whole caseload); the other sources read their
models for everyone at once and apply the owning app's rules (``transitions.rules``, ``transitions.summary``,
the stored ``contacts`` month status), since their query modules answer one person at a time.

Some of the work shown here also exists as a task (a safety flag's task, a transition's contact task, an ED
visit's check-in, a plan review task): the row of the source says more, so ``Covered`` names those tasks and the
task source leaves them out.
"""

from __future__ import annotations

import datetime
import functools
import uuid
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone

from carecoord.accounts.models import User
from carecoord.assessments.models import SafetyFlag
from carecoord.assessments.queries import screenings_due_for
from carecoord.careplans.models import LIVING_PLAN_STATUSES, CarePlan
from carecoord.contacts.billing.rules import last_day, month_bounds
from carecoord.contacts.models import Contact, MonthStatus, Readiness
from carecoord.dayview.ranking import Kind, Person, Row
from carecoord.patients.models import Patient
from carecoord.programs.models import Enrollment, EnrollmentStatus, ProgramReferral, ReferralSource, ReferralStatus
from carecoord.programs.rules import month_start
from carecoord.tasks.models import OPEN_STATUSES, Task, TaskKind, TaskPriority, TaskStatus
from carecoord.tasks.queries import queues_for
from carecoord.transitions import summary
from carecoord.transitions.alerts import ADMISSION_REASON, ED_VISIT_REASON
from carecoord.transitions.models import AdtEvent, EventKind, Transition, TransitionStatus
from carecoord.transitions.rules import ADMISSION_TASK_BUSINESS_DAYS, current_rules
from carecoord.web.templatetags.carecoord import day, relative

RECENT_EVENT_DAYS = 3  # [R] admissions and ED visits stay on the day view this many days
REVIEW_AHEAD_DAYS = 7  # [R] plan reviews show from a week before they are due
TASK_LIMIT = 500  # overdue and due-today tasks shown at most (the work list has the rest)
SOURCE_LIMIT = 300  # rows at most from each other source


@dataclass
class Covered:
    """Tasks another source's row already stands for (by id, or by ``Task.focus`` and reason)."""

    task_ids: set[uuid.UUID] = field(default_factory=set)
    focus: set[tuple[str, str]] = field(default_factory=set)  # (reason or "", focus); "" matches any reason

    def covers(self, task: Task) -> bool:
        return task.pk in self.task_ids or ("", task.focus) in self.focus or (task.reason, task.focus) in self.focus


@dataclass(frozen=True)
class Enrolled:
    """One active enrollment of the caseload as the sources read it (plain values: a caseload has hundreds)."""

    pk: uuid.UUID
    person: Person
    program_name: str
    min_core_services: int
    contacted: bool  # a contact this month
    month_status: str | None  # this month's stored verdict
    month_missing: list[str]

    @property
    def patient_id(self) -> uuid.UUID:
        return self.person.id


@dataclass(frozen=True)
class Caseload:
    """The care manager's people: their active enrollments with the organization (one statement), with what the
    contacts source needs (a contact this month? this month's stored verdict)."""

    enrollments: list[Enrolled]

    @property
    def patient_ids(self) -> list[uuid.UUID]:
        return list(dict.fromkeys(e.patient_id for e in self.enrollments))


def person(patient: Patient) -> Person:
    return Person(id=patient.pk, name=f"{patient.family_name}, {patient.given_names}", birth_date=patient.birth_date)


_PLACEHOLDERS: dict[str, object] = {"UUID": uuid.UUID(int=0), "int": 987654321}


@functools.cache
def _pattern(name: str, kind: str) -> tuple[str, str]:
    """A URL taking one id, split around it: resolving a URL per row costs more than the row itself."""
    placeholder = _PLACEHOLDERS[kind]
    before, _, after = reverse(name, args=[placeholder]).partition(str(placeholder))
    return before, after


def link(name: str, pk: uuid.UUID | int) -> str:
    """``reverse(name, args=[pk])`` for URLs whose only argument is an id (a UUID or an integer)."""
    before, after = _pattern(name, type(pk).__name__)
    return f"{before}{pk}{after}"


def _chart(patient_id: uuid.UUID, section: str = "") -> str:
    return link("web:chart", patient_id) + (f"#{section}" if section else "")


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


# The caseload -----------------------------------------------------------------------------------------------------


def caseload(user: User, visible: QuerySet[Patient], today: datetime.date) -> Caseload:
    """Active enrollments the user is care manager of, for people the user may see, with this month's contact
    and stored verdict (one statement)."""
    start, end = month_bounds(today)
    contacted = Contact.objects.filter(enrollment=OuterRef("pk"), occurred_at__gte=start, occurred_at__lt=end).values(
        "pk"
    )[:1]
    verdict = MonthStatus.objects.filter(enrollment=OuterRef("pk"), month=month_start(today))
    rows = (
        Enrollment.objects.filter(
            # Correlated, so only these people's access facts are read (``patient__in`` builds the set of
            # everyone the user may see first: a scan of the whole registry).
            Exists(visible.filter(pk=OuterRef("patient_id"))),
            care_manager=user,
            organization_id=user.organization_id,
            status=EnrollmentStatus.ACTIVE,
        )
        .annotate(
            contacted=Exists(contacted),
            month_status=Subquery(verdict.values("status")[:1]),
            month_missing=Subquery(verdict.values("missing")[:1]),
        )
        .order_by("patient__family_folded", "patient__given_folded", "program__name")
        .values_list(
            "pk",
            "patient_id",
            "patient__family_name",
            "patient__given_names",
            "patient__birth_date",
            "program__name",
            "program__min_core_services_per_month",
            "contacted",
            "month_status",
            "month_missing",
        )
    )
    return Caseload(
        [
            Enrolled(pk, Person(patient_id, f"{family}, {given}", born), program, minimum, contacted, status, missing)
            for pk, patient_id, family, given, born, program, minimum, contacted, status, missing in rows
        ]
    )


# Safety flags ----------------------------------------------------------------------------------------------------


def safety_flags(user: User, patient_ids: list[uuid.UUID], work: Q, covered: Covered) -> list[Row]:
    """Flags still in force (not resolved, their task not completed) for the caseload or with a safety task on
    the user's list (``work``), newest first (one statement)."""
    on_list = Task.objects.filter(work, status__in=OPEN_STATUSES).values("pk")
    flags = (
        SafetyFlag.objects.filter(Q(patient_id__in=patient_ids) | Q(task__in=on_list), resolved_at__isnull=True)
        .exclude(task__status=TaskStatus.COMPLETED)
        .select_related("patient")
        .order_by("-raised_at")[:SOURCE_LIMIT]
    )
    rows = []
    for flag in flags:
        if flag.task_id is not None:
            covered.task_ids.add(flag.task_id)
        raised = timezone.localtime(flag.raised_at)
        rows.append(
            Row(
                kind=Kind.SAFETY,
                key=f"SafetyFlag/{flag.pk}",
                title="Safety concern",
                why=f"{flag.description} — raised {relative(raised)} ({day(raised)})",
                action_url=link("tasks:detail", flag.task_id) if flag.task_id else _chart(flag.patient_id),
                action_label="Open the safety task" if flag.task_id else "Open the chart",
                person=person(flag.patient),
                priority="stat",
            )
        )
    return rows


# Transitions: open transitions, and recent admissions and ED visits ------------------------------------------------


def transitions(user: User, patient_ids: list[uuid.UUID], today: datetime.date, covered: Covered) -> list[Row]:
    """Each open transition's next step (two statements: the transitions and their contacts)."""
    found = (
        Transition.objects.filter(
            organization_id=user.organization_id, status=TransitionStatus.OPEN, patient_id__in=patient_ids
        )
        .select_related("patient")
        .prefetch_related("contacts")
        .order_by("-discharge_date", "-pk")[:SOURCE_LIMIT]
    )
    rows = []
    for transition in found:
        covered.focus.add(("", transition.focus))
        steps = summary.summarize(transition, today=today)
        step = steps.next_due
        if step is None:
            continue
        where = transition.facility or "the hospital"
        discharged = (
            f"Discharged from {where} {relative(transition.discharge_date)}"
            if abs((transition.discharge_date - today).days) <= 1
            else f"Discharged from {where} on {day(transition.discharge_date)}"
        )
        rows.append(
            Row(
                kind=Kind.TRANSITION,
                key=f"Transition/{transition.pk}",
                title=step.label,
                why=f"{discharged} — {_lower_first(step.label)}: {_lower_first(step.words).rstrip('.')}",
                action_url=link("transitions:detail", transition.pk),
                action_label="Open the transition",
                person=person(transition.patient),
                due=step.due,
                priority="urgent",
                detail=transition.get_risk_level_display(),
            )
        )
    return rows


_EVENT_WORDS: dict[str, tuple[str, str]] = {
    EventKind.ADMISSION: ("Admitted to {facility}", "contact the hospital team"),
    EventKind.OBSERVATION: ("In observation at {facility}", "contact the hospital team"),
    EventKind.ED_VISIT: ("ED visit at {facility}", "check in with the person"),
}


def recent_events(patient_ids: list[uuid.UUID], now: datetime.datetime, covered: Covered) -> list[Row]:
    """Admissions, observation stays and ED visits of the last few days, not cancelled (one statement)."""
    since = now - datetime.timedelta(days=RECENT_EVENT_DAYS)
    events = (
        AdtEvent.objects.filter(
            patient_id__in=patient_ids,
            kind__in=list(_EVENT_WORDS),
            occurred_at__gte=since,
            retracted_by__isnull=True,
        )
        .select_related("patient", "encounter")
        .order_by("-occurred_at", "-pk")[:SOURCE_LIMIT]
    )
    calendar = current_rules().calendar
    rows = []
    for event in events:
        focus = f"Encounter/{event.encounter_id}" if event.encounter_id else f"AdtEvent/{event.pk}"
        covered.focus.add((ED_VISIT_REASON if event.kind == EventKind.ED_VISIT else ADMISSION_REASON, focus))
        facility = event.facility or (event.encounter.facility_name if event.encounter else "") or "a hospital"
        headline, todo = _EVENT_WORDS[event.kind]
        moment = timezone.localtime(event.occurred_at)
        due = calendar.add_business_days(moment.date(), ADMISSION_TASK_BUSINESS_DAYS)
        reason = f" ({event.reason})" if event.reason else ""
        rows.append(
            Row(
                kind=Kind.TRANSITION,
                key=f"AdtEvent/{event.pk}",
                title=headline.format(facility=facility),
                why=(
                    f"{headline.format(facility=facility)} {relative(moment)}{reason} — {todo} by {day(due)} "
                    f"({summary.business_words(calendar, due, timezone.localdate())})"
                ),
                action_url=_chart(event.patient_id, "transitions"),
                action_label="Open hospital events",
                person=person(event.patient),
                due=due,
                priority="urgent",
            )
        )
    return rows


# Tasks -----------------------------------------------------------------------------------------------------------


def work_filter(user: User, *, queues: bool) -> Q:
    """The user's own open tasks, and (``queues``) those waiting in queues the user may take from."""
    mine = Q(owner=user)
    if queues:
        mine |= Q(owner__isnull=True, queue__in=queues_for(user))
    return mine & Q(organization_id=user.organization_id)


def tasks(
    user: User, visible: QuerySet[Patient], work: Q, now: datetime.datetime, today: datetime.date, covered: Covered
) -> tuple[list[Row], bool]:
    """Open tasks overdue or due today, earliest first, except those another row stands for (one statement);
    and whether the list was cut at ``TASK_LIMIT``."""
    end_of_today = datetime.datetime.combine(
        today + datetime.timedelta(days=1), datetime.time.min, tzinfo=timezone.get_current_timezone()
    )
    # Plain values, not models: a caseload can have hundreds of tasks due, and building a Task and a Patient per
    # row would cost more than the statement.
    found = list(
        Task.objects.filter(work, status__in=OPEN_STATUSES, due_at__lt=end_of_today)
        .filter(Q(patient__isnull=True) | Exists(visible.filter(pk=OuterRef("patient_id"))))
        .order_by("due_at", "created_at")
        .values_list(
            "pk",
            "title",
            "kind",
            "priority",
            "due_at",
            "reason",
            "focus",
            "owner_id",
            "queue__name",
            "patient_id",
            "patient__family_name",
            "patient__given_names",
            "patient__birth_date",
        )[: TASK_LIMIT + 1]
    )
    cut = len(found) > TASK_LIMIT
    kinds = dict(TaskKind.choices)
    priorities = dict(TaskPriority.choices)
    this_year = today.year
    rows = []
    for pk, title, kind, priority, due, reason, focus, owner_id, queue, patient_id, family, given, born in found[
        :TASK_LIMIT
    ]:
        if pk in covered.task_ids or ("", focus) in covered.focus or (reason, focus) in covered.focus:
            continue
        assert due is not None  # the filter asks for a due moment
        local = timezone.localtime(due)
        late = (today - local.date()).days
        if due >= now:
            when = f"due today by {_clock(local)}"
        elif late == 0:
            when = f"overdue since {_clock(local)}"
        elif late == 1:
            when = f"overdue since yesterday, {_clock(local)}"
        else:
            shown = local.strftime("%a %-d %b" if local.year == this_year else "%a %-d %b %Y")
            when = f"overdue since {shown} ({late} days)"
        urgency = "" if priority == TaskPriority.ROUTINE else f"{priorities.get(priority, priority)}, "
        where = f"waiting in the {queue} queue" if owner_id is None and queue else "yours"
        rows.append(
            Row(
                kind=Kind.TASK,
                key=f"Task/{pk}",
                title=title,
                why=f"{title} — {urgency}{when}",
                action_url=link("tasks:detail", pk),
                action_label="Open the task",
                person=Person(id=patient_id, name=f"{family}, {given}", birth_date=born) if patient_id else None,
                due=due,
                priority=priority,
                detail=f"{kinds.get(kind, kind)} · {where}",
            )
        )
    return rows, cut


def _clock(moment: datetime.datetime) -> str:
    return moment.strftime("%-I:%M %p").lower().replace(":00", "")


# Contacts this month -------------------------------------------------------------------------------------------


def months_at_risk(load: Caseload, today: datetime.date) -> list[Row]:
    """People with no contact yet this month, or whose month is at risk (no statement: read with the caseload)."""
    days_left = (last_day(today) - today).days + 1
    month = today.strftime("%B")
    left = f"{_plural(days_left, 'day')} left"
    rows = []
    for enrollment in load.enrollments:
        missing = [str(item) for item in enrollment.month_missing or []]
        program = enrollment.program_name
        if not enrollment.contacted:
            needed = max(enrollment.min_core_services, 1)
            need = "; ".join(missing) if missing else _plural(needed, "core service")
            why = f"No contact in {month} yet — {need} still needed, {left} ({program})"
        elif enrollment.month_status == Readiness.AT_RISK and missing:
            why = f"{month} at risk: {'; '.join(missing)} still needed, {left} ({program})"
        else:
            continue
        rows.append(
            Row(
                kind=Kind.CONTACT,
                key=f"Enrollment/{enrollment.pk}",
                title="Contact needed this month",
                why=why,
                action_url=_chart(enrollment.patient_id, "contact-log"),
                action_label="Log a contact",
                person=enrollment.person,
                due=last_day(today),
                detail=program,
            )
        )
    return rows


# Care plan reviews ---------------------------------------------------------------------------------------------


def plan_reviews(user: User, patient_ids: list[uuid.UUID], today: datetime.date, covered: Covered) -> list[Row]:
    """Living plans of the caseload whose review is due within a week or overdue (one statement)."""
    plans = (
        CarePlan.objects.filter(
            organization_id=user.organization_id,
            patient_id__in=patient_ids,
            status__in=LIVING_PLAN_STATUSES,
            review_due__lte=today + datetime.timedelta(days=REVIEW_AHEAD_DAYS),
        )
        .select_related("patient")
        .order_by("review_due")[:SOURCE_LIMIT]
    )
    rows = []
    for plan in plans:
        covered.focus.add(("careplan-review", f"CarePlan/{plan.pk}"))
        due = plan.review_due
        assert due is not None
        if due < today:
            why = f"Care plan review overdue since {day(due)} ({relative(due)})"
        else:
            why = f"Care plan review due {day(due)} ({relative(due)})"
        if plan.significant_change_reason:
            why += f" — significant change: {plan.significant_change_reason}"
        rows.append(
            Row(
                kind=Kind.REVIEW,
                key=f"CarePlan/{plan.pk}",
                title="Care plan review",
                why=why,
                action_url=link("careplans:detail", plan.pk),
                action_label="Review the plan",
                person=person(plan.patient),
                due=due,
            )
        )
    return rows


# Screenings overdue --------------------------------------------------------------------------------------------


def screenings_overdue(load: Caseload, today: datetime.date) -> list[Row]:
    """Rescreening overdue for the caseload, judged by ``assessments.queries.screenings_due_for`` (the chart's
    rule, read for everyone at once)."""
    people = {enrollment.patient_id: enrollment.person for enrollment in load.enrollments}
    rows = []
    for patient_id, due in screenings_due_for(list(people), today=today).items():
        for screening in due:
            if not screening.overdue:
                continue
            title = screening.title
            if screening.last_done is not None:
                done = timezone.localtime(screening.last_done).date()
                since = f"last done {day(done)}, every {screening.interval_days} days"
            else:
                since = "never screened since enrollment"
            rows.append(
                Row(
                    kind=Kind.SCREENING,
                    key=f"Screening/{patient_id}/{screening.instrument_url}",
                    title=f"{title} due",
                    why=f"{title} overdue since {day(screening.due_on)} ({since})",
                    action_url=_chart(patient_id, "screening"),
                    action_label="Open screening",
                    person=people[patient_id],
                    due=screening.due_on,
                )
            )
    return rows


# Referrals waiting for a decision ------------------------------------------------------------------------------


def referrals_waiting(user: User, today: datetime.date) -> list[Row]:
    """Referrals to the user's organization waiting for a decision, oldest first (one statement, plain values: an
    agency can have hundreds waiting). The receiving organization is a party to each
    (``programs.access.access_referral``'s basis)."""
    found = (
        ProgramReferral.objects.filter(receiving_organization_id=user.organization_id, status=ReferralStatus.PENDING)
        .order_by("received_at")
        .values_list(
            "pk",
            "received_at",
            "referrer_name",
            "source",
            "patient_id",
            "patient__family_name",
            "patient__given_names",
            "patient__birth_date",
            "program__name",
            "referring_organization__name",
        )[:SOURCE_LIMIT]
    )
    sources = dict(ReferralSource.choices)
    rows = []
    for pk, received_at, referrer, source_code, patient_id, family, given, born, program, referring in found:
        received = timezone.localtime(received_at)
        waiting = (today - received.date()).days
        source = referring or referrer or sources.get(source_code, source_code)
        rows.append(
            Row(
                kind=Kind.REFERRAL,
                key=f"ServiceRequest/{pk}",
                title=f"Referral to {program}",
                why=(
                    f"Referred to {program} by {source} {relative(received)} — waiting "
                    f"{_plural(waiting, 'day')} for a decision"
                    if waiting
                    else f"Referred to {program} by {source} today — waiting for a decision"
                ),
                action_url=link("programs:referral", pk),
                action_label="Decide",
                person=Person(id=patient_id, name=f"{family}, {given}", birth_date=born),
            )
        )
    return rows


# Community referrals with news for their requester --------------------------------------------------------------

_REFERRAL_NEWS: dict[str, str] = {
    "accepted": "accepted",
    "rejected": "rejected",
    "in-progress": "started work on",
    "on-hold": "paused",
    "completed": "completed",
    "failed": "could not complete",
    "cancelled": "cancelled",
}


def referral_updates(user: User, visible: QuerySet[Patient], today: datetime.date) -> list[Row]:
    """The user's community referrals the organization doing the work changed since the user last opened them
    (``Referral.unseen_by_requester``), for people the user may still see, latest first (one statement). A
    rejected or failed referral needs action today (find another service); the rest are news."""
    from carecoord.referrals.models import Referral

    found = (
        Referral.objects.filter(requester=user, unseen_by_requester=True)
        .filter(Exists(visible.filter(pk=OuterRef("patient_id"))))
        .select_related("patient", "target_directory_organization")
        .only(
            "pk",
            "status",
            "status_reason",
            "status_changed_at",
            "target_display",
            "outcome",
            "patient__family_name",
            "patient__given_names",
            "patient__birth_date",
            "target_directory_organization__name",
        )
        .order_by("-status_changed_at")[:SOURCE_LIMIT]
    )
    rows = []
    for referral in found:
        partner = (
            referral.target_directory_organization.name
            if referral.target_directory_organization is not None
            else referral.target_display
        )
        changed = timezone.localtime(referral.status_changed_at)
        needs_action = referral.status in ("rejected", "failed")
        verb = _REFERRAL_NEWS.get(referral.status, "updated")
        why = f"{partner} {verb} the referral {relative(changed)}"
        if referral.status_reason:
            why += f": “{referral.status_reason}”"
        if referral.outcome:
            why += f" — outcome: {referral.get_outcome_display().lower()}"
        if needs_action:
            why += " — find another service"
        rows.append(
            Row(
                kind=Kind.REFERRAL,
                key=f"Referral/{referral.pk}",
                title=f"Referral {verb}" if needs_action else "Referral update",
                why=why,
                action_url=link("referrals:detail", referral.pk),
                action_label="Refer elsewhere" if needs_action else "Open the referral",
                person=person(referral.patient),
                due=today if needs_action else None,
                priority="urgent" if needs_action else "routine",
                detail=referral.target_display,
            )
        )
    return rows


__all__ = [
    "Caseload",
    "Covered",
    "caseload",
    "months_at_risk",
    "plan_reviews",
    "recent_events",
    "referral_updates",
    "referrals_waiting",
    "safety_flags",
    "screenings_overdue",
    "tasks",
    "transitions",
    "work_filter",
]
