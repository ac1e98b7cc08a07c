"""Session rules for the web app: idle timeout and a required second factor."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode

from carecoord.accounts.permissions import requires_mfa

_EXEMPT_PREFIXES = ("/accounts/", "/static/", "/healthz", "/fhir", "/favicon")
_LAST_SEEN = "carecoord_last_seen"
# Pages poll for fresh counts (notifications, the day view's chips) with this header: a poll is not the person at
# the keyboard, so it never keeps a session alive (HIPAA automatic logoff, 45 CFR 164.312(a)(2)(iii)).
POLL_HEADER = "X-CareCoord-Poll"
# The session's last activity is written at most this often (a write per page would be a database write per
# request); the timeout may so fall up to this many seconds early.
_TOUCH_SECONDS = 30


class IdleTimeoutMiddleware:
    """Log a web session out after ``CARECOORD_SESSION_IDLE_MINUTES`` without a request from the person (polls
    sent by open pages do not count). An htmx request that finds its session timed out is told to load the sign-in
    page (``HX-Redirect``) instead of having it swapped into the page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and not request.path.startswith("/fhir"):
            now = time.time()
            last = request.session.get(_LAST_SEEN)
            if last is not None and now - float(last) > settings.SESSION_IDLE_MINUTES * 60:
                logout(request)
                login = reverse("accounts:login")
                target = f"{login}?{urlencode({'next': request.path, 'timeout': '1'})}"
                if request.headers.get("HX-Request") == "true":
                    response = HttpResponse(status=200)
                    response["HX-Redirect"] = target
                    return response
                return HttpResponseRedirect(target)
            polled = request.headers.get(POLL_HEADER) == "1"
            if not polled and (last is None or now - float(last) >= _TOUCH_SECONDS):
                request.session[_LAST_SEEN] = now
        return self.get_response(request)


class MfaRequiredMiddleware:
    """Until the second factor is verified, a signed-in user can only reach the sign-in pages."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            settings.MFA_REQUIRED
            and user.is_authenticated
            and not request.path.startswith(_EXEMPT_PREFIXES)
            and requires_mfa(user)
            and not user.is_verified()  # type: ignore[attr-defined]
        ):
            return HttpResponseRedirect(reverse("accounts:mfa") + "?" + urlencode({"next": request.get_full_path()}))
        return self.get_response(request)
