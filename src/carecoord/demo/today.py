"""A believable current day for the demo's care managers: screenings, tasks, hospital events, care plans,
contacts this month and notes, all written through the apps' actions.

For the enrolled people of each care management agency (spread over their care managers):

* screenings (``assessments.actions.complete_response``): a PHQ-9 and an AHC HRSN core for most people, done in
  the last year so most are not overdue (a few PHQ-9s are, some due soon, a few never done); a PHQ-9 history of
  3-5 scores for about twenty people, a GAD-7 for some; exactly one recent PHQ-9 with item 9 above 0 for each
  of the first (up to three) licensed care managers, which raises the safety flag and task; some positive social
  needs, which make the suggested referral and care plan problem tasks;
* tasks (``tasks.actions.create_task``): a handful per care manager, overdue, due today and later, with mixed
  priorities, and a few waiting in the RN team queue;
* hospital events through the real path: HL7 v2 ADT messages stored by ``transitions.actions.receive_block``
  and processed by ``transitions.processing.run_once``, so alerts, transitions and their tasks are made as in
  production: discharges yesterday and today, ED visits today, an admission still in progress.

Each person's draws come from a generator seeded with their Medicaid CIN (else Medicare MBI), and times are
counted back from now (never in the future). The tasks written here carry the reason ``MARKER``: when one
exists the day was seeded already and nothing is written.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from carecoord.accounts.models import Role, User
from carecoord.assessments import instruments
from carecoord.assessments.actions import complete_response
from carecoord.assessments.models import QuestionnaireDefinition
from carecoord.assessments.scoring.screens import GAD7_ITEMS, PHQ9_ITEMS
from carecoord.assessments.scoring.sdoh import SAFETY_ITEMS
from carecoord.careplans.actions.goals import GoalData, InterventionData, add_goal, add_intervention
from carecoord.careplans.actions.plans import (
    PlanDetails,
    add_problem,
    schedule_review,
    start_care_plan,
    update_plan_details,
)
from carecoord.careplans.actions.signing import sign_plan
from carecoord.careplans.models import CarePlanStatus
from carecoord.clinical.models import LOINC
from carecoord.common.errors import DomainError
from carecoord.contacts.actions import ContactData, record_contact, record_time
from carecoord.demo.network import AGENCY_BRONX, AGENCY_BROOKLYN, HOSPITAL, Network
from carecoord.notes.actions import sign_note, start_note
from carecoord.patients.models import IdentifierKind, Patient, PatientIdentifier
from carecoord.programs.actions import enroll
from carecoord.programs.models import Enrollment, EnrollmentStatus, Program
from carecoord.tasks.actions import TaskData, create_task, licensed_queue
from carecoord.tasks.models import Task, TaskKind, TaskPriority
from carecoord.transitions.actions import receive_block
from carecoord.transitions.config import WorkerConfig
from carecoord.transitions.processing import run_once

MARKER = "demo-today"
BATCH = 50
SHARE_SCREENED = 0.97  # of enrolled people: a PHQ-9 and an HRSN core in the last year
SHARE_GAD7 = 0.3
SHARE_SOCIAL_NEED = 0.12
HISTORIES = 20  # people with a PHQ-9 history of 3-5 scores
SAFETY_PEOPLE = 3  # at most; one per licensed care manager

PHQ_SCALE = ("LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9")  # 0..3
YES, NO, NEVER = "LA33-6", "LA32-8", "LA6270-8"
# PHQ-9 totals to draw from, by band (items 1-8 only: item 9 stays 0 but for the safety stories).
PHQ9_TOTALS = (2, 3, 4, 6, 7, 8, 9, 11, 12, 14, 16, 18, 21)
# (answers by linkId) for a positive AHC HRSN core item, one of them per person with a need.
SOCIAL_NEEDS: tuple[dict[str, Any], ...] = (
    {"88122-7": "LA28397-0", "88123-5": "LA28397-0"},  # food
    {"71802-3": "LA31994-9"},  # housing quality
    {"93030-5": YES},  # transportation
    {"96779-4": YES},  # utilities
)

TASK_TITLES = (
    ("Call the pharmacy about the refill that was denied", TaskKind.FOLLOW_UP),
    ("Confirm transportation for Thursday's cardiology appointment", TaskKind.FOLLOW_UP),
    ("Follow up on the SNAP recertification letter", TaskKind.REFERRAL),
    ("Schedule the quarterly home visit", TaskKind.OTHER),
    ("Send the updated care plan to the primary care office", TaskKind.CARE_PLAN),
    ("Ask the clinic for last month's A1c result", TaskKind.FOLLOW_UP),
    ("Check that the home health aide started this week", TaskKind.FOLLOW_UP),
    ("Help with the Section 8 housing application", TaskKind.REFERRAL),
    ("Call back about the missed psychiatry appointment", TaskKind.OUTREACH),
    ("Review the discharge medicines with the daughter", TaskKind.FOLLOW_UP),
)
QUEUE_TITLES = (
    "Medication reconciliation: new insulin dose after the endocrinology visit",
    "Review blood pressure log sent by the person (readings above 160)",
    "Nurse call: new swelling in both legs reported to the care coordinator",
)


@dataclass
class TodaySeedSummary:
    people: int = 0
    responses: int = 0
    tasks: int = 0
    adt_messages: int = 0
    care_plans: int = 0
    contacts: int = 0
    notes: int = 0
    skipped: bool = False


@dataclass
class _Caseload:
    care_manager: User
    people: list[tuple[Patient, Enrollment, str]] = field(default_factory=list)  # (person, enrollment, key)


def _keys() -> dict[Any, str]:
    rows = PatientIdentifier.objects.filter(kind__in=[IdentifierKind.MEDICAID_CIN, IdentifierKind.MEDICARE_MBI])
    keys: dict[Any, str] = {}
    for patient_id, kind, value in rows.values_list("patient_id", "kind", "value").order_by("kind"):
        if kind == IdentifierKind.MEDICAID_CIN or patient_id not in keys:
            keys[patient_id] = value
    return keys


def _caseloads(network: Network) -> list[_Caseload]:
    """Care managers (by username) with their active enrollees (by CIN/MBI), both in a stable order."""
    agencies = [network.organization(key).pk for key in (AGENCY_BRONX, AGENCY_BROOKLYN)]
    keys = _keys()
    loads: dict[str, _Caseload] = {}
    enrollments = Enrollment.objects.filter(
        organization_id__in=agencies,
        status=EnrollmentStatus.ACTIVE,
        care_manager__isnull=False,
        patient__active=True,
        patient__deceased_date__isnull=True,
    ).select_related("patient", "care_manager")
    for enrollment in enrollments:
        assert enrollment.care_manager is not None
        load = loads.setdefault(enrollment.care_manager.username, _Caseload(enrollment.care_manager))
        key = keys.get(enrollment.patient_id, str(enrollment.patient_id))
        load.people.append((enrollment.patient, enrollment, key))
    for load in loads.values():
        load.people.sort(key=lambda row: row[2])
    return [loads[name] for name in sorted(loads)]


# Screenings -------------------------------------------------------------------------------------------------------


def _response(url: str, answers: Mapping[str, Any]) -> dict[str, Any]:
    items = []
    for link_id, value in answers.items():
        codes = value if isinstance(value, list) else [value]
        items.append({"linkId": link_id, "answer": [{"valueCoding": {"system": LOINC, "code": c}} for c in codes]})
    return {"resourceType": "QuestionnaireResponse", "questionnaire": url, "status": "completed", "item": items}


def _points(total: int, items: int, rng: random.Random) -> list[int]:
    """``items`` answers of 0-3 adding up to ``total`` (at most 3 each)."""
    points = [0] * items
    for _ in range(min(total, 3 * items)):
        index = rng.choice([i for i, p in enumerate(points) if p < 3])
        points[index] += 1
    return points


def _phq9(total: int, rng: random.Random, *, item9: int = 0) -> dict[str, str]:
    points = [*_points(total - item9, 8, rng), item9]
    return {item: PHQ_SCALE[p] for item, p in zip(PHQ9_ITEMS, points, strict=True)}


def _gad7(total: int, rng: random.Random) -> dict[str, str]:
    return {item: PHQ_SCALE[p] for item, p in zip(GAD7_ITEMS, _points(total, 7, rng), strict=True)}


def _hrsn(need: Mapping[str, Any] | None) -> dict[str, Any]:
    answers: dict[str, Any] = {
        "71802-3": "LA31993-1",
        "96778-6": ["LA9-3"],
        "88122-7": "LA28398-8",
        "88123-5": "LA28398-8",
        "93030-5": NO,
        "96779-4": NO,
        **{item: NEVER for item in SAFETY_ITEMS},
    }
    answers.update(need or {})
    return answers


def _at(now: datetime.datetime, days_ago: float, rng: random.Random) -> datetime.datetime:
    """A working-hours moment ``days_ago`` days back (today: an hour or more before now)."""
    local = timezone.localtime(now)
    day = local.date() - datetime.timedelta(days=int(days_ago))
    moment = timezone.make_aware(
        datetime.datetime.combine(day, datetime.time(rng.randint(9, 16), rng.choice((0, 15, 30, 45))))
    )
    return min(moment, now - datetime.timedelta(minutes=rng.randint(60, 180)))


@dataclass
class _Screens:
    definitions: dict[str, QuestionnaireDefinition]
    now: datetime.datetime
    summary: TodaySeedSummary

    def give(self, patient: Patient, by: User, url: str, answers: Mapping[str, Any], when: datetime.datetime) -> None:
        complete_response(
            patient=patient,
            questionnaire=self.definitions[url],
            resource=_response(url, answers),
            by=by,
            authored=when,
        )
        self.summary.responses += 1


def _screen_person(
    screens: _Screens, patient: Patient, by: User, rng: random.Random, *, history: bool, safety: bool
) -> None:
    now = screens.now
    if safety:  # an earlier moderate score, then this week's with item 9 above 0
        screens.give(patient, by, instruments.PHQ9_URL, _phq9(11, rng), _at(now, rng.randint(85, 110), rng))
        screens.give(patient, by, instruments.PHQ9_URL, _phq9(17, rng, item9=1), _at(now, rng.randint(0, 1), rng))
    else:
        roll = rng.random()
        # most done lately; some due within a couple of weeks (75-89 days ago); a few overdue (95-200)
        last = rng.randint(5, 74) if roll < 0.72 else rng.randint(75, 89) if roll < 0.95 else rng.randint(95, 200)
        if history:
            last = rng.randint(5, 60)
        dates = [last]
        if history:
            for _ in range(rng.randint(2, 4)):
                dates.append(dates[-1] + rng.randint(60, 90))
        level = rng.choice(PHQ9_TOTALS)
        for days_ago in sorted((d for d in dates if d <= 360), reverse=True):
            level = max(0, min(24, level + rng.randint(-6, 5))) if history else level
            screens.give(patient, by, instruments.PHQ9_URL, _phq9(level, rng), _at(now, days_ago, rng))
    if rng.random() < SHARE_GAD7:
        screens.give(
            patient, by, instruments.GAD7_URL, _gad7(rng.randint(1, 17), rng), _at(now, rng.randint(3, 150), rng)
        )
    need = rng.random() < SHARE_SOCIAL_NEED
    hrsn_ago = rng.randint(1, 20) if need else rng.randint(20, 330)
    screens.give(patient, by, instruments.AHC_HRSN_CORE_URL, _hrsn(rng.choice(SOCIAL_NEEDS) if need else None),
                 _at(now, hrsn_ago, rng))  # fmt: skip


def _safety_people(loads: Sequence[_Caseload]) -> set[Any]:
    """One person of each of the first licensed care managers (up to ``SAFETY_PEOPLE``)."""
    chosen: set[Any] = set()
    for load in loads:
        if load.care_manager.role == Role.LICENSED_CARE_MANAGER and load.people and len(chosen) < SAFETY_PEOPLE:
            chosen.add(load.people[min(2, len(load.people) - 1)][0].pk)
    return chosen


def _seed_screenings(
    loads: Sequence[_Caseload],
    now: datetime.datetime,
    summary: TodaySeedSummary,
    progress: Callable[[int, int], None] | None,
) -> None:
    urls = (instruments.PHQ9_URL, instruments.GAD7_URL, instruments.AHC_HRSN_CORE_URL)
    definitions = {d.url: d for d in QuestionnaireDefinition.objects.filter(url__in=urls, builtin=True)}
    screens = _Screens(definitions, now, summary)
    safety = _safety_people(loads)
    people = [(load.care_manager, patient, key) for load in loads for patient, _, key in load.people]
    # Histories go to people spread over every caseload: every n-th person.
    step = max(1, len(people) // HISTORIES)
    for start in range(0, len(people), BATCH):
        with transaction.atomic():
            for index, (by, patient, key) in enumerate(people[start : start + BATCH], start=start):
                rng = random.Random(f"today-screens:{key}")
                is_safety = patient.pk in safety
                if is_safety or rng.random() < SHARE_SCREENED:
                    _screen_person(
                        screens,
                        patient,
                        by,
                        rng,
                        history=index % step == 0 and index // step < HISTORIES,
                        safety=is_safety,
                    )
                summary.people += 1
                if progress is not None:
                    progress(index + 1, len(people))


# Tasks ------------------------------------------------------------------------------------------------------------


def _seed_tasks(loads: Sequence[_Caseload], now: datetime.datetime, summary: TodaySeedSummary) -> None:
    local = timezone.localtime(now)
    end_of_day = timezone.make_aware(datetime.datetime.combine(local.date(), datetime.time(23, 45)))
    queued: set[Any] = set()
    for load in loads:
        manager = load.care_manager
        rng = random.Random(f"today-tasks:{manager.username}")
        titles = rng.sample(TASK_TITLES, 6)
        # overdue (2), due today (2), later (2)
        dues = [
            now - datetime.timedelta(days=rng.randint(2, 6), hours=rng.randint(0, 5)),
            now - datetime.timedelta(hours=rng.randint(2, 20)),
            min(
                now + datetime.timedelta(hours=rng.randint(1, 4)), max(end_of_day, now + datetime.timedelta(minutes=30))
            ),
            min(
                now + datetime.timedelta(hours=rng.randint(2, 6)), max(end_of_day, now + datetime.timedelta(minutes=45))
            ),
            now + datetime.timedelta(days=rng.randint(2, 5)),
            now + datetime.timedelta(days=rng.randint(6, 14)),
        ]
        priorities = [TaskPriority.URGENT, TaskPriority.ROUTINE, TaskPriority.ASAP, TaskPriority.ROUTINE,
                      TaskPriority.ROUTINE, TaskPriority.URGENT]  # fmt: skip
        with transaction.atomic():
            for index, ((title, kind), due, priority) in enumerate(zip(titles, dues, priorities, strict=True)):
                patient = load.people[(index * 3 + 1) % len(load.people)][0] if load.people and index != 3 else None
                create_task(
                    data=TaskData(
                        organization_id=manager.organization_id,
                        title=title if patient is not None else "Update the caseload spreadsheet for the team meeting",
                        kind=kind if patient is not None else TaskKind.OTHER,
                        priority=priority,
                        patient=patient,
                        owner=manager,
                        due_at=due.replace(second=0, microsecond=0),
                        reason=MARKER,
                    ),
                    by=manager,
                )
                summary.tasks += 1
            organization = manager.organization_id
            if organization in queued or not load.people:
                continue
            queued.add(organization)
            queue = licensed_queue(organization)
            for index, title in enumerate(QUEUE_TITLES):
                patient = load.people[(index * 5 + 2) % len(load.people)][0]
                create_task(
                    data=TaskData(
                        organization_id=organization,
                        title=title,
                        kind=TaskKind.FOLLOW_UP,
                        priority=(TaskPriority.URGENT, TaskPriority.ROUTINE, TaskPriority.ASAP)[index],
                        patient=patient,
                        queue=queue,
                        requires_license=True,
                        due_at=(now + datetime.timedelta(hours=(-26, 3, 50)[index])).replace(second=0, microsecond=0),
                        reason=MARKER,
                    ),
                    by=manager,
                )
                summary.tasks += 1


# Hospital events --------------------------------------------------------------------------------------------------


def _stamp(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y%m%d%H%M")


def _adt(event: str, control: str, patient: Patient, key: str, *, facility: str, visit: str, patient_class: str,
         admitted: datetime.datetime, sent: datetime.datetime, discharged: datetime.datetime | None = None,
         diagnosis: tuple[str, str] = ("I50.9", "Heart failure, unspecified")) -> bytes:  # fmt: skip
    """One ADT message as the network hospital's feed sends it (PID-3 the Medicaid CIN, type MA)."""
    pv1 = ["PV1", "1"] + [""] * 45
    values = {2: patient_class, 3: f"4W^401^A^{facility}", 4: "E", 10: "MED", 14: "7", 19: visit, 44: _stamp(admitted)}
    if discharged is not None:
        values |= {36: "01", 45: _stamp(discharged)}
    for number, value in values.items():
        pv1[number] = value
    sex = {"female": "F", "male": "M"}.get(patient.sex, "U")
    authority = "NYSDOH^MA" if not key.startswith(("1", "2", "3", "4", "5", "6", "7", "8", "9")) else "CMS^MC"
    segments = [
        f"MSH|^~\\&|ADTAPP|{facility}|CARECOORD|CC|{_stamp(sent)}||ADT^{event}^ADT_A01|{control}|P|2.5.1",
        f"EVN|{event}|{_stamp(sent)}",
        f"PID|1||{key}^^^{authority}||{patient.family_name.upper()}^{patient.given_names.upper()}||"
        f"{patient.birth_date:%Y%m%d}|{sex}",
        "|".join(pv1).rstrip("|"),
        f"DG1|1|I10|{diagnosis[0]}^{diagnosis[1]}^I10||{_stamp(admitted)}|A",
    ]
    return ("\r".join(segments) + "\r").encode()


