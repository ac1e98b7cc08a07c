"""In the browser (issue 5): a care manager opens the day view, completes a task from it, adds a goal with a
measured target to the person's plan and prints the plan. Screenshot of the print view: /tmp/careplan_print.png."""

from __future__ import annotations

import datetime
import os

import pytest
from django.utils import timezone

from carecoord.careplans.actions import start_care_plan
from carecoord.careplans.models import Goal
from carecoord.dayview.tests.builders import person_on_caseload, task
from carecoord.tasks.models import Task, TaskStatus
from carecoord.testing.factories import make_organization, make_user
from carecoord.web.testing import plain_static_files  # noqa: F401
from carecoord.web.tests.test_browser import browser, page, sign_in  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def test_day_view_task_then_a_goal_with_a_target_then_the_printed_plan(page, live_server):  # noqa: F811
    agency = make_organization("Brooklyn Care Partners", "care_management_agency")
    alice = make_user("alice_rn", role="licensed_care_manager", organization=agency, licensed=True, first_name="Alice")
    enrollment = person_on_caseload(alice, family_name="García", given_names="María José")
    maria = enrollment.patient
    plan = start_care_plan(patient=maria, by=alice, enrollment=enrollment)
    call = task(
        alice,
        "Call María about the housing application",
        patient=maria,
        due=timezone.now() - datetime.timedelta(hours=26),
    )

    sign_in(page, live_server.url, alice)
    page.goto(f"{live_server.url}/today/")
    row = page.locator("tr[data-item]", has_text="Call María about the housing application")
    assert "overdue since" in row.inner_text()
    row.locator("td.why a").click()
    page.wait_for_url(f"**/tasks/{call.pk}/")
    page.get_by_role("button", name="Complete", exact=True).click()
    page.wait_for_load_state()
    call.refresh_from_db()
    assert call.status == TaskStatus.COMPLETED
    page.goto(f"{live_server.url}/today/")
    assert page.locator("tr[data-item]", has_text="Call María about the housing application").count() == 0

    page.goto(f"{live_server.url}/careplans/{plan.pk}/")
    page.locator("#add-goal summary").click()
    goal_form = page.locator("#add-goal form")
    goal_form.locator("#id_goal-description").fill("HbA1c below 8% by June")
    goal_form.get_by_label("In the person's words").fill("I want my sugar under control so I can keep working")
    goal_form.get_by_label("Measure (LOINC)").fill("4548-4")
    goal_form.get_by_label("Target", exact=True).select_option("<")
    goal_form.get_by_label("Value", exact=True).fill("8")
    goal_form.get_by_label("Unit", exact=True).fill("%")
    goal_form.get_by_label("By", exact=True).fill(f"{timezone.localdate().year + 1}-06-30")
    goal_form.get_by_role("button", name="Add goal").click()
    page.wait_for_load_state()
    goal = Goal.objects.get(plan=plan)
    assert (goal.measure_code, goal.comparator, goal.target_value) == ("4548-4", "<", 8)
    assert "HbA1c below 8% by June" in page.locator("main").inner_text()

    page.goto(f"{live_server.url}/careplans/{plan.pk}/print/")
    printed = page.locator("body").inner_text()
    assert "HbA1c below 8% by June" in printed and "I want my sugar under control" in printed
    assert "García" in printed
    size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert size >= 16, size  # large type for the person
    page.emulate_media(media="print")
    page.screenshot(path="/tmp/careplan_print.png", full_page=True)
    assert Task.objects.filter(pk=call.pk, status=TaskStatus.COMPLETED).exists()
    assert page.console_errors == []
