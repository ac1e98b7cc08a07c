"""FHIR HealthcareService, Location and Organization from the community resource directory (HSDS 3.0 records).

The shapes follow the Gravity SDOHCC HealthcareService and Location profiles (which re-use the Human Services
Directory's), with what HSDS holds:

- **HealthcareService** (a directory ``Service``): ``name``, ``comment`` (the description), ``extraDetails`` (how to
  apply, wait, fees), ``category`` the SDOH need categories its taxonomy terms meet (Gravity SDOHCC category codes,
  ``assessments.scoring.sdoh``), ``type`` the taxonomy terms themselves, ``providedBy`` the directory
  organization (``Organization/dir-<id>``), ``location`` each place it is delivered, ``telecom`` (phones, email,
  web site), ``availableTime`` the weekly hours, ``notAvailable`` closures, ``eligibility`` (ages and the
  eligibility text), ``communication`` (languages, BCP 47 when a code is known), ``characteristic`` the fees,
  ``coverageArea`` the service areas as contained Locations, ``active`` when the HSDS status is active;
- **Location** (a directory ``Location``): ``address`` (physical first), ``position``, ``telecom``,
  ``hoursOfOperation``, ``managingOrganization``, ``mode`` instance, ``physicalType`` virtual for a virtual one;
- **Organization** (a directory ``ResourceOrganization``) with id ``dir-<id>`` and ``type`` Community Group plus
  ``{base}/CodeSystem/organization-listing#directory`` (tenant organizations keep their UUID ids and have no such
  coding), ``alias``, ``telecom``, the address of its first location.

Every record carries ``identifier`` ``{base}/sid/directory/<source>`` = its id in the source it was imported from.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from carecoord.assessments.scoring.results import LOCAL_DOMAIN_SYSTEM, SDOHCC_SYSTEM
from carecoord.assessments.scoring.sdoh import DOMAINS
from carecoord.directory.models import (
    Address,
    Location,
    LocationType,
    Phone,
    ResourceOrganization,
    Schedule,
    Service,
    ServiceStatus,
)
from carecoord.fhir.mapping.codes import BCP47, base_url, coding
from carecoord.fhir.mapping.organization import ORGANIZATION_TYPE_SYSTEM

DIRECTORY_PREFIX = "dir-"
DAYS = {"MO": "mon", "TU": "tue", "WE": "wed", "TH": "thu", "FR": "fri", "SA": "sat", "SU": "sun"}
LOCATION_PHYSICAL_TYPE = "http://terminology.hl7.org/CodeSystem/location-physical-type"
SDOHCC_CATEGORY = coding(
    "http://hl7.org/fhir/us/sdoh-clinicalcare/CodeSystem/SDOHCC-CodeSystemTemporaryCodes",
    "sdoh-category-unspecified",
    "SDOH Category Unspecified",
)
_DOMAINS = {domain.code: domain for domain in DOMAINS}


def listing_system() -> str:
    return f"{base_url()}/CodeSystem/organization-listing"


def source_system(source: str) -> str:
    return f"{base_url()}/sid/directory/{source}"


def need_coding(need: str) -> dict[str, str]:
    """A need category as a coding: the Gravity SDOHCC code, or our local one where SDOHCC has none."""
    domain = _DOMAINS.get(need)
    if domain is None:
        return coding(SDOHCC_SYSTEM, need)
    return coding(domain.system or SDOHCC_SYSTEM, domain.code, domain.display or "")


def need_systems() -> tuple[str, ...]:
    return (SDOHCC_SYSTEM, LOCAL_DOMAIN_SYSTEM)


def directory_organization_id(organization_id: int) -> str:
    return f"{DIRECTORY_PREFIX}{organization_id}"


def _identifier(record: Any) -> list[dict[str, str]]:
    return [{"system": source_system(record.source), "value": record.external_id}]


def _meta(record: Any) -> dict[str, str]:
    return {"lastUpdated": record.updated_at.isoformat()}


def _phones(phones: Iterable[Phone]) -> list[dict[str, Any]]:
    found = []
    for phone in phones:
        value = f"{phone.number} x{phone.extension}" if phone.extension else phone.number
        use = "mobile" if phone.type.lower() in ("cell", "mobile") else "work"
        system = "fax" if phone.type.lower() == "fax" else "sms" if phone.type.lower() == "text" else "phone"
        item: dict[str, Any] = {"system": system, "value": value, "use": use}
        found.append(item)
    return found


def _telecom(phones: Iterable[Phone], email: str, url: str) -> list[dict[str, Any]]:
    telecom = _phones(phones)
    if email:
        telecom.append({"system": "email", "value": email, "use": "work"})
    if url:
        telecom.append({"system": "url", "value": url, "use": "work"})
    return telecom


def _address(address: Address) -> dict[str, Any]:
    result: dict[str, Any] = {"use": "work", "type": "postal" if address.address_type == "postal" else "physical"}
    lines = [line for line in (address.address_1, address.address_2) if line]
    if lines:
        result["line"] = lines
    for key, value in (
        ("city", address.city),
        ("district", address.region),
        ("state", address.state_province),
        ("postalCode", address.postal_code),
        ("country", address.country),
    ):
        if value:
            result[key] = value
    return result


def _first_address(addresses: Iterable[Address]) -> Address | None:
    ordered = sorted(addresses, key=lambda a: (a.address_type != LocationType.PHYSICAL, a.pk))
    return ordered[0] if ordered else None


def _time(value: datetime.time | None) -> str | None:
    return value.strftime("%H:%M:%S") if value is not None else None


def _weekly(schedules: Iterable[Schedule]) -> list[dict[str, Any]]:
    """Weekly open hours (FHIR availableTime / hoursOfOperation shape): days with opening and closing times."""
    hours = []
    for schedule in schedules:
        if schedule.closed or (schedule.freq and schedule.freq.upper() != "WEEKLY"):
            continue
        days = [DAYS[d.strip()[-2:].upper()] for d in schedule.byday.split(",") if d.strip()[-2:].upper() in DAYS]
        if not days:
            continue
        item: dict[str, Any] = {"daysOfWeek": days}
        opens, closes = _time(schedule.opens_at), _time(schedule.closes_at)
        if opens is None and closes is None:
            item["allDay"] = True
        else:
            if opens:
                item["openingTime"] = opens
            if closes:
                item["closingTime"] = closes
        hours.append(item)
    return hours


def _closures(schedules: Iterable[Schedule]) -> list[dict[str, Any]]:
    closures = []
    for schedule in schedules:
        if not schedule.closed:
            continue
        item: dict[str, Any] = {"description": schedule.description or schedule.notes or "Closed"}
        during: dict[str, str] = {}
        if schedule.valid_from:
            during["start"] = schedule.valid_from.isoformat()
        if schedule.valid_to:
            during["end"] = schedule.valid_to.isoformat()
        if during:
            item["during"] = during
        closures.append(item)
    return closures


def _languages(languages: Iterable[Any]) -> list[dict[str, Any]]:
    found = []
    for language in languages:
        concept: dict[str, Any] = {}
        if language.code:
            concept["coding"] = [coding(BCP47, language.code, language.name)]
        if language.name:
            concept["text"] = language.name
        if concept:
            found.append(concept)
    return found


def _term_coding(term: Any) -> dict[str, Any]:
    code = term.code or term.external_id
    found: dict[str, Any] = {"code": code, "display": term.name}
    if term.taxonomy.startswith(("http://", "https://", "urn:")):
        found["system"] = term.taxonomy
    return found


def healthcare_service_resource(service: Service) -> dict[str, Any]:
    """The HealthcareService (organization, locations, phones, schedules, languages, terms, areas and fees loaded)."""
    resource: dict[str, Any] = {"resourceType": "HealthcareService", "id": str(service.pk), "meta": _meta(service)}
    areas = list(service.service_areas.all())
    if areas:
        resource["contained"] = [
            {
                "resourceType": "Location",
                "id": f"area-{index}",
                "name": (area.name or area.description or area.extent or "Service area")[:300],
                **({"description": area.description} if area.description and area.name else {}),
            }
            for index, area in enumerate(areas, start=1)
        ]
    resource["identifier"] = _identifier(service)
    resource["active"] = service.status == ServiceStatus.ACTIVE
    if service.organization_id is not None and service.organization is not None:
        resource["providedBy"] = {
            "reference": f"Organization/{directory_organization_id(service.organization_id)}",
            "display": service.organization.name,
        }
    terms = list(service.taxonomy_terms.all())
    needs = list(dict.fromkeys(t.need_category for t in terms if t.need_category))
    resource["category"] = [{"coding": [need_coding(need)]} for need in needs] or [{"coding": [SDOHCC_CATEGORY]}]
    if terms:
        resource["type"] = [{"coding": [_term_coding(t)], "text": t.name} for t in terms]
    locations = [row.location for row in service.at_locations.all()]
    if locations:
        resource["location"] = [{"reference": f"Location/{loc.pk}", "display": str(loc)} for loc in locations]
    resource["name"] = service.name
    if service.description:
        resource["comment"] = service.description
    details = [
        f"{label}: {text}"
        for label, text in (
            ("How to apply", service.application_process),
            ("Wait", service.wait_time),
            ("Fees", service.fees_description),
            ("Interpretation", service.interpretation_services),
            ("Alert", service.alert),
        )
        if text
    ]
    if details:
        resource["extraDetails"] = "\n\n".join(details)
    telecom = _telecom(service.phones.all(), service.email, service.url)
    if telecom:
        resource["telecom"] = telecom
    if areas:
        resource["coverageArea"] = [{"reference": f"#area-{index}"} for index in range(1, len(areas) + 1)]
    eligibility = _eligibility(service)
    if eligibility:
        resource["eligibility"] = [eligibility]
    fees = _fees(service)
    if fees:
        resource["characteristic"] = fees
    languages = _languages(service.languages.all())
    if languages:
        resource["communication"] = languages
    schedules = list(service.schedules.all())
    available = _weekly(schedules)
    if available:
        resource["availableTime"] = [
            {
                "daysOfWeek": h["daysOfWeek"],
                **({"allDay": True} if h.get("allDay") else {}),
                **({"availableStartTime": h["openingTime"]} if "openingTime" in h else {}),
                **({"availableEndTime": h["closingTime"]} if "closingTime" in h else {}),
            }
            for h in available
        ]
    closures = _closures(schedules)
    if closures:
        resource["notAvailable"] = closures
    return resource


def _eligibility(service: Service) -> dict[str, Any] | None:
    low, high = service.minimum_age, service.maximum_age
    if low is None and high is None and not service.eligibility_description:
        return None
    if low is not None and high is not None:
        ages = f"Ages {low} to {high}"
    elif low is not None:
        ages = f"Ages {low} and over"
    elif high is not None:
        ages = f"Ages up to {high}"
    else:
        ages = "Eligibility"
    item: dict[str, Any] = {"code": {"text": ages}}
    if service.eligibility_description:
        item["comment"] = service.eligibility_description
    return item


def _fees(service: Service) -> list[dict[str, Any]]:
    fees = []
    for option in service.cost_options.all():
        if option.amount is not None:
            amount = f"{option.amount:.2f} {option.currency or 'USD'}"
            text = f"Fee: {amount}" + (f" ({option.option})" if option.option else "")
        else:
            text = f"Fee: {option.option or option.amount_description or 'see description'}"
        fees.append({"text": text})
    return fees


def location_resource(location: Location) -> dict[str, Any]:
    """The Location (addresses, phones, schedules and organization loaded)."""
    resource: dict[str, Any] = {"resourceType": "Location", "id": str(location.pk), "meta": _meta(location)}
    resource["identifier"] = _identifier(location)
    resource["status"] = "active"
    resource["name"] = location.name or (location.organization.name if location.organization else location.external_id)
    if location.alternate_name:
        resource["alias"] = [location.alternate_name]
    if location.description:
        resource["description"] = location.description
    resource["mode"] = "instance"
    telecom = _telecom(location.phones.all(), location.email, location.url)
    if telecom:
        resource["telecom"] = telecom
    address = _first_address(location.addresses.all())
    if address is not None:
        resource["address"] = _address(address)
    if location.location_type == LocationType.VIRTUAL:
        resource["physicalType"] = {"coding": [coding(LOCATION_PHYSICAL_TYPE, "vi", "Virtual")]}
    if location.latitude is not None and location.longitude is not None:
        resource["position"] = {"longitude": location.longitude, "latitude": location.latitude}
    if location.organization_id is not None and location.organization is not None:
        resource["managingOrganization"] = {
            "reference": f"Organization/{directory_organization_id(location.organization_id)}",
            "display": location.organization.name,
        }
    hours = _weekly(location.schedules.all())
    if hours:
        resource["hoursOfOperation"] = hours
    if location.transportation:
        resource["availabilityExceptions"] = f"Getting there: {location.transportation}"
    return resource


def directory_organization_resource(organization: ResourceOrganization) -> dict[str, Any]:
    """The Organization of a directory listing (phones and locations' addresses loaded)."""
    resource: dict[str, Any] = {
        "resourceType": "Organization",
        "id": directory_organization_id(organization.pk),
        "meta": _meta(organization),
    }
    identifiers = _identifier(organization)
    if organization.tax_id:
        identifiers.append({"system": "urn:oid:2.16.840.1.113883.4.4", "value": organization.tax_id})
    resource["identifier"] = identifiers
    resource["active"] = True
    resource["type"] = [
        {
            "coding": [
                coding(ORGANIZATION_TYPE_SYSTEM, "cg", "Community Group"),
                coding(listing_system(), "directory", "Listed in the community resource directory"),
            ],
            "text": "Community resource directory",
        }
    ]
    resource["name"] = organization.name
    if organization.alternate_name:
        resource["alias"] = [organization.alternate_name]
    telecom = _telecom(organization.phones.all(), organization.email, organization.website)
    if telecom:
        resource["telecom"] = telecom
    addresses = [a for location in organization.locations.all() for a in location.addresses.all()]
    first = _first_address(addresses)
    if first is not None:
        resource["address"] = [_address(first)]
    return resource
