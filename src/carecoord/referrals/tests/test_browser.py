"""In the browser (issue 6): a Hunger Vital Sign positive for food → the suggested referral → the directory search
for the need → Refer → what to share and the person's consent → send; the pantry's partner user accepts and
completes it with an outcome; back as the care manager, the intervention is done, the goal has the outcome and the
day view shows the update. Screenshots of each step: test-artifacts/screenshots/6x-*.png."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from carecoord.assessments import instruments
from carecoord.assessments.tests.builders import definition, enroll_with
from carecoord.careplans.actions import GoalData, InterventionData, add_goal, add_intervention, start_care_plan
from carecoord.careplans.models import GoalProgressNote, InterventionStatus
from carecoord.directory.models import Service
from carecoord.directory.tests.builders import WEEKDAYS_9_TO_5, import_services, location, service
from carecoord.referrals.actions import upsert_partner
from carecoord.referrals.models import Referral
from carecoord.tasks.models import Task, TaskStatus
from carecoord.testing.factories import make_organization, make_patient, make_user
from carecoord.web.testing import plain_static_files  # noqa: F401
from carecoord.web.tests.test_browser import browser, page, shoot, sign_in  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def people(db, tmp_path: Path):
    agency = make_organization("Brooklyn Care Partners", "care_management_agency")
    alice = make_user("alice_cm", role="care_manager", organization=agency, first_name="Alice", last_name="Nguyen")
    maria = make_patient(alice, family_name="García", given_names="María José")
    enroll_with(maria, alice, care_manager=alice)
    plan = start_care_plan(patient=maria, by=alice)
    goal = add_goal(plan=plan, data=GoalData(description="Enough food every week"), by=alice, status="active")
    intervention = add_intervention(
        plan=plan,
        data=InterventionData(description="Food pantry referral", performer="cbo", goal=goal),
        by=alice,
    )
    import_services(
        tmp_path,
        service(
            "Emergency groceries",
            org="Flatbush Community Pantry",
            org_id="pantry",
            terms=["Food Pantry"],
            locations=[location("11201", name="Fulton St pantry", schedules=WEEKDAYS_9_TO_5)],
        ),
    )
    pantry = make_organization("Flatbush Community Pantry", "cbo")
    carla = make_user("cbo_carla", role="partner", organization=pantry, first_name="Carla", last_name="Ruiz")
    listed = Service.objects.get(name="Emergency groceries").organization
    assert listed is not None
    upsert_partner(directory_organization=listed, organization=pantry, by=None)
    return {"alice": alice, "maria": maria, "carla": carla, "goal": goal, "intervention": intervention}


def _sign_out(page, base: str) -> None:  # noqa: F811
    page.click("summary")
    page.click("text=Sign out")
    page.wait_for_url(f"{base}/accounts/login/")


def test_positive_food_screen_to_referral_accepted_and_completed_by_the_partner(page, live_server, people):  # noqa: F811
    expect = pytest.importorskip("playwright.sync_api").expect
    base = live_server.url
    maria, alice = people["maria"], people["alice"]

    # A Hunger Vital Sign, "Often true" to both questions: positive for food insecurity.
    sign_in(page, base, alice)
    page.goto(f"{base}/assessments/patients/{maria.pk}/new/{definition(instruments.HUNGER_VITAL_SIGN_URL).pk}/")
    for question in ("88122-7", "88123-5"):
        page.locator(f'[data-link-id="{question}"]').get_by_label("Often true").check()
    page.locator("button[data-finish]").click()
    page.wait_for_url(re.compile(r".*/assessments/responses/[0-9a-f-]+/$"))
    triggered = page.locator(".triggered-tasks")
    expect(triggered).to_contain_text("Suggested community referral")
    shoot(page, "60-referral-positive-screen")

    # The suggested referral's Refer opens the directory for the need, near the person.
    triggered.get_by_role("link", name="Refer…").click()
    page.wait_for_url(re.compile(r".*/directory/\?patient=.*need=food-insecurity.*"))
    result = page.locator("main").get_by_role("link", name=re.compile("Refer María José García to Emergency groceries"))
    expect(result.first).to_be_visible()
    shoot(page, "61-referral-directory")
    result.first.click()

    # What to share (the minimum preselected), consent, the intervention it serves.
    page.wait_for_url(re.compile(r".*/referrals/new/.*service=.*"))
    expect(page.locator("#id_share_0")).to_be_checked()  # name
    expect(page.locator("#id_share_1")).not_to_be_checked()  # date of birth
    page.get_by_role("button", name="Send the referral").click()
    expect(page.locator(".error-summary")).to_contain_text("consent to share")
    assert not Referral.objects.exists()
    page.get_by_label("Verbal").check()
    page.get_by_label("Consent note").fill("Agreed on the phone")
    page.get_by_label("Care plan goal or intervention").select_option(label="Intervention: Food pantry referral")
    shoot(page, "62-referral-send-form")
    page.get_by_role("button", name="Send the referral").click()
    page.wait_for_url(re.compile(r".*/referrals/[0-9a-f-]+/$"))
    expect(page.locator("main")).to_contain_text("Waiting for the partner")
    shoot(page, "63-referral-sent")
    referral = Referral.objects.get()
    assert referral.intervention_id == people["intervention"].pk and referral.consent_method == "verbal"
    assert Task.objects.get(reason="sdoh-food-insecurity").status == TaskStatus.COMPLETED
    _sign_out(page, base)

    # The pantry's partner: the inbox, the referral (only what is shared), accept, record, complete.
    sign_in(page, base, people["carla"])
    page.wait_for_url(f"{base}/referrals/inbox/")
    row = page.locator("tr[data-item]", has_text="María José García")
    expect(row).to_contain_text("Waiting for the partner")
    shoot(page, "64-referral-partner-inbox")
    row.get_by_role("link").first.click()
    page.wait_for_url(f"{base}/referrals/{referral.pk}/")
    expect(page.locator("main")).not_to_contain_text(str(maria.birth_date.year))
    page.get_by_role("button", name="Accept", exact=True).click()
    expect(page.locator("main")).to_contain_text("Accepted")
    page.get_by_label("What was done").fill("Groceries for two weeks")
    page.get_by_role("button", name="Record the service").click()
    expect(page.locator(".timeline")).to_contain_text("Service delivered: Groceries for two weeks")
    page.locator("#outcome").select_option("need-met")
    page.locator("#outcome-note").fill("Enrolled in weekly deliveries")
    shoot(page, "65-referral-partner-detail")
    page.locator("#complete").get_by_role("button", name="Complete").click()
    expect(page.locator("main")).to_contain_text("Completed")
    assert page.goto(f"{base}/patients/{maria.pk}/").status == 403  # never the chart
    _sign_out(page, base)

    # Back as the care manager: the day view has the update; the plan followed.
    sign_in(page, base, alice)
    page.goto(f"{base}/today/")
    update = page.locator("tr[data-item]", has_text="completed the referral")
    expect(update).to_contain_text("Flatbush Community Pantry completed the referral")
    shoot(page, "66-referral-day-view")
    people["intervention"].refresh_from_db()
    assert people["intervention"].status == InterventionStatus.COMPLETED
    assert GoalProgressNote.objects.filter(goal=people["goal"], text__contains="need met").exists()
    update.locator("td.why a").click()
    page.wait_for_url(f"{base}/referrals/{referral.pk}/")
    expect(page.locator("main")).to_contain_text("Need met")
    shoot(page, "67-referral-closed-loop")
    page.goto(f"{base}/careplans/{people['goal'].plan_id}/")
    expect(page.locator("main")).to_contain_text("Referral: completed")
    page.goto(f"{base}/patients/{maria.pk}/")
    expect(page.locator("#referrals")).to_contain_text("Completed")
    shoot(page, "68-referral-chart-section")
    page.goto(f"{base}/today/")
    expect(page.locator("tr[data-item]", has_text="completed the referral")).to_have_count(0)
    assert page.console_errors == []


def test_a_secure_link_for_a_partner_without_an_account(page, browser, live_server, people):  # noqa: F811
    expect = pytest.importorskip("playwright.sync_api").expect
    base = live_server.url
    alice, maria = people["alice"], people["maria"]
    from carecoord.referrals.actions import ConsentToShare, send_referral

    referral = send_referral(
        patient=maria, service=Service.objects.get(name="Emergency groceries"), need="food-insecurity",
        reason="Runs out of food at the end of the month.", share=["name", "phone"],
        consent=ConsentToShare(method="written"), by=alice,
    )  # fmt: skip
    sign_in(page, base, alice)
    page.goto(f"{base}/referrals/{referral.pk}/")
    page.get_by_label("Send to (email, optional)").fill("intake@pantry.example.org")
    page.get_by_role("button", name="Make a secure link").click()
    secret = page.locator("#new-link")
    expect(secret).to_be_visible()
    url = secret.input_value()
    assert "/referrals/link/" in url
    shoot(page, "69-referral-link-made")
    page.reload()
    expect(page.locator("#new-link")).to_have_count(0)  # shown once

    outsider = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    outsider.goto(url)
    expect(outsider.locator("main")).to_contain_text("What is shared with you")
    expect(outsider.locator("main")).to_contain_text("secure link")
    shoot(outsider, "70-referral-link-page")
    outsider.get_by_role("button", name="Accept", exact=True).click()
    expect(outsider.locator("main")).to_contain_text("Saved. The referring team sees it now.")
    referral.refresh_from_db()
    assert referral.status == "accepted" and referral.events.last().channel == "link"

    page.reload()
    page.get_by_role("button", name="Revoke").click()
    expect(page.locator("main")).to_contain_text("Revoked")
    gone = outsider.goto(url)
    assert gone is not None and gone.status == 410
    expect(outsider.locator("main")).not_to_contain_text("García")
    shoot(outsider, "71-referral-link-gone")
    assert page.console_errors == []


def test_an_administrator_maps_a_directory_organization(page, live_server, people):  # noqa: F811
    expect = pytest.importorskip("playwright.sync_api").expect
    base = live_server.url
    admin = make_user("dana_admin", role="org_admin", organization=people["alice"].organization, first_name="Dana")
    sign_in(page, base, admin)
    page.goto(f"{base}/referrals/partners/")
    row = page.locator("tr", has_text="Flatbush Community Pantry").first
    expect(row).to_contain_text("In CareCoord: Flatbush Community Pantry")
    shoot(page, "72-referral-partners")
    row.get_by_label("Works referrals here as").select_option(label="Not in CareCoord")
    row.get_by_label("Or secure links to").fill("intake@flatbushpantry.example.org")
    row.get_by_role("button", name="Save how referrals reach Flatbush Community Pantry").click()
    expect(page.locator(".messages")).to_contain_text("Referrals to Flatbush Community Pantry are set up.")
    expect(page.locator("tr", has_text="Flatbush Community Pantry").first).to_contain_text("Secure links")
    assert page.console_errors == []
