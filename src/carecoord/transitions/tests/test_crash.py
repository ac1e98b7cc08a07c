"""kill -9 the listener mid-stream: every acknowledged message is stored exactly once after a restart."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys

import pytest
from django.db import connection
from hl7.mllp import open_hl7_connection

from carecoord.transitions.models import AdtMessage
from carecoord.transitions.tests.helpers import TIMEOUT, acks_in, adt, msa

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
TOTAL = 400
KILL_AFTER = 150


def _database_url() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{os.path.relpath(settings['NAME'])}"
    return f"postgresql://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"


async def _start() -> tuple[asyncio.subprocess.Process, int]:
    env = dict(os.environ, CARECOORD_DATABASE_URL=_database_url())
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "carecoord", "adt-listen", "--port", "0", env=env, stdout=asyncio.subprocess.PIPE
    )
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), TIMEOUT)
    return process, int(line.decode().rsplit(":", 1)[1])


async def _send(port: int, controls: list[str], acked: list[str], *, stop_after: int | None = None) -> None:
    reader, writer = await open_hl7_connection("127.0.0.1", port)
    try:
        for control in controls:
            writer.writeblock(adt(control=control, mrn=f"M{control}"))
            await writer.drain()
            reply = await asyncio.wait_for(reader.readblock(), TIMEOUT)
            code, answered, _ = msa(acks_in(reply)[0])
            assert (code, answered) == ("AA", control)
            acked.append(control)
            if stop_after is not None and len(acked) == stop_after:
                # Keep streaming without waiting: the kill lands while blocks are in flight.
                for later in controls[controls.index(control) + 1 : controls.index(control) + 20]:
                    writer.writeblock(adt(control=later, mrn=f"M{later}"))
                await writer.drain()
                return
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await writer.wait_closed()


def test_kill_9_mid_stream_loses_no_acknowledged_message_and_stores_none_twice():
    controls = [f"C{i:05d}" for i in range(TOTAL)]

    async def scenario() -> list[str]:
        acked: list[str] = []
        process, port = await _start()
        try:
            await _send(port, controls, acked, stop_after=KILL_AFTER)
        finally:
            process.send_signal(signal.SIGKILL)
            await process.wait()
        # Restart; resend everything not acknowledged, and a few acknowledged ones again.
        process, port = await _start()
        try:
            missing = [c for c in controls if c not in set(acked)]
            resent: list[str] = []
            await _send(port, acked[-5:] + missing, resent)
            acked.extend(resent)
        finally:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), TIMEOUT)
        return acked

    acked = asyncio.run(scenario())
    stored = list(AdtMessage.objects.values_list("control_id", flat=True))
    assert len(stored) == len(set(stored)) == TOTAL
    assert set(acked) == set(controls) == set(stored)


def test_several_listener_processes_share_the_port_and_store_each_message_once():
    """--processes 2: the kernel spreads connections over both; every message is acknowledged and stored once,
    and SIGTERM to the parent stops both."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    controls = [f"P{i:04d}" for i in range(120)]

    async def scenario() -> int:
        env = dict(os.environ, CARECOORD_DATABASE_URL=_database_url())
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "carecoord",
            "adt-listen",
            "--port",
            str(port),
            "--processes",
            "2",
            env=env,
            stdout=asyncio.subprocess.PIPE,
        )
        assert process.stdout is not None
        try:
            for _ in range(2):  # each process says where it listens
                line = await asyncio.wait_for(process.stdout.readline(), TIMEOUT)
                assert line.decode().strip().endswith(f":{port}")
            acked: list[str] = []
            await asyncio.gather(*(_send(port, controls[i::6], acked) for i in range(6)))
            assert sorted(acked) == controls
        finally:
            process.send_signal(signal.SIGTERM)
            code = await asyncio.wait_for(process.wait(), TIMEOUT)
        return code

    assert asyncio.run(scenario()) == 0
    stored = list(AdtMessage.objects.values_list("control_id", flat=True))
    assert sorted(stored) == controls
