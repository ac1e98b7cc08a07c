"""The team workload page (/team/): figures per care manager from real records, who may see it, and that it
costs a fixed number of statements whatever the team's size."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from carecoord.accounts.actions import update_user
from carecoord.contacts.actions import refresh_current_month
from carecoord.contacts.tests.helpers import contact, enrolled
from carecoord.supervision.tests.helpers import make_crew, task
from carecoord.tasks.actions import set_task_status
from carecoord.testing.factories import make_user
from carecoord.web.testing import plain_static_files, signed_in  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def crew():
    return make_crew()


def _line(response, name):
    return next(line for line in response.context["lines"] if line.name.startswith(name))


def test_each_member_row_counts_caseload_tasks_and_the_billable_rate(client, crew):
    high = enrolled(crew.alice, "ny-hh-adult", care_manager=crew.alice, acuity="high")
    low = enrolled(crew.alice, "ny-hh-adult", care_manager=crew.alice, acuity="low")
    enrolled(crew.bob, "ny-hh-adult", care_manager=crew.bob)
    enrolled(crew.olga, "ny-hh-adult", care_manager=crew.olga, acuity="high")
    contact(high, crew.alice, minutes=20)  # a reached contact with a core service: this month is billable
    refresh_current_month(enrollments=[low])  # no contact yet: at risk
    task(crew.alice, "Call back", due_in_days=2)
    task(crew.alice, "Send the plan", due_in_days=-1)  # overdue
    set_task_status(task=task(crew.alice, "Done already", due_in_days=-3), status="completed", by=crew.alice)
    task(crew.bob, "PHQ-9 item 9", kind="safety", priority="stat", due_in_days=-0.1)
    task(crew.olga, "Not Sam's team", due_in_days=-5)

    response = signed_in(client, crew.sam).get(reverse("supervision:team"))

    assert response.status_code == 200
    alice, bob = _line(response, "Alice"), _line(response, "Bob")
    assert [line.name.split()[0] for line in response.context["lines"]] == ["Alice", "Bob", "Sam"]
    assert (alice.caseload.value, alice.open_tasks.value, alice.overdue_tasks.value, alice.safety_tasks.value) == (
        2,
        2,
        1,
        0,
    )
    assert (alice.billable, alice.assessed, alice.at_risk, alice.billable_rate) == (1, 2, 1, "50%")
    assert (bob.caseload.value, bob.open_tasks.value, bob.overdue_tasks.value, bob.safety_tasks.value) == (1, 1, 1, 1)
    assert bob.billable_rate == "—"  # nothing judged this month for Bob's person
    assert response.context["acuity"] == ["High", "Low", "Not set"]
    assert alice.acuity == [1, 1, 0] and bob.acuity == [0, 0, 1]
    totals = response.context["totals"]
    assert (totals.caseload.value, totals.open_tasks.value, totals.overdue_tasks.value) == (3, 3, 2)
    assert (totals.safety_tasks.value, totals.billable_rate, totals.at_risk) == (1, "50%", 1)
    # Each figure opens the list behind it.
    assert alice.overdue_tasks.url == f"{reverse('supervision:tasks')}?owner={crew.alice.pk}&overdue=1"
    assert bob.safety_tasks.url == f"{reverse('supervision:tasks')}?owner={crew.bob.pk}&kind=safety"
    assert alice.caseload.url == reverse("caseload:member", args=[crew.alice.pk])
    html = response.content.decode()
    assert "Olga" not in html and f'href="{alice.overdue_tasks.url.replace("&", "&amp;")}"' in html
    assert 'href="/team/"' in html  # the navigation's Team link
    assert f'href="{reverse("contacts:billing")}?month={timezone.localdate():%Y-%m}"' in html


def test_the_workload_is_read_in_a_fixed_number_of_statements(client, crew):
    signed_in(client, crew.sam)
    client.get(reverse("supervision:team"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("supervision:team"))
    for number in range(6):
        helper = make_user(f"helper{number}_cm", role="care_manager", organization=crew.agency)
        update_user(user=helper, by=None, supervisor=crew.sam)
        enrolled(helper, "ny-hh-adult", care_manager=helper, acuity="high")
        task(helper, "Follow up", due_in_days=-1)
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("supervision:team"))
    assert len(response.context["lines"]) == 9
    assert len(many.captured_queries) == len(few.captured_queries)


def test_an_administrator_sees_everyone_without_the_task_lists(client, crew):
    response = signed_in(client, crew.ada).get(reverse("supervision:team"))
    assert response.status_code == 200
    names = [line.name.split()[0] for line in response.context["lines"]]
    assert names == ["Alice", "Bob", "Olga", "Sam"]
    assert all(line.open_tasks.url == "" for line in response.context["lines"])
    assert signed_in(client, crew.ada).get(reverse("supervision:tasks")).status_code == 403


@pytest.mark.parametrize(
    "page", ["supervision:team", "supervision:tasks", "supervision:productivity", "supervision:productivity_csv"]
)
def test_a_care_manager_is_refused(client, crew, page):
    response = signed_in(client, crew.bob).get(reverse(page))
    assert response.status_code == 403
    assert 'href="/team/"' not in response.content.decode()


def test_a_care_manager_cannot_move_tasks(client, crew):
    moved = task(crew.alice, "Call back")
    response = signed_in(client, crew.bob).post(
        reverse("supervision:reassign"), {"task": [moved.pk], "to": f"user:{crew.bob.pk}", "confirm": "1"}
    )
    assert response.status_code == 403
    moved.refresh_from_db()
    assert moved.owner_id == crew.alice.pk


def test_a_supervisor_cannot_list_another_teams_tasks(client, crew):
    task(crew.olga, "Not Sam's team")
    response = signed_in(client, crew.sam).get(reverse("supervision:tasks"), {"owner": str(crew.olga.pk)})
    assert response.status_code == 403
    everyone = signed_in(client, crew.sam).get(reverse("supervision:tasks"))
    assert "Not Sam" not in everyone.content.decode()
