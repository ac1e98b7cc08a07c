"""The unread count for the navigation: ``{% load notifications %}{% notifications_link %}`` in the shell, or
``{% unread_notifications as n %}`` for the number alone. One COUNT on the inbox index per page."""

from __future__ import annotations

from typing import Any

from django import template

from carecoord.accounts.models import User
from carecoord.notifications.queries import inbox

register = template.Library()


def _unread(context: template.Context) -> int:
    request = context.get("request")
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not user.is_authenticated:
        return 0
    return inbox(user, unread_only=True).count()


@register.simple_tag(takes_context=True)
def unread_notifications(context: template.Context) -> int:
    return _unread(context)


@register.inclusion_tag("notifications/_nav_link.html", takes_context=True)
def notifications_link(context: template.Context) -> dict[str, Any]:
    return {"unread": _unread(context)}
