"""carecoord audit verify: check the audit trail's hash chain end to end."""

from __future__ import annotations

from typing import Any, TextIO, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser

from carecoord.audit.models import AuditRecord
from carecoord.audit.queries import verify_chain
from carecoord.common.progress import ProgressBar


class Command(BaseCommand):
    help = "Audit trail tools. `audit verify` recomputes the hash chain and names the first bad record."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        sub.add_parser("verify", help="Verify the hash chain")

    def handle(self, *args: Any, **options: Any) -> None:
        total = AuditRecord.objects.count()
        bar = ProgressBar(cast(TextIO, self.stderr._out), label="Verifying audit trail")
        report = verify_chain(progress=lambda done: bar.update(done, total))
        if not report.ok:
            raise CommandError(
                f"Audit trail broken at record {report.first_bad_id}: {report.problem} "
                f"({report.checked} records before it verified)."
            )
        self.stdout.write(f"Audit trail intact: {report.checked} records verified.")
