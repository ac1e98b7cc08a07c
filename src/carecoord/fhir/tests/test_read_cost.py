"""The Patient read path stays cheap: token, access check, audit append, stored version — nothing more."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext


def test_patient_read_query_budget(alice, maria):
    alice.get(f"Patient/{maria.pk}")  # first use of the token updates last_used_at
    with CaptureQueriesContext(connection) as queries:
        response = alice.get(f"Patient/{maria.pk}")
    assert response.status_code == 200
    statements = [q["sql"].split()[0] for q in queries.captured_queries]
    if connection.vendor == "postgresql":
        # token lookup, access rule, the audit append function (lock, last hash, insert in one), stored version
        assert len(statements) <= 4, queries.captured_queries
        assert any("carecoord_audit_append" in q["sql"] for q in queries.captured_queries)
    else:
        # SQLite holds the chain's lock by beginning IMMEDIATE: last hash + insert (+ transaction bookkeeping)
        assert statements.count("SELECT") <= 4, queries.captured_queries
        assert statements.count("INSERT") == 1
