"""Audited reads of notifications. A notice about a person names them (minimum necessary: name, date of birth,
what happened), so showing the inbox is audited as a listing naming every person shown, and opening one as a
read of that notice."""

from __future__ import annotations

import uuid

from carecoord.accounts.models import User
from carecoord.audit.actions import record
from carecoord.audit.models import AuditAction
from carecoord.common.errors import NotFound
from carecoord.notifications.models import Notification
from carecoord.notifications.queries import inbox


def access_inbox(user: User, *, unread_limit: int, read_limit: int) -> tuple[list[Notification], list[Notification]]:
    """The user's unread notices (newest first, at most ``unread_limit``) and the latest read ones."""
    found = inbox(user).select_related("patient", "user", "read_by")
    unread = list(found.filter(read_at__isnull=True).order_by("-created_at")[:unread_limit])
    read = list(found.filter(read_at__isnull=False).order_by("-created_at")[:read_limit])
    people = sorted({str(n.patient_id) for n in unread + read if n.patient_id is not None})
    if people:
        record(
            by=user,
            action=AuditAction.SEARCH,
            object_type="Notification",
            detail={"list": "inbox", "results": [str(n.pk) for n in unread + read], "patients": people},
        )
    return unread, read


def access_notice(user: User, notice_id: uuid.UUID) -> Notification:
    """One notice for the user (their organization's or their own); a notice about a person is audited."""
    notice = inbox(user).filter(pk=notice_id).select_related("patient").first()
    if notice is None:
        raise NotFound("No such notification for you.")
    if notice.patient_id is not None:
        record(
            by=user,
            action=AuditAction.READ,
            object_type="Notification",
            object_id=str(notice.pk),
            patient=notice.patient_id,
        )
    return notice
