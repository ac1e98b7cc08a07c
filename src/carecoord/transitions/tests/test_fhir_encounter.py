"""FHIR Encounter over HTTP: read and search by each parameter, audited, and 403 for someone the user may not see."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest

from carecoord.audit.models import AuditRecord
from carecoord.clinical.models import Encounter
from carecoord.clinical.tests.builders import ed_visit
from carecoord.fhir.tests.conftest import as_user, outcome
from carecoord.transitions.tests.enrolled import make_ana, message, process

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


@pytest.fixture
def ana(alice_rn):
    return make_ana(alice_rn)


@pytest.fixture
def visits(ana, alice_rn) -> dict[str, Encounter]:
    """A stay from the feed (5-8 Jan 2024, home), an ED visit on 1 Mar 2024, a stay still in progress."""
    process(
        message("A01", "M1", diagnoses=(("I50.9", "Heart failure, unspecified"),)),
        message("A03", "M2", discharged="202401081200", disposition="01"),
        message("A01", "M3", visit="V900", admitted="202405011000"),
    )
    ed = ed_visit(ana, alice_rn, start=datetime.datetime(2024, 3, 1, 22, 0, tzinfo=NEW_YORK), facility_name="Kings ED")
    return {
        "stay": Encounter.objects.get(source_identifier="V100"),
        "ed": ed,
        "current": Encounter.objects.get(source_identifier="V900"),
    }


def ids(bundle: dict) -> set[str]:
    return {entry["resource"]["id"] for entry in bundle.get("entry", [])}


def test_read_maps_the_stay(visits, alice_rn, ana):
    stay = visits["stay"]
    resource = as_user(alice_rn).get(f"Encounter/{stay.pk}").resource
    assert resource["resourceType"] == "Encounter" and resource["status"] == "finished"
    assert resource["class"] == {
        "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
        "code": "IMP",
        "display": "Inpatient",
    }
    assert resource["subject"] == {"reference": f"Patient/{ana.pk}"}
    period = {k: datetime.datetime.fromisoformat(v) for k, v in resource["period"].items()}
    assert period == {
        "start": datetime.datetime(2024, 1, 5, 8, 30, tzinfo=NEW_YORK),
        "end": datetime.datetime(2024, 1, 8, 12, 0, tzinfo=NEW_YORK),
    }
    assert (
        resource["identifier"][0]["value"] == "V100" and resource["identifier"][0]["type"]["coding"][0]["code"] == "VN"
    )
    hospitalization = resource["hospitalization"]
    assert hospitalization["dischargeDisposition"]["coding"][0]["code"] == "home"
    assert hospitalization["admitSource"]["coding"][0]["code"] == "emd"
    assert resource["serviceProvider"] == {"display": "GENHOSP"}
    assert resource["reasonCode"] == [{"text": "Heart failure, unspecified"}]
    (diagnosis,) = resource["diagnosis"]
    assert diagnosis["condition"]["reference"].startswith("Condition/") and diagnosis["rank"] == 1
    assert AuditRecord.objects.filter(object_type="Encounter", object_id=str(stay.pk), action="read").exists()


def test_search_by_patient_class_status_and_id(visits, alice_rn, ana):
    alice = as_user(alice_rn)
    everyone = {str(e.pk) for e in visits.values()}
    assert ids(alice.get("Encounter", {"patient": f"Patient/{ana.pk}"}).resource) == everyone
    assert ids(alice.get("Encounter", {"class": "EMER"}).resource) == {str(visits["ed"].pk)}
    code = "http://terminology.hl7.org/CodeSystem/v3-ActCode|IMP"
    assert ids(alice.get("Encounter", {"class": code}).resource) == {str(visits["stay"].pk), str(visits["current"].pk)}
    assert ids(alice.get("Encounter", {"class": "http://example.org|IMP"}).resource) == set()
    assert ids(alice.get("Encounter", {"status": "in-progress"}).resource) == {str(visits["current"].pk)}
    assert ids(alice.get("Encounter", {"status": "finished,in-progress", "class": "IMP"}).resource) == {
        str(visits["stay"].pk),
        str(visits["current"].pk),
    }
    assert ids(alice.get("Encounter", {"_id": str(visits["ed"].pk)}).resource) == {str(visits["ed"].pk)}
    search = AuditRecord.objects.filter(object_type="Encounter", action="search").last()
    assert search is not None and search.detail["results"] == [str(visits["ed"].pk)]


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        (["2024-01-06"], set()),  # eq: the period must lie within the day; the stay only overlaps it
        (["eq2024-01"], {"stay"}),  # the stay lies within January
        (["eq2024-01-06"], set()),
        (["ge2024-03-01"], {"ed", "current"}),
        (["gt2024-03-01"], {"ed", "current"}),  # the ED visit ran past midnight into 2 March
        (["lt2024-03-01"], {"stay"}),
        (["le2024-03-01"], {"stay", "ed"}),
        (["sa2024-03-01"], {"current"}),
        (["eb2024-03-01"], {"stay"}),
        (["ge2024-01-01", "le2024-01-31"], {"stay"}),
        (["ne2024-01"], {"ed", "current"}),
        (["ge2030-01-01"], {"current"}),  # still in hospital: no end yet
    ],
)
def test_search_by_date_compares_the_period(visits, alice_rn, date, expected):
    params = "&".join(f"date={value}" for value in date)
    bundle = as_user(alice_rn).get(f"Encounter?{params}").resource
    assert ids(bundle) == {str(visits[name].pk) for name in expected}


def test_outsiders_are_refused_and_see_nothing(visits, eve_outsider, ana):
    eve = as_user(eve_outsider)
    outcome(eve.get(f"Encounter/{visits['stay'].pk}"), 403)
    outcome(eve.get("Encounter", {"patient": f"Patient/{ana.pk}"}), 403)
    assert ids(eve.get("Encounter").resource) == set()
    outcome(eve.get("Encounter/999999"), 404)
    outcome(eve.get("Encounter", {"date": "2024-13-01"}), 400)


def test_the_capability_statement_lists_encounter(alice_rn):
    statement = as_user(alice_rn).get("metadata").resource
    (encounter,) = [r for r in statement["rest"][0]["resource"] if r["type"] == "Encounter"]
    assert {i["code"] for i in encounter["interaction"]} == {"read", "search-type"}
    assert {"patient", "date", "class", "status"} <= {p["name"] for p in encounter["searchParam"]}
