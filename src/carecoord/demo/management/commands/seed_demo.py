"""``carecoord seed-demo [--patients N]``: build the demo network and people (idempotent, same people each run)."""

from __future__ import annotations

from typing import Any, TextIO, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser

from carecoord.common.errors import DomainError
from carecoord.common.progress import ProgressBar
from carecoord.demo.network import DEMO_PASSWORD, logins
from carecoord.demo.programs import seed_programs
from carecoord.demo.referrals import seed_referrals
from carecoord.demo.seed import DEFAULT_PATIENTS, SeedSummary, seed_demo
from carecoord.demo.today import seed_today


def _logins_table(summary: SeedSummary) -> list[str]:
    rows = [("username", "role", "organization"), *logins(summary.network)]
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    lines = ["  ".join(value.ljust(width) for value, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return lines


class Command(BaseCommand):
    help = (
        "Load the demo network (organizations, staff, people and their program activity). "
        "Running it again changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--patients", type=int, default=DEFAULT_PATIENTS, help=f"how many people (default {DEFAULT_PATIENTS})"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        count: int = options["patients"]
        if count < 0 or count > 100_000:
            raise CommandError("--patients must be between 0 and 100000.")
        bar = ProgressBar(cast(TextIO, self.stderr._out), label="Seeding people")
        try:
            summary = seed_demo(patients=count, progress=bar.update)
        except DomainError as error:
            raise CommandError(f"Could not seed the demo: {error}") from error
        network = summary.network
        program_bar = ProgressBar(cast(TextIO, self.stderr._out), label="Seeding program activity")
        try:
            stories = seed_programs(network, progress=program_bar.update)
        except DomainError as error:
            raise CommandError(f"Could not seed program activity: {error}") from error
        today_bar = ProgressBar(cast(TextIO, self.stderr._out), label="Seeding today's work")
        try:
            today = seed_today(network, progress=today_bar.update)
        except DomainError as error:
            raise CommandError(f"Could not seed today's work: {error}") from error
        try:
            referrals = seed_referrals(network)
        except DomainError as error:
            raise CommandError(f"Could not seed community referrals: {error}") from error
        self.stdout.write(
            f"Demo data ready in {summary.seconds:.1f} s: "
            f"{len(network.organizations)} organizations ({network.created_organizations} new, "
            f"{network.created_affiliations} new affiliations), "
            f"{len(network.users)} staff ({network.created_users} new), "
            f"{summary.patients_created + summary.patients_present} people ({summary.patients_created} new, "
            f"{summary.assignments_created} new assignments); program activity for {stories.people} people "
            f"({stories.referrals} referrals, {stories.attempts} outreach attempts, {stories.consents} consents, "
            f"{stories.enrollments} enrollments); today's work: {today.responses} screenings, "
            f"{today.tasks} tasks, {today.adt_messages} hospital messages, {today.care_plans} care plans, "
            f"{today.contacts} contacts, {today.notes} notes; {referrals.services} partner services in the "
            f"directory, {referrals.referrals} community referrals."
        )
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD})")
        for line in _logins_table(summary):
            self.stdout.write(line)
