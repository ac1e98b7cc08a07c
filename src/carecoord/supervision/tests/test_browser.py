"""In the browser: a supervisor reads the team table, opens a member's tasks from a count, ticks tasks with the
keyboard, moves them (one is refused and reported), then reads the productivity chart. Screenshots go to
/tmp/team_*.png."""

from __future__ import annotations

import os

import pytest

from carecoord.contacts.tests.helpers import contact, enrolled
from carecoord.supervision.tests.helpers import make_crew, task
from carecoord.tasks.models import Task
from carecoord.web.testing import plain_static_files  # noqa: F401  (serve the files as they are, not a stale manifest)
from carecoord.web.tests.test_browser import browser, page, sign_in  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def test_supervisor_moves_a_members_tasks_by_keyboard(page, live_server):  # noqa: F811
    crew = make_crew()
    held = enrolled(crew.alice, "ny-hh-adult", care_manager=crew.alice, acuity="high")
    enrolled(crew.alice, "ny-hh-adult", care_manager=crew.alice, acuity="medium")
    enrolled(crew.bob, "ny-hh-adult", care_manager=crew.bob, acuity="low")
    contact(held, crew.alice, minutes=25, services=("care-management", "care-coordination"))
    task(crew.alice, "Call back about the pharmacy", due_in_days=-1)
    task(crew.alice, "Send the signed plan", due_in_days=3)
    task(crew.alice, "Reconcile medications", requires_license=True, priority="urgent", due_in_days=1)
    task(crew.bob, "PHQ-9 item 9 follow-up", kind="safety", priority="stat", due_in_days=-0.2)
    base = live_server.url

    sign_in(page, base, crew.sam)
    page.click("nav.mainnav >> text=Team")
    page.wait_for_selector("table.team-table")
    page.screenshot(path="/tmp/team_workload.png", full_page=True)
    page.click(f"a[aria-label='3 open tasks, {crew.alice.get_full_name()}']")
    page.wait_for_selector("[data-select-tasks]")
    assert page.locator("[data-pick]").count() == 3

    page.locator("h1").first.click()
    page.keyboard.press("j")  # the first row: its link has the focus
    page.keyboard.press(" ")  # ticks that row
    assert page.locator("[data-selected-count]").inner_text() == "1"
    page.keyboard.press("Control+a")  # every row
    assert page.locator("[data-selected-count]").inner_text() == "3"
    page.select_option("#to", label="Bob Brown")
    page.screenshot(path="/tmp/team_tasks.png", full_page=True)
    page.click("text=Review the move…")
    page.wait_for_selector("text=Move 3 tasks to Bob Brown?")
    page.screenshot(path="/tmp/team_confirm.png", full_page=True)
    page.keyboard.press("Enter")  # the confirm button has the focus
    page.wait_for_selector(".messages")
    said = page.locator(".messages").inner_text()
    assert "Moved 2 tasks to Bob Brown." in said
    assert "Not moved: “Reconcile medications”" in said
    page.screenshot(path="/tmp/team_moved.png", full_page=True)
    owners = dict(Task.objects.values_list("title", "owner__username"))
    assert owners["Reconcile medications"] == "alice_rn"
    assert owners["Call back about the pharmacy"] == owners["Send the signed plan"] == "bob_cm"

    page.goto(f"{base}/team/productivity/")
    page.wait_for_selector("svg.chart")
    assert "1 contact" in page.locator("svg.chart desc").text_content()
    page.screenshot(path="/tmp/team_productivity.png", full_page=True)
    assert page.console_errors == []
