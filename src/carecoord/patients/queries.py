"""Reads over the patient registry. These do not check permissions: ``patients.access`` wraps them."""

from __future__ import annotations

import datetime
import re
import uuid
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.functions import Collate

from carecoord.common.text import digits, fold, name_tokens
from carecoord.patients.models import Patient, PatientIdentifier, PatientNameToken, PatientPhone

if TYPE_CHECKING:
    from carecoord.patients.data import PatientData

_DATE_FORMATS = ("%m/%d/%Y", "%m-%d-%Y", "%Y-%m-%d", "%m%d%Y", "%m/%d/%y")


def parse_date(text: str) -> datetime.date | None:
    for fmt in _DATE_FORMATS:
        try:
            parsed = datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        if fmt == "%m/%d/%y" and parsed > datetime.date.today():
            parsed = parsed.replace(year=parsed.year - 100)
        return parsed
    return None


def prefix_filter(field_name: str, prefix: str) -> Q:
    """Rows whose ``field_name`` starts with ``prefix``, written so that each database uses its index.

    PostgreSQL uses a pattern-ops index for LIKE 'x%'; SQLite's LIKE is case-insensitive and skips the
    index, so there the same prefix is a range over the binary-ordered index.
    """
    if connection.vendor == "postgresql":
        return Q(**{f"{field_name}__startswith": prefix})
    return Q(**{f"{field_name}__gte": prefix, f"{field_name}__lt": prefix + "\U0010ffff"})


@dataclass
class SearchTerms:
    """A search box's text, split into what it names."""

    names: list[str] = field(default_factory=list)
    birth_date: datetime.date | None = None
    numbers: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.names or self.birth_date or self.numbers)


_IDENTIFIER_LIKE = re.compile(r"^(?=.*\d)[A-Za-z0-9-]{4,}$")
_PHONE_LIKE = re.compile(r"^[\d\s().+-]{7,}$")


def parse_search(text: str) -> SearchTerms:
    """Understand one search box: names in any order, a date of birth, identifiers and phone numbers."""
    terms = SearchTerms()
    text = text.strip()
    if _PHONE_LIKE.match(text) and len(digits(text)) >= 10 and parse_date(text) is None:
        terms.numbers.append(digits(text)[-10:])
        return terms
    for raw in text.replace(",", " ").split():
        date = parse_date(raw)
        if date is not None:
            terms.birth_date = date
        elif _IDENTIFIER_LIKE.match(raw):
            terms.numbers.append(raw.upper().replace("-", "") if not raw.isdigit() else raw)
        elif any(ch.isdigit() for ch in raw):
            terms.invalid.append(raw)
        else:
            terms.names.extend(name_tokens(raw))
    return terms


def search_patients(terms: SearchTerms, *, within: QuerySet[Patient] | None = None) -> QuerySet[Patient]:
    """People matching every part of ``terms``, in name order."""
    people = within if within is not None else Patient.objects.all()
    for token in terms.names:
        people = people.filter(
            pk__in=PatientNameToken.objects.filter(prefix_filter("token", token)).values("patient_id")
        )
    if terms.birth_date is not None:
        people = people.filter(birth_date=terms.birth_date)
    for number in terms.numbers:
        # One sub-select (a UNION), not two ORed ones: an OR of IN-lists stops PostgreSQL from using a
        # semi-join and makes it test every person.
        owners = PatientIdentifier.objects.filter(value=number).order_by().values("patient_id")
        if number.isdigit() and len(number) == 10:
            owners = owners.union(PatientPhone.objects.filter(digits=number).order_by().values("patient_id"))
        people = people.filter(pk__in=owners)
    if connection.vendor == "postgresql" and terms.names:
        # Sorting on an expression keeps PostgreSQL from walking the whole name index in order hoping to
        # meet matches early (slow for late-alphabet prefixes); it starts from the name tokens instead.
        return people.order_by(Collate("family_folded", "C"), "given_folded", "birth_date")
    return people.order_by("family_folded", "given_folded", "birth_date")


@dataclass(frozen=True)
class DuplicateCandidate:
    patient_id: uuid.UUID
    reasons: tuple[str, ...]
    display_name: str
    birth_date: datetime.date
    visible: bool = True


def _similar(a: str, b: str) -> bool:
    if not a or not b:
        return False
    return a == b or SequenceMatcher(None, a, b).ratio() >= 0.8


def _names_similar(family_a: str, given_a: str, family_b: str, given_b: str) -> bool:
    first_a = given_a.split()[0] if given_a else ""
    first_b = given_b.split()[0] if given_b else ""
    same_order = _similar(family_a, family_b) and (
        _similar(first_a, first_b) or (first_a[:1] == first_b[:1] and (len(first_a) == 1 or len(first_b) == 1))
    )
    swapped = _similar(family_a, first_b) and _similar(first_a, family_b)
    return same_order or swapped


def find_possible_duplicates(data: PatientData, *, exclude: uuid.UUID | None = None) -> list[DuplicateCandidate]:
    """People already registered who may be this person: same date of birth and a similar name, or the
    same identifier."""
    found: dict[uuid.UUID, list[str]] = {}
    family, given = fold(data.family_name), fold(data.given_names)
    if data.birth_date is not None:
        for candidate in Patient.objects.filter(birth_date=data.birth_date).only("id", "family_folded", "given_folded"):
            if _names_similar(family, given, candidate.family_folded, candidate.given_folded):
                found.setdefault(candidate.pk, []).append("same date of birth and a similar name")
    for ident in data.identifiers:
        if ident.system and ident.value:
            for patient_id in PatientIdentifier.objects.filter(system=ident.system, value=ident.value).values_list(
                "patient_id", flat=True
            ):
                found.setdefault(patient_id, []).append(f"same identifier {ident.value}")
    if exclude is not None:
        found.pop(exclude, None)
    people: dict[Any, Patient] = Patient.objects.in_bulk(list(found))
    return [
        DuplicateCandidate(
            patient_id=pid,
            reasons=tuple(reasons),
            display_name=people[pid].display_name,
            birth_date=people[pid].birth_date,
        )
        for pid, reasons in found.items()
        if pid in people
    ]
