"""Reads over notifications: a user's inbox is their organization's notices plus their own."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from carecoord.accounts.models import User
from carecoord.notifications.models import Notification


def inbox(user: User, *, unread_only: bool = False) -> QuerySet[Notification]:
    found = Notification.objects.filter(Q(user__isnull=True) | Q(user=user), organization_id=user.organization_id)
    return found.filter(read_at__isnull=True) if unread_only else found
