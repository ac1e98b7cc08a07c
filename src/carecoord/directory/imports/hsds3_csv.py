"""The HSDS 3.0 tabular data package: a folder with datapackage.json (version 3.x) and one CSV per table
(organizations, locations, services, service_at_location, addresses, phones, contacts, schedules, languages,
accessibility, cost_options, service_areas, taxonomy_terms, attributes). Missing tables read as empty.

A detail row names its owners by id (a phone may carry organization_id, service_id, location_id,
service_at_location_id and contact_id at once, as in the specification's example): it is attached to each owner
present in the data, and rejected when it names none that is. Attributes are kept only as a service's taxonomy
terms (link_id a service, taxonomy_term_id a term)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from carecoord.directory.imports import hsds3
from carecoord.directory.imports.common import Bundle, FieldProblem, Record, read_csv, required, text

OWNER_COLUMNS = ("organization", "service", "location", "service_at_location")


class Reader:
    def __init__(self, folder: Path, format: str = "HSDS 3.0 tabular data package") -> None:
        self.folder = folder
        self.bundle = Bundle(format=format)
        self.contacts: dict[str, list[dict[str, Any]]] = {}  # contact id -> its copies (one per owner)
        self.phones: dict[str, list[dict[str, Any]]] = {}

    def rows(self, name: str, kind: str, convert: Callable[[int, dict[str, str]], None]) -> None:
        for row_number, row in read_csv(self.folder / name):
            try:
                convert(row_number, row)
            except FieldProblem as problem:
                self.bundle.reject(kind, row.get("id", ""), name, row_number, str(problem))

    def keyed(self, kind: str, file: str, convert: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
        def take(row_number: int, row: dict[str, str]) -> None:
            data = convert(row)
            for key in ("phones", "contacts", "schedules", "languages", "addresses", "accessibility",
                        "service_areas", "cost_options"):  # fmt: skip
                data.setdefault(key, [])
            record = Record(kind, required(row, "id"), file, row_number, data)
            if kind in ("location", "service") and text(row.get("organization_id")):
                record.refs["organization"] = text(row["organization_id"])
            if kind == "service_at_location":
                record.refs = {"service": required(row, "service_id"), "location": required(row, "location_id")}
                record.required_refs = ("service", "location")
            self.bundle.add(record)

        self.rows(file, kind, take)

    def owners(self, row: dict[str, str], kinds: tuple[str, ...]) -> list[Record]:
        found = []
        for kind in kinds:
            owner_id = text(row.get(f"{kind}_id"))
            record = self.bundle.get(kind, owner_id) if owner_id else None
            if record is not None:
                found.append(record)
        if not found:
            named = [f"{kind}_id {row.get(f'{kind}_id')!r}" for kind in kinds if row.get(f"{kind}_id")]
            raise FieldProblem(
                "/".join(f"{kind}_id" for kind in kinds),
                f"names no record in this data ({', '.join(named) or 'none given'})",
            )
        return found

    def detail(
        self, key: str, kinds: tuple[str, ...], convert: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    ) -> Callable[[int, dict[str, str]], None]:
        def take(row_number: int, row: dict[str, str]) -> None:
            data = (convert or hsds3.DETAILS[key])(row)
            for owner in self.owners(row, kinds):
                copy = dict(data, phones=[]) if key == "contacts" else dict(data)
                owner.data.setdefault(key, []).append(copy)
                if key == "contacts":
                    self.contacts.setdefault(data["external_id"], []).append(copy)

        return take

    def phone(self, row_number: int, row: dict[str, str]) -> None:
        data = hsds3.phone(row, languages=[text(row.get("language"))] if row.get("language") else [])
        owners: list[list[dict[str, Any]]] = [
            owner.data.setdefault("phones", []) for owner in self.owners_or_none(row, OWNER_COLUMNS)
        ]
        owners += [contact["phones"] for contact in self.contacts.get(text(row.get("contact_id")), [])]
        if not owners:
            raise FieldProblem("organization_id/service_id/location_id/service_at_location_id/contact_id",
                               "names no record in this data")  # fmt: skip
        copies = []
        for phones in owners:
            copy = dict(data)
            phones.append(copy)
            copies.append(copy)
        self.phones[data["external_id"]] = copies

    def owners_or_none(self, row: dict[str, str], kinds: tuple[str, ...]) -> list[Record]:
        try:
            return self.owners(row, kinds)
        except FieldProblem:
            return []

    def language(self, row_number: int, row: dict[str, str]) -> None:
        data = hsds3.language(row)
        owners = self.owners_or_none(row, ("service", "location"))
        for owner in owners:
            owner.data.setdefault("languages", []).append(dict(data))
        phones = self.phones.get(text(row.get("phone_id")), [])
        for phone in phones:
            names = [n for n in phone["languages"].split(", ") if n]
            phone["languages"] = ", ".join([*names, data["name"] or data["code"]])
        if not owners and not phones:
            raise FieldProblem("service_id/location_id/phone_id", "names no record in this data")

    def attribute(self, row_number: int, row: dict[str, str]) -> None:
        service = self.bundle.get("service", text(row.get("link_id")))
        term_id = text(row.get("taxonomy_term_id"))
        if service is not None and term_id and self.bundle.get("taxonomy_term", term_id) is not None:
            service.taxonomy_terms.append(term_id)


def read(folder: Path) -> Bundle:
    reader = Reader(folder)
    reader.keyed("taxonomy_term", "taxonomy_terms.csv", hsds3.taxonomy_term)
    reader.keyed("organization", "organizations.csv", hsds3.organization)
    reader.keyed("location", "locations.csv", hsds3.location)
    reader.keyed("service", "services.csv", hsds3.service)
    reader.keyed(
        "service_at_location", "service_at_location.csv", lambda row: {"description": text(row.get("description"))}
    )
    reader.rows("addresses.csv", "address", reader.detail("addresses", ("location",)))
    reader.rows("accessibility.csv", "accessibility", reader.detail("accessibility", ("location",)))
    reader.rows("service_areas.csv", "service_area", reader.detail("service_areas", ("service",)))
    reader.rows("cost_options.csv", "cost_option", reader.detail("cost_options", ("service",)))
    reader.rows("schedules.csv", "schedule", reader.detail("schedules", ("service", "location", "service_at_location")))
    reader.rows("contacts.csv", "contact", reader.detail("contacts", OWNER_COLUMNS))
    reader.rows("phones.csv", "phone", reader.phone)
    reader.rows("languages.csv", "language", reader.language)
    reader.rows("attributes.csv", "attribute", reader.attribute)
    return reader.bundle
