"""The PostgreSQL backend's health checks: a connection just used is trusted without a round trip; a stale one
is checked, and one the server has dropped is replaced before the next request uses it."""

from __future__ import annotations

import pytest
from django.db import connection, connections

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only"),
]


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def _terminate(pid: int) -> None:
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()


def test_a_stale_connection_the_server_dropped_is_replaced():
    pid = _backend_pid()
    connection.close_at = None  # kept, as with CONN_MAX_AGE in production
    connection.close_if_unusable_or_obsolete()  # a request ended well: fresh
    assert connection.is_usable()  # trusted without asking the server
    _terminate(pid)
    connection._fresh_until = 0.0  # type: ignore[attr-defined]  # the freshness window has passed
    connection.health_check_done = False
    connection.close_if_health_check_failed()
    assert _backend_pid() != pid  # a new connection, and it works


def test_after_a_database_error_the_server_is_asked_again():
    pid = _backend_pid()
    connection.close_at = None  # kept, as with CONN_MAX_AGE in production
    connection.close_if_unusable_or_obsolete()  # fresh
    _terminate(pid)
    connection.errors_occurred = True  # the request that found the dropped connection failed
    connection.close_if_unusable_or_obsolete()  # checked with the server: unusable, closed
    assert _backend_pid() != pid
