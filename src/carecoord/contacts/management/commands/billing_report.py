"""carecoord billing-report --month YYYY-MM [--org ORG]: the month's billing report as CSV on standard output."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from carecoord.accounts.actions import find_organization
from carecoord.accounts.models import Organization
from carecoord.audit.actions import record
from carecoord.audit.models import AuditAction, Purpose
from carecoord.common.cli import command_context
from carecoord.common.progress import ProgressBar
from carecoord.contacts.billing.report import enrollments_in, open_close, parse_month, report_rows, write_csv


class Command(BaseCommand):
    help = (
        "The month's billing report as CSV on standard output: one row per person, program and month with its "
        "status (billable, at risk, not billable), rate, codes (e.g. 99490x1;99439x2), reasons, care manager, "
        "whether the month is closed and the corrections recorded since. A closed month shows its frozen "
        "verdicts; an open one is judged now. Progress goes to standard error."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--month", required=True, help="The calendar month, YYYY-MM")
        parser.add_argument("--org", help="One organization (name or id); default: every organization")

    def handle(self, *args: Any, **options: Any) -> None:
        month = parse_month(options["month"])
        if month is None:
            raise CommandError(f"--month must be a month as YYYY-MM (e.g. 2026-10), not {options['month']!r}.")
        with command_context("billing-report"):
            if options["org"]:
                organizations = [find_organization(options["org"])]
            else:
                held = enrollments_in(None, month).order_by().values("organization_id")
                organizations = list(Organization.objects.filter(pk__in=held).order_by("name"))
            written = 0
            out = sys.stdout
            for index, organization in enumerate(organizations):
                bar = ProgressBar(sys.stderr, label=f"Billing report {organization.name}")
                rows = report_rows(organization, month, progress=bar.update)
                count = write_csv(rows, out, header=index == 0)
                out.flush()
                written += count
                record(
                    by=None,
                    username="cli",
                    action=AuditAction.EXPORT,
                    object_type="MonthStatus",
                    object_id=f"{organization.pk}:{month:%Y-%m}",
                    purpose=Purpose.OPERATIONS,
                    detail={
                        "report": "billing",
                        "month": f"{month:%Y-%m}",
                        "organization": str(organization.pk),
                        "rows": count,
                        "closed": open_close(organization.pk, month) is not None,
                    },
                )
            if not organizations:
                write_csv([], out)
        sys.stderr.write(f"{written} rows for {month:%Y-%m}.\n")
