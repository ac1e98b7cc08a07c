"""Searching the directory: the one search every edge uses (the web pages, FHIR HealthcareService and Location).

``search_services(ServiceQuery(...))`` asks the search index (``ServiceSearchRow``, see ``indexing.py``) in one
statement: a bounding box on the indexed latitude/longitude first, then word tests, eligibility and opening hours,
the distance and the rank computed by the database, ordered, with the total counted alongside; only the page's
rows come back, and only their records are loaded. The distance filter and the nearness points use the
equirectangular approximation around the searched point (plain arithmetic, the same on SQLite and PostgreSQL;
within 0.2% of the great-circle distance up to 50 km); the distance shown for each hit is the exact haversine one.

Rank (highest first), each part explained in the hit's ``reasons``:

- 40 for each asked need the service meets, 40 for each asked taxonomy term it carries;
- 15 for each word of the text found in the service's or organization's name, 5 for one found elsewhere;
- up to 30 for nearness: 30 / (1 + (km / 10)²): 15 at 10 km, 6 at 20 km;
- 10 for details verified in the last six months, 6 in the last year, 3 in the last two years;
- ties: nearer first, then in the order the index was built.

The directory holds no PHI: searching it needs no access check and is not audited (the edge that turns a person's
address into ``near`` is, through ``patients.access``).
"""

from __future__ import annotations

import datetime
import math
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Case, Count, Exists, ExpressionWrapper, F, FloatField, OuterRef, Q, QuerySet, Value, When
from django.db.models.expressions import Window
from django.db.models.functions import Coalesce

from carecoord.assessments.scoring.sdoh import DOMAINS
from carecoord.common.errors import ValidationFailed
from carecoord.common.text import fold
from carecoord.directory.geo import STATE_NAMES, GeoPoint, bounding_box, distance_km, normalize_zip, zip_place
from carecoord.directory.hours import YEARLY_BASE, OpenStatus, intervals_on, intervals_words, open_status, unpack
from carecoord.directory.languages import language_code
from carecoord.directory.models import (
    Address,
    Location,
    SearchHours,
    Service,
    ServiceAtLocation,
    ServiceSearchRow,
    TaxonomyTerm,
)

NEED_LABELS: dict[str, str] = {domain.code: str(domain.display or domain.code) for domain in DOMAINS} | {
    "financial-insecurity": "Financial Insecurity"
}
STOP_WORDS = frozenset({"a", "an", "and", "for", "in", "me", "near", "of", "or", "the", "to", "with"})
MAX_LIMIT = 200


@dataclass(frozen=True)
class ServiceQuery:
    """What to look for; every field narrows the results, except ``text``'s and ``near``'s part in the rank."""

    text: str = ""  # free text over service/org names, descriptions, keywords, terms
    needs: tuple[str, ...] = ()  # SDOH need category codes (any of them)
    taxonomy_terms: tuple[str, ...] = ()  # TaxonomyTerm codes (any of them)
    near: GeoPoint | None = None  # resolved by the edge from a ZIP or a person's address
    radius_km: float | None = None  # distance filter (with near)
    open_at: datetime.datetime | None = None  # open at that moment (naive: in CARECOORD_TIME_ZONE)
    open_on: int | None = None  # ISO weekday 1..7: open at some time that day in the weekly hours
    language: str = ""  # name or code (e.g. "Spanish" or "es")
    age: int | None = None  # eligibility by minimum/maximum age
    residence_zip: str = ""  # eligibility by service area (ZIPs, county, city or state names)
    free_only: bool = False  # no fee
    organization_ids: tuple[int, ...] = ()  # ResourceOrganization ids
    name: str = ""  # service or organization name contains
    include_inactive: bool = False
    limit: int = 25
    offset: int = 0
    one_per_service: bool = False  # only each service's best-ranked location


@dataclass(frozen=True)
class ServiceHit:
    """A service (at a location, when it has one) that matched, with why it ranked where it did."""

    service: Service
    service_at_location: ServiceAtLocation | None
    location: Location | None
    address: Address | None
    distance_km: float | None
    status: OpenStatus
    status_text: str  # "open now until 5 pm", "closed Tue 10 am, opens 1 pm", "hours not known"
    hours_today: str  # the hours on the day asked about (today by default): "9 am to 5 pm", "closed"
    languages: tuple[str, ...]
    reasons: tuple[str, ...]
    score: float
    free: bool
    ages: str  # "ages 18+", "" for any age
    areas: str  # "serves San Mateo County", "" when the service names no area


@dataclass(frozen=True)
class SearchResults:
    query: ServiceQuery
    total: int
    hits: list[ServiceHit] = field(default_factory=list)
    at: datetime.datetime | None = None  # the local moment open status is given for


