"""EpisodeOfCare, Consent, CareTeam and ServiceRequest over FHIR: the program record through programs.access
and the actions, the consent rule for enrollment, and the label gate for 42 CFR Part 2 and HIV data."""

from __future__ import annotations

import copy
import datetime

import pytest
from django.utils import timezone

from carecoord.audit.models import AuditRecord
from carecoord.careteams.actions import MemberData, add_member
from carecoord.consents.actions import ConsentData, record_consent
from carecoord.consents.models import Consent
from carecoord.consents.notices import HIV_NOTICE, PART2_NOTICE
from carecoord.fhir.tests.conftest import as_user, outcome
from carecoord.programs.actions import enroll, refer_to_program
from carecoord.programs.models import Enrollment, Program, ProgramReferral
from carecoord.testing.factories import make_organization, make_patient, make_user

BASE = "http://carecoord.org/fhir"
PROGRAM = f"{BASE}/CodeSystem/program"
FORM = f"{BASE}/CodeSystem/consent-form"
END_REASON = f"{BASE}/StructureDefinition/episode-end-reason"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
TODAY = timezone.localdate()


def ids(bundle):
    return [e["resource"]["id"] for e in bundle.get("entry", [])]


def program(code):
    return Program.objects.get(code=code)


def sharing_consent(patient, by, *partners):
    return record_consent(
        patient=patient, data=ConsentData(form="DOH-5055", signed_on=TODAY, partners=list(partners)), by=by
    )


def part2_consent(patient, by, *partners):
    return record_consent(
        patient=patient,
        data=ConsentData(
            form="42-CFR-2",
            signed_on=TODAY,
            partners=list(partners),
            part2_recipients="named",
            part2_disclosing_program="Recovery Clinic",
            part2_information="Referral from substance use treatment",
            part2_purpose="Treatment",
            part2_expiration="none",
            revocation_explained=True,
        ),
        by=by,
    )


def episode(person, **overrides):
    resource = {
        "resourceType": "EpisodeOfCare",
        "status": "active",
        "type": [{"coding": [{"system": PROGRAM, "code": "ny-hh-adult"}]}],
        "patient": {"reference": f"Patient/{person.pk}"},
        "period": {"start": TODAY.isoformat()},
    }
    resource.update(overrides)
    return resource


@pytest.fixture
def consented(maria, alice_rn, agency):
    return sharing_consent(maria, alice_rn, agency)


@pytest.fixture
def enrolled(consented, maria, alice_rn):
    return enroll(patient=maria, program=program("ny-hh-adult"), by=alice_rn, care_manager=alice_rn)


# --- EpisodeOfCare ----------------------------------------------------------------------------------------------


def test_enrollment_without_consent_is_422_naming_the_form(alice, maria):
    body = outcome(alice.post("EpisodeOfCare", episode(maria)), 422)
    assert body["issue"][0]["code"] == "business-rule"
    assert "DOH-5055" in body["issue"][0]["diagnostics"]
    assert not Enrollment.objects.exists()


def test_create_enrolls_then_read_and_search(alice, alice_rn, agency, maria, consented):
    posted = episode(
        maria,
        managingOrganization={"reference": f"Organization/{agency.pk}"},
        careManager={"reference": f"Practitioner/{alice_rn.practitioner.pk}"},
    )
    response = alice.post("EpisodeOfCare", posted)
    assert response.status_code == 201, response.content
    body = response.resource
    enrollment = Enrollment.objects.get()
    assert body["id"] == str(enrollment.pk) and response["ETag"] == 'W/"1"'
    assert response["Location"].endswith(f"/fhir/EpisodeOfCare/{enrollment.pk}")
    assert body["status"] == "active"
    assert body["type"][0]["coding"][0] == {
        "system": PROGRAM,
        "code": "ny-hh-adult",
        "display": "NY Health Home (adult)",
    }
    assert body["patient"] == {"reference": f"Patient/{maria.pk}"}
    assert body["managingOrganization"]["reference"] == f"Organization/{agency.pk}"
    assert body["careManager"]["reference"] == f"Practitioner/{alice_rn.practitioner.pk}"
    assert body["period"] == {"start": TODAY.isoformat()}
    assert "security" not in body["meta"]
    assert (enrollment.consent, enrollment.care_manager) == (consented, alice_rn)

    read = alice.get(f"EpisodeOfCare/{enrollment.pk}")
    assert read.status_code == 200 and read.resource == body
    last = AuditRecord.objects.filter(object_type="EpisodeOfCare", action="read").last()
    assert (last.username, last.object_id, last.patient_id) == ("alice_rn", str(enrollment.pk), maria.pk)

    for params in (
        {"patient": f"Patient/{maria.pk}"},
        {"patient": str(maria.pk), "status": "active"},
        {"type": f"{PROGRAM}|ny-hh-adult"},
        {"type": "ny-hh-adult"},
        {"organization": f"Organization/{agency.pk}"},
        {"care-manager": f"Practitioner/{alice_rn.practitioner.pk}"},
        {"care-manager": f"PractitionerRole/{alice_rn.practitioner.roles.get().pk}"},
        {"date": TODAY.isoformat()},
        {"date": f"ge{TODAY.year}"},
        {"_id": str(enrollment.pk)},
    ):
        found = alice.get("EpisodeOfCare", params).resource
        assert ids(found) == [str(enrollment.pk)], params
    for params in (
        {"status": "finished"},
        {"type": "medicare-ccm"},
        {"type": "http://example.org|ny-hh-adult"},
        {"date": f"lt{TODAY.year - 1}"},
        {"date": "1999-01"},
    ):
        assert alice.get("EpisodeOfCare", params).resource["total"] == 0, params
    search = AuditRecord.objects.filter(action="search", object_type="EpisodeOfCare").last()
    assert search.username == "alice_rn"


