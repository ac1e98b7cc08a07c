"""carecoord directory-export [--out FILE] [--source NAME]: the directory as HSDS 3.0 JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from carecoord.common.cli import command_context
from carecoord.directory.export import export_services


class Command(BaseCommand):
    help = "Write the directory's services as HSDS 3.0 JSON (a page of service_full objects)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", help="File to write (default: standard output)")
        parser.add_argument("--source", help="Only records imported from this source")

    def handle(self, *args: Any, **options: Any) -> None:
        with command_context("directory-export"):
            text = json.dumps(export_services(source=options["source"]), indent=2, ensure_ascii=False)
        if options["out"]:
            Path(options["out"]).write_text(text + "\n", encoding="utf-8")
            return
        self.stdout.write(text)
