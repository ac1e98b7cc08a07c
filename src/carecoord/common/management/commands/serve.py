"""carecoord serve: the production HTTP server (Granian, WSGI), with static files served by Granian itself."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Serve CareCoord over HTTP with Granian (never Django's development server)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("CARECOORD_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("CARECOORD_PORT", "8000")))
        parser.add_argument("--workers", type=int, default=max(1, os.cpu_count() or 1), help="Worker processes")
        parser.add_argument("--threads", type=int, default=2, help="Request threads per worker")
        parser.add_argument("--no-collectstatic", action="store_true", help="Static files are already collected")

    def handle(self, *args: Any, **options: Any) -> None:
        from granian import Granian
        from granian.constants import Interfaces

        if not 0 < options["port"] < 65536:
            raise CommandError(f"--port must be between 1 and 65535, not {options['port']}")
        if options["workers"] < 1 or options["threads"] < 1:
            raise CommandError("--workers and --threads must be at least 1")
        static_root = Path(settings.STATIC_ROOT)
        if not options["no_collectstatic"]:
            static_root.mkdir(parents=True, exist_ok=True)
            call_command("collectstatic", interactive=False, verbosity=0)
        engine = str(settings.DATABASES["default"]["ENGINE"]).rsplit(".", 1)[-1]
        self.stdout.write(
            f"CareCoord serving on http://{options['host']}:{options['port']} "
            f"({options['workers']} workers, {options['threads']} threads each, database {engine})"
        )
        self.stdout.flush()
        server = Granian(
            "carecoord.wsgi:application",
            address=options["host"],
            port=options["port"],
            interface=Interfaces.WSGI,
            workers=options["workers"],
            blocking_threads=options["threads"],
            static_path_route=[settings.STATIC_URL.rstrip("/")],
            static_path_mount=[static_root],
            log_access=False,
        )
        server.serve()
