"""HL7 v2 ADT intake and processing throughput, against a bare MLLP server measured in the same run.

Usage: .venv/bin/python bench/hl7_intake.py [--database postgres|sqlite|both] [--messages N] [--connections C]
                                            [--people P] [--rounds R] [--workers W] [--pg-database NAME]

For each database, in a fresh database (PostgreSQL ``carecoord_bench_hl7``, created and dropped here; a
temporary SQLite file), it migrates and registers P people with Medicaid CINs (the ADT messages carry them in
PID-3, so processing matches every message), then:

- **baseline**: a bare MLLP server (asyncio, the same framing) that answers each block with an ACK without
  parsing or storing anything, driven by the same clients;
- **intake**: ``carecoord adt-listen`` (the production listener with its defaults, one process per core: each
  message parsed, stored and committed before its ACK) driven by C connections at once, each sending its share
  of N messages one after another and waiting for each ACK (MLLP is stop-and-wait per connection); R rounds,
  median messages/second;
- **processing**: W ``carecoord process-adt`` workers started on the stored backlog (R x N messages, an A01
  admission and an A03 discharge per visit, DG1 diagnoses), timed until nothing is waiting: messages/second
  end to end (claim, match, encounter and diagnoses written, events, alerts when there are any);
- **alert latency**: with the workers running, an A01 for a person enrolled in a program; the time from its
  ACK to the notification for the care team (median of 5), when the alerts feature is installed.

Targets (issue 7, PostgreSQL, this 2-core machine): intake at least 2,000 messages/s, processing at least 300
messages/s, the alert within 2 s of the ACK.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PG_DATABASE = "carecoord_bench_hl7"
VT, FS, CR = b"\x0b", b"\x1c", b"\r"
TARGETS = {"intake": 2000.0, "processing": 300.0, "alert": 2.0}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_port(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listens on port {port} after {timeout:.0f} s")


# Messages --------------------------------------------------------------------------------------------------------


def message(event: str, control: str, cin: str, visit: str, when: datetime.datetime, discharged: str = "") -> bytes:
    stamp = when.strftime("%Y%m%d%H%M")
    pv1 = ["PV1", "1"] + [""] * 45
    for number, value in {2: "I", 3: "4W^401^A^BENCH", 4: "E", 10: "MED", 14: "7", 19: visit, 44: stamp}.items():
        pv1[number] = value
    if discharged:
        pv1[36], pv1[45] = "01", discharged
    segments = [
        f"MSH|^~\\&|ADTAPP|BENCH HOSPITAL|CARECOORD|CC|{stamp}||ADT^{event}^ADT_A01|{control}|P|2.5.1",
        f"EVN|{event}|{stamp}",
        f"PID|1||{cin}^^^NYSDOH^MA||BENCH^PERSON||19600101|F",
        "|".join(pv1).rstrip("|"),
        f"DG1|1|I10|I50.9^Heart failure, unspecified^I10||{stamp}|A",
    ]
    return VT + "\r".join(segments).encode() + CR + FS + CR


def workload(cins: list[str], count: int, round_no: int) -> list[bytes]:
    """``count`` messages: admission then discharge for visits spread over the people, newest last."""
    start = datetime.datetime(2026, 10, 1, 8, 0) + datetime.timedelta(days=round_no)
    out: list[bytes] = []
    for n in range(count // 2):
        cin = cins[n % len(cins)]
        visit = f"R{round_no}V{n}"
        admitted = start + datetime.timedelta(minutes=n)
        out.append(message("A01", f"R{round_no}A{n}", cin, visit, admitted))
        discharged = (admitted + datetime.timedelta(days=2)).strftime("%Y%m%d%H%M")
        out.append(message("A03", f"R{round_no}D{n}", cin, visit, admitted, discharged))
    return out


# Clients -----------------------------------------------------------------------------------------------------------


def _read_block(sock: socket.socket, buffer: bytearray) -> bytes:
    while True:
        end = buffer.find(FS + CR)
        if end >= 0:
            block = bytes(buffer[: end + 2])
            del buffer[: end + 2]
            return block
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        buffer += chunk


def drive(port: int, messages: list[bytes], connections: int) -> float:
    """Send every message over ``connections`` sockets at once (stop-and-wait each); messages/second."""
    shares = [messages[i::connections] for i in range(connections)]
    problems: list[str] = []

    def client(share: list[bytes]) -> None:
        with socket.create_connection(("127.0.0.1", port)) as sock:
            buffer = bytearray()
            for block in share:
                sock.sendall(block)
                answer = _read_block(sock, buffer)
                if b"MSA|AA|" not in answer:
                    problems.append(answer[:200].decode(errors="replace"))

    threads = [threading.Thread(target=client, args=(share,)) for share in shares]
    begin = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - begin
    if problems:
        raise SystemExit(f"{len(problems)} messages were not accepted, e.g. {problems[0]!r}")
    return len(messages) / elapsed


BARE_SERVER = r"""
import asyncio, sys
ACK = b"\x0bMSH|^~\\&|CARECOORD|CC|ADTAPP|HOSP|20260101||ACK|1|P|2.5.1\rMSA|AA|1\r\x1c\r"
async def handle(reader, writer):
    try:
        while True:
            await reader.readuntil(b"\x1c\r")
            writer.write(ACK)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        writer.close()
