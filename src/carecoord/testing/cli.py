"""Running the `carecoord` console script in-process, inside a test's database transaction."""

from __future__ import annotations

import io
from typing import Any

from carecoord.cli import main


def run_carecoord(capsys: Any, monkeypatch: Any, *args: str, stdin: str = "") -> tuple[int, str, str]:
    """Call the console script's entry point; returns (exit code, stdout, stderr).

    Django closes every connection after a command; inside a test that would end the test's transaction,
    so closing is suspended here.
    """
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    monkeypatch.setattr("django.db.connections.close_all", lambda: None)
    code: Any = 0
    try:
        main(["carecoord", *args])
    except SystemExit as stop:
        code = stop.code or 0
    out, err = capsys.readouterr()
    return int(code), out, err
