"""Patient pages over HTTP: search, register (errors, duplicates), chart, edit (version conflict), emergency access."""

import pytest

from carecoord.audit.models import AuditRecord, BreakGlassGrant
from carecoord.patients.models import Patient
from carecoord.testing.factories import make_patient
from carecoord.web.testing import signed_in


def _form(**overrides):
    """A complete registration POST, one row per repeating section."""
    data = {
        "family_name": "Okonkwo",
        "given_names": "Chidi",
        "preferred_name": "",
        "name_prefix": "",
        "name_suffix": "",
        "birth_date": "1970-05-04",
        "sex": "male",
        "gender_identity": "",
        "pronouns": "he/him",
        "preferred_language": "en",
        "email": "",
        "version": "",
    }
    for prefix in ("identifiers", "addresses", "phones", "coverages", "contacts"):
        data[f"{prefix}-TOTAL_FORMS"] = "1"
        data[f"{prefix}-INITIAL_FORMS"] = "0"
    data.update(
        {
            "identifiers-0-kind": "medicaid_cin",
            "identifiers-0-value": "XY98765Z",
            "identifiers-0-system": "",
            "addresses-0-use": "home",
            "addresses-0-line1": "12 Fulton St",
            "addresses-0-city": "Brooklyn",
            "addresses-0-state": "NY",
            "addresses-0-postal_code": "11201",
            "phones-0-kind": "mobile",
            "phones-0-number": "(718) 555-0101",
            "phones-0-text_consent": "on",
            "coverages-0-payer_name": "Fidelis Care",
            "coverages-0-member_id": "F123",
            "contacts-0-name": "Ada Okonkwo",
            "contacts-0-relationship": "spouse",
            "contacts-0-phone": "7185550102",
            "contacts-0-is_emergency": "on",
            "contacts-0-is_proxy": "on",
        }
    )
    data.update(overrides)
    return data


def _as_posted(editor):
    """What the browser would send back for an untouched edit form."""
    data = {}
    for bound in editor.main:
        value = bound.value()
        if value not in (None, False):
            data[bound.html_name] = "on" if value is True else str(value)
    for _, formset in editor:
        for key, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{key}"] = str(value)
        for row in formset.forms:
            for bound in row:
                value = bound.value()
                if value not in (None, False, ""):
                    data[bound.html_name] = "on" if value is True else str(value)
    return data


def test_search_page_and_fragment(client, bob_coordinator, maria):
    signed_in(client, bob_coordinator)
    page = client.get("/patients/")
    assert page.status_code == 200 and b"Type a name" in page.content
    full = client.get("/patients/", {"q": "garcia maria"})
    assert b"Garc\xc3\xada, Mar\xc3\xada Jos\xc3\xa9" in full.content and b"<html" in full.content
    fragment = client.get("/patients/", {"q": "majo"}, HTTP_HX_REQUEST="true")
    assert b"<html" not in fragment.content
    assert str(maria.pk).encode() in fragment.content
    assert b"Interpreter" in fragment.content and b"CIN" in fragment.content
    none = client.get("/patients/", {"q": "zzzz"}, HTTP_HX_REQUEST="true")
    assert b"No one you can see matches" in none.content
    assert AuditRecord.objects.filter(action="search", username="bob_coordinator").exists()


def test_search_hides_other_agencies_people(client, eve_outsider, maria):
    signed_in(client, eve_outsider)
    response = client.get("/patients/", {"q": "garcia"})
    assert str(maria.pk).encode() not in response.content


@pytest.mark.parametrize("persona", ["audrey_auditor", "olga_admin", "cbo_carla"])
def test_patient_pages_are_forbidden_for_roles_without_patient_access(request, client, persona, maria):
    signed_in(client, request.getfixturevalue(persona))
    assert client.get("/patients/").status_code == 403
    assert client.get("/patients/new/").status_code == 403
    assert client.get(f"/patients/{maria.pk}/").status_code == 403


