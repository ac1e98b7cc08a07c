"""kill -9 mid-stream (the listener alone; then the listener and a worker together): every acknowledged message is
stored exactly once after a restart, and applied exactly once."""

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


# The crash test: the listener and a worker both killed mid-stream ----------------------------------------

# 5,000 is the figure; the default keeps `make test` short (CARECOORD_CRASH_MESSAGES=5000 runs it all).
STREAM = int(os.environ.get("CARECOORD_CRASH_MESSAGES", "400")) // 2 * 2
PEOPLE = 20
DRAIN_TIMEOUT = 60 + STREAM // 5  # seconds: generous for a loaded 2-core machine


def _people() -> list[str]:
    """People registered with Medicaid CINs, so that every message matches and is applied."""
    from carecoord.patients.actions import register_patient
    from carecoord.patients.data import IdentifierData
    from carecoord.testing.factories import make_organization, make_user, patient_data

    organization = make_organization("Crash Test Agency")
    user = make_user("crash_cm", role="licensed_care_manager", organization=organization, licensed=True)
    cins = [f"CR{n:05d}Q" for n in range(PEOPLE)]
    for cin in cins:
        register_patient(
            data=patient_data(identifiers=[IdentifierData(kind="medicaid_cin", value=cin)]),
            by=user,
            confirm_not_duplicate=True,
        )
    return cins


