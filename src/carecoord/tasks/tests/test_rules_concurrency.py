"""Two runs of the rules at once on PostgreSQL make exactly one task per obligation.

Both runs are held at the same point — each has read the open tasks and found none — before either inserts, so
both try to create every task; the partial unique constraint lets one insert each and the other skips it.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.utils import timezone

from carecoord.audit.models import AuditRecord
from carecoord.tasks.models import RuleRun, Task
from carecoord.tasks.rules import RulesConfig, actions, run_rules
from carecoord.testing.factories import make_patient

from .test_rules import _enrolled

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_runs_at_once_make_one_task_per_obligation(alice_rn, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one writer at a time (BEGIN IMMEDIATE): the race needs PostgreSQL")
    people = [make_patient(alice_rn) for _ in range(3)]
    for person in people:
        _enrolled(person, alice_rn, care_manager=alice_rn)
    both_read = threading.Barrier(2, timeout=60)
    read_open = actions._open_rule_tasks

    def read_then_wait(rule, scope):
        found = read_open(rule, scope)
        both_read.wait()  # neither inserts before the other has seen no open task
        return found

    monkeypatch.setattr(actions, "_open_rule_tasks", read_then_wait)
    config = RulesConfig(batch_size=2)
    now = timezone.now()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            run_rules(only="program-assessment-due", now=now, config=config)
        except BaseException as error:  # reported by the main thread
            errors.append(error)
            both_read.abort()
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    tasks = Task.objects.filter(reason="program-assessment-due")
    assert sorted(tasks.values_list("patient_id", flat=True)) == sorted(person.pk for person in people)
    created = [run.counts["program-assessment-due"]["created"] for run in RuleRun.objects.all()]
    assert sum(created) == 3 and len(created) == 2
    kept = [run.counts["program-assessment-due"]["kept"] for run in RuleRun.objects.all()]
    assert [c + k for c, k in zip(created, kept, strict=True)] == [3, 3]
    audited = AuditRecord.objects.filter(object_type="Task", action="create", channel="job")
    assert sorted(audited.values_list("object_id", flat=True)) == sorted(
        str(pk) for pk in tasks.values_list("pk", flat=True)
    )
