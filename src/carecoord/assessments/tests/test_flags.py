"""Flags that act: the safety task and banner, PHQ-9 due after a positive PHQ-2, social needs referrals and care
plan problems, alcohol and drug follow-up, no duplicates, rescreening due dates, and the policy as data."""

from __future__ import annotations

import dataclasses
import datetime

import pytest
from django.test import override_settings
from django.utils import timezone

from carecoord.assessments import instruments
from carecoord.assessments.actions import amend_response, enter_in_error, resolve_safety_flag
from carecoord.assessments.flags import DEFAULT_POLICY, FollowUpRule, RescreenRule, TaskRule
from carecoord.assessments.queries import active_safety_flags, score_history, screening_summary, screenings_due
from carecoord.clinical.queries import observations_of
from carecoord.common.errors import AccessDenied
from carecoord.tasks.actions import set_task_status
from carecoord.tasks.models import Task
from carecoord.testing.factories import make_patient

from .builders import audit_c, complete, dast10, enroll_with, hrsn_core, phq2, phq9, qr

PHQ9 = instruments.PHQ9_URL
ITEM9_POSITIVE = [0, 0, 0, 0, 0, 0, 0, 0, 1]


def tasks_of(patient, **filters):
    return list(Task.objects.filter(patient=patient, **filters).order_by("created_at"))


# --- PHQ-9 item 9 ---------------------------------------------------------------------------------------------------


def test_item9_makes_an_urgent_licensed_safety_task_in_the_licensed_queue(maria, alice_rn):
    before = timezone.now()
    response = complete(maria, alice_rn, PHQ9, phq9(ITEM9_POSITIVE))
    (task,) = tasks_of(maria)
    assert (task.kind, task.priority, task.requires_license) == ("safety", "asap", True)
    assert (task.reason, task.focus) == ("phq9-item9-safety", response.reference)
    assert task.owner is None and task.queue.licensed_only  # not enrolled: nobody's caseload
    assert before + datetime.timedelta(hours=3) < task.due_at <= timezone.now() + datetime.timedelta(hours=4)
    (flag,) = active_safety_flags(maria)  # a person or their id
    assert (flag.response, flag.task) == (response, task)
    assert response.total == 1 and response.flags == ["phq9-item9-safety"]


def test_the_safety_task_goes_to_the_licensed_care_manager_of_the_enrollment(maria, alice_rn):
    enroll_with(maria, alice_rn, care_manager=alice_rn)
    complete(maria, alice_rn, PHQ9, phq9(ITEM9_POSITIVE))
    (task,) = tasks_of(maria, kind="safety")
    assert task.owner == alice_rn and task.queue is None


def test_an_unlicensed_care_manager_does_not_own_the_safety_task(maria, alice_rn, agency):
    from carecoord.testing.factories import make_user

    carl = make_user("carl_cm", role="care_manager", organization=agency)
    enroll_with(maria, alice_rn, care_manager=carl)
    complete(maria, alice_rn, PHQ9, phq9(ITEM9_POSITIVE))
    (task,) = tasks_of(maria, kind="safety")
    assert task.owner is None and task.queue.licensed_only


def test_a_second_positive_does_not_duplicate_the_open_safety_task(maria, alice_rn):
    first = complete(maria, alice_rn, PHQ9, phq9(ITEM9_POSITIVE))
    complete(maria, alice_rn, PHQ9, phq9([1, 1, 1, 1, 1, 1, 1, 1, 2]))
    (task,) = tasks_of(maria, reason="phq9-item9-safety")
    assert task.focus == first.reference
    flags = active_safety_flags(maria.pk)
    assert len(flags) == 2 and {f.task for f in flags} == {task}


def test_the_banner_goes_when_the_safety_task_is_completed(maria, alice_rn):
    complete(maria, alice_rn, PHQ9, phq9(ITEM9_POSITIVE))
    (task,) = tasks_of(maria)
    set_task_status(task=task, status="completed", by=alice_rn)
    assert active_safety_flags(maria.pk) == []
    complete(maria, alice_rn, PHQ9, phq9(ITEM9_POSITIVE))  # a new concern after the task is done: a new task
    assert len(tasks_of(maria, reason="phq9-item9-safety")) == 2 and len(active_safety_flags(maria.pk)) == 1


def test_a_licensed_user_resolves_the_banner_and_others_may_not(maria, alice_rn, sam_supervisor):
    complete(maria, alice_rn, PHQ9, phq9(ITEM9_POSITIVE))
    (flag,) = active_safety_flags(maria.pk)
    with pytest.raises(AccessDenied):
        resolve_safety_flag(flag=flag, by=sam_supervisor, resolution="Called")
    resolve_safety_flag(flag=flag, by=alice_rn, resolution="Spoke with her; safety plan in place")
    assert active_safety_flags(maria.pk) == []


