"""A care manager's day built through each app's actions: enrolled people, a safety screen, a discharge and an
ED visit over ADT, tasks, a plan review and a referral."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone

from carecoord.accounts.models import Organization, User
from carecoord.assessments import instruments
from carecoord.assessments.tests.builders import complete, phq9
from carecoord.careplans.actions import schedule_review, start_care_plan
from carecoord.contacts.tests.helpers import LONG_AGO, enrolled
from carecoord.patients.models import Patient
from carecoord.programs.actions import refer_to_program
from carecoord.programs.models import Enrollment, Program, ProgramReferral
from carecoord.tasks.actions import TaskData, create_task, licensed_queue
from carecoord.tasks.models import Task, TaskPriority
from carecoord.testing.factories import make_patient
from carecoord.transitions.models import Transition
from carecoord.transitions.tests.enrolled import enroll_person, make_ana, message, process, stamp

DAY = datetime.timedelta(days=1)


def later_today() -> datetime.datetime:
    return max(timezone.localtime().replace(hour=23, minute=50, second=0, microsecond=0), timezone.now())


def task(user: User, title: str, *, patient: Patient | None, due: datetime.datetime | None, **fields: object) -> Task:
    if "queue" not in fields:
        fields["owner"] = user
    return create_task(
        data=TaskData(organization_id=user.organization_id, title=title, patient=patient, due_at=due, **fields),  # type: ignore[arg-type]
        by=user,
    )


def person_on_caseload(care_manager: User, **names: object) -> Enrollment:
    return enrolled(care_manager, "ny-hh-adult", patient=make_patient(care_manager, **names), care_manager=care_manager)


@dataclass
class Built:
    maria: Patient
    ana: Patient
    transition: Transition
    overdue: Task
    today: Task
    queued: Task
    plan_id: object
    referral: ProgramReferral


def full_day(cm: User, maria: Patient, agency: Organization) -> Built:
    enrolled(cm, "ny-hh-adult", patient=maria, care_manager=cm, start=LONG_AGO)
    complete(maria, cm, instruments.PHQ9_URL, phq9([1, 1, 1, 0, 0, 0, 0, 0, 1]))  # item 9: a safety flag and task

    ana = make_ana(cm)
    enroll_person(ana, cm, care_manager=cm)
    now = timezone.localtime()
    admitted, discharged = now - 3 * DAY, (now - DAY).replace(hour=11, minute=0)
    # Two hours ago, but today whatever the hour the tests run (just after midnight it would be yesterday).
    ed_visit = max(now - datetime.timedelta(hours=2), now.replace(hour=0, minute=0, second=0, microsecond=0))
    process(
        message("A01", "M1", admitted=stamp(admitted)),
        message("A03", "M2", admitted=stamp(admitted), discharged=stamp(discharged), disposition="01"),
        message("A04", "E1", patient_class="E", visit="V200", admitted=stamp(ed_visit)),
    )
    transition = Transition.objects.get(patient=ana)

    overdue = task(cm, "Call the pharmacy about refills", patient=maria, due=timezone.now() - 2 * DAY)
    today = task(cm, "Send the housing application", patient=maria, due=later_today(), priority=TaskPriority.URGENT)
    queued = task(
        cm,
        "Review medication list",
        patient=maria,
        due=later_today(),
        queue=licensed_queue(agency.pk),
        requires_license=True,
    )
    task(cm, "Next week's check-in", patient=maria, due=timezone.now() + 7 * DAY)

    plan = start_care_plan(patient=maria, enrollment=maria.enrollments.get(), by=cm)
    schedule_review(plan=plan, by=cm, due=timezone.localdate() - DAY)

    newcomer = make_patient(cm, family_name="Okoye", given_names="Chidi", birth_date=datetime.date(1979, 6, 2))
    referral = refer_to_program(
        patient=newcomer,
        program=Program.objects.get(code="ny-hh-adult"),
        receiving_organization=agency,
        source="provider",
        referrer_name="Dr. Lena Stone",
        by=None,
    )
    return Built(maria, ana, transition, overdue, today, queued, plan.pk, referral)
