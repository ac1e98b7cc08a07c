"""WSGI entry point used by ``carecoord serve``.

Two Django handlers share one process: ``/fhir/`` runs through the API's short middleware chain
(``common/handlers.py``), everything else through the full one. Complete responses go back to the server as one
byte string, which Granian sends without iterating over the response in Python.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carecoord.settings")

import django

django.setup(set_prefix=False)

from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.http import HttpResponse  # noqa: E402

from carecoord.common.handlers import API_PREFIX, ApiHandler  # noqa: E402
from carecoord.common.process import settle_heap  # noqa: E402


def _complete(response: Any) -> Iterable[bytes]:
    if isinstance(response, HttpResponse):  # not streaming: the body is already in memory
        body = response.content
        response.close()  # fires request_finished (connection housekeeping), as the server would
        return [body]
    streamed: Iterable[bytes] = response
    return streamed


_web = WSGIHandler()
_api = ApiHandler()
settle_heap()  # everything loaded so far stays out of the garbage collector's walks (common/process.py)


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    handler = _api if environ.get("PATH_INFO", "").startswith(API_PREFIX) else _web
    return _complete(handler(environ, start_response))
