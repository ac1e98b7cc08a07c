"""Writing the audit trail and break-the-glass grants.

``record`` is the only writer of AuditRecord. It runs in its own transaction (or the caller's), takes the
chain lock, reads the previous hash and appends.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import functools
import hashlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from carecoord.audit.models import (
    AuditAction,
    AuditOutcome,
    AuditRecord,
    BreakGlassGrant,
    BreakGlassStatus,
    Purpose,
)
from carecoord.common.errors import AccessDenied, NotFound, ValidationFailed
from carecoord.common.middleware import current_origin
from carecoord.common.sql import column, fetch_one, table

if TYPE_CHECKING:
    from carecoord.accounts.models import User
    from carecoord.patients.models import Patient

GENESIS_HASH = "0" * 64
_CHAIN_LOCK_KEY = 0x0CA2EC02D  # PostgreSQL advisory lock serialising appends to the chain

HASHED_FIELDS = (
    "id",
    "recorded_at",
    "user_id",
    "username",
    "organization_id",
    "role",
    "patient_id",
    "object_type",
    "object_id",
    "action",
    "outcome",
    "purpose",
    "channel",
    "client_address",
    "request_id",
    "detail",
)


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def hash_of(values: dict[str, Any], previous_hash: str) -> str:
    """The hash a record with these field values must carry, after the record whose hash is ``previous_hash``."""
    body = {name: _canonical(values[name]) for name in HASHED_FIELDS}
    payload = previous_hash.encode() + b"|" + orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(payload).hexdigest()


def content_hash(record: AuditRecord) -> str:
    """The hash a stored record must carry, given its content and the previous record's hash."""
    return hash_of({name: getattr(record, name) for name in HASHED_FIELDS}, record.previous_hash)


@functools.cache
def _insert_sql(vendor: str) -> tuple[str, tuple[Any, ...]]:
    """The INSERT of one record with every concrete field, and those fields (hot path: every read appends)."""
    fields = tuple(AuditRecord._meta.concrete_fields)
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    return f"INSERT INTO {table(AuditRecord)} ({names}) VALUES ({marks})", fields


def _insert(values: dict[str, Any]) -> None:
    sql, fields = _insert_sql(connection.vendor)
    # Text, numbers and NULL go to the database as they are; UUIDs, timestamps and JSON through their field.
    row = [
        value if value is None or isinstance(value, str | int) else f.get_db_prep_save(value, connection)
        for f in fields
        for value in (values[f.attname],)
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, row)


@dataclass(frozen=True)
class Appended:
    """The position of a record just appended to the chain (``pk`` None and ``hash`` empty when the append is
    deferred to the end of the transaction, see ``deferred_appends``)."""

    pk: int | None
    hash: str


_deferred: contextvars.ContextVar[list[dict[str, Any]] | None] = contextvars.ContextVar("audit_deferred", default=None)


@contextlib.contextmanager
def deferred_appends() -> Iterator[None]:
    """Inside one transaction doing several audited writes: keep the records and append them all when the block
    ends, still inside the transaction (they commit with the writes, or roll back with them).

    The chain lock is taken by the first append and held until the commit; appending at the end means it is
    held for the appends and the commit alone, not for the rest of the work, so concurrent writers (several
    ``process-adt`` workers) overlap instead of queueing on the lock. Use it inside ``transaction.atomic()``."""
    if not connection.in_atomic_block:
        raise RuntimeError("deferred_appends() belongs inside transaction.atomic()")
    buffer: list[dict[str, Any]] = []
    token = _deferred.set(buffer)
    try:
        yield
    finally:
        _deferred.reset(token)
    _append_many(buffer)  # only reached when the block succeeded


@functools.cache
def _last_sql() -> str:
    return f"SELECT {column(AuditRecord, 'id')}, {column(AuditRecord, 'hash')} FROM {table(AuditRecord)} ORDER BY 1 DESC LIMIT 1"  # noqa: E501


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
    # SQLite: transactions begin IMMEDIATE (see config.py), so the write lock is already held.


def record(
    *,
    by: User | None,
    action: str,
    object_type: str = "",
    object_id: str = "",
    patient: Patient | uuid.UUID | None = None,
    outcome: str = AuditOutcome.SUCCESS,
    purpose: str = Purpose.TREATMENT,
    detail: dict[str, Any] | None = None,
    username: str = "",
) -> Appended:
    """Append one record to the audit trail."""
    origin = current_origin()
    patient_id = patient if isinstance(patient, uuid.UUID) or patient is None else patient.pk
    values: dict[str, Any] = {
        "recorded_at": timezone.now(),
        "user_id": by.pk if by is not None else None,
        "username": (by.username if by is not None else username)[:150],
        "organization_id": by.organization_id if by is not None else None,
        "role": by.role if by is not None else "",
        "patient_id": patient_id,
        "object_type": object_type,
        "object_id": str(object_id)[:64],
        "action": action,
        "outcome": outcome,
        "purpose": purpose,
        "channel": origin.channel,
        "client_address": origin.client_address,
        "request_id": origin.request_id,
        "detail": detail or {},
    }
    buffer = _deferred.get()
    if buffer is not None and connection.in_atomic_block:
        buffer.append(values)
        return Appended(pk=None, hash="")
    return _append(values)


def not_found(
    *, by: User | None, object_type: str, object_id: object, message: str, action: str = AuditAction.READ
) -> NotFound:
    """Audit a fetch of something that does not exist (outcome failed, reason not-found) and return the NotFound
    for the caller to raise: a guess at an id is on the trail like any other access."""
    record(
        by=by,
        action=action,
        object_type=object_type,
        object_id=str(object_id)[:64],
        outcome=AuditOutcome.FAILED,
        detail={"reason": "not-found"},
    )
    return NotFound(message)


