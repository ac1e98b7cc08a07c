"""Writing notifications. ``notify`` is the only writer; reading one marks it read."""

from __future__ import annotations

from django.utils import timezone

from carecoord.accounts.models import Organization, User
from carecoord.audit.actions import record
from carecoord.audit.models import AuditAction
from carecoord.common.errors import AccessDenied
from carecoord.notifications.models import Notification
from carecoord.patients.models import Patient


def notify(
    *,
    organization: Organization,
    kind: str,
    title: str,
    body: str = "",
    patient: Patient | None = None,
    user: User | None = None,
    link: str = "",
    by: User | None,
) -> Notification:
    """Tell an organization (or one of its users) something that needs attention."""
    notice = Notification.objects.create(
        organization=organization, user=user, patient=patient, kind=kind, title=title[:200], body=body, link=link
    )
    record(
        by=by,
        action=AuditAction.CREATE,
        object_type="Notification",
        object_id=str(notice.pk),
        patient=patient,
        detail={"kind": kind, "organization": str(organization.pk)},
    )
    return notice


def mark_read(*, notice: Notification, by: User) -> Notification:
    if notice.organization_id != by.organization_id or (notice.user_id is not None and notice.user_id != by.pk):
        raise AccessDenied("This notification is not for you.")
    if notice.read_at is None:
        notice.read_at = timezone.now()
        notice.read_by = by
        notice.save(update_fields=["read_at", "read_by"])
    return notice
