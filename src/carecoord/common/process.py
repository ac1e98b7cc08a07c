"""Preparing a long-running server process once Django has started.

Python's cyclic garbage collector now and then walks every object in the process (a "full" collection). In a
server that is mostly Django itself — modules, settings, URL patterns, model metadata, compiled templates —
so a full collection in the middle of a request added 50 to 70 ms to one page in twenty (bench/programs.py, the
supervisor's caseload at p95). ``settle_heap`` loads what every request needs, collects once, and freezes
what is alive (``gc.freeze``): those objects are never walked again, and collections only look at what
requests create. The same call runs in ``carecoord.wsgi`` (every server worker) and in the benchmarks that
measure pages in process, so they measure what production runs.
"""

from __future__ import annotations

import gc


def settle_heap() -> int:
    """Load the URL configuration, collect, and freeze every object alive; returns how many were frozen."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018  (imports every view module and builds the patterns)
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
