"""carecoord run-rules [--org ID] [--rule CODE]: run the rules once, now, with a progress bar."""

from __future__ import annotations

import uuid
from typing import Any, TextIO, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser

from carecoord.accounts.models import Organization
from carecoord.common.cli import command_context
from carecoord.common.progress import ProgressBar
from carecoord.config import ConfigurationError
from carecoord.tasks.rules import RulesConfig, job_rules, run_rules
from carecoord.tasks.rules.actions import ESCALATION


class Command(BaseCommand):
    help = (
        "Run the rules that create and close tasks once, synchronously (the worker runs them on a schedule), and "
        "print what each rule created, closed and kept. Settings: CARECOORD_RULES_CONTACT_DAYS_LEFT, "
        "CARECOORD_RULES_LEAD_DAYS, CARECOORD_SAFETY_ESCALATION_MINUTES, CARECOORD_RULES_BATCH_SIZE."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", help="Only this organization (its id)")
        parser.add_argument(
            "--rule",
            choices=[rule.reason for rule in job_rules()] + [ESCALATION],
            help="Only this rule (its reason code; see `carecoord rules`)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            config = RulesConfig.from_env()
        except ConfigurationError as error:
            raise CommandError(str(error), returncode=2) from None
        organization_id = None
        if options["org"]:
            try:
                organization_id = uuid.UUID(options["org"])
            except ValueError:
                raise CommandError(f"--org must be an organization id, not {options['org']!r}") from None
            if not Organization.objects.filter(pk=organization_id).exists():
                raise CommandError(f"No organization {organization_id}.")
        bar = ProgressBar(cast(TextIO, self.stderr._out), label="rules")
        with command_context("run-rules"):
            run = run_rules(
                organization_id=organization_id, only=options["rule"], trigger="cli", config=config, progress=bar.update
            )
        for code, counts in run.counts.items():
            figures = ", ".join(f"{name} {value}" for name, value in counts.items())
            self.stdout.write(f"{code}: {figures}")
        seconds = (run.finished_at - run.started_at).total_seconds() if run.finished_at else 0.0
        self.stdout.write(f"Run {run.pk} {run.status} in {seconds:.1f} s.")
