"""In the browser: a care manager opens the directory for a person, types, and opens a service.
Screenshots: /tmp/directory_search.png and /tmp/directory_service.png."""

from __future__ import annotations

import datetime
import os
import re

import pytest
from playwright.sync_api import expect

from carecoord.directory.tests.builders import WEEKDAYS_9_TO_5, import_services, location, service
from carecoord.testing.factories import make_organization, make_patient, make_user
from carecoord.web.testing import plain_static_files  # noqa: F401
from carecoord.web.tests.test_browser import browser, page, sign_in  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def test_search_as_you_type_for_a_person_then_open_a_service(page, live_server, tmp_path):  # noqa: F811
    agency = make_organization("Brooklyn Care Partners", "care_management_agency")
    alice = make_user("alice_rn", role="licensed_care_manager", organization=agency, licensed=True, first_name="Alice")
    # Lives in 11201, speaks Spanish, and is old enough for the Harlem pantry's 60+ (the factory's birth dates vary).
    maria = make_patient(alice, family_name="García", given_names="María", birth_date=datetime.date(1950, 3, 12))
    import_services(
        tmp_path,
        service("Fulton Street Food Pantry", terms=["Food Pantry"], languages=[{"id": "l1", "name": "Spanish"}],
                fees_description="Free", assured_date="2026-10-01", org="Brooklyn Community Services",
                locations=[location("11201", name="Fulton St site", schedules=WEEKDAYS_9_TO_5)]),
        service("Harlem Pantry and Kitchen", terms=["Food Pantry"], languages=[{"id": "l2", "code": "es"}],
                minimum_age=60, fees_description="$2 suggested donation", org_id="org-2", org="Harlem Neighbors",
                locations=[location("10027", schedules=WEEKDAYS_9_TO_5)]),
        service("Ithaca Shelter", terms=["Emergency Shelter"], locations=[location("14850")]),
    )  # fmt: skip

    sign_in(page, live_server.url, alice)
    page.goto(f"{live_server.url}/directory/?patient={maria.pk}")
    assert page.get_by_label("Near ZIP code").input_value() == "11201"
    assert page.get_by_label("Language").input_value() == "Spanish"
    page.get_by_label("Within (km)").fill("")
    page.locator("#id_q").press_sequentially("pant", delay=30)
    rows = page.locator("#results li[data-item]")
    rows.first.wait_for()
    expect(rows).to_have_count(2)
    texts = rows.all_inner_texts()
    assert "Fulton Street Food Pantry" in texts[0] and "Harlem Pantry" in texts[1]
    assert "km away" in texts[0] and "speaks Spanish" in texts[0]
    assert re.search(r"[?&]q=pant", page.url) and f"patient={maria.pk}" in page.url
    page.screenshot(path="/tmp/directory_search.png", full_page=True)

    page.get_by_label("Within (km)").fill("5")
    expect(rows).to_have_count(1)
    page.locator("#results a.name", has_text="Fulton Street Food Pantry").click()
    page.wait_for_url("**/directory/services/**")
    main = page.locator("main").inner_text()
    assert "Fulton St site" in main and "9 am to 5 pm" in main
    page.screenshot(path="/tmp/directory_service.png", full_page=True)
    page.go_back()
    page.wait_for_url("**/directory/?**")
    page.wait_for_load_state()
    assert page.get_by_label("Within (km)").input_value() == "5"
    assert page.console_errors == []
