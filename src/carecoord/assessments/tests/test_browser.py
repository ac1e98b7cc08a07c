"""A care manager fills a PHQ-9 with the keyboard only, watches the live total, completes it and sees the safety
task on the result page, in the chart's banner and in its Open tasks panel.

Drives Debian's Chromium through Playwright against the live server (see ``web/tests/test_browser.py``); no
sleeps: every wait is one of Playwright's auto-waiting expectations. Screenshots go to
``test-artifacts/screenshots/`` like the other browser tests.
"""

from __future__ import annotations

import os
import re

import pytest

from carecoord.assessments import instruments
from carecoord.testing.factories import make_organization, make_patient, make_user
from carecoord.web.testing import plain_static_files  # noqa: F401
from carecoord.web.tests.test_browser import browser, page, shoot, sign_in  # noqa: F401

from .builders import definition, enroll_with

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def people(db):
    agency = make_organization("Brooklyn Care Partners", "care_management_agency")
    alice = make_user(
        "alice_rn",
        role="licensed_care_manager",
        organization=agency,
        licensed=True,
        first_name="Alice",
        last_name="Nguyen",
    )
    maria = make_patient(alice, family_name="García", given_names="María José", preferred_name="Majo")
    enroll_with(maria, alice, care_manager=alice)
    return {"alice": alice, "maria": maria}


def test_phq9_by_keyboard_raises_the_safety_task(page, live_server, people):  # noqa: F811
    expect = pytest.importorskip("playwright.sync_api").expect
    base = live_server.url
    maria = people["maria"]
    sign_in(page, base, people["alice"])
    page.goto(f"{base}/assessments/patients/{maria.pk}/new/{definition(instruments.PHQ9_URL).pk}/")
    total = page.locator("[data-total-text]")
    expect(total).to_have_text("9 items not answered: PHQ-9 total not computed")

    # Focus the first question; from there on, one key per answer moves to the next question.
    page.locator("#i1-o0").focus()
    for key in "22211111":
        page.keyboard.press(key)
    expect(total).to_have_text("1 item not answered: PHQ-9 total not computed")
    expect(page.locator("#i9-o0")).to_be_focused()  # question 9, the last one answered next
    expect(page.locator("#i1-o2")).to_be_checked()
    shoot(page, "40-phq9-fill-midway")

    page.keyboard.press("1")  # question 9: "Several days"
    expect(total).to_have_text("PHQ-9 total 12 of 27")
    expect(page.locator("[data-total-band]")).to_have_text("Moderate")
    expect(page.locator("[data-total-safety]")).to_be_visible()
    difficulty = page.locator('[data-link-id="69722-7"]')
    expect(difficulty).to_be_visible()  # enableWhen: a problem was reported
    expect(page.locator("#i10-o0")).to_be_focused()
    page.keyboard.press("2")  # "Somewhat difficult" (its options have no score: keys by position)
    expect(page.locator("#i10-o1")).to_be_checked()
    expect(page.locator("button[data-finish]")).to_be_focused()
    page.keyboard.press("Enter")

    page.wait_for_url(re.compile(r".*/assessments/responses/[0-9a-f-]+/$"))
    expect(page.locator(".score-number")).to_have_text("12")
    expect(page.locator(".result-score")).to_contain_text("Moderate")
    expect(page.locator(".result-score")).to_contain_text(
        "answered “Several days”: a safety task was created for Alice Nguyen."
    )
    expect(page.locator(".triggered-tasks")).to_contain_text("Safety follow-up: PHQ-9 item 9")
    shoot(page, "41-phq9-result")

    page.click(f"a[href='/patients/{maria.pk}/']")
    page.wait_for_url(f"{base}/patients/{maria.pk}/")
    banner = page.locator(".safety-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("answered “Several days”")
    expect(page.locator("#tasks")).to_contain_text("Safety follow-up: PHQ-9 item 9")
    expect(page.locator("#screening svg[role=img]")).to_have_attribute("aria-label", re.compile("12 of 27"))
    shoot(page, "42-chart-after-phq9")
    assert page.console_errors == []


def test_repeating_groups_and_conditions_in_the_browser(page, live_server, people):  # noqa: F811
    expect = pytest.importorskip("playwright.sync_api").expect
    base = live_server.url
    maria = people["maria"]
    sign_in(page, base, people["alice"])
    form = definition(instruments.COMPREHENSIVE_ASSESSMENT_URL)
    page.goto(f"{base}/assessments/patients/{maria.pk}/new/{form.pk}/")

    stays = page.locator('[data-link-id="medical.hospital-stays"]')
    count = page.locator('[data-link-id="medical.hospital-stays-count"]')
    expect(count).to_be_hidden()
    stays.locator("input[value=true]").focus()
    page.keyboard.press("1")  # Yes: the count question opens and takes the focus
    expect(count).to_be_visible()
    expect(count.locator("input")).to_be_focused()
    page.keyboard.type("2")
    stays.locator("input[value=false]").check()
    expect(count).to_be_hidden()
    expect(count.locator("input")).to_be_disabled()  # a hidden answer is not sent

    page.click("text=+ Add another: health conditions")
    conditions = page.locator('[data-link-id="medical.conditions"] [data-instance]')
    expect(conditions).to_have_count(2)
    expect(conditions.nth(1).locator("input[type=text]").first).to_be_focused()
    page.keyboard.type("Asthma")
    expect(conditions.nth(1)).to_contain_text("Health conditions 2")
    page.click("button[value=draft]")
    page.wait_for_url(re.compile(r".*/assessments/responses/[0-9a-f-]+/$"))
    expect(page.locator('input[value="Asthma"]')).to_be_visible()
    expect(count).to_be_hidden()
    assert page.console_errors == []
