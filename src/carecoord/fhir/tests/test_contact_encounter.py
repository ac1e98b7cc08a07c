"""Contacts as FHIR Encounter: the mapping (class per modality, core services, length, episode), read and search
at /fhir/Encounter together with clinical encounters (merged date order and paging), who may read them, and the
DocumentReference of a note that links to its contact's Encounter."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.utils import timezone

from carecoord.audit.models import AuditRecord
from carecoord.clinical.tests.builders import ed_visit, stay
from carecoord.contacts.actions import ContactData, record_contact
from carecoord.contacts.models import Contact
from carecoord.contacts.tests.helpers import enrolled
from carecoord.fhir.tests.conftest import as_user, outcome
from carecoord.notes.actions import start_note

pytestmark = pytest.mark.django_db

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CORE_SERVICE = "http://carecoord.org/fhir/CodeSystem/core-service"
MODALITY = "http://carecoord.org/fhir/CodeSystem/contact-modality"


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime.datetime:
    return datetime.datetime(2024, month, day, hour, minute, tzinfo=NEW_YORK)


def contact(patient, by, when, *, modality="phone", minutes=20, services=("care-management",), **fields) -> Contact:
    return record_contact(
        patient=patient,
        data=ContactData(
            modality=modality,
            outcome=fields.pop("outcome", "reached"),
            occurred_at=when,
            duration_minutes=minutes,
            core_services=list(services),
            **fields,
        ),
        by=by,
    )


def eid(item) -> str:
    return f"contact-{item.pk}" if isinstance(item, Contact) else str(item.pk)


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [entry["resource"]["id"] for entry in response.resource.get("entry", [])]


@pytest.fixture(autouse=True)
def hh(alice_rn, maria):
    """María enrolled in the adult Health Home with Alice's agency (which is what lets Alice see her)."""
    return enrolled(alice_rn, "ny-hh-adult", patient=maria, care_manager=alice_rn)


def test_read_maps_a_home_visit(alice_rn, maria, hh):
    when = timezone.now().replace(microsecond=0) - datetime.timedelta(days=2)
    visit = contact(
        maria,
        alice_rn,
        when,
        modality="home_visit",
        minutes=45,
        services=("patient-family-support", "care-management"),
        enrollment=hh,
        participants=[
            {"role": "person", "name": "María"},
            {"role": "caregiver", "name": "Rosa García"},
            {"role": "provider", "name": "Dr. Lee"},
        ],
        place="Her apartment, Sunset Park",
        purpose="Medication review after discharge",
        outcome="completed",
    )
    alice = as_user(alice_rn)
    resource = alice.get(f"Encounter/contact-{visit.pk}").resource  # validated with the R4B model by the client
    assert resource["id"] == f"contact-{visit.pk}" and resource["status"] == "finished"
    assert resource["class"] == {"system": ACT_CODE, "code": "HH", "display": "home health"}
    codes = [(c["system"], c["code"]) for concept in resource["type"] for c in concept["coding"]]
    assert codes == [
        (CORE_SERVICE, "care-management"),
        (CORE_SERVICE, "patient-family-support"),
        (MODALITY, "home_visit"),
    ]
    assert resource["length"] == {"value": 45, "unit": "min", "system": "http://unitsofmeasure.org", "code": "min"}
    period = {k: datetime.datetime.fromisoformat(v) for k, v in resource["period"].items()}
    assert period == {"start": when, "end": when + datetime.timedelta(minutes=45)}
    assert resource["subject"] == {"reference": f"Patient/{maria.pk}"}
    assert resource["episodeOfCare"] == [{"reference": f"EpisodeOfCare/{hh.pk}"}]
    assert resource["serviceType"]["coding"][0]["code"] == "ny-hh-adult"
    performer, *others = resource["participant"]
    assert performer["type"][0]["coding"][0]["code"] == "PPRF"
    assert performer["individual"]["reference"] == f"Practitioner/{alice_rn.practitioner.pk}"
    assert [(p["type"][0]["text"], p["individual"]["display"]) for p in others] == [
        ("Caregiver or family", "Rosa García"),
        ("Provider", "Dr. Lee"),
    ]
    assert resource["reasonCode"] == [{"text": "Medication review after discharge"}]
    assert resource["location"] == [{"location": {"display": "Her apartment, Sunset Park"}}]
    assert resource["serviceProvider"] == {"reference": f"Organization/{alice_rn.organization_id}"}
    extensions = {e["url"].rsplit("/", 1)[1]: e for e in resource["extension"]}
    assert extensions["contact-outcome"]["valueCoding"]["code"] == "completed"
    assert extensions["contact-with-person"]["valueBoolean"] is True
    assert AuditRecord.objects.filter(
        object_type="Encounter", object_id=f"contact-{visit.pk}", action="read", outcome="success"
    ).exists()
    # the episode it names is the EpisodeOfCare served at that id
    assert alice.get(resource["episodeOfCare"][0]["reference"]).resource["id"] == str(hh.pk)


