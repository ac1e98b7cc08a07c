"""SQLite writers queue on <database>.writelock: held for exactly the length of a transaction."""

from __future__ import annotations

import fcntl
import threading

import pytest
from django.db import connection, connections, transaction

from carecoord.audit.actions import record

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite backend only")


def lock_is_free() -> bool:
    with open(f"{connection.settings_dict['NAME']}.writelock", "ab") as probe:
        try:
            fcntl.flock(probe.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(probe.fileno(), fcntl.LOCK_UN)
        return True


@pytest.mark.django_db(transaction=True)
def test_lock_is_held_during_a_transaction_and_released_on_commit(alice_rn):
    assert lock_is_free()
    with transaction.atomic():
        record(by=alice_rn, action="read", object_type="Test")
        assert not lock_is_free()
    assert lock_is_free()


@pytest.mark.django_db(transaction=True)
def test_lock_is_released_on_rollback_and_another_connection_can_write(alice_rn):
    with pytest.raises(RuntimeError), transaction.atomic():
        record(by=alice_rn, action="read", object_type="Test")
        raise RuntimeError("boom")
    assert lock_is_free()
    written: list[int] = []

    def other_thread() -> None:
        try:
            written.append(record(by=alice_rn, action="read", object_type="Test").pk)
        finally:
            connections.close_all()

    worker = threading.Thread(target=other_thread)
    worker.start()
    worker.join(timeout=30)
    assert not worker.is_alive() and len(written) == 1
