"""The rules that create work: one task per obligation, none again on a re-run, closed when the obligation is met
or no longer owed, audited with channel "job"; the safety escalation; the commands (rules, run-rules, worker)."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from carecoord.assessments import instruments
from carecoord.assessments.flags import SAFETY_REASON
from carecoord.assessments.models import QuestionnaireDefinition, QuestionnaireResponse, ResponseStatus
from carecoord.audit.models import AuditRecord
from carecoord.careplans.actions import INTERVENTION_REASON, REVIEW_REASON, start_care_plan
from carecoord.careplans.actions.goals import InterventionData, add_intervention, complete_intervention
from carecoord.consents.actions import ConsentData, record_consent
from carecoord.contacts.billing.rules import last_day
from carecoord.contacts.tests.helpers import contact
from carecoord.notifications.models import Notification, NotificationKind
from carecoord.programs.actions import end_enrollment, enroll
from carecoord.programs.models import EnrollmentEndReason, Program
from carecoord.tasks.actions import TaskData, comment_on_task, create_task
from carecoord.tasks.models import RuleRun, Task, TaskComment, TaskKind, TaskPriority, TaskStatus
from carecoord.tasks.rules import RULES, RulesConfig, escalate_safety_tasks, run_rules
from carecoord.testing.cli import run_carecoord
from carecoord.testing.factories import make_patient
from carecoord.transitions.alerts import ADMISSION_REASON, ED_VISIT_REASON
from carecoord.transitions.workflow import CONTACT_REASON, MEDREC_REASON, VISIT_REASON

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
MID_MONTH = timezone.make_aware(datetime.datetime.combine(TODAY.replace(day=15), datetime.time(12)))
MONTH_END = timezone.make_aware(datetime.datetime.combine(last_day(TODAY), datetime.time(12)))
CONFIG = RulesConfig(contact_days_left=10, lead_days=14, escalation_minutes=60, batch_size=10)


def _enrolled(patient, by, *, care_manager=None, days_ago=10, program="ny-hh-adult"):
    start = TODAY - datetime.timedelta(days=days_ago)
    record_consent(
        patient=patient,
        data=ConsentData(form="DOH-5055", signed_on=start, partners=[by.organization]),
        by=by,
    )
    return enroll(
        patient=patient, program=Program.objects.get(code=program), by=by, start_date=start, care_manager=care_manager
    )


def _run(rule=None, now=MID_MONTH, organization_id=None):
    return run_rules(only=rule, now=now, config=CONFIG, organization_id=organization_id)


def _open(reason):
    return list(Task.objects.filter(reason=reason, status__in=("requested", "accepted")).order_by("created_at"))


def _five_pm(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(17)))


def test_program_deadlines_make_one_task_per_enrollment_for_the_care_manager_and_a_rerun_makes_none(alice_rn, maria):
    enrollment = _enrolled(maria, alice_rn, care_manager=alice_rn)
    run = _run()
    assert run.status == "succeeded"
    assert run.counts["program-assessment-due"] == {"created": 1, "closed": 0, "kept": 0}
    assert run.counts["program-plan-due"] == {"created": 1, "closed": 0, "kept": 0}
    (assessment,) = _open("program-assessment-due")
    (plan,) = _open("program-plan-due")
    assert (assessment.owner_id, assessment.status, assessment.by_rule) == (alice_rn.pk, TaskStatus.ACCEPTED, True)
    assert assessment.focus == plan.focus == f"EpisodeOfCare/{enrollment.pk}"
    assert assessment.due_at == _five_pm(enrollment.start_date + datetime.timedelta(days=30))
    assert plan.due_at == _five_pm(enrollment.start_date + datetime.timedelta(days=60))
    audit = AuditRecord.objects.get(object_type="Task", object_id=str(assessment.pk))
    assert (audit.action, audit.channel, audit.patient_id) == ("create", "job", maria.pk)
    assert audit.detail["rule"] == "program-assessment-due"

    again = _run()
    assert again.counts["program-assessment-due"] == {"created": 0, "closed": 0, "kept": 1}
    assert Task.objects.filter(reason__in=("program-assessment-due", "program-plan-due")).count() == 2
    assert RuleRun.objects.count() == 2


def test_without_a_care_manager_the_task_waits_for_the_organization(alice_rn, agency, maria):
    _enrolled(maria, alice_rn)
    _run("program-assessment-due")
    (task,) = _open("program-assessment-due")
    assert (task.owner_id, task.queue_id, task.status, task.organization_id) == (
        None,
        None,
        TaskStatus.REQUESTED,
        agency.pk,
    )


def test_a_completed_assessment_closes_its_task_and_an_ended_enrollment_closes_the_rest(alice_rn, agency, maria):
    enrollment = _enrolled(maria, alice_rn, care_manager=alice_rn)
    _run()
    (assessment,) = _open("program-assessment-due")
    QuestionnaireResponse.objects.create(  # arranged directly: the full comprehensive assessment is long
        patient=maria,
        questionnaire=QuestionnaireDefinition.objects.get(url=instruments.COMPREHENSIVE_ASSESSMENT_URL, builtin=True),
        status=ResponseStatus.COMPLETED,
        organization=agency,
        author=alice_rn,
    )
    run = _run()
    assert run.counts["program-assessment-due"] == {"created": 0, "closed": 1, "kept": 0}
    assert run.counts["program-plan-due"] == {"created": 0, "closed": 0, "kept": 1}
    assessment.refresh_from_db()
    assert assessment.status == TaskStatus.COMPLETED
    assert "assessment is completed" in assessment.status_reason
    closing = AuditRecord.objects.filter(object_type="Task", object_id=str(assessment.pk), action="update").get()
    assert (closing.channel, closing.detail["rule"]) == ("job", "program-assessment-due")

    end_enrollment(enrollment=enrollment, end_date=TODAY, reason=EnrollmentEndReason.GRADUATED, by=alice_rn)
    run = _run()
    assert run.counts["program-plan-due"]["closed"] == 1
    assert run.counts["rescreening-due"]["closed"] == 2  # PHQ-9 and social needs, never done while enrolled
    assert Task.objects.filter(by_rule=True, status__in=("requested", "accepted")).count() == 0


def test_one_organization_only(alice_rn, eve_outsider, agency, other_agency, maria):
    _enrolled(maria, alice_rn, care_manager=alice_rn)
    elsewhere = make_patient(eve_outsider)
    _enrolled(elsewhere, eve_outsider, care_manager=eve_outsider)
    _run("program-assessment-due", organization_id=other_agency.pk)
    assert [task.organization_id for task in _open("program-assessment-due")] == [other_agency.pk]
    assert [task.owner_id for task in _open("program-assessment-due")] == [eve_outsider.pk]


def test_rescreening_due_once_per_instrument_and_closed_by_the_screen(alice_rn, agency, maria):
    _enrolled(maria, alice_rn, care_manager=alice_rn)
    run = _run("rescreening-due")
    assert run.counts["rescreening-due"]["created"] == 2
    assert {task.focus for task in _open("rescreening-due")} == {
        instruments.PHQ9_URL,
        instruments.AHC_HRSN_CORE_URL,
    }
    QuestionnaireResponse.objects.create(
        patient=maria,
        questionnaire=QuestionnaireDefinition.objects.get(url=instruments.PHQ9_URL, builtin=True),
        status=ResponseStatus.COMPLETED,
        organization=agency,
        author=alice_rn,
    )
    run = _run("rescreening-due")
    assert run.counts["rescreening-due"] == {"created": 0, "closed": 1, "kept": 1}
    assert [task.focus for task in _open("rescreening-due")] == [instruments.AHC_HRSN_CORE_URL]


def test_contact_minimum_in_the_months_last_days_closed_by_a_contact(alice_rn, maria):
    enrollment = _enrolled(maria, alice_rn, care_manager=alice_rn, days_ago=90)
    early = timezone.make_aware(datetime.datetime.combine(TODAY.replace(day=1), datetime.time(12)))
    assert _run("monthly-contact-minimum", now=early).counts["monthly-contact-minimum"]["created"] == 0
    run = _run("monthly-contact-minimum", now=MONTH_END)
    assert run.counts["monthly-contact-minimum"]["created"] == 1
    (task,) = _open("monthly-contact-minimum")
    assert task.focus == f"EpisodeOfCare/{enrollment.pk}/{TODAY:%Y-%m}"
    assert (task.owner_id, task.due_at) == (alice_rn.pk, _five_pm(last_day(TODAY)))
    assert _run("monthly-contact-minimum", now=MONTH_END).counts["monthly-contact-minimum"]["created"] == 0

    contact(enrollment, alice_rn, when=timezone.now() - datetime.timedelta(minutes=5))  # a core service: billable
    run = _run("monthly-contact-minimum", now=MONTH_END)
    assert run.counts["monthly-contact-minimum"] == {"created": 0, "closed": 1, "kept": 0}


def test_an_intervention_due_soon_is_followed_up_unless_it_has_its_own_task(alice_rn, maria):
    enrollment = _enrolled(maria, alice_rn, care_manager=alice_rn)
    plan = start_care_plan(patient=maria, enrollment=enrollment, by=alice_rn)
    soon = TODAY + datetime.timedelta(days=3)
    pcp = add_intervention(
        plan=plan,
        data=InterventionData("Blood pressure check", performer="pcp", performer_name="Dr Lee", due_date=soon),
        by=alice_rn,
    )
    add_intervention(  # a staff member's intervention carries its own task (careplans)
        plan=plan,
        data=InterventionData("Call the pharmacy", performer="care-manager", performer_user=alice_rn, due_date=soon),
        by=alice_rn,
    )
    add_intervention(  # not due within the lead time
        plan=plan,
        data=InterventionData(
            "Annual eye exam", performer="pcp", performer_name="Dr Lee", due_date=TODAY + datetime.timedelta(days=60)
        ),
        by=alice_rn,
    )
    run = _run("careplan-intervention-due", now=timezone.now())
    assert run.counts["careplan-intervention-due"]["created"] == 1
    (task,) = _open("careplan-intervention-due")
    assert (task.focus, task.owner_id, task.due_at) == (f"Intervention/{pcp.pk}", alice_rn.pk, _five_pm(soon))
    assert len(_open(INTERVENTION_REASON)) == 1  # the staff member's own task, untouched
    complete_intervention(intervention=pcp, by=alice_rn)
    assert _run("careplan-intervention-due", now=timezone.now()).counts["careplan-intervention-due"]["closed"] == 1


def _safety_task(agency, alice_rn, maria):
    return create_task(
        data=TaskData(
            organization_id=agency.pk,
            title="Safety follow-up: PHQ-9 item 9",
            kind=TaskKind.SAFETY,
            priority=TaskPriority.ASAP,
            patient=maria,
            owner=alice_rn,
            requires_license=True,
            reason=SAFETY_REASON,
        ),
        by=None,
    )


def test_an_untouched_safety_task_escalates_once_after_the_time_and_not_before(agency, alice_rn, sam_supervisor, maria):
    alice_rn.supervisor = sam_supervisor
    alice_rn.save(update_fields=["supervisor"])
    task = _safety_task(agency, alice_rn, maria)
    assert escalate_safety_tasks(now=task.created_at + datetime.timedelta(minutes=59), config=CONFIG) == 0
    later = task.created_at + datetime.timedelta(minutes=61)
    assert escalate_safety_tasks(now=later, config=CONFIG) == 1
    assert escalate_safety_tasks(now=later + datetime.timedelta(hours=5), config=CONFIG) == 0
    task.refresh_from_db()
    assert (task.priority, task.escalated_at) == (TaskPriority.STAT, later)
    assert "Escalated" in TaskComment.objects.get(task=task).text
    notices = Notification.objects.filter(kind=NotificationKind.SAFETY_ESCALATION)
    assert sorted((n.user_id or 0) != 0 for n in notices) == [False, True]
    assert notices.get(user__isnull=False).user_id == sam_supervisor.pk
    assert AuditRecord.objects.filter(object_id=str(task.pk), detail__change="escalation").count() == 1


def test_a_safety_task_someone_acted_on_does_not_escalate(agency, alice_rn, maria):
    task = _safety_task(agency, alice_rn, maria)
    comment_on_task(task=task, text="Called, left a message; trying again at noon.", by=alice_rn)
    run = run_rules(only="safety-escalation", now=task.created_at + datetime.timedelta(hours=2), config=CONFIG)
    assert run.counts == {"safety-escalation": {"escalated": 0}}
    assert not Notification.objects.filter(kind=NotificationKind.SAFETY_ESCALATION).exists()


def test_the_rules_command_lists_every_rule_and_hook_with_its_reason_code(capsys, monkeypatch):
    code, out, _ = run_carecoord(capsys, monkeypatch, "rules")
    assert code == 0
    listed = {line.split()[0] for line in out.splitlines() if line and not line.startswith(" ")}
    hooks = {SAFETY_REASON, REVIEW_REASON, INTERVENTION_REASON, CONTACT_REASON, MEDREC_REASON, VISIT_REASON}
    assert hooks | {ADMISSION_REASON, ED_VISIT_REASON, "program-assessment-due", "safety-escalation"} <= listed
    assert listed == {rule.reason for rule in RULES}


def test_run_rules_command_runs_one_rule_for_one_organization(capsys, monkeypatch, agency, alice_rn, maria):
    _enrolled(maria, alice_rn, care_manager=alice_rn)
    code, out, _ = run_carecoord(
        capsys, monkeypatch, "run-rules", "--rule", "program-plan-due", "--org", str(agency.pk)
    )
    assert code == 0, out
    assert "program-plan-due: created 1, closed 0, kept 0" in out
    assert [task.reason for task in Task.objects.filter(by_rule=True)] == ["program-plan-due"]
    code, _, err = run_carecoord(capsys, monkeypatch, "run-rules", "--org", str(uuid.uuid4()))
    assert code == 1 and "No organization" in err


def test_worker_runs_the_scheduled_rules_job_and_schedules_the_next(capsys, monkeypatch, alice_rn, maria):
    _enrolled(maria, alice_rn, care_manager=alice_rn)
    # As run_carecoord does for close_all: a worker closes connections between jobs, which would end the
    # test's transaction.
    for module in ("carecoord.tasks.management.commands.worker", "django_tasks_db.management.commands.db_worker"):
        monkeypatch.setattr(f"{module}.close_old_connections", lambda: None)
    code, out, err = run_carecoord(capsys, monkeypatch, "worker", "--batch")
    assert code == 0, err
    assert "Stopped after 1 jobs." in out
    job = DBTaskResult.objects.get()
    assert job.status == "SUCCESSFUL"
    assert job.return_value["program-assessment-due"]["created"] == 1
    assert RuleRun.objects.get().trigger == "job"
    assert len(_open("program-assessment-due")) == 1
    # The next run waits an interval: a second batch enqueues it for later and runs nothing.
    code, out, _ = run_carecoord(capsys, monkeypatch, "worker", "--batch")
    assert "Stopped after 0 jobs." in out
    waiting = DBTaskResult.objects.get(status="READY")
    assert waiting.run_after >= job.started_at + datetime.timedelta(minutes=60)
