"""Template filters for plain-language dates, languages and form fields."""

from __future__ import annotations

import datetime
from typing import Any

from django import template
from django.conf.locale import LANG_INFO
from django.forms import BoundField
from django.utils import timezone

register = template.Library()

_EXTRA_LANGUAGES = {
    "ht": "Haitian Creole",
    "zh": "Chinese",
    "yue": "Cantonese",
    "yi": "Yiddish",
    "tl": "Tagalog",
    "asl": "American Sign Language",
    "ase": "American Sign Language",
}


@register.filter
def language_name(code: str | None) -> str:
    """'es' → 'Spanish'; unknown codes are shown as they are."""
    if not code:
        return ""
    key = code.lower()
    if key in _EXTRA_LANGUAGES:
        return _EXTRA_LANGUAGES[key]
    info = LANG_INFO.get(key) or LANG_INFO.get(key.split("-")[0])
    if info and "name" in info:
        return str(info["name"])
    return code


def _as_date(value: Any) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, datetime.date):
        return value
    return None


@register.filter
def day(value: Any) -> str:
    """'Tue 24 Nov 2026' — the year is dropped for dates in the current year."""
    date = _as_date(value)
    if date is None:
        return ""
    if date.year == timezone.localdate().year:
        return date.strftime("%a %-d %b")
    return date.strftime("%a %-d %b %Y")


@register.filter
def dob(value: Any) -> str:
    """A date of birth: '12 Mar 1961'."""
    date = _as_date(value)
    return date.strftime("%-d %b %Y") if date else ""


@register.filter
def when(value: Any) -> str:
    """A moment in the installation's zone: 'Tue 24 Nov 2026, 3:05 pm'."""
    if not isinstance(value, datetime.datetime):
        return day(value)
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    clock = local.strftime("%-I:%M %p").lower()
    return f"{day(local)}, {clock}"


@register.filter
def relative(value: Any) -> str:
    """'today', 'yesterday', 'in 2 days', '3 days ago'."""
    date = _as_date(value)
    if date is None:
        return ""
    delta = (date - timezone.localdate()).days
    if delta == 0:
        return "today"
    if delta == 1:
        return "tomorrow"
    if delta == -1:
        return "yesterday"
    return f"in {delta} days" if delta > 0 else f"{-delta} days ago"


@register.filter
def input_id(field: BoundField) -> str:
    return str(field.auto_id)


@register.filter
def phone(value: str | None) -> str:
    """A US number as (718) 555-0134; anything else as entered."""
    text = value or ""
    only = "".join(ch for ch in text if ch.isdigit())
    if len(only) == 11 and only.startswith("1"):
        only = only[1:]
    if len(only) != 10:
        return text
    return f"({only[:3]}) {only[3:6]}-{only[6:]}"
