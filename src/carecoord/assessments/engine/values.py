"""Answer values: the Python form of a FHIR answer, how each item type reads one from JSON, and comparisons.

A value's meaning depends on its item's type, so plain Python types carry it: ``Coding`` for codes, ``bool``,
``int``, ``Decimal`` (never ``float``: decimals compare exactly), and ``str`` for string, text, date and dateTime
(dates keep their FHIR precision, e.g. ``"2024"`` or ``"2024-05"``, and are compared with ``compare_temporal``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = [
    "VALUE_KEYS",
    "AnswerValue",
    "Coding",
    "compare_values",
    "read_value",
    "value_to_fhir",
]


@dataclass(frozen=True)
class Coding:
    """A code from a code system. Two codings are equal when system and code are (the display is a label)."""

    system: str | None
    code: str
    display: str | None = field(default=None, compare=False)

    @classmethod
    def from_fhir(cls, data: Mapping[str, Any]) -> Coding:
        code = data.get("code")
        system = data.get("system")
        display = data.get("display")
        if not isinstance(code, str) or not code:
            raise ValueError("a coding needs a code")
        if system is not None and not isinstance(system, str):
            raise ValueError("a coding's system must be a string")
        return cls(system=system, code=code, display=display if isinstance(display, str) else None)

    def to_fhir(self) -> dict[str, str]:
        out = {"code": self.code}
        if self.system:
            out["system"] = self.system
        if self.display:
            out["display"] = self.display
        return out

    def __str__(self) -> str:
        label = f" {self.display!r}" if self.display else ""
        return f"{self.system or ''}|{self.code}{label}"


AnswerValue = Coding | bool | int | Decimal | str

# FHIR's value[x] suffix for each supported item type (choice and open-choice also take their options' types).
VALUE_KEYS: Mapping[str, tuple[str, ...]] = {
    "boolean": ("Boolean",),
    "decimal": ("Decimal",),
    "integer": ("Integer",),
    "date": ("Date",),
    "dateTime": ("DateTime",),
    "string": ("String",),
    "text": ("String",),
    "choice": ("Coding", "String", "Integer", "Date"),
    "open-choice": ("Coding", "String", "Integer", "Date"),
}

_DATE = re.compile(r"^(\d{4})(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")
_DATE_TIME = re.compile(
    r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01])"
    r"(T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d{1,9})?(Z|[+-]((0\d|1[0-3]):[0-5]\d|14:00)))?)?)?$"
)


def read_value(suffix: str, raw: Any) -> AnswerValue:
    """Read a ``value<suffix>`` (or ``answer<suffix>``) from JSON; raise ``ValueError`` saying what is wrong."""
    if suffix == "Coding":
        if not isinstance(raw, Mapping):
            raise ValueError("a coding must be an object")
        return Coding.from_fhir(raw)
    if suffix == "Boolean":
        if not isinstance(raw, bool):
            raise ValueError("must be true or false")
        return raw
    if suffix == "Integer":
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise ValueError("must be a whole number")
        return raw
    if suffix == "Decimal":
        if isinstance(raw, bool) or not isinstance(raw, int | float | str | Decimal):
            raise ValueError("must be a number")
        try:
            number = Decimal(str(raw))
        except InvalidOperation:
            raise ValueError("must be a number") from None
        if not number.is_finite():
            raise ValueError("must be a finite number")
        return number
    if suffix == "String":
        if not isinstance(raw, str) or not raw.strip():
            raise ValueError("must be non-empty text")
        return raw
    if suffix == "Date":
        if not isinstance(raw, str) or not _valid_date(raw):
            raise ValueError("must be a date (YYYY, YYYY-MM or YYYY-MM-DD)")
        return raw
    if suffix == "DateTime":
        if not isinstance(raw, str) or not _DATE_TIME.match(raw) or not _valid_date(raw[:10].rstrip("T")):
            raise ValueError("must be a date-time (YYYY-MM-DDThh:mm:ss with a time zone, or a date)")
        return raw
    raise ValueError(f"value{suffix} is not supported")


def _valid_date(text: str) -> bool:
    match = _DATE.match(text)
    if not match:
        return False
    if match.group(5):
        try:
            datetime.strptime(text, "%Y-%m-%d")  # a calendar check only
        except ValueError:
            return False
    return True


def value_to_fhir(value: AnswerValue, item_type: str) -> dict[str, Any]:
    """The ``{"value<suffix>": ...}`` object for a value of an item of ``item_type``."""
    if isinstance(value, Coding):
        return {"valueCoding": value.to_fhir()}
    if isinstance(value, bool):
        return {"valueBoolean": value}
    if isinstance(value, int):
        return {"valueInteger": value}
    if isinstance(value, Decimal):
        return {"valueDecimal": int(value) if value == value.to_integral_value() else float(value)}
    if item_type == "date":
        return {"valueDate": value}
    if item_type == "dateTime":
        return {"valueDateTime": value}
    return {"valueString": value}


def compare_values(left: AnswerValue, right: AnswerValue, *, temporal: bool = False) -> int | None:
    """-1, 0 or 1 comparing two values of the same kind; ``None`` when they cannot be ordered or compared.

    Codings and booleans only compare for equality (0, or 1 meaning "different"). Dates and date-times of
    different precision that agree on their common part cannot be decided (``None``), as FHIR says; pass
    ``temporal=True`` when the values are dates or date-times (strings otherwise compare as text).
    """
    if isinstance(left, Coding) or isinstance(right, Coding):
        if isinstance(left, Coding) and isinstance(right, Coding):
            return 0 if left == right else 1
        return None
    if isinstance(left, bool) or isinstance(right, bool):
        if isinstance(left, bool) and isinstance(right, bool):
            return 0 if left == right else 1
        return None
    if isinstance(left, int | Decimal) and isinstance(right, int | Decimal):
        return (left > right) - (left < right)
    if isinstance(left, str) and isinstance(right, str):
        if temporal:
            return compare_temporal(left, right)
        return (left > right) - (left < right)
    return None


def compare_temporal(left: str, right: str) -> int | None:
    """Compare two FHIR dates/date-times; ``None`` when precision differs and the shared part is equal."""
    if "T" in left and "T" in right:
        a, b = _instant(left), _instant(right)
        return (a > b) - (a < b)
    a_parts = _date_parts(left)
    b_parts = _date_parts(right)
    common = min(len(a_parts), len(b_parts))
    a_key, b_key = a_parts[:common], b_parts[:common]
    if a_key != b_key:
        return (a_key > b_key) - (a_key < b_key)
    if len(a_parts) != len(b_parts) or ("T" in left) != ("T" in right):
        return None
    return 0


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _date_parts(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text[:10].split("-"))
