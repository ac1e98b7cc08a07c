"""Tasks through their actions and pages: ownership and licenses, FHIR status moves with reasons, queues, the
work list and the chart panel, and who may see what."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from carecoord.audit.models import AuditRecord
from carecoord.common.errors import AccessDenied, DomainError, ValidationFailed
from carecoord.tasks.actions import (
    TaskData,
    assign_task,
    comment_on_task,
    create_task,
    licensed_queue,
    set_task_status,
    take_task,
)
from carecoord.tasks.models import Task, TaskKind, TaskPriority, TaskStatus
from carecoord.tasks.queries import open_tasks
from carecoord.web.testing import plain_static_files, signed_in  # noqa: F401

pytestmark = pytest.mark.django_db


def _task(org, *, by=None, **extra):
    return create_task(data=TaskData(organization_id=org.pk, title=extra.pop("title", "Call back"), **extra), by=by)


def test_a_task_owned_by_someone_starts_accepted_and_is_audited(agency, alice_rn, maria):
    task = _task(agency, by=alice_rn, patient=maria, owner=alice_rn, due_at=timezone.now() + datetime.timedelta(days=1))
    assert task.status == TaskStatus.ACCEPTED
    audit = AuditRecord.objects.filter(object_type="Task", object_id=str(task.pk)).get()
    assert (audit.action, audit.patient_id) == ("create", maria.pk)


def test_queue_work_starts_requested_and_licensed_work_only_goes_to_the_licensed(
    agency, alice_rn, bob_coordinator, maria
):
    queue = licensed_queue(agency.pk)
    assert licensed_queue(agency.pk) == queue  # created once
    task = _task(agency, patient=maria, queue=queue, requires_license=True, kind=TaskKind.SAFETY)
    assert task.status == TaskStatus.REQUESTED
    with pytest.raises(ValidationFailed) as refused:
        _task(agency, patient=maria, owner=bob_coordinator, requires_license=True)
    assert "licensed" in refused.value.errors["owner"][0]
    with pytest.raises(AccessDenied):
        take_task(task=task, by=bob_coordinator)
    take_task(task=task, by=alice_rn)
    task.refresh_from_db()
    assert (task.owner_id, task.status) == (alice_rn.pk, TaskStatus.ACCEPTED)


def test_bad_input_names_the_field(agency, other_agency, alice_rn):
    with pytest.raises(ValidationFailed) as refused:
        create_task(data=TaskData(organization_id=agency.pk, title=" ", kind="nap", priority="whenever"), by=alice_rn)
    assert set(refused.value.errors) == {"title", "kind", "priority"}
    with pytest.raises(ValidationFailed) as refused:
        create_task(data=TaskData(organization_id=other_agency.pk, title="Theirs"), by=alice_rn)
    assert "organization" in refused.value.errors
    assert not Task.objects.exists()


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ([TaskStatus.IN_PROGRESS, TaskStatus.ON_HOLD, TaskStatus.IN_PROGRESS, TaskStatus.COMPLETED], True),
        ([TaskStatus.COMPLETED, TaskStatus.IN_PROGRESS], False),
        ([TaskStatus.CANCELLED, TaskStatus.COMPLETED], False),
        ([TaskStatus.ON_HOLD, TaskStatus.COMPLETED], False),
        ([TaskStatus.IN_PROGRESS, TaskStatus.FAILED], True),
        ([TaskStatus.ENTERED_IN_ERROR], True),
    ],
)
def test_status_follows_the_state_machine(agency, alice_rn, maria, path, allowed):
    task = _task(agency, patient=maria, owner=alice_rn)
    try:
        for status in path:
            set_task_status(task=task, status=status, by=alice_rn, reason="Because")
    except DomainError as error:
        assert not allowed, error
        assert error.code == "invalid-transition"
    else:
        assert allowed
        task.refresh_from_db()
        assert task.status == path[-1]
        assert (task.closed_at is None) == task.is_open


def test_holds_and_cancellations_need_a_reason_kept_as_a_comment(agency, alice_rn, maria):
    task = _task(agency, patient=maria, owner=alice_rn)
    with pytest.raises(ValidationFailed) as refused:
        set_task_status(task=task, status=TaskStatus.ON_HOLD, by=alice_rn)
    assert refused.value.errors == {"reason": ["Say why the task is on hold."]}
    set_task_status(task=task, status=TaskStatus.ON_HOLD, by=alice_rn, reason="In hospital until Friday")
    assert task.comments.get().text == "On hold: In hospital until Friday"


def test_only_a_licensed_user_completes_licensed_work(agency, alice_rn, bob_coordinator, maria):
    task = _task(agency, patient=maria, owner=alice_rn, requires_license=True)
    with pytest.raises(AccessDenied):
        set_task_status(task=task, status=TaskStatus.COMPLETED, by=bob_coordinator)
    set_task_status(task=task, status=TaskStatus.COMPLETED, by=alice_rn)
    assert not open_tasks(maria).exists()


def test_hand_over_and_outsiders(agency, alice_rn, bob_coordinator, eve_outsider, maria):
    task = _task(agency, patient=maria, owner=alice_rn)
    assign_task(task=task, by=alice_rn, owner=bob_coordinator)
    assert task.owner_id == bob_coordinator.pk
    with pytest.raises(AccessDenied):
        comment_on_task(task=task, text="Mine now", by=eve_outsider)
    with pytest.raises(ValidationFailed):
        assign_task(task=task, by=alice_rn, owner=eve_outsider)


def test_open_tasks_find_by_reason_and_focus(agency, maria):
    _task(agency, patient=maria, reason="phq9-item9-safety", focus="QuestionnaireResponse/1")
    assert open_tasks(maria, reason="phq9-item9-safety").count() == 1
    assert open_tasks(maria, reason="phq9-item9-safety", focus="QuestionnaireResponse/2").count() == 0


# Pages ---------------------------------------------------------------------------------------------------------


def test_work_list_shows_mine_and_queue_work_most_urgent_first(client, agency, alice_rn, maria):
    soon = timezone.now() + datetime.timedelta(hours=2)
    _task(agency, patient=maria, owner=alice_rn, title="Routine call", due_at=soon)
    _task(agency, patient=maria, owner=alice_rn, title="Late visit", due_at=timezone.now() - datetime.timedelta(days=1))
    _task(
        agency,
        patient=maria,
        queue=licensed_queue(agency.pk),
        requires_license=True,
        priority=TaskPriority.ASAP,
        title="Safety check",
    )
    page = signed_in(client, alice_rn).get("/tasks/").content.decode()
    assert page.index("Late visit") < page.index("Routine call") < page.index("Safety check")
    assert "Overdue" in page and "1 overdue" in page
    assert "in RN team" in page and "As soon as possible" in page
    listing = AuditRecord.objects.filter(object_type="Task", action="search").latest("id")
    assert str(maria.pk) in listing.detail["patients"]


def test_an_unlicensed_coordinator_does_not_see_licensed_queue_work(client, agency, bob_coordinator, maria):
    _task(agency, patient=maria, queue=licensed_queue(agency.pk), requires_license=True, title="Safety check")
    page = signed_in(client, bob_coordinator).get("/tasks/").content.decode()
    assert "Safety check" not in page


def test_take_start_complete_from_the_pages(client, agency, alice_rn, maria):
    task = _task(agency, patient=maria, queue=licensed_queue(agency.pk), requires_license=True, title="Safety check")
    alice = signed_in(client, alice_rn)
    assert alice.post(f"/tasks/{task.pk}/take/", {"next": "/tasks/"}).status_code == 302
    alice.post(f"/tasks/{task.pk}/status/", {"status": "in-progress"})
    response = alice.post(f"/tasks/{task.pk}/status/", {"status": "on-hold", "reason": ""})
    task.refresh_from_db()
    assert task.status == TaskStatus.IN_PROGRESS  # no reason: refused, said on the page
    assert "Say why" in alice.get(response["Location"]).content.decode()
    alice.post(f"/tasks/{task.pk}/comment/", {"text": "Spoke with her daughter"})
    alice.post(f"/tasks/{task.pk}/status/", {"status": "completed"})
    task.refresh_from_db()
    assert task.status == TaskStatus.COMPLETED
    page = alice.get(f"/tasks/{task.pk}/").content.decode()
    assert "Spoke with her daughter" in page and "nothing more to do" in page


def test_chart_panel_and_new_task(client, agency, alice_rn, maria):
    alice = signed_in(client, alice_rn)
    page = alice.get(f"/patients/{maria.pk}/").content.decode()
    assert 'id="tasks"' in page and "No open tasks" in page
    assert not AuditRecord.objects.filter(object_type="Task").exists()  # the panel rides on the chart's audited read
    response = alice.post(
        f"/tasks/new/{maria.pk}/", {"title": "Bring glucometer log", "kind": "follow-up", "priority": "urgent"}
    )
    assert response.status_code == 302
    page = alice.get(f"/patients/{maria.pk}/").content.decode()
    assert "Bring glucometer log" in page and "Urgent" in page
    refused = alice.post(f"/tasks/new/{maria.pk}/", {"title": " ", "kind": "follow-up", "priority": "routine"})
    assert refused.status_code == 200 and "This field is required" in refused.content.decode()


def test_outsiders_get_nothing(client, agency, alice_rn, eve_outsider, maria):
    task = _task(agency, patient=maria, owner=alice_rn, title="Private")
    eve = signed_in(client, eve_outsider)
    assert eve.get(f"/tasks/{task.pk}/").status_code == 403
    assert "Private" not in eve.get("/tasks/").content.decode()
    assert eve.post(f"/tasks/{task.pk}/take/").status_code == 403
    assert eve.get(f"/tasks/new/{maria.pk}/").status_code == 403
    denied = AuditRecord.objects.filter(object_type="Task", object_id=str(task.pk), outcome="denied")
    assert denied.exists()


@pytest.mark.parametrize(
    ("recurrence", "due", "expected"),
    [
        ("daily", datetime.datetime(2026, 3, 7, 9, 0), datetime.datetime(2026, 3, 8, 9, 0)),  # across DST: 9 am stays
        ("weekly", datetime.datetime(2026, 11, 26, 15, 0), datetime.datetime(2026, 12, 3, 15, 0)),
        ("biweekly", datetime.datetime(2026, 12, 24, 10, 0), datetime.datetime(2027, 1, 7, 10, 0)),
        ("monthly", datetime.datetime(2027, 1, 31, 10, 0), datetime.datetime(2027, 2, 28, 10, 0)),
        ("quarterly", datetime.datetime(2026, 11, 30, 10, 0), datetime.datetime(2027, 2, 28, 10, 0)),
    ],
)
def test_a_recurring_task_comes_back_when_done(agency, alice_rn, maria, recurrence, due, expected):
    task = _task(
        agency,
        patient=maria,
        owner=alice_rn,
        title="Weigh-in call",
        recurrence=recurrence,
        due_at=timezone.make_aware(due),
    )
    set_task_status(task=task, status=TaskStatus.COMPLETED, by=alice_rn)
    following = Task.objects.get(previous=task)
    assert (following.title, following.owner_id, following.status) == ("Weigh-in call", alice_rn.pk, "accepted")
    assert timezone.localtime(following.due_at).replace(tzinfo=None) == expected
    assert following.recurrence == recurrence


def test_cancelling_ends_the_series_and_unknown_recurrence_is_refused(agency, alice_rn, maria):
    task = _task(agency, patient=maria, owner=alice_rn, recurrence="weekly", due_at=timezone.now())
    set_task_status(task=task, status=TaskStatus.CANCELLED, by=alice_rn, reason="Moved to another agency")
    assert not Task.objects.filter(previous=task).exists()
    with pytest.raises(ValidationFailed) as refused:
        _task(agency, patient=maria, owner=alice_rn, recurrence="hourly")
    assert "recurrence" in refused.value.errors


def test_new_recurring_task_from_the_chart(client, agency, alice_rn, maria):
    alice = signed_in(client, alice_rn)
    alice.post(
        f"/tasks/new/{maria.pk}/",
        {"title": "Check the scale readings", "kind": "follow-up", "priority": "routine", "recurrence": "weekly"},
    )
    task = Task.objects.get(title="Check the scale readings")
    assert task.recurrence == "weekly"
    assert "Every week" in alice.get(f"/tasks/{task.pk}/").content.decode()