@pytest.mark.parametrize(
    ("modality", "act"),
    [
        ("in_person", "AMB"),
        ("home_visit", "HH"),
        ("phone", "VR"),
        ("video", "VR"),
        ("text", "VR"),
        ("email", "VR"),
        ("mail", "VR"),
        ("collateral_provider", "VR"),
        ("collateral_family", "VR"),
    ],
)
def test_class_follows_the_modality(alice_rn, maria, modality, act):
    item = contact(maria, alice_rn, at(4, 10), modality=modality, minutes=0, services=())
    resource = as_user(alice_rn).get(f"Encounter/contact-{item.pk}").resource
    assert resource["class"]["code"] == act
    assert [c["code"] for concept in resource["type"] for c in concept["coding"]] == [modality]
    assert resource["length"]["value"] == 0 and "episodeOfCare" not in resource


@pytest.fixture
def mixed(alice_rn, maria):
    """María's stay (5-8 Jan 2024), an ED visit (1 Mar 22:00, 4 hours) and contacts around them."""
    return {
        "stay": stay(maria, alice_rn, start=at(5, 8, 30, month=1), days=3),
        "ed": ed_visit(maria, alice_rn, start=at(1, 22)),
        "call_jan": contact(maria, alice_rn, at(9, 10, month=1), services=("transitional-care",)),
        "late_call": contact(maria, alice_rn, at(1, 23, 30), minutes=60),  # runs past midnight into 2 March
        "visit": contact(maria, alice_rn, at(3, 9), modality="in_person", services=("care-coordination",)),
        "text": contact(maria, alice_rn, at(4, 12), modality="text", minutes=0, services=()),
    }


def test_search_by_patient_returns_both_kinds_latest_first(mixed, alice_rn, maria):
    alice = as_user(alice_rn)
    found = ids(alice.get("Encounter", {"patient": f"Patient/{maria.pk}"}))
    order = ["text", "visit", "late_call", "ed", "call_jan", "stay"]
    assert found == [eid(mixed[name]) for name in order]
    assert ids(alice.get("Encounter", {"subject": f"Patient/{maria.pk}", "_sort": "date"})) == [
        eid(mixed[name]) for name in reversed(order)
    ]
    search = AuditRecord.objects.filter(object_type="Encounter", action="search").last()
    assert search is not None and search.detail["results"] == [eid(mixed[name]) for name in reversed(order)]
    assert alice.get("Encounter").resource["total"] == 6  # without patient=: everyone Alice may see


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        (["2024-03-01"], set()),  # the late call and the ED visit both run into 2 March
        (["eq2024-03"], {"ed", "late_call", "visit", "text"}),
        (["gt2024-03-01"], {"ed", "late_call", "visit", "text"}),
        (["ge2024-03-02", "le2024-03-02"], {"ed", "late_call"}),
        (["lt2024-03-01"], {"stay", "call_jan"}),
        (["sa2024-03-02"], {"visit", "text"}),
        (["eb2024-03-01"], {"stay", "call_jan"}),
        (["eq2024-03-04"], {"text"}),
        (["ne2024-03"], {"stay", "call_jan"}),
    ],
)
def test_search_by_date_compares_both_kinds_periods(mixed, alice_rn, date, expected):
    params = "&".join(f"date={value}" for value in date)
    assert set(ids(as_user(alice_rn).get(f"Encounter?{params}"))) == {eid(mixed[name]) for name in expected}


def test_search_by_type_class_status_and_id(mixed, alice_rn):
    alice = as_user(alice_rn)

    def found(**params) -> set[str]:
        return set(ids(alice.get("Encounter", params)))

    def named(*names) -> set[str]:
        return {eid(mixed[name]) for name in names}

    assert found(type="care-management") == named("late_call")
    assert found(type=f"{CORE_SERVICE}|transitional-care,{CORE_SERVICE}|care-coordination") == named(
        "call_jan", "visit"
    )
    assert found(type="http://example.org|care-management") == set()
    assert found(type=f"{MODALITY}|text") == named("text")
    assert found(type="phone", date="ge2024-03-01") == named("late_call")
    assert found(**{"class": "VR"}) == named("call_jan", "late_call", "text")
    assert found(**{"class": f"{ACT_CODE}|AMB"}) == named("visit")
    assert found(**{"class": "EMER,AMB"}) == named("ed", "visit")
    assert found(status="finished", date="eq2024-01") == named("stay", "call_jan")
    assert found(status="in-progress") == set()
    assert found(_id=f"{eid(mixed['visit'])},{mixed['ed'].pk}") == named("visit", "ed")
    assert found(_id="contact-not-a-uuid") == set()


