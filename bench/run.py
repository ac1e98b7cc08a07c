"""Run every benchmark in bench/ in turn: `make bench` (or .venv/bin/python bench/run.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = [
    "search.py",
    "fhir_read.py",
    "programs.py",
    "hl7_intake.py",
    "dayview.py",
    "rules.py",
    "billing.py",
    "directory_search.py",
]

if __name__ == "__main__":
    failed = []
    for name in BENCHMARKS:
        print(f"\n######## {name}", flush=True)
        if subprocess.run([sys.executable, str(HERE / name), *sys.argv[1:]], check=False).returncode != 0:
            failed.append(name)
    if failed:
        raise SystemExit(f"failed: {', '.join(failed)}")
