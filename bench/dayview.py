"""The care manager's day view (``/today/``) at 200,000 people and 5 million tasks.

Usage: .venv/bin/python bench/dayview.py [--database postgres|sqlite] [--people N] [--tasks T]
                                         [--caseload C] [--open-tasks O] [--repeat R] [--keep]

In a fresh database (PostgreSQL ``carecoord_bench_dayview``, created and dropped here unless ``--keep``), it
migrates and loads the Health Home network of ``bench/programs.py`` (N enrolled people, default 200,000, with
4,500 care managers in 10 agencies), then:

- gives one care manager of the first agency, the subject, a caseload of C people (default 150) and O open tasks
  (default 2,000) on them: a third overdue, a tenth due today, the rest coming up over two months, some in the
  team's queue, some urgent;
- fills the tasks table to T tasks (default 5,000,000) for everyone else: one in ten still open, the rest
  completed or cancelled over the last two years, each owned by the person's care manager;
- writes this month's billing status for the subject's caseload (a quarter at risk), so the "month at risk"
  source has rows.

Tasks are written by one ``INSERT … SELECT`` over ``generate_series`` (PostgreSQL) so that loading 5 million rows
takes a minute, not an hour; the page then reads them exactly as in production. Each request goes through
Django's full stack via ``django.test.Client`` in process (sessions, the view, the audit record it writes, the
templates), so the figures are server time without the network. Measured R times each after a warm-up:

- baseline: ``GET /healthz`` through the same client, in the same run;
- ``GET /today/`` (the ranked day: every source, the audit record naming the people shown);
- ``GET /today/counts/`` (the counts the page polls).

Target (issue 5): p95 under 150 ms on PostgreSQL.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from harness import percentile, start_django  # bench/ is the script's directory, so on sys.path
from programs import load  # bench/ is the script's directory, so on sys.path

ROOT = Path(__file__).resolve().parents[1]
PG_DATABASE = os.environ.get("CARECOORD_BENCH_DATABASE", "carecoord_bench_dayview")
PG_URL = f"postgresql://root@127.0.0.1:5432/{PG_DATABASE}"
TARGET_P95_MS = 150.0
SUBJECT = "bench_cm_0_0"

TITLES = [
    "Call to check on medications",
    "Schedule the PCP follow-up",
    "Send the housing application",
    "Confirm the transportation for Tuesday",
    "Review the discharge summary",
    "Follow up on the food pantry referral",
    "Update the care plan goals",
    "Mail the consent copy",
]


def _insert_tasks(cursor: Any, *, source: str, count: int, columns: dict[str, str]) -> None:
    """``INSERT INTO tasks_task … SELECT`` ``count`` rows from ``generate_series`` joined to ``source`` (a table
    with ``n`` 0-based, ``patient_id``, ``organization_id``, ``owner_id``). ``columns`` gives the SQL of the
    columns this loader chooses; every other column of the model gets its Python default, so the loader keeps
    working when the model grows a column."""
    from carecoord.tasks.models import Task

    names, values, params = [], [], []
    for model_field in Task._meta.concrete_fields:
        names.append(model_field.column)
        if model_field.column in columns:
            values.append(columns[model_field.column].replace("%", "%%"))
        else:
            values.append("%s")
            params.append(model_field.get_db_prep_value(model_field.get_default(), cursor.db))
    cursor.execute(
        f"INSERT INTO tasks_task ({', '.join(names)}) SELECT {', '.join(values)} "
        f"FROM generate_series(0, %s) AS g JOIN {source} p ON p.n = g %% (SELECT count(*) FROM {source})",
        [*params, count - 1],
    )


def load_day(args: argparse.Namespace) -> dict[str, Any]:
    """The network, the subject's caseload and open tasks, and the rest of the tasks table."""
    from django.db import connection
    from django.utils import timezone

    from carecoord.accounts.models import User
    from carecoord.contacts.models import MonthStatus, Readiness
    from carecoord.programs.models import Enrollment
    from carecoord.programs.rules import month_start
    from carecoord.tasks.actions import licensed_queue

    started = time.perf_counter()
    loaded = load(args.people, 4_500, 10)
    print(f"  network: {loaded['rows']:,} rows in {time.perf_counter() - started:.0f} s", flush=True)
    subject = User.objects.get(username=SUBJECT)
    queue = licensed_queue(subject.organization_id)
    mine = list(
        Enrollment.objects.filter(organization_id=subject.organization_id, status="active")
        .order_by("id")
        .values_list("pk", flat=True)[: args.caseload]
    )
    Enrollment.objects.filter(care_manager=subject).exclude(pk__in=mine).update(care_manager=None)
    Enrollment.objects.filter(pk__in=mine).update(care_manager=subject)
    month = month_start(timezone.localdate())
    statuses = []
    for i, enrollment in enumerate(Enrollment.objects.filter(pk__in=mine).select_related("program")):
        at_risk = i % 4 == 0
        statuses.append(
            MonthStatus(
                enrollment=enrollment,
                patient_id=enrollment.patient_id,
                program=enrollment.program,
                organization_id=enrollment.organization_id,
                month=month,
                status=Readiness.AT_RISK if at_risk else Readiness.BILLABLE,
                missing=["1 core service"] if at_risk else [],
            )
        )
    MonthStatus.objects.bulk_create(statuses, ignore_conflicts=True)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_mine AS SELECT row_number() OVER (ORDER BY e.id) - 1 AS n, e.patient_id, "
            "e.organization_id, e.care_manager_id AS owner_id FROM programs_enrollment e WHERE e.care_manager_id = %s",
            [subject.pk],
        )
        cursor.execute(
            "CREATE TEMP TABLE bench_rest AS SELECT row_number() OVER (ORDER BY e.id) - 1 AS n, e.patient_id, "
            "e.organization_id, e.care_manager_id AS owner_id FROM programs_enrollment e "
            "WHERE e.care_manager_id IS NOT NULL AND e.care_manager_id <> %s",
            [subject.pk],
        )
        titles = "(ARRAY[" + ", ".join(f"'{t}'" for t in TITLES) + f"])[1 + g % {len(TITLES)}]"
        common = {
            "id": "gen_random_uuid()",
            "organization_id": "p.organization_id",
            "patient_id": "p.patient_id",
            "title": titles,
            "kind": "(ARRAY['outreach', 'follow-up', 'care-plan', 'referral', 'other'])[1 + g % 5]",
        }
        # The subject's open work: a third overdue, a tenth due today, the rest over the next two months.
        _insert_tasks(
            cursor,
            source="bench_mine",
            count=args.open_tasks,
            columns={
                **common,
                "priority": "CASE WHEN g % 40 = 0 THEN 'urgent' WHEN g % 9 = 0 THEN 'asap' ELSE 'routine' END",
                "status": "CASE WHEN g % 10 = 0 THEN 'requested' ELSE 'accepted' END",
                "owner_id": "CASE WHEN g % 10 = 0 THEN NULL ELSE p.owner_id END",
                "queue_id": f"CASE WHEN g % 10 = 0 THEN '{queue.pk}'::uuid ELSE NULL END",
                "requires_license": "g % 10 = 0",
                "due_at": "date_trunc('day', now()) + (CASE WHEN g % 3 = 0 THEN -(1 + g % 30) "
                "WHEN g % 10 = 1 THEN 0 ELSE 1 + g % 60 END) * interval '1 day' + interval '17 hours'",
                "created_at": "now() - interval '40 days'",
                "updated_at": "now() - interval '40 days'",
            },
        )
        # Everyone else's: one in ten open; the rest closed over two years.
        _insert_tasks(
            cursor,
            source="bench_rest",
            count=args.tasks - args.open_tasks,
            columns={
                **common,
                "priority": "CASE WHEN g % 50 = 0 THEN 'urgent' ELSE 'routine' END",
                "status": "CASE WHEN g % 10 = 0 THEN 'accepted' WHEN g % 7 = 0 THEN 'cancelled' ELSE 'completed' END",
                "owner_id": "p.owner_id",
                "due_at": "now() - (g % 730 - 60) * interval '1 day'",
                "created_at": "now() - (g % 730) * interval '1 day' - interval '3 days'",
                "updated_at": "now() - (g % 730) * interval '1 day'",
                "closed_at": "CASE WHEN g % 10 = 0 THEN NULL ELSE now() - (g % 730) * interval '1 day' END",
            },
        )
        cursor.execute("ANALYZE")
    print(f"  {args.tasks:,} tasks in {time.perf_counter() - started:.0f} s; ANALYZE done", flush=True)
    return {"rows": loaded["rows"] + args.tasks}