async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", int(sys.argv[1]), limit=4 * 1024 * 1024)
    async with server:
        await server.serve_forever()
asyncio.run(main())
"""


def stop(process: subprocess.Popen[Any]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


# The run for one database (a child process with Django set up for it) ---------------------------------------------


def setup_django(url: str) -> None:
    os.environ.update(
        {
            "CARECOORD_DATABASE_URL": url,
            "CARECOORD_SECRET_KEY": "bench-" + "h" * 40,
            "CARECOORD_LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "carecoord.settings",
        }
    )
    import django

    django.setup()


def prepare(people: int) -> tuple[list[str], str | None]:
    """People with CINs (one enrolled in a program, for the alert), returned as their CINs."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from carecoord.consents.actions import ConsentData, record_consent
    from carecoord.patients.actions import register_patient
    from carecoord.patients.data import IdentifierData
    from carecoord.programs.actions import enroll
    from carecoord.programs.models import Program
    from carecoord.testing.factories import make_organization, make_user, patient_data

    org = make_organization("Bench Care Agency")
    user = make_user("bench_cm", role="licensed_care_manager", organization=org, licensed=True)
    cins = []
    for n in range(people):
        cin = f"BH{n:05d}Q"
        register_patient(
            data=patient_data(identifiers=[IdentifierData(kind="medicaid_cin", value=cin)]),
            by=user,
            confirm_not_duplicate=True,
        )
        cins.append(cin)
    enrolled = f"BH{people:05d}Q"
    person = register_patient(
        data=patient_data(identifiers=[IdentifierData(kind="medicaid_cin", value=enrolled)]),
        by=user,
        confirm_not_duplicate=True,
    ).patient
    record_consent(
        patient=person,
        data=ConsentData(form="DOH-5055", signed_on=datetime.date.today(), partners=[org]),
        by=user,
    )
    enroll(patient=person, program=Program.objects.get(code="ny-hh-adult"), by=user, care_manager=user)
    return cins, enrolled


def waiting() -> int:
    from carecoord.transitions.models import AdtMessage

    return AdtMessage.objects.filter(status__in=["received", "processing"]).count()


def worker_run(url: str, args: argparse.Namespace, result_path: str) -> None:
    setup_django(url)
    env = {**os.environ, "CARECOORD_ADT_POLL_INTERVAL": "0.05"}
    cins, enrolled = prepare(args.people)
    print(f"  {len(cins)} people registered", flush=True)
    command = [str(ROOT / ".venv/bin/carecoord")]

    bare_port = free_port()
    bare = subprocess.Popen([sys.executable, "-c", BARE_SERVER, str(bare_port)])
    try:
        wait_port(bare_port)
        drive(bare_port, workload(cins, 200, 99), args.connections)  # warm-up
        baseline = [drive(bare_port, workload(cins, args.messages, 90 + r), args.connections) for r in range(3)]
    finally:
        stop(bare)

    port = free_port()
    listener = subprocess.Popen([*command, "adt-listen", "--host", "127.0.0.1", "--port", str(port)], env=env)
    workers: list[subprocess.Popen[Any]] = []
    try:
        wait_port(port)
        intake = []
        for round_no in range(args.rounds):
            intake.append(drive(port, workload(cins, args.messages, round_no), args.connections))
            print(f"  intake round {round_no + 1}: {intake[-1]:,.0f} messages/s", flush=True)
        backlog = waiting()
        workers = [
            subprocess.Popen([*command, "process-adt", "--name", f"bench-{n}"], env=env, stdout=subprocess.DEVNULL)
            for n in range(args.workers)
        ]
        while waiting() == backlog:  # the workers' start-up (Django, connections) is not processing
            time.sleep(0.01)
        begin, left = time.perf_counter(), waiting()
        while waiting():
            time.sleep(0.05)
        processing = left / (time.perf_counter() - begin)
        print(f"  processed {backlog:,} messages: {processing:,.0f} messages/s", flush=True)
        latency = alert_latency(port, enrolled)
    finally:
        for process in [*workers, listener]:
            stop(process)
    Path(result_path).write_text(
        json.dumps(
            {
                "baseline": statistics.median(baseline),
                "intake": statistics.median(intake),
                "processing": processing,
                "alert": latency,
                "load": os.getloadavg()[0],
            }
        )
    )


