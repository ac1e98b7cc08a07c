"""Believable people for the demo and the benchmarks, the same ones on every run.

``generate_people`` draws everyone from one ``random.Random(seed)`` in order, so person *n* is the same
whatever the count asked for, and never depends on the database. Ages are counted at ``REFERENCE_DATE`` so
that a person's date of birth does not move from one day to the next. Every person carries a Medicaid CIN
or a Medicare MBI (or both), which is the key the seeding uses to skip people already registered.
"""

from __future__ import annotations

import datetime
import random
import string
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from carecoord.common.text import fold
from carecoord.demo.names import (
    CAREGIVER_HERITAGES,
    ENGLISH_NAMES_FEMALE,
    ENGLISH_NAMES_MALE,
    HERITAGES,
    Heritage,
    heritage,
)
from carecoord.demo.places import NEIGHBOURHOODS, NYC_MOBILE, Neighbourhood
from carecoord.patients.data import (
    AddressData,
    ContactData,
    CoverageData,
    IdentifierData,
    PatientData,
    PhoneData,
    identifier_system,
)
from carecoord.patients.models import (
    AddressUse,
    AssignmentKind,
    ContactRelationship,
    GenderIdentity,
    IdentifierKind,
    TelecomKind,
)

SEED = 2026
REFERENCE_DATE = datetime.date(2026, 1, 1)

# Letters a Medicare Beneficiary Identifier may use (CMS leaves out S, L, O, I, B and Z).
_MBI_LETTERS = "ACDEFGHJKMNPQRTUVWXY"
_OTHER_MEDICAID_PLANS = (
    "Fidelis Care",
    "Healthfirst",
    "MetroPlus Health",
    "EmblemHealth",
    "UnitedHealthcare Community Plan",
    "Anthem HealthPlus",
    "Molina Healthcare of New York",
)
_CHOSEN_NAMES = ("Alex", "Sam", "Jordan", "Kai", "River", "Robin", "Jesse", "Ari")
_EMAIL_DOMAINS = ("example.com", "example.net", "example.org")
_CONTACT_NOTES = (
    "Speaks English; prefers calls after 6 pm.",
    "Lives in the same building.",
    "Works nights; text first.",
    "Health care proxy form on file.",
    "Helps with appointments and medications.",
    "Lives out of state; call for emergencies only.",
)


@dataclass(frozen=True)
class Anchors:
    """The organizations people's identifiers and coverage point to (ids, so the generator needs no database)."""

    hospital_id: uuid.UUID
    plan_id: uuid.UUID
    plan_name: str
    # region ("bronx_manhattan", "brooklyn_queens_si") -> the primary care practice there
    practice_ids: dict[str, uuid.UUID]


@dataclass
class DemoPerson:
    """One generated person, with the agency that serves them and the MAPP segment they are in there."""

    data: PatientData
    agency_region: str
    segment: str
    key: tuple[str, str]  # (identifier system, value) of the CIN, else the MBI

    @property
    def cin(self) -> str:
        return next((i.value for i in self.data.identifiers if i.kind == IdentifierKind.MEDICAID_CIN), "")


