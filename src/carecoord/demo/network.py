"""The demo network: a Health Home lead, its two care management agencies and their partners, and their staff.

Organization and staff names are invented; streets and ZIP codes are real, house numbers are not. Every
record is built through ``accounts.actions``; what exists already (matched by name or username) is left alone,
so building twice changes nothing.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils import timezone

from carecoord.accounts.actions import LicenseData, affiliate, create_organization, create_user, update_user
from carecoord.accounts.models import Affiliation, AffiliationKind, Organization, OrganizationType, Role, User
from carecoord.common.text import fold

# One password for every demo login. It meets the policy (12+ characters, three character classes).
DEMO_PASSWORD = "CareCoord-Demo-2026!"

HEALTH_HOME = "health_home"
AGENCY_BRONX = "agency_bronx"
AGENCY_BROOKLYN = "agency_brooklyn"
HOSPITAL = "hospital"
PRACTICE_BROOKLYN = "practice_brooklyn"
PRACTICE_BRONX = "practice_bronx"
BEHAVIORAL_HEALTH = "behavioral_health"
FOOD = "cbo_food"
HOUSING = "cbo_housing"
TRANSPORT = "cbo_transport"
PLAN = "health_plan"
HOME_CARE = "home_care"

AGENCIES = (AGENCY_BRONX, AGENCY_BROOKLYN)
PRACTICES = (PRACTICE_BROOKLYN, PRACTICE_BRONX)


def npi(base: str) -> str:
    """A 10-digit NPI with a valid check digit (Luhn over the 80840 prefix and the first nine digits)."""
    total = 0
    for position, char in enumerate(reversed("80840" + base)):
        value = int(char) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return base + str((10 - total % 10) % 10)


@dataclass(frozen=True)
class OrganizationSpec:
    key: str
    name: str
    type: str
    npi: str
    phone: str
    email: str
    address_line: str
    city: str
    postal_code: str

    def details(self) -> dict[str, str]:
        return {
            "npi": npi(self.npi) if self.npi else "",
            "phone": self.phone,
            "email": self.email,
            "address_line": self.address_line,
            "city": self.city,
            "state": "NY",
            "postal_code": self.postal_code,
        }


ORGANIZATIONS: tuple[OrganizationSpec, ...] = (
    OrganizationSpec(
        HEALTH_HOME,
        "Five Boroughs Health Home",
        OrganizationType.HEALTH_HOME,
        "174902331",
        "(212) 555-0100",
        "network@fiveboroughs-hh.example.org",
        "75 Maiden Ln, Floor 11",
        "New York",
        "10038",
    ),
    OrganizationSpec(
        AGENCY_BRONX,
        "Bronx Harbor Care Management",
        OrganizationType.CARE_MANAGEMENT_AGENCY,
        "165803472",
        "(718) 555-0110",
        "intake@bronxharbor.example.org",
        "2432 Grand Concourse, Suite 400",
        "Bronx",
        "10458",
    ),
    OrganizationSpec(
        AGENCY_BROOKLYN,
        "Kings & Queens Care Partners",
        OrganizationType.CARE_MANAGEMENT_AGENCY,
        "138290564",
        "(718) 555-0120",
        "intake@kqcarepartners.example.org",
        "845 Flatbush Ave, 3rd Floor",
        "Brooklyn",
        "11226",
    ),
    OrganizationSpec(
        HOSPITAL,
        "Eastbridge Medical Center",
        OrganizationType.HOSPITAL,
        "102947385",
        "(718) 555-0130",
        "transitions@eastbridge-mc.example.org",
        "1520 Linden Blvd",
        "Brooklyn",
        "11212",
    ),
    OrganizationSpec(
        PRACTICE_BROOKLYN,
        "Eighth Avenue Family Medicine",
        OrganizationType.PRIMARY_CARE,
        "189305726",
        "(718) 555-0140",
        "frontdesk@eighthavefm.example.org",
        "5715 8th Ave",
        "Brooklyn",
        "11220",
    ),
    OrganizationSpec(
        PRACTICE_BRONX,
        "Concourse Primary Care Associates",
        OrganizationType.PRIMARY_CARE,
        "151648290",
        "(718) 555-0145",
        "office@concourse-pca.example.org",
        "880 Grand Concourse",
        "Bronx",
        "10451",
    ),
    OrganizationSpec(
        BEHAVIORAL_HEALTH,
        "Harlem River Behavioral Health",
        OrganizationType.BEHAVIORAL_HEALTH,
        "120584963",
        "(212) 555-0150",
        "intake@harlemriverbh.example.org",
        "2090 Third Ave",
        "New York",
        "10029",
    ),
    OrganizationSpec(
        FOOD,
        "Flatbush Community Pantry",
        OrganizationType.CBO,
        "",
        "(718) 555-0160",
        "hello@flatbushpantry.example.org",
        "1010 Church Ave",
        "Brooklyn",
        "11218",
    ),
    OrganizationSpec(
        HOUSING,
        "Uptown Housing Access Network",
        OrganizationType.CBO,
        "",
        "(212) 555-0165",
        "help@uptownhousing.example.org",
        "4120 Broadway",
        "New York",
        "10033",
    ),
    OrganizationSpec(
        TRANSPORT,
        "MetroRide Medical Transportation",
        OrganizationType.CBO,
        "",
        "(718) 555-0170",
        "dispatch@metroride.example.org",
        "40-20 21st St",
        "Long Island City",
        "11101",
    ),
    OrganizationSpec(
        PLAN,
        "Harbor Community Health Plan",
        OrganizationType.HEALTH_PLAN,
        "",
        "(212) 555-0180",
        "caremanagement@harborchp.example.org",
        "75 Broad St",
        "New York",
        "10004",
    ),
    OrganizationSpec(
        HOME_CARE,
        "Queensboro Home Care Services",
        OrganizationType.HOME_CARE,
        "197364028",
        "(718) 555-0190",
        "scheduling@queensborohc.example.org",
        "90-15 Parsons Blvd",
        "Jamaica",
        "11432",
    ),
)

# Who may do what with whom: agencies are members of the Health Home, which assigns members to them; the plan
# assigns to the Health Home; hospitals and practices refer in; agencies refer out and share care plans.
AFFILIATIONS: tuple[tuple[str, str, str], ...] = (
    *((agency, HEALTH_HOME, AffiliationKind.MEMBER) for agency in AGENCIES),
    *((HEALTH_HOME, agency, AffiliationKind.ASSIGNS_TO) for agency in AGENCIES),
    (PLAN, HEALTH_HOME, AffiliationKind.ASSIGNS_TO),
    *((source, target, AffiliationKind.REFERS_TO) for source in (HOSPITAL, *PRACTICES) for target in AGENCIES),
    *(
        (agency, partner, AffiliationKind.REFERS_TO)
        for agency in AGENCIES
        for partner in (FOOD, HOUSING, TRANSPORT, BEHAVIORAL_HEALTH, HOME_CARE, *PRACTICES)
    ),
    *(
        (agency, partner, AffiliationKind.SHARES_WITH)
        for agency in AGENCIES
        for partner in (HEALTH_HOME, HOSPITAL, BEHAVIORAL_HEALTH, HOME_CARE, PLAN, *PRACTICES)
    ),
)


@dataclass(frozen=True)
class StaffSpec:
    username: str
    role: str
    organization: str
    first_name: str
    last_name: str
    title: str
    education: str = ""
    years_experience: int | None = None
    languages: tuple[str, ...] = ("en",)
    # (license type, number): every license is a current New York one.
    license: tuple[str, str] | None = None
    supervisor: str | None = None
    phone: str = ""


STAFF: tuple[StaffSpec, ...] = (
    # Health Home lead
    StaffSpec(
        "denise_admin",
        Role.ORG_ADMIN,
        HEALTH_HOME,
        "Denise",
        "Washington",
        "Director of Network Operations",
        "MPA",
        14,
        phone="(212) 555-0101",
    ),
    StaffSpec(
        "marcus_supervisor",
        Role.SUPERVISOR,
        HEALTH_HOME,
        "Marcus",
        "Okonkwo",
        "Director of Care Management Quality",
        "MSW",
        16,
        license=("LCSW", "082714"),
        phone="(212) 555-0102",
    ),
    StaffSpec(
        "irene_auditor",
        Role.AUDITOR,
        HEALTH_HOME,
        "Irene",
        "Kowalczyk",
        "Compliance Officer",
        "JD",
        11,
        ("en", "pl"),
        phone="(212) 555-0103",
    ),
    # Bronx Harbor Care Management
    StaffSpec(
        "rosa_supervisor",
        Role.SUPERVISOR,
        AGENCY_BRONX,
        "Rosa",
        "Delgado-Núñez",
        "Care Management Supervisor",
        "MSW",
        12,
        ("en", "es"),
        ("LCSW", "079351"),
        phone="(718) 555-0111",
    ),
    StaffSpec(
        "alicia_rn",
        Role.LICENSED_CARE_MANAGER,
        AGENCY_BRONX,
        "Alicia",
        "Mendoza",
        "RN Care Manager",
        "BSN",
        9,
        ("en", "es"),
        ("RN", "714862"),
        "rosa_supervisor",
        "(718) 555-0112",
    ),
    StaffSpec(
        "kwame_cm",
        Role.CARE_MANAGER,
        AGENCY_BRONX,
        "Kwame",
        "Asante",
        "Health Home Care Manager",
        "MSW",
        5,
        supervisor="rosa_supervisor",
        phone="(718) 555-0113",
    ),
    StaffSpec(
        "yesenia_cc",
        Role.CARE_COORDINATOR,
        AGENCY_BRONX,
        "Yesenia",
        "Colón",
        "Community Care Coordinator",
        "BA",
        3,
        ("en", "es"),
        supervisor="rosa_supervisor",
        phone="(718) 555-0114",
    ),
    StaffSpec(
        "aminata_cc",
        Role.CARE_COORDINATOR,
        AGENCY_BRONX,
        "Aminata",
        "Diallo",
        "Care Coordinator",
        "BA",
        2,
        ("en", "fr", "wo"),
        supervisor="rosa_supervisor",
        phone="(718) 555-0115",
    ),
    StaffSpec(
        "gregory_admin",
        Role.ORG_ADMIN,
        AGENCY_BRONX,
        "Gregory",
        "Brennan",
        "Operations Manager",
        "BS",
        8,
        phone="(718) 555-0116",
    ),
    # Kings & Queens Care Partners
    StaffSpec(
        "mei_supervisor",
        Role.SUPERVISOR,
        AGENCY_BROOKLYN,
        "Mei Lin",
        "Chen",
        "Clinical Supervisor",
        "MSW",
        15,
        ("en", "zh", "yue"),
        ("LCSW", "081196"),
        phone="(718) 555-0121",
    ),
    StaffSpec(
        "josette_rn",
        Role.LICENSED_CARE_MANAGER,
        AGENCY_BROOKLYN,
        "Josette",
        "Pierre-Louis",
        "Nurse Care Manager",
        "BSN",
        11,
        ("en", "ht", "fr"),
        ("RN", "698245"),
        "mei_supervisor",
        "(718) 555-0122",
    ),
    StaffSpec(
        "dmitri_lcsw",
        Role.LICENSED_CARE_MANAGER,
        AGENCY_BROOKLYN,
        "Dmitri",
        "Volkov",
        "Complex Care Manager",
        "MSW",
        10,
        ("en", "ru"),
        ("LCSW", "084530"),
        "mei_supervisor",
        "(718) 555-0123",
    ),
    StaffSpec(
        "sungmin_cm",
        Role.CARE_MANAGER,
        AGENCY_BROOKLYN,
        "Sung-min",
        "Park",
        "Care Manager",
        "MSW",
        4,
        ("en", "ko"),
        supervisor="mei_supervisor",
        phone="(718) 555-0124",
    ),
    StaffSpec(
        "fatima_cm",
        Role.CARE_MANAGER,
        AGENCY_BROOKLYN,
        "Fatima",
        "Rahman",
        "Health Home Care Manager",
        "MPH",
        6,
        ("en", "bn"),
        supervisor="mei_supervisor",
        phone="(718) 555-0125",
    ),
    StaffSpec(
        "chaya_cc",
        Role.CARE_COORDINATOR,
        AGENCY_BROOKLYN,
        "Chaya",
        "Friedman",
        "Care Coordinator",
        "BA",
        3,
        ("en", "yi"),
        supervisor="mei_supervisor",
        phone="(718) 555-0126",
    ),
    StaffSpec(
        "tomasz_cc",
        Role.CARE_COORDINATOR,
        AGENCY_BROOKLYN,
        "Tomasz",
        "Nowak",
        "Care Coordinator",
        "BA",
        1,
        ("en", "pl"),
        supervisor="mei_supervisor",
        phone="(718) 555-0127",
    ),
    StaffSpec(
        "leah_admin",
        Role.ORG_ADMIN,
        AGENCY_BROOKLYN,
        "Leah",
        "Goldberg",
        "Director of Operations",
        "MBA",
        9,
        phone="(718) 555-0128",
    ),
    # Partners
    StaffSpec(
        "karen_hospital",
        Role.PARTNER,
        HOSPITAL,
        "Karen",
        "O'Connor",
        "Discharge Planner",
        "BSN",
        18,
        license=("RN", "623187"),
        phone="(718) 555-0131",
    ),
    StaffSpec(
        "nia_practice",
        Role.PARTNER,
        PRACTICE_BRONX,
        "Nia",
        "Robinson",
        "Practice Manager",
        "BS",
        7,
        phone="(718) 555-0146",
    ),
    StaffSpec(
        "omar_bh",
        Role.PARTNER,
        BEHAVIORAL_HEALTH,
        "Omar",
        "Haddad",
        "Intake Clinician",
        "MA",
        6,
        ("en", "ar"),
        ("LMHC", "011842"),
        phone="(212) 555-0151",
    ),
    StaffSpec(
        "carmen_pantry",
        Role.PARTNER,
        FOOD,
        "Carmen",
        "Ortiz",
        "Pantry Coordinator",
        "",
        5,
        ("en", "es"),
        phone="(718) 555-0161",
    ),
    StaffSpec(
        "andre_housing",
        Role.PARTNER,
        HOUSING,
        "André",
        "Baptiste",
        "Housing Navigator",
        "BA",
        4,
        ("en", "ht"),
        phone="(212) 555-0166",
    ),
    StaffSpec(
        "luis_rides",
        Role.PARTNER,
        TRANSPORT,
        "Luis",
        "Ferreira",
        "Dispatch Lead",
        "",
        10,
        ("en", "es", "pt"),
        phone="(718) 555-0171",
    ),
    StaffSpec(
        "grace_plan",
        Role.PARTNER,
        PLAN,
        "Grace",
        "Kim",
        "Care Management Liaison",
        "BSN",
        12,
        ("en", "ko"),
        phone="(212) 555-0181",
    ),
)


@dataclass
class Network:
    """The demo's organizations by key and staff by username, with what this run created."""

    organizations: dict[str, Organization] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    created_organizations: int = 0
    created_affiliations: int = 0
    created_users: int = 0

    def organization(self, key: str) -> Organization:
        return self.organizations[key]

    def registrar(self, agency: str) -> User:
        """The care coordinator who registers an agency's people."""
        for spec in STAFF:
            if spec.organization == agency and spec.role == Role.CARE_COORDINATOR:
                return self.users[spec.username]
        raise KeyError(agency)