def _seed_hospital(
    loads: Sequence[_Caseload], network: Network, now: datetime.datetime, summary: TodaySeedSummary
) -> None:
    """Discharges yesterday and today, ED visits today and an admission in progress, for people of the first
    care managers' caseloads (the licensed ones first: they see hospital work)."""
    facility = network.organization(HOSPITAL).name
    ordered = sorted(
        (load for load in loads if load.people), key=lambda load: load.care_manager.role != Role.LICENSED_CARE_MANAGER
    )
    if not ordered:
        return
    local = timezone.localtime(now)
    today = local.date()

    def moment(days_back: int, hour: int, minute: int = 0) -> datetime.datetime:
        value = timezone.make_aware(
            datetime.datetime.combine(today - datetime.timedelta(days=days_back), datetime.time(hour, minute))
        )
        return min(value, now - datetime.timedelta(minutes=20))

    # (caseload index, person index, story)
    stories = [
        (
            0,
            0,
            "discharged",
            moment(4, 21, 10),
            moment(1, 14, 30),
            ("I50.23", "Acute on chronic systolic heart failure"),
        ),
        (0, 1, "ed", moment(0, 8, 40), None, ("R07.9", "Chest pain, unspecified")),
        (1, 0, "discharged", moment(3, 17, 45), moment(1, 11, 0), ("J44.1", "COPD with acute exacerbation")),
        (0, 3, "discharged", moment(2, 23, 5), moment(0, 10, 15), ("N39.0", "Urinary tract infection")),
        (1, 1, "ed", moment(0, 6, 20), None, ("R55", "Syncope and collapse")),
        (2, 0, "admitted", moment(1, 19, 50), None, ("J18.9", "Pneumonia, unspecified organism")),
    ]
    blocks: list[bytes] = []
    for number, (load_index, person_index, story, start, end, diagnosis) in enumerate(stories, start=1):
        load = ordered[load_index % len(ordered)]
        patient, _, key = load.people[(person_index * 4) % len(load.people)]
        visit = f"DV{key[-6:]}{number}"
        common: dict[str, Any] = {"facility": facility, "visit": visit, "admitted": start, "diagnosis": diagnosis}
        if story == "ed":
            blocks.append(_adt("A04", f"DEMO-{visit}-A04", patient, key, patient_class="E", sent=start, **common))
            continue
        blocks.append(_adt("A01", f"DEMO-{visit}-A01", patient, key, patient_class="I", sent=start, **common))
        if story == "discharged" and end is not None:
            blocks.append(
                _adt("A03", f"DEMO-{visit}-A03", patient, key, patient_class="I", sent=end, discharged=end, **common)
            )
    for block in blocks:
        receive_block(raw=block, peer="demo")
        summary.adt_messages += 1
    run_once(WorkerConfig.from_env())


