"""Billing readiness, table-driven, through the actions that record work: Medicare time codes at each threshold,
Health Home core services and HH+ minimums, consent, open months at risk with days left, TCM from the transition."""

from __future__ import annotations

import pytest

from carecoord.consents.actions import revoke_consent
from carecoord.contacts.billing import judge_month
from carecoord.contacts.billing.rules import last_day
from carecoord.contacts.models import MonthStatus, Readiness
from carecoord.contacts.tests.helpers import PAST_MONTH, THIS_MONTH, contact, enrolled, in_month, license, minutes_in
from carecoord.testing.factories import make_user

pytestmark = pytest.mark.django_db


def _codes(verdict):
    return [(c["code"], c["units"]) for c in verdict.codes]


@pytest.mark.parametrize(
    ("minutes", "codes"),
    [
        (19, []),
        (20, [("99490", 1)]),
        (39, [("99490", 1)]),
        (40, [("99490", 1), ("99439", 1)]),
        (60, [("99490", 1), ("99439", 2)]),
        (95, [("99490", 1), ("99439", 2)]),  # 99439 capped at 2 units [R]
    ],
)
def test_ccm_clinical_staff_minutes(alice_rn, minutes, codes):
    ccm = enrolled(alice_rn, "medicare-ccm")
    minutes_in(ccm, alice_rn, minutes)
    verdict = judge_month(enrollment=ccm, month=PAST_MONTH)
    assert _codes(verdict) == codes
    assert verdict.status == (Readiness.BILLABLE if codes else Readiness.NOT_BILLABLE)
    if not codes:
        assert verdict.reasons == [f"{minutes} minutes of clinical staff time; 99490 needs 20."]
    assert verdict.counts["clinical_minutes"] == minutes


@pytest.mark.parametrize(
    ("minutes", "codes"),
    [
        (59, [("99490", 1), ("99439", 1)]),  # complex CCM not reached: ordinary CCM, and what complex still needs
        (60, [("99487", 1)]),
        (89, [("99487", 1)]),
        (90, [("99487", 1), ("99489", 1)]),
        (120, [("99487", 1), ("99489", 2)]),
    ],
)
def test_complex_ccm(alice_rn, minutes, codes):
    ccm = enrolled(alice_rn, "medicare-ccm", acuity="complex")
    minutes_in(ccm, alice_rn, minutes)
    verdict = judge_month(enrollment=ccm, month=PAST_MONTH)
    assert _codes(verdict) == codes
    if minutes < 60:
        assert verdict.missing == ["1 more minutes for Complex CCM (99487)"]


@pytest.fixture
def dr_patel(agency):
    user = make_user(
        "dr_patel", role="licensed_care_manager", organization=agency, first_name="Anil", last_name="Patel"
    )
    return license(user, "MD")


@pytest.mark.parametrize(
    ("minutes", "codes"),
    [
        (29, [("99490", 1)]),  # practitioner time counts as clinical staff time [R]
        (30, [("99491", 1)]),
        (60, [("99491", 1), ("99437", 1)]),
    ],
)
def test_99491_needs_the_billing_practitioner_personally(alice_rn, dr_patel, minutes, codes):
    ccm = enrolled(alice_rn, "medicare-ccm")
    minutes_in(ccm, dr_patel, minutes)
    assert _codes(judge_month(enrollment=ccm, month=PAST_MONTH)) == codes


@pytest.mark.parametrize(
    ("practitioner", "minutes", "codes"),
    [
        (False, 29, []),
        (False, 30, [("99426", 1)]),
        (False, 60, [("99426", 1), ("99427", 1)]),
        (True, 30, [("99424", 1)]),
        (True, 65, [("99424", 1), ("99425", 1)]),
    ],
)
def test_pcm(alice_rn, dr_patel, practitioner, minutes, codes):
    pcm = enrolled(alice_rn, "medicare-pcm")
    minutes_in(pcm, dr_patel if practitioner else alice_rn, minutes)
    assert _codes(judge_month(enrollment=pcm, month=PAST_MONTH)) == codes


