"""The directory's search index: ``ServiceSearchRow`` and ``SearchHours`` rebuilt from the HSDS records.

One row per service at a location, or one per service that has no location. The import action rebuilds the rows
of the services it changed (directly or through their organization, locations, service-at-location rows or
taxonomy terms) in its own transaction; ``directory-reindex`` rebuilds everything.

What a row holds and how it is derived (docs: README "Community resource directory"):

- position: the location's latitude/longitude, else the centroid of its physical (then postal) address's ZIP;
- hours: the service-at-location's schedules, else the service's, else the location's (``hours.py``);
- free: no cost option with an amount above zero, and either a cost option of zero or fees text that says so
  ("free", "none", "no fee", "no cost", "no charge");
- areas served: each service area's name split at commas, its ZIPs, and ZIPs in a non-GeoJSON extent; no service
  area means no residency rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Prefetch

from carecoord.common.text import fold, name_tokens
from carecoord.directory.geo import normalize_zip, zip_point
from carecoord.directory.hours import hours_of, pack
from carecoord.directory.languages import language_name, language_words
from carecoord.directory.models import (
    Address,
    CostOption,
    Language,
    SearchHours,
    Service,
    ServiceArea,
    ServiceAtLocation,
    ServiceSearchRow,
    ServiceStatus,
    TaxonomyTerm,
)

BATCH = 1000
_ZIP_IN_TEXT = re.compile(r"\b(\d{5})(?:-\d{4})?\b")
_FREE_START = ("free", "none", "no fee", "no fees", "no cost", "no charge", "0", "0 00")
_FREE_ANYWHERE = (" free of charge", " no fee", " no cost", " no charge", " is free", " are free")


def words_field(words: Iterable[str]) -> str:
    """Distinct words between single spaces, with a space at each end (so ' word' is a word-prefix test)."""
    seen = dict.fromkeys(w for w in words if w)
    return f" {' '.join(seen)} " if seen else ""


def fees_say_free(text: str) -> bool:
    folded = fold(text)
    if not folded:
        return False
    return any(folded == start or folded.startswith(start + " ") for start in _FREE_START) or any(
        phrase in f" {folded}" for phrase in _FREE_ANYWHERE
    )


def _is_free(options: list[CostOption], fees: str) -> bool:
    amounts = [option.amount for option in options]
    if any(amount is not None and amount > Decimal(0) for amount in amounts):
        return False
    return any(amount is not None and amount == Decimal(0) for amount in amounts) or fees_say_free(fees)


def area_phrases(areas: list[ServiceArea]) -> list[str]:
    phrases: list[str] = []
    for area in areas:
        for part in re.split(r"[,;]", area.name):
            if fold(part):
                phrases.append(fold(part))
        extent = area.extent.strip()
        texts = [area.name, area.description]
        if extent and not extent.startswith(("{", "[")):
            texts.append(extent)
        for text in texts:
            phrases.extend(match.group(1) for match in _ZIP_IN_TEXT.finditer(text))
        if not phrases:
            phrases.append(fold(area.description) or "unnamed area")
    return list(dict.fromkeys(phrases))


def _names(names: list[str]) -> str:
    return ", ".join(dict.fromkeys(name for name in names if name))


def _address(addresses: list[Address]) -> Address | None:
    ordered = sorted(addresses, key=lambda a: (a.address_type != "physical", a.id))
    return ordered[0] if ordered else None


def _service_rows(service: Service) -> Iterator[tuple[ServiceSearchRow, list[SearchHours]]]:
    got: dict[str, Any] = service.__dict__  # the lists prefetched by _services (to_attr: no querysets built)
    terms: list[TaxonomyTerm] = got["got_terms"]
    languages: list[Language] = got["got_languages"]
    service_areas: list[ServiceArea] = got["got_areas"]
    service_words = name_tokens(
        service.name,
        service.alternate_name,
        service.description,
        service.keywords,
        service.organization.name if service.organization else "",
        *(term.name for term in terms),
    )
    names = name_tokens(service.name, service.alternate_name, service.organization.name if service.organization else "")
    needs = words_field(term.need_category for term in terms)
    codes = words_field(part for term in terms for part in (term.code, term.external_id) if " " not in part)
    service_languages = [w for lang in languages for w in language_words(lang.name, lang.code)]
    service_language_names = [lang.name or language_name(lang.code) for lang in languages]
    areas = area_phrases(service_areas)
    common = {
        "service": service,
        "organization_id": service.organization_id,
        "active": service.status == ServiceStatus.ACTIVE,
        "name_words": words_field(names),
        "needs": needs,
        "terms": codes,
        "minimum_age": service.minimum_age,
        "maximum_age": service.maximum_age,
        "free": _is_free(got["got_costs"], service.fees_description),
        "area_words": f"|{'|'.join(areas)}|" if areas else "",
        "assured_date": service.assured_date,
        "area_names": ", ".join(area.name for area in service_areas if area.name),
    }
    service_hours = hours_of(got["got_schedules"])
    places: list[ServiceAtLocation] = got["got_places"]
    if not places:
        row = ServiceSearchRow(
            words=words_field(service_words),
            languages=words_field(service_languages),
            language_names=_names(service_language_names),
            has_hours=bool(service_hours),
            has_exceptions=any(h.closed or h.weekday is None for h in service_hours),
            hours_text=pack(service_hours),
            **common,
        )
        yield row, [SearchHours(**vars(h)) for h in service_hours]
        return
    for place in places:
        location = place.location
        at: dict[str, Any] = location.__dict__
        address = _address(at["got_addresses"])
        latitude, longitude = location.latitude, location.longitude
        if (latitude is None or longitude is None) and address is not None:
            point = zip_point(address.postal_code)
            latitude, longitude = (point.lat, point.lon) if point else (None, None)
        hours = hours_of(place.__dict__["got_schedules"]) or service_hours or hours_of(at["got_location_schedules"])
        spoken = at["got_location_languages"]
        location_languages = [w for lang in spoken for w in language_words(lang.name, lang.code)]
        location_language_names = [lang.name or language_name(lang.code) for lang in spoken]
        words = service_words + name_tokens(place.description, location.name, address.city if address else "")
        row = ServiceSearchRow(
            service_at_location=place,
            location=location,
            latitude=latitude,
            longitude=longitude,
            postal_code=normalize_zip(address.postal_code) if address else "",
            words=words_field(words),
            languages=words_field(service_languages + location_languages),
            language_names=_names(service_language_names + location_language_names),
            address=address,
            has_hours=bool(hours),
            has_exceptions=any(h.closed or h.weekday is None for h in hours),
            hours_text=pack(hours),
            **common,
        )
        yield row, [SearchHours(**vars(h)) for h in hours]


def _services(ids: list[int]) -> Iterable[Service]:
    places = ServiceAtLocation.objects.select_related("location").prefetch_related(
        Prefetch("schedules", to_attr="got_schedules"),
        Prefetch("location__addresses", to_attr="got_addresses"),
        Prefetch("location__languages", to_attr="got_location_languages"),
        Prefetch("location__schedules", to_attr="got_location_schedules"),
    )
    return (
        Service.objects.filter(id__in=ids)
        .select_related("organization")
        .prefetch_related(
            Prefetch("taxonomy_terms", to_attr="got_terms"),
            Prefetch("languages", to_attr="got_languages"),
            Prefetch("schedules", to_attr="got_schedules"),
            Prefetch("service_areas", to_attr="got_areas"),
            Prefetch("cost_options", to_attr="got_costs"),
            Prefetch("at_locations", places, to_attr="got_places"),
        )
    )


def reindex_services(service_ids: Iterable[int]) -> int:
    """Rebuild the search rows of these services (in the caller's transaction, or one of its own); rows written."""
    ids = sorted(set(service_ids))
    written = 0
    with transaction.atomic():
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            ServiceSearchRow.objects.filter(service_id__in=chunk).delete()
            built = [pair for service in _services(chunk) for pair in _service_rows(service)]
            rows = ServiceSearchRow.objects.bulk_create([row for row, _ in built], batch_size=500)
            hours = []
            for row, (_, row_hours) in zip(rows, built, strict=True):
                for item in row_hours:
                    item.row = row
                    hours.append(item)
            SearchHours.objects.bulk_create(hours, batch_size=1000)
            written += len(rows)
    return written


def reindex_all() -> int:
    """Rebuild the whole index (``directory-reindex``)."""
    with transaction.atomic():
        SearchHours.objects.all().delete()
        ServiceSearchRow.objects.all().delete()
        return reindex_services(Service.objects.values_list("id", flat=True))


def services_touched(
    *,
    services: Iterable[int] = (),
    service_at_locations: Iterable[int] = (),
    organizations: Iterable[int] = (),
    locations: Iterable[int] = (),
    terms: Iterable[int] = (),
) -> set[int]:
    """The services whose search rows depend on any of these records."""
    found = set(services)
    lookups = (
        (ServiceAtLocation.objects.values_list("service_id", flat=True), "id__in", service_at_locations),
        (Service.objects.values_list("id", flat=True), "organization_id__in", organizations),
        (ServiceAtLocation.objects.values_list("service_id", flat=True), "location_id__in", locations),
        (Service.taxonomy_terms.through.objects.values_list("service_id", flat=True), "taxonomyterm_id__in", terms),
    )
    for queryset, lookup, ids in lookups:
        listed = sorted(set(ids))
        for start in range(0, len(listed), BATCH):
            found.update(queryset.filter(**{lookup: listed[start : start + BATCH]}))
    return found