# Care plans -------------------------------------------------------------------------------------------------------

# (problem, goals: (team's wording, the person's words, measured by PHQ-9?), interventions: (what, who))
PLANS: tuple[tuple[str, tuple[tuple[str, str, bool], ...], tuple[tuple[str, str], ...]], ...] = (
    (
        "Depression: low mood, sleeping poorly, stopped going to church",
        (
            ("PHQ-9 below 10 within three months", "I want to feel like myself again.", True),
            ("Go back to Sunday services twice a month", "I miss my friends at church.", False),
        ),
        (("Call weekly to check mood and medicines", "care-manager"), ("Take sertraline every morning", "person")),
    ),
    (
        "Diabetes out of control: A1c 9.8%, missing insulin doses",
        (
            ("Take insulin every evening as prescribed", "I don't want to lose my foot like my brother.", False),
            ("Check blood sugar before breakfast daily", "I'll check it before my coffee.", False),
        ),
        (("Arrange a diabetes educator visit", "care-manager"), ("Adjust insulin at the next visit", "pcp")),
    ),
    (
        "Food insecurity: runs out of food the last week of the month",
        (("Enrolled in SNAP and the pantry's weekly delivery", "Food for the whole month for me and my kids.", False),),
        (("Refer to the Flatbush Community Pantry", "cbo"), ("Bring the SNAP letters to the next visit", "person")),
    ),
    (
        "Heart failure: two admissions this year, weight not checked",
        (
            ("Weigh every morning and call if up 3 pounds", "I want to stay out of the hospital.", False),
            ("Keep the cardiology follow-up appointment", "I'll go if someone comes with me.", False),
        ),
        (("Get a scale delivered through the plan", "care-manager"), ("Daily weights on the chart", "person")),
    ),
    (
        "Housing: apartment has no heat and mold in the bathroom",
        (("Repairs done or a safe apartment by spring", "A warm place for my grandson.", False),),
        (("Help file the 311 complaint and the HPD case", "care-manager"), ("Housing counselling", "cbo")),
    ),
)


