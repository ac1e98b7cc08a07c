"""SQLite with one writer at a time, queued fairly across threads and processes.

SQLite allows one writer. When a second connection asks for the write lock, SQLite's busy handler sleeps and
retries with growing pauses (1, 2, 5, 10 ms and more), so two server processes that both append audit records
spend much of their time asleep while the lock is already free. Here every transaction first takes an
exclusive ``flock`` on ``<database>.writelock`` (one open file per connection, so threads of one process queue
too); the kernel wakes the next writer the moment the lock is released. Readers never take it: WAL mode lets
them run beside the writer. Statements outside a transaction still rely on SQLite's own lock and busy timeout.
See docs/decisions/0006-read-path-performance.md.
"""

from __future__ import annotations

import fcntl
from typing import IO, Any

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    _lock_file: IO[bytes] | None = None
    _holding_lock = False

    def _writer_lock(self) -> IO[bytes]:
        if self._lock_file is None:
            self._lock_file = open(f"{self.settings_dict['NAME']}.writelock", "ab")  # noqa: SIM115 - closed in _close
        return self._lock_file

    def _release_writer_lock(self) -> None:
        if self._holding_lock and self._lock_file is not None:
            fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_UN)
        self._holding_lock = False

    def _start_transaction_under_autocommit(self) -> None:
        fcntl.flock(self._writer_lock().fileno(), fcntl.LOCK_EX)
        self._holding_lock = True
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._release_writer_lock()
            raise

    def _commit(self) -> Any:
        try:
            return super()._commit()  # type: ignore[misc]
        finally:
            self._release_writer_lock()

    def _rollback(self) -> Any:
        try:
            return super()._rollback()  # type: ignore[misc]
        finally:
            self._release_writer_lock()

    def _close(self) -> Any:
        try:
            return super()._close()  # type: ignore[misc]
        finally:
            self._release_writer_lock()
            if self._lock_file is not None:
                self._lock_file.close()
                self._lock_file = None
