"""Caseload reads for supervisors: team sizes, acuity mix, limits, coverage, and who could take a person."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from carecoord.accounts.actions import update_user
from carecoord.consents.actions import ConsentData, record_consent
from carecoord.programs.actions import cover_caseload, enroll
from carecoord.programs.caseload import (
    caseload_summary,
    count_unassigned,
    suggest_care_managers,
    suggest_for,
    unassigned_enrollments,
)
from carecoord.programs.models import Program
from carecoord.testing.factories import make_patient, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def hh():
    program = Program.objects.get(code="ny-hh-adult")
    program.caseload_limit = 2  # a small team-sized limit, as an org admin might set
    program.save(update_fields=["caseload_limit"])
    return program


@pytest.fixture
def team(agency, alice_rn, sam_supervisor):
    update_user(user=alice_rn, by=None, languages=["en", "es"])
    carl = make_user("carl_cm", role="care_manager", organization=agency, first_name="Carl", last_name="Ortiz")
    update_user(user=carl, by=None, languages=["en", "es-US"])
    dina = make_user("dina_cm", role="care_manager", organization=agency, first_name="Dina", last_name="Baker")
    return {"alice": alice_rn, "carl": carl, "dina": dina, "sam": sam_supervisor}


def _enrolled(by, program, *, care_manager=None, acuity="", clinical_need=False, **patient):
    person = make_patient(by, **patient)
    record_consent(
        patient=person,
        data=ConsentData(form="DOH-5055", signed_on=timezone.localdate(), partners=[by.organization]),
        by=by,
    )
    return enroll(
        patient=person,
        program=program,
        by=by,
        care_manager=care_manager,
        acuity=acuity,
        clinical_need=clinical_need,
    )


@pytest.fixture
def caseloads(hh, team):
    sam = team["sam"]
    for acuity in ("high", "high", "low"):
        _enrolled(sam, hh, care_manager=team["alice"], acuity=acuity)
    _enrolled(sam, hh, care_manager=team["carl"], acuity="medium")
    return team


def _rows(agency, **kwargs):
    return {row.name: row for row in caseload_summary(organization_id=agency.pk, **kwargs)}


def test_summary_counts_acuity_and_limit(caseloads, agency):
    rows = _rows(agency)
    alice, carl, dina = rows["Alice Nguyen"], rows["Carl Ortiz"], rows["Dina Baker"]
    assert (alice.active, alice.by_acuity, alice.caseload_limit) == (3, {"high": 2, "low": 1}, 2)
    assert alice.over_limit and alice.licensed and alice.role_label == "Licensed care manager"
    assert (carl.active, carl.by_acuity, carl.over_limit, carl.licensed) == (1, {"medium": 1}, False, False)
    assert (dina.active, dina.caseload_limit, dina.over_limit) == (0, None, False)
    assert [row.name for row in caseload_summary(organization_id=agency.pk)][:2] == ["Alice Nguyen", "Carl Ortiz"]
    assert "Bob Okafor" not in rows or rows["Bob Okafor"].active == 0


def test_summary_filters_by_program(caseloads, agency):
    rows = _rows(agency, program_code="medicare-ccm")
    assert all(row.active == 0 for row in rows.values())


def test_summary_shows_coverage_both_ways(caseloads, agency):
    today = timezone.localdate()
    cover_caseload(
        care_manager=caseloads["carl"],
        covered_by=caseloads["dina"],
        start_date=today,
        end_date=today + datetime.timedelta(days=14),
        reason="Vacation",
        by=caseloads["sam"],
    )
    rows = _rows(agency)
    carl, dina = rows["Carl Ortiz"], rows["Dina Baker"]
    assert [(c.other_name, c.reason) for c in carl.covered_by] == [("Dina Baker", "Vacation")]
    assert [c.other_name for c in dina.covering] == ["Carl Ortiz"]
    assert carl.away is not None and dina.away is None


def test_summary_is_a_few_statements(caseloads, agency, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        caseload_summary(organization_id=agency.pk)


def test_unassigned_enrollments(caseloads, hh, agency):
    waiting = _enrolled(caseloads["sam"], hh, family_name="Unassigned")
    found = unassigned_enrollments(organization_id=agency.pk)
    assert [e.pk for e in found] == [waiting.pk]
    assert count_unassigned(organization_id=agency.pk) == 1


def test_licensed_care_manager_is_a_hard_filter(caseloads, hh, agency):
    person = _enrolled(caseloads["sam"], hh, clinical_need=True)
    suggestions = suggest_care_managers(person)
    assert [s.user.username for s in suggestions] == ["alice_rn"]
    assert "Licensed, as this person needs" in suggestions[0].reasons


def test_program_needing_licensed_staff_is_a_hard_filter(caseloads, hh, agency):
    hh.needs_licensed_care_manager = True
    hh.save(update_fields=["needs_licensed_care_manager"])
    person = _enrolled(caseloads["sam"], hh)
    assert {s.user.username for s in suggest_care_managers(person)} == {"alice_rn"}


def test_language_and_room_rank_first(caseloads, hh, agency):
    spanish = _enrolled(caseloads["sam"], hh, preferred_language="es")
    ranked = suggest_care_managers(spanish)
    names = [s.user.username for s in ranked]
    # Carl speaks Spanish and has room; Dina has room but no Spanish; Alice speaks Spanish but is over the limit.
    assert names.index("carl_cm") < names.index("dina_cm")
    assert names.index("carl_cm") < names.index("alice_rn")
    carl = ranked[names.index("carl_cm")]
    assert "Speaks Spanish" in carl.reasons
    assert "Room for 1 more (1 of 2)" in carl.reasons
    alice = ranked[names.index("alice_rn")]
    assert "At or over the limit (3 of 2)" in alice.reasons


def test_smaller_caseload_wins_when_all_else_is_equal(caseloads, hh, agency):
    english = _enrolled(caseloads["sam"], hh, preferred_language="en", interpreter_needed=False)
    names = [s.user.username for s in suggest_care_managers(english)]
    assert names.index("dina_cm") < names.index("carl_cm")


def test_away_care_manager_drops_down(caseloads, hh, agency):
    today = timezone.localdate()
    cover_caseload(
        care_manager=caseloads["carl"],
        covered_by=caseloads["dina"],
        start_date=today,
        end_date=today + datetime.timedelta(days=7),
        reason="Leave",
        by=caseloads["sam"],
    )
    spanish = _enrolled(caseloads["sam"], hh, preferred_language="es")
    ranked = suggest_care_managers(spanish)
    carl = next(s for s in ranked if s.user.username == "carl_cm")
    assert any(reason.startswith("Away, covered until") for reason in carl.reasons)
    assert ranked[0].user.username != "carl_cm"


def test_suggestions_for_many_take_fixed_statements(caseloads, hh, agency, django_assert_max_num_queries):
    people = [_enrolled(caseloads["sam"], hh) for _ in range(4)]
    found = unassigned_enrollments(organization_id=agency.pk)
    with django_assert_max_num_queries(5):
        suggestions = suggest_for(found, limit=3)
    assert set(suggestions) == {p.pk for p in people}
    assert all(len(picks) == 3 for picks in suggestions.values())


def test_suggestions_from_the_page_summary_match_and_cost_one_statement(
    caseloads, hh, agency, django_assert_max_num_queries
):
    person = _enrolled(caseloads["sam"], hh, preferred_language="es")
    team = caseload_summary(organization_id=agency.pk)
    fresh = suggest_for([person], limit=5)[person.pk]
    with django_assert_max_num_queries(1):
        reused = suggest_for([person], limit=5, team=team)[person.pk]
    assert [(s.user.pk, s.score, s.reasons) for s in reused] == [(s.user.pk, s.score, s.reasons) for s in fresh]
