"""View guards: a capability check in one place, raising PermissionDenied (rendered as 403.html)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from carecoord.accounts.models import User
from carecoord.accounts.permissions import Capability, can
from carecoord.common.errors import AccessDenied, NotFound

View = TypeVar("View", bound=Callable[..., Any])
T = TypeVar("T")

_DENIED = {
    Capability.VIEW_PATIENTS: "Your role does not include people's records.",
    Capability.REGISTER_PATIENTS: "Your role may not register people.",
    Capability.EDIT_DEMOGRAPHICS: "Your role may not change a person's details.",
    Capability.REVIEW_BREAK_GLASS: "Only supervisors review emergency access.",
    Capability.MANAGE_USERS: "Only organization administrators manage users.",
    Capability.READ_AUDIT: "Only auditors read the audit trail.",
}


def staff_user(request: HttpRequest) -> User:
    """The signed-in user, typed (views behind ``requires`` or ``login_required`` only)."""
    return cast(User, request.user)


def requires(capability: Capability) -> Callable[[View], View]:
    """Sign-in required, then the capability, else 403 with a sentence saying why."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            if not can(staff_user(request), capability):
                raise PermissionDenied(_DENIED.get(capability, "Your role does not include this page."))
            return view(request, *args, **kwargs)

        return cast(View, login_required(wrapped))

    return decorate


def page_fetch(fetch: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run an ``access_*`` fetch for a page: NotFound becomes 404, AccessDenied the 403 page with its reason."""
    try:
        return fetch(*args, **kwargs)
    except NotFound as error:
        raise Http404(error.message) from None
    except AccessDenied as error:
        raise PermissionDenied(error.message) from None


def is_htmx(request: HttpRequest) -> bool:
    """The request came from htmx (a fragment swap, not a whole page)."""
    return request.headers.get("HX-Request") == "true"
