"""Reading what an ADT message says: the person (PID, MRG), the visit (PV1, PV2), the event (EVN), diagnoses (DG1).

Values come out unescaped and stripped; times as aware datetimes (a time without an offset is read in
``settings.TIME_ZONE``). Nothing here decides what the message means for the registry: see ``processing``.
"""

from __future__ import annotations

import datetime
import re
import zoneinfo
from dataclasses import dataclass, field

from django.conf import settings

from carecoord.common.text import fold
from carecoord.hl7v2.messages import Delimiters, Header, read_header, unescape

_DTM = re.compile(r"^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.(\d{1,4}))?\s*(?:([+-])(\d{2})(\d{2}))?$")


@dataclass(frozen=True)
class Identifier:
    """One PID-3 (or MRG-1) repetition: the value, its assigning authority and identifier type (CX.5)."""

    value: str
    authority: str
    type_code: str = ""


@dataclass
class AdtContent:
    header: Header
    event_type: str
    recorded_at: datetime.datetime | None
    identifiers: list[Identifier]
    family_name: str
    given_names: str
    birth_date: datetime.date | None
    sex: str  # PID-8 as sent (M, F, O, U, A, N)
    patient_class: str
    visit_number: str
    facility: str
    location: str
    hospital_service: str
    admit_source: str
    admission_type: str
    discharge_disposition: str
    admitted_at: datetime.datetime | None
    discharged_at: datetime.datetime | None
    patient_type: str
    reason: str
    diagnoses: list[dict[str, str]] = field(default_factory=list)
    prior_identifiers: list[Identifier] = field(default_factory=list)


class Segments:
    """The fields of a message's segments (CR-separated text), split with its own delimiters."""

    def __init__(self, text: str, header: Header, only: tuple[str, ...] = ()):
        self.d: Delimiters = header.delimiters
        self.rows: list[list[str]] = []
        for segment in text.split("\r"):
            segment = segment.strip()
            if not segment or (only and not segment.startswith(only)):
                continue
            if segment.startswith("MSH"):
                self.rows.append(list(header.fields))
            else:
                self.rows.append(segment.split(self.d.field))

    def all(self, name: str) -> list[list[str]]:
        return [row for row in self.rows if row and row[0] == name]

    def first(self, name: str) -> list[str]:
        found = self.all(name)
        return found[0] if found else []

    def repetitions(self, row: list[str], number: int) -> list[str]:
        return row[number].split(self.d.repetition) if number < len(row) and row[number] else []

    def component(self, value: str, index: int = 1, sub: int = 0) -> str:
        parts = value.split(self.d.component)
        part = parts[index - 1] if index <= len(parts) else ""
        if sub:
            subs = part.split(self.d.subcomponent)
            part = subs[sub - 1] if sub <= len(subs) else ""
        return unescape(part, self.d).strip()

    def value(self, row: list[str], number: int, index: int = 1, sub: int = 0) -> str:
        reps = self.repetitions(row, number)
        return self.component(reps[0], index, sub) if reps else ""


def parse_time(text: str) -> datetime.datetime | None:
    """An HL7 DTM (YYYY[MM[DD[HH[MM[SS[.S]]]]]][+/-ZZZZ]) as an aware datetime, or None."""
    match = _DTM.match(text.strip())
    if not match:
        return None
    year, month, day, hour, minute, second, _fraction, sign, off_h, off_m = match.groups()
    try:
        naive = datetime.datetime(
            int(year), int(month or 1), int(day or 1), int(hour or 0), int(minute or 0), int(second or 0)
        )
    except ValueError:
        return None
    if sign:
        offset = datetime.timedelta(hours=int(off_h), minutes=int(off_m))
        return naive.replace(tzinfo=datetime.timezone(offset if sign == "+" else -offset))
    return naive.replace(tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))


def _identifiers(s: Segments, row: list[str], number: int, default_authority: str) -> list[Identifier]:
    found = []
    for rep in s.repetitions(row, number):
        value = s.component(rep, 1)
        if not value:
            continue
        authority = s.component(rep, 4, 1) or s.component(rep, 4, 2) or s.component(rep, 4) or default_authority
        found.append(Identifier(value=value[:64], authority=authority[:200], type_code=s.component(rep, 5).upper()))
    return found


