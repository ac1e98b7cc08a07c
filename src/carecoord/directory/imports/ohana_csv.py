"""The Ohana API CSV layout (HSDS 1.0-era, Code for America): organizations.csv, locations.csv, addresses.csv,
mail_addresses.csv, phones.csv, contacts.csv, services.csv, regular_schedules.csv, holiday_schedules.csv,
taxonomy.csv (programs.csv is not kept).

Ohana services belong to one location; each becomes a service of the location's organization plus a
service-at-location row (id ``<service id>``). Missing files read as empty."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from carecoord.directory.imports.common import (
    Bundle,
    FieldProblem,
    Record,
    parse_bool,
    parse_date,
    parse_float,
    parse_time,
    parse_weekday,
    read_csv,
    required,
    schedule_data,
    split_list,
    text,
)

FILES = ("organizations.csv", "locations.csv", "services.csv")
STATUSES = ("active", "inactive", "defunct")


def looks_like(path: Path) -> bool:
    return path.is_dir() and any((path / name).is_file() for name in (*FILES, "mail_addresses.csv"))


class Reader:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.bundle = Bundle(format="Ohana CSV")
        self.contacts: dict[str, dict[str, Any]] = {}

    def rows(self, name: str, kind: str, convert: Callable[[int, dict[str, str]], None]) -> None:
        for row_number, row in read_csv(self.folder / name):
            try:
                convert(row_number, row)
            except FieldProblem as problem:
                self.bundle.reject(kind, row.get("id") or row.get("taxonomy_id", ""), name, row_number, str(problem))

    def _parent(self, row: dict[str, str], kinds: tuple[str, ...]) -> Record:
        """The record a detail row belongs to: the first of ``kinds`` whose ``<kind>_id`` is filled in."""
        for kind in kinds:
            parent_id = row.get(f"{kind}_id", "")
            if parent_id:
                parent = self.bundle.get(kind, parent_id)
                if parent is None:
                    raise FieldProblem(f"{kind}_id", f"{kind} {parent_id!r} is not in this data (or was rejected)")
                return parent
        raise FieldProblem(" / ".join(f"{kind}_id" for kind in kinds), "the row belongs to nothing")

    def organization(self, row_number: int, row: dict[str, str]) -> None:
        incorporated = parse_date(row.get("date_incorporated"), "date_incorporated")
        data: dict[str, Any] = {
            "name": required(row, "name"),
            "description": required(row, "description"),
            "alternate_name": text(row.get("alternate_name")),
            "email": text(row.get("email")),
            "website": text(row.get("website")),
            "tax_status": text(row.get("tax_status")),
            "tax_id": text(row.get("tax_id")),
            "year_incorporated": incorporated.year if incorporated else None,
            "legal_status": text(row.get("legal_status")),
            "phones": [],
            "contacts": [],
        }
        self.bundle.add(Record("organization", required(row, "id"), "organizations.csv", row_number, data))

    def location(self, row_number: int, row: dict[str, str]) -> None:
        organization = self._parent(row, ("organization",))
        virtual = parse_bool(row.get("virtual"), "virtual")
        data = {
            "location_type": "virtual" if virtual else "physical",
            "name": required(row, "name"),
            "description": required(row, "description"),
            "alternate_name": text(row.get("alternate_name")),
            "transportation": text(row.get("transportation")),
            "latitude": parse_float(row.get("latitude"), "latitude"),
            "longitude": parse_float(row.get("longitude"), "longitude"),
            "url": text(row.get("website")),
            "email": text(row.get("email")),
            "addresses": [],
            "phones": [],
            "contacts": [],
            "schedules": [],
            "languages": [{"name": name} for name in split_list(row.get("languages"))],
            "accessibility": [{"description": item} for item in split_list(row.get("accessibility"))],
        }
        record = Record("location", required(row, "id"), "locations.csv", row_number, data)
        record.refs["organization"] = organization.external_id
        record.required_refs = ("organization",)
        self.bundle.add(record)

    def service(self, row_number: int, row: dict[str, str]) -> None:
        location = self._parent(row, ("location",))
        status = text(row.get("status")).lower() or "active"
        if status not in STATUSES:
            raise FieldProblem("status", f"{row.get('status')!r} is not one of {', '.join(STATUSES)}")
        service_id = required(row, "id")
        eligibility = "; ".join(part for part in (text(row.get("eligibility")), text(row.get("audience"))) if part)
        data = {
            "name": required(row, "name"),
            "description": required(row, "description"),
            "status": status,
            "alternate_name": text(row.get("alternate_name")),
            "email": text(row.get("email")),
            "url": text(row.get("website")),
            "application_process": text(row.get("application_process")),
            "eligibility_description": eligibility,
            "fees_description": text(row.get("fees")),
            "interpretation_services": text(row.get("interpretation_services")),
            "keywords": text(row.get("keywords")),
            "wait_time": text(row.get("wait_time")),
            "phones": [],
            "contacts": [],
            "schedules": [],
            "languages": [{"name": name} for name in split_list(row.get("languages"))],
            "service_areas": [{"name": name} for name in split_list(row.get("service_areas"))],
        }
        record = Record("service", service_id, "services.csv", row_number, data)
        record.refs["organization"] = location.refs["organization"]
        record.required_refs = ("organization",)
        record.taxonomy_terms = split_list(row.get("taxonomy_ids"))
        self.bundle.add(record)
        at = Record("service_at_location", service_id, "services.csv", row_number, {"description": ""})
        at.refs = {"service": service_id, "location": location.external_id}
        at.required_refs = ("service", "location")
        self.bundle.add(at)

    def address(self, kind: str) -> Callable[[int, dict[str, str]], None]:
        def convert(row_number: int, row: dict[str, str]) -> None:
            location = self._parent(row, ("location",))
            location.data["addresses"].append(
                {
                    "external_id": text(row.get("id")),
                    "address_type": kind,
                    "attention": text(row.get("attention")),
                    "address_1": required(row, "address_1"),
                    "address_2": text(row.get("address_2")),
                    "city": required(row, "city"),
                    "state_province": required(row, "state_province"),
                    "postal_code": required(row, "postal_code"),
                    "country": required(row, "country")[:2].upper(),
                }
            )

        return convert

    def contact(self, row_number: int, row: dict[str, str]) -> None:
        data: dict[str, Any] = {
            "external_id": text(row.get("id")),
            "name": required(row, "name"),
            "title": text(row.get("title")),
            "department": text(row.get("department")),
            "email": text(row.get("email")),
            "phones": [],
        }
        _contacts_of(self._parent(row, ("location", "organization", "service"))).append(data)
        self.contacts[text(row.get("id"))] = data

    def phone(self, row_number: int, row: dict[str, str]) -> None:
        data = {
            "external_id": text(row.get("id")),
            "number": required(row, "number"),
            "type": required(row, "number_type").lower(),
            "extension": text(row.get("extension")),
            "description": " ".join(p for p in (text(row.get("department")), text(row.get("vanity_number"))) if p),
            "languages": "",
        }
        contact_id = row.get("contact_id", "")
        if contact_id:
            if contact_id not in self.contacts:
                raise FieldProblem("contact_id", f"contact {contact_id!r} is not in this data (or was rejected)")
            self.contacts[contact_id]["phones"].append(data)
            return
        self._parent(row, ("location", "organization", "service")).data["phones"].append(data)

    def regular_schedule(self, row_number: int, row: dict[str, str]) -> None:
        byday = parse_weekday(row.get("weekday"), "weekday")
        opens = parse_time(required(row, "opens_at"), "opens_at")
        closes = parse_time(required(row, "closes_at"), "closes_at")
        parent = self._parent(row, ("location", "service"))
        parent.data["schedules"].append(
            schedule_data(external_id=text(row.get("id")), byday=byday, opens_at=opens, closes_at=closes)
        )

    def holiday_schedule(self, row_number: int, row: dict[str, str]) -> None:
        start = parse_date(required(row, "start_date"), "start_date")
        end = parse_date(required(row, "end_date"), "end_date")
        closed = parse_bool(required(row, "closed"), "closed")
        opens = parse_time(row.get("opens_at"), "opens_at")
        closes = parse_time(row.get("closes_at"), "closes_at")
        if not closed and (opens is None or closes is None):
            raise FieldProblem("opens_at" if opens is None else "closes_at", "is required when the place is open")
        parent = self._parent(row, ("location", "service"))
        parent.data["schedules"].append(
            schedule_data(
                external_id=f"holiday-{text(row.get('id'))}",
                opens_at=opens,
                closes_at=closes,
                valid_from=start,
                valid_to=end,
                closed=bool(closed),
            )
        )

    def taxonomy(self, row_number: int, row: dict[str, str]) -> None:
        term_id = required(row, "taxonomy_id")
        parent_id = text(row.get("parent_id"))
        if parent_id and self.bundle.get("taxonomy_term", parent_id) is None:
            raise FieldProblem("parent_id", f"category {parent_id!r} is not earlier in taxonomy.csv")
        data = {
            "name": required(row, "name"),
            "code": term_id,
            "parent_external_id": parent_id,
            "taxonomy": "Open Eligibility",
        }
        self.bundle.add(Record("taxonomy_term", term_id, "taxonomy.csv", row_number, data))


def _contacts_of(record: Record) -> list[dict[str, Any]]:
    contacts: list[dict[str, Any]] = record.data.setdefault("contacts", [])
    return contacts


def read(folder: Path) -> Bundle:
    reader = Reader(folder)
    reader.rows("taxonomy.csv", "taxonomy_term", reader.taxonomy)
    reader.rows("organizations.csv", "organization", reader.organization)
    reader.rows("locations.csv", "location", reader.location)
    reader.rows("services.csv", "service", reader.service)
    reader.rows("addresses.csv", "address", reader.address("physical"))
    reader.rows("mail_addresses.csv", "address", reader.address("postal"))
    reader.rows("contacts.csv", "contact", reader.contact)
    reader.rows("phones.csv", "phone", reader.phone)
    reader.rows("regular_schedules.csv", "schedule", reader.regular_schedule)
    reader.rows("holiday_schedules.csv", "schedule", reader.holiday_schedule)
    return reader.bundle
