"""The community resource directory over FHIR: HealthcareService, Location and the directory's Organizations
(merged with the network's), on the Ohana sample imported from ../shared/data/hsds through the import action."""

from __future__ import annotations

from pathlib import Path

import pytest

from carecoord.accounts.models import Organization
from carecoord.directory.actions import import_directory
from carecoord.directory.imports import read_path
from carecoord.directory.models import Location, ResourceOrganization, Service
from carecoord.fhir.tests.conftest import outcome
from carecoord.testing.factories import make_organization

HSDS = Path(__file__).resolve().parents[4].parent / "shared" / "data" / "hsds"
OHANA = HSDS / "ohana-api-smc" / "sample-csv"
SDOHCC = "http://hl7.org/fhir/us/sdoh-clinicalcare/CodeSystem/SDOHCC-CodeSystemTemporaryCodes"
# Fair Oaks Adult Activity Center, Redwood City (the sample's first location)
FAIR_OAKS = (37.477227, -122.213221)

pytestmark = [pytest.mark.django_db, pytest.mark.skipif(not OHANA.is_dir(), reason="../shared/data is not present")]


@pytest.fixture
def directory(db):
    report = import_directory(bundle=read_path(OHANA), source="sample-csv")
    assert report.written
    return report


def ids(bundle):
    return [entry["resource"]["id"] for entry in bundle.get("entry", [])]


def test_directory_needs_a_token(anonymous, directory):
    outcome(anonymous.get("HealthcareService"), 401)
    outcome(anonymous.get("Location"), 401)


def test_healthcare_service_read_carries_the_directory_record(alice, directory):
    service = Service.objects.filter(taxonomy_terms__need_category="transportation-insecurity").first()
    assert service is not None
    response = alice.get(f"HealthcareService/{service.pk}")
    assert response.status_code == 200
    body = response.resource
    assert body["name"] == service.name
    assert body["providedBy"]["reference"] == f"Organization/dir-{service.organization_id}"
    assert {"system": SDOHCC, "code": "transportation-insecurity", "display": "Transportation Insecurity"} in [
        coding for concept in body["category"] for coding in concept["coding"]
    ]
    assert body["identifier"][0]["value"] == service.external_id
    locations = [ref["reference"] for ref in body.get("location", [])]
    assert locations == [f"Location/{row.location_id}" for row in service.at_locations.order_by("pk")]
    outcome(alice.get("HealthcareService/999999"), 404)
    outcome(alice.get("HealthcareService/nope"), 404)


