"""Template context shared by every page of the web app."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from carecoord.accounts.permissions import Capability, capabilities


def shell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"can": frozenset()}
    return {"can": frozenset(str(c) for c in capabilities(user)), "Capability": Capability}
