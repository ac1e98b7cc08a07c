"""Permission-checked, audited reads of the audit trail and the break-the-glass queue.

Both show health data about people (who was looked at, by whom, why): reading them is itself audited here.
"""

from __future__ import annotations

from django.core.paginator import Page, Paginator

from carecoord.accounts.models import User
from carecoord.accounts.permissions import Capability, can
from carecoord.audit.actions import record
from carecoord.audit.models import AuditAction, AuditRecord, BreakGlassGrant, Purpose
from carecoord.audit.queries import AuditFilter, list_pending_break_glass, list_records
from carecoord.common.errors import AccessDenied


def access_audit_page(
    user: User, criteria: AuditFilter, page_number: str | None, *, per_page: int
) -> Page[AuditRecord]:
    """One page of the trail for an auditor; the filter and the records shown are audited."""
    if not can(user, Capability.READ_AUDIT):
        raise AccessDenied("Only auditors may read the audit trail.")
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
