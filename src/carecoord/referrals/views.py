"""Pages of community referrals (being written)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def _todo(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404("Not yet")


inbox = new = by_link = detail = status = activity = make_link = revoke = _todo
