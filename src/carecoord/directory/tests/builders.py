"""HSDS 3.0 JSON for tests, imported through the import action (so the search index is built as in use)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

from carecoord.directory.actions import import_directory
from carecoord.directory.imports import read_path

_ids = itertools.count(1)

WEEKDAYS_9_TO_5 = [{"id": "wk", "freq": "WEEKLY", "byday": "MO,TU,WE,TH,FR", "opens_at": "09:00", "closes_at": "17:00"}]

ADDRESSES = {
    "10027": ("2920 Broadway", "New York", "NY"),
    "10026": ("215 W 114th St", "New York", "NY"),
    "10029": ("1 Gustave L. Levy Pl", "New York", "NY"),
    "11201": ("12 Fulton St", "Brooklyn", "NY"),
    "14850": ("120 E Green St", "Ithaca", "NY"),
}


def location(zip_code: str, *, name: str = "", schedules: list[dict[str, Any]] | None = None, **extra: Any) -> dict:
    street, city, state = ADDRESSES.get(zip_code, ("1 Main St", "Somewhere", "NY"))
    n = next(_ids)
    return {
        "id": f"loc-{n}",
        "name": name or f"{city} site {n}",
        "location_type": "physical",
        "addresses": [
            {
                "id": f"addr-{n}",
                "address_1": street,
                "city": city,
                "state_province": state,
                "postal_code": zip_code,
                "country": "US",
                "address_type": "physical",
            }
        ],
        "schedules": schedules or [],
        **extra,
    }


def service(name: str, *, locations: list[dict[str, Any]] = (), terms: list[str] = (), **fields: Any) -> dict:  # type: ignore[assignment]
    n = next(_ids)
    return {
        "id": f"svc-{n}",
        "name": name,
        "status": fields.pop("status", "active"),
        "organization": {
            "id": fields.pop("org_id", "org-1"),
            "name": fields.pop("org", "Harlem Community Services"),
            "description": "A community organization",
        },
        "attributes": [
            {
                "id": f"attr-{n}-{i}",
                "taxonomy_term": {"id": f"term-{term}", "code": term, "name": term, "parent_id": ""},
            }
            for i, term in enumerate(terms)
        ],
        "service_at_locations": [{"id": f"sal-{n}-{i}", "location": loc} for i, loc in enumerate(locations)],
        **fields,
    }


def import_services(tmp_path: Path, *services: dict[str, Any], source: str = "test") -> None:
    path = tmp_path / f"{source}-{next(_ids)}.json"
    path.write_text(json.dumps(list(services)), encoding="utf-8")
    report = import_directory(bundle=read_path(path), source=source)
    problems = [r for r in report.results if r.outcome == "rejected"]
    assert not problems, problems