def test_anonymous_is_sent_to_login(client, maria):
    response = client.get(f"/patients/{maria.pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_register_with_all_sections(client, bob_coordinator):
    signed_in(client, bob_coordinator)
    assert client.get("/patients/new/").status_code == 200
    response = client.post("/patients/new/", _form())
    assert response.status_code == 302
    patient = Patient.objects.get(family_name="Okonkwo")
    assert response["Location"] == f"/patients/{patient.pk}/"
    assert patient.identifiers.get().value == "XY98765Z"
    assert patient.phones.get().text_consent
    contact = patient.contacts.get()
    assert contact.is_emergency and contact.is_proxy and not contact.is_caregiver
    chart = client.get(response["Location"])
    assert b"Okonkwo, Chidi" in chart.content and b"Texts OK" in chart.content
    assert b"Health care proxy" in chart.content and b"Fidelis Care" in chart.content
    assert b"Not enrolled in any program" in chart.content


def test_blank_rows_are_ignored(client, bob_coordinator):
    signed_in(client, bob_coordinator)
    data = _form(
        **{
            "identifiers-0-value": "",
            "addresses-0-line1": "",
            "addresses-0-city": "",
            "addresses-0-postal_code": "",
            "phones-0-number": "",
            "coverages-0-payer_name": "",
            "coverages-0-member_id": "",
            "contacts-0-name": "",
            "contacts-0-phone": "",
        }
    )
    assert client.post("/patients/new/", data).status_code == 302
    patient = Patient.objects.get(family_name="Okonkwo")
    assert not patient.identifiers.exists() and not patient.contacts.exists()


def test_register_errors_next_to_fields_and_in_summary(client, bob_coordinator):
    signed_in(client, bob_coordinator)
    response = client.post(
        "/patients/new/",
        _form(family_name="", birth_date="not a date", **{"addresses-0-postal_code": "12", "phones-0-number": "123"}),
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "There are 4 problems" in html
    assert 'href="#id_family_name"' in html and "Enter the family (last) name." in html
    assert 'href="#id_addresses-0-postal_code"' in html and "A ZIP code is 5 digits" in html
    assert 'id="id_phones-0-number_error"' in html
    assert not Patient.objects.exists()


def test_possible_duplicate_warns_then_registers_on_confirmation(client, bob_coordinator, maria):
    signed_in(client, bob_coordinator)
    data = _form(
        family_name="Garcia",
        given_names="Maria",
        birth_date=maria.birth_date.isoformat(),
        **{"identifiers-0-value": ""},
    )
    warned = client.post("/patients/new/", data)
    assert warned.status_code == 422
    assert b"This person may already be registered" in warned.content
    assert f"/patients/{maria.pk}/".encode() in warned.content
    assert b"register anyway" in warned.content
    assert Patient.objects.count() == 1
    done = client.post("/patients/new/", {**data, "confirm_not_duplicate": "on"})
    assert done.status_code == 302
    assert Patient.objects.count() == 2


def test_duplicate_identifier_is_a_field_error(client, bob_coordinator, maria):
    signed_in(client, bob_coordinator)
    cin = maria.identifiers.get().value
    response = client.post("/patients/new/", _form(**{"identifiers-0-value": cin}))
    assert response.status_code == 422
    html = response.content.decode()
    assert "already the identifier of another person" in html
    assert 'href="#id_identifiers-0-value"' in html


def test_chart_shows_the_record(client, alice_rn, maria):
    signed_in(client, alice_rn)
    response = client.get(f"/patients/{maria.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "“Majo”" in html and "Interpreter needed (Spanish)" in html
    assert "No consent recorded" in html and "Emergency contact" in html
    assert "Registered" in html and "Alice Nguyen" in html
    assert "Emergency access (break the glass)" not in html


def test_unknown_person_is_404(client, alice_rn):
    signed_in(client, alice_rn)
    assert client.get("/patients/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_edit_and_version_conflict(client, alice_rn, bob_coordinator, maria):
    signed_in(client, alice_rn)
    page = client.get(f"/patients/{maria.pk}/edit/")
    assert page.status_code == 200
    data = _as_posted(page.context["editor"])
    data["pronouns"] = "she/her"
    assert data["version"] == "1"
    saved = client.post(f"/patients/{maria.pk}/edit/", data)
    assert saved.status_code == 302
    maria.refresh_from_db()
    assert maria.pronouns == "she/her" and maria.version == 2
    assert maria.identifiers.count() == 1 and maria.contacts.filter(active=True).count() == 1
    stale = client.post(f"/patients/{maria.pk}/edit/", {**data, "pronouns": "they/them"})
    assert stale.status_code == 422
    assert b"Someone else changed this record" in stale.content
    maria.refresh_from_db()
    assert maria.pronouns == "she/her"


def test_edit_forbidden_without_access(client, eve_outsider, maria):
    signed_in(client, eve_outsider)
    assert client.get(f"/patients/{maria.pk}/edit/").status_code == 403


def test_break_glass_flow_with_supervisor_review(client, eve_outsider, maria, sam_supervisor):
    signed_in(client, eve_outsider)
    denied = client.get(f"/patients/{maria.pk}/")
    assert denied.status_code == 403
    assert b"Emergency access" in denied.content and b"Garc" not in denied.content
    short = client.post(f"/patients/{maria.pk}/emergency-access/", {"reason": "pls"})
    assert short.status_code == 422 and b"at least 10 characters" in short.content
    granted = client.post(
        f"/patients/{maria.pk}/emergency-access/", {"reason": "In our ED, unresponsive, need emergency contacts"}
    )
    assert granted.status_code == 302 and granted["Location"] == f"/patients/{maria.pk}/"
    chart = client.get(granted["Location"])
    assert chart.status_code == 200
    assert b"Emergency access (break the glass)" in chart.content
    grant = BreakGlassGrant.objects.get()
    # Eve's supervisor is at another agency: Sam's queue (Brooklyn) does not list Eve's access.
    signed_in(client, sam_supervisor)
    queue = client.get("/supervisor/break-glass/")
    assert queue.status_code == 200 and b"Nothing to review" in queue.content
    assert grant.organization_id == eve_outsider.organization_id


def test_auditor_cannot_break_glass(client, audrey_auditor, maria):
    signed_in(client, audrey_auditor)
    assert client.post(f"/patients/{maria.pk}/emergency-access/", {"reason": "x" * 20}).status_code == 403


def test_own_agency_patient_count_unchanged_by_search(client, bob_coordinator, alice_rn):
    make_patient(alice_rn, family_name="Smith", given_names="Ann")
    signed_in(client, bob_coordinator)
    response = client.get("/patients/", {"q": "ann smith"}, HTTP_HX_REQUEST="true")
    assert b"Smith, Ann" in response.content and b"1 person found" in response.content


def test_edit_keeps_what_the_form_does_not_show(client, alice_rn, other_agency):
    import datetime

    from carecoord.patients.data import AddressData, IdentifierData

    since = datetime.date(2020, 6, 1)
    patient = make_patient(
        alice_rn,
        identifiers=[IdentifierData(kind="mrn", value="Q-778", assigner_id=other_agency.pk)],
        addresses=[AddressData(line1="5 Elm St", city="Queens", state="NY", postal_code="11375", start_date=since)],
    )
    system = patient.identifiers.get().system
    signed_in(client, alice_rn)
    data = _as_posted(client.get(f"/patients/{patient.pk}/edit/").context["editor"])
    assert client.post(f"/patients/{patient.pk}/edit/", {**data, "pronouns": "he/him"}).status_code == 302
    patient.refresh_from_db()
    assert patient.identifiers.get().system == system
    assert patient.addresses.get().start_date == since
