"""Django request handlers for the FHIR API: the same handling with the API's short middleware chain.

The API authenticates every call with a bearer token and never reads cookies, so it needs none of the
session, CSRF, MFA, lockout or page middleware; security headers, host checks and the request id stay
(``settings.API_MIDDLEWARE``). ``wsgi.py`` routes ``/fhir/`` to ``ApiHandler``; tests use ``ApiClientHandler``
so they exercise the same chain.
"""

from __future__ import annotations

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.test.client import ClientHandler

API_PREFIX = "/fhir/"


class ApiMiddleware:
    """Build the handler's chain from ``settings.API_MIDDLEWARE`` instead of ``settings.MIDDLEWARE``."""

    def load_middleware(self, is_async: bool = False) -> None:
        full = settings.MIDDLEWARE
        settings.MIDDLEWARE = settings.API_MIDDLEWARE  # read only while the chain is built, at start-up
        try:
            super().load_middleware(is_async)  # type: ignore[misc]
        finally:
            settings.MIDDLEWARE = full


class ApiHandler(ApiMiddleware, WSGIHandler):
    pass


class ApiClientHandler(ApiMiddleware, ClientHandler):
    pass