def test_search_by_episode_of_care(alice_rn, maria, hh):
    ccm = enrolled(alice_rn, "medicare-ccm", patient=maria, care_manager=alice_rn)
    recent = timezone.now() - datetime.timedelta(days=3)
    in_hh = contact(maria, alice_rn, recent, enrollment=hh)
    contact(maria, alice_rn, recent, enrollment=ccm)
    contact(maria, alice_rn, recent)
    ed_visit(maria, alice_rn, start=recent)
    alice = as_user(alice_rn)
    assert ids(alice.get("Encounter", {"episode-of-care": f"EpisodeOfCare/{hh.pk}"})) == [eid(in_hh)]
    assert ids(alice.get("Encounter", {"episode-of-care": f"EpisodeOfCare/{hh.pk}", "type": "hit-linkage"})) == []
    assert ids(alice.get("Encounter", {"episode-of-care": "EpisodeOfCare/unknown"})) == []


def test_paging_walks_the_merged_set(alice_rn, maria):
    clinical = [ed_visit(maria, alice_rn, start=at(day, 8)) for day in (2, 5, 6)]
    contacts = [contact(maria, alice_rn, at(day, 8)) for day in (1, 3, 4, 5)]  # 5 March 08:00: same as a visit
    everyone = sorted(
        [(e.period_start, 0, eid(e)) for e in clinical] + [(c.occurred_at, 1, eid(c)) for c in contacts],
        key=lambda row: (-row[0].timestamp(), row[1]),
    )
    alice = as_user(alice_rn)
    seen: list[str] = []
    offset = 0
    while True:
        response = alice.get("Encounter", {"patient": f"Patient/{maria.pk}", "_count": "3", "_offset": str(offset)})
        page = ids(response)
        assert response.resource["total"] == 7
        seen.extend(page)
        relations = {link["relation"] for link in response.resource["link"]}
        if "next" not in relations:
            break
        offset += 3
    assert seen == [row[2] for row in everyone]
    assert seen.index(eid(clinical[1])) + 1 == seen.index(eid(contacts[3]))  # clinical first at the same instant
    assert ids(alice.get("Encounter", {"_count": "0"})) == []
    assert alice.get("Encounter", {"_count": "2", "_offset": "6"}).resource["total"] == 7
    assert ids(alice.get("Encounter", {"_count": "2", "_offset": "6"})) == [eid(contacts[0])]
    assert ids(alice.get("Encounter", {"_count": "2", "_offset": "9"})) == []


def test_other_organizations_and_roles_without_contacts_cannot_read(alice_rn, eve_outsider, audrey_auditor, maria):
    call = contact(maria, alice_rn, at(4, 10))
    eve = as_user(eve_outsider)
    outcome(eve.get(f"Encounter/contact-{call.pk}"), 403)
    outcome(eve.get("Encounter", {"patient": f"Patient/{maria.pk}"}), 403)
    assert ids(eve.get("Encounter")) == []
    denied = AuditRecord.objects.filter(object_id=f"contact-{call.pk}", outcome="denied").get()
    assert denied.detail["reason"] == "other-organization" and denied.object_type == "Encounter"
    # Eve's own contact about her own person stays hers
    theirs = enrolled(eve_outsider, "ny-hh-adult").patient
    their_call = contact(theirs, eve_outsider, at(4, 11))
    assert ids(eve.get("Encounter")) == [eid(their_call)]
    outcome(as_user(alice_rn).get(f"Encounter/contact-{their_call.pk}"), 403)
    # an auditor of Alice's organization works with no contacts
    outcome(as_user(audrey_auditor).get(f"Encounter/contact-{call.pk}"), 403)
    alice = as_user(alice_rn)
    outcome(alice.get("Encounter/contact-00000000-0000-0000-0000-000000000000"), 404)
    outcome(alice.get("Encounter/contact-nonsense"), 404)
    assert AuditRecord.objects.filter(object_id="contact-nonsense", outcome="failed").exists()


def test_a_note_links_to_its_contacts_encounter(alice_rn, maria):
    call = contact(maria, alice_rn, timezone.now() - datetime.timedelta(hours=1))
    note = start_note(patient=maria, kind="dap", by=alice_rn, contact=call, sections={"data": "Reached"})
    alice = as_user(alice_rn)
    document = alice.get(f"DocumentReference/{note.pk}").resource
    (encounter,) = document["context"]["encounter"]
    assert encounter == {"reference": f"Encounter/contact-{call.pk}"}
    assert document["context"]["related"][0]["identifier"]["value"] == str(call.pk)
    linked = alice.get(encounter["reference"]).resource
    assert linked["id"] == f"contact-{call.pk}"
    assert linked["identifier"][0] == document["context"]["related"][0]["identifier"]


def test_the_capability_statement_lists_the_new_parameters(alice_rn):
    statement = as_user(alice_rn).get("metadata").resource
    (encounter,) = [r for r in statement["rest"][0]["resource"] if r["type"] == "Encounter"]
    assert {"patient", "date", "class", "status", "type", "episode-of-care"} <= {
        p["name"] for p in encounter["searchParam"]
    }
    assert {i["code"] for i in encounter["interaction"]} == {"read", "search-type"}
