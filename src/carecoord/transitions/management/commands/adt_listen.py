"""carecoord adt-listen [--host HOST] [--port PORT]: the HL7 v2 ADT listener (MLLP), until stopped."""

from __future__ import annotations

import asyncio
import dataclasses
import signal
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from carecoord.config import ConfigurationError
from carecoord.transitions.config import ListenerConfig
from carecoord.transitions.listener import Listener


class Command(BaseCommand):
    help = (
        "Listen for HL7 v2 ADT messages over MLLP. Every message is stored and committed before it is "
        "acknowledged; duplicates (same MSH-4 and MSH-10) are acknowledged and stored once. Settings: "
        "CARECOORD_ADT_HOST, _PORT, _IDLE_TIMEOUT, _MAX_BLOCK_BYTES, _MAX_CONNECTIONS, _DB_THREADS, "
        "_APPLICATION, _FACILITY. Stops on SIGINT or SIGTERM."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", help="Address to listen on (CARECOORD_ADT_HOST, default 127.0.0.1)")
        parser.add_argument("--port", type=int, help="TCP port (CARECOORD_ADT_PORT, default 2575; 0: any free)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            config = ListenerConfig.from_env()
        except ConfigurationError as error:
            raise CommandError(str(error), returncode=2) from None
        if options["host"]:
            config = dataclasses.replace(config, host=options["host"])
        if options["port"] is not None:
            if not 0 <= options["port"] <= 65535:
                raise CommandError("--port must be between 0 and 65535.", returncode=2)
            config = dataclasses.replace(config, port=options["port"])
        asyncio.run(self._serve(config))

    async def _serve(self, config: ListenerConfig) -> None:
        listener = Listener(config)
        try:
            await listener.start()
        except OSError as error:
            raise CommandError(f"Cannot listen on {config.host}:{config.port}: {error}") from None
        self.stdout.write(f"Listening for HL7 v2 ADT over MLLP on {config.host}:{listener.port}")
        self.stdout.flush()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()
        await listener.close()
        self.stdout.write(f"Stopped after storing {listener.received} messages.")
