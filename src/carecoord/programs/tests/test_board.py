"""The enrollment board: each person in the right column, with the rule status that matters, in few queries."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from carecoord.consents.actions import ConsentData, record_consent
from carecoord.programs.actions import (
    AttemptData,
    accept_referral,
    claim_outreach_month,
    end_enrollment,
    enroll,
    record_outreach_attempt,
    refer_to_program,
)
from carecoord.programs.board import enrollment_board, outreach_rule_status
from carecoord.programs.models import OutreachMonth, Program
from carecoord.programs.rules import add_months, month_start
from carecoord.testing.factories import make_patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def hh():
    return Program.objects.get(code="ny-hh-adult")


def _attempt(patient, program, by, *, method="phone", when=None):
    return record_outreach_attempt(
        patient=patient,
        program=program,
        data=AttemptData(method=method, outcome="no_answer", attempted_at=when or timezone.now()),
        by=by,
    )


def _consent(patient, by, *organizations, signed_on=None):
    return record_consent(
        patient=patient,
        data=ConsentData(form="DOH-5055", signed_on=signed_on or timezone.localdate(), partners=list(organizations)),
        by=by,
    )


def _columns(organization, **kwargs):
    return {column.stage: column for column in enrollment_board(organization_id=organization.pk, **kwargs)}


def _names(column):
    return [card.name for card in column.cards]


def _last_month_noon():
    first = month_start(timezone.localdate())
    previous = add_months(first, -1)
    return timezone.make_aware(datetime.datetime.combine(previous + datetime.timedelta(days=10), datetime.time(12)))


@pytest.fixture
def pipeline(hh, agency, other_agency, alice_rn, bob_coordinator, sam_supervisor, eve_outsider):
    """One person per stage at the agency, and one at another agency that must not show."""
    people = {}
    # Referred: a referral waiting for a decision, and an accepted one (assignment segment, no outreach yet).
    people["waiting"] = make_patient(bob_coordinator, family_name="Waiting", given_names="Wanda")
    refer_to_program(patient=people["waiting"], program=hh, receiving_organization=agency, source="provider", by=None)
    people["assigned"] = make_patient(bob_coordinator, family_name="Assigned", given_names="Ada")
    referral = refer_to_program(
        patient=people["assigned"], program=hh, receiving_organization=agency, source="provider", by=None
    )
    accept_referral(referral=referral, by=bob_coordinator)
    # Outreach: billed last month, only a phone call this month (second month in a row needs in person).
    people["second"] = make_patient(bob_coordinator, family_name="Second", given_names="Sol")
    _attempt(people["second"], hh, bob_coordinator, when=_last_month_noon())
    _claim, verdict = claim_outreach_month(
        patient=people["second"], program=hh, month=_last_month_noon().date(), by=bob_coordinator
    )
    assert verdict.billable, verdict.reason
    _attempt(people["second"], hh, bob_coordinator)
    # Outreach with a consent that lists only another agency: still outreach here.
    people["elsewhere"] = make_patient(bob_coordinator, family_name="Elsewhere", given_names="Eli")
    _attempt(people["elsewhere"], hh, bob_coordinator)
    _consent(people["elsewhere"], bob_coordinator, other_agency)
    # Consented: outreach, and a DOH-5055 listing the agency.
    people["consented"] = make_patient(bob_coordinator, family_name="Consented", given_names="Cora")
    _attempt(people["consented"], hh, bob_coordinator)
    _consent(people["consented"], bob_coordinator, agency)
    # Enrolled, with and without a care manager.
    people["managed"] = make_patient(bob_coordinator, family_name="Managed", given_names="Mo")
    _consent(people["managed"], bob_coordinator, agency)
    enroll(patient=people["managed"], program=hh, by=sam_supervisor, care_manager=alice_rn, acuity="high")
    people["orphan"] = make_patient(bob_coordinator, family_name="Orphan", given_names="Otto")
    _consent(people["orphan"], bob_coordinator, agency)
    enroll(patient=people["orphan"], program=hh, by=sam_supervisor)
    # Closed: enrolled, then graduated last week.
    people["graduated"] = make_patient(bob_coordinator, family_name="Graduated", given_names="Gus")
    start = timezone.localdate() - datetime.timedelta(days=20)
    _consent(people["graduated"], bob_coordinator, agency, signed_on=start)
    episode = enroll(patient=people["graduated"], program=hh, by=sam_supervisor, start_date=start)
    end_enrollment(
        enrollment=episode,
        end_date=timezone.localdate() - datetime.timedelta(days=7),
        reason="graduated",
        by=sam_supervisor,
    )
    # Another agency's outreach never shows on this agency's board.
    people["theirs"] = make_patient(eve_outsider, family_name="Theirs", given_names="Tia")
    _attempt(people["theirs"], hh, eve_outsider)
    return people


def test_each_person_in_one_column(pipeline, agency):
    columns = _columns(agency)
    assert [c.stage for c in enrollment_board(organization_id=agency.pk)] == [
        "referred",
        "outreach",
        "consented",
        "enrolled",
        "closed",
    ]
    assert sorted(_names(columns["referred"])) == ["Assigned, Ada", "Waiting, Wanda"]
    assert sorted(_names(columns["outreach"])) == ["Elsewhere, Eli", "Second, Sol"]
    assert _names(columns["consented"]) == ["Consented, Cora"]
    assert sorted(_names(columns["enrolled"])) == ["Managed, Mo", "Orphan, Otto"]
    assert _names(columns["closed"]) == ["Graduated, Gus"]
    assert {stage: column.count for stage, column in columns.items()} == {
        "referred": 2,
        "outreach": 2,
        "consented": 1,
        "enrolled": 2,
        "closed": 1,
    }


def test_rule_status_says_what_matters(pipeline, agency):
    columns = _columns(agency)
    cards = {card.name: card for column in columns.values() for card in column.cards}
    second = cards["Second, Sol"]
    assert second.rule_status == "Outreach month 2 in a row: in-person attempt needed"
    assert "1 of 4 outreach months used" in second.flags
    assert "Consent missing" in second.flags
    assert cards["Elsewhere, Eli"].rule_status == "0 of 4 outreach months used; this month can be billed"
    assert cards["Orphan, Otto"].rule_status == "No care manager"
    assert "Acuity not set" in cards["Orphan, Otto"].flags
    managed = cards["Managed, Mo"]
    assert (managed.rule_status, managed.care_manager_name) == ("Enrolled", "Alice Nguyen")
    assert cards["Waiting, Wanda"].rule_status.startswith("Referral waiting for a decision")
    assert cards["Assigned, Ada"].rule_status == "Assigned: outreach not started"
    assert cards["Consented, Cora"].rule_status == "Consent signed: ready to enroll"
    assert cards["Graduated, Gus"].rule_status == "Ended: Goals met (graduated)"


def test_filters_by_care_manager_and_program(pipeline, agency, alice_rn):
    columns = _columns(agency, care_manager_id=alice_rn.pk)
    assert _names(columns["enrolled"]) == ["Managed, Mo"]
    assert columns["enrolled"].count == 1
    assert columns["outreach"].count == 0
    other = _columns(agency, program_code="medicare-ccm")
    assert sum(column.count for column in other.values()) == 0
    unknown = _columns(agency, program_code="no-such-program")
    assert sum(column.count for column in unknown.values()) == 0


def test_cards_are_limited_but_counts_are_not(pipeline, agency):
    columns = _columns(agency, limit=1)
    assert columns["referred"].count == 2
    assert len(columns["referred"].cards) == 1
    assert len(columns["outreach"].cards) == 1


def test_closed_window(pipeline, agency):
    assert _columns(agency, closed_days=3)["closed"].count == 0


def test_query_count_does_not_grow_with_people(pipeline, agency, django_assert_max_num_queries):
    with django_assert_max_num_queries(13):
        enrollment_board(organization_id=agency.pk)


def test_outreach_rules_in_words(hh):
    month = datetime.date(2026, 6, 1)
    may, april, march = (add_months(month, -n) for n in (1, 2, 3))
    assert outreach_rule_status(hh, {may, april}, ["phone"], month)[0].startswith("Outreach month 3 in a row")
    text, flags = outreach_rule_status(
        hh, {march, datetime.date(2025, 12, 1), datetime.date(2026, 1, 1), april}, [], month
    )
    assert text == "4 of 4 outreach months used: no billable outreach left this year"
    assert "Outreach limit reached" in flags
    assert (
        outreach_rule_status(hh, {may}, ["in_person"], month)[0]
        == "1 of 4 outreach months used; this month can be billed"
    )
    assert outreach_rule_status(hh, set(), ["mail"], month)[0] == "Mail only this month: a call or visit is needed"
    assert outreach_rule_status(hh, set(), [], month)[0] == "No outreach attempt yet this month"
    assert OutreachMonth.objects.count() == 0


def test_program_without_required_consent(agency, bob_coordinator):
    """No consent is required: nobody is 'consented' and an assignment stays referred until enrollment."""
    program = Program.objects.get(code="complex-care")
    person = make_patient(bob_coordinator, family_name="Complex", given_names="Cy")
    referral = refer_to_program(
        patient=person, program=program, receiving_organization=agency, source="provider", by=None
    )
    accept_referral(referral=referral, by=bob_coordinator)
    columns = _columns(agency, program_code="complex-care")
    assert _names(columns["referred"]) == ["Complex, Cy"]
    assert columns["referred"].cards[0].flags == []
    assert columns["consented"].count == 0
