"""HSDS 3.0 field conversion shared by the JSON and the tabular (CSV) readers: one function per table, from a
source dict (JSON object or CSV row) to the normalized values the writer stores."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from carecoord.directory.imports.common import (
    FieldProblem,
    parse_bool,
    parse_date,
    parse_float,
    parse_int,
    parse_time,
    required,
    text,
)

SERVICE_STATUSES = ("active", "inactive", "defunct", "temporarily closed")
LOCATION_TYPES = ("physical", "postal", "virtual")


def _choice(row: dict[str, Any], name: str, allowed: tuple[str, ...], default: str | None = None) -> str:
    value = text(row.get(name)).lower()
    if not value and default is not None:
        return default
    if value not in allowed:
        raise FieldProblem(name, f"{row.get(name)!r} is not one of {', '.join(allowed)}")
    return value


def _datetime(value: Any, name: str) -> datetime.datetime | None:
    raw = text(value)
    if not raw:
        return None
    try:
        parsed = datetime.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise FieldProblem(name, f"{raw!r} is not a date and time (ISO 8601)") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


def organization(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": required(row, "name"),
        "description": required(row, "description"),
        "alternate_name": text(row.get("alternate_name")),
        "email": text(row.get("email")),
        "website": text(row.get("website") or row.get("url")),
        "tax_status": text(row.get("tax_status")),
        "tax_id": text(row.get("tax_id")),
        "year_incorporated": parse_int(row.get("year_incorporated"), "year_incorporated"),
        "legal_status": text(row.get("legal_status")),
        "uri": text(row.get("uri")),
        "parent_external_id": text(row.get("parent_organization_id")),
    }


def service(row: dict[str, Any]) -> dict[str, Any]:
    minimum = parse_int(row.get("minimum_age"), "minimum_age")
    maximum = parse_int(row.get("maximum_age"), "maximum_age")
    if minimum is not None and maximum is not None and minimum > maximum:
        raise FieldProblem("minimum_age", f"{minimum} is above maximum_age {maximum}")
    return {
        "name": required(row, "name"),
        "status": _choice(row, "status", SERVICE_STATUSES),
        "alternate_name": text(row.get("alternate_name")),
        "description": text(row.get("description")),
        "url": text(row.get("url")),
        "email": text(row.get("email")),
        "interpretation_services": text(row.get("interpretation_services")),
        "application_process": text(row.get("application_process")),
        "fees_description": text(row.get("fees_description")),
        "wait_time": text(row.get("wait_time")),
        "accreditations": text(row.get("accreditations")),
        "licenses": text(row.get("licenses")),
        "eligibility_description": text(row.get("eligibility_description")),
        "minimum_age": minimum,
        "maximum_age": maximum,
        "alert": text(row.get("alert")),
        "assured_date": parse_date(row.get("assured_date"), "assured_date"),
        "assurer_email": text(row.get("assurer_email")),
        "last_modified": _datetime(row.get("last_modified"), "last_modified"),
    }


def location(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "location_type": _choice(row, "location_type", LOCATION_TYPES),
        "name": text(row.get("name")),
        "alternate_name": text(row.get("alternate_name")),
        "description": text(row.get("description")),
        "transportation": text(row.get("transportation")),
        "latitude": parse_float(row.get("latitude"), "latitude"),
        "longitude": parse_float(row.get("longitude"), "longitude"),
        "url": text(row.get("url")),
    }


def taxonomy_term(row: dict[str, Any]) -> dict[str, Any]:
    taxonomy = row.get("taxonomy_detail")
    return {
        "name": required(row, "name"),
        "code": text(row.get("code")),
        "description": text(row.get("description")),
        "parent_external_id": text(row.get("parent_id")),
        "taxonomy": text(row.get("taxonomy")) or (text(taxonomy.get("name")) if isinstance(taxonomy, dict) else ""),
        "term_uri": text(row.get("term_uri")),
    }


def address(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "external_id": text(row.get("id")),
        "address_1": required(row, "address_1"),
        "city": required(row, "city"),
        "state_province": required(row, "state_province"),
        "postal_code": required(row, "postal_code"),
        "country": required(row, "country")[:2].upper(),
        "address_type": _choice(row, "address_type", LOCATION_TYPES, default="physical"),
        "attention": text(row.get("attention")),
        "address_2": text(row.get("address_2")),
        "region": text(row.get("region")),
    }


def phone(row: dict[str, Any], languages: list[str] | None = None) -> dict[str, Any]:
    if languages is None:
        languages = [text(lang.get("name")) for lang in row.get("languages") or [] if isinstance(lang, dict)]
    return {
        "external_id": text(row.get("id")),
        "number": required(row, "number"),
        "extension": text(row.get("extension")),
        "type": text(row.get("type")),
        "description": text(row.get("description")),
        "languages": ", ".join(name for name in languages if name),
    }


def contact(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "external_id": text(row.get("id")),
        "name": text(row.get("name")),
        "title": text(row.get("title")),
        "department": text(row.get("department")),
        "email": text(row.get("email")),
        "phones": [],
    }


def schedule(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "external_id": text(row.get("id")),
        "valid_from": parse_date(row.get("valid_from"), "valid_from"),
        "valid_to": parse_date(row.get("valid_to"), "valid_to"),
        "dtstart": parse_date(row.get("dtstart"), "dtstart"),
        "until": parse_date(row.get("until"), "until"),
        "count": parse_int(row.get("count"), "count"),
        "timezone": text(row.get("timezone")),
        "wkst": text(row.get("wkst")).upper(),
        "freq": text(row.get("freq")).upper(),
        "interval": parse_int(row.get("interval"), "interval"),
        "byday": text(row.get("byday")).upper(),
        "byweekno": text(row.get("byweekno")),
        "bymonthday": text(row.get("bymonthday")),
        "byyearday": text(row.get("byyearday")),
        "opens_at": parse_time(row.get("opens_at"), "opens_at"),
        "closes_at": parse_time(row.get("closes_at"), "closes_at"),
        "closed": bool(parse_bool(row.get("closed"), "closed")),
        "description": text(row.get("description")),
        "schedule_link": text(row.get("schedule_link")),
        "attending_type": text(row.get("attending_type")),
        "notes": text(row.get("notes")),
    }


def service_area(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "external_id": text(row.get("id")),
        "name": text(row.get("name")),
        "description": text(row.get("description")),
        "extent": text(row.get("extent")),
        "extent_type": text(row.get("extent_type")),
        "uri": text(row.get("uri")),
    }


def language(row: dict[str, Any]) -> dict[str, Any]:
    data = {
        "external_id": text(row.get("id")),
        "name": text(row.get("name")),
        "code": text(row.get("code")),
        "note": text(row.get("note")),
    }
    if not data["name"] and not data["code"]:
        raise FieldProblem("name", "a language needs a name or a code")
    return data


def accessibility(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "external_id": text(row.get("id")),
        "description": text(row.get("description")),
        "details": text(row.get("details")),
        "url": text(row.get("url")),
    }


def cost_option(row: dict[str, Any]) -> dict[str, Any]:
    amount = parse_float(row.get("amount"), "amount")
    return {
        "external_id": text(row.get("id")),
        "option": text(row.get("option")),
        "amount": None if amount is None else f"{amount:.2f}",
        "currency": text(row.get("currency")).upper()[:3],
        "amount_description": text(row.get("amount_description")),
        "valid_from": parse_date(row.get("valid_from"), "valid_from"),
        "valid_to": parse_date(row.get("valid_to"), "valid_to"),
    }


DETAILS: dict[str, Callable[..., dict[str, Any]]] = {
    "addresses": address,
    "phones": phone,
    "contacts": contact,
    "schedules": schedule,
    "languages": language,
    "accessibility": accessibility,
    "service_areas": service_area,
    "cost_options": cost_option,
}