def alert_latency(port: int, cin: str | None) -> float | None:
    """Seconds from the ACK of an admission to the care team's notification (median of 5), if alerts exist."""
    try:
        import carecoord.transitions.alerts  # noqa: F401
    except ImportError:
        return None
    from carecoord.notifications.models import Notification

    if cin is None:
        return None
    samples = []
    for n in range(5):
        before = Notification.objects.count()
        block = message("A01", f"ALERT{n}", cin, f"ALERTV{n}", datetime.datetime(2026, 11, 1, 8, n))
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(block)
            answer = _read_block(sock, bytearray())
            acked = time.perf_counter()
        if b"MSA|AA|" not in answer:
            raise SystemExit(f"the alert message was not accepted: {answer[:200]!r}")
        deadline = acked + 30
        while Notification.objects.count() == before:
            if time.perf_counter() > deadline:
                return float("inf")
            time.sleep(0.01)
        samples.append(time.perf_counter() - acked)
    return statistics.median(samples)


# Driver ----------------------------------------------------------------------------------------------------------


def run(name: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    print(
        f"\n== {name}: {args.people} people, {args.messages:,} messages x {args.rounds} rounds, "
        f"{args.connections} connections, {args.workers} workers",
        flush=True,
    )
    with tempfile.NamedTemporaryFile(suffix=".json") as result:
        command = [sys.executable, __file__, "--worker", url, "--result", result.name]
        command += ["--messages", str(args.messages), "--connections", str(args.connections)]
        command += ["--people", str(args.people), "--rounds", str(args.rounds), "--workers", str(args.workers)]
        subprocess.run(command, check=True)
        figures: dict[str, Any] = json.loads(Path(result.name).read_text())
    base = figures["baseline"]
    print(f"\n  {name} (1-minute load average {figures['load']:.1f})")
    print(f"  {'':36} {'messages/s':>12} {'/ bare server':>14}")
    print(f"  {'bare MLLP server (no storage)':36} {base:12,.0f} {1.0:14.2f}")
    print(f"  {'intake (stored, committed, ACK)':36} {figures['intake']:12,.0f} {figures['intake'] / base:14.2f}")
    print(f"  {'processing (end to end)':36} {figures['processing']:12,.0f} {figures['processing'] / base:14.2f}")
    alert = figures["alert"]
    print(f"  alert after ACK: {'n/a (alerts not installed)' if alert is None else f'{alert:.2f} s (median of 5)'}")
    verdicts = [
        f"intake {figures['intake']:,.0f}/s {'meets' if figures['intake'] >= TARGETS['intake'] else 'MISSES'} 2,000",
        f"processing {figures['processing']:,.0f}/s "
        f"{'meets' if figures['processing'] >= TARGETS['processing'] else 'MISSES'} 300",
    ]
    if alert is not None:
        verdicts.append(f"alert {alert:.2f} s {'meets' if alert <= TARGETS['alert'] else 'MISSES'} 2 s")
    print("  " + "; ".join(verdicts))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="postgres")
    parser.add_argument("--messages", type=int, default=5000, help="messages per intake round")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pg-database", default=PG_DATABASE, help="PostgreSQL database (created and dropped here)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker_run(args.worker, args, args.result)
        return
    if args.database in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as folder:
            run("SQLite", f"sqlite:///{folder}/bench.sqlite3", args)
    if args.database in ("postgres", "both"):
        database = args.pg_database
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "root", "--if-exists", database], check=True)
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "root", database], check=True)
        try:
            run("PostgreSQL", f"postgresql://root@127.0.0.1:5432/{database}", args)
        finally:
            subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "root", "--if-exists", database], check=False)


if __name__ == "__main__":
    main()
