"""Reading the audit trail: verification of the hash chain and filtered listings for auditors."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import QuerySet

from carecoord.audit.actions import GENESIS_HASH, content_hash
from carecoord.audit.models import AuditRecord, BreakGlassGrant, BreakGlassStatus


@dataclass(frozen=True)
class ChainReport:
    checked: int
    first_bad_id: int | None
    problem: str

    @property
    def ok(self) -> bool:
        return self.first_bad_id is None


def verify_chain(*, batch: int = 5000, progress: Callable[[int], None] | None = None) -> ChainReport:
    """Walk the whole trail in order and report the first record that breaks the chain."""
    expected_previous = GENESIS_HASH
    expected_id = 1
    checked = 0
    last_id = 0
    while True:
        rows = list(AuditRecord.objects.filter(id__gt=last_id).order_by("id")[:batch])
        if not rows:
            break
        for row in rows:
            if row.id != expected_id:
                return ChainReport(checked, expected_id, f"record {expected_id} is missing (next is {row.id})")
            if row.previous_hash != expected_previous:
                return ChainReport(checked, row.id, f"record {row.id} does not follow record {row.id - 1}")
            if content_hash(row) != row.hash:
                return ChainReport(checked, row.id, f"record {row.id} was altered after it was written")
            expected_previous = row.hash
            expected_id += 1
            checked += 1
        last_id = rows[-1].id
        if progress is not None:
            progress(checked)
    return ChainReport(checked, None, "")


@dataclass(frozen=True)
class AuditFilter:
    username: str = ""
    patient_id: str = ""
    action: str = ""
    outcome: str = ""
    object_type: str = ""
    since: datetime.datetime | None = None
    until: datetime.datetime | None = None


def list_records(criteria: AuditFilter) -> QuerySet[AuditRecord]:
    records = AuditRecord.objects.all()
    if criteria.username:
        records = records.filter(username=criteria.username)
    if criteria.patient_id:
        records = records.filter(patient_id=criteria.patient_id)
    if criteria.action:
        records = records.filter(action=criteria.action)
    if criteria.outcome:
        records = records.filter(outcome=criteria.outcome)
    if criteria.object_type:
        records = records.filter(object_type=criteria.object_type)
    if criteria.since is not None:
        records = records.filter(recorded_at__gte=criteria.since)
    if criteria.until is not None:
        records = records.filter(recorded_at__lt=criteria.until)
    return records.order_by("-id")


def list_pending_break_glass(*, organization_id: uuid.UUID | str) -> QuerySet[BreakGlassGrant]:
    return (
        BreakGlassGrant.objects.filter(organization_id=organization_id, status=BreakGlassStatus.PENDING)
        .select_related("user", "patient")
        .order_by("granted_at")
    )
