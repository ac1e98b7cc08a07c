"""Test-run environment, set before Django reads its settings.

Tests run with production-like settings (no debug). ``CARECOORD_TEST_DATABASE_URL`` switches the suite to
PostgreSQL; otherwise SQLite (in memory).
"""

import os
from pathlib import Path

Path("var").mkdir(exist_ok=True)

os.environ.setdefault("CARECOORD_SECRET_KEY", "test-secret-key-" + "x" * 40)
os.environ.pop("CARECOORD_DEBUG", None)
os.environ["CARECOORD_DATABASE_URL"] = os.environ.get(
    "CARECOORD_TEST_DATABASE_URL", "sqlite:///var/test-carecoord.sqlite3"
)
os.environ.setdefault("CARECOORD_MFA_REQUIRED", "1")
# Live-server threads must not keep PostgreSQL connections open past a request, or the test database
# cannot be dropped at the end of the run.
os.environ["CARECOORD_DB_CONN_MAX_AGE"] = "0"
