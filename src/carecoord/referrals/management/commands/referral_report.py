"""carecoord referral-report --org ORG [--from DATE] [--to DATE] [--by need|partner|outcome] [--need] [--partner]:
the organization's referral outcomes as CSV on standard output."""

from __future__ import annotations

import csv
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from carecoord.accounts.actions import find_organization
from carecoord.audit.actions import record
from carecoord.audit.models import AuditAction, Purpose
from carecoord.common.cli import command_context
from carecoord.referrals.report import GROUPINGS, OutcomeFilters, build_outcomes, csv_rows


class Command(BaseCommand):
    help = (
        "Community referral outcomes of one organization as CSV: a row per need, partner or outcome (--by), then "
        "the totals, with counts sent, accepted, rejected, cancelled, failed, completed, open, need met, the "
        "acceptance and completion rates, and how long each step took (median and 90th percentile, hours). "
        "Referrals are counted by when they were sent; the default period is the last 90 days."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="The referring organization (name or id)")
        parser.add_argument("--from", dest="from", default="", help="First day, YYYY-MM-DD")
        parser.add_argument("--to", dest="to", default="", help="Last day, YYYY-MM-DD")
        parser.add_argument("--by", choices=sorted(GROUPINGS), default="need", help="Group by (default: need)")
        parser.add_argument("--need", default="", help="Only this need (an SDOH domain code, e.g. food-insecurity)")
        parser.add_argument("--partner", default="", help="Only this partner (directory organization id)")

    def handle(self, *args: Any, **options: Any) -> None:
        with command_context("referral-report"):
            organization = find_organization(options["org"])
            filters = OutcomeFilters.parse(
                {key: options[key] for key in ("from", "to", "need", "partner")}, today=timezone.localdate()
            )
            report = build_outcomes(organization.pk, filters)
            writer = csv.writer(sys.stdout)
            for row in csv_rows(report, options["by"]):
                writer.writerow(row)
            record(
                by=None,
                username="cli",
                action=AuditAction.EXPORT,
                object_type="ReferralOutcomes",
                object_id=str(organization.pk),
                purpose=Purpose.OPERATIONS,
                detail={"from": filters.start.isoformat(), "to": filters.end.isoformat(), "by": options["by"]},
            )