def _weighted(rng: random.Random, options: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([value for value, _ in options], weights=[weight for _, weight in options])[0]


class _Unique:
    """Draws values until one is new: identifiers must belong to one person only."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def draw(self, rng: random.Random, make: Callable[[random.Random], str]) -> str:
        while True:
            value = make(rng)
            if value not in self.used:
                self.used.add(value)
                return value


def _cin(rng: random.Random) -> str:
    letters = string.ascii_uppercase
    return f"{rng.choice(letters)}{rng.choice(letters)}{rng.randint(0, 99999):05d}{rng.choice(letters)}"


def _mbi(rng: random.Random) -> str:
    alnum = _MBI_LETTERS + string.digits
    return "".join(
        (
            str(rng.randint(1, 9)),
            rng.choice(_MBI_LETTERS),
            rng.choice(alnum),
            str(rng.randint(0, 9)),
            rng.choice(_MBI_LETTERS),
            rng.choice(alnum),
            str(rng.randint(0, 9)),
            rng.choice(_MBI_LETTERS),
            rng.choice(_MBI_LETTERS),
            f"{rng.randint(0, 99):02d}",
        )
    )


def phone_number(rng: random.Random, area_code: str) -> str:
    """A number in the 555-0100..0199 range reserved for fiction, written as people write them."""
    line = f"01{rng.randint(0, 99):02d}"
    style = rng.random()
    if style < 0.7:
        return f"({area_code}) 555-{line}"
    if style < 0.9:
        return f"{area_code}-555-{line}"
    return f"{area_code}.555.{line}"


def _family_name(rng: random.Random, people: Heritage, female: bool) -> str:
    name = rng.choice(people.family)
    if "/" in name:
        male_form, female_form = name.split("/")
        name = female_form if female else male_form
    if rng.random() < people.double_family:
        second = rng.choice(people.family).split("/")[0]
        if second != name:
            name = f"{name} {second}"
    return name


def _birth_date(rng: random.Random, age: int) -> datetime.date:
    return datetime.date(REFERENCE_DATE.year - age - 1, 1, 1) + datetime.timedelta(days=rng.randint(0, 364))


def _age(rng: random.Random) -> int:
    if rng.random() < 0.58:
        return int(rng.triangular(18, 64.99, 52))
    return int(rng.triangular(65, 95.99, 70))


def _neighbourhood(rng: random.Random, people: Heritage) -> Neighbourhood:
    weights = [0.25 if NEIGHBOURHOODS[key].region == "upstate" else 1.0 for key in people.neighbourhoods]
    return NEIGHBOURHOODS[rng.choices(people.neighbourhoods, weights=weights)[0]]


def _address(rng: random.Random, place: Neighbourhood) -> AddressData:
    street, zip_code = rng.choice(place.streets)
    if place.hyphenated_numbers:
        number = f"{rng.randint(30, 220)}-{rng.randint(1, 99):02d}"
    else:
        number = str(rng.randint(1, 2400))
    line2 = ""
    if place.apartments and rng.random() < 0.65:
        line2 = f"Apt {rng.randint(1, 22)}{rng.choice('ABCDEFGH')}"
    use = AddressUse.HOME
    if rng.random() < 0.03:
        use, line2 = AddressUse.SHELTER, f"Room {rng.randint(101, 420)}"
    since = REFERENCE_DATE - datetime.timedelta(days=rng.randint(60, 365 * 20))
    return AddressData(
        line1=f"{number} {street}",
        line2=line2,
        city=place.city,
        state="NY",
        postal_code=zip_code,
        county=place.county,
        use=use,
        start_date=since,
    )


def _area_code(rng: random.Random, place: Neighbourhood, mobile: bool) -> str:
    if mobile and place.region != "upstate" and rng.random() < 0.6:
        return rng.choice(NYC_MOBILE)
    return rng.choice(place.area_codes)


def _contact_name(rng: random.Random, people: Heritage, family: str, same_family: bool) -> str:
    female = rng.random() < 0.6
    given = rng.choice(people.female if female else people.male).split()[0]
    if same_family:
        surname = family
        for entry in people.family:
            if "/" in entry and surname in entry.split("/"):
                male_form, female_form = entry.split("/")
                surname = female_form if female else male_form
    else:
        surname = _family_name(rng, people, female)
    return f"{given} {surname}"


def _contacts(rng: random.Random, people: Heritage, family: str, age: int, place: Neighbourhood) -> list[ContactData]:
    count = rng.choices([0, 1, 2], weights=[0.3, 0.45, 0.25] if age >= 65 else [0.45, 0.4, 0.15])[0]
    if age >= 65:
        relationships = (
            ("child", 0.45),
            ("spouse", 0.2),
            ("sibling", 0.1),
            ("caregiver", 0.12),
            ("friend", 0.06),
            ("proxy", 0.04),
            ("guardian", 0.03),
        )
    else:
        relationships = (
            ("spouse", 0.25),
            ("sibling", 0.2),
            ("friend", 0.17),
            ("child", 0.15 if age > 35 else 0),
            ("parent", 0.2 if age < 45 else 0.02),
            ("guardian", 0.02),
            ("caregiver", 0.01),
        )
    contacts: list[ContactData] = []
    names: set[str] = set()
    for index in range(count):
        relationship = _weighted(rng, relationships)
        if relationship == ContactRelationship.CAREGIVER:
            name = _contact_name(rng, heritage(rng.choice(CAREGIVER_HERITAGES)), "", same_family=False)
        elif relationship in (
            ContactRelationship.FRIEND,
            ContactRelationship.HEALTH_CARE_PROXY,
            ContactRelationship.GUARDIAN,
        ):
            name = _contact_name(rng, people, family, same_family=False)
        else:
            name = _contact_name(rng, people, family, same_family=rng.random() < 0.75)
        if name.casefold() in names:
            continue
        names.add(name.casefold())
        is_proxy = relationship in (ContactRelationship.GUARDIAN, ContactRelationship.HEALTH_CARE_PROXY) or (
            age >= 65
            and relationship in (ContactRelationship.CHILD, ContactRelationship.SPOUSE)
            and rng.random() < 0.35
        )
        is_caregiver = relationship == ContactRelationship.CAREGIVER or (age >= 70 and rng.random() < 0.3)
        notes = ""
        if relationship == ContactRelationship.CAREGIVER:
            notes = f"Home health aide, {rng.choice(['Mon-Fri 9-1', 'Mon-Sat 8-4', 'weekends', 'live-in'])}."
        elif rng.random() < 0.2:
            notes = rng.choice(_CONTACT_NOTES)
        email = ""
        if rng.random() < 0.2:
            email = f"{'.'.join(fold(name).split())}@{rng.choice(_EMAIL_DOMAINS)}"
        contacts.append(
            ContactData(
                name=name,
                relationship=relationship,
                phone=phone_number(rng, _area_code(rng, place, mobile=True)),
                email=email,
                is_caregiver=is_caregiver,
                is_proxy=is_proxy,
                is_emergency=index == 0 and rng.random() < 0.85,
                notes=notes,
            )
        )
    return contacts


def generate_people(count: int, *, anchors: Anchors, seed: int = SEED) -> Iterator[DemoPerson]:
    """``count`` people, the same ones (in the same order) for the same seed."""
    rng = random.Random(seed)
    cins, mbis, mrns, members = _Unique(), _Unique(), _Unique(), _Unique()
    total = sum(h.weight for h in HERITAGES)
    for _ in range(count):
        people = rng.choices(HERITAGES, weights=[h.weight / total for h in HERITAGES])[0]
        age = _age(rng)
        birth_date = _birth_date(rng, age)
        female = rng.random() < 0.57

        identity, pronouns, preferred = "", "", ""
        roll = rng.random()
        if roll < 0.012:
            identity, pronouns = GenderIdentity.NONBINARY, "they/them"
            preferred = rng.choice(_CHOSEN_NAMES) if rng.random() < 0.5 else ""
        elif roll < 0.022:
            identity, pronouns, female = GenderIdentity.TRANSGENDER_WOMAN, "she/her", True
        elif roll < 0.03:
            identity, pronouns, female = GenderIdentity.TRANSGENDER_MAN, "he/him", False
        elif roll < 0.05:
            identity = GenderIdentity.NOT_DISCLOSED
        elif roll < 0.3:
            identity = GenderIdentity.WOMAN if female else GenderIdentity.MAN
            pronouns = ("she/her" if female else "he/him") if rng.random() < 0.5 else ""
        sex = "female" if female else "male"

        given = rng.choice(people.female if female else people.male)
        family = _family_name(rng, people, female)
        if not preferred:
            nicknames = people.nicknames.get(given, ())
            if nicknames and rng.random() < 0.4:
                preferred = rng.choice(nicknames)
            elif people.english_name and rng.random() < people.english_name:
                preferred = rng.choice(ENGLISH_NAMES_FEMALE if female else ENGLISH_NAMES_MALE)

        language = _weighted(rng, people.languages)
        if language != "en" and age < 30 and rng.random() < 0.4:
            language = "en"
        interpreter = language != "en" and rng.random() < min(1.0, people.interpreter + (0.2 if age >= 65 else 0))

        place = _neighbourhood(rng, people)
        addresses = [_address(rng, place)]
        if rng.random() < 0.05:
            addresses.append(
                AddressData(
                    line1=f"PO Box {rng.randint(100, 9999)}",
                    city=place.city,
                    state="NY",
                    postal_code=addresses[0].postal_code,
                    county=place.county,
                    use=AddressUse.MAILING,
                )
            )
        phones: list[PhoneData] = []
        if rng.random() < 0.93:
            phones.append(
                PhoneData(
                    number=phone_number(rng, _area_code(rng, place, mobile=True)),
                    kind=TelecomKind.MOBILE,
                    text_consent=rng.random() < 0.6,
                )
            )
        if age >= 60 and rng.random() < 0.4:
            phones.append(PhoneData(number=phone_number(rng, rng.choice(place.area_codes)), kind=TelecomKind.HOME))
        email = ""
        if rng.random() < (0.35 if age < 50 else 0.12):
            email = f"{fold(given).split()[0]}.{''.join(fold(family).split())}{rng.randint(1, 99)}@" + rng.choice(
                _EMAIL_DOMAINS
            )

        identifiers: list[IdentifierData] = []
        coverages: list[CoverageData] = []
        if age < 65:
            program = "medicaid" if rng.random() < 0.88 else "dual"
        else:
            program = "dual" if rng.random() < 0.72 else "medicare"
        on_our_plan = rng.random() < 0.5
        if program in ("medicaid", "dual"):
            cin = cins.draw(rng, _cin)
            identifiers.append(IdentifierData(kind=IdentifierKind.MEDICAID_CIN, value=cin))
            since = REFERENCE_DATE - datetime.timedelta(days=rng.randint(90, 365 * 12))
            if on_our_plan and program == "medicaid":
                member = members.draw(rng, lambda r: f"HC{r.randint(0, 999_999_999):09d}")
                identifiers.append(
                    IdentifierData(kind=IdentifierKind.PLAN_MEMBER, value=member, assigner_id=anchors.plan_id)
                )
                coverages.append(
                    CoverageData(
                        payer_name=anchors.plan_name,
                        member_id=member,
                        payer_id=anchors.plan_id,
                        plan_type="Medicaid managed care",
                        start_date=since,
                    )
                )
            elif rng.random() < 0.75:
                plan = rng.choice(_OTHER_MEDICAID_PLANS)
                member_id = f"{rng.choice(string.ascii_uppercase)}{rng.randint(0, 99_999_999):08d}"
                coverages.append(
                    CoverageData(
                        payer_name=plan, member_id=member_id, plan_type="Medicaid managed care", start_date=since
                    )
                )
            else:
                coverages.append(
                    CoverageData(
                        payer_name="New York State Medicaid",
                        member_id=cin,
                        plan_type="Medicaid fee-for-service",
                        start_date=since,
                    )
                )
        if program in ("medicare", "dual"):
            mbi = mbis.draw(rng, _mbi)
            identifiers.append(IdentifierData(kind=IdentifierKind.MEDICARE_MBI, value=mbi))
            turned_65 = datetime.date(birth_date.year + 65, birth_date.month, 1)
            since = turned_65 if age >= 65 else REFERENCE_DATE - datetime.timedelta(days=rng.randint(90, 365 * 8))
            if on_our_plan:
                member = members.draw(rng, lambda r: f"HC{r.randint(0, 999_999_999):09d}")
                identifiers.append(
                    IdentifierData(kind=IdentifierKind.PLAN_MEMBER, value=member, assigner_id=anchors.plan_id)
                )
                plan_type = "Medicare Advantage D-SNP" if program == "dual" else "Medicare Advantage"
                coverages.append(
                    CoverageData(
                        payer_name=anchors.plan_name,
                        member_id=member,
                        payer_id=anchors.plan_id,
                        plan_type=plan_type,
                        start_date=since,
                    )
                )
            else:
                coverages.append(
                    CoverageData(
                        payer_name="Medicare",
                        member_id=mbi,
                        plan_type="Medicare fee-for-service (Parts A and B)",
                        start_date=since,
                    )
                )
        if rng.random() < 0.45:
            mrn = mrns.draw(rng, lambda r: f"{r.randint(1_000_000, 9_999_999)}")
            identifiers.append(IdentifierData(kind=IdentifierKind.MRN, value=mrn, assigner_id=anchors.hospital_id))

        deceased: datetime.date | None = None
        active = True
        status = rng.random()
        if status < 0.012 and age >= 40:
            deceased = REFERENCE_DATE - datetime.timedelta(days=rng.randint(10, 300))
            active = False
        elif status < 0.035:
            active = False

        region = place.region
        if region == "upstate":
            region = rng.choice(("bronx_manhattan", "brooklyn_queens_si"))
        practice = anchors.practice_ids.get(place.region) if rng.random() < 0.6 else None
        contacts = _contacts(rng, people, family, age, place)
        segment = AssignmentKind.ENROLLMENT if rng.random() < 0.65 else AssignmentKind.OUTREACH

        key_ident = identifiers[0]
        data = PatientData(
            family_name=family,
            given_names=given,
            birth_date=birth_date,
            sex=sex,
            preferred_name=preferred,
            gender_identity=identity,
            pronouns=pronouns,
            preferred_language=language,
            interpreter_needed=interpreter,
            email=email,
            deceased_date=deceased,
            active=active,
            primary_care_organization_id=practice,
            identifiers=identifiers,
            addresses=addresses,
            phones=phones,
            coverages=coverages,
            contacts=contacts,
        )
        yield DemoPerson(
            data=data,
            agency_region=region,
            segment=segment,
            key=(identifier_system(key_ident.kind), key_ident.value),
        )