def worker(url: str, args: argparse.Namespace, result_path: str) -> None:
    start_django(url, pages=True)
    from django.db import connection
    from django.test import Client

    from carecoord.accounts.models import User
    from carecoord.common.process import settle_heap
    from carecoord.tasks.models import OPEN_STATUSES, Task

    if connection.vendor != "postgresql":
        raise SystemExit("The loader writes tasks with PostgreSQL's generate_series: use --database postgres")
    if not User.objects.filter(username=SUBJECT).exists():  # --keep leaves a loaded database to reuse
        load_day(args)
    subject = User.objects.get(username=SUBJECT)
    total_tasks = Task.objects.count()
    open_mine = Task.objects.filter(patient__enrollments__care_manager=subject, status__in=OPEN_STATUSES).count()
    caseload = subject.caseload.filter(status="active").count()  # type: ignore[attr-defined]
    print(f"  {total_tasks:,} tasks; the subject has {caseload} people and {open_mine:,} open tasks on them")

    client = Client(secure=True)
    client.force_login(subject)
    pages = {
        "baseline: GET /healthz": "/healthz",
        "day view": "/today/",
        "day view counts": "/today/counts/",
    }
    settle_heap()  # as every server worker does once Django has started (carecoord.wsgi), before any request
    shown = 0
    for path in pages.values():
        for _ in range(max(3, args.repeat // 10)):  # warm-up
            response = client.get(path)
            if response.status_code != 200:
                raise SystemExit(f"{path} answered {response.status_code}")
            if path == "/today/":
                shown = response.content.count(b"<tr data-item")
    figures: dict[str, list[float]] = {label: [] for label in pages}
    rng = random.Random(5)
    for _ in range(args.repeat):
        order = list(pages.items())
        rng.shuffle(order)
        for label, path in order:
            begin = time.perf_counter()
            response = client.get(path)
            elapsed = (time.perf_counter() - begin) * 1000
            if response.status_code != 200:
                raise SystemExit(f"{path} answered {response.status_code}")
            figures[label].append(elapsed)
    print(
        f"\n  PostgreSQL: {args.repeat} requests each, ms; the day shows {shown} rows "
        f"(load average {os.getloadavg()[0]:.1f})"
    )
    print(f"  {'':28} {'p50':>8} {'p95':>8} {'max':>8} {'p50 / baseline':>15}")
    base = statistics.median(figures["baseline: GET /healthz"])
    summary = {}
    for label, samples in figures.items():
        p50, p95 = statistics.median(samples), percentile(samples, 0.95)
        summary[label] = [p50, p95]
        print(f"  {label:28} {p50:8.1f} {p95:8.1f} {max(samples):8.1f} {p50 / base:15.1f}")
    Path(result_path).write_text(json.dumps({"figures": summary, "tasks": total_tasks, "open": open_mine}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=200_000)
    parser.add_argument("--tasks", type=int, default=5_000_000)
    parser.add_argument("--caseload", type=int, default=150)
    parser.add_argument("--open-tasks", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--keep", action="store_true", help="keep the database (and reuse it next time)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args, _ = parser.parse_known_args()
    if args.worker:
        worker(args.worker, args, args.result)
        return
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        result = handle.name
    pg = ["-h", "127.0.0.1", "-U", "root"]
    if not args.keep:
        subprocess.run(["dropdb", *pg, "--if-exists", PG_DATABASE], check=True)
    subprocess.run(["createdb", *pg, PG_DATABASE], check=False, capture_output=True)
    command = [sys.executable, __file__, "--worker", PG_URL, "--result", result]
    for flag in ("people", "tasks", "caseload", "open_tasks", "repeat"):
        command += [f"--{flag.replace('_', '-')}", str(getattr(args, flag))]
    try:
        subprocess.run(command, check=True, cwd=ROOT)
    finally:
        if not args.keep:
            subprocess.run(["dropdb", *pg, "--if-exists", PG_DATABASE], check=False)
    data = json.loads(Path(result).read_text())
    Path(result).unlink()
    worst = max(p95 for label, (_, p95) in data["figures"].items() if not label.startswith("baseline"))
    cells = "; ".join(f"{label} {p50:.1f} / {p95:.1f}" for label, (p50, p95) in data["figures"].items())
    verdict = "met" if worst < TARGET_P95_MS else "MISSED"
    print(f"\n== Summary (p50 / p95 ms; target p95 < {TARGET_P95_MS:.0f} ms on PostgreSQL): {cells}; {verdict}")


if __name__ == "__main__":
    main()
