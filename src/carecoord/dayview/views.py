"""The day view's pages (filled in below)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def day(request: HttpRequest) -> HttpResponse:
    return HttpResponse("")


def counts(request: HttpRequest) -> HttpResponse:
    return HttpResponse("")
