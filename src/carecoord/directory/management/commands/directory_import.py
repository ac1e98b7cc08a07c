"""carecoord directory-import PATH [--source NAME] [--dry-run] [--all-or-nothing]: load community resources."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from carecoord.common.cli import command_context
from carecoord.common.progress import ProgressBar
from carecoord.directory.actions import Outcome, import_directory
from carecoord.directory.imports import read_path


class Command(BaseCommand):
    help = (
        "Import community resources from HSDS 3.0 JSON, an HSDS 3.0 tabular data package (a folder with "
        "datapackage.json) or Ohana API CSV files. Prints one line per record (added, updated, unchanged or "
        "rejected, and why); exits 1 when nothing could be imported."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="A .json file or a folder of CSV files")
        parser.add_argument("--source", help="Name of the data source (default: the file or folder name)")
        parser.add_argument("--dry-run", action="store_true", help="Check and report; write nothing")
        parser.add_argument("--all-or-nothing", action="store_true", help="Write nothing when any record is rejected")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"]).resolve()
        source = options["source"] or (path.parent.name if path.name == "datapackage.json" else path.stem)
        with command_context("directory-import"):
            bundle = read_path(path)
            bar = ProgressBar(sys.stderr, label="Importing")
            report = import_directory(
                bundle=bundle,
                source=source,
                dry_run=options["dry_run"],
                all_or_nothing=options["all_or_nothing"],
                progress=bar.update if len(bundle.records) > 200 else None,
            )
        for result in report.results:
            reason = f": {result.message}" if result.message else ""
            self.stdout.write(
                f"{result.where}: {result.outcome.value} {result.kind} {result.external_id or '-'}{reason}"
            )
        self.stdout.write(report.summary())
        if report.imported == 0 or (not report.written and not report.dry_run):
            sys.exit(1)
        if report.count(Outcome.REJECTED) and options["all_or_nothing"]:
            sys.exit(1)
