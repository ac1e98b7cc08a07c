"""HSDS 3.0 JSON: one object (service_full, organization_full, service_at_location_full, location, taxonomy_term),
a list of them, or an API page (``{"contents": [...]}``). Nested objects are taken apart into the keyed records
they describe; the same record met twice (a location under its organization and under a service) is merged."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from carecoord.directory.imports import hsds3
from carecoord.directory.imports.common import Bundle, FieldProblem, Record, text

DETAIL_KEYS = {
    "organization": ("phones", "contacts"),
    "location": ("addresses", "phones", "contacts", "schedules", "languages", "accessibility"),
    "service": ("phones", "contacts", "schedules", "languages", "service_areas", "cost_options"),
    "service_at_location": ("phones", "contacts", "schedules"),
}
SINGULAR = {"addresses": "address", "phones": "phone", "contacts": "contact", "schedules": "schedule",
            "languages": "language", "service_areas": "service_area", "cost_options": "cost_option"}  # fmt: skip
CONVERT: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "organization": hsds3.organization,
    "location": hsds3.location,
    "service": hsds3.service,
    "taxonomy_term": hsds3.taxonomy_term,
    "service_at_location": lambda obj: {"description": text(obj.get("description"))},
}


class Reader:
    def __init__(self, path: Path) -> None:
        self.file = path.name
        self.bundle = Bundle(format="HSDS 3.0 JSON")

    def _details(self, kind: str, obj: dict[str, Any], label: str) -> dict[str, Any]:
        details: dict[str, Any] = {}
        for key in DETAIL_KEYS.get(kind, ()):
            items = []
            for index, item in enumerate(obj.get(key) or []):
                where = f"{label}.{key}[{index}]"
                try:
                    if not isinstance(item, dict):
                        raise FieldProblem(key, "is not an object")
                    converted = hsds3.DETAILS[key](item)
                    if key == "contacts":
                        converted["phones"] = [hsds3.phone(p) for p in item.get("phones") or []]
                except FieldProblem as problem:
                    self.bundle.reject(
                        SINGULAR.get(key, key),
                        text(item.get("id")) if isinstance(item, dict) else "",
                        self.file,
                        None,
                        f"{where}.{problem}",
                    )
                    continue
                items.append(converted)
            details[key] = items
        return details

    def take(self, kind: str, obj: Any, label: str, refs: dict[str, str] | None = None) -> str:
        """Record ``obj`` as a ``kind`` and everything nested in it; returns its id ('' when refused)."""
        external_id = text(obj.get("id")) if isinstance(obj, dict) else ""
        if not isinstance(obj, dict) or not external_id:
            self.bundle.reject(kind, external_id, self.file, None, f"{label}.id: is required")
            return ""
        try:
            data = CONVERT[kind](obj)
        except FieldProblem as problem:
            self.bundle.reject(kind, external_id, self.file, None, f"{label}.{problem}")
            return ""
        data.update(self._details(kind, obj, label))
        record = Record(kind=kind, external_id=external_id, file=self.file, row=None, data=data, refs=dict(refs or {}))
        if kind == "service_at_location":
            record.required_refs = ("service", "location")
        record = self.bundle.add(record)
        if kind == "organization":
            for index, child in enumerate(obj.get("locations") or []):
                self.take("location", child, f"{label}.locations[{index}]", {"organization": external_id})
            for index, child in enumerate(obj.get("services") or []):
                self.take("service", child, f"{label}.services[{index}]", {"organization": external_id})
        elif kind == "service":
            organization = obj.get("organization")
            if isinstance(organization, dict):
                org_id = self.take("organization", organization, f"{label}.organization")
                if org_id:
                    record.refs.setdefault("organization", org_id)
            elif text(obj.get("organization_id")):
                record.refs.setdefault("organization", text(obj.get("organization_id")))
            for index, attribute in enumerate(obj.get("attributes") or []):
                term = attribute.get("taxonomy_term") if isinstance(attribute, dict) else None
                if isinstance(term, dict):
                    term_id = self.take("taxonomy_term", term, f"{label}.attributes[{index}].taxonomy_term")
                    if term_id and term_id not in record.taxonomy_terms:
                        record.taxonomy_terms.append(term_id)
            for index, child in enumerate(obj.get("service_at_locations") or []):
                self.take(
                    "service_at_location", child, f"{label}.service_at_locations[{index}]", {"service": external_id}
                )
        elif kind == "service_at_location":
            for key in ("service", "location"):
                nested = obj.get(key)
                if isinstance(nested, dict):
                    nested_id = self.take(key, nested, f"{label}.{key}")
                    if nested_id:
                        record.refs.setdefault(key, nested_id)
                elif text(obj.get(f"{key}_id")):
                    record.refs.setdefault(key, text(obj.get(f"{key}_id")))
        return external_id


def kind_of(obj: dict[str, Any]) -> str:
    if "service_at_locations" in obj or "status" in obj:
        return "service"
    if "location" in obj and "service" in obj:
        return "service_at_location"
    if "location_type" in obj:
        return "location"
    if "services" in obj or "organization_identifiers" in obj or "year_incorporated" in obj:
        return "organization"
    if "term_uri" in obj or "taxonomy_detail" in obj or ("code" in obj and "parent_id" in obj):
        return "taxonomy_term"
    return "organization"


def read(path: Path) -> Bundle:
    reader = Reader(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        reader.bundle.reject("file", "", reader.file, None, f"not JSON: {error}")
        return reader.bundle
    items = document.get("contents") if isinstance(document, dict) and "contents" in document else document
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list):
        reader.bundle.reject("file", "", reader.file, None, "expected an object, a list or a page of contents")
        return reader.bundle
    for index, item in enumerate(items):
        kind = kind_of(item) if isinstance(item, dict) else "organization"
        reader.take(kind, item, f"[{index}]" if len(items) > 1 else kind)
    return reader.bundle
