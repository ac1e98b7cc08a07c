"""carecoord referral-sync [--partner ID]: send waiting referrals to partners' FHIR servers and read back their
Tasks (``referrals/exchange.py``). Exit status 1 when any partner could not be reached or a change not applied."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from carecoord.referrals.exchange import sync_referrals


class Command(BaseCommand):
    help = (
        "Send referrals waiting for a partner reached over FHIR, then read the partner's Tasks changed since the last "
        "poll and apply each change (status, services delivered, outcome) to the referral. A partner that cannot be "
        "reached leaves its referrals as they are; the problems are listed and the exit status is 1."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--partner", type=int, default=None, help="Only this PartnerOrganization id")

    def handle(self, *args: Any, **options: Any) -> None:
        report = sync_referrals(partner_id=options["partner"])
        self.stdout.write(report.summary())
        if report.errors:
            raise CommandError("\n".join(report.errors))
