"""TCM once per person within 30 days of a discharge (B.3), and FUH's exclusions and readmission rule (D.5): as
tables of the pure rules, then through the workflow and the transition page."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from carecoord.clinical.tests.builders import condition, stay
from carecoord.transitions import measures
from carecoord.transitions.summary import summarize
from carecoord.transitions.tests.enrolled import enroll_person, make_ana
from carecoord.transitions.workflow import (
    open_transition,
    record_face_to_face_visit,
    record_interactive_contact,
    record_medication_reconciliation,
    set_decision_complexity,
)
from carecoord.web.testing import plain_static_files, signed_in  # noqa: F401

D = datetime.date
DAY = datetime.timedelta(days=1)
MET = measures.ContactOutcome(D(2026, 10, 2))


def billable(discharged: datetime.date) -> measures.TcmStay:
    """A discharge with everything 99496 needs: contact next day, reconciliation and visit on day 3."""
    return measures.TcmStay(
        discharge_date=discharged,
        contact_due=discharged + 2 * DAY,
        contact=measures.ContactOutcome(discharged + DAY),
        medication_reconciled_on=discharged + 3 * DAY,
        visit_on=discharged + 3 * DAY,
        complexity="high",
    )


def missed(discharged: datetime.date) -> measures.TcmStay:
    """A discharge whose contact was missed: no TCM."""
    return measures.TcmStay(
        discharge_date=discharged,
        contact_due=discharged + 2 * DAY,
        contact=measures.ContactOutcome(None),
        medication_reconciled_on=None,
        visit_on=None,
        complexity="",
    )


FIRST = D(2026, 10, 1)


@pytest.mark.parametrize(
    ("stays", "codes"),
    [
        ([billable(FIRST)], ["99496"]),
        ([billable(FIRST), billable(FIRST + 10 * DAY)], ["99496", None]),
        ([billable(FIRST), billable(FIRST + 29 * DAY)], ["99496", None]),  # day 30 of the period
        ([billable(FIRST), billable(FIRST + 30 * DAY)], ["99496", "99496"]),  # the period is over
        ([missed(FIRST), billable(FIRST + 10 * DAY)], [None, "99496"]),  # the first billed nothing
        ([billable(FIRST + 10 * DAY), billable(FIRST)], [None, "99496"]),  # given in any order
        # A chain: the second is inside the first's period; the third only inside the second's (never billed).
        ([billable(FIRST), billable(FIRST + 20 * DAY), billable(FIRST + 40 * DAY)], ["99496", None, "99496"]),
    ],
)
def test_tcm_once_per_person_within_30_days_of_a_discharge(stays, codes):
    verdicts = measures.tcm_verdicts(stays, today=D(2026, 12, 31))
    assert [v.code for v in verdicts] == codes
    for verdict in verdicts:
        if verdict.code is None and verdict.problems and "already billable" in verdict.problems[0]:
            assert verdict.possible == ()
            assert verdict.words == (
                "Not billable as TCM: TCM is already billable for the discharge on Thu 1 Oct: one TCM per person"
                " within 30 days of a discharge (that period ends Fri 30 Oct)."
            )


def later(days: int, *, acute: bool = True, mental_health: bool = False) -> measures.LaterStay:
    return measures.LaterStay(admitted_on=FIRST + days * DAY, acute=acute, mental_health=mental_health)


@pytest.mark.parametrize(
    ("stays", "died_on", "hospice_on", "state"),
    [
        ([], None, None, "counted"),
        ([], FIRST + 40 * DAY, None, "excluded"),  # death
        ([], None, FIRST - 100 * DAY, "excluded"),  # hospice in the measurement year
        ([later(10, acute=False)], None, None, "excluded"),  # nonacute readmission within 30 days
        ([later(0, acute=False)], None, None, "excluded"),  # direct transfer to nonacute care
        ([later(30, acute=False)], None, None, "excluded"),  # day 30
        ([later(31, acute=False)], None, None, "counted"),  # day 31: outside the window
        ([later(5, mental_health=True)], None, None, "replaced"),  # acute mental health readmission
        ([later(0, mental_health=True)], None, None, "replaced"),  # direct transfer to acute psychiatric care
        ([later(5)], None, None, "counted"),  # acute readmission for something else: D.5 is silent [R]
        ([later(5), later(12, acute=False)], None, None, "excluded"),
        ([later(12, acute=False), later(5, mental_health=True)], None, None, "replaced"),  # the first decides
        ([later(-3, acute=False)], None, None, "counted"),  # before the discharge
    ],
)
def test_fuh_exclusions_and_the_readmission_rule(stays, died_on, hospice_on, state):
    standing = measures.fuh_standing(discharge_date=FIRST, later_stays=stays, died_on=died_on, hospice_on=hospice_on)
    assert standing.state == state
    assert standing.counted is (state == "counted")
    assert bool(standing.words) is (state != "counted")


# Through the workflow ----------------------------------------------------------------------------------------------


@pytest.fixture
def ana(alice_rn):
    return make_ana(alice_rn)


@pytest.fixture
def enrollment(ana, alice_rn):
    return enroll_person(ana, alice_rn)


def _discharged_days_ago(patient, by, days_ago: int, **fields):
    """A two-day stay discharged ``days_ago`` days before today at 11:00."""
    start = timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0) - (days_ago + 2) * DAY
    return stay(patient, by, days=2, start=start, **fields)


def _do_everything(transition, by) -> None:
    moment = transition.discharged_at + datetime.timedelta(hours=3)
    record_interactive_contact(
        transition=transition, occurred_at=moment, method="telephone", with_whom="patient", successful=True, by=by
    )
    record_medication_reconciliation(transition=transition, on=transition.discharge_date + DAY, by=by)
    record_face_to_face_visit(transition=transition, on=transition.discharge_date + DAY, by=by)
    set_decision_complexity(transition=transition, complexity="high", by=by)


def test_a_second_discharge_within_30_days_of_a_billable_tcm_gets_no_second_tcm(ana, alice_rn, enrollment, client):
    first = open_transition(encounter=_discharged_days_ago(ana, alice_rn, 20), enrollment=enrollment)
    second = open_transition(encounter=_discharged_days_ago(ana, alice_rn, 5), enrollment=enrollment)
    assert first is not None and second is not None
    _do_everything(first, alice_rn)
    _do_everything(second, alice_rn)
    assert summarize(first).tcm.code == "99496"
    verdict = summarize(second).tcm
    assert verdict.code is None and verdict.possible == ()
    assert "one TCM per person within 30 days of a discharge" in verdict.words
    page = signed_in(client, alice_rn).get(f"/transitions/{second.pk}/").content.decode()
    assert "TCM is already billable for the discharge on" in page


@pytest.fixture
def mental_health_transition(ana, alice_rn, enrollment):
    encounter = _discharged_days_ago(ana, alice_rn, 20)
    condition(ana, alice_rn, "F32.2", encounter=encounter, category="encounter-diagnosis")
    transition = open_transition(encounter=encounter, enrollment=enrollment)
    assert transition is not None and transition.mental_health
    return transition


def _keys(transition) -> dict[str, str]:
    return {step.key: step.state for step in summarize(transition).steps}


def test_fuh_is_tracked_until_a_nonacute_readmission_excludes_the_discharge(
    mental_health_transition, ana, alice_rn, client
):
    assert {"fuh7", "fuh30"} <= set(_keys(mental_health_transition))
    assert summarize(mental_health_transition).fuh_standing.counted
    _discharged_days_ago(ana, alice_rn, 5, service="rehab")  # admitted to rehabilitation 13 days after
    keys = _keys(mental_health_transition)
    assert keys["fuh"] == "excluded" and "fuh7" not in keys and "fuh30" not in keys
    words = summarize(mental_health_transition).fuh_standing.words
    assert words.startswith("Readmitted to nonacute inpatient care on ") and "FUH does not count" in words
    page = signed_in(client, alice_rn).get(f"/transitions/{mental_health_transition.pk}/").content.decode()
    assert "Not counted" in page and "Readmitted to nonacute inpatient care" in page


def test_an_acute_mental_health_readmission_moves_fuh_to_the_later_discharge(mental_health_transition, ana, alice_rn):
    readmission = _discharged_days_ago(ana, alice_rn, 5)
    condition(ana, alice_rn, "F20.9", encounter=readmission, category="encounter-diagnosis")
    standing = summarize(mental_health_transition).fuh_standing
    assert standing.state == "replaced" and "counts the later discharge instead" in standing.words


def test_an_acute_readmission_for_something_else_keeps_fuh(mental_health_transition, ana, alice_rn):
    readmission = _discharged_days_ago(ana, alice_rn, 5)
    condition(ana, alice_rn, "I50.9", encounter=readmission, category="encounter-diagnosis")
    assert summarize(mental_health_transition).fuh_standing.counted


def test_death_and_hospice_exclude_the_discharge(mental_health_transition, ana, alice_rn):
    _discharged_days_ago(ana, alice_rn, 2, discharge_disposition="hosp")
    assert summarize(mental_health_transition).fuh_standing.words.startswith("Hospice care on")
    _discharged_days_ago(ana, alice_rn, 1, discharge_disposition="exp")
    assert summarize(mental_health_transition).fuh_standing.words.startswith("The person died on")