def time_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def local_moment(moment: datetime.datetime | None = None) -> datetime.datetime:
    """A moment as a naive local time in the configured zone (now when None)."""
    zone = time_zone()
    if moment is None:
        moment = datetime.datetime.now(tz=zone)
    if moment.tzinfo is None:
        return moment.replace(second=0, microsecond=0)
    return moment.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)


def _validate(query: ServiceQuery) -> None:
    errors: dict[str, list[str]] = {}
    if query.radius_km is not None and not (0 < query.radius_km <= 5000):
        errors["radius_km"] = ["must be more than 0 and at most 5000 km"]
    if query.open_on is not None and not 1 <= query.open_on <= 7:
        errors["open_on"] = ["must be a weekday from 1 (Monday) to 7 (Sunday)"]
    if query.age is not None and not 0 <= query.age <= 130:
        errors["age"] = ["must be from 0 to 130"]
    if query.residence_zip and not normalize_zip(query.residence_zip):
        errors["residence_zip"] = ["is not a ZIP code"]
    if not 0 <= query.limit <= MAX_LIMIT:
        errors["limit"] = [f"must be from 0 to {MAX_LIMIT}"]
    if query.offset < 0:
        errors["offset"] = ["must not be negative"]
    if errors:
        raise ValidationFailed("The search has invalid values", errors=errors)


def text_words(text: str) -> list[str]:
    return [word for word in dict.fromkeys(fold(text).split()) if word not in STOP_WORDS]


def _covers(day: datetime.date) -> Q:
    dated = (Q(valid_from__isnull=True) | Q(valid_from__lte=day)) & (Q(valid_to__isnull=True) | Q(valid_to__gte=day))
    base = day.replace(year=YEARLY_BASE)
    return (Q(yearly=False) & dated) | Q(yearly=True, valid_from__lte=base, valid_to__gte=base)


def open_at_condition(moment: datetime.datetime) -> Q:
    """Rows open at a local moment: the SQL form of ``hours.is_open``."""
    day, weekday, minute = moment.date(), moment.isoweekday(), moment.hour * 60 + moment.minute
    hours = SearchHours.objects.filter(row=OuterRef("pk"))
    closure = hours.filter(_covers(day), Q(weekday__isnull=True) | Q(weekday=weekday), closed=True)
    special = hours.filter(_covers(day), closed=False, weekday__isnull=True)
    weekly = hours.filter(_covers(day), closed=False, weekday=weekday, opens__lte=minute, closes__gt=minute)
    special_open = special.filter(opens__lte=minute, closes__gt=minute)
    regular = Q(has_exceptions=False) & Q(Exists(weekly))  # most rows: only their weekly hours to look at
    excepted = Q(has_exceptions=True) & ~Exists(closure) & (Exists(special_open) | (~Exists(special) & Exists(weekly)))
    return Q(has_hours=True) & (regular | excepted)


def open_on_condition(weekday: int, today: datetime.date) -> Q:
    """Rows whose weekly hours (still valid from today on) open on that weekday."""
    weekly = SearchHours.objects.filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=today), row=OuterRef("pk"), closed=False, weekday=weekday
    )
    return Q(has_hours=True) & Q(Exists(weekly))


def residence_phrases(zip_code: str) -> list[str]:
    """The area names a person living in this ZIP is served by: the ZIP, city, county (with and without 'county')
    and state (name and code)."""
    zip5 = normalize_zip(zip_code)
    phrases = [zip5]
    place = zip_place(zip5)
    if place is not None:
        county = fold(place.county)
        phrases += [fold(place.city), county, county.removesuffix(" county"), fold(place.state)]
        if place.state in STATE_NAMES:
            state = fold(STATE_NAMES[place.state])
            phrases += [state, f"{state} state", f"state of {state}"]
    return [p for p in dict.fromkeys(phrases) if p]


