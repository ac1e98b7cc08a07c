"""Billing readiness: the live recompute after a contact is saved, and the month close report at 200,000 people.

Usage: .venv/bin/python bench/billing.py [--database postgres|sqlite] [--people N] [--repeat R] [--keep]

In a fresh database (PostgreSQL ``carecoord_bench_billing``, created and dropped here; or a temporary SQLite
file) it migrates and loads one care management agency with 40 care managers (licensed: clinical staff time)
and N enrolled people (default 200,000: a Health Home network's worth in one agency): 70% NY Health Home adult,
10% Health Home Plus (SMI), 15% Medicare CCM, 5% Medicare PCM, each with its consent (DOH-5055 listing the
agency, or verbal CCM consent), a Medicaid CIN or Medicare MBI, and last month's work: 0 to 4 contacts each
(phone and in person, most with a core service) and, for Medicare, 1 or 2 time entries. About 1.4 million rows,
written with COPY on PostgreSQL (generated in Python, every column through the model's defaults), multi-row
INSERTs on SQLite; the actions are bypassed for the load only.

Measured, each against a baseline in the same run:

(a) live recompute: ``contacts.actions.record_contact`` for a person whose month already has 10 contacts and 4
    time entries (the contact, its audit record, and the month's verdict judged and stored, in one
    transaction), R times (default 200; each timed contact is deleted after, so the month stays the same size);
    baseline: a bare ``Contact.objects.create`` of the same contact. Then the same contact dated in a *closed*
    month (the correction path). p50 / p95 in ms; target p95 < 50 ms.
(b) the month report and close for the N people, last month: ``carecoord billing-report --month M --org ORG``
    run in process (``call_command``, CSV to /dev/null: live judgement in batches), ``close_month`` (judge every
    enrollment and store 200,000 frozen rows), and the report again (reading the frozen rows); baseline:
    ``COPY (SELECT ...) TO STDOUT`` of the same rows (enrollment, person, CIN, program, care manager, and the
    month's contact count and minutes, aggregated in SQL; PostgreSQL only). Seconds, and the growth of the
    process's peak memory; target: the report under 60 s on PostgreSQL.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from harness import percentile, start_django  # bench/ is the script's directory, so on sys.path

ROOT = Path(__file__).resolve().parents[1]
PG_DATABASE = "carecoord_bench_billing"
PG_URL = f"postgresql://root@127.0.0.1:5432/{PG_DATABASE}"
TARGET_P95_MS = 50.0
TARGET_REPORT_S = 60.0
FAMILY = ["Garcia", "Nguyen", "Smith", "Kim", "Cohen", "Okafor", "Diallo", "Rossi", "Lopez", "Chen", "Patel", "Park"]
GIVEN = ["Maria", "Jose", "Lan", "James", "Aisha", "Wei", "Fatima", "David", "Ana", "Kwame", "Olga", "Luis"]
PROGRAMS = [("ny-hh-adult", 70), ("ny-hh-plus-smi", 10), ("medicare-ccm", 15), ("medicare-pcm", 5)]


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_rows(model: Any, rows: Iterable[dict[str, Any]]) -> int:
    """Insert ``rows`` (attname → value; every other column takes the field's default): COPY on PostgreSQL,
    multi-row INSERTs on SQLite. Auto-increment keys are left to the database."""
    from django.db import connection, models

    fields = [f for f in model._meta.concrete_fields if not isinstance(f, models.AutoField)]
    json_fields = {f.attname for f in fields if isinstance(f, models.JSONField)}
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    table = quote(model._meta.db_table)

    def values(row: dict[str, Any]) -> list[Any]:
        out = []
        for f in fields:
            value = row[f.attname] if f.attname in row else f.get_default()
            if f.attname in json_fields:
                value = json.dumps(value)
            out.append(value)
        return out

    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(values(row))
                    count += 1
            return count
        per = max(1, 30_000 // len(fields))
        head = f"INSERT INTO {table} ({columns}) VALUES "
        mark = f"({', '.join(['%s'] * len(fields))})"
        batch: list[list[Any]] = []
        prepared = list(fields)

        def flush() -> None:
            cursor.execute(
                head + ", ".join([mark] * len(batch)),
                [
                    f.get_db_prep_save(v, connection) if v is not None and f.attname not in json_fields else v
                    for row in batch
                    for f, v in zip(prepared, row, strict=True)
                ],
            )

        for row in rows:
            batch.append(values(row))
            count += 1
            if len(batch) >= per:
                flush()
                batch = []
        if batch:
            flush()
    return count


def load(people: int) -> dict[str, Any]:
    """The agency, its staff and ``people`` enrolled people with last month's work."""
    from django.utils import timezone

    from carecoord.accounts.actions import LicenseData, create_organization, create_user
    from carecoord.consents.models import Consent, ConsentPartner
    from carecoord.contacts.models import Contact, TimeEntry
    from carecoord.patients.data import identifier_system
    from carecoord.patients.models import Patient, PatientIdentifier
    from carecoord.programs.models import Enrollment, Program
    from carecoord.programs.rules import add_months, month_start

    rng = random.Random(2026)
    now = timezone.now()
    zone = timezone.get_current_timezone()
    this_month = month_start(timezone.localdate())
    last_month = add_months(this_month, -1)
    start = add_months(this_month, -12)
    agency = create_organization(name="Bench Billing Agency", type="care_management_agency", by=None)
    password = "Bench-Billing-2026!"
    supervisor = create_user(username="bench_sup", role="supervisor", organization=agency, password=password, by=None)
    managers = [
        create_user(
            username=f"bench_cm_{i}",
            role="licensed_care_manager",
            organization=agency,
            password=password,
            by=None,
            first_name=rng.choice(GIVEN),
            last_name=rng.choice(FAMILY),
            licenses=[LicenseData(type="RN", number=f"RN{i:06d}", state="NY", expires_on=datetime.date(2099, 1, 1))],
        )
        for i in range(40)
    ]
    programs = {p.code: p for p in Program.objects.filter(code__in=[code for code, _ in PROGRAMS])}
    weights = [w for _, w in PROGRAMS]
    codes = [c for c, _ in PROGRAMS]
    plan: list[tuple[uuid.UUID, str, Any]] = []  # (patient id, program code, care manager)
    for _ in range(people):
        plan.append((uuid.uuid4(), rng.choices(codes, weights)[0], rng.choice(managers)))
    started = time.perf_counter()
    rows = write_rows(
        Patient,
        (
            {
                "id": pid,
                "family_name": (family := FAMILY[i % len(FAMILY)]),
                "given_names": (given := GIVEN[(i // len(FAMILY)) % len(GIVEN)]),
                "family_folded": family.lower(),
                "given_folded": given.lower(),
                "birth_date": datetime.date(1940 + i % 60, 1 + i % 12, 1 + i % 28),
                "sex": "female" if i % 2 else "male",
                "created_at": now,
                "updated_at": now,
            }
            for i, (pid, _, _) in enumerate(plan)
        ),
    )
    cin_system = identifier_system("medicaid_cin")
    mbi_system = identifier_system("medicare_mbi")
    rows += write_rows(
        PatientIdentifier,
        (
            {"patient_id": pid, "kind": "medicare_mbi", "system": mbi_system, "value": f"1EG{i:08d}"}
            if code.startswith("medicare")
            else {"patient_id": pid, "kind": "medicaid_cin", "system": cin_system, "value": f"B{i:07d}Z"}
            for i, (pid, code, _) in enumerate(plan)
        ),
    )
    consent_ids = [uuid.uuid4() for _ in plan]
    rows += write_rows(
        Consent,
        (
            {
                "id": cid,
                "patient_id": pid,
                "form": "CCM-VERBAL" if code.startswith("medicare") else "DOH-5055",
                "verbal": code.startswith("medicare"),
                "organization_id": agency.pk,
                "signed_on": start,
                "recorded_by_id": supervisor.pk,
                "recorded_at": now,
            }
            for cid, (pid, code, _) in zip(consent_ids, plan, strict=True)
        ),
    )
    rows += write_rows(
        ConsentPartner,
        (
            {"consent_id": cid, "organization_id": agency.pk, "added_on": start, "added_by_id": supervisor.pk}
            for cid, (_, code, _) in zip(consent_ids, plan, strict=True)
            if not code.startswith("medicare")
        ),
    )
    enrollment_ids = [uuid.uuid4() for _ in plan]
    rows += write_rows(
        Enrollment,
        (
            {
                "id": eid,
                "patient_id": pid,
                "program_id": programs[code].pk,
                "organization_id": agency.pk,
                "care_manager_id": manager.pk,
                "status": "active",
                "acuity": rng.choice(["high", "medium", "low"]) if not code.startswith("medicare") else "",
                "start_date": start,
                "consent_id": cid,
                "created_at": now,
            }
            for eid, cid, (pid, code, manager) in zip(enrollment_ids, consent_ids, plan, strict=True)
        ),
    )

    def moment(day: int, hour: int) -> datetime.datetime:
        return datetime.datetime.combine(last_month.replace(day=day), datetime.time(hour), tzinfo=zone)

    def contacts() -> Iterable[dict[str, Any]]:
        for eid, (pid, _, manager) in zip(enrollment_ids, plan, strict=True):
            for _ in range(rng.choice([0, 1, 1, 2, 2, 3, 4])):
                in_person = rng.random() < 0.3
                yield {
                    "id": uuid.uuid4(),
                    "patient_id": pid,
                    "organization_id": agency.pk,
                    "enrollment_id": eid,
                    "occurred_at": moment(rng.randint(1, 28), rng.randint(8, 17)),
                    "modality": "in_person" if in_person else "phone",
                    "outcome": rng.choice(["reached", "reached", "reached", "no_answer"]),
                    "duration_minutes": rng.choice([5, 10, 15, 20, 30]),
                    "core_services": ["care-management"] if rng.random() < 0.85 else [],
                    "staff_type": "clinical",
                    "by_id": manager.pk,
                    "recorded_at": now,
                }

    rows += write_rows(Contact, contacts())
    rows += write_rows(
        TimeEntry,
        (
            {
                "id": uuid.uuid4(),
                "patient_id": pid,
                "organization_id": agency.pk,
                "enrollment_id": eid,
                "performed_at": moment(rng.randint(1, 28), 14),
                "activity": "care_plan",
                "minutes": rng.choice([10, 15, 20, 25]),
                "staff_type": "clinical",
                "by_id": manager.pk,
                "recorded_at": now,
            }
            for eid, (pid, code, manager) in zip(enrollment_ids, plan, strict=True)
            if code.startswith("medicare")
            for _ in range(rng.choice([1, 2]))
        ),
    )
    return {
        "organization": agency.name,
        "rows": rows,
        "load_seconds": time.perf_counter() - started,
        "month": last_month,
    }


def measure_recompute(repeat: int, month_closed: datetime.date) -> dict[str, list[float]]:
    """(a): record_contact with its recompute, against a bare Contact insert; then in a closed month."""
    from django.utils import timezone

    from carecoord.accounts.models import User
    from carecoord.contacts.actions import ContactData, record_contact, record_time
    from carecoord.contacts.models import Contact
    from carecoord.programs.models import Enrollment

    user = User.objects.prefetch_related("licenses").get(username="bench_cm_0")
    enrollment = (
        Enrollment.objects.filter(care_manager=user, program__code="ny-hh-plus-smi").select_related("program").first()
    )
    assert enrollment is not None
    patient = enrollment.patient
    now = timezone.now()
    for i in range(10):  # a realistic month so far: 10 contacts and 4 time entries
        when = now - datetime.timedelta(minutes=30 + i)
        data = ContactData(
            modality="phone",
            outcome="reached",
            occurred_at=when,
            duration_minutes=10,
            enrollment=enrollment,
            core_services=["care-coordination"],
        )
        record_contact(patient=patient, data=data, by=user)
    for i in range(4):
        record_time(
            patient=patient,
            activity="medication",
            minutes=15,
            by=user,
            enrollment=enrollment,
            performed_at=now - datetime.timedelta(hours=2 + i),
        )
    figures: dict[str, list[float]] = {"baseline: bare Contact insert": [], "record_contact + recompute": []}
    zone = timezone.get_current_timezone()
    late = datetime.datetime.combine(month_closed.replace(day=20), datetime.time(11), tzinfo=zone)
    figures["record_contact in a closed month (correction)"] = []
    for label, when in (
        ("baseline: bare Contact insert", None),
        ("record_contact + recompute", None),
        ("record_contact in a closed month (correction)", late),
    ):
        for round_ in range(repeat + max(3, repeat // 10)):
            data = ContactData(
                modality="home_visit" if round_ % 2 else "phone",
                outcome="reached",
                occurred_at=when or timezone.now(),
                duration_minutes=12,
                enrollment=enrollment,
                core_services=["care-management"],
            )
            begin = time.perf_counter()
            if label.startswith("baseline"):
                made = Contact.objects.create(
                    patient=patient,
                    organization_id=user.organization_id,
                    enrollment=enrollment,
                    occurred_at=data.occurred_at,
                    modality=data.modality,
                    outcome=data.outcome,
                    duration_minutes=12,
                    core_services=data.core_services,
                    staff_type="clinical",
                    by=user,
                )
            else:
                made = record_contact(patient=patient, data=data, by=user)
            elapsed = (time.perf_counter() - begin) * 1000
            if round_ >= max(3, repeat // 10):
                figures[label].append(elapsed)
            Contact.objects.filter(pk=made.pk).delete()  # keep the month at its size
    return figures


def worker(url: str, args: argparse.Namespace, result_path: str) -> None:
    start_django(url)
    from django.core.management import call_command
    from django.db import connection

    from carecoord.accounts.models import Organization, User
    from carecoord.contacts.actions import close_month
    from carecoord.contacts.models import BillingCorrection, MonthClose, MonthStatus
    from carecoord.programs.rules import add_months, month_start

    if Organization.objects.filter(name="Bench Billing Agency").exists():  # --keep left a loaded database
        from django.utils import timezone

        loaded = {
            "organization": "Bench Billing Agency",
            "rows": 0,
            "load_seconds": 0.0,
            "month": add_months(month_start(timezone.localdate()), -1),
        }
        BillingCorrection.objects.all().delete()  # the last run's close, so this one closes the month afresh
        MonthClose.objects.all().delete()
        MonthStatus.objects.update(closed=False)
    else:
        loaded = load(args.people)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"  {loaded['rows']:,} rows loaded in {loaded['load_seconds']:.0f} s; ANALYZE done", flush=True)
    month: datetime.date = loaded["month"]
    organization = Organization.objects.get(name=loaded["organization"])
    report: dict[str, Any] = {}

    if connection.vendor == "postgresql":
        baseline_sql = f"""
            COPY (
              SELECT e.id, e.patient_id, p.family_name || ', ' || p.given_names, i.value, pr.code,
                     u.first_name || ' ' || u.last_name, coalesce(c.n, 0), coalesce(c.minutes, 0)
              FROM programs_enrollment e
              JOIN patients_patient p ON p.id = e.patient_id
              JOIN programs_program pr ON pr.code = e.program_id
              LEFT JOIN accounts_user u ON u.id = e.care_manager_id
              LEFT JOIN patients_patientidentifier i ON i.patient_id = e.patient_id
              LEFT JOIN (
                SELECT enrollment_id, count(*) AS n, sum(duration_minutes) AS minutes
                FROM contacts_contact
                WHERE occurred_at >= '{month.isoformat()}' AND occurred_at < '{add_months(month, 1).isoformat()}'
                GROUP BY enrollment_id
              ) c ON c.enrollment_id = e.id
              WHERE e.organization_id = '{organization.pk}'
            ) TO STDOUT WITH (FORMAT csv)
        """
        begin = time.perf_counter()
        size = 0
        with connection.cursor() as cursor, cursor.cursor.copy(baseline_sql) as copy:
            for block in copy:
                size += len(block)
        report["baseline: COPY (SELECT ...) TO STDOUT"] = [time.perf_counter() - begin, 0.0]
        print(f"  baseline COPY: {size / 1e6:.1f} MB in {report['baseline: COPY (SELECT ...) TO STDOUT'][0]:.1f} s")

    def run_report(label: str) -> None:
        before = peak_mb()
        begin = time.perf_counter()
        with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
            call_command("billing_report", month=f"{month:%Y-%m}", org=organization.name)
        report[label] = [time.perf_counter() - begin, peak_mb() - before]
        print(f"  {label}: {report[label][0]:.1f} s, peak memory +{report[label][1]:.0f} MB", flush=True)

    run_report("billing-report, open month (judged live)")
    supervisor = User.objects.get(username="bench_sup")
    before = peak_mb()
    begin = time.perf_counter()
    close = close_month(organization=organization, month=month, by=supervisor)
    report["close_month (judge and freeze)"] = [time.perf_counter() - begin, peak_mb() - before]
    print(
        f"  close_month: {close.enrollments:,} enrollments ({close.billable:,} billable) in "
        f"{report['close_month (judge and freeze)'][0]:.1f} s",
        flush=True,
    )
    run_report("billing-report, closed month (frozen rows)")

    figures = measure_recompute(args.repeat, month)
    vendor = "PostgreSQL" if connection.vendor == "postgresql" else "SQLite"
    print(f"\n  {vendor}: live recompute, {args.repeat} contacts each, ms (load average {os.getloadavg()[0]:.1f})")
    print(f"  {'':48} {'p50':>8} {'p95':>8} {'max':>8}")
    summary = {}
    for label, samples in figures.items():
        p50, p95 = statistics.median(samples), percentile(samples, 0.95)
        summary[label] = [p50, p95]
        print(f"  {label:48} {p50:8.1f} {p95:8.1f} {max(samples):8.1f}")
    print(f"\n  {vendor}: month report for {args.people:,} people, seconds")
    for label, (seconds, grown) in report.items():
        print(f"  {label:48} {seconds:8.1f} s   peak memory +{grown:.0f} MB")
    Path(result_path).write_text(
        json.dumps({"database": vendor, "recompute": summary, "report": report, "people": args.people})
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--people", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=200)
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
        command = [sys.executable, __file__, "--worker", url, "--result", result]
        command += ["--people", str(args.people), "--repeat", str(args.repeat)]
        subprocess.run(command, check=True, cwd=ROOT)
        data: dict[str, Any] = json.loads(Path(result).read_text())
        Path(result).unlink()
        return data

    if args.database == "postgres":
        pg = ["-h", "127.0.0.1", "-U", "root"]
        if not args.keep:
            subprocess.run(["dropdb", *pg, "--if-exists", PG_DATABASE], check=True)
        subprocess.run(["createdb", *pg, PG_DATABASE], check=False, capture_output=True)
        try:
            data = run("PostgreSQL", PG_URL)
        finally:
            if not args.keep:
                subprocess.run(["dropdb", *pg, "--if-exists", PG_DATABASE], check=False)
    else:
        with tempfile.TemporaryDirectory(prefix="carecoord-bench-") as directory:
            data = run("SQLite", f"sqlite:///{directory}/billing.sqlite3")
    p95 = data["recompute"]["record_contact + recompute"][1]
    seconds = data["report"]["billing-report, open month (judged live)"][0]
    print(f"\n== Summary ({data['database']}, {data['people']:,} people)")
    verdict = "met" if p95 < TARGET_P95_MS else "MISSED"
    print(f"  live recompute p95 {p95:.1f} ms: {verdict} (target {TARGET_P95_MS:.0f})")
    print(
        f"  month report {seconds:.1f} s: {'met' if seconds < TARGET_REPORT_S else 'MISSED'} "
        f"(target {TARGET_REPORT_S:.0f})"
    )


if __name__ == "__main__":
    main()
