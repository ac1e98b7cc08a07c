"""The transitional care workflow through its actions, and the TCM and FUH rules as tables."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from carecoord.clinical.tests.builders import stay
from carecoord.common.errors import AccessDenied, DomainError, ValidationFailed
from carecoord.programs.models import Enrollment
from carecoord.tasks.models import Task
from carecoord.transitions import measures
from carecoord.transitions.models import Transition
from carecoord.transitions.tests.enrolled import enroll_person, make_ana, message, process
from carecoord.transitions.workflow import (
    cancel_transition,
    complete_transition,
    open_transition,
    record_face_to_face_visit,
    record_interactive_contact,
    record_medication_reconciliation,
    set_decision_complexity,
)

D = datetime.date
DAY = datetime.timedelta(days=1)


@pytest.fixture
def ana(alice_rn):
    return make_ana(alice_rn)


@pytest.fixture
def enrollment(ana, alice_rn) -> Enrollment:
    return enroll_person(ana, alice_rn)


def recent_stay(patient, by, *, days: int = 2, **fields):
    """A stay that ended yesterday at 11:00."""
    start = timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0) - (days + 1) * DAY
    return stay(patient, by, days=days, start=start, **fields)


@pytest.fixture
def transition(ana, alice_rn, enrollment) -> Transition:
    made = open_transition(encounter=recent_stay(ana, alice_rn), enrollment=enrollment)
    assert made is not None
    return made


def steps(transition: Transition) -> dict[str, Task]:
    return {t.reason: t for t in Task.objects.filter(focus=transition.focus)}


def test_a_discharge_opens_one_transition_with_its_clocks_and_tasks(transition, ana, alice_rn, enrollment):
    today = timezone.localdate()
    assert transition.discharge_date == today - DAY
    assert transition.contact_due > today - DAY and transition.risk_level == "moderate"
    assert transition.visit_due == transition.discharge_date + 14 * DAY
    assert (
        transition.lace_total == 5
        and "LACE 5" in transition.risk_basis
        and "HOSPITAL not scored" in transition.risk_basis
    )
    tasks = steps(transition)
    assert set(tasks) == {"transition-contact", "transition-medrec", "transition-visit", "careplan-review"}
    assert tasks["transition-medrec"].requires_license and tasks["transition-medrec"].owner_id == alice_rn.pk
    assert all(t.owner_id == alice_rn.pk for t in tasks.values())
    again = open_transition(encounter=transition.encounter, enrollment=enrollment)
    assert again is not None and again.pk == transition.pk
    assert Task.objects.filter(focus=transition.focus).count() == 4


def test_high_readmission_risk_brings_the_visit_to_7_days(ana, alice_rn, enrollment):
    long_stay = recent_stay(ana, alice_rn, days=14)  # L 7 + acute 3 = LACE 10
    transition = open_transition(encounter=long_stay, enrollment=enrollment)
    assert transition is not None and transition.risk_level == "high"
    assert transition.visit_due == transition.discharge_date + 7 * DAY
    assert transition.risk_basis.startswith("LACE 10: high at 10 or more")


def test_stays_that_do_not_qualify_open_nothing(ana, alice_rn, enrollment):
    assert (
        open_transition(encounter=recent_stay(ana, alice_rn, discharge_disposition="snf"), enrollment=enrollment)
        is None
    )
    still_in = stay(ana, alice_rn, days=None, start=timezone.now() - DAY)
    assert open_transition(encounter=still_in, enrollment=enrollment) is None


def test_two_documented_attempts_meet_the_contact_requirement(transition, alice_rn):
    now = timezone.now()
    with pytest.raises(ValidationFailed):
        record_interactive_contact(
            transition=transition,
            occurred_at=now,
            method="telephone",
            with_whom="patient",
            successful=False,
            by=alice_rn,
        )
    record_interactive_contact(
        transition=transition,
        occurred_at=now - datetime.timedelta(hours=2),
        method="telephone",
        with_whom="patient",
        successful=False,
        note="No answer; voicemail left",
        by=alice_rn,
    )
    transition.refresh_from_db()
    assert transition.contact_met_on is None and steps(transition)["transition-contact"].is_open
    record_interactive_contact(
        transition=transition,
        occurred_at=now,
        method="telephone",
        with_whom="caregiver",
        successful=False,
        note="Daughter's phone busy",
        by=alice_rn,
    )
    transition.refresh_from_db()
    assert transition.contact_met_on == timezone.localdate() and transition.contact_by_attempts
    assert steps(transition)["transition-contact"].status == "completed"


def test_a_successful_contact_closes_its_task_and_bad_times_are_refused(transition, alice_rn):
    with pytest.raises(ValidationFailed):
        record_interactive_contact(
            transition=transition,
            occurred_at=timezone.now() + datetime.timedelta(hours=3),
            method="telephone",
            with_whom="patient",
            successful=True,
            by=alice_rn,
        )
    with pytest.raises(ValidationFailed):
        record_interactive_contact(
            transition=transition,
            occurred_at=transition.discharged_at - datetime.timedelta(hours=1),
            method="telephone",
            with_whom="patient",
            successful=True,
            by=alice_rn,
        )
    with pytest.raises(ValidationFailed):
        record_interactive_contact(
            transition=transition,
            occurred_at=timezone.now(),
            method="chatbot",
            with_whom="patient",
            successful=True,
            by=alice_rn,
        )
    record_interactive_contact(
        transition=transition,
        occurred_at=timezone.now(),
        method="video",
        with_whom="patient",
        successful=True,
        by=alice_rn,
    )
    transition.refresh_from_db()
    assert transition.contact_met_on == timezone.localdate() and not transition.contact_by_attempts
    assert steps(transition)["transition-contact"].status == "completed"


def test_medication_reconciliation_and_complexity_need_a_licensed_clinician(transition, alice_rn, bob_coordinator):
    today = timezone.localdate()
    with pytest.raises(AccessDenied):
        record_medication_reconciliation(transition=transition, on=today, by=bob_coordinator)
    with pytest.raises(AccessDenied):
        set_decision_complexity(transition=transition, complexity="high", by=bob_coordinator)
    record_medication_reconciliation(transition=transition, on=today, by=alice_rn, note="Stopped metoprolol")
    assert steps(transition)["transition-medrec"].status == "completed"
    set_decision_complexity(transition=transition, complexity="high", by=alice_rn)
    transition.refresh_from_db()
    assert transition.visit_due == transition.discharge_date + 7 * DAY
    visit_task = steps(transition)["transition-visit"]
    assert timezone.localtime(visit_task.due_at).date() == transition.visit_due
    with pytest.raises(ValidationFailed):
        set_decision_complexity(transition=transition, complexity="extreme", by=alice_rn)


def test_the_visit_closes_its_task_and_completion_closes_the_rest(transition, alice_rn, bob_coordinator, eve_outsider):
    today = timezone.localdate()
    with pytest.raises(ValidationFailed):
        record_face_to_face_visit(transition=transition, on=transition.discharge_date - DAY, by=bob_coordinator)
    with pytest.raises(AccessDenied):
        record_face_to_face_visit(transition=transition, on=today, by=eve_outsider)
    record_face_to_face_visit(
        transition=transition, on=today, mode="telehealth", provider="Dr. Lee", by=bob_coordinator
    )
    transition.refresh_from_db()
    assert transition.visit_on == today
    assert steps(transition)["transition-visit"].status == "completed"
    complete_transition(transition=transition, by=bob_coordinator)
    transition.refresh_from_db()
    assert transition.status == "completed" and transition.closed_by_id == bob_coordinator.pk
    assert not any(t.is_open for t in steps(transition).values())
    with pytest.raises(DomainError):
        record_face_to_face_visit(transition=transition, on=today, by=bob_coordinator)


def test_completing_without_a_visit_needs_a_reason_and_cancelling_withdraws_tasks(transition, bob_coordinator):
    with pytest.raises(ValidationFailed):
        complete_transition(transition=transition, by=bob_coordinator)
    with pytest.raises(ValidationFailed):
        cancel_transition(transition=transition, reason=" ", by=bob_coordinator)
    cancel_transition(transition=transition, reason="Readmitted the same day", by=bob_coordinator)
    transition.refresh_from_db()
    assert transition.status == "cancelled"
    statuses = {t.status for t in steps(transition).values()}
    assert statuses == {"cancelled"}


def test_a_living_care_plan_takes_the_significant_change(ana, alice_rn, enrollment):
    from carecoord.careplans.actions import start_care_plan

    plan = start_care_plan(patient=ana, by=alice_rn, enrollment=enrollment)
    transition = open_transition(encounter=recent_stay(ana, alice_rn), enrollment=enrollment)
    assert transition is not None
    plan.refresh_from_db()
    assert plan.significant_change_on == timezone.localdate() and "Discharged" in plan.significant_change_reason
    assert "careplan-review" not in steps(transition)
    assert Task.objects.filter(reason="careplan-review", focus=f"CarePlan/{plan.pk}").exists()


def test_a_mental_health_discharge_tracks_fuh(ana, alice_rn, enrollment):
    process(
        message("A01", "M1", admitted="202611200830", diagnoses=(("F32.2", "Major depressive disorder, severe"),)),
        message("A03", "M2", admitted="202611200830", discharged="202611241500", disposition="01"),
    )
    transition = Transition.objects.get(patient=ana)
    assert transition.mental_health and transition.principal_code == "F32.2"
    assert "mental health provider" in steps(transition)["transition-visit"].title


# TCM and FUH as tables ------------------------------------------------------------------------------------------

DISCHARGED = D(2026, 11, 25)  # Wednesday before Thanksgiving: contact due Mon 30 Nov
DUE = D(2026, 11, 30)
MET = measures.ContactOutcome(D(2026, 11, 27))
NONE = measures.ContactOutcome(None)


@pytest.mark.parametrize(
    ("contact", "medrec", "visit", "complexity", "today", "code", "possible"),
    [
        (MET, D(2026, 12, 1), D(2026, 12, 2), "high", D(2026, 12, 3), "99496", ("99496", "99495")),
        (MET, D(2026, 12, 2), D(2026, 12, 2), "high", D(2026, 12, 3), "99496", ("99496", "99495")),
        (MET, D(2026, 12, 2), D(2026, 12, 2), "moderate", D(2026, 12, 3), "99495", ("99495",)),
        (MET, D(2026, 12, 8), D(2026, 12, 9), "high", D(2026, 12, 10), "99495", ("99495",)),  # day 14, high MDM
        (MET, D(2026, 12, 9), D(2026, 12, 9), "high", D(2026, 12, 10), "99495", ("99495",)),
        (MET, D(2026, 12, 10), D(2026, 12, 10), "high", D(2026, 12, 11), None, ()),  # day 15
        (MET, D(2026, 12, 3), D(2026, 12, 2), "high", D(2026, 12, 3), None, ()),  # medrec after the visit
        (MET, None, D(2026, 12, 2), "high", D(2026, 12, 3), None, ()),  # no medrec by the visit
        (MET, D(2026, 12, 1), D(2026, 12, 2), "low", D(2026, 12, 3), None, ()),
        (MET, D(2026, 12, 1), D(2026, 12, 2), "", D(2026, 12, 3), None, ("99496", "99495")),
        (NONE, D(2026, 12, 1), D(2026, 12, 2), "high", D(2026, 12, 3), None, ()),  # contact missed
        (NONE, None, None, "", D(2026, 11, 27), None, ("99496", "99495")),
        (NONE, None, None, "moderate", D(2026, 11, 27), None, ("99495",)),
        (MET, None, None, "high", D(2026, 12, 2), None, ("99496", "99495")),  # day 7, visit still possible today
        (MET, None, None, "high", D(2026, 12, 3), None, ("99495",)),  # past day 7, no visit yet
        (MET, None, None, "high", D(2026, 12, 10), None, ()),  # past day 14
    ],
)
def test_tcm_code_from_dates_and_complexity(contact, medrec, visit, complexity, today, code, possible):
    verdict = measures.tcm_verdict(
        discharge_date=DISCHARGED,
        contact_due=DUE,
        contact=contact,
        medication_reconciled_on=medrec,
        visit_on=visit,
        complexity=complexity,
        today=today,
    )
    assert (verdict.code, verdict.possible) == (code, possible), verdict.words


def test_tcm_words_say_what_is_still_possible():
    verdict = measures.tcm_verdict(
        discharge_date=DISCHARGED,
        contact_due=DUE,
        contact=MET,
        medication_reconciled_on=None,
        visit_on=None,
        complexity="",
        today=D(2026, 11, 28),
    )
    assert verdict.words == (
        "99496 possible if the visit happens by Wed 2 Dec; 99495 possible if the visit happens by Wed 9 Dec."
    )
    assert "medication reconciliation no later than the visit" in verdict.still_needed
    missed = measures.tcm_verdict(
        discharge_date=DISCHARGED,
        contact_due=DUE,
        contact=NONE,
        medication_reconciled_on=None,
        visit_on=None,
        complexity="",
        today=D(2026, 12, 1),
    )
    assert missed.code is None and missed.words.startswith("Not billable as TCM: No interactive contact")


@pytest.mark.parametrize(
    ("attempts", "met_on", "by_attempts"),
    [
        ([(D(2026, 11, 27), True)], D(2026, 11, 27), False),
        ([(D(2026, 11, 27), False)], None, False),
        ([(D(2026, 11, 27), False), (D(2026, 11, 30), False)], D(2026, 11, 30), True),
        ([(D(2026, 11, 27), False), (D(2026, 12, 1), False)], None, False),  # second attempt late
        ([(D(2026, 11, 24), True)], None, False),  # before the discharge
        ([(D(2026, 11, 27), False), (D(2026, 11, 28), True)], D(2026, 11, 28), False),
    ],
)
def test_contact_outcome(attempts, met_on, by_attempts):
    outcome = measures.contact_outcome(attempts, due=DUE, discharge_date=DISCHARGED)
    assert (outcome.met_on, outcome.by_attempts) == (met_on, by_attempts)


@pytest.mark.parametrize(
    ("follow_ups", "today", "states"),
    [
        ([], D(2026, 11, 30), ("pending", "pending")),
        ([DISCHARGED], D(2026, 12, 3), ("missed", "pending")),  # the discharge day does not count
        ([D(2026, 12, 2)], D(2026, 12, 3), ("met", "met")),  # day 7
        ([D(2026, 12, 3)], D(2026, 12, 3), ("missed", "met")),  # day 8
        ([D(2026, 12, 25)], D(2026, 12, 26), ("missed", "met")),  # day 30
        ([D(2026, 12, 26)], D(2026, 12, 26), ("missed", "missed")),  # day 31
    ],
)
def test_fuh_7_and_30_days(follow_ups, today, states):
    rates = measures.fuh_rates(discharge_date=DISCHARGED, follow_ups=follow_ups, today=today)
    assert tuple(r.state for r in rates) == states
    assert [r.due for r in rates] == [D(2026, 12, 2), D(2026, 12, 25)]


@pytest.mark.parametrize(
    ("code", "fuh"),
    [
        ("F32.2", True),
        ("F20.9", True),
        ("F43.10", True),
        ("F60.3", True),
        ("F10.20", False),  # alcohol dependence: FUA, not FUH
        ("F03.90", False),  # dementia
        ("T43.222A", True),  # intentional self-poisoning
        ("T43.221A", False),  # accidental
        ("X78.0XXA", True),
        ("I50.9", False),
    ],
)
def test_fuh_diagnoses(code, fuh):
    assert measures.is_fuh_diagnosis(code) is fuh


def test_qualifying_discharges():
    assert measures.qualifies_for_tcm("IMP", "home") == (True, "")
    assert measures.qualifies_for_tcm("OBSENC", "")[0]
    assert not measures.qualifies_for_tcm("EMER", "home")[0]
    assert not measures.qualifies_for_tcm("IMP", "snf")[0]
    assert measures.principal_diagnosis([{"code": "I10", "type": "A"}, {"code": "F32.2", "type": "F"}]) == {
        "code": "F32.2",
        "type": "F",
    }