def test_non_clinical_staff_time_does_not_count_toward_ccm(alice_rn, bob_coordinator):
    ccm = enrolled(alice_rn, "medicare-ccm")
    minutes_in(ccm, bob_coordinator, 45)
    verdict = judge_month(enrollment=ccm, month=PAST_MONTH)
    assert verdict.status == Readiness.NOT_BILLABLE
    assert verdict.counts["minutes"]["non_clinical"] == 45


def test_ccm_without_consent_is_not_billable(alice_rn):
    ccm = enrolled(alice_rn, "medicare-ccm")
    minutes_in(ccm, alice_rn, 30)
    revoke_consent(consent=ccm.patient.consents.get(), on=PAST_MONTH, by=alice_rn)
    verdict = judge_month(enrollment=ccm, month=PAST_MONTH)
    assert verdict.status == Readiness.NOT_BILLABLE
    assert verdict.reasons == ["Not billable: no CCM consent on file."]


@pytest.mark.parametrize(
    ("services", "status", "reason"),
    [
        ((), Readiness.NOT_BILLABLE, "No core service was delivered this month."),
        (("care-coordination",), Readiness.BILLABLE, None),
    ],
)
def test_health_home_enrolled_month_needs_a_core_service(alice_rn, services, status, reason):
    hh = enrolled(alice_rn, "ny-hh-adult", acuity="high")
    contact(hh, alice_rn, when=in_month(PAST_MONTH), services=services)
    verdict = judge_month(enrollment=hh, month=PAST_MONTH)
    assert verdict.status == status
    if reason:
        assert verdict.reasons == [reason]
    else:
        assert verdict.rate == "Health Home enrolled month (high acuity)"


def test_a_message_left_is_not_a_core_service_delivered(alice_rn):
    hh = enrolled(alice_rn, "ny-hh-adult")
    contact(hh, alice_rn, when=in_month(PAST_MONTH), outcome="left_message")
    assert judge_month(enrollment=hh, month=PAST_MONTH).status == Readiness.NOT_BILLABLE


@pytest.mark.parametrize(
    ("code", "in_person_by_cm", "in_person_by_other", "phone", "rate"),
    [
        ("ny-hh-plus-smi", 1, 0, 3, "Health Home High Risk/High Need"),  # 4 core services, 1 in person
        ("ny-hh-plus-smi", 2, 0, 2, "Health Home Plus"),
        ("ny-hh-plus-smi", 0, 0, 1, "Health Home High Risk/High Need"),  # below HH+, at least one core service
        ("ny-hh-plus-hiv", 0, 2, 2, "Health Home High Risk/High Need"),  # in person, but not with the care manager
        ("ny-hh-plus-hiv", 1, 1, 2, "Health Home Plus"),
    ],
)
def test_health_home_plus_minimums(alice_rn, bob_coordinator, code, in_person_by_cm, in_person_by_other, phone, rate):
    plus = enrolled(alice_rn, code, care_manager=alice_rn, acuity="high")
    for day in range(in_person_by_cm):
        contact(plus, alice_rn, when=in_month(PAST_MONTH, day + 1), modality="home_visit")
    for day in range(in_person_by_other):
        contact(plus, bob_coordinator, when=in_month(PAST_MONTH, day + 5), modality="in_person")
    for day in range(phone):
        contact(plus, alice_rn, when=in_month(PAST_MONTH, day + 10))
    verdict = judge_month(enrollment=plus, month=PAST_MONTH)
    assert verdict.status == Readiness.BILLABLE
    assert verdict.rate == f"{rate} (high acuity)"
    if rate != "Health Home Plus":
        assert verdict.reasons[0].startswith("Health Home Plus minimum not met")