def _filtered(query: ServiceQuery, moment: datetime.datetime) -> QuerySet[ServiceSearchRow]:
    rows = ServiceSearchRow.objects.all()
    if not query.include_inactive:
        rows = rows.filter(active=True)
    if query.near is not None and query.radius_km is not None:
        box = bounding_box(query.near, query.radius_km)
        rows = rows.filter(
            latitude__gte=box.min_lat,
            latitude__lte=box.max_lat,
            longitude__gte=box.min_lon,
            longitude__lte=box.max_lon,
        )
    if query.needs:
        rows = rows.filter(_any("needs", [f" {code} " for code in query.needs]))
    if query.taxonomy_terms:
        rows = rows.filter(_any("terms", [f" {code} " for code in query.taxonomy_terms]))
    for word in text_words(query.text):
        rows = rows.filter(words__contains=f" {word}")
    if fold(query.name):
        rows = rows.filter(name_words__contains=f" {fold(query.name)}")
    if query.language.strip():
        code = language_code(query.language)
        rows = rows.filter(_any("languages", [f" {w} " for w in (code, fold(query.language)) if w]))
    if query.age is not None:
        rows = rows.filter(Q(minimum_age__isnull=True) | Q(minimum_age__lte=query.age))
        rows = rows.filter(Q(maximum_age__isnull=True) | Q(maximum_age__gte=query.age))
    if query.residence_zip:
        phrases = residence_phrases(query.residence_zip)
        rows = rows.filter(Q(area_words="") | _any("area_words", [f"|{p}|" for p in phrases]))
    if query.free_only:
        rows = rows.filter(free=True)
    if query.organization_ids:
        rows = rows.filter(organization_id__in=query.organization_ids)
    if query.open_at is not None:
        rows = rows.filter(open_at_condition(moment))
    if query.open_on is not None:
        rows = rows.filter(open_on_condition(query.open_on, moment.date()))
    return rows


def _any(column: str, values: list[str]) -> Q:
    condition = Q()
    for value in values:
        condition |= Q(**{f"{column}__contains": value})
    return condition


@dataclass
class _Candidate:
    row_id: int
    service_id: int
    distance: float | None
    score: float


KM_PER_DEGREE = 111.195


def _squared_km(near: GeoPoint) -> Any:
    """Squared distance from ``near`` in km² by the equirectangular approximation (plain arithmetic, so the same on
    every database); None where a row has no position."""
    cos_lat = math.cos(math.radians(near.lat))
    north = (F("latitude") - near.lat) * KM_PER_DEGREE
    east = (F("longitude") - near.lon) * (KM_PER_DEGREE * cos_lat)
    return ExpressionWrapper(north * north + east * east, output_field=FloatField())


def _score(query: ServiceQuery, today: datetime.date) -> Any:
    """The rank as one SQL expression (see the module docstring)."""
    parts: list[Any] = [Value(0.0)]
    for code in query.needs:
        parts.append(Case(When(needs__contains=f" {code} ", then=Value(40.0)), default=Value(0.0)))
    for code in query.taxonomy_terms:
        parts.append(Case(When(terms__contains=f" {code} ", then=Value(40.0)), default=Value(0.0)))
    for word in text_words(query.text):
        parts.append(Case(When(name_words__contains=f" {word}", then=Value(15.0)), default=Value(5.0)))
    if query.near is not None:
        nearness = Value(3000.0) / (Value(100.0) + F("squared_km"))  # 30 at the spot, 15 at 10 km, 6 at 20 km
        parts.append(Coalesce(nearness, Value(0.0)))
    recency = [When(assured_date__gte=today - datetime.timedelta(days=days), then=Value(points)) for days, points in
               ((183, 10.0), (365, 6.0), (730, 3.0))]  # fmt: skip
    parts.append(Case(*recency, default=Value(0.0)))
    total = parts[0]
    for part in parts[1:]:
        total = total + part
    return ExpressionWrapper(total, output_field=FloatField())


def search_services(query: ServiceQuery, *, now: datetime.datetime | None = None) -> SearchResults:
    """The services matching ``query``, best first, ``query.limit`` from ``query.offset``; ``total`` counts all.

    The database filters, scores and orders; only the page's rows come back (with the total counted alongside)."""
    _validate(query)
    moment = local_moment(query.open_at if query.open_at is not None else now)
    rows = _filtered(query, moment)
    if query.near is not None:
        rows = rows.annotate(squared_km=_squared_km(query.near))
        if query.radius_km is not None:
            rows = rows.filter(squared_km__lte=query.radius_km * query.radius_km)
    rows = rows.annotate(score=_score(query, moment.date()))
    order = ["-score", *(["squared_km"] if query.near is not None else []), "id"]
    if query.one_per_service:
        best: dict[int, tuple[int, float]] = {}
        for row_id, service_id, score in rows.order_by(*order).values_list("id", "service_id", "score"):
            best.setdefault(service_id, (row_id, score))
        listed = [(row_id, service_id, score) for service_id, (row_id, score) in best.items()]
        total, page_rows = len(listed), listed[query.offset : query.offset + query.limit]
    else:
        counted = rows.annotate(total=Window(Count("id"))).order_by(*order)
        fetched = list(counted.values_list("id", "score", "total")[query.offset : query.offset + query.limit])
        total = fetched[0][2] if fetched else (rows.count() if query.offset else 0)
        page_rows = [(row_id, 0, score) for row_id, score, _ in fetched]  # only the index's columns are read
    page = [_Candidate(row_id, service_id, None, score) for row_id, service_id, score in page_rows]
    hits = _hits(page, query, moment)
    return SearchResults(query=query, total=total, hits=hits, at=moment)


