"""The audit trail's hash chain, checked through `carecoord audit verify`."""

import pytest
from django.db import connection

from carecoord.audit.actions import record
from carecoord.audit.models import AuditRecord
from carecoord.patients.access import access_patient
from carecoord.testing.cli import run_carecoord

pytestmark = pytest.mark.django_db


def verify(capsys, monkeypatch):
    return run_carecoord(capsys, monkeypatch, "audit", "verify")


def test_verify_passes_on_an_untouched_trail(capsys, monkeypatch, maria, alice_rn):
    access_patient(alice_rn, maria.pk)
    code, out, _ = verify(capsys, monkeypatch)
    assert code == 0
    assert f"{AuditRecord.objects.count()} records verified" in out


def _raw(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_verify_names_the_first_altered_record(capsys, monkeypatch, maria, alice_rn):
    for _ in range(3):
        access_patient(alice_rn, maria.pk)
    target = AuditRecord.objects.order_by("id")[2]
    _raw("UPDATE audit_auditrecord SET username = %s WHERE id = %s", ["mallory", target.id])
    code, _, err = verify(capsys, monkeypatch)
    assert code == 1
    assert f"broken at record {target.id}" in err
    assert "altered" in err


def test_verify_detects_a_deleted_record(capsys, monkeypatch, maria, alice_rn):
    for _ in range(3):
        access_patient(alice_rn, maria.pk)
    target = AuditRecord.objects.order_by("id")[1]
    _raw("DELETE FROM audit_auditrecord WHERE id = %s", [target.id])
    code, _, err = verify(capsys, monkeypatch)
    assert code == 1
    assert f"broken at record {target.id}" in err
    assert "missing" in err


def test_verify_detects_a_rewritten_hash(capsys, monkeypatch, alice_rn):
    for n in range(4):
        record(by=alice_rn, action="read", object_type="Patient", object_id=str(n))
    last = AuditRecord.objects.order_by("-id").first()
    _raw("UPDATE audit_auditrecord SET detail = %s, hash = %s WHERE id = %s", ['{"x": 1}', "f" * 64, last.id])
    code, _, err = verify(capsys, monkeypatch)
    assert code == 1
    assert f"record {last.id}" in err


def test_records_carry_who_what_and_where(alice_rn, maria):
    from carecoord.common.middleware import origin

    with origin("web", client_address="10.1.2.3", request_id="req-42"):
        access_patient(alice_rn, maria.pk)
    entry = AuditRecord.objects.last()
    assert entry.username == "alice_rn"
    assert entry.organization_id == alice_rn.organization_id
    assert entry.role == "licensed_care_manager"
    assert entry.patient_id == maria.pk
    assert (entry.object_type, entry.action, entry.purpose) == ("Patient", "read", "TREAT")
    assert (entry.client_address, entry.request_id, entry.channel) == ("10.1.2.3", "req-42", "web")


def test_concurrent_appends_keep_one_unbroken_chain(transactional_db, alice_rn):
    """Writers in parallel threads (each with its own database connection) must not fork the chain."""
    import threading

    from django.db import connections

    from carecoord.audit.queries import verify_chain

    errors = []

    def write(n):
        try:
            for i in range(20):
                record(by=alice_rn, action="read", object_type="Patient", object_id=f"{n}-{i}")
        except Exception as error:  # surfaced by the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    before = AuditRecord.objects.count()
    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert AuditRecord.objects.count() == before + 80
    report = verify_chain()
    assert report.ok, report.problem


def test_hashes_hold_for_any_content(capsys, monkeypatch, alice_rn, maria):
    """Text outside ASCII, quotes, nested and empty details, no user, no patient, ids past one digit: the hash
    stored (on PostgreSQL computed inside the database) is the one verify computes in Python."""
    details = [
        {"reason": 'Señora "Ñúñez" — 日本語 \\ \n tab\t'},
        {"b": {"z": [1, 2.5, None, True], "a": "x"}, "a": []},
        {},
        {"emoji": "🩺", "n": 10**15},
    ]
    for n in range(12):
        record(
            by=alice_rn if n % 3 else None,
            username="system" if n % 3 == 0 else "",
            action="read",
            object_type="Patient",
            object_id=str(maria.pk),
            patient=maria if n % 2 else None,
            detail=details[n % len(details)],
        )
    code, out, _ = verify(capsys, monkeypatch)
    assert code == 0, out
    assert f"{AuditRecord.objects.count()} records verified" in out
    stored = AuditRecord.objects.order_by("-id").first()
    assert stored is not None and stored.detail == details[11 % len(details)]


def test_deferred_appends_land_at_the_end_of_the_transaction_or_not_at_all(capsys, monkeypatch, alice_rn, maria):
    from django.db import transaction

    from carecoord.audit.actions import deferred_appends

    before = AuditRecord.objects.count()
    with transaction.atomic(), deferred_appends():
        first = record(by=alice_rn, action="update", object_type="Encounter", patient=maria)
        record(by=alice_rn, action="create", object_type="Condition", patient=maria)
        assert first.pk is None and AuditRecord.objects.count() == before  # kept until the block ends
    assert list(AuditRecord.objects.order_by("-id").values_list("object_type", flat=True)[:2]) == [
        "Condition",
        "Encounter",
    ]
    with pytest.raises(RuntimeError), transaction.atomic(), deferred_appends():
        record(by=alice_rn, action="update", object_type="Encounter", patient=maria)
        raise RuntimeError("the work failed")
    assert AuditRecord.objects.count() == before + 2  # nothing from the failed transaction
    code, out, _ = verify(capsys, monkeypatch)
    assert code == 0, out
