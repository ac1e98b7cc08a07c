"""What every directory reader produces: a ``Bundle`` of keyed records in one shape (HSDS 3.0 field names), each
with its details nested, plus the rows a reader already refused and why (file, row, field).

Values are parsed here, once: dates, times, numbers. The writer (``directory.actions``) never sees source text.
"""

from __future__ import annotations

import csv
import datetime
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

KINDS = ("taxonomy_term", "organization", "location", "service", "service_at_location")
DETAIL_LISTS = (
    "addresses",
    "phones",
    "contacts",
    "schedules",
    "languages",
    "accessibility",
    "service_areas",
    "cost_options",
)


class FieldProblem(Exception):
    """One field of a row cannot be used; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass
class Rejection:
    """A record refused, with the place it came from and the reason."""

    kind: str
    external_id: str
    file: str
    row: int | None
    reason: str

    def where(self) -> str:
        return f"{self.file} row {self.row}" if self.row is not None else self.file


@dataclass
class Record:
    """One keyed record (organization, location, service, service at location, taxonomy term)."""

    kind: str
    external_id: str
    file: str
    row: int | None
    data: dict[str, Any]
    refs: dict[str, str] = field(default_factory=dict)  # organization / service / location -> external id
    required_refs: tuple[str, ...] = ()
    taxonomy_terms: list[str] = field(default_factory=list)


@dataclass
class Bundle:
    format: str
    records: dict[tuple[str, str], Record] = field(default_factory=dict)
    rejections: list[Rejection] = field(default_factory=list)

    def add(self, record: Record) -> Record:
        """Add a record; the same id seen again (HSDS 3.0 JSON nests a location under its organization and under
        each service at it) is merged: values already present are kept, missing ones filled in."""
        key = (record.kind, record.external_id)
        seen = self.records.get(key)
        if seen is None:
            self.records[key] = record
            return record
        for name, value in record.data.items():
            if seen.data.get(name) in (None, "", []) and value not in (None, "", []):
                seen.data[name] = value
        for name, value in record.refs.items():
            seen.refs.setdefault(name, value)
        for term in record.taxonomy_terms:
            if term not in seen.taxonomy_terms:
                seen.taxonomy_terms.append(term)
        return seen

    def get(self, kind: str, external_id: str) -> Record | None:
        return self.records.get((kind, external_id))

    def reject(self, kind: str, external_id: str, file: str, row: int | None, reason: str) -> None:
        self.rejections.append(Rejection(kind, external_id, file, row, reason))


def text(value: Any) -> str:
    if value is None:
        return ""
    return str(value).strip()


def required(row: dict[str, Any], name: str) -> str:
    value = text(row.get(name))
    if not value:
        raise FieldProblem(name, "is required")
    return value


_MONTHS = {
    name: n
    for n, name in enumerate(
        ("january february march april may june july august september october november december").split(), start=1
    )
}


def parse_date(value: Any, name: str) -> datetime.date | None:
    """ISO (2024-05-16), US numeric (1/24/1970, 1/24/70) or spelled out ("January 20, 1970"); a two-digit year is
    in the last 100 years. Year 0001 is kept: Ohana uses it for a closure that recurs every year."""
    raw = text(value)
    if not raw:
        return None
    raw = raw[:10] if re.fullmatch(r"\d{4}-\d{2}-\d{2}(T.*)?", raw) else raw
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            return datetime.date.fromisoformat(raw)
        numeric = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})", raw)
        if numeric:
            month, day, year = (int(part) for part in numeric.groups())
            if len(numeric.group(3)) == 2:
                this_year = datetime.date.today().year
                year += 2000 if 2000 + year <= this_year else 1900
            return datetime.date(year, month, day)
        spelled = re.fullmatch(r"([A-Za-z]+)\.? (\d{1,2}),? (\d{4})", raw)
        if spelled and spelled.group(1).lower() in _MONTHS:
            return datetime.date(int(spelled.group(3)), _MONTHS[spelled.group(1).lower()], int(spelled.group(2)))
    except ValueError:
        pass
    raise FieldProblem(name, f"{raw!r} is not a valid date")


def parse_time(value: Any, name: str) -> datetime.time | None:
    """24-hour (09:30, 17:00:00) or 12-hour (5:00 PM, 3pm, 9am)."""
    raw = text(value).lower().replace(".", "")
    if not raw:
        return None
    match = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?\s*(am|pm)?", raw)
    if match:
        hour, minute, second = int(match.group(1)), int(match.group(2) or 0), int(match.group(3) or 0)
        if match.group(4):
            if not 1 <= hour <= 12:
                raise FieldProblem(name, f"{value!r} is not a valid time")
            hour = hour % 12 + (12 if match.group(4) == "pm" else 0)
        elif match.group(2) is None:
            raise FieldProblem(name, f"{value!r} is not a time (HH:MM or 5 PM)")
        try:
            return datetime.time(hour, minute, second)
        except ValueError:
            pass
    raise FieldProblem(name, f"{value!r} is not a valid time")


def parse_int(value: Any, name: str) -> int | None:
    raw = text(value)
    if not raw:
        return None
    try:
        return int(float(raw)) if re.fullmatch(r"-?\d+(\.0+)?", raw) else int(raw)
    except ValueError:
        raise FieldProblem(name, f"{raw!r} is not a whole number") from None


def parse_float(value: Any, name: str) -> float | None:
    raw = text(value)
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise FieldProblem(name, f"{raw!r} is not a number") from None


def parse_bool(value: Any, name: str) -> bool | None:
    raw = text(value).lower()
    if not raw:
        return None
    if raw in ("true", "t", "yes", "y", "1"):
        return True
    if raw in ("false", "f", "no", "n", "0"):
        return False
    raise FieldProblem(name, f"{value!r} is not true or false")


WEEKDAYS = {
    "monday": "MO", "tuesday": "TU", "wednesday": "WE", "thursday": "TH", "friday": "FR", "saturday": "SA",
    "sunday": "SU",
}  # fmt: skip
ISO_WEEKDAY = dict(zip("1234567", ("MO", "TU", "WE", "TH", "FR", "SA", "SU"), strict=True))


def parse_weekday(value: Any, name: str) -> str:
    """A weekday name (Ohana) or number 1-7, Monday first (HSDS 1.1) → the RFC 5545 BYDAY code."""
    raw = text(value).lower()
    if raw in WEEKDAYS:
        return WEEKDAYS[raw]
    if raw[:3] in {day[:3]: day for day in WEEKDAYS} and len(raw) >= 3:
        return next(code for day, code in WEEKDAYS.items() if day.startswith(raw[:3]))
    if raw in ISO_WEEKDAY:
        return ISO_WEEKDAY[raw]
    if not raw:
        raise FieldProblem(name, "is required")
    raise FieldProblem(name, f"{value!r} is not a weekday")


def split_list(value: Any) -> list[str]:
    return [part.strip() for part in text(value).split(",") if part.strip()]


def read_csv(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows with their line number (the header is row 1); missing files read as empty."""
    if not path.is_file():
        return
    with path.open(encoding="utf-8-sig", newline="") as stream:
        reader = csv.DictReader(stream)
        for index, raw in enumerate(reader, start=2):
            yield index, {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if k is not None}


def schedule_data(
    *,
    external_id: str,
    byday: str = "",
    opens_at: datetime.time | None = None,
    closes_at: datetime.time | None = None,
    valid_from: datetime.date | None = None,
    valid_to: datetime.date | None = None,
    closed: bool = False,
    description: str = "",
) -> dict[str, Any]:
    """A schedule in the HSDS 3.0 shape from the older weekday/holiday rows."""
    data: dict[str, Any] = {
        "external_id": external_id,
        "freq": "WEEKLY" if byday else "",
        "byday": byday,
        "opens_at": opens_at,
        "closes_at": closes_at,
        "valid_from": valid_from,
        "valid_to": valid_to,
        "closed": closed,
        "description": description,
    }
    if valid_from is not None and valid_from.year == 1:
        data["freq"] = "YEARLY"
    return data
