"""The HSDS 1.x tabular data package (a folder with datapackage.json of version 1.x): the 3.0 tables under their
older names and shapes, mapped on the way in: physical_addresses/postal_addresses → addresses,
regular_schedules/holiday_schedules → schedules (weekday 1-7, Monday first), eligibility → the service's
eligibility description, accessibility_for_disabilities → accessibility, services_taxonomy and taxonomy_ids →
taxonomy terms. Programs, funding, required documents and payments accepted are not kept."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from carecoord.directory.imports import hsds3
from carecoord.directory.imports.common import (
    Bundle,
    FieldProblem,
    parse_bool,
    parse_date,
    parse_time,
    parse_weekday,
    required,
    schedule_data,
    split_list,
    text,
)
from carecoord.directory.imports.hsds3_csv import OWNER_COLUMNS, Reader

SCHEDULE_OWNERS = ("service", "location", "service_at_location")


def _organization(row: dict[str, Any]) -> dict[str, Any]:
    return hsds3.organization({**row, "website": row.get("url")})


def _service(row: dict[str, Any]) -> dict[str, Any]:
    data = hsds3.service({**row, "status": row.get("status") or "active", "fees_description": row.get("fees")})
    return data


def _location(row: dict[str, Any]) -> dict[str, Any]:
    return hsds3.location({**row, "location_type": "physical"})


def _term(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": required(row, "name"),
        "code": text(row.get("id")),
        "parent_external_id": text(row.get("parent_id")),
        "taxonomy": text(row.get("vocabulary")),
    }


def _address(kind: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def convert(row: dict[str, Any]) -> dict[str, Any]:
        extra = ", ".join(part for part in (text(row.get("address_3")), text(row.get("address_4"))) if part)
        line_2 = ", ".join(part for part in (text(row.get("address_2")), extra) if part)
        return hsds3.address({**row, "address_2": line_2, "address_type": kind})

    return convert


def _regular(row: dict[str, Any]) -> dict[str, Any]:
    return schedule_data(
        external_id=text(row.get("id")),
        byday=parse_weekday(row.get("weekday"), "weekday"),
        opens_at=parse_time(required(row, "opens_at"), "opens_at"),
        closes_at=parse_time(required(row, "closes_at"), "closes_at"),
    )


def _holiday(row: dict[str, Any]) -> dict[str, Any]:
    closed = bool(parse_bool(required(row, "closed"), "closed"))
    opens, closes = parse_time(row.get("opens_at"), "opens_at"), parse_time(row.get("closes_at"), "closes_at")
    if not closed and (opens is None or closes is None):
        raise FieldProblem("opens_at" if opens is None else "closes_at", "is required when the place is open")
    return schedule_data(
        external_id=f"holiday-{text(row.get('id'))}",
        valid_from=parse_date(required(row, "start_date"), "start_date"),
        valid_to=parse_date(required(row, "end_date"), "end_date"),
        opens_at=opens,
        closes_at=closes,
        closed=closed,
    )


def read(folder: Path) -> Bundle:
    reader = Reader(folder, format="HSDS 1.x tabular data package")
    reader.keyed("taxonomy_term", "taxonomy.csv", _term)
    reader.keyed("organization", "organizations.csv", _organization)
    reader.keyed("location", "locations.csv", _location)
    reader.keyed("service", "services.csv", _service)
    reader.keyed(
        "service_at_location", "services_at_location.csv", lambda row: {"description": text(row.get("description"))}
    )
    bundle = reader.bundle
    for record in [r for r in bundle.records.values() if r.kind == "service"]:
        for term in split_list(record.data.pop("taxonomy_ids", "")):
            record.taxonomy_terms.append(term)

    def eligibility(row_number: int, row: dict[str, str]) -> None:
        (service,) = reader.owners(row, ("service",))
        text_so_far = service.data.get("eligibility_description", "")
        service.data["eligibility_description"] = "; ".join(p for p in (text_so_far, required(row, "eligibility")) if p)

    def service_taxonomy(row_number: int, row: dict[str, str]) -> None:
        (service,) = reader.owners(row, ("service",))
        term_id = required(row, "taxonomy_id")
        if bundle.get("taxonomy_term", term_id) is None:
            raise FieldProblem("taxonomy_id", f"term {term_id!r} is not in taxonomy.csv")
        service.taxonomy_terms.append(term_id)

    reader.rows("physical_addresses.csv", "address", reader.detail("addresses", ("location",), _address("physical")))
    reader.rows("postal_addresses.csv", "address", reader.detail("addresses", ("location",), _address("postal")))
    reader.rows(
        "accessibility_for_disabilities.csv",
        "accessibility",
        reader.detail(
            "accessibility",
            ("location",),
            lambda row: hsds3.accessibility({**row, "description": row.get("accessibility")}),
        ),
    )
    reader.rows(
        "service_areas.csv",
        "service_area",
        reader.detail(
            "service_areas", ("service",), lambda row: hsds3.service_area({**row, "name": row.get("service_area")})
        ),
    )
    reader.rows("regular_schedules.csv", "schedule", reader.detail("schedules", SCHEDULE_OWNERS, _regular))
    reader.rows("holiday_schedules.csv", "schedule", reader.detail("schedules", SCHEDULE_OWNERS, _holiday))
    reader.rows("eligibility.csv", "eligibility", eligibility)
    reader.rows("services_taxonomy.csv", "taxonomy_term", service_taxonomy)
    reader.rows("contacts.csv", "contact", reader.detail("contacts", OWNER_COLUMNS))
    reader.rows("phones.csv", "phone", reader.phone)
    reader.rows(
        "languages.csv",
        "language",
        reader.detail(
            "languages", ("service", "location"), lambda row: hsds3.language({**row, "name": row.get("language")})
        ),
    )
    return bundle
