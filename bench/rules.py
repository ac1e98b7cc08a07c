"""The rules job (tasks.rules) over 200,000 enrolled people, on PostgreSQL.

Usage: .venv/bin/python bench/rules.py [--database postgres|sqlite] [--people N] [--care-managers M]
                                       [--agencies A] [--repeat R] [--keep]

In a fresh database (PostgreSQL ``carecoord_bench_rules``, created here and dropped at the end unless ``--keep``;
a temporary SQLite file) it migrates and bulk-loads the Health Home network of ``bench/programs.py`` (A agencies,
M care managers, N people enrolled 40 to 900 days ago, 2% of referrals pending), then gives the people the
state a running agency has, each with one ``INSERT ... SELECT`` over the enrollments (no per-person Python):

- a finished comprehensive assessment for 9 in 10 enrollments; an agreed (active) care plan for 17 in 20, with
  its review due a year after enrollment;
- a PHQ-9 and a social needs screen in the last 60 days for 9 in 10 people (the others are due for both);
- a billable month so far for 4 in 5 enrollments (the others are at risk).

The run's moment is noon on the last day of the current month, so the monthly contact rule is in its window.
Measured:

- baseline: one ``INSERT ... SELECT`` copying the active enrollments (id, person, organization, care manager)
  into a temporary table, median of R, in the same run;
- the first run of the job (every rule, one process): creates the missing tasks (about 130,000 here), each
  audited;
- R more runs (median): nothing left to create, every obligation found and compared again.

Target: the job under 2 minutes on PostgreSQL.
"""

from __future__ import annotations

import argparse
import calendar
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from harness import start_django  # bench/ is the script's directory, so on sys.path

ROOT = Path(__file__).resolve().parents[1]
PG_DATABASE = "carecoord_bench_rules"
PG_URL = f"postgresql://root@127.0.0.1:5432/{PG_DATABASE}"
TARGET_SECONDS = 120.0


def insert_select(model: Any, expressions: dict[str, str], source: str, params: list[Any] | None = None) -> int:
    """``INSERT INTO <model> (every column) SELECT ... FROM <source>``: ``expressions`` give SQL per field
    (attname); every other column takes the field's default, as one parameter."""
    from django.db import connection
    from django.db.models import AutoField

    columns, values, arguments = [], [], []
    for field in model._meta.concrete_fields:
        if isinstance(field, AutoField):
            continue  # the database numbers the rows
        columns.append(connection.ops.quote_name(field.column))
        if field.attname in expressions:
            values.append(expressions[field.attname])
        else:
            values.append("%s")
            arguments.append(field.get_db_prep_save(field.get_default(), connection))
    sql = f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) SELECT {', '.join(values)} FROM {source}"
    with connection.cursor() as cursor:
        cursor.execute(sql, arguments + (params or []))
        return int(cursor.rowcount)


def give_state(today: datetime.date) -> int:
    """Assessments, plans, screens and billable months for most enrollments (see the module docstring)."""
    from django.db import connection
    from django.utils import timezone

    from carecoord.assessments import instruments
    from carecoord.assessments.models import QuestionnaireDefinition, QuestionnaireResponse
    from carecoord.careplans.models import CarePlan
    from carecoord.contacts.models import MonthStatus

    postgres = connection.vendor == "postgresql"
    new_id = "gen_random_uuid()" if postgres else "lower(hex(randomblob(16)))"
    # A stable share of rows by id: the last hex digit of the UUID (16 values).
    digit = "right(e.id::text, 1)" if postgres else "substr(e.id, -1)"
    days = (lambda n: f"(e.start_date + {n})") if postgres else (lambda n: f"date(e.start_date, '+{n} days')")
    active = "programs_enrollment e WHERE e.status = 'active'"
    # Reviews spread over the coming year (the ones before were done): about 4% fall within the lead time.
    review = (
        "(CURRENT_DATE + mod(abs(hashtext(e.id::text)), 365))"
        if postgres
        else "date('now', '+' || (abs(random()) %% 365) || ' days')"
    )
    now = timezone.now()
    rows = 0
    url_id = dict(QuestionnaireDefinition.objects.filter(builtin=True).values_list("url", "pk"))

    def form(url: str) -> str:
        return f"'{url_id[url].hex if not postgres else url_id[url]}'"

    response = {"id": new_id, "patient_id": "e.patient_id", "organization_id": "e.organization_id"}
    rows += insert_select(
        QuestionnaireResponse,
        {
            **response,
            "questionnaire_id": form(instruments.COMPREHENSIVE_ASSESSMENT_URL),
            "status": "'completed'",
            "authored": days(10),
        },
        f"{active} AND {digit} NOT IN ('0', '1')",  # 14 in 16, close to 9 in 10
    )
    recent = (now - datetime.timedelta(days=30)).isoformat()
    for url in (instruments.PHQ9_URL, instruments.AHC_HRSN_CORE_URL):
        rows += insert_select(
            QuestionnaireResponse,
            {**response, "questionnaire_id": form(url), "status": "'completed'", "authored": f"'{recent}'"},
            f"{active} AND {digit} NOT IN ('2', '3')",
        )
    rows += insert_select(
        CarePlan,
        {
            "id": new_id,
            "patient_id": "e.patient_id",
            "organization_id": "e.organization_id",
            "enrollment_id": "e.id",
            "status": "'active'",
            "review_due": review,
        },
        f"{active} AND {digit} NOT IN ('4', '5')",
    )
    month = today.replace(day=1)
    rows += insert_select(
        MonthStatus,
        {
            "enrollment_id": "e.id",
            "patient_id": "e.patient_id",
            "program_id": "e.program_id",
            "organization_id": "e.organization_id",
            "month": f"'{month.isoformat()}'",
            "status": "'billable'",
        },
        f"{active} AND {digit} NOT IN ('6', '7', '8')",
    )
    return rows


