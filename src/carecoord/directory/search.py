"""Searching the directory: the one search every edge uses (the web pages, FHIR HealthcareService and Location).

``search_services(ServiceQuery(...))`` filters the search index (``ServiceSearchRow``, see ``indexing.py``) in SQL —
a bounding box on indexed latitude/longitude first, then word tests, eligibility and opening hours — and ranks the
candidates in Python with the exact haversine distance. Only the page's records are loaded.

Rank (highest first), each part explained in the hit's ``reasons``:

- 40 for each asked need the service meets, 40 for each asked taxonomy term it carries;
- 15 for each word of the text found in the service's or organization's name, 5 for one found elsewhere;
- up to 30 for nearness: 30 * 10 / (10 + km);
- up to 10 for a recent verification: 10 * (1 - days since / 730), nothing after two years;
- ties: nearer first, then by name.

The directory holds no PHI: searching it needs no access check and is not audited (the edge that turns a person's
address into ``near`` is, through ``patients.access``).
"""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet

from carecoord.assessments.scoring.sdoh import DOMAINS
from carecoord.common.errors import ValidationFailed
from carecoord.common.text import fold
from carecoord.directory.geo import STATE_NAMES, GeoPoint, bounding_box, distance_km, normalize_zip, zip_place
from carecoord.directory.hours import YEARLY_BASE, OpenStatus, intervals_on, intervals_words, open_status
from carecoord.directory.languages import language_code, language_name
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
    return Q(has_hours=True) & ~Exists(closure) & (Exists(special_open) | (~Exists(special) & Exists(weekly)))


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
    name: str


def search_services(query: ServiceQuery, *, now: datetime.datetime | None = None) -> SearchResults:
    """The services matching ``query``, best first, ``query.limit`` from ``query.offset``; ``total`` counts all."""
    _validate(query)
    moment = local_moment(query.open_at if query.open_at is not None else now)
    today = moment.date()
    words = text_words(query.text)
    asked_needs = [f" {code} " for code in query.needs]
    asked_terms = [f" {code} " for code in query.taxonomy_terms]
    columns = ("id", "service_id", "latitude", "longitude", "needs", "terms", "name_words", "assured_date")
    candidates: list[_Candidate] = []
    for row_id, service_id, lat, lon, needs, terms, names, assured in _filtered(query, moment).values_list(*columns):
        distance = None
        if query.near is not None and lat is not None and lon is not None:
            distance = distance_km(query.near, GeoPoint(lat, lon))
        if query.radius_km is not None and query.near is not None and (distance is None or distance > query.radius_km):
            continue
        score = 40.0 * sum(1 for code in asked_needs if code in needs)
        score += 40.0 * sum(1 for code in asked_terms if code in terms)
        score += sum(15.0 if f" {word}" in names else 5.0 for word in words)
        if distance is not None:
            score += 300.0 / (10.0 + distance)
        if assured is not None:
            score += 10.0 * max(0.0, 1.0 - (today - assured).days / 730)
        candidates.append(_Candidate(row_id, service_id, distance, score, names))
    candidates.sort(key=lambda c: (-c.score, c.distance if c.distance is not None else float("inf"), c.name, c.row_id))
    if query.one_per_service:
        best: dict[int, _Candidate] = {}
        for candidate in candidates:
            best.setdefault(candidate.service_id, candidate)
        candidates = list(best.values())
    page = candidates[query.offset : query.offset + query.limit]
    hits = _hits(page, query, moment)
    return SearchResults(query=query, total=len(candidates), hits=hits, at=moment)


def _hits(page: list[_Candidate], query: ServiceQuery, moment: datetime.datetime) -> list[ServiceHit]:
    if not page:
        return []
    rows = {
        row.id: row
        for row in ServiceSearchRow.objects.filter(id__in=[c.row_id for c in page])
        .select_related("service__organization", "location", "service_at_location")
        .prefetch_related(
            "hours",
            "location__addresses",
            "location__languages",
            "service__languages",
            "service__taxonomy_terms",
            "service__service_areas",
        )
    }
    return [_hit(rows[c.row_id], c, query, moment) for c in page]


def _hit(row: ServiceSearchRow, candidate: _Candidate, query: ServiceQuery, moment: datetime.datetime) -> ServiceHit:
    service, location = row.service, row.location
    hours = list(row.hours.all())
    status = open_status(hours, moment)
    status_text = status.describe(moment, now_words=query.open_at is None)
    address = None
    if location is not None:
        addresses = sorted(location.addresses.all(), key=lambda a: (a.address_type != "physical", a.id))
        address = addresses[0] if addresses else None
    languages = _language_names(service, location)
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
    if candidate.distance is not None:
        reasons.append(f"{candidate.distance:.1f} km away")
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
        distance_km=candidate.distance,
        status=status,
        status_text=status_text,
        hours_today=intervals_words(intervals_on(hours, moment.date())) if hours else "hours not known",
        languages=tuple(languages),
        reasons=tuple(reasons),
        score=round(candidate.score, 1),
        free=row.free,
        ages=ages,
        areas=_areas_words(service),
    )


def _areas_words(service: Service) -> str:
    names = [area.name for area in service.service_areas.all() if area.name]
    if not names:
        return ""
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    return f"serves {shown}"


def _terms(service: Service) -> list[TaxonomyTerm]:
    return list(service.taxonomy_terms.all())


def _language_names(service: Service, location: Location | None) -> list[str]:
    found = list(service.languages.all()) + (list(location.languages.all()) if location is not None else [])
    names = [lang.name or language_name(lang.code) for lang in found]
    return list(dict.fromkeys(name for name in names if name))


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
