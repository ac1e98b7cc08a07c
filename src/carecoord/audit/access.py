"""Permission-checked, audited reads of the audit trail and the break-the-glass queue.

Both show health data about people (who was looked at, by whom, why): reading them is itself audited here.
"""

from __future__ import annotations

from django.core.paginator import Page, Paginator

from carecoord.accounts.models import User
from carecoord.accounts.permissions import Capability, can
from carecoord.audit.actions import record
from carecoord.audit.models import AuditAction, AuditOutcome, AuditRecord, BreakGlassGrant, Purpose
from carecoord.audit.queries import AuditFilter, list_pending_break_glass, list_records
from carecoord.common.errors import AccessDenied, NotFound


def require_auditor(user: User, *, action: str, object_type: str = "AuditRecord", object_id: str = "") -> None:
    """Only auditors read the trail; a refused attempt is itself audited."""
    if can(user, Capability.READ_AUDIT):
        return
    record(
        by=user,
        action=action,
        object_type=object_type,
        object_id=object_id,
        outcome=AuditOutcome.DENIED,
        purpose=Purpose.AUDIT,
    )
    raise AccessDenied("Only auditors may read the audit trail.")


def access_audit_record(user: User, record_id: str, *, object_type: str = "AuditRecord") -> AuditRecord:
    """One record of the trail for an auditor; the reading is audited, found or not."""
    require_auditor(user, action=AuditAction.READ, object_type=object_type, object_id=record_id)
    entry = AuditRecord.objects.filter(pk=int(record_id)).first() if record_id.isdigit() else None
    record(
        by=user,
        action=AuditAction.READ,
        object_type=object_type,
        object_id=record_id,
        purpose=Purpose.AUDIT,
        outcome=AuditOutcome.SUCCESS if entry else AuditOutcome.FAILED,
    )
    if entry is None:
        raise NotFound(f"No audit record {record_id}.")
    return entry


def access_audit_page(
    user: User, criteria: AuditFilter, page_number: str | None, *, per_page: int
) -> Page[AuditRecord]:
    """One page of the trail for an auditor; the filter and the records shown are audited."""
    require_auditor(user, action=AuditAction.READ)
    page = Paginator(list_records(criteria), per_page).get_page(page_number)
    record(
        by=user,
        action=AuditAction.READ,
        object_type="AuditRecord",
        purpose=Purpose.AUDIT,
        detail={
            "filter": {k: str(v) for k, v in vars(criteria).items() if v},
            "page": page.number,
            "records": [r.pk for r in page.object_list],
        },
    )
    return page


def access_break_glass_queue(user: User) -> list[BreakGlassGrant]:
    """The emergency accesses awaiting this supervisor's review; the people listed are audited."""
    if not can(user, Capability.REVIEW_BREAK_GLASS):
        raise AccessDenied("Only supervisors review emergency access.")
    grants = list(list_pending_break_glass(organization_id=user.organization_id))
    if grants:
        record(
            by=user,
            action=AuditAction.READ,
            object_type="BreakGlassGrant",
            purpose=Purpose.OPERATIONS,
            detail={"grants": [str(g.pk) for g in grants], "patients": sorted({str(g.patient_id) for g in grants})},
        )
    return grants