HIT_FIELDS = (
    *("id", "service_id", "service_at_location_id", "location_id", "address_id", "latitude", "longitude", "needs"),
    *("name_words", "free", "minimum_age", "maximum_age", "area_words", "assured_date", "language_names"),
    *("area_names", "hours_text", "service__name", "service__status", "service__organization_id"),
    *("service__fees_description", "service__assured_date", "service__source", "service__external_id"),
    *("service__minimum_age", "service__maximum_age", "service__organization__name", "location__name"),
    *("location__latitude", "location__longitude", "service_at_location__service_id"),
    *("service_at_location__location_id", "address__address_1", "address__address_2", "address__city"),
    *("address__state_province", "address__postal_code", "address__country", "address__location_id"),
)


def _hits(page: list[_Candidate], query: ServiceQuery, moment: datetime.datetime) -> list[ServiceHit]:
    """The page's rows with what a result shows (services with the fields a result row uses; hours unpacked)."""
    if not page:
        return []
    rows = ServiceSearchRow.objects.filter(id__in=[c.row_id for c in page]).select_related(
        "service__organization", "location", "service_at_location", "address"
    )
    rows = rows.only(*HIT_FIELDS)
    if query.taxonomy_terms:
        rows = rows.prefetch_related("service__taxonomy_terms")
    by_id = {row.id: row for row in rows}
    return [_hit(by_id[c.row_id], c, query, moment) for c in page]


def _hit(row: ServiceSearchRow, candidate: _Candidate, query: ServiceQuery, moment: datetime.datetime) -> ServiceHit:
    service, location = row.service, row.location
    hours = unpack(row.hours_text)
    status = open_status(hours, moment)
    status_text = status.describe(moment, now_words=query.open_at is None)
    address = row.address
    languages = [name for name in row.language_names.split(", ") if name]
    reasons: list[str] = []
    for code in query.needs:
        if f" {code} " in row.needs:
            reasons.append(f"meets {NEED_LABELS.get(code, code).lower()}")
    if query.taxonomy_terms:
        asked = set(query.taxonomy_terms)
        reasons += [f"listed under {t.name}" for t in _terms(service) if t.code in asked or t.external_id in asked]
    named = [word for word in text_words(query.text) if f" {word}" in row.name_words]
    if named:
        reasons.append("name matches " + ", ".join(f"“{word}”" for word in named))
    distance = None
    if query.near is not None and row.latitude is not None and row.longitude is not None:
        distance = distance_km(query.near, GeoPoint(row.latitude, row.longitude))
        reasons.append(f"{distance:.1f} km away")
    if query.open_at is not None or status.open:
        reasons.append(status_text)
    if query.open_on is not None:
        day = _next_weekday(moment.date(), query.open_on)
        reasons.append(f"open {day.strftime('%A')}s {intervals_words(intervals_on(hours, day))}")
    if query.language.strip():
        wanted = language_code(query.language) or fold(query.language)
        spoken = [name for name in languages if language_code(name) == wanted or wanted in fold(name).split()]
        reasons.append(f"speaks {spoken[0] if spoken else query.language.strip()}")
    if row.free:
        reasons.append("free")
    ages = age_words(row.minimum_age, row.maximum_age)
    if ages and query.age is not None:
        reasons.append(ages)
    if query.residence_zip and row.area_words:
        reasons.append(f"serves {normalize_zip(query.residence_zip)}")
    if row.assured_date is not None:
        reasons.append(f"verified {row.assured_date.isoformat()}")
    return ServiceHit(
        service=service,
        service_at_location=row.service_at_location,
        location=location,
        address=address,
        distance_km=distance,
        status=status,
        status_text=status_text,
        hours_today=intervals_words(intervals_on(hours, moment.date())) if hours else "hours not known",
        languages=tuple(languages),
        reasons=tuple(reasons),
        score=round(candidate.score, 1),
        free=row.free,
        ages=ages,
        areas=f"serves {row.area_names}" if row.area_names else "",
    )


def _terms(service: Service) -> list[TaxonomyTerm]:
    return list(service.taxonomy_terms.all())


def _next_weekday(day: datetime.date, weekday: int) -> datetime.date:
    return day + datetime.timedelta(days=(weekday - day.isoweekday()) % 7)


def age_words(minimum: int | None, maximum: int | None) -> str:
    """'ages 18+', 'ages 5 to 17', 'up to age 17'; '' with no limit."""
    if minimum is not None and maximum is not None:
        return f"ages {minimum} to {maximum}"
    if minimum is not None:
        return f"ages {minimum}+"
    if maximum is not None:
        return f"up to age {maximum}"
    return ""
