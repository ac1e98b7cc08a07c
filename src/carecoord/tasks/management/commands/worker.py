"""carecoord worker [--batch]: run background jobs (django-tasks, database backend) and keep the rules job
scheduled every CARECOORD_RULES_INTERVAL_MINUTES (and, when a partner is reached over FHIR, the referral sync every
CARECOORD_REFERRAL_SYNC_MINUTES)."""

from __future__ import annotations

import datetime
import os
import signal
import time
import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections
from django_tasks_db.management.commands.db_worker import Worker

from carecoord.config import ConfigurationError
from carecoord.referrals.exchange import schedule_sync_job, sync_interval
from carecoord.tasks.jobs import schedule_rules_job
from carecoord.tasks.rules import RulesConfig


class Command(BaseCommand):
    help = (
        "Run queued background jobs until SIGINT/SIGTERM (a running job finishes first), and keep the rules job "
        "enqueued every CARECOORD_RULES_INTERVAL_MINUTES (default 60). Any number may run at once: a job is "
        "claimed by one worker, and the rules are idempotent."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", action="store_true", help="Run the jobs that are due, then exit")
        parser.add_argument("--poll", type=float, default=5.0, help="Seconds between looks for due jobs (default 5)")
        parser.add_argument("--queue", default="default", help="Queues to run, comma-separated (default: default)")
        parser.add_argument("--no-schedule", action="store_true", help="Do not enqueue the rules job")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            config = RulesConfig.from_env()
        except ConfigurationError as error:
            raise CommandError(str(error), returncode=2) from None
        if options["poll"] <= 0:
            raise CommandError("--poll must be above 0 seconds")
        name = f"{os.uname().nodename}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:64]
        worker = Worker(
            queue_names=options["queue"].split(","),
            interval=0,
            batch=True,  # run what is due, return, and let this loop schedule and wait
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=name,
            excluded_queue_names=[],
        )
        previous = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
        worker.configure_signals()  # SIGINT/SIGTERM: exit now when idle, after the running job otherwise
        interval = datetime.timedelta(minutes=config.interval_minutes)
        self.stdout.write(f"Worker {name}: rules every {config.interval_minutes} min")
        self.stdout.flush()
        ran = 0
        while worker.running:
            close_old_connections()
            if not options["no_schedule"] and schedule_rules_job(interval=interval):
                self.stdout.write("Rules job enqueued")
            if not options["no_schedule"] and schedule_sync_job(interval=sync_interval()):
                self.stdout.write("Referral sync job enqueued")
            before = worker._run_tasks
            worker.run()
            ran += worker._run_tasks - before
            if options["batch"] or not worker.running:
                break
            time.sleep(options["poll"])
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        self.stdout.write(f"Stopped after {ran} jobs.")
