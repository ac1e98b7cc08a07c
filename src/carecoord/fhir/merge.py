"""One search over two (or more) kinds of record served by one FHIR type, merged in sort order.

Each kind is filtered by its own conditions; the first ``_offset + _count`` sort keys of each are read, merged
(ties: the kind's rank, then its primary key), and only the page's records are loaded. The total is the sum of the
kinds' counts. (``interactions/encounter.py`` does the same for encounters and contacts.)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from carecoord.fhir.search import SearchQuery


@dataclass(frozen=True)
class Kind:
    rank: int  # which kind comes first when the sort keys are equal
    rows: QuerySet[Any]
    sorts: Mapping[str, str]  # sort parameter -> field of this kind
    load: Callable[[list[Any]], list[dict[str, Any]]]  # primary keys (in page order) -> resources
    rows_of: Callable[[list[Any]], list[Any]] | None = None  # primary keys -> records (for _include), if wanted


def _sort_keys(kind: Kind, sort: list[tuple[str, bool]], limit: int) -> list[tuple[Any, ...]]:
    fields = [kind.sorts[name] for name, _ in sort]
    ordering = [f"-{f}" if descending else f for f, (_, descending) in zip(fields, sort, strict=True)]
    rows = kind.rows.order_by(*ordering, "pk").values_list(*fields, "pk")[:limit]
    return [(*row[:-1], kind.rank, row[-1]) for row in rows]


def merged_keys(
    kinds: list[Kind], query: SearchQuery, default_sort: list[tuple[str, bool]]
) -> tuple[list[tuple[int, Any]], int]:
    """The page as (rank, primary key) pairs in order, and the total."""
    total = sum(kind.rows.count() for kind in kinds)
    if query.count == 0 or query.offset >= total:
        return [], total
    sort = query.sort or default_sort
    limit = query.offset + query.count
    keys = [key for kind in kinds for key in _sort_keys(kind, sort, limit)]
    keys.sort(key=lambda k: (k[-2], str(k[-1]) if not isinstance(k[-1], int) else k[-1]))
    for position in reversed(range(len(sort))):
        keys.sort(key=lambda k, p=position: (k[p] is None, k[p]), reverse=sort[position][1])  # type: ignore[misc]
    return [(k[-2], k[-1]) for k in keys[query.offset : limit]], total


def merged_page(
    kinds: list[Kind], query: SearchQuery, default_sort: list[tuple[str, bool]]
) -> tuple[list[dict[str, Any]], int]:
    """The page's resources in sort order, and the total."""
    chosen, total = merged_keys(kinds, query, default_sort)
    resources: dict[tuple[int, Any], dict[str, Any]] = {}
    for kind in kinds:
        ids = [key for rank, key in chosen if rank == kind.rank]
        if ids:
            resources.update(((kind.rank, key), r) for key, r in zip(ids, kind.load(ids), strict=True))
    return [resources[pair] for pair in chosen], total