def _seed_care_plans(loads: Sequence[_Caseload], summary: TodaySeedSummary) -> None:
    """About 30 plans spread over the caseloads, signed by the person and the care manager; a few reviews due."""
    today = timezone.localdate()
    chosen = [(load.care_manager, row) for load in loads for row in load.people[1:7]]
    step = max(1, len(chosen) // 30)
    picked = chosen[::step][:30]
    for number, (manager, (patient, enrollment, key)) in enumerate(picked):
        rng = random.Random(f"today-plan:{key}")
        problem_text, goals, interventions = PLANS[number % len(PLANS)]
        licensed = manager.role == Role.LICENSED_CARE_MANAGER
        with transaction.atomic():
            plan = start_care_plan(patient=patient, by=manager, enrollment=enrollment)
            update_plan_details(
                plan=plan,
                details=PlanDetails(
                    preferred_language=patient.preferred_language,
                    contact_preferences=rng.choice(("Phone after 10 am", "Text first, then call", "Home visits")),
                    what_matters=rng.choice(
                        ("Staying in my own home", "Seeing my grandchildren", "Getting back to work", "My faith")
                    ),
                    strengths=[rng.choice(("Supportive daughter", "Keeps appointments", "Knows the neighborhood"))],
                    barriers=[rng.choice(("No phone minutes some months", "Fourth-floor walk-up", "Night shifts"))],
                ),
                by=manager,
            )
            problem = add_problem(plan=plan, text=problem_text, by=manager)
            if rng.random() < 0.4:
                add_problem(plan=plan, text="Not connected to primary care for over a year", by=manager)
            first = None
            for description, own_words, measured in goals[: rng.randint(1, len(goals))]:
                measure = measured and licensed
                goal = add_goal(
                    plan=plan,
                    data=GoalData(
                        description=description,
                        own_words=own_words,
                        measure_code="44261-6" if measure else "",
                        measure_display="PHQ-9 total score" if measure else "",
                        comparator="<" if measure else "",
                        target_value=Decimal(10) if measure else None,
                        due_date=today + datetime.timedelta(days=rng.randint(60, 120)),
                        problem_ids=[problem.pk],
                    ),
                    by=manager,
                    status="active",
                )
                first = first or goal
            for what, who in interventions:
                add_intervention(
                    plan=plan,
                    data=InterventionData(
                        description=what,
                        performer=who,
                        goal=first,
                        performer_user=manager if who == "care-manager" else None,
                        due_date=today + datetime.timedelta(days=rng.randint(3, 30)) if who == "care-manager" else None,
                    ),
                    by=manager,
                )
            sign_plan(plan=plan, signer_kind="person", by=manager, method="in-person")
            sign_plan(plan=plan, signer_kind="care-manager", by=manager)
            if plan.status == CarePlanStatus.DRAFT and licensed:
                sign_plan(plan=plan, signer_kind="licensed-clinician", by=manager)
            if number % 7 == 2:  # a review due this week, or one already overdue
                due = today + datetime.timedelta(days=rng.randint(1, 5) if number % 14 == 2 else -rng.randint(3, 12))
                schedule_review(plan=plan, by=manager, due=due)
            summary.care_plans += 1


# Contacts this month and notes --------------------------------------------------------------------------------------

PURPOSES = (
    ("Monthly check-in by phone: medicines, appointments, mood", "phone", ["care-management"]),
    ("Home visit: reviewed the care plan and the pill box", "home_visit", ["care-management", "care-coordination"]),
    ("Helped make the cardiology appointment and booked the ride", "phone", ["care-coordination"]),
    ("Went over the discharge papers and new medicines", "in_person", ["transitional-care"]),
    ("Met at the pantry; SNAP recertification started", "in_person", ["community-referral"]),
)


def _seed_contacts(loads: Sequence[_Caseload], now: datetime.datetime, summary: TodaySeedSummary) -> None:
    """Most people had a contact this month (a core service: the month is billable); some none yet. Medicare
    people get some care management minutes; a few contacts get a signed note."""
    local = timezone.localtime(now)
    month_day = local.date().day
    medicare = set(
        PatientIdentifier.objects.filter(kind=IdentifierKind.MEDICARE_MBI).values_list("patient_id", flat=True)
    )
    for load in loads:
        manager = load.care_manager
        notes = 0
        with transaction.atomic():
            for patient, enrollment, key in load.people:
                rng = random.Random(f"today-contact:{key}")
                if rng.random() < 0.3:
                    continue  # no contact yet this month: at risk on the day view
                day = local.date() - datetime.timedelta(days=rng.randint(0, month_day - 1))
                when = min(_at(now, (local.date() - day).days, rng), now - datetime.timedelta(minutes=30))
                if timezone.localtime(when).month != local.month:
                    continue
                purpose, modality, services = rng.choice(PURPOSES)
                contact = record_contact(
                    patient=patient,
                    data=ContactData(
                        modality=modality,
                        outcome="reached",
                        occurred_at=when,
                        duration_minutes=rng.choice((15, 20, 30, 45, 60)),
                        enrollment=enrollment,
                        purpose=purpose,
                        place="Home" if modality == "home_visit" else "",
                        core_services=services,
                    ),
                    by=manager,
                )
                summary.contacts += 1
                if patient.pk in medicare and rng.random() < 0.6:
                    record_time(
                        patient=patient,
                        activity=rng.choice(("care_plan", "medication")),
                        minutes=rng.choice((10, 15, 20, 25)),
                        by=manager,
                        enrollment=enrollment,
                        performed_at=when,
                        note="Reviewed medicines with the pharmacy and updated the plan",
                    )
                if notes < 2:
                    note = start_note(
                        patient=patient,
                        kind="dap",
                        by=manager,
                        contact=contact,
                        sections={
                            "data": f'{purpose}. Says: "I\'m doing a little better this week."',
                            "assessment": "Engaged; taking medicines most days. No new safety concerns.",
                            "plan": "Call again in two weeks; confirm the ride for the next appointment.",
                        },
                    )
                    sign_note(note=note, by=manager)
                    notes += 1
                    summary.notes += 1


def _seed_cosign_note(network: Network, loads: Sequence[_Caseload], now: datetime.datetime,
                      summary: TodaySeedSummary) -> None:  # fmt: skip
    """A Health Home Plus note (every HH+ note is co-signed) by a care manager of the supervisor's agency, awaiting
    co-signature; an unlicensed care manager's people are tried first."""
    supervisor = network.users.get("rosa_supervisor")
    program = Program.objects.filter(code="ny-hh-plus-smi").first()
    if supervisor is None or program is None:
        return
    managers = sorted(
        (u for u in network.users.values() if u.organization_id == supervisor.organization_id),
        key=lambda u: u.username,
    )
    manager = next((u for u in managers if u.role == Role.CARE_MANAGER and u.is_active), None)
    if manager is None:
        return
    # The care manager's own people first, then the agency's others (small demos leave some caseloads empty).
    # Each person is enrolled in HH+ with the care manager who already holds them, so the lead of their care
    # team stays the same (the demo's invariant: an enrollment's care manager leads the team).
    people = [
        (row, load.care_manager)
        for load in sorted(loads, key=lambda load: load.care_manager != manager)
        if load.care_manager.organization_id == supervisor.organization_id
        for row in load.people
    ]
    for (patient, _, _), holder in people[2:] + people[:2]:
        try:
            with transaction.atomic():
                enrollment = enroll(
                    patient=patient,
                    program=program,
                    by=holder,
                    start_date=timezone.localdate() - datetime.timedelta(days=20),
                    care_manager=holder,
                    clinical_need=False,
                )
                note = start_note(
                    patient=patient,
                    kind="dap",
                    by=holder,
                    enrollment=enrollment,
                    event_at=now - datetime.timedelta(hours=3),
                    sections={
                        "data": "Home visit. Hearing voices again at night; missed two injections at the clinic.",
                        "assessment": "Early warning signs of relapse; no thoughts of harm to self or others.",
                        "plan": "Called the clinic: injection appointment tomorrow 10 am; will go with them.",
                    },
                )
                sign_note(note=note, by=holder)
                summary.notes += 1
            return
        except DomainError:
            continue


# The day ----------------------------------------------------------------------------------------------------------


def seed_today(network: Network, *, progress: Callable[[int, int], None] | None = None) -> TodaySeedSummary:
    """Give the enrolled people's care managers a current day (see the module docstring); nothing if done."""
    summary = TodaySeedSummary()
    if Task.objects.filter(reason=MARKER).exists():
        summary.skipped = True
        return summary
    loads = _caseloads(network)
    if not loads:
        return summary
    now = timezone.now()
    # One transaction: a run that fails half way leaves nothing behind (and the next run starts over).
    with transaction.atomic():
        _seed_day(network, loads, now, summary, progress)
    return summary


def _seed_day(
    network: Network,
    loads: Sequence[_Caseload],
    now: datetime.datetime,
    summary: TodaySeedSummary,
    progress: Callable[[int, int], None] | None,
) -> None:
    _seed_screenings(loads, now, summary, progress)
    _seed_hospital(loads, network, now, summary)
    _seed_care_plans(loads, summary)
    _seed_contacts(loads, now, summary)
    _seed_cosign_note(network, loads, now, summary)
    _seed_tasks(loads, now, summary)  # last: its marker says the rest is done
