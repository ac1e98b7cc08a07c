"""FHIR Patient read throughput with concurrent clients over loopback.

Usage: .venv/bin/python bench/fhir_read.py [--database sqlite|postgres|both] [--patients N] [--seconds S]

Starts `carecoord serve` (Granian, the production server) on a fresh database with N patients, then drives it
with wrk (Debian's `wrk`, installed by `make bench` when missing) from a second process:

- baseline: GET /healthz (the whole middleware stack plus one SELECT 1), measured in the same run;
- FHIR read: GET /fhir/Patient/<id> with a bearer token, rotating over every patient: token check, the
  access rule, an audit record appended to the hash chain, the stored version mapped to FHIR JSON.

Each is run three times; the median requests/second and median latency percentiles are printed, with the
ratio of FHIR reads to the baseline. Target: at least 1,000 FHIR reads per second on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_URL = "postgresql://root@127.0.0.1:5432/carecoord_bench_fhir"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare(env: dict[str, str], patients: int) -> tuple[str, list[str]]:
    """Migrate, create a user, N patients and a token in a child process; returns (token, patient ids)."""
    code = f"""
import datetime, django, sys
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from carecoord.testing.factories import make_organization, make_user, patient_data
from carecoord.patients.actions import register_patient
from carecoord.accounts.actions import create_token
org = make_organization("Bench Agency")
user = make_user("bench_rn", role="licensed_care_manager", organization=org, licensed=True)
ids = []
for n in range({patients}):
    born = datetime.date(1940, 1, 1) + datetime.timedelta(days=(n * 37) % 25000)
    found = register_patient(data=patient_data(birth_date=born), by=user, confirm_not_duplicate=True)
    ids.append(str(found.patient.pk))
    if n % 200 == 0:
        sys.stderr.write(f"\\r  creating patients {{n}}/{patients}")
sys.stderr.write("\\n")
token, plain = create_token(user=user, by=None)
print(plain)
print(" ".join(ids))
"""
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False, cwd=env["BENCH_CWD"]
    )
    if out.returncode != 0:
        raise SystemExit(f"preparing the database failed:\n{out.stderr}")
    token, ids = out.stdout.strip().splitlines()[-2:]
    return token, ids.split()


def wait_ready(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server did not become ready at {url}")


WRK_LINE = re.compile(r"Requests/sec:\s+([\d.]+)")
LATENCY = re.compile(r"^\s+(50|90|99)%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)


def run_wrk(url: str, *, seconds: int, connections: int, script: Path | None) -> tuple[float, dict[str, float]]:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script is not None:
        command += ["-s", str(script)]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    match = WRK_LINE.search(out)
    if match is None:
        raise SystemExit(f"could not read wrk's output:\n{out}")
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    latencies = {f"p{p}": float(v) * scale[u] for p, v, u in LATENCY.findall(out)}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise SystemExit(f"{errors.group(1)} requests failed during the benchmark:\n{out}")
    return float(match.group(1)), latencies


def lua_script(path: Path, token: str, ids: list[str]) -> None:
    id_list = ",".join(f'"{i}"' for i in ids)
    path.write_text(
        f"""
local ids = {{{id_list}}}
local n = 0
wrk.headers["Authorization"] = "Bearer {token}"
wrk.headers["Accept"] = "application/fhir+json"
request = function()
  n = n + 1
  return wrk.format("GET", "/fhir/Patient/" .. ids[(n % #ids) + 1])
end
"""
    )


def bench_database(
    name: str, url: str, *, patients: int, seconds: int, workers: int, connections: int, threads: int
) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="carecoord-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARECOORD_")}
    env.update(
        {
            "CARECOORD_SECRET_KEY": "bench-" + "k" * 40,
            "CARECOORD_DATABASE_URL": url if url else f"sqlite:///{workdir}/bench.sqlite3",
            "CARECOORD_DATA_DIR": str(workdir),
            "CARECOORD_LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "carecoord.settings",
            "BENCH_CWD": str(workdir),
        }
    )
    print(f"\n== {name}: {patients} patients, {workers} server workers, {connections} connections, {seconds}s runs")
    token, ids = prepare(env, patients)
    port = free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("carecoord")),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--threads",
            str(threads),
        ],
        env=env,
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_ready(f"{base}/healthz")
        script = workdir / "read.lua"
        lua_script(script, token, ids)
        run_wrk(f"{base}/healthz", seconds=2, connections=connections, script=None)  # warm up
        run_wrk(base, seconds=2, connections=connections, script=script)
        results: dict[str, list[tuple[float, dict[str, float]]]] = {"baseline /healthz": [], "FHIR Patient read": []}
        for _ in range(3):
            results["baseline /healthz"].append(
                run_wrk(f"{base}/healthz", seconds=seconds, connections=connections, script=None)
            )
            results["FHIR Patient read"].append(run_wrk(base, seconds=seconds, connections=connections, script=script))
        medians = {}
        print(f"{'':22} {'req/s (median)':>15} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8}")
        for label, runs in results.items():
            rate = statistics.median(r[0] for r in runs)
            medians[label] = rate
            lat = {p: statistics.median(r[1].get(p, float("nan")) for r in runs) for p in ("p50", "p90", "p99")}
            print(f"{label:22} {rate:15.0f} {lat['p50']:8.2f} {lat['p90']:8.2f} {lat['p99']:8.2f}")
        ratio = medians["FHIR Patient read"] / medians["baseline /healthz"]
        verdict = "meets" if medians["FHIR Patient read"] >= 1000 else "MISSES"
        print(f"FHIR read / baseline ratio: {ratio:.2f}; target 1,000 req/s: {verdict}")
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2, help="server threads per worker (as `carecoord serve`)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("This benchmark needs wrk: apt-get install wrk (make bench installs it).")
    if args.database in ("sqlite", "both"):
        bench_database(
            "SQLite",
            "",
            patients=args.patients,
            seconds=args.seconds,
            workers=args.workers,
            connections=args.connections,
            threads=args.threads,
        )
    if args.database in ("postgres", "both"):
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "root", "--if-exists", "carecoord_bench_fhir"], check=True)
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "root", "carecoord_bench_fhir"], check=True)
        try:
            bench_database(
                "PostgreSQL",
                PG_URL,
                patients=args.patients,
                seconds=args.seconds,
                workers=args.workers,
                connections=args.connections,
                threads=args.threads,
            )
        finally:
            subprocess.run(
                ["dropdb", "-h", "127.0.0.1", "-U", "root", "--if-exists", "carecoord_bench_fhir"], check=False
            )


if __name__ == "__main__":
    main()
