"""Care plan pages over HTTP: the chart panel, the plan page and its forms (errors as form errors), history and
past versions, sign-off, the printed plan in English and Spanish, and outsiders."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from carecoord.audit.models import AuditRecord
from carecoord.careplans.actions import GoalData, add_goal, sign_plan
from carecoord.careplans.models import CarePlan, CarePlanStatus, Goal
from carecoord.clinical.actions import ObservationData, Quantity, record_observation
from carecoord.tasks.actions import TaskData, create_task
from carecoord.tasks.models import TaskKind, TaskStatus
from carecoord.web.testing import plain_static_files, signed_in  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(client, alice_rn):
    return signed_in(client, alice_rn)


def _goal_post(**extra):
    return {
        "goal-description": "HbA1c below 8%",
        "goal-own_words": "Quiero estar sana para mis nietos",
        "goal-measure_code": "4548-4",
        "goal-comparator": "<",
        "goal-target_value": "8",
        "goal-target_unit": "%",
        "goal-due_date": "2027-06-30",
        "goal-status": "active",
        **extra,
    }


def test_chart_panel_starts_a_plan_and_then_summarises_it(alice, maria, enrollment):
    page = alice.get(f"/patients/{maria.pk}/").content.decode()
    assert 'id="care-plan"' in page and "No care plan yet" in page and "Start a plan" in page
    assert "NY Health Home (adult)" in page
    response = alice.post(f"/careplans/start/{maria.pk}/", {"enrollment": str(enrollment.pk)})
    plan = CarePlan.objects.get(patient=maria)
    assert response.status_code == 302 and response["Location"] == f"/careplans/{plan.pk}/"
    assert plan.enrollment == enrollment
    alice.post(f"/careplans/{plan.pk}/goals/", _goal_post())
    page = alice.get(f"/patients/{maria.pk}/").content.decode()
    assert "Open plan" in page and "HbA1c below 8%" in page and "Working on it" in page
    assert "Not signed yet" in page and "Review due" in page


def test_plan_page_adds_goals_and_shows_the_latest_value(alice, alice_rn, plan, maria):
    response = alice.post(f"/careplans/{plan.pk}/goals/", _goal_post())
    assert response.status_code == 302 and response["Location"].endswith("#goals")
    record_observation(
        patient=maria,
        data=ObservationData(
            code="4548-4",
            value=Quantity(Decimal("7.4"), "%"),
            effective_at=timezone.now() - datetime.timedelta(days=2),
        ),
        by=alice_rn,
    )
    page = alice.get(f"/careplans/{plan.pk}/").content.decode()
    assert "“Quiero estar sana para mis nietos”" in page
    assert "Latest: <strong>7.4%</strong>" in page and "Meets target" in page
    assert "Hemoglobin A1c below <strong>8%</strong>" in page


def test_domain_errors_come_back_as_form_errors(alice, plan):
    response = alice.post(f"/careplans/{plan.pk}/goals/", _goal_post(**{"goal-measure_code": "A1C"}))
    assert response.status_code == 422
    page = response.content.decode()
    assert "A1C is not a LOINC code" in page and 'class="error-summary"' in page
    assert not Goal.objects.exists()
    goal = add_goal(plan=plan, data=GoalData(description="Walk every day"), by=plan.created_by)
    response = alice.post(f"/careplans/goals/{goal.pk}/status/", {f"gs-{goal.pk.hex}-status": "completed"})
    assert response.status_code == 422 and "cannot become completed" in response.content.decode()


def test_coordinators_cannot_set_clinical_goals_or_sign_as_clinician(client, bob_coordinator, plan):
    bob = signed_in(client, bob_coordinator)
    assert bob.post(f"/careplans/{plan.pk}/goals/", _goal_post()).status_code == 403
    add_goal(plan=plan, data=GoalData(description="Stable housing"), by=plan.created_by)
    assert bob.post(f"/careplans/{plan.pk}/sign/", {"sign-signer_kind": "licensed-clinician"}).status_code == 403
    response = bob.post(
        f"/careplans/{plan.pk}/sign/",
        {"sign-signer_kind": "person", "sign-method": "verbal", "sign-signer_name": "María José García"},
    )
    assert response.status_code == 422 and "needs a witness" in response.content.decode()


def test_sign_off_state_history_and_a_past_version(alice, alice_rn, bob_coordinator, plan):
    goal = add_goal(plan=plan, data=GoalData(description="Stable housing", own_words="Mi propio lugar"), by=alice_rn)
    sign_plan(plan=plan, signer_kind="person", method="in-person", signer_name="María José García", by=alice_rn)
    assert alice.post(f"/careplans/{plan.pk}/sign/", {"sign-signer_kind": "care-manager"}).status_code == 302
    plan.refresh_from_db()
    assert plan.status == CarePlanStatus.ACTIVE
    page = alice.get(f"/careplans/{plan.pk}/").content.decode()
    assert "Signed</strong> by the person and Alice Nguyen on" in page
    alice.post(f"/careplans/goals/{goal.pk}/status/", {f"gs-{goal.pk.hex}-status": "active"})
    page = alice.get(f"/careplans/{plan.pk}/").content.decode()
    assert "Changed since signed" in page
    history = alice.get(f"/careplans/{plan.pk}/versions/").content.decode()
    assert "Goal “Stable housing”: status proposed → active" in history and "Alice Nguyen" in history
    old = alice.get(f"/careplans/{plan.pk}/versions/2/").content.decode()
    assert "Past version" in old and "Stable housing" in old and "proposed" in old
    first = alice.get(f"/careplans/{plan.pk}/versions/1/").content.decode()
    assert "Stable housing" not in first
    assert alice.get(f"/careplans/{plan.pk}/versions/99/").status_code == 404


def test_review_and_a_suggestion_from_the_page(alice, alice_rn, agency, maria, plan):
    alice.post(f"/careplans/{plan.pk}/review/schedule/", {"schedule-due": ""})
    alice.post(f"/careplans/{plan.pk}/review/schedule/", {"schedule-due": ""})
    review = maria.tasks.get(reason="careplan-review")
    alice.post(f"/careplans/{plan.pk}/review/complete/", {"review-note": "Goals still right"})
    review.refresh_from_db()
    assert review.status == TaskStatus.COMPLETED
    suggestion = create_task(
        data=TaskData(
            organization_id=agency.pk,
            title="Suggested care plan problem: Housing instability",
            kind=TaskKind.CARE_PLAN,
            patient=maria,
            owner=alice_rn,
            reason="problem-housing-instability",
        ),
        by=alice_rn,
    )
    assert "Suggested by screenings" in alice.get(f"/careplans/{plan.pk}/").content.decode()
    alice.post(f"/careplans/{plan.pk}/suggestions/{suggestion.pk}/")
    assert plan.problems.get().reference == "housing-instability"


def _printable(plan, alice_rn):
    add_goal(
        plan=plan,
        data=GoalData(
            description="Stable housing",
            own_words="A place of my own",
            measure_text="Housed",
            due_date=datetime.date(2027, 6, 30),
        ),
        by=alice_rn,
    )


def test_print_in_english(alice, alice_rn, plan):
    _printable(plan, alice_rn)
    response = alice.get(f"/careplans/{plan.pk}/print/?lang=en")
    page = response.content.decode()
    assert response["Content-Language"] == "en" and '<html lang="en">' in page
    assert "My care plan" in page and "“A place of my own”" in page and "June 30, 2027" in page
    assert "Who to call" in page and "Alice Nguyen" in page and "Brooklyn Care Partners" in page
    assert "We will look at this plan together again by" in page
    assert "@media print" not in page  # print styles live in the stylesheet
    assert "careplans/careplans.css" in page


def test_print_in_spanish(alice, alice_rn, plan):
    _printable(plan, alice_rn)
    response = alice.get(f"/careplans/{plan.pk}/print/?lang=es")
    page = response.content.decode()
    assert response["Content-Language"] == "es" and '<html lang="es">' in page
    assert "Mi plan de cuidado" in page and "Mis metas" in page and "A quién llamar" in page
    assert "30 de junio de 2027" in page and "Propuesto" in page
    assert "My care plan" not in page


def test_print_defaults_to_the_persons_language(alice, plan):
    plan.preferred_language = "es"
    plan.save(update_fields=["preferred_language"])
    assert alice.get(f"/careplans/{plan.pk}/print/")["Content-Language"] == "es"


def test_outsiders_get_403_and_the_refusal_is_audited(client, eve_outsider, plan):
    eve = signed_in(client, eve_outsider)
    for url in (
        f"/careplans/{plan.pk}/",
        f"/careplans/{plan.pk}/print/?lang=es",
        f"/careplans/{plan.pk}/versions/",
        f"/careplans/{plan.pk}/versions/1/",
    ):
        assert eve.get(url).status_code == 403, url
    assert eve.post(f"/careplans/{plan.pk}/goals/", _goal_post()).status_code == 403
    denied = AuditRecord.objects.filter(object_type="CarePlan", object_id=str(plan.pk), outcome="denied")
    assert denied.count() >= 5


def test_plan_reads_are_audited(alice, plan, maria):
    alice.get(f"/careplans/{plan.pk}/")
    read = AuditRecord.objects.filter(object_type="CarePlan", object_id=str(plan.pk), action="read").latest("id")
    assert read.patient_id == maria.pk and read.outcome == "success"
