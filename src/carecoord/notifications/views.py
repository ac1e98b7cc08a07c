"""The user's notifications: their organization's notices and their own, unread first; reading marks them read.

Reads come through ``notifications.access`` (audited: notices name people); marking read goes through
``notifications.actions.mark_read``.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from carecoord.common.errors import AccessDenied
from carecoord.notifications.access import access_inbox, access_notice
from carecoord.notifications.actions import mark_read
from carecoord.notifications.models import Notification
from carecoord.notifications.queries import inbox
from carecoord.web.decorators import is_htmx, page_fetch, staff_user

READ_SHOWN = 50
UNREAD_SHOWN = 200


def _notice(request: HttpRequest, notice_id: uuid.UUID) -> Notification:
    return page_fetch(access_notice, staff_user(request), notice_id)


def _safe_link(link: str) -> str:
    """Only links inside CareCoord are followed."""
    return link if link.startswith("/") and not link.startswith("//") else ""


@login_required
def index(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    unread, read = access_inbox(user, unread_limit=UNREAD_SHOWN, read_limit=READ_SHOWN)
    return render(
        request,
        "notifications/index.html",
        {
            "unread": unread,
            "read": read,
            "unread_total": inbox(user, unread_only=True).count() if len(unread) == UNREAD_SHOWN else len(unread),
        },
    )


@login_required
def open_notice(request: HttpRequest, notice_id: uuid.UUID) -> HttpResponse:
    """Follow a notification's link; opening it marks it read."""
    notice = _notice(request, notice_id)
    try:
        mark_read(notice=notice, by=staff_user(request))
    except AccessDenied as error:
        raise PermissionDenied(error.message) from None
    return redirect(_safe_link(notice.link) or "notifications:index")


@require_POST
@login_required
def read(request: HttpRequest, notice_id: uuid.UUID) -> HttpResponse:
    notice = _notice(request, notice_id)
    try:
        mark_read(notice=notice, by=staff_user(request))
    except AccessDenied as error:
        raise PermissionDenied(error.message) from None
    if is_htmx(request):
        return render(request, "notifications/_item.html", {"n": notice, "just_read": True})
    return redirect("notifications:index")


@require_POST
@login_required
def read_all(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    count = 0
    for notice in inbox(user, unread_only=True)[:UNREAD_SHOWN]:
        mark_read(notice=notice, by=user)
        count += 1
    messages.success(
        request, f"Marked {count} notification{'s' if count != 1 else ''} read." if count else "Nothing unread."
    )
    return redirect("notifications:index")


def count(request: HttpRequest) -> HttpResponse:
    """The navigation badge alone, for htmx to refresh (nothing to swap once the session has ended)."""
    if not request.user.is_authenticated:
        return HttpResponse(status=204)
    return render(
        request, "notifications/_nav_link.html", {"unread": inbox(staff_user(request), unread_only=True).count()}
    )
