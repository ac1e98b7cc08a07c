"""carecoord adt-listen [--host HOST] [--port PORT] [--processes N]: the HL7 v2 ADT listener (MLLP), until
stopped. With more than one process (the default is one per core), the processes share the port
(SO_REUSEPORT) and the kernel spreads connections over them; the parent forwards SIGINT/SIGTERM and waits."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import signal
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from carecoord.config import ConfigurationError
from carecoord.transitions.config import ListenerConfig
from carecoord.transitions.listener import Listener


class Command(BaseCommand):
    help = (
        "Listen for HL7 v2 ADT messages over MLLP. Every message is stored and committed before it is "
        "acknowledged; duplicates (same MSH-4 and MSH-10) are acknowledged and stored once. Settings: "
        "CARECOORD_ADT_HOST, _PORT, _IDLE_TIMEOUT, _MAX_BLOCK_BYTES, _MAX_CONNECTIONS, _DB_THREADS, "
        "_APPLICATION, _FACILITY, _PROCESSES. Stops on SIGINT or SIGTERM."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", help="Address to listen on (CARECOORD_ADT_HOST, default 127.0.0.1)")
        parser.add_argument("--port", type=int, help="TCP port (CARECOORD_ADT_PORT, default 2575; 0: any free)")
        parser.add_argument(
            "--processes", type=int, help="Listener processes sharing the port (CARECOORD_ADT_PROCESSES, one per core)"
        )

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
        if options["processes"] is not None:
            if not 1 <= options["processes"] <= 64:
                raise CommandError("--processes must be between 1 and 64.", returncode=2)
            config = dataclasses.replace(config, processes=options["processes"])
        if config.port == 0:  # any free port: only one process can have it
            config = dataclasses.replace(config, processes=1)
        if config.processes > 1:
            self._serve_in_processes(config)
        else:
            asyncio.run(self._serve(config))

    def _serve_in_processes(self, config: ListenerConfig) -> None:
        connections.close_all()  # nothing shared across the fork
        children = []
        for _ in range(config.processes):
            pid = os.fork()
            if pid == 0:  # a listener process
                code = 0
                try:
                    asyncio.run(self._serve(config))
                except CommandError as error:
                    self.stderr.write(str(error))
                    code = 1
                finally:
                    self.stdout.flush()
                    os._exit(code)
            children.append(pid)

        def forward(signum: int, _: Any) -> None:
            for child in children:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child, signum)

        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, forward)
        failed = 0
        for child in children:
            _, status = os.waitpid(child, 0)
            failed += os.waitstatus_to_exitcode(status) != 0
        if failed:
            raise CommandError(f"{failed} of {config.processes} listener processes failed.")

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