def _email(spec: StaffSpec, organization: OrganizationSpec) -> str:
    domain = organization.email.split("@", 1)[1]
    return f"{spec.username.split('_')[0]}.{''.join(fold(spec.last_name).split())}@{domain}"


def _license(spec: StaffSpec, index: int) -> list[LicenseData]:
    if spec.license is None:
        return []
    kind, number = spec.license
    # New York registrations run three years; spread the renewals so none lapses soon.
    expires = timezone.localdate() + datetime.timedelta(days=400 + 37 * index)
    return [LicenseData(type=kind, number=number, state="NY", expires_on=expires)]


def build_network(*, log: Callable[[str], None] | None = None) -> Network:
    """Create whatever part of the network is missing and return all of it."""
    network = Network()
    specs = {spec.key: spec for spec in ORGANIZATIONS}
    for spec in ORGANIZATIONS:
        existing = Organization.objects.filter(name__iexact=spec.name).first()
        if existing is None:
            existing = create_organization(name=spec.name, type=spec.type, by=None, **spec.details())
            network.created_organizations += 1
        network.organizations[spec.key] = existing

    for source, target, kind in AFFILIATIONS:
        source_org, target_org = network.organization(source), network.organization(target)
        if not Affiliation.objects.filter(source=source_org, target=target_org, kind=kind, active=True).exists():
            affiliate(source=source_org, target=target_org, kind=kind, by=None)
            network.created_affiliations += 1

    for index, staff in enumerate(STAFF):
        user = User.objects.filter(username__iexact=staff.username).first()
        if user is None:
            user = create_user(
                username=staff.username,
                role=staff.role,
                organization=network.organization(staff.organization),
                password=DEMO_PASSWORD,
                by=None,
                first_name=staff.first_name,
                last_name=staff.last_name,
                email=_email(staff, specs[staff.organization]),
                title=staff.title,
                education=staff.education,
                years_experience=staff.years_experience,
                languages=list(staff.languages),
                licenses=_license(staff, index),
            )
            network.created_users += 1
            if log is not None:
                log(f"created {staff.username}")
        network.users[staff.username] = user

    for staff in STAFF:
        user = network.users[staff.username]
        supervisor = network.users[staff.supervisor] if staff.supervisor else None
        changes: dict[str, object] = {}
        if staff.phone and not user.phone:
            changes["phone"] = staff.phone
        if supervisor is not None and user.supervisor_id is None:
            changes["supervisor"] = supervisor
        if changes:
            update_user(user=user, by=None, **changes)
    return network


def logins(network: Network) -> list[tuple[str, str, str]]:
    """(username, role, organization) of every demo login, in the order of ``STAFF``."""
    return [
        (spec.username, spec.role, network.organization(spec.organization).name)
        for spec in STAFF
        if spec.username in network.users
    ]
