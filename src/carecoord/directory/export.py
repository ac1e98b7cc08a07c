"""The directory as HSDS 3.0 JSON: an API page of service_full objects (each with its organization, its
service-at-location rows and their locations, phones, schedules, languages, areas, fees, contacts and taxonomy
terms as attributes). Organizations and locations no service uses are not in it."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import models

from carecoord.directory.models import Location, ResourceOrganization, Service, ServiceAtLocation

SKIP = {"id", "source", "content_hash", "imported_at", "updated_at", "external_id", "organization", "service",
        "location", "service_at_location", "contact", "need_category"}  # fmt: skip


def _plain(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def _fields(instance: models.Model, **renamed: str) -> dict[str, Any]:
    out: dict[str, Any] = {"id": getattr(instance, "external_id", "") or None}
    for f in instance._meta.concrete_fields:
        if f.name in SKIP or f.is_relation:
            continue
        out[renamed.get(f.name, f.name)] = _plain(getattr(instance, f.name))
    return out


def _phones(manager: Any) -> list[dict[str, Any]]:
    """Phones with their languages as HSDS language objects (stored as one comma-separated field)."""
    phones = []
    for phone in manager.all():
        data = _fields(phone)
        data["languages"] = [{"name": name.strip()} for name in phone.languages.split(",") if name.strip()]
        phones.append(data)
    return phones


def _contacts(manager: Any) -> list[dict[str, Any]]:
    return [{**_fields(c), "phones": _phones(c.phones)} for c in manager.all()]


def _location(location: Location) -> dict[str, Any]:
    return {
        **_fields(location),
        "addresses": [_fields(a) for a in location.addresses.all()],
        "phones": _phones(location.phones),
        "contacts": _contacts(location.contacts),
        "schedules": [_fields(s) for s in location.schedules.all()],
        "languages": [_fields(lang) for lang in location.languages.all()],
        "accessibility": [_fields(a) for a in location.accessibility.all()],
    }


def _organization(organization: ResourceOrganization) -> dict[str, Any]:
    data = _fields(organization, parent_external_id="parent_organization_id")
    data["phones"] = _phones(organization.phones)
    data["contacts"] = _contacts(organization.contacts)
    data["locations"] = [_location(location) for location in organization.locations.all()]
    return data


def _at_location(row: ServiceAtLocation) -> dict[str, Any]:
    return {
        "id": row.external_id,
        "description": row.description,
        "phones": _phones(row.phones),
        "contacts": _contacts(row.contacts),
        "schedules": [_fields(s) for s in row.schedules.all()],
        "location": _location(row.location),
    }


def service_full(service: Service) -> dict[str, Any]:
    data = _fields(service)
    data.update(
        {
            "organization": _organization(service.organization) if service.organization else None,
            "phones": _phones(service.phones),
            "contacts": _contacts(service.contacts),
            "schedules": [_fields(s) for s in service.schedules.all()],
            "languages": [_fields(lang) for lang in service.languages.all()],
            "service_areas": [_fields(a) for a in service.service_areas.all()],
            "cost_options": [_fields(c) for c in service.cost_options.all()],
            "service_at_locations": [_at_location(row) for row in service.at_locations.all()],
            "attributes": [
                {
                    "id": f"{service.external_id}:{term.external_id}",
                    "link_type": "service",
                    "taxonomy_term": {**_fields(term, parent_external_id="parent_id"), "term_uri": term.term_uri},
                }
                for term in service.taxonomy_terms.all()
            ],
        }
    )
    return data


def export_services(*, source: str | None = None) -> dict[str, Any]:
    services = Service.objects.order_by("source", "external_id").select_related("organization")
    if source:
        services = services.filter(source=source)
    contents = [service_full(service) for service in services]
    return {
        "total_items": len(contents),
        "total_pages": 1,
        "page_number": 1,
        "size": len(contents),
        "first_page": True,
        "last_page": True,
        "empty": not contents,
        "contents": contents,
    }
