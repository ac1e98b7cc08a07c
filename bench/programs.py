"""The supervisor's caseload view and the enrollment board at 200,000 enrolled people and 4,500 care managers.

Usage: .venv/bin/python bench/programs.py [--database postgres|sqlite|both] [--people N] [--care-managers M]
                                          [--agencies A] [--repeat R]

For each database, in a fresh database (PostgreSQL ``carecoord_bench_programs``, created and dropped here; a
temporary SQLite file), it migrates and bulk-loads a Health Home network:

- A agencies (default 10) under one Health Home, each with M/A care managers (4 in 10 licensed, with a current
  license), one supervisor, and N/A enrolled people: the largest organizations a supervisor would ever look at
  (20,000 people and 450 care managers each by default, where a real agency has a few thousand).
- Every enrolled person has a Medicaid CIN, an accepted plan referral, an enrollment segment, a DOH-5055 consent
  listing the agency, and an active Enrollment with a care manager and an acuity tier. On top, per agency, 5% as
  many people in outreach (segment, attempts in the last two months, claimed months) and 2% with a pending
  referral, so that every column of the board has people in it.

The loader writes rows directly (many per INSERT), bypassing the actions for speed; the pages then read them
exactly as in production. Measured R times each after a warm-up, for a supervisor of a random agency:

- baseline: ``GET /healthz`` through the same test client (middleware, one query), in the same run;
- ``GET /caseload/`` (the supervisor's caseload view: team table, acuity mix, unassigned people);
- ``GET /programs/board/`` (the enrollment pipeline board, every program).

Each request goes through Django's full stack (sessions, MFA, the view, the templates) via ``django.test.Client``
in process, so the figures are server time without the network. Target: p95 under 100 ms on PostgreSQL.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from harness import percentile, start_django  # bench/ is the script's directory, so on sys.path

ROOT = Path(__file__).resolve().parents[1]
PG_DATABASE = "carecoord_bench_programs"
PG_URL = f"postgresql://root@127.0.0.1:5432/{PG_DATABASE}"
TARGET_P95_MS = 100.0

FAMILY = [
    "Garcia",
    "Rodriguez",
    "Nguyen",
    "Smith",
    "Johnson",
    "Kim",
    "Cohen",
    "Okafor",
    "Diallo",
    "Rossi",
    "Williams",
    "Brown",
    "Lopez",
    "Chen",
    "Patel",
    "Haddad",
    "Ivanova",
    "Kowalski",
    "Jean-Baptiste",
    "Park",
]
GIVEN = [
    "Maria",
    "Jose",
    "Lan",
    "James",
    "Aisha",
    "Wei",
    "Fatima",
    "David",
    "Ana",
    "Kwame",
    "Olga",
    "Luis",
    "Grace",
    "Mohammed",
    "Rosa",
    "Daniel",
    "Mei",
    "Ibrahim",
    "Sofia",
    "Yusuf",
]
LANGUAGES = ["en", "en", "en", "es", "es", "zh", "ru", "ht", "bn", "ko"]


def load(people: int, care_managers: int, agencies: int) -> dict[str, Any]:
    """Bulk-load the network; returns the supervisors' usernames."""
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from carecoord.accounts.actions import create_organization
    from carecoord.accounts.models import License, User
    from carecoord.consents.models import Consent, ConsentPartner
    from carecoord.patients.models import Patient, PatientIdentifier
    from carecoord.programs.models import (
        Enrollment,
        OutreachAttempt,
        OutreachMonth,
        ProgramReferral,
        Segment,
    )
    from carecoord.programs.rules import add_months, month_start
    from search_fixture import _Table  # bench/ is the script's directory, so on sys.path

    rng = random.Random(2028)
    now = timezone.now()
    today = timezone.localdate()
    this_month = month_start(today)
    health_home = create_organization(name="Bench Health Home", type="health_home", by=None)
    plan = create_organization(name="Bench Plan", type="health_plan", by=None)
    password = make_password("Bench-Programs-2026!")
    tables = {
        "users": _Table(
            User,
            (
                "id",
                "username",
                "password",
                "first_name",
                "last_name",
                "email",
                "is_active",
                "is_staff",
                "is_superuser",
                "date_joined",
                "organization",
                "role",
                "title",
                "languages",
                "phone",
                "education",
            ),
        ),
        "licenses": _Table(License, ("user", "type", "number", "state", "expires_on")),
        "patients": _Table(
            Patient,
            (
                "id",
                "family_name",
                "given_names",
                "name_prefix",
                "name_suffix",
                "preferred_name",
                "birth_date",
                "sex",
                "gender_identity",
                "pronouns",
                "preferred_language",
                "interpreter_needed",
                "email",
                "active",
                "version",
                "created_at",
                "updated_at",
                "family_folded",
                "given_folded",
            ),
        ),
        "identifiers": _Table(PatientIdentifier, ("patient", "kind", "system", "value")),
        "referrals": _Table(
            ProgramReferral,
            (
                "id",
                "patient",
                "program",
                "source",
                "referring_organization",
                "referrer_name",
                "receiving_organization",
                "reason",
                "security_labels",
                "status",
                "decision_reason",
                "received_at",
                "external_id",
                "version",
            ),
        ),
        "segments": _Table(
            Segment,
            (
                "id",
                "patient",
                "program",
                "organization",
                "health_home",
                "kind",
                "start_date",
                "end_reason",
                "end_note",
                "created_at",
            ),
        ),
        "consents": _Table(
            Consent,
            (
                "id",
                "patient",
                "form",
                "program",
                "organization",
                "status",
                "signed_on",
                "signer_kind",
                "signer_name",
                "verbal",
                "language",
                "interpreter_used",
                "copy_given",
                "released_labels",
                "part2_recipients",
                "part2_disclosing_program",
                "part2_information",
                "part2_purpose",
                "part2_expiration",
                "revocation_explained",
                "note",
                "recorded_by",
                "recorded_at",
                "version",
            ),
        ),
        "partners": _Table(
            ConsentPartner,
            ("consent", "organization", "added_on", "added_later", "initials", "removed_reason", "added_by"),
        ),
        "enrollments": _Table(
            Enrollment,
            (
                "id",
                "patient",
                "program",
                "organization",
                "health_home",
                "care_manager",
                "status",
                "acuity",
                "start_date",
                "end_reason",
                "end_note",
                "segment",
                "consent",
                "clinical_need",
                "created_at",
                "version",
            ),
        ),
        "attempts": _Table(
            OutreachAttempt,
            (
                "id",
                "patient",
                "program",
                "organization",
                "segment",
                "attempted_at",
                "method",
                "direction",
                "outcome",
                "diligent_search",
                "note",
                "by",
                "recorded_at",
            ),
        ),
        "months": _Table(
            OutreachMonth, ("patient", "program", "organization", "month", "status", "reason", "decided_at")
        ),
    }
    supervisors: list[str] = []
    per_agency_cms = care_managers // agencies
    per_agency_people = people // agencies
    rows = 0
    cin = 0

    def flush() -> int:
        return sum(table.flush() for table in tables.values())

    for a in range(agencies):
        agency = create_organization(name=f"Bench Agency {a + 1}", type="care_management_agency", by=None)
        staff: list[uuid.UUID] = []
        licensed: list[uuid.UUID] = []
        supervisor_id = uuid.uuid4()
        supervisors.append(f"bench_sup_{a}")
        tables["users"].add(
            supervisor_id,
            f"bench_sup_{a}",
            password,
            "Sam",
            f"Supervisor{a}",
            "",
            True,
            False,
            False,
            now,
            agency.pk,
            "supervisor",
            "Supervisor",
            ["en"],
            "",
            "",
        )
        for c in range(per_agency_cms):
            user_id = uuid.uuid4()
            is_licensed = c % 10 < 4
            tables["users"].add(
                user_id,
                f"bench_cm_{a}_{c}",
                password,
                rng.choice(GIVEN),
                rng.choice(FAMILY),
                "",
                True,
                False,
                False,
                now,
                agency.pk,
                "licensed_care_manager" if is_licensed else "care_manager",
                "Care Manager",
                ["en", rng.choice(LANGUAGES)],
                "",
                "",
            )
            if is_licensed:
                tables["licenses"].add(user_id, "RN", f"{a:02d}{c:05d}", "NY", today + datetime.timedelta(days=400))
                licensed.append(user_id)
            staff.append(user_id)
        rows += flush()
        outreach_people = per_agency_people // 20
        pending_people = per_agency_people // 50
        for p in range(per_agency_people + outreach_people + pending_people):
            patient_id = uuid.uuid4()
            family, given = rng.choice(FAMILY), rng.choice(GIVEN)
            cin += 1
            tables["patients"].add(
                patient_id,
                family,
                given,
                "",
                "",
                "",
                datetime.date(1940, 1, 1) + datetime.timedelta(days=rng.randint(0, 25000)),
                rng.choice(("female", "male")),
                "",
                "",
                rng.choice(LANGUAGES),
                False,
                "",
                True,
                1,
                now,
                now,
                family.lower(),
                given.lower(),
            )
            tables["identifiers"].add(patient_id, "medicaid_cin", "http://health.ny.gov/medicaid/cin", f"Z{cin:06d}Q")
            referral_id = uuid.uuid4()
            stage = (
                "enrolled"
                if p < per_agency_people
                else "outreach"
                if p < per_agency_people + outreach_people
                else "pending"
            )
            tables["referrals"].add(
                referral_id,
                patient_id,
                "ny-hh-adult",
                "plan_assignment",
                plan.pk,
                "",
                agency.pk,
                "Plan assignment",
                [],
                "pending" if stage == "pending" else "accepted",
                "",
                now,
                f"Z{cin:06d}Q",
                1,
            )
            if stage == "pending":
                continue
            segment_id = uuid.uuid4()
            started = today - datetime.timedelta(days=rng.randint(40, 900) if stage == "enrolled" else 45)
            tables["segments"].add(
                segment_id,
                patient_id,
                "ny-hh-adult",
                agency.pk,
                health_home.pk,
                "enrollment" if stage == "enrolled" else "outreach",
                started,
                "",
                "",
                now,
            )
            if stage == "outreach":
                for back in (2, 1):
                    month = add_months(this_month, -back)
                    for method in ("phone", "in_person" if back == 1 else "text"):
                        tables["attempts"].add(
                            uuid.uuid4(),
                            patient_id,
                            "ny-hh-adult",
                            agency.pk,
                            segment_id,
                            timezone.make_aware(
                                datetime.datetime.combine(month.replace(day=rng.randint(1, 27)), datetime.time(11))
                            ),
                            method,
                            "outbound",
                            "no_answer",
                            False,
                            "",
                            supervisor_id,
                            now,
                        )
                    tables["months"].add(patient_id, "ny-hh-adult", agency.pk, month, "billable", "", now)
                continue
            consent_id = uuid.uuid4()
            tables["consents"].add(
                consent_id,
                patient_id,
                "DOH-5055",
                None,
                agency.pk,
                "active",
                started,
                "person",
                "",
                False,
                "en",
                False,
                True,
                [],
                "",
                "",
                "",
                "",
                "",
                False,
                "",
                supervisor_id,
                now,
                1,
            )
            tables["partners"].add(consent_id, agency.pk, started, False, "", "", supervisor_id)
            tables["partners"].add(consent_id, health_home.pk, started, False, "", "", supervisor_id)
            clinical = rng.random() < 0.3
            manager = rng.choice(licensed if clinical else staff) if rng.random() > 0.01 else None
            tables["enrollments"].add(
                uuid.uuid4(),
                patient_id,
                "ny-hh-adult",
                agency.pk,
                health_home.pk,
                manager,
                "active",
                rng.choice(("high", "medium", "medium", "low")),
                started,
                "",
                "",
                segment_id,
                consent_id,
                clinical,
                now,
                1,
            )
            if len(tables["patients"].rows) >= 2000:
                rows += flush()
        rows += flush()
        print(f"\r  loaded agency {a + 1}/{agencies} ({rows:,} rows)", end="", flush=True)
    print()
    return {"supervisors": supervisors, "rows": rows}


