"""Django's PostgreSQL backend, with health checks that skip the round trip for a connection just used.

With ``CONN_HEALTH_CHECKS`` Django sends ``SELECT 1`` before the first query of every request on a kept
connection: one round trip in five on a FHIR read. Here a connection whose last request finished without a
database error less than ``FRESH_SECONDS`` ago, and that psycopg still reports open and idle, counts as usable
without asking the server. A connection idle for longer is checked as before. The cost: if the server drops the
connection within that window (a restart), the next request on it fails once and the connection is then
replaced, instead of being replaced before the request. See docs/decisions/0006.
"""

from __future__ import annotations

import time

from django.db.backends.postgresql import base
from psycopg.pq import ConnStatus, TransactionStatus

FRESH_SECONDS = 5.0


class DatabaseWrapper(base.DatabaseWrapper):
    _fresh_until = 0.0

    def is_usable(self) -> bool:
        conn = self.connection
        if conn is None or conn.closed or conn.broken:
            return False
        if (
            time.monotonic() < self._fresh_until
            and conn.pgconn.status == ConnStatus.OK
            and conn.pgconn.transaction_status == TransactionStatus.IDLE
        ):
            return True
        usable = bool(super().is_usable())
        if usable:
            self._fresh_until = time.monotonic() + FRESH_SECONDS
        return usable

    def close_if_unusable_or_obsolete(self) -> None:
        """Called as each request starts and ends: a connection that served a request without errors is fresh;
        after a database error it is checked with the server, as Django does."""
        if self.errors_occurred:
            self._fresh_until = 0.0
        super().close_if_unusable_or_obsolete()
        if self.connection is not None and not self.errors_occurred:
            self._fresh_until = max(self._fresh_until, time.monotonic() + FRESH_SECONDS)
