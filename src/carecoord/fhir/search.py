"""Search parameters common to every type: parsing, prefixes, paging and the searchset Bundle.

Repeated parameters are ANDed, comma-separated values ORed, as FHIR search defines.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.db.models import Q, QuerySet
from django.utils import timezone

from carecoord.audit.actions import record
from carecoord.audit.models import AuditAction
from carecoord.fhir.exchange import FhirRequest, FhirResponse
from carecoord.fhir.outcome import bad_request
from carecoord.fhir.registry import COMMON_PARAMS, ResourceType, SearchParam

DEFAULT_COUNT = 20
MAX_COUNT = 100
CONTROL_PARAMS = frozenset({"_count", "_offset", "_sort", "_format", "_pretty", "_total", "_include"})
STRING_MODIFIERS = frozenset({"", "exact", "contains"})
_PREFIXES = ("eq", "ne", "lt", "le", "gt", "ge", "sa", "eb")
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$")


@dataclass(frozen=True)
class Criterion:
    param: SearchParam
    modifier: str
    values: tuple[str, ...]  # ORed


@dataclass
class SearchQuery:
    criteria: list[Criterion] = field(default_factory=list)
    count: int = DEFAULT_COUNT
    offset: int = 0
    sort: list[tuple[str, bool]] = field(default_factory=list)  # (param, descending)
    kept: list[tuple[str, str]] = field(default_factory=list)  # parameters to repeat in paging links
    includes: list[str] = field(default_factory=list)  # _include values, each one the type declares


def _int_param(name: str, value: str, *, low: int, high: int | None = None) -> int:
    if not value.isdigit():
        raise bad_request(f"{name} must be a whole number, not {value!r}.", expression=name, issue_code="value")
    number = int(value)
    if number < low:
        raise bad_request(f"{name} must be at least {low}.", expression=name, issue_code="value")
    return min(number, high) if high is not None else number


def parse_query(request: FhirRequest, resource: ResourceType) -> SearchQuery:
    """Check every parameter against what ``resource`` supports; unknown ones are a 400 unless lenient."""
    query = SearchQuery()
    for raw_name, value in request.params:
        name, _, modifier = raw_name.partition(":")
        if name in CONTROL_PARAMS:
            if name == "_count":
                query.count = _int_param("_count", value, low=0, high=MAX_COUNT)
            elif name == "_offset":
                query.offset = _int_param("_offset", value, low=0)
            elif name == "_sort":
                query.sort = _parse_sort(value, resource)
                query.kept.append((raw_name, value))
            elif name == "_include":
                query.includes.append(_parse_include(value, resource))
                query.kept.append((raw_name, value))
            continue
        param = resource.param(name) or next((p for p in COMMON_PARAMS if p.name == name), None)
        if param is None:
            if request.lenient:
                continue
            raise bad_request(
                f"Unknown search parameter {name!r} for {resource.name}.", expression=name, issue_code="not-supported"
            )
        if not _modifier_allowed(param, modifier):
            raise bad_request(
                f"Modifier :{modifier} is not supported on {name}.", expression=raw_name, issue_code="not-supported"
            )
        values = tuple(v for v in value.split(",") if v)
        if not values:
            raise bad_request(f"Give a value for {name}.", expression=name, issue_code="value")
        query.criteria.append(Criterion(param, modifier, values))
        query.kept.append((raw_name, value))
    return query


def _modifier_allowed(param: SearchParam, modifier: str) -> bool:
    if param.type == "string":
        return modifier in STRING_MODIFIERS
    return modifier == ""


def _parse_sort(value: str, resource: ResourceType) -> list[tuple[str, bool]]:
    result = []
    for item in value.split(","):
        descending = item.startswith("-")
        name = item.removeprefix("-")
        if name not in resource.sorts:
            raise bad_request(
                f"Cannot sort {resource.name} by {name!r}; use one of {', '.join(resource.sorts)}.",
                expression="_sort",
                issue_code="not-supported",
            )
        result.append((name, descending))
    return result


def _parse_include(value: str, resource: ResourceType) -> str:
    if value not in resource.includes:
        offered = ", ".join(resource.includes) or "none"
        raise bad_request(
            f"Cannot _include {value!r} with {resource.name}; supported: {offered}.",
            expression="_include",
            issue_code="not-supported",
        )
    return value


FilterBuilder = Callable[[str, str], Q]  # (modifier, one value) -> condition


def apply_criteria(rows: QuerySet[Any], query: SearchQuery, builders: Mapping[str, FilterBuilder]) -> QuerySet[Any]:
    for criterion in query.criteria:
        build = builders[criterion.param.name]
        condition = Q()
        for value in criterion.values:
            condition |= build(criterion.modifier, value)
        rows = rows.filter(condition)
    return rows


def order(
    rows: QuerySet[Any], query: SearchQuery, fields: Mapping[str, tuple[str, ...]], default: tuple[str, ...]
) -> QuerySet[Any]:
    """Sort by ``_sort`` (names mapped to model fields) and always by primary key last, so pages are stable."""
    ordering: list[str] = []
    for name, descending in query.sort:
        ordering.extend(f"-{f}" if descending else f for f in fields[name])
    ordering.extend(default if not ordering else ())
    return rows.order_by(*ordering, "pk")


# --- value parsers -------------------------------------------------------------------------------------


def split_prefix(value: str) -> tuple[str, str]:
    if value[:2] in _PREFIXES and len(value) > 2 and not value[2:3].isalpha():
        return value[:2], value[2:]
    return "eq", value


def _range(text: str, name: str, *, aware: bool) -> tuple[Any, Any]:
    match = _DATE.match(text)
    if match is None:
        raise bad_request(
            f"{name} must be a FHIR date such as 1970, 1970-01 or 1970-01-31, not {text!r}.",
            expression=name,
            issue_code="value",
        )
    year, month, day, hour = match.group(1), match.group(2), match.group(3), match.group(4)
    try:
        if hour is not None:
            parsed = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
            if parsed.tzinfo is None:
                parsed = timezone.make_aware(parsed)
            step = datetime.timedelta(seconds=1) if match.group(6) else datetime.timedelta(minutes=1)
            return (parsed, parsed + step) if aware else (parsed.date(), parsed.date() + datetime.timedelta(days=1))
        if day is not None:
            start = datetime.date(int(year), int(month), int(day))
            end = start + datetime.timedelta(days=1)
        elif month is not None:
            start = datetime.date(int(year), int(month), 1)
            end = datetime.date(int(year) + int(month) // 12, int(month) % 12 + 1, 1)
        else:
            start, end = datetime.date(int(year), 1, 1), datetime.date(int(year) + 1, 1, 1)
    except ValueError:
        raise bad_request(f"{name}: {text!r} is not a real date.", expression=name, issue_code="value") from None
    if aware:
        zone = timezone.get_current_timezone()
        return (
            datetime.datetime.combine(start, datetime.time(), zone),
            datetime.datetime.combine(end, datetime.time(), zone),
        )
    return start, end


def date_condition(field_name: str, value: str, *, name: str, aware: bool) -> Q:
    """A date search value (with its prefix) as a condition on a DateField or, if ``aware``, a DateTimeField."""
    prefix, text = split_prefix(value)
    low, high = _range(text, name, aware=aware)
    if prefix == "eq":
        return Q(**{f"{field_name}__gte": low, f"{field_name}__lt": high})
    if prefix == "ne":
        return ~Q(**{f"{field_name}__gte": low, f"{field_name}__lt": high})
    if prefix in ("lt", "eb"):
        return Q(**{f"{field_name}__lt": low})
    if prefix == "le":
        return Q(**{f"{field_name}__lt": high})
    if prefix in ("gt", "sa"):
        return Q(**{f"{field_name}__gte": high})
    return Q(**{f"{field_name}__gte": low})  # ge


def string_match(*fields: str) -> FilterBuilder:
    """A FHIR string parameter over ``fields`` (any of them): case-insensitive starts-with, ``:contains``, or
    ``:exact``."""

    def build(modifier: str, value: str) -> Q:
        lookup = {"exact": "exact", "contains": "icontains"}.get(modifier, "istartswith")
        condition = Q(pk__in=[])
        for name in fields:
            condition |= Q(**{f"{name}__{lookup}": value})
        return condition

    return build


def token(value: str) -> tuple[str | None, str]:
    """(system, code) of a token value: ``system|code``, ``|code`` (no system) or ``code`` (any system)."""
    if "|" in value:
        system, _, code = value.partition("|")
        return system, code
    return None, value


def reference_id(value: str, resource_type: str) -> str:
    """The id in ``Type/id``, a full URL ending so, or a bare id."""
    tail = value.rstrip("/").split("/")
    if len(tail) >= 2 and tail[-2] != resource_type:
        raise bad_request(f"Expected a reference to {resource_type}, got {value!r}.", issue_code="value")
    return tail[-1]


# --- the Bundle ----------------------------------------------------------------------------------------


IncludeResolver = Callable[[list[Any]], list[dict[str, Any]]]  # the page's rows -> resources they reference


def resolve_includes(
    query: SearchQuery, rows: list[Any], resolvers: Mapping[str, IncludeResolver]
) -> list[dict[str, Any]]:
    """The resources each ``_include`` of the query names for this page's rows (each once, in the order asked).

    Resolvers fetch through the apps' access functions: an included resource is read like any other."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for name in dict.fromkeys(query.includes):
        for resource in resolvers[name](rows) if rows else []:
            found.setdefault((resource["resourceType"], resource["id"]), resource)
    return list(found.values())