@dataclass(frozen=True)
class Person:
    """Who a message is about, as its PID says: identifiers (PID-3, else PID-2 and PID-4), name, birth date."""

    identifiers: list[Identifier]
    family_name: str
    given_names: str
    birth_date: datetime.date | None


def _person(s: Segments, pid: list[str], facility_default: str) -> Person:
    identifiers = _identifiers(s, pid, 3, facility_default)
    if not identifiers:  # PID-2 (external id) and PID-4 (alternate id) in older feeds
        identifiers = _identifiers(s, pid, 2, facility_default) + _identifiers(s, pid, 4, facility_default)
    birth = parse_time(s.value(pid, 7, 1))
    return Person(
        identifiers=identifiers,
        family_name=s.value(pid, 5, 1, 1) or s.value(pid, 5, 1),
        given_names=" ".join(part for part in (s.value(pid, 5, 2), s.value(pid, 5, 3)) if part),
        birth_date=birth.date() if birth else None,
    )


def _default_facility(header: Header) -> str:
    return header.component(4, 1) or header.component(4, 2)


def read_person(text: str, header: Header) -> Person:
    """Only who the message is about (its PID): what intake needs to order a person's messages."""
    s = Segments(text, header, only=("PID",))
    return _person(s, s.first("PID"), _default_facility(header))


def read_adt(text: str, header: Header | None = None) -> AdtContent:
    """What the message says, read from its CR-separated text (``header``: its MSH, when already read)."""
    if header is None:
        header = read_header(text.split("\r", 1)[0])
    s = Segments(text, header)
    facility_default = _default_facility(header)
    evn, pid, pv1, pv2, mrg = s.first("EVN"), s.first("PID"), s.first("PV1"), s.first("PV2"), s.first("MRG")
    person = _person(s, pid, facility_default)
    diagnoses = []
    for dg1 in s.all("DG1"):
        code = s.value(dg1, 3, 1)
        display = s.value(dg1, 3, 2) or s.value(dg1, 4, 1)
        if code or display:
            diagnoses.append(
                {
                    "code": code,
                    "display": display,
                    "system": s.value(dg1, 3, 3) or s.value(dg1, 2, 1),
                    "type": s.value(dg1, 6, 1),
                }
            )
    location = s.value(pv1, 3)
    facility = s.value(pv1, 3, 4) or s.value(pv1, 39) or facility_default
    return AdtContent(
        header=header,
        event_type=header.trigger_event or s.value(evn, 1).upper(),
        recorded_at=parse_time(s.value(evn, 2)) or parse_time(header.component(7, 1)),
        identifiers=person.identifiers,
        family_name=person.family_name,
        given_names=person.given_names,
        birth_date=person.birth_date,
        sex=s.value(pid, 8).upper(),
        patient_class=s.value(pv1, 2).upper(),
        visit_number=(s.value(pv1, 19) or s.value(pid, 18))[:64],
        facility=facility[:200],
        location=location[:200],
        hospital_service=s.value(pv1, 10)[:64],
        admit_source=s.value(pv1, 14).upper(),
        admission_type=s.value(pv1, 4).upper(),
        discharge_disposition=s.value(pv1, 36).upper(),
        admitted_at=parse_time(s.value(pv1, 44)),
        discharged_at=parse_time(s.value(pv1, 45)),
        patient_type=s.value(pv1, 18).upper(),
        reason=(s.value(pv2, 3, 2) or s.value(pv2, 3, 1) or s.value(pv2, 12))[:500],
        diagnoses=diagnoses,
        prior_identifiers=_identifiers(s, mrg, 1, facility_default),
    )


def patient_key(content: AdtContent | Person) -> str:
    """How the sender names the person: its first identifier with authority, else folded name and birth date."""
    if content.identifiers:
        first = content.identifiers[0]
        return f"id:{first.authority}|{first.value}"[:255]
    if content.family_name:
        born = content.birth_date.isoformat() if content.birth_date else ""
        return f"name:{fold(content.family_name)}|{fold(content.given_names)}|{born}"[:255]
    return ""