def test_healthcare_service_hours_and_languages(alice, directory):
    service = Service.objects.filter(schedules__freq="WEEKLY", schedules__closed=False).distinct().first()
    assert service is not None
    body = alice.get(f"HealthcareService/{service.pk}").resource
    assert body["availableTime"], body
    first = body["availableTime"][0]
    assert set(first["daysOfWeek"]) <= {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
    spoken = Service.objects.filter(languages__isnull=False).distinct().first()
    if spoken is not None:
        named = alice.get(f"HealthcareService/{spoken.pk}").resource
        assert {c["text"] for c in named["communication"]} == {lang.name for lang in spoken.languages.all()}


def test_healthcare_service_search_by_name_category_organization_and_active(alice, directory):
    total = Service.objects.count()
    everything = alice.get("HealthcareService", {"_count": "100"}).resource
    assert everything["total"] == total
    transport = alice.get("HealthcareService", {"service-category": f"{SDOHCC}|transportation-insecurity"}).resource
    expected = set(
        Service.objects.filter(taxonomy_terms__need_category="transportation-insecurity").values_list("pk", flat=True)
    )
    assert expected and {int(i) for i in ids(transport)} == {int(k) for k in expected}
    elsewhere = alice.get("HealthcareService", {"service-category": "http://other|transportation-insecurity"})
    assert elsewhere.resource["total"] == 0
    service = Service.objects.order_by("pk").first()
    assert service is not None
    named = alice.get("HealthcareService", {"name": service.name[:6]}).resource
    assert str(service.pk) in ids(named)
    by_org = alice.get("HealthcareService", {"organization": f"Organization/dir-{service.organization_id}"}).resource
    assert by_org["total"] == Service.objects.filter(organization_id=service.organization_id).count()
    active = alice.get("HealthcareService", {"active": "true"}).resource
    assert active["total"] == Service.objects.filter(status="active").count()


def test_healthcare_service_search_by_language_and_location(alice, directory):
    spanish = alice.get("HealthcareService", {"language": "Spanish", "_count": "100"}).resource
    assert spanish["total"] > 0
    for entry in spanish["entry"]:
        service = Service.objects.get(pk=int(entry["resource"]["id"]))
        languages = {lang.name for lang in service.languages.all()} | {
            lang.name for row in service.at_locations.all() for lang in row.location.languages.all()
        }
        assert "Spanish" in languages
    place = Location.objects.filter(service_rows__isnull=False).order_by("pk").first()
    assert place is not None
    at = alice.get("HealthcareService", {"location": f"Location/{place.pk}"}).resource
    assert {int(i) for i in ids(at)} == set(place.service_rows.values_list("service_id", flat=True))


def test_healthcare_service_near_a_point_nearest_first(alice, directory):
    lat, lon = FAIR_OAKS
    close = alice.get("HealthcareService", {"location.near": f"{lat}|{lon}|1|km"}).resource
    assert close["total"] >= 1
    fair_oaks = Location.objects.get(source="sample-csv", external_id="1")
    first = Service.objects.get(pk=int(close["entry"][0]["resource"]["id"]))
    assert first.at_locations.filter(location=fair_oaks).exists()
    wide = alice.get("HealthcareService", {"location.near": f"{lat}|{lon}|100|mi", "_count": "100"}).resource
    assert wide["total"] >= close["total"]
    outcome(alice.get("HealthcareService", {"location.near": "north|pole"}), 400)
    outcome(alice.get("HealthcareService", {"location.near": f"{lat}|{lon}|5|parsecs"}), 400)


def test_location_read_and_search_near(alice, directory):
    fair_oaks = Location.objects.get(source="sample-csv", external_id="1")
    body = alice.get(f"Location/{fair_oaks.pk}").resource
    assert body["name"] == "Fair Oaks Adult Activity Center"
    assert body["position"] == {"longitude": FAIR_OAKS[1], "latitude": FAIR_OAKS[0]}
    assert body["address"]["city"] == "Redwood City"
    assert body["managingOrganization"]["reference"] == f"Organization/dir-{fair_oaks.organization_id}"
    lat, lon = FAIR_OAKS
    near = alice.get("Location", {"near": f"{lat}|{lon}|0.5|km"}).resource
    assert ids(near)[0] == str(fair_oaks.pk)
    # San Mateo (the Second Career program, about 12 km away) is outside 5 km and inside 20 km
    second = Location.objects.get(source="sample-csv", external_id="2")
    assert str(second.pk) not in ids(alice.get("Location", {"near": f"{lat}|{lon}|5|km", "_count": "100"}).resource)
    assert str(second.pk) in ids(alice.get("Location", {"near": f"{lat}|{lon}|20|km", "_count": "100"}).resource)
    city = alice.get("Location", {"address-city": "Redwood City", "_count": "100"}).resource
    assert str(fair_oaks.pk) in ids(city)
    assert all(e["resource"]["address"]["city"] == "Redwood City" for e in city["entry"])
    by_org = alice.get("Location", {"organization": f"Organization/dir-{fair_oaks.organization_id}"}).resource
    assert by_org["total"] == Location.objects.filter(organization_id=fair_oaks.organization_id).count()


def test_organization_serves_the_network_and_the_directory(alice, directory, agency):
    listed = ResourceOrganization.objects.get(name="Peninsula Family Service")
    body = alice.get(f"Organization/dir-{listed.pk}").resource
    assert body["name"] == "Peninsula Family Service"
    assert "directory" in [c["code"] for c in body["type"][0]["coding"]]
    outcome(alice.get("Organization/dir-999999"), 404)
    assert alice.get(f"Organization/{agency.pk}").resource["name"] == agency.name

    make_organization("Peninsula Health Home", type="health_home")
    both = alice.get("Organization", {"name": "Peninsula"}).resource
    names = [e["resource"]["name"] for e in both["entry"]]
    assert names == sorted(names) and {"Peninsula Family Service", "Peninsula Health Home"} <= set(names)
    assert both["total"] == len(names)
    directory_only = alice.get("Organization", {"name": "Peninsula", "type": "directory"}).resource
    listed = ResourceOrganization.objects.filter(name__startswith="Peninsula")
    listed_names = sorted(listed.values_list("name", flat=True))
    assert [e["resource"]["name"] for e in directory_only["entry"]] == listed_names
    network_only = alice.get("Organization", {"name": "Peninsula", "type": "prov"}).resource
    assert [e["resource"]["name"] for e in network_only["entry"]] == ["Peninsula Health Home"]
    everything = alice.get("Organization", {"_count": "5"}).resource
    assert everything["total"] == ResourceOrganization.objects.count() + Organization.objects.count()
    second_page = alice.get("Organization", {"_count": "5", "_offset": "5"}).resource
    assert not set(ids(everything)) & set(ids(second_page))


def test_capability_statement_lists_the_directory_types(alice, anonymous):
    statement = anonymous.get("metadata").resource
    resources = {r["type"]: r for r in statement["rest"][0]["resource"]}
    assert {p["name"] for p in resources["Location"]["searchParam"]} >= {"near", "name", "organization"}
    assert {p["name"] for p in resources["HealthcareService"]["searchParam"]} >= {
        "name",
        "service-category",
        "organization",
        "location",
        "active",
        "language",
        "location.near",
    }
    assert [i["code"] for i in resources["HealthcareService"]["interaction"]] == ["read", "search-type"]
    listing = anonymous.get("CodeSystem/organization-listing").resource
    assert listing["concept"][0]["code"] == "directory"