def searchset(
    request: FhirRequest,
    resource_type: str,
    query: SearchQuery,
    resources: list[dict[str, Any]],
    total: int,
    included: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    def link(relation: str, offset: int) -> dict[str, str]:
        params = [*query.kept, ("_count", str(query.count)), ("_offset", str(offset))]
        return {"relation": relation, "url": f"{request.base}/{resource_type}?{urlencode(params)}"}

    links = [link("self", query.offset)]
    if query.offset + query.count < total and query.count > 0:
        links.append(link("next", query.offset + query.count))
    if query.offset > 0:
        links.append(link("previous", max(0, query.offset - query.count)))
    entries = [
        {"fullUrl": f"{request.base}/{r['resourceType']}/{r['id']}", "resource": r, "search": {"mode": "match"}}
        for r in resources
    ]
    matched = {(r["resourceType"], r["id"]) for r in resources}
    entries.extend(
        {"fullUrl": f"{request.base}/{r['resourceType']}/{r['id']}", "resource": r, "search": {"mode": "include"}}
        for r in included
        if (r["resourceType"], r["id"]) not in matched
    )
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset", "total": total, "link": links}
    if entries:
        bundle["entry"] = entries
    return bundle


def page(rows: QuerySet[Any], query: SearchQuery) -> tuple[list[Any], int]:
    """One page of ``rows`` and the total count."""
    total = rows.count()
    if query.count == 0:
        return [], total
    return list(rows[query.offset : query.offset + query.count]), total


def audited_searchset(
    request: FhirRequest,
    resource_type: str,
    query: SearchQuery,
    resources: list[dict[str, Any]],
    total: int,
    included: Sequence[dict[str, Any]] = (),
    **detail: Any,
) -> FhirResponse:
    """The searchset Bundle of a search over people's records, after the audit record naming what it returned."""
    record(
        by=request.authenticated_user,
        action=AuditAction.SEARCH,
        object_type=resource_type,
        detail={
            "query": request.query_string[:500],
            "total": total,
            "results": [resource["id"] for resource in resources],
            **({"included": [f"{r['resourceType']}/{r['id']}" for r in included]} if included else {}),
            **detail,
        },
    )
    return FhirResponse(body=searchset(request, resource_type, query, resources, total, included))