def test_create_from_a_referral_links_it(alice, agency, maria, consented):
    referral = refer_to_program(
        patient=maria, program=program("ny-hh-adult"), receiving_organization=agency, source="self", by=None
    )
    posted = episode(maria, referralRequest=[{"reference": f"ServiceRequest/{referral.pk}"}])
    response = alice.post("EpisodeOfCare", posted)
    assert response.status_code == 201, response.content
    assert response.resource["referralRequest"] == [{"reference": f"ServiceRequest/{referral.pk}"}]
    assert Enrollment.objects.get().referral == referral
    other = refer_to_program(
        patient=maria, program=program("complex-care"), receiving_organization=agency, source="self", by=None
    )
    wrong = episode(maria, referralRequest=[{"reference": f"ServiceRequest/{other.pk}"}])
    outcome(alice.post("EpisodeOfCare", wrong), 400)
    assert Enrollment.objects.count() == 1


def test_search_pages_with_count(alice, alice_rn, agency):
    people = [make_patient(alice_rn) for _ in range(3)]
    for person in people:
        sharing_consent(person, alice_rn, agency)
        enroll(patient=person, program=program("ny-hh-adult"), by=alice_rn)
    first = alice.get("EpisodeOfCare", {"_count": "2"}).resource
    assert first["total"] == 3 and len(first["entry"]) == 2
    assert [link["relation"] for link in first["link"]] == ["self", "next"]
    second = alice.get("EpisodeOfCare", {"_count": "2", "_offset": "2"}).resource
    assert len(second["entry"]) == 1
    assert not set(ids(first)) & set(ids(second))


def test_update_ends_the_episode_with_a_reason(alice, maria, enrolled):
    current = alice.get(f"EpisodeOfCare/{enrolled.pk}").resource
    ended = copy.deepcopy(current)
    ended["status"] = "finished"
    ended["period"]["end"] = TODAY.isoformat()

    missing = outcome(alice.put(f"EpisodeOfCare/{enrolled.pk}", ended, **{"If-Match": 'W/"1"'}), 400)
    assert missing["issue"][0]["expression"] == [f"EpisodeOfCare.extension('{END_REASON}')"]
    ended["extension"] = [{"url": END_REASON, "valueCode": "no-such-reason"}]
    bad = outcome(alice.put(f"EpisodeOfCare/{enrolled.pk}", ended), 400)
    assert bad["issue"][0]["expression"] == [f"EpisodeOfCare.extension('{END_REASON}')"]
    ended["extension"] = [{"url": END_REASON, "valueCode": "graduated"}]
    outcome(alice.put(f"EpisodeOfCare/{enrolled.pk}", ended, **{"If-Match": 'W/"7"'}), 412)
    enrolled.refresh_from_db()
    assert enrolled.status == "active"

    response = alice.put(f"EpisodeOfCare/{enrolled.pk}", ended, **{"If-Match": 'W/"1"'})
    assert response.status_code == 200, response.content
    assert response["ETag"] == 'W/"2"'
    body = response.resource
    assert body["status"] == "finished"
    assert body["period"] == {"start": TODAY.isoformat(), "end": TODAY.isoformat()}
    assert {"url": END_REASON, "valueCode": "graduated"} in body["extension"]
    enrolled.refresh_from_db()
    assert (enrolled.status, enrolled.end_reason, enrolled.end_date) == ("finished", "graduated", TODAY)
    assert alice.get("EpisodeOfCare", {"status": "finished"}).resource["total"] == 1


def test_update_refuses_what_cannot_change(alice, maria, enrolled, other_agency):
    current = alice.get(f"EpisodeOfCare/{enrolled.pk}").resource
    for change, expression in (
        ({"type": [{"coding": [{"system": PROGRAM, "code": "complex-care"}]}]}, "EpisodeOfCare.type"),
        (
            {"managingOrganization": {"reference": f"Organization/{other_agency.pk}"}},
            "EpisodeOfCare.managingOrganization",
        ),
        ({"period": {"start": "2020-01-01"}}, "EpisodeOfCare.period.start"),
    ):
        body = outcome(alice.put(f"EpisodeOfCare/{enrolled.pk}", {**current, **change}), 400)
        assert body["issue"][0]["expression"] == [expression]
    body = outcome(alice.put(f"EpisodeOfCare/{enrolled.pk}", {**current, "status": "onhold"}), 422)
    assert body["issue"][0]["code"] == "business-rule"
    outcome(alice.put(f"EpisodeOfCare/{enrolled.pk}", {**current, "id": "other"}), 400)
    enrolled.refresh_from_db()
    assert (enrolled.status, enrolled.version) == ("active", 1)