def test_amending_item9_away_keeps_the_open_task_and_one_flag_per_response(maria, alice_rn):
    response = complete(maria, alice_rn, PHQ9, phq9(ITEM9_POSITIVE))
    amend_response(response=response, resource=qr(PHQ9, phq9([0, 0, 0, 0, 0, 0, 0, 0, 2])), by=alice_rn, reason="x")
    assert len(tasks_of(maria)) == 1 and len(active_safety_flags(maria.pk)) == 1


def test_entered_in_error_takes_the_banner_down(maria, alice_rn):
    response = complete(maria, alice_rn, PHQ9, phq9(ITEM9_POSITIVE))
    enter_in_error(response=response, by=alice_rn, reason="Wrong person")
    assert active_safety_flags(maria.pk) == []


# --- PHQ-2 -> PHQ-9 ---------------------------------------------------------------------------------------------------


def test_a_positive_phq2_makes_the_phq9_due(maria, alice_rn):
    response = complete(maria, alice_rn, instruments.PHQ2_URL, phq2([2, 1]))
    (task,) = tasks_of(maria)
    assert (task.kind, task.reason, task.title, task.focus) == (
        "screening",
        "phq9-due",
        "PHQ-9 due (positive PHQ-2)",
        response.reference,
    )
    assert task.owner == alice_rn  # nobody's caseload: the screener
    (total,) = observations_of(maria.pk, codes=["55758-7"])
    assert (total.value_integer, total.interpretation) == (3, ["POS"])


def test_no_phq9_due_after_a_recent_phq9_or_a_negative_phq2(maria, alice_rn):
    complete(maria, alice_rn, instruments.PHQ2_URL, phq2([1, 1]))
    complete(maria, alice_rn, PHQ9, phq9([0] * 9))
    complete(maria, alice_rn, instruments.PHQ2_URL, phq2([3, 3]))
    assert tasks_of(maria) == []


# --- social needs -----------------------------------------------------------------------------------------------------


def test_each_positive_domain_suggests_one_referral_and_one_care_plan_problem(maria, bob_coordinator):
    answers = hrsn_core(
        {"88122-7": "LA28397-0", "88123-5": "LA6729-3", "71802-3": "LA31994-9", "96778-6": ["LA31996-4", "LA28580-1"]}
    )
    response = complete(maria, bob_coordinator, instruments.AHC_HRSN_CORE_URL, answers)
    referrals = tasks_of(maria, kind="referral")
    assert sorted(t.reason for t in referrals) == [
        "sdoh-food-insecurity",
        "sdoh-housing-instability",
        "sdoh-inadequate-housing",
    ]
    food = next(t for t in referrals if t.reason == "sdoh-food-insecurity")
    assert "food-insecurity" in food.description and food.focus == response.reference
    assert sorted(t.reason for t in tasks_of(maria, kind="care-plan")) == [
        "problem-food-insecurity",
        "problem-housing-instability",
        "problem-inadequate-housing",
    ]
    complete(maria, bob_coordinator, instruments.HUNGER_VITAL_SIGN_URL, {"88122-7": "LA6729-3", "88123-5": "LA28398-8"})
    assert len(tasks_of(maria, reason="sdoh-food-insecurity")) == 1  # still open: not again


def test_social_needs_observations_are_positive_answers_only(maria, bob_coordinator):
    answers = hrsn_core({"93030-5": "LA33-6", "96778-6": ["LA31996-4", "LA28580-1"]})
    response = complete(maria, bob_coordinator, instruments.AHC_HRSN_CORE_URL, answers)
    rows = list(observations_of(maria.pk).filter(derived_from=response.reference))
    by_code = {}
    for row in rows:
        by_code.setdefault(row.code, []).append(row)
    assert sorted(by_code) == ["93030-5", "95614-4", "96778-6"]
    assert [(o.value_code, o.categories, o.interpretation) for o in by_code["93030-5"]] == [
        ("LA33-6", ["survey", "sdoh", "transportation-insecurity"], ["POS"])
    ]
    assert sorted(o.value_code for o in by_code["96778-6"]) == ["LA28580-1", "LA31996-4"]
    (safety,) = by_code["95614-4"]
    assert (safety.value_integer, safety.interpretation) == (4, [])
    assert all("NEG" not in o.interpretation for o in rows)


