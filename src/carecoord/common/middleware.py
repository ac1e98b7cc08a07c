"""Request-wide context: a request id and client address on every request, read by the audit trail."""

from __future__ import annotations

import contextvars
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse

_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


@dataclass(frozen=True)
class Origin:
    """Where the current operation came from: recorded on every audit record."""

    request_id: str
    client_address: str
    channel: str  # web, fhir, cli, hl7, job


_origin: contextvars.ContextVar[Origin | None] = contextvars.ContextVar("carecoord_origin", default=None)


def current_origin() -> Origin:
    origin = _origin.get()
    return origin if origin is not None else Origin(request_id="", client_address="", channel="internal")


@contextmanager
def origin(channel: str, *, client_address: str = "", request_id: str | None = None) -> Iterator[Origin]:
    """Set the origin for code run outside a web request (commands, listeners, jobs)."""
    value = Origin(request_id=request_id or uuid.uuid4().hex, client_address=client_address, channel=channel)
    token = _origin.set(value)
    try:
        yield value
    finally:
        _origin.reset(token)


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        channel = "fhir" if request.path.startswith("/fhir") else "web"
        token = _origin.set(
            Origin(request_id=request_id, client_address=str(request.META.get("REMOTE_ADDR", ""))[:64], channel=channel)
        )
        try:
            response = self.get_response(request)
        finally:
            _origin.reset(token)
        response["X-Request-ID"] = request_id
        return response
