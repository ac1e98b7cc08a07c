"""The directory pages over HTTP: search as you type, a person's context through patients.access, bad input."""

from __future__ import annotations

import pytest

from carecoord.audit.models import AuditRecord
from carecoord.directory.models import Service
from carecoord.directory.tests.builders import WEEKDAYS_9_TO_5, import_services, location, service
from carecoord.web.testing import signed_in

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def directory(tmp_path):
    import_services(
        tmp_path,
        service(
            "Brooklyn Food Pantry",
            terms=["Food Pantry"],
            languages=[{"id": "l1", "name": "Spanish"}],
            fees_description="Free",
            minimum_age=18,
            assured_date="2026-10-01",
            service_areas=[{"id": "a1", "name": "Kings County"}],
            phones=[{"id": "p1", "number": "718-555-0100"}],
            locations=[
                location(
                    "11201",
                    name="Fulton St pantry",
                    schedules=WEEKDAYS_9_TO_5,
                    accessibility=[{"id": "x1", "description": "Wheelchair ramp"}],
                )
            ],
        ),
        service("Harlem Legal Aid", locations=[location("10027")]),
        service("Ithaca Shelter", terms=["Emergency Shelter"], locations=[location("14850")]),
    )


def test_search_page_lists_ranked_results_with_why(client, bob_coordinator, directory):
    response = signed_in(client, bob_coordinator).get("/directory/", {"q": "pantry", "zip": "10027", "radius": "20"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "<html" in page and 'name="q"' in page
    assert "Brooklyn Food Pantry" in page and "Harlem Legal Aid" not in page
    assert "km away" in page and "Spanish" in page and "Verified" in page and "Ages 18+" in page
    assert 'aria-current="page"' in page and ">Directory</a>" in page


def test_as_you_type_returns_only_the_results_fragment(client, bob_coordinator, directory):
    response = signed_in(client, bob_coordinator).get("/directory/", {"q": "shel"}, **HTMX)
    assert response.status_code == 200
    fragment = response.content.decode()
    assert "<html" not in fragment and "<form" not in fragment
    assert "Ithaca Shelter" in fragment and "Brooklyn Food Pantry" not in fragment
    empty = signed_in(client, bob_coordinator).get("/directory/", {"q": "zzzz"}, **HTMX).content.decode()
    assert "No service matches" in empty


def test_filters_from_the_form(client, bob_coordinator, directory):
    c = signed_in(client, bob_coordinator)
    page = c.get("/directory/", {"need": "food-insecurity", "language": "es", "free": "on", "age": "30"}).content
    assert b"Brooklyn Food Pantry" in page and b"Ithaca Shelter" not in page
    assert b"Brooklyn Food Pantry" not in c.get("/directory/", {"q": "pantry", "age": "12"}).content
    assert b"Brooklyn Food Pantry" in c.get("/directory/", {"q": "pantry", "residence": "11201"}).content
    assert b"Brooklyn Food Pantry" not in c.get("/directory/", {"q": "pantry", "residence": "10027"}).content
    assert b"Brooklyn Food Pantry" not in c.get("/directory/", {"q": "pantry", "when": "7"}).content
    assert b"Brooklyn Food Pantry" in c.get("/directory/", {"q": "pantry", "when": "2"}).content


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"zip": "abcde"}, "Enter a five-digit ZIP code."),
        ({"zip": "00000"}, "ZIP code 00000 is not one we know."),
        ({"zip": "10027", "radius": "ten"}, "Enter a number."),
        ({"radius": "5"}, "Give a ZIP code to search within a distance."),
        ({"age": "-3"}, "Ensure this value is greater than or equal to 0."),
        ({"residence": "12"}, "Enter a five-digit ZIP code."),
        ({"when": "9"}, "Select a valid choice."),
    ],
)
def test_bad_input_is_a_form_error_never_a_500(client, bob_coordinator, directory, params, message):
    c = signed_in(client, bob_coordinator)
    page = c.get("/directory/", params)
    assert page.status_code == 400
    assert message in page.content.decode()
    fragment = c.get("/directory/", params, **HTMX)
    assert fragment.status_code == 200  # htmx swaps only 2xx answers: the problem is shown in the results
    assert message in fragment.content.decode() and 'role="alert"' in fragment.content.decode()


def test_opened_for_a_person_searches_near_them_and_is_audited(client, alice_rn, maria, directory):
    response = signed_in(client, alice_rn).get("/directory/", {"patient": str(maria.pk)})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="11201"' in page  # the person's home ZIP, as the distance centre and the residency
    assert "Brooklyn Food Pantry" in page and "Ithaca Shelter" not in page
    assert f'name="patient" value="{maria.pk}"' in page
    record = AuditRecord.objects.filter(patient_id=maria.pk).latest("id")
    assert record.outcome == "success" and record.detail.get("purpose") == "directory search"
    cleared = signed_in(client, alice_rn).get("/directory/", {"patient": str(maria.pk), "zip": "", "q": "shelter"})
    assert b"Ithaca Shelter" in cleared.content


def test_a_person_the_user_may_not_see_is_refused_and_audited(client, eve_outsider, maria, directory):
    before = AuditRecord.objects.count()
    response = signed_in(client, eve_outsider).get("/directory/", {"patient": str(maria.pk)})
    assert response.status_code in (403, 404)
    assert b"11201" not in response.content
    denied = AuditRecord.objects.filter(id__gt=0).order_by("-id").first()
    assert AuditRecord.objects.count() > before and denied.outcome != "success"
    assert signed_in(client, eve_outsider).get("/directory/", {"patient": "not-a-uuid"}).status_code == 404


def test_any_signed_in_user_may_search_and_nobody_else(client, cbo_carla, directory):
    assert client.get("/directory/").status_code == 302
    response = signed_in(client, cbo_carla).get("/directory/", {"q": "pantry"})
    assert response.status_code == 200 and b"Brooklyn Food Pantry" in response.content


def test_service_page_shows_everything_held(client, bob_coordinator, directory):
    pantry = Service.objects.get(name="Brooklyn Food Pantry")
    response = signed_in(client, bob_coordinator).get(f"/directory/services/{pantry.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    expected_texts = ["Fulton St pantry", "12 Fulton St", "718-555-0100", "Wheelchair ramp", "Kings County"]
    expected_texts += [
        "Spanish",
        "Ages 18+",
        "Free",
        "Food Pantry",
        "Food Insecurity",
        "9 am to 5 pm",
        "Hours this week",
    ]
    for expected in expected_texts:
        assert expected in page, expected
    assert signed_in(client, bob_coordinator).get("/directory/services/999999/").status_code == 404


def test_refer_hook_is_rendered_only_for_a_person(client, alice_rn, maria, directory, settings, tmp_path):
    templates = tmp_path / "templates" / "directory"
    templates.mkdir(parents=True)
    (templates / "_refer_action.html").write_text("REFER {{ service.name }} FOR {{ patient.pk }}")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [str(tmp_path / "templates")]}]
    c = signed_in(client, alice_rn)
    without = c.get("/directory/", {"q": "pantry"}).content.decode()
    assert "REFER" not in without
    with_person = c.get("/directory/", {"q": "pantry", "patient": str(maria.pk), "zip": ""}).content.decode()
    assert f"REFER Brooklyn Food Pantry FOR {maria.pk}" in with_person
    pantry = Service.objects.get(name="Brooklyn Food Pantry")
    detail = c.get(f"/directory/services/{pantry.pk}/", {"patient": str(maria.pk)}).content.decode()
    assert f"REFER Brooklyn Food Pantry FOR {maria.pk}" in detail
