"""carecoord process-adt [--once]: turn stored ADT messages into events and encounters, until stopped."""

from __future__ import annotations

import dataclasses
import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from carecoord.config import ConfigurationError
from carecoord.transitions.config import WorkerConfig
from carecoord.transitions.processing import release_stale_claims, run_forever, run_once


class Command(BaseCommand):
    help = (
        "Process stored HL7 v2 ADT messages in order per person (encounters, events, review queue). Runs until "
        "SIGINT/SIGTERM; any number may run at once (messages are claimed by compare-and-swap). Settings: "
        "CARECOORD_ADT_POLL_INTERVAL, CARECOORD_ADT_CLAIM_TIMEOUT, CARECOORD_ADT_BATCH_SIZE."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Process what is waiting, then exit")
        parser.add_argument("--name", help="Worker name recorded on claimed messages (default host:pid)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            config = WorkerConfig.from_env()
        except ConfigurationError as error:
            raise CommandError(str(error), returncode=2) from None
        if options["name"]:
            config = dataclasses.replace(config, name=options["name"][:100])
        if options["once"]:
            release_stale_claims(older_than=config.claim_timeout)
            count = run_once(config)
            self.stdout.write(f"Processed {count} messages.")
            return
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        self.stdout.write(f"Processing ADT messages as {config.name}")
        self.stdout.flush()
        count = run_forever(config, stop)
        self.stdout.write(f"Stopped after {count} messages.")
