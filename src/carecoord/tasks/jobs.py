"""Background jobs of the tasks app (django-tasks, database backend; run by ``carecoord worker``)."""

from __future__ import annotations

import datetime
import uuid

from django.db.models import Q
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from carecoord.tasks.rules import run_rules

RULES_JOB_PATH = "carecoord.tasks.jobs.run_rules_job"
STALE_RUNNING = datetime.timedelta(hours=6)


@task()
def run_rules_job(organization_id: str | None = None, rule: str | None = None) -> dict[str, dict[str, int]]:
    """Run the rules (all, or one organization's, or one rule) and return the run's counts per rule."""
    run = run_rules(
        organization_id=uuid.UUID(organization_id) if organization_id else None, only=rule or None, trigger="job"
    )
    return dict(run.counts)


def schedule_rules_job(*, interval: datetime.timedelta, now: datetime.datetime | None = None) -> bool:
    """Keep one rules job waiting: when none is waiting or running, enqueue one, due ``interval`` after the
    last one started (now if it never ran or that moment has passed). True when one was enqueued."""
    now = now or timezone.now()
    jobs = DBTaskResult.objects.filter(task_path=RULES_JOB_PATH)
    # A job still running after STALE_RUNNING is one whose worker died: it no longer holds the schedule.
    if jobs.filter(Q(status="READY") | Q(status="RUNNING", started_at__gte=now - STALE_RUNNING)).exists():
        return False
    last = jobs.exclude(started_at__isnull=True).order_by("-started_at").values_list("started_at", flat=True).first()
    due = now if last is None else max(now, last + interval)
    run_rules_job.using(run_after=due).enqueue()
    return True