# --- alcohol and drugs ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sex", "points", "positive"),
    [("male", [2, 1, 1], True), ("male", [1, 1, 1], False), ("female", [1, 1, 1], True), ("female", [1, 1, 0], False)],
)
def test_audit_c_uses_the_sex_on_the_record(alice_rn, sex, points, positive):
    person = make_patient(alice_rn, sex=sex)
    response = complete(person, alice_rn, instruments.AUDIT_C_URL, audit_c(points))
    assert response.positive is positive
    follow_ups = tasks_of(person, reason="auditc-follow-up")
    assert len(follow_ups) == int(positive)
    (total,) = observations_of(person.pk, codes=["75626-2"])
    assert (total.value_integer, total.interpretation) == (sum(points), ["POS"] if positive else [])


def test_dast10_moderate_or_worse_needs_follow_up(maria, alice_rn):
    low = complete(maria, alice_rn, instruments.DAST10_URL, dast10([1, 3]))  # item 3 "Yes" scores 0
    assert (low.total, low.band_code, low.positive) == (1, "low", False) and tasks_of(maria) == []
    response = complete(maria, alice_rn, instruments.DAST10_URL, dast10([1, 2, 3, 4]))
    assert (response.total, response.band_code, response.positive) == (3, "moderate", True)
    (task,) = tasks_of(maria, reason="dast10-follow-up")
    assert task.kind == "follow-up" and task.focus == response.reference


def test_a_program_may_have_its_own_follow_up_policy(maria, alice_rn):
    enroll_with(maria, alice_rn, care_manager=alice_rn)
    urgent = FollowUpRule(
        TaskRule("auditc-bh", "Behavioral health visit", "follow-up", "urgent", requires_license=True)
    )
    policy = dataclasses.replace(DEFAULT_POLICY, program_follow_ups={("ny-hh-adult", instruments.AUDIT_C_URL): urgent})
    with override_settings(ASSESSMENT_FLAG_POLICY=policy):
        complete(maria, alice_rn, instruments.AUDIT_C_URL, audit_c([4, 4, 4]))
    (task,) = tasks_of(maria, kind="follow-up")
    assert (task.reason, task.priority, task.owner) == ("auditc-bh", "urgent", alice_rn)


# --- rescreening and the chart ----------------------------------------------------------------------------------------


def test_phq9_is_due_every_90_days_while_enrolled(maria, alice_rn):
    assert screenings_due(maria.pk) == []  # not enrolled
    enrollment = enroll_with(maria, alice_rn, care_manager=alice_rn)
    due = {d.instrument_url: d for d in screenings_due(maria.pk)}
    assert due[PHQ9].last_done is None and due[PHQ9].due_on == enrollment.start_date and not due[PHQ9].overdue
    later = timezone.localdate() + datetime.timedelta(days=1)
    assert {d.instrument_url: d for d in screenings_due(maria.pk, today=later)}[PHQ9].overdue
    done = complete(maria, alice_rn, PHQ9, phq9([0] * 9))
    due = {d.instrument_url: d for d in screenings_due(maria.pk)}
    assert due[PHQ9].last_done == done.authored
    assert due[PHQ9].due_on == timezone.localdate() + datetime.timedelta(days=90)


def test_rescreening_rules_may_name_programs(maria, alice_rn):
    enroll_with(maria, alice_rn, care_manager=alice_rn)
    only_ccm = dataclasses.replace(DEFAULT_POLICY, rescreening=(RescreenRule(PHQ9, 30, frozenset({"medicare-ccm"})),))
    with override_settings(ASSESSMENT_FLAG_POLICY=only_ccm):
        assert screenings_due(maria.pk) == []


def test_summary_and_history_read_finished_responses(maria, alice_rn):
    earlier = timezone.now() - datetime.timedelta(days=60)
    complete(maria, alice_rn, PHQ9, phq9([3, 3, 3, 3, 0, 0, 0, 0, 0]), authored=earlier)
    latest = complete(maria, alice_rn, PHQ9, phq9([1, 1, 1, 0, 0, 0, 0, 0, 0]))
    complete(maria, alice_rn, instruments.AHC_HRSN_CORE_URL, hrsn_core({"93030-5": "LA33-6"}))
    summary = {s.instrument_url: s for s in screening_summary(maria.pk)}
    assert (summary[PHQ9].response_id, summary[PHQ9].total, summary[PHQ9].band_code) == (latest.pk, 3, "minimal")
    assert summary[instruments.AHC_HRSN_CORE_URL].domains == ("transportation-insecurity",)
    history = score_history(maria.pk, PHQ9)
    assert [(p.total, p.band_code) for p in history] == [(12, "moderate"), (3, "minimal")]
