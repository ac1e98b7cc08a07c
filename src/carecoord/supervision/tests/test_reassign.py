"""Bulk reassignment from the team's task list: review, confirm, and a per-task report of what could not move."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from carecoord.accounts.actions import update_user
from carecoord.audit.models import AuditRecord
from carecoord.supervision.tests.helpers import make_crew, task
from carecoord.tasks.actions import licensed_queue
from carecoord.web.testing import plain_static_files, signed_in  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def crew():
    return make_crew()


def test_the_list_filters_by_owner_overdue_and_priority(client, crew):
    task(crew.alice, "Call back", due_in_days=2)
    task(crew.alice, "Send the plan", due_in_days=-1, priority="urgent")
    task(crew.bob, "Bob's overdue", due_in_days=-2)
    signed_in(client, crew.sam)
    url = reverse("supervision:tasks")

    def titles(**query):
        return [t.title for t in client.get(url, query).context["tasks"]]

    assert titles() == ["Send the plan", "Bob's overdue", "Call back"]  # overdue, then most urgent
    assert titles(owner=str(crew.alice.pk)) == ["Send the plan", "Call back"]
    assert titles(owner=str(crew.alice.pk), overdue="1") == ["Send the plan"]
    assert titles(priority="urgent") == ["Send the plan"]
    listing = AuditRecord.objects.filter(action="search", object_type="Task").order_by("-recorded_at").first()
    assert listing is not None and listing.detail["list"] == "team" and len(listing.detail["patients"]) == 1


def test_moving_tasks_reports_the_licensed_refusal_and_moves_the_rest(client, crew):
    first = task(crew.alice, "Call back", due_in_days=2)
    second = task(crew.alice, "Send the plan", due_in_days=-1)
    clinical = task(crew.alice, "Reconcile medications", requires_license=True)
    untouched = task(crew.alice, "Not chosen")
    chosen = [first.pk, second.pk, clinical.pk]
    signed_in(client, crew.sam)

    review = client.post(reverse("supervision:reassign"), {"task": chosen, "to": f"user:{crew.bob.pk}"})
    assert review.status_code == 200
    assert "Move 3 tasks to Bob Brown?" in review.content.decode()
    assert review.context["staying"] == {clinical.pk}  # warned before confirming
    assert set(crew.bob.owned_tasks.values_list("title", flat=True)) == set()  # nothing moves before confirming

    done = client.post(
        reverse("supervision:reassign"),
        {"task": chosen, "to": f"user:{crew.bob.pk}", "confirm": "1", "filters": f"owner={crew.alice.pk}"},
    )

    assert done.status_code == 302 and done["Location"] == f"{reverse('supervision:tasks')}?owner={crew.alice.pk}"
    owners = {t.title: t.owner_id for t in type(first).objects.all()}
    assert owners == {
        "Call back": crew.bob.pk,
        "Send the plan": crew.bob.pk,
        "Reconcile medications": crew.alice.pk,
        "Not chosen": crew.alice.pk,
    }
    clinical.refresh_from_db()
    assert (clinical.status, clinical.updated_at) == ("accepted", clinical.created_at)  # left exactly as it was
    said = [str(message) for message in get_messages(done.wsgi_request)]
    assert "Moved 2 tasks to Bob Brown." in said
    assert any(
        text.startswith("Not moved: “Reconcile medications”") and "needs a licensed user" in text for text in said
    )
    moves = AuditRecord.objects.filter(object_type="Task", action="update", detail__change="assign")
    assert sorted(record.object_id for record in moves) == sorted([str(first.pk), str(second.pk)])
    assert untouched.owner_id == crew.alice.pk


def test_tasks_go_to_a_queue(client, crew):
    queue = licensed_queue(crew.agency.pk)
    clinical = task(crew.alice, "Reconcile medications", requires_license=True)
    signed_in(client, crew.sam).post(
        reverse("supervision:reassign"), {"task": [clinical.pk], "to": f"queue:{queue.pk}", "confirm": "1"}
    )
    clinical.refresh_from_db()
    assert (clinical.owner_id, clinical.queue_id, clinical.status) == (None, queue.pk, "requested")


def test_a_task_outside_the_team_is_left_out(client, crew):
    theirs = task(crew.olga, "Olga's own")
    response = signed_in(client, crew.sam).post(
        reverse("supervision:reassign"), {"task": [theirs.pk], "to": f"user:{crew.bob.pk}", "confirm": "1"}
    )
    theirs.refresh_from_db()
    assert theirs.owner_id == crew.olga.pk
    assert any("moved off your team's list" in str(m) for m in get_messages(response.wsgi_request))


def test_nothing_chosen_or_no_target_is_explained(client, crew):
    mine = task(crew.alice, "Call back")
    signed_in(client, crew.sam)
    none = client.post(reverse("supervision:reassign"), {"to": f"user:{crew.bob.pk}"}, follow=True)
    assert "Choose the tasks to move" in none.content.decode()
    nowhere = client.post(
        reverse("supervision:reassign"), {"task": [mine.pk], "to": f"user:{crew.olga.pk}"}, follow=True
    )
    assert "Choose who should take the tasks" in nowhere.content.decode()
    mine.refresh_from_db()
    assert mine.owner_id == crew.alice.pk


def test_someone_who_left_stays_on_the_team_until_their_tasks_are_moved(client, crew):
    left = task(crew.alice, "Call back")
    update_user(user=crew.alice, by=None, is_active=False)
    update_user(user=crew.bob, by=None, is_active=False)  # left with nothing open: no longer listed
    signed_in(client, crew.sam)
    team = client.get(reverse("supervision:team"))
    assert [(line.name, line.role) for line in team.context["lines"]] == [
        ("Alice Nguyen", "Licensed care manager (has left)"),
        ("Sam Ortiz", "Supervisor"),
    ]
    client.post(reverse("supervision:reassign"), {"task": [left.pk], "to": f"user:{crew.sam.pk}", "confirm": "1"})
    left.refresh_from_db()
    assert left.owner_id == crew.sam.pk
    assert [line.name for line in client.get(reverse("supervision:team")).context["lines"]] == ["Sam Ortiz"]