def test_an_open_month_is_at_risk_with_what_is_missing_and_the_days_left(alice_rn):
    hh = enrolled(alice_rn, "ny-hh-adult")
    three_days_before_the_end = last_day(THIS_MONTH).replace(day=last_day(THIS_MONTH).day - 2)
    verdict = judge_month(enrollment=hh, month=THIS_MONTH, today=three_days_before_the_end)
    assert (verdict.status, verdict.missing, verdict.days_left) == (Readiness.AT_RISK, ["1 core service"], 3)
    ccm = enrolled(alice_rn, "medicare-ccm")
    contact(ccm, alice_rn, minutes=12, services=())
    verdict = judge_month(enrollment=ccm, month=THIS_MONTH, today=three_days_before_the_end)
    assert (verdict.status, verdict.missing) == (Readiness.AT_RISK, ["8 more minutes of clinical staff time"])


def test_the_stored_status_changes_as_work_is_recorded(alice_rn):
    hh = enrolled(alice_rn, "ny-hh-adult")
    contact(hh, alice_rn, outcome="no_answer")
    stored = MonthStatus.objects.get(enrollment=hh, month=THIS_MONTH)
    assert stored.status == Readiness.AT_RISK
    contact(hh, alice_rn, services=("care-management", "patient-family-support"))
    stored.refresh_from_db()
    assert (stored.status, stored.counts["core_services"]) == (Readiness.BILLABLE, 1)
    assert MonthStatus.objects.count() == 1


def test_tcm_is_judged_from_the_transition(alice_rn):
    """No discharge in the month: nothing to bill; a discharge: at risk until the contact, medication
    reconciliation, decision complexity and visit are recorded in time, then 99496 (visit within 7 days, high)."""
    import datetime

    from django.utils import timezone

    from carecoord.transitions.tests.test_workflow import recent_stay
    from carecoord.transitions.workflow import (
        open_transition,
        record_face_to_face_visit,
        record_interactive_contact,
        record_medication_reconciliation,
        set_decision_complexity,
    )

    tcm = enrolled(alice_rn, "medicare-tcm")
    nothing = judge_month(enrollment=tcm, month=THIS_MONTH)
    assert nothing.status == Readiness.NOT_BILLABLE and "No discharge" in nothing.reasons[0]
    transition = open_transition(encounter=recent_stay(tcm.patient, alice_rn), enrollment=tcm)
    assert transition is not None
    month = transition.discharge_date
    waiting = judge_month(enrollment=tcm, month=month)
    assert waiting.status == Readiness.AT_RISK and "99496 possible if the visit happens by" in waiting.reasons[0]
    assert any("decision complexity" in m for m in waiting.missing)
    today = timezone.localdate()
    record_interactive_contact(
        transition=transition,
        occurred_at=timezone.now() - datetime.timedelta(minutes=5),
        method="telephone",
        with_whom="patient",
        successful=True,
        by=alice_rn,
    )
    record_medication_reconciliation(transition=transition, on=today, by=alice_rn)
    set_decision_complexity(transition=transition, complexity="high", by=alice_rn)
    record_face_to_face_visit(transition=transition, on=today, by=alice_rn, provider="Dr. Levy")
    billed = judge_month(enrollment=tcm, month=month)
    assert billed.status == Readiness.BILLABLE and billed.code_text == "99496"


def test_a_month_outside_the_enrollment_is_not_billable(alice_rn):
    hh = enrolled(alice_rn, "ny-hh-adult", start=THIS_MONTH)
    assert judge_month(enrollment=hh, month=PAST_MONTH).reasons == ["The person was not enrolled this month."]


def test_the_rule_table_is_overridable_by_a_setting(alice_rn, settings):
    settings.CONTACTS_BILLING_RULES = {"programs": {"medicare-ccm": {"families": [
        {"name": "CCM", "staff": "clinical", "base": {"code": "99490", "minutes": 20},
         "addon": {"code": "99439", "minutes": 20, "max_units": 1}},
    ]}}}  # fmt: skip
    ccm = enrolled(alice_rn, "medicare-ccm")
    minutes_in(ccm, alice_rn, 60)
    assert _codes(judge_month(enrollment=ccm, month=PAST_MONTH)) == [("99490", 1), ("99439", 1)]