def test_supervisor_changes_the_care_manager(alice, sam_supervisor, bob_coordinator, enrolled):
    current = alice.get(f"EpisodeOfCare/{enrolled.pk}").resource
    changed = {**current, "careManager": {"reference": f"Practitioner/{bob_coordinator.practitioner.pk}"}}
    body = outcome(alice.put(f"EpisodeOfCare/{enrolled.pk}", changed), 403)
    assert body["issue"][0]["code"] == "forbidden"
    response = as_user(sam_supervisor).put(f"EpisodeOfCare/{enrolled.pk}", changed)
    assert response.status_code == 200, response.content
    assert response.resource["careManager"]["reference"] == f"Practitioner/{bob_coordinator.practitioner.pk}"
    enrolled.refresh_from_db()
    assert (enrolled.care_manager, enrolled.version) == (bob_coordinator, 2)


def test_create_rejects_bad_input_and_stores_nothing(alice, maria, consented, other_agency):
    cases = [
        ({**episode(maria), "resourceType": "Patient"}, "resourceType"),
        (episode(maria, status="planned"), "EpisodeOfCare.status"),
        (episode(maria, patient={"reference": f"Organization/{maria.pk}"}), "EpisodeOfCare.patient"),
        (episode(maria, patient={"reference": "Patient/not-an-id"}), "EpisodeOfCare.patient"),
        (episode(maria, type=[{"coding": [{"system": PROGRAM, "code": "no-such-program"}]}]), "EpisodeOfCare.type"),
        (episode(maria, type=[{"text": "Health Home"}]), "EpisodeOfCare.type"),
        (
            episode(maria, managingOrganization={"reference": f"Organization/{other_agency.pk}"}),
            "EpisodeOfCare.managingOrganization",
        ),
        (episode(maria, careManager={"reference": "Practitioner/"}), "EpisodeOfCare.careManager"),
        (episode(maria, period={"start": TODAY.isoformat(), "end": TODAY.isoformat()}), "EpisodeOfCare.period.end"),
    ]
    for resource, expression in cases:
        body = outcome(alice.post("EpisodeOfCare", resource), 400)
        assert expression in body["issue"][0].get("expression", [""])[0], (expression, body)
    structure = outcome(alice.post("EpisodeOfCare", episode(maria, period="yesterday")), 400)
    assert structure["issue"][0]["code"] == "structure"
    outcome(alice.post("EpisodeOfCare", b"{not json"), 400)
    assert not Enrollment.objects.exists()


def test_unknown_search_parameter_and_malformed_references_are_400(alice, maria):
    for kind in ("EpisodeOfCare", "Consent", "CareTeam", "ServiceRequest"):
        body = outcome(alice.get(kind, {"colour": "blue"}), 400)
        assert body["issue"][0]["code"] == "not-supported", kind
        outcome(alice.get(kind, {"patient": f"Organization/{maria.pk}"}), 400)
        if kind != "ServiceRequest":  # community referrals (sdoh-<id>) keep it; program referrals never match
            outcome(alice.get(kind, {"_lastUpdated": "ge2020"}), 400)
        assert alice.get(kind, {"colour": "blue"}, **{"Prefer": "handling=lenient"}).status_code == 200
    outcome(alice.get("EpisodeOfCare", {"date": "2024-13"}), 400)
    outcome(alice.get("CareTeam", {"participant": f"Organization/{maria.pk}"}), 400)


# --- Consent ----------------------------------------------------------------------------------------------------


def actor(organization_id):
    role = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "IRCP"}]}
    return {"role": role, "reference": {"reference": f"Organization/{organization_id}"}}


def consent_body(person, form="DOH-5055", **overrides):
    resource = {
        "resourceType": "Consent",
        "status": "active",
        "scope": {
            "coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]
        },
        "category": [{"coding": [{"system": FORM, "code": form}]}],
        "patient": {"reference": f"Patient/{person.pk}"},
        "dateTime": TODAY.isoformat(),
        "policyRule": {"coding": [{"system": ACT_CODE, "code": "OPTIN"}]},
    }
    resource.update(overrides)
    return resource