def worker(url: str, args: argparse.Namespace, result_path: str) -> None:
    start_django(url, pages=True)
    from django.db import connection
    from django.test import Client

    from carecoord.accounts.models import User

    started = time.perf_counter()
    if User.objects.filter(username__startswith="bench_sup_").exists():  # --keep left a loaded database
        loaded = {
            "supervisors": sorted(
                User.objects.filter(username__startswith="bench_sup_").values_list("username", flat=True)
            ),
            "rows": 0,
        }
    else:
        loaded = load(args.people, args.care_managers, args.agencies)
    load_seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"  {loaded['rows']:,} rows in {load_seconds:.0f} s; ANALYZE done", flush=True)

    rng = random.Random(9)
    clients = {}
    for username in loaded["supervisors"]:
        client = Client(secure=True)
        client.force_login(User.objects.get(username=username))
        clients[username] = client
    pages = {
        "baseline: GET /healthz": "/healthz",
        "caseload view": "/caseload/",
        "enrollment board": "/programs/board/",
    }
    figures: dict[str, list[float]] = {label: [] for label in pages}
    from carecoord.common.process import settle_heap

    settle_heap()  # as every server worker does once Django has started (carecoord.wsgi), before any request
    for path in pages.values():
        client = clients[loaded["supervisors"][0]]
        for _ in range(max(3, args.repeat // 10)):  # warm-up
            response = client.get(path)
            if response.status_code != 200:
                raise SystemExit(f"{path} answered {response.status_code}")
    for _ in range(args.repeat):
        client = clients[rng.choice(loaded["supervisors"])]
        for label, path in pages.items():
            begin = time.perf_counter()
            response = client.get(path)
            elapsed = (time.perf_counter() - begin) * 1000
            if response.status_code != 200:
                raise SystemExit(f"{path} answered {response.status_code}")
            figures[label].append(elapsed)
    vendor = "PostgreSQL" if connection.vendor == "postgresql" else "SQLite"
    print(
        f"\n  {vendor}: {args.people:,} enrolled people, {args.care_managers:,} care managers in {args.agencies} "
        f"agencies; {args.repeat} requests each, ms (load average {os.getloadavg()[0]:.1f})"
    )
    print(f"  {'':28} {'p50':>8} {'p95':>8} {'max':>8} {'p50 / baseline':>15}")
    base = statistics.median(figures["baseline: GET /healthz"])
    summary = {}
    for label, samples in figures.items():
        p50, p95 = statistics.median(samples), percentile(samples, 0.95)
        summary[label] = [p50, p95]
        print(f"  {label:28} {p50:8.1f} {p95:8.1f} {max(samples):8.1f} {p50 / base:15.1f}")
    Path(result_path).write_text(json.dumps({"database": vendor, "figures": summary, "load_seconds": load_seconds}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="postgres")
    parser.add_argument("--people", type=int, default=200_000)
    parser.add_argument("--care-managers", type=int, default=4_500)
    parser.add_argument("--agencies", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database (and reuse it next time)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args, _ = parser.parse_known_args()
    if args.worker:
        worker(args.worker, args, args.result)
        return

    def run(name: str, url: str) -> dict[str, Any]:
        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
            result = handle.name
        print(f"\n== {name}", flush=True)
        command = [
            sys.executable,
            __file__,
            "--worker",
            url,
            "--result",
            result,
            "--people",
            str(args.people),
            "--care-managers",
            str(args.care_managers),
            "--agencies",
            str(args.agencies),
            "--repeat",
            str(args.repeat),
        ]
        subprocess.run(command, check=True, cwd=ROOT)
        data: dict[str, Any] = json.loads(Path(result).read_text())
        Path(result).unlink()
        return data

    results = []
    if args.database in ("postgres", "both"):
        pg = ["-h", "127.0.0.1", "-U", "root"]
        if not args.keep:
            subprocess.run(["dropdb", *pg, "--if-exists", PG_DATABASE], check=True)
        subprocess.run(["createdb", *pg, PG_DATABASE], check=False, capture_output=True)
        try:
            results.append(run("PostgreSQL", PG_URL))
        finally:
            if not args.keep:
                subprocess.run(["dropdb", *pg, "--if-exists", PG_DATABASE], check=False)
    if args.database in ("sqlite", "both"):
        with tempfile.TemporaryDirectory(prefix="carecoord-bench-") as directory:
            results.append(run("SQLite", f"sqlite:///{directory}/programs.sqlite3"))
    print(f"\n== Summary: p50 / p95 in ms; target p95 < {TARGET_P95_MS:.0f} ms on PostgreSQL")
    for data in results:
        cells = "; ".join(f"{label} {p50:.1f} / {p95:.1f}" for label, (p50, p95) in data["figures"].items())
        worst = max(p95 for label, (_, p95) in data["figures"].items() if not label.startswith("baseline"))
        verdict = "met" if worst < TARGET_P95_MS else "MISSED"
        print(f"  {data['database']:10} {cells}; slowest page p95 {worst:.1f}: {verdict}")


if __name__ == "__main__":
    main()