def worker(url: str, args: argparse.Namespace, result_path: str) -> None:
    start_django(url)
    from django.db import connection
    from django.utils import timezone

    from carecoord.accounts.models import User
    from carecoord.programs.models import Enrollment
    from carecoord.tasks.models import Task
    from carecoord.tasks.rules import RulesConfig, run_rules

    today = timezone.localdate()
    started = time.perf_counter()
    loaded_rows = 0
    if User.objects.filter(username__startswith="bench_sup_").exists():  # --keep left a loaded database
        Task.objects.filter(by_rule=True).delete()  # so the first run creates them again
    else:
        from programs import load  # bench/ is the script's directory, so on sys.path

        loaded_rows = int(load(args.people, args.care_managers, args.agencies)["rows"])
        loaded_rows += give_state(today)
    load_seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"  {loaded_rows:,} rows in {load_seconds:.0f} s; ANALYZE done", flush=True)

    def baseline() -> float:
        begin = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_copy")
            cursor.execute(
                "CREATE TEMPORARY TABLE bench_copy AS SELECT id, patient_id, organization_id, care_manager_id "
                "FROM programs_enrollment WHERE status = 'active'"
            )
        return time.perf_counter() - begin

    base = statistics.median(baseline() for _ in range(args.repeat))
    end = today.replace(day=calendar.monthrange(today.year, today.month)[1])
    now = timezone.make_aware(datetime.datetime.combine(end, datetime.time(12)))
    config = RulesConfig()

    def job() -> tuple[float, dict[str, Any]]:
        begin = time.perf_counter()
        run = run_rules(now=now, config=config, trigger="bench")
        return time.perf_counter() - begin, run.counts

    first, first_counts = job()
    steady = [job() for _ in range(args.repeat)]
    steady_seconds = statistics.median(seconds for seconds, _ in steady)
    vendor = "PostgreSQL" if connection.vendor == "postgresql" else "SQLite"
    enrolled = Enrollment.objects.filter(status="active")
    print(f"\n  {vendor}: {enrolled.count():,} active enrollments (load average {os.getloadavg()[0]:.1f})")
    for code, counts in first_counts.items():
        print(f"    first run {code}: {counts}")
    print(f"  {'':34} {'seconds':>9} {'/ baseline':>11}")
    print(f"  {'baseline: INSERT ... SELECT':34} {base:9.2f} {1.0:11.1f}")
    print(f"  {'rules job, first run':34} {first:9.2f} {first / base:11.1f}")
    print(f"  {f'rules job, median of {args.repeat} re-runs':34} {steady_seconds:9.2f} {steady_seconds / base:11.1f}")
    Path(result_path).write_text(
        json.dumps(
            {"database": vendor, "baseline": base, "first": first, "steady": steady_seconds, "counts": first_counts}
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--people", type=int, default=200_000)
    parser.add_argument("--care-managers", type=int, default=4_500)
    parser.add_argument("--agencies", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
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
        for option in ("people", "care_managers", "agencies", "repeat"):
            command += [f"--{option.replace('_', '-')}", str(getattr(args, option))]
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
            data = run("SQLite", f"sqlite:///{directory}/rules.sqlite3")
    slowest = max(data["first"], data["steady"])
    verdict = "met" if slowest < TARGET_SECONDS else "MISSED"
    print(
        f"\n== Summary ({data['database']}): first run {data['first']:.1f} s, re-runs {data['steady']:.1f} s "
        f"(median), baseline {data['baseline']:.2f} s; target < {TARGET_SECONDS:.0f} s: {verdict}"
    )


if __name__ == "__main__":
    main()