def test_consent_create_read_and_search(alice, maria, agency, other_agency):
    posted = consent_body(
        maria,
        performer=[{"reference": f"Patient/{maria.pk}"}],
        provision={
            "type": "permit",
            "actor": [
                {
                    "role": {
                        "coding": [
                            {"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "IRCP"}
                        ]
                    },
                    "reference": {"reference": f"Organization/{organization.pk}"},
                }
                for organization in (agency, other_agency)
            ],
        },
    )
    response = alice.post("Consent", posted)
    assert response.status_code == 201, response.content
    consent = Consent.objects.get()
    body = response.resource
    assert body["id"] == str(consent.pk) and response["Location"].endswith(f"/fhir/Consent/{consent.pk}")
    assert body["status"] == "active"
    assert body["scope"]["coding"][0]["code"] == "patient-privacy"
    assert [c["coding"][0]["code"] for c in body["category"]] == ["DOH-5055", "59284-0"]
    assert body["dateTime"] == TODAY.isoformat()
    assert body["performer"] == [{"reference": f"Patient/{maria.pk}"}]
    assert body["organization"][0]["reference"] == f"Organization/{agency.pk}"
    assert body["provision"]["type"] == "permit"
    assert {a["reference"]["reference"] for a in body["provision"]["actor"]} == {
        f"Organization/{agency.pk}",
        f"Organization/{other_agency.pk}",
    }
    assert body["provision"]["actor"][0]["role"]["coding"][0]["code"] == "IRCP"
    assert alice.get(f"Consent/{consent.pk}").resource == body
    for params in (
        {"patient": f"Patient/{maria.pk}"},
        {"category": f"{FORM}|DOH-5055"},
        {"category": "http://loinc.org|59284-0"},
        {"status": "active"},
        {"date": TODAY.isoformat()},
        {"actor": f"Organization/{other_agency.pk}"},
    ):
        assert ids(alice.get("Consent", params).resource) == [str(consent.pk)], params
    for params in ({"category": "DOH-5059"}, {"status": "inactive"}, {"date": "lt2000"}):
        assert alice.get("Consent", params).resource["total"] == 0, params


def test_part2_consent_carries_its_elements_and_released_label(alice, maria, agency):
    hospital = make_organization("Kings County Hospital", "hospital")
    part2 = f"{BASE}/StructureDefinition/part2-consent"
    posted = consent_body(
        maria,
        "42-CFR-2",
        policyRule={"coding": [{"system": ACT_CODE, "code": "42CFRPart2"}]},
        provision={
            "type": "permit",
            "period": {"start": TODAY.isoformat(), "end": (TODAY + datetime.timedelta(days=365)).isoformat()},
            "actor": [actor(hospital.pk)],
        },
        extension=[
            {
                "url": part2,
                "extension": [
                    {"url": "recipients", "valueCode": "named"},
                    {"url": "disclosingProgram", "valueString": "Recovery Clinic"},
                    {"url": "information", "valueString": "Diagnosis and treatment plan"},
                    {"url": "purpose", "valueString": "Treatment"},
                    {"url": "expiration", "valueString": "One year"},
                    {"url": "revocationExplained", "valueBoolean": True},
                ],
            }
        ],
    )
    response = alice.post("Consent", posted)
    assert response.status_code == 201, response.content
    body = response.resource
    assert body["provision"]["securityLabel"] == [{"system": ACT_CODE, "code": "42CFRPart2", "display": "42 CFR Part2"}]
    assert body["provision"]["period"]["end"] == (TODAY + datetime.timedelta(days=365)).isoformat()
    assert body["policyRule"]["coding"][0]["code"] == "42CFRPart2"
    elements = {e["url"]: e for e in body["extension"][0]["extension"]}
    assert elements["disclosingProgram"]["valueString"] == "Recovery Clinic"
    assert elements["revocationExplained"]["valueBoolean"] is True
    assert Consent.objects.get().released_labels == ["42CFRPart2"]

    incomplete = copy.deepcopy(posted)
    incomplete["extension"][0]["extension"] = incomplete["extension"][0]["extension"][:1]
    body = outcome(alice.post("Consent", incomplete), 400)
    expressions = {i["expression"][0] for i in body["issue"]}
    assert f"Consent.extension('{part2}').extension('purpose')" in expressions
    assert Consent.objects.count() == 1


def test_consent_signed_by_a_contact_or_a_named_representative(alice, alice_rn, maria, agency):
    contact = maria.contacts.get()  # her husband: a representative, not a guardian
    by_contact = consent_body(
        maria, performer=[{"reference": f"RelatedPerson/{contact.pk}"}], provision={"actor": [actor(agency.pk)]}
    )
    response = alice.post("Consent", by_contact)
    assert response.status_code == 201, response.content
    assert response.resource["performer"] == [{"display": "Jose Ruiz (Legally authorized representative)"}]
    person = make_patient(alice_rn)
    named = consent_body(person, performer=[{"display": "Ana Ruiz"}], provision={"actor": [actor(agency.pk)]})
    assert alice.post("Consent", named).resource["performer"] == [
        {"display": "Ana Ruiz (Legally authorized representative)"}
    ]
    other = make_patient(alice_rn)
    stranger = consent_body(other, performer=[{"reference": f"RelatedPerson/{contact.pk}"}])
    outcome(alice.post("Consent", stranger), 400)
    assert Consent.objects.count() == 2


def test_opt_out_is_rejected_with_a_deny_provision(alice, alice_rn):
    person = make_patient(alice_rn)
    outcome(alice.post("Consent", consent_body(person, "DOH-5059")), 400)  # an opt-out is status rejected
    response = alice.post("Consent", consent_body(person, "DOH-5059", status="rejected"))
    assert response.status_code == 201, response.content
    assert response.resource["status"] == "rejected"
    assert response.resource["provision"]["type"] == "deny"
    assert response.resource["policyRule"]["coding"][0]["code"] == "OPTOUT"
    assert alice.get("Consent", {"status": "rejected"}).resource["total"] == 1


def test_consent_bad_input_stores_nothing(alice, maria, agency):
    cases = [
        consent_body(maria, "NOT-A-FORM"),
        consent_body(maria, category=[{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}]),
        consent_body(maria, patient={"reference": "Patient/123"}),
        consent_body(maria, provision={"actor": [actor("nope")]}),
        consent_body(maria, provision={"type": "deny", "actor": [actor(agency.pk)]}),
        consent_body(maria),  # DOH-5055 without partners: the action refuses it
        consent_body(maria, dateTime=(TODAY + datetime.timedelta(days=3)).isoformat()),
        {**consent_body(maria), "resourceType": "EpisodeOfCare"},
    ]
    for resource in cases:
        outcome(alice.post("Consent", resource), 400)
    assert not Consent.objects.exists()


def test_withdrawal_posted_as_a_doh_5058_ends_sharing_and_enrollment(alice, alice_rn, maria, agency, enrolled):
    from carecoord.consents.actions import add_consent_partner
    from carecoord.notifications.models import Notification

    other = make_organization("Bronx Partners", "care_management_agency")
    consent = Consent.objects.get(form="DOH-5055")
    add_consent_partner(consent=consent, organization=other, initials="MJG", added_on=TODAY, by=alice_rn)
    nobody = make_patient(alice_rn)
    body = outcome(alice.post("Consent", consent_body(nobody, "DOH-5058")), 422)
    assert "no information sharing consent to withdraw" in body["issue"][0]["diagnostics"]

    response = alice.post("Consent", consent_body(maria, "DOH-5058", performer=[{"reference": f"Patient/{maria.pk}"}]))
    assert response.status_code == 201, response.content
    assert response.resource["provision"]["type"] == "deny"
    assert response.resource["category"][0]["coding"][0]["code"] == "DOH-5058"
    consent.refresh_from_db()
    assert (consent.status, consent.withdrawn_on) == ("inactive", TODAY)
    enrolled.refresh_from_db()
    assert enrolled.status == "finished"
    assert Notification.objects.filter(organization=other, kind="consent_withdrawn").exists()
    assert alice.get("Consent", {"patient": f"Patient/{maria.pk}", "status": "inactive"}).resource["total"] == 1


def test_update_revokes_a_part2_consent_and_nothing_else(alice, alice_rn, maria, agency, consented):
    part2 = part2_consent(maria, alice_rn, agency)
    resource = alice.get(f"Consent/{part2.pk}").resource
    revoked = {**resource, "status": "inactive"}
    outcome(alice.put(f"Consent/{part2.pk}", revoked, **{"If-Match": 'W/"7"'}), 412)
    response = alice.put(f"Consent/{part2.pk}", revoked, **{"If-Match": f'W/"{part2.version}"'})
    assert response.status_code == 200, response.content
    assert response.resource["status"] == "inactive"
    part2.refresh_from_db()
    assert (part2.status, part2.withdrawn_on) == ("inactive", TODAY)
    sharing = alice.get(f"Consent/{consented.pk}").resource
    body = outcome(alice.put(f"Consent/{consented.pk}", {**sharing, "status": "inactive"}), 400)
    assert "DOH-5058" in body["issue"][0]["diagnostics"]
    outcome(alice.put(f"Consent/{consented.pk}", {**sharing, "status": "rejected"}), 400)
    outcome(alice.put(f"Consent/{consented.pk}", {**sharing, "id": str(part2.pk)}), 400)
    consented.refresh_from_db()
    assert consented.status == "active"


# --- CareTeam ---------------------------------------------------------------------------------------------------


def test_care_team_read_and_search(alice, alice_rn, maria, enrolled):
    contact = maria.contacts.get()
    add_member(patient=maria, data=MemberData(role="caregiver", kind="related_person", contact=contact), by=alice_rn)
    add_member(patient=maria, data=MemberData(role="patient", kind="patient"), by=alice_rn)
    add_member(
        patient=maria, data=MemberData(role="primary_care", kind="practitioner", name="Dr. Ruth Levy"), by=alice_rn
    )
    found = alice.get("CareTeam", {"patient": f"Patient/{maria.pk}"}).resource
    assert found["total"] == 1
    team_id = found["entry"][0]["resource"]["id"]
    body = alice.get(f"CareTeam/{team_id}").resource
    assert body["status"] == "active" and body["subject"] == {"reference": f"Patient/{maria.pk}"}
    members = {p["role"][0]["coding"][0]["code"]: p for p in body["participant"]}
    lead = members["lead_care_manager"]
    assert lead["member"]["reference"] == f"Practitioner/{alice_rn.practitioner.pk}"
    assert lead["role"][0]["text"] == "Lead care manager"
    assert lead["onBehalfOf"] == {"reference": f"Organization/{alice_rn.organization_id}"}
    assert members["caregiver"]["member"]["reference"] == f"RelatedPerson/{contact.pk}"
    assert members["patient"]["member"] == {"reference": f"Patient/{maria.pk}"}
    assert members["primary_care"]["member"] == {"display": "Dr. Ruth Levy"}
    assert all(p["period"]["start"] == TODAY.isoformat() for p in body["participant"])
    for params in (
        {"participant": f"Practitioner/{alice_rn.practitioner.pk}"},
        {"participant": f"RelatedPerson/{contact.pk}"},
        {"participant": f"Patient/{maria.pk}"},
        {"participant": str(contact.pk)},
        {"status": "active"},
        {"_id": team_id},
    ):
        assert ids(alice.get("CareTeam", params).resource) == [team_id], params
    assert alice.get("CareTeam", {"status": "inactive"}).resource["total"] == 0
    last = AuditRecord.objects.filter(object_type="CareTeam", action="read").last()
    assert (last.username, last.patient_id) == ("alice_rn", maria.pk)
    outcome(alice.get("CareTeam/00000000-0000-0000-0000-000000000000"), 404)


def test_care_team_created_and_changed_over_fhir(alice, alice_rn, bob_coordinator, eve, maria, consented):
    from carecoord.careteams.models import CareTeam, CareTeamMember

    role = f"{BASE}/CodeSystem/care-team-role"
    contact = maria.contacts.get()

    def part(code, member, **extra):
        return {"role": [{"coding": [{"system": role, "code": code}]}], "member": member, **extra}

    posted = {
        "resourceType": "CareTeam",
        "status": "active",
        "subject": {"reference": f"Patient/{maria.pk}"},
        "participant": [
            part("care_manager", {"reference": f"Practitioner/{alice_rn.practitioner.pk}"}),
            part("caregiver", {"reference": f"RelatedPerson/{contact.pk}"}),
            part("primary_care", {"display": "Dr. Ruth Levy"}),
        ],
    }
    outcome(eve.post("CareTeam", posted), 403)
    response = alice.post("CareTeam", posted)
    assert response.status_code == 201, response.content
    team = CareTeam.objects.get(patient=maria)
    assert response["Location"].endswith(f"/fhir/CareTeam/{team.pk}")
    assert {m.role for m in team.members.all()} == {"care_manager", "caregiver", "primary_care"}
    outcome(alice.post("CareTeam", posted), 409)  # one team per person: update it

    body = response.resource
    kept = [p for p in body["participant"] if p["role"][0]["coding"][0]["code"] != "caregiver"]
    bob = {"reference": f"Practitioner/{bob_coordinator.practitioner.pk}"}
    changed = {**body, "participant": [*kept, part("care_coordinator", bob)]}
    updated = alice.put(f"CareTeam/{team.pk}", changed)
    assert updated.status_code == 200, updated.content
    current = {m.role for m in CareTeamMember.objects.filter(care_team=team, end_date__isnull=True)}
    assert current == {"care_manager", "primary_care", "care_coordinator"}
    assert CareTeamMember.objects.get(care_team=team, role="caregiver").end_date == TODAY  # history stays
    assert alice.put(f"CareTeam/{team.pk}", changed).status_code == 200  # the same again changes nothing
    assert CareTeamMember.objects.filter(care_team=team).count() == 4
    bad_role = {**changed, "participant": [part("wizard", {"display": "Merlin"})]}
    outcome(alice.put(f"CareTeam/{team.pk}", bad_role), 400)
    assert CareTeamMember.objects.filter(care_team=team, end_date__isnull=True).count() == 3


# --- ServiceRequest and the label gate --------------------------------------------------------------------------


@pytest.fixture
def network(alice_rn, agency, maria):
    """Maria's care team: Hank at a hospital (on her Part 2 consent) and Pia at a primary care practice (not);
    both organizations are on her DOH-5055, so both see her record."""
    hospital = make_organization("Kings County Hospital", "hospital")
    practice = make_organization("Flatbush Family Practice", "primary_care")
    clinic = make_organization("Recovery Clinic", "behavioral_health")
    hank = make_user("hank_hospital", role="care_manager", organization=hospital)
    pia = make_user("pia_practice", role="care_manager", organization=practice)
    sharing_consent(maria, alice_rn, agency, hospital, practice)
    for user in (hank, pia):
        add_member(patient=maria, data=MemberData(role="care_manager", user=user), by=alice_rn)
    part2_consent(maria, alice_rn, hospital)
    labelled = refer_to_program(
        patient=maria,
        program=program("ny-hh-adult"),
        receiving_organization=agency,
        source="provider",
        by=None,
        referring_organization=clinic,
        reason="Needs care coordination after detox",
        security_labels=["42CFRPart2"],
    )
    plain = refer_to_program(
        patient=maria,
        program=program("complex-care"),
        receiving_organization=agency,
        source="provider",
        by=None,
        referring_organization=hospital,
    )
    return {
        "hank": as_user(hank),
        "pia": as_user(pia),
        "labelled": labelled,
        "plain": plain,
        "clinic": clinic,
        "hospital": hospital,
    }


def referral_body(person, receiving, code="complex-care", **overrides):
    resource = {
        "resourceType": "ServiceRequest",
        "status": "active",
        "intent": "order",
        "code": {"coding": [{"system": PROGRAM, "code": code}]},
        "subject": {"reference": f"Patient/{person.pk}"},
        "performer": [{"reference": f"Organization/{receiving.pk}"}],
        "reasonCode": [{"text": "Three ED visits this quarter"}],
    }
    resource.update(overrides)
    return resource


def test_referral_created_then_accepted_rejected_or_cancelled_over_fhir(network, alice, eve, maria, agency):
    from carecoord.programs.models import Segment

    hank = network["hank"]
    response = hank.post("ServiceRequest", referral_body(maria, agency, "ny-hh-plus-smi"))
    assert response.status_code == 201, response.content
    body = response.resource
    referral = ProgramReferral.objects.get(pk=body["id"])
    assert (referral.referring_organization, referral.receiving_organization) == (network["hospital"], agency)
    assert body["status"] == "active" and body["reasonCode"][0]["text"] == "Three ED visits this quarter"
    assert response["Location"].endswith(f"/fhir/ServiceRequest/{referral.pk}")

    accepted = alice.put(
        f"ServiceRequest/{referral.pk}", {**alice.get(f"ServiceRequest/{referral.pk}").resource, "status": "completed"}
    )
    assert accepted.status_code == 200, accepted.content
    assert accepted.resource["status"] == "completed"
    assert Segment.objects.filter(referral=referral, kind="assignment").exists()
    outcome(hank.put(f"ServiceRequest/{referral.pk}", {**body, "status": "revoked"}), 422)  # already decided

    second = hank.post("ServiceRequest", referral_body(maria, agency, "medicare-ccm")).resource
    decision = {"url": f"{BASE}/StructureDefinition/referral-decision", "valueCode": "rejected"}
    no_reason = outcome(alice.put(f"ServiceRequest/{second['id']}", {**second, "extension": [decision]}), 400)
    assert no_reason["issue"][0]["expression"] == ["ServiceRequest.note"]
    rejected = alice.put(
        f"ServiceRequest/{second['id']}",
        {**second, "extension": [decision], "note": [{"text": "Not eligible: no Medicare Part B"}]},
    )
    assert rejected.resource["extension"][0]["valueCode"] == "rejected"

    third = hank.post("ServiceRequest", referral_body(maria, agency, "medicare-pcm")).resource
    cancel = {**third, "extension": [{**decision, "valueCode": "cancelled"}], "note": [{"text": "Sent in error"}]}
    outcome(alice.put(f"ServiceRequest/{third['id']}", cancel), 403)  # only the sender cancels
    assert hank.put(f"ServiceRequest/{third['id']}", cancel).resource["extension"][0]["valueCode"] == "cancelled"

    count = ProgramReferral.objects.count()
    outcome(eve.post("ServiceRequest", referral_body(maria, agency)), 403)
    outcome(hank.post("ServiceRequest", referral_body(maria, agency, "no-such-program")), 400)
    outcome(hank.post("ServiceRequest", referral_body(maria, agency, performer=[])), 400)
    bad_label = referral_body(maria, agency, meta={"security": [{"system": ACT_CODE, "code": "PSY"}]})
    outcome(hank.post("ServiceRequest", bad_label), 400)
    assert ProgramReferral.objects.count() == count


def test_part2_referral_is_shown_with_labels_and_notice_only_where_consent_releases_it(network, maria):
    labelled, plain = network["labelled"], network["plain"]
    hank, pia = network["hank"], network["pia"]

    shown = hank.get(f"ServiceRequest/{labelled.pk}")
    assert shown.status_code == 200, shown.content
    body = shown.resource
    security = {(c["system"], c["code"]) for c in body["meta"]["security"]}
    assert security == {(ACT_CODE, "42CFRPart2"), (ACT_CODE, "NORDSLCD")}
    assert body["text"]["status"] == "additional"
    assert "42 CFR part 2" in body["text"]["div"]
    assert {"text": PART2_NOTICE} in body["note"]
    assert body["status"] == "active" and body["intent"] == "order"
    assert body["code"]["coding"][0] == {"system": PROGRAM, "code": "ny-hh-adult", "display": "NY Health Home (adult)"}
    assert body["requester"]["reference"] == f"Organization/{network['clinic'].pk}"
    assert body["subject"] == {"reference": f"Patient/{maria.pk}"}
    found = hank.get("ServiceRequest", {"patient": f"Patient/{maria.pk}"}).resource
    assert set(ids(found)) == {str(labelled.pk), str(plain.pk)}
    entry = next(e["resource"] for e in found["entry"] if e["resource"]["id"] == str(labelled.pk))
    assert entry["meta"]["security"] == body["meta"]["security"] and entry["note"] == body["note"]

    body = outcome(pia.get(f"ServiceRequest/{labelled.pk}"), 403)
    assert body["issue"][0]["code"] == "forbidden"
    assert "diagnos" not in body["issue"][0]["diagnostics"].lower()
    hidden = pia.get("ServiceRequest", {"patient": f"Patient/{maria.pk}"}).resource
    assert ids(hidden) == [str(plain.pk)] and hidden["total"] == 1
    assert ids(pia.get("ServiceRequest").resource) == [str(plain.pk)]
    last = AuditRecord.objects.filter(action="search", object_type="ServiceRequest").last()
    assert (last.username, last.detail["withheld"], last.detail["results"]) == ("pia_practice", 1, [str(plain.pk)])
    unlabelled = pia.get(f"ServiceRequest/{plain.pk}").resource
    assert "security" not in unlabelled["meta"] and "text" not in unlabelled and "note" not in unlabelled


def test_receiving_organization_sees_the_referral_and_its_notice(alice, agency, network):
    labelled, plain = network["labelled"], network["plain"]
    inbox = alice.get("ServiceRequest", {"performer": f"Organization/{agency.pk}", "status": "active"}).resource
    assert set(ids(inbox)) == {str(labelled.pk), str(plain.pk)}
    body = alice.get(f"ServiceRequest/{labelled.pk}").resource
    assert {"text": PART2_NOTICE} in body["note"]
    assert ids(alice.get("ServiceRequest", {"requester": f"Organization/{network['clinic'].pk}"}).resource) == [
        str(labelled.pk)
    ]
    assert ids(alice.get("ServiceRequest", {"code": "complex-care"}).resource) == [str(plain.pk)]
    assert alice.get("ServiceRequest", {"status": "completed"}).resource["total"] == 0
    assert alice.get("ServiceRequest", {"authored": f"ge{TODAY.isoformat()}"}).resource["total"] == 2


def test_hiv_program_episode_is_gated_like_a_referral(alice, alice_rn, maria, network):
    enrollment = enroll(patient=maria, program=program("ny-hh-plus-hiv"), by=alice_rn)
    own = alice.get(f"EpisodeOfCare/{enrollment.pk}").resource
    assert [c["code"] for c in own["meta"]["security"]] == ["HIV"]  # the enrolling organization: no notice
    assert "text" not in own
    outcome(network["hank"].get(f"EpisodeOfCare/{enrollment.pk}"), 403)
    assert network["hank"].get("EpisodeOfCare", {"patient": f"Patient/{maria.pk}"}).resource["total"] == 0
    assert network["hank"].get("EpisodeOfCare").resource["total"] == 0
    record_consent(
        patient=maria,
        data=ConsentData(form="NY-HIV-RELEASE", signed_on=TODAY, partners=[network["hospital"]]),
        by=alice_rn,
    )
    shown = network["hank"].get("EpisodeOfCare", {"patient": f"Patient/{maria.pk}"}).resource
    assert ids(shown) == [str(enrollment.pk)]
    resource = shown["entry"][0]["resource"]
    assert {c["code"] for c in resource["meta"]["security"]} == {"HIV", "NORDSLCD"}
    assert HIV_NOTICE[:40] in resource["text"]["div"]
    ended = {**resource, "status": "finished", "period": {**resource["period"], "end": TODAY.isoformat()}}
    ended["extension"] = [{"url": END_REASON, "valueCode": "graduated"}]
    outcome(network["hank"].put(f"EpisodeOfCare/{enrollment.pk}", ended), 403)  # not the enrolling organization
    enrollment.refresh_from_db()
    assert enrollment.status == "active"


# --- Someone with no relationship to the person ------------------------------------------------------------------


def test_eve_gets_403_on_everything_of_marias(eve, alice, maria, enrolled, agency):
    referral = refer_to_program(
        patient=maria, program=program("complex-care"), receiving_organization=agency, source="self", by=None
    )
    team_id = alice.get("CareTeam", {"patient": str(maria.pk)}).resource["entry"][0]["resource"]["id"]
    for path in (
        f"EpisodeOfCare/{enrolled.pk}",
        f"Consent/{enrolled.consent_id}",
        f"CareTeam/{team_id}",
        f"ServiceRequest/{referral.pk}",
    ):
        outcome(eve.get(path), 403)
    for kind in ("EpisodeOfCare", "Consent", "CareTeam", "ServiceRequest"):
        outcome(eve.get(kind, {"patient": f"Patient/{maria.pk}"}), 403)
        assert eve.get(kind).resource["total"] == 0, kind
    outcome(eve.post("EpisodeOfCare", episode(maria)), 403)
    outcome(
        eve.post(
            "Consent",
            consent_body(maria, provision={"actor": [actor(agency.pk)]}),
        ),
        403,
    )
    current = alice.get(f"EpisodeOfCare/{enrolled.pk}").resource
    outcome(eve.put(f"EpisodeOfCare/{enrolled.pk}", {**current, "status": "finished"}), 403)
    assert Enrollment.objects.count() == 1 and Consent.objects.count() == 1
    assert ProgramReferral.objects.count() == 1
    assert AuditRecord.objects.filter(username="eve_outsider", outcome="denied").count() >= 11


def test_metadata_describes_the_program_types(anonymous):
    listed = {r["type"]: r for r in anonymous.get("metadata").resource["rest"][0]["resource"]}
    interactions = {name: {i["code"] for i in listed[name]["interaction"]} for name in listed}
    assert interactions["EpisodeOfCare"] == {"read", "search-type", "create", "update"}
    assert interactions["Consent"] == {"read", "search-type", "create", "update"}
    assert interactions["CareTeam"] == {"read", "search-type", "create", "update"}
    assert interactions["ServiceRequest"] == {"read", "search-type", "create", "update"}
    assert {p["name"] for p in listed["EpisodeOfCare"]["searchParam"]} == {
        "patient",
        "status",
        "type",
        "date",
        "organization",
        "care-manager",
        "_id",
    }
    assert {p["name"] for p in listed["ServiceRequest"]["searchParam"]} == {
        "patient",
        "status",
        "code",
        "requester",
        "performer",
        "authored",
        "category",
        "_lastUpdated",
        "_id",
    }
