"""Reads of the directory (no PHI, so no access check): one service with everything HSDS holds about it."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Prefetch

from carecoord.common.errors import NotFound
from carecoord.directory.hours import HoursRow, intervals_on, intervals_words, understood
from carecoord.directory.models import Schedule, SearchHours, Service, ServiceAtLocation, ServiceSearchRow


@dataclass(frozen=True)
class DayHours:
    day: datetime.date
    text: str
    today: bool


@dataclass(frozen=True)
class Place:
    """A location of a service with its address, the hours that apply there for the coming week, and any schedule
    rows the search could not read (shown as their description)."""

    service_at_location: ServiceAtLocation
    week: list[DayHours]
    unread_schedules: list[Schedule]


def get_service(service_id: int) -> Service:
    """A service with its organization, locations and every detail, or NotFound."""
    at_locations = ServiceAtLocation.objects.select_related("location").prefetch_related(
        "schedules",
        "phones",
        "contacts__phones",
        "location__addresses",
        "location__phones",
        "location__languages",
        "location__accessibility",
        "location__schedules",
        Prefetch("search_rows", ServiceSearchRow.objects.prefetch_related("hours")),
    )
    try:
        return (
            Service.objects.select_related("organization")
            .prefetch_related(
                "taxonomy_terms",
                "languages",
                "schedules",
                "service_areas",
                "cost_options",
                "phones",
                "contacts__phones",
                "organization__phones",
                Prefetch("search_rows", ServiceSearchRow.objects.prefetch_related("hours")),
                Prefetch("at_locations", at_locations.order_by("id")),
            )
            .get(pk=service_id)
        )
    except Service.DoesNotExist:
        raise NotFound(f"No service {service_id} in the directory.") from None


def week_of(rows: Sequence[HoursRow], start: datetime.date) -> list[DayHours]:
    """The seven days from ``start`` with their opening hours (closures and holidays applied)."""
    days = [start + datetime.timedelta(days=offset) for offset in range(7)]
    return [
        DayHours(day, intervals_words(intervals_on(rows, day)) if rows else "not known", day == start) for day in days
    ]


def places_of(service: Service, today: datetime.date) -> tuple[list[Place], list[DayHours] | None]:
    """The service's places with their week, and the week of a service without a location (else None)."""
    places = []
    for sal in service.at_locations.all():
        hours: list[SearchHours] = [h for row in sal.search_rows.all() for h in row.hours.all()]
        schedules = list(sal.schedules.all()) or list(service.schedules.all()) or list(sal.location.schedules.all())
        places.append(Place(sal, week_of(hours, today), [s for s in schedules if not understood(s)]))
    if places:
        return places, None
    rows = [h for row in service.search_rows.all() for h in row.hours.all()]
    return [], week_of(rows, today)