def _stream(cins: list[str]) -> dict[str, bytes]:
    """An admission then a discharge for each visit, spread over the people: control id → message."""
    messages: dict[str, bytes] = {}
    for n in range(STREAM // 2):
        cin, visit = cins[n % len(cins)], f"V{n:05d}"
        shared = {"mrn": cin, "authority": "NYSDOH", "visit": visit, "diagnoses": (("I50.9", "Heart failure"),)}
        messages[f"A{n:05d}"] = adt("A01", control=f"A{n:05d}", **shared)  # type: ignore[arg-type]
        messages[f"D{n:05d}"] = adt(
            "A03",
            control=f"D{n:05d}",
            discharged="202401080900",
            disposition="01",
            **shared,  # type: ignore[arg-type]
        )
    return messages


async def _spawn(*arguments: str, **env: str) -> asyncio.subprocess.Process:
    """A carecoord command in its own process group (so kill -9 reaches every process it forked)."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "carecoord",
        *arguments,
        env=dict(os.environ, CARECOORD_DATABASE_URL=_database_url(), **env),
        stdout=asyncio.subprocess.PIPE,
        start_new_session=True,
    )


async def _listener() -> tuple[asyncio.subprocess.Process, int]:
    process = await _spawn("adt-listen", "--port", "0")
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), TIMEOUT)
    return process, int(line.decode().rsplit(":", 1)[1])


async def _worker(name: str) -> asyncio.subprocess.Process:
    process = await _spawn(
        "process-adt", "--name", name, CARECOORD_ADT_POLL_INTERVAL="0.05", CARECOORD_ADT_BATCH_SIZE="10"
    )
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), TIMEOUT)
    assert line.decode().startswith("Processing ADT messages")
    return process


async def _kill_9(process: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    await process.wait()


async def _deliver(port: int, messages: list[tuple[str, bytes]], acked: list[str]) -> None:
    """Send each message and wait for its AA (MLLP is stop-and-wait)."""
    reader, writer = await open_hl7_connection("127.0.0.1", port)
    try:
        for control, block in messages:
            writer.writeblock(block)
            await writer.drain()
            code, answered, _ = msa(acks_in(await asyncio.wait_for(reader.readblock(), TIMEOUT))[0])
            assert (code, answered) == ("AA", control)
            acked.append(control)
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await writer.wait_closed()


async def _fire(port: int, messages: list[tuple[str, bytes]]) -> None:
    """Send blocks without waiting for their ACKs: they are in flight when the kill lands."""
    _, writer = await open_hl7_connection("127.0.0.1", port)
    for _, block in messages:
        writer.writeblock(block)
    await writer.drain()
    writer.close()


def _processed() -> int:
    """How many messages are applied (run in a thread of its own: its connection is closed here)."""
    from carecoord.transitions.models import MessageStatus

    try:
        return AdtMessage.objects.filter(status=MessageStatus.PROCESSED).count()
    finally:
        connection.close()


def test_kill_9_listener_and_worker_mid_stream_then_restart_applies_every_acknowledged_message_once():
    """Stream STREAM messages; with a worker applying them, kill -9 the listener and the worker while blocks are
    in flight; restart both, resend everything not acknowledged (and some acknowledged ones again), and drain:
    every acknowledged message is stored once and applied once (one event each, one encounter per visit, one
    diagnosis per visit), and nothing is lost."""
    from django.db.models import Count

    from carecoord.clinical.models import Condition, Encounter, RecordSource
    from carecoord.transitions.models import AdtEvent, MessageStatus

    messages = _stream(_people())
    ordered = list(messages.items())
    quarter = len(ordered) // 4

    async def scenario() -> tuple[list[str], int]:
        acked: list[str] = []
        listener, port = await _listener()
        worker = None
        try:
            await _deliver(port, ordered[:quarter], acked)  # a backlog for the worker
            worker = await _worker("crash-1")
            await _deliver(port, ordered[quarter : 2 * quarter], acked)  # the worker applies as intake goes on
            await _fire(port, ordered[2 * quarter : 2 * quarter + 40])
        finally:
            await _kill_9(listener)
            if worker is not None:
                await _kill_9(worker)
        applied_at_kill = await asyncio.to_thread(_processed)
        # Restart both; resend everything not acknowledged, and the last acknowledged ones again.
        listener, port = await _listener()
        worker = await _worker("crash-2")
        try:
            seen = set(acked)
            resend = ordered[2 * quarter - 5 : 2 * quarter] + [item for item in ordered if item[0] not in seen]
            again: list[str] = []
            await _deliver(port, resend, again)
            acked.extend(again)
        finally:
            listener.send_signal(signal.SIGTERM)
            worker.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(listener.wait(), TIMEOUT) == 0
            # A worker told to stop first applies what it can claim: the whole backlog, however long that takes.
            assert await asyncio.wait_for(worker.wait(), DRAIN_TIMEOUT) == 0
        # What the killed worker held goes back to wait after the claim timeout; a last run applies the rest.
        drain = await _spawn("process-adt", "--once", CARECOORD_ADT_CLAIM_TIMEOUT="1")
        assert await asyncio.wait_for(drain.wait(), DRAIN_TIMEOUT) == 0
        return acked, applied_at_kill

    acked, applied_at_kill = asyncio.run(scenario())

    stored = list(AdtMessage.objects.values_list("control_id", flat=True))
    assert len(stored) == len(set(stored)) == len(messages)  # stored exactly once
    assert set(acked) == set(messages) == set(stored)  # nothing acknowledged was lost
    statuses = dict(AdtMessage.objects.values_list("status").annotate(n=Count("id")))
    assert statuses == {MessageStatus.PROCESSED: len(messages)}
    per_message = AdtEvent.objects.values("message_id").annotate(n=Count("id"))
    assert sorted({row["n"] for row in per_message}) == [1]  # applied exactly once
    assert per_message.count() == len(messages)
    encounters = Encounter.objects.filter(source=RecordSource.HL7V2)
    assert encounters.count() == len(messages) // 2
    assert encounters.values("source_identifier").distinct().count() == len(messages) // 2
    assert not encounters.filter(period_end__isnull=True).exists()  # every discharge applied
    assert Condition.objects.filter(code="I50.9").count() == len(messages) // 2
    # Last, that the kill did land mid-stream: the worker had applied some messages, not all.
    assert 0 < applied_at_kill < len(messages), f"{applied_at_kill} of {len(messages)} applied at the kill"
