"""The Patient read path stays cheap: token, access check, audit append, stored version — nothing more."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext


def test_patient_read_query_budget(alice, maria):
    alice.get(f"Patient/{maria.pk}")  # first use of the token updates last_used_at
    with CaptureQueriesContext(connection) as queries:
        response = alice.get(f"Patient/{maria.pk}")
    assert response.status_code == 200
    statements = [
        q["sql"].split()[0] for q in queries.captured_queries if "pg_advisory_xact_lock" not in q["sql"]
    ]  # PostgreSQL also takes the audit chain's lock; SQLite holds it by beginning IMMEDIATE
    # token lookup, access rule, audit: last hash + insert (+ savepoint/transaction bookkeeping), stored version
    assert statements.count("SELECT") <= 4, queries.captured_queries
    assert statements.count("INSERT") == 1