def _append(values: dict[str, Any]) -> Appended:
    if connection.vendor == "postgresql":
        return _append_in_database(values)
    with transaction.atomic():
        _lock_chain()
        last = fetch_one(_last_sql(), [])
        values["id"] = (last[0] + 1) if last else 1
        values["previous_hash"] = last[1] if last else GENESIS_HASH
        values["hash"] = hash_of(values, values["previous_hash"])
        _insert(values)
    return Appended(pk=values["id"], hash=values["hash"])


def _around_id(values: dict[str, Any]) -> tuple[bytes, bytes]:
    """The hashed content serialised as ``hash_of`` does, in two pieces around the (not yet known) id."""
    before = {name: _canonical(values[name]) for name in HASHED_FIELDS if name < "id"}
    after = {name: _canonical(values[name]) for name in HASHED_FIELDS if name > "id"}
    head = orjson.dumps(before, option=orjson.OPT_SORT_KEYS)[:-1] + b',"id":'
    tail = b"," + orjson.dumps(after, option=orjson.OPT_SORT_KEYS)[1:]
    return head, tail


_APPEND_SQL = "SELECT appended_id, appended_hash FROM carecoord_audit_append(" + ", ".join(["%s"] * 18) + ")"


def _append_many(records: list[dict[str, Any]]) -> None:
    """Append records in order; on PostgreSQL as one pipelined batch of the append function (no round trip per
    record: a job auditing thousands of writes in one transaction)."""
    if connection.vendor != "postgresql" or len(records) < 2:
        for values in records:
            _append(values)
        return
    with connection.cursor() as cursor:
        cursor.executemany(_APPEND_SQL, [_append_arguments(values) for values in records])


def _append_in_database(values: dict[str, Any]) -> Appended:
    """PostgreSQL: one statement (lock, last record, hash, insert) in the function of migration 0002, instead of
    five round trips (begin, lock, read, insert, commit) on every audited read."""
    row = fetch_one(_APPEND_SQL, _append_arguments(values))
    assert row is not None
    return Appended(pk=row[0], hash=row[1])


def _append_arguments(values: dict[str, Any]) -> list[Any]:
    head, tail = _around_id(values)
    return [
        _CHAIN_LOCK_KEY,
        head,
        tail,
        values["recorded_at"],
        values["user_id"],
        values["username"],
        values["organization_id"],
        values["role"],
        values["patient_id"],
        values["object_type"],
        values["object_id"],
        values["action"],
        values["outcome"],
        values["purpose"],
        values["channel"],
        values["client_address"],
        values["request_id"],
        orjson.dumps(values["detail"]).decode(),
    ]


def break_glass(*, user: User, patient: Patient, reason: str) -> BreakGlassGrant:
    """Grant emergency access with a stated reason; audited and queued for supervisor review."""
    from carecoord.accounts.permissions import Capability, can

    reason = reason.strip()
    if len(reason) < 10:
        raise ValidationFailed("State the reason for emergency access (at least 10 characters).", field="reason")
    if not can(user, Capability.BREAK_GLASS):
        record(
            by=user,
            action=AuditAction.BREAK_GLASS,
            object_type="Patient",
            object_id=str(patient.pk),
            patient=patient,
            outcome=AuditOutcome.DENIED,
            purpose=Purpose.EMERGENCY,
        )
        raise AccessDenied("Your role may not use emergency access.")
    now = timezone.now()
    with transaction.atomic():
        grant = BreakGlassGrant.objects.create(
            user=user,
            organization_id=user.organization_id,
            patient=patient,
            reason=reason,
            granted_at=now,
            expires_at=now + datetime.timedelta(hours=settings.BREAK_GLASS_HOURS),
        )
        record(
            by=user,
            action=AuditAction.BREAK_GLASS,
            object_type="Patient",
            object_id=str(patient.pk),
            patient=patient,
            purpose=Purpose.EMERGENCY,
            detail={"reason": reason, "grant": str(grant.pk), "expires_at": grant.expires_at.isoformat()},
        )
    return grant


def review_break_glass(*, grant: BreakGlassGrant, by: User, appropriate: bool, note: str = "") -> BreakGlassGrant:
    """A supervisor records whether an emergency access was appropriate."""
    from carecoord.accounts.permissions import Capability, can

    if not can(by, Capability.REVIEW_BREAK_GLASS) or by.organization_id != grant.organization_id:
        raise AccessDenied("Only a supervisor of the same organization may review this emergency access.")
    if grant.user_id == by.pk:
        raise AccessDenied("You may not review your own emergency access.")
    if grant.status != BreakGlassStatus.PENDING:
        raise ValidationFailed("This emergency access has already been reviewed.", code="already-reviewed")
    if not appropriate and not note.strip():
        raise ValidationFailed("Say why the access was not appropriate.", field="note")
    with transaction.atomic():
        grant.status = BreakGlassStatus.APPROPRIATE if appropriate else BreakGlassStatus.INAPPROPRIATE
        grant.reviewed_by = by
        grant.reviewed_at = timezone.now()
        grant.review_note = note.strip()
        grant.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
        record(
            by=by,
            action=AuditAction.REVIEW,
            object_type="BreakGlassGrant",
            object_id=str(grant.pk),
            patient=grant.patient_id,
            purpose=Purpose.OPERATIONS,
            detail={"status": grant.status, "note": grant.review_note},
        )
    return grant
