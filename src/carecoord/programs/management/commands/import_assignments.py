"""carecoord import-assignments PATH --plan PLAN --as USERNAME [--report FILE]: a plan's assignment file."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from carecoord.accounts.actions import find_organization
from carecoord.accounts.models import User
from carecoord.common.cli import command_context
from carecoord.common.progress import ProgressBar
from carecoord.programs.imports import Outcome, import_assignments, summary


class Command(BaseCommand):
    help = (
        "Import a health plan's member assignment file (CSV). Each row becomes a referral to the receiving "
        "organization; prints one line per row (accepted, updated, unchanged or rejected, and why). "
        "Exits 1 when any row was rejected."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="CSV file; see carecoord/programs/imports.py for the columns")
        parser.add_argument("--plan", required=True, help="The health plan that sent the file (name or id)")
        parser.add_argument("--as", dest="username", required=True, help="Staff user doing the import")
        parser.add_argument("--report", help="Also write the per-row report as CSV to this file")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise CommandError(f"No such file: {path}") from None
        except UnicodeDecodeError:
            raise CommandError(f"{path} is not UTF-8 text; save it as UTF-8 CSV.") from None
        with command_context("import-assignments"):
            user = User.objects.filter(username=options["username"], is_active=True).first()
            if user is None:
                raise CommandError(f"No active user {options['username']!r}.")
            plan = find_organization(options["plan"])
            bar = ProgressBar(sys.stderr, label="Importing")
            report = import_assignments(text, plan=plan, by=user, progress=bar.update)
        for row in report.rows:
            self.stdout.write(f"row {row.row}: {row.outcome.value:9} {row.cin or '-':10} {row.message}")
        self.stdout.write(summary(report))
        if options["report"]:
            Path(options["report"]).write_text(report.as_csv(), encoding="utf-8")
        if report.count(Outcome.REJECTED):
            sys.exit(1)
