"""``carecoord demo``: migrate, load the demo data, print the logins and serve the application."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from carecoord.demo.seed import DEFAULT_PATIENTS


class Command(BaseCommand):
    help = "Migrate the database, load the demo data and serve CareCoord (http://127.0.0.1:8000 by default)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=None)
        parser.add_argument("--patients", type=int, default=DEFAULT_PATIENTS)
        parser.add_argument("--no-serve", action="store_true", help="prepare the data and stop")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0, stdout=self.stdout._out, stderr=self.stderr._out)
        call_command("seed_demo", patients=options["patients"], stdout=self.stdout._out, stderr=self.stderr._out)
        if options["no_serve"]:
            return
        serve: dict[str, Any] = {"host": options["host"], "port": options["port"]}
        if options["workers"] is not None:
            serve["workers"] = options["workers"]
        self.stdout.write(f"\nServing http://{options['host']}:{options['port']}/ (Ctrl-C stops)")
        call_command("serve", **serve)
