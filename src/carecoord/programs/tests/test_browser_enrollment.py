"""From referral to enrollment in the browser: a care manager accepts a referral from the inbox, logs two outreach
attempts on the chart, claims the month, records a signed DOH-5055 with its partners, enrolls the person with a
care manager, and finds them on the enrollment board.

Drives Debian's Chromium through Playwright against the live server (see ``web/tests/test_browser.py``) and
writes screenshots of the board, the chart's programs section and the consent form to
``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import datetime
import os

import pytest
from django.utils import timezone

from carecoord.accounts.actions import affiliate
from carecoord.consents.actions import ConsentData, record_consent
from carecoord.programs.actions import (
    AttemptData,
    accept_referral,
    enroll,
    record_outreach_attempt,
    refer_to_program,
)
from carecoord.programs.models import Enrollment, EnrollmentStatus, OutreachAttempt, Program
from carecoord.testing.factories import make_organization, make_patient, make_user
from carecoord.web.testing import plain_static_files  # noqa: F401
from carecoord.web.tests.test_browser import browser, page, shoot, sign_in  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def network(db):
    agency = make_organization("Brooklyn Care Partners", "care_management_agency")
    health_home = make_organization("Coney Island Health Home", "health_home")
    plan = make_organization("Harbor Community Health Plan", "health_plan")
    clinic = make_organization("Eastside Primary Care", "primary_care")
    pantry = make_organization("Flatbush Community Pantry", "cbo")
    affiliate(source=agency, target=health_home, kind="member", by=None)
    affiliate(source=plan, target=health_home, kind="assigns_to", by=None)
    affiliate(source=clinic, target=agency, kind="refers_to", by=None)
    affiliate(source=agency, target=pantry, kind="refers_to", by=None)
    alice = make_user(
        "alice_rn",
        role="licensed_care_manager",
        organization=agency,
        licensed=True,
        first_name="Alice",
        last_name="Nguyen",
    )
    bob = make_user(
        "bob_coordinator", role="care_coordinator", organization=agency, first_name="Bob", last_name="Okafor"
    )
    dr_lee = make_user("dr_lee", role="care_manager", organization=clinic, first_name="Grace", last_name="Lee")
    hh = Program.objects.get(code="ny-hh-adult")
    maria = make_patient(
        dr_lee,
        family_name="García",
        given_names="María José",
        preferred_name="Majo",
        birth_date=datetime.date(1968, 3, 9),
    )
    referral = refer_to_program(
        patient=maria,
        program=hh,
        receiving_organization=agency,
        source="provider",
        by=dr_lee,
        referrer_name="Dr. Grace Lee",
        reason="Type 2 diabetes and depression; two ED visits since September; lives alone.",
    )
    _others_on_the_board(alice, bob, dr_lee, agency, hh)
    return {
        "agency": agency,
        "health_home": health_home,
        "plan": plan,
        "alice": alice,
        "maria": maria,
        "referral": referral,
        "hh": hh,
    }


def _others_on_the_board(alice, bob, dr_lee, agency, hh) -> None:
    """A few more people so the board has something in every column."""
    waiting = make_patient(dr_lee, family_name="Okafor", given_names="Grace", birth_date=datetime.date(1958, 11, 2))
    refer_to_program(
        patient=waiting,
        program=hh,
        receiving_organization=agency,
        source="provider",
        by=dr_lee,
        reason="Heart failure, frequent admissions",
    )
    reached = make_patient(alice, family_name="Lindqvist", given_names="Karl", birth_date=datetime.date(1971, 6, 14))
    record_outreach_attempt(
        patient=reached,
        program=hh,
        by=bob,
        data=AttemptData(
            method="phone", outcome="left_message", attempted_at=timezone.now() - datetime.timedelta(days=1)
        ),
    )
    signed = make_patient(alice, family_name="Haddad", given_names="Samira", birth_date=datetime.date(1980, 1, 22))
    record_outreach_attempt(
        patient=signed,
        program=hh,
        by=bob,
        data=AttemptData(
            method="in_person", outcome="reached", attempted_at=timezone.now() - datetime.timedelta(hours=3)
        ),
    )
    record_consent(
        patient=signed, data=ConsentData(form="DOH-5055", signed_on=timezone.localdate(), partners=[agency]), by=bob
    )
    enrolled = make_patient(alice, family_name="Reyes", given_names="Tomás", birth_date=datetime.date(1962, 9, 5))
    record_consent(
        patient=enrolled, data=ConsentData(form="DOH-5055", signed_on=timezone.localdate(), partners=[agency]), by=alice
    )
    enroll(patient=enrolled, program=hh, by=alice, care_manager=bob, acuity="medium")
    accepted = make_patient(dr_lee, family_name="Chen", given_names="Wei", birth_date=datetime.date(1949, 4, 30))
    accept_referral(
        referral=refer_to_program(
            patient=accepted, program=hh, receiving_organization=agency, source="provider", by=dr_lee
        ),
        by=alice,
    )


def test_referral_to_enrollment(page, live_server, network):  # noqa: F811
    base = live_server.url
    maria = network["maria"]
    sign_in(page, base, network["alice"])

    # 1. The referral inbox: accept the referral; the chart opens.
    page.click("nav.mainnav >> text=Referrals")
    page.wait_for_url(f"{base}/programs/referrals/")
    row = page.locator(f"#referral-{network['referral'].pk}")
    assert "García, María José" in row.inner_text() and "two ED visits" in row.inner_text()
    assert "Eastside Primary Care" in row.inner_text()
    snap(page, "20-referral-inbox")
    row.locator("button:has-text('Accept')").click()
    page.wait_for_url(f"**/patients/{maria.pk}/**")
    assert "Accepted" in page.locator(".messages").inner_text()
    assert "No consent recorded" in page.locator(".chart-head").inner_text()

    # 2. Two outreach attempts, logged in the chart without leaving it (htmx swaps the section).
    section = page.locator("#programs")
    assert "No outreach in progress" not in section.inner_text()
    page.select_option("#id_attempt-method", "phone")
    page.select_option("#id_attempt-outcome", "no_answer")
    page.fill("#id_attempt-duration_minutes", "2")
    page.click("#attempt-form button[type=submit]")
    page.wait_for_selector("#programs .notice.ok")
    assert "Outreach attempt logged" in page.locator("#programs .notice.ok").inner_text()
    page.click("#programs .log-attempt > summary")
    page.select_option("#id_attempt-method", "in_person")
    page.select_option("#id_attempt-outcome", "reached")
    page.fill("#id_attempt-duration_minutes", "35")
    page.fill("#id_attempt-note", "Met at home with her daughter; interested, wants to read the consent first.")
    page.click("#attempt-form button[type=submit]")
    page.locator("#outreach-log tbody tr").nth(1).wait_for()
    log = page.locator("#outreach-log").inner_text()
    assert "In person" in log and "No answer" in log and "wants to read the consent" in log
    assert OutreachAttempt.objects.filter(patient=maria).count() == 2

    # The month is claimed: the rules' verdict shows in place.
    page.click("#programs button:has-text('Claim the month')")
    page.wait_for_selector("#claim-verdict")
    verdict = page.locator("#claim-verdict").inner_text()
    assert "billable outreach month" in verdict
    assert "1 of 4" in page.locator("#programs .standing").inner_text()
    snap(page, "21-chart-programs-outreach", "#programs")

    # 3. Enrolling before consent says what is missing.
    page.click(f"#programs .section-head a[href='/programs/patients/{maria.pk}/enroll/']")
    page.select_option("#id_program", "ny-hh-adult")
    page.click("form.card button[type=submit]")
    assert "needs a signed DOH-5055" in page.locator("#consent-missing").inner_text()
    snap(page, "21b-enroll-consent-missing")

    # 4. The consent: DOH-5055 with partners.
    page.click("#consent-missing >> text=Record the consent")
    page.wait_for_url(f"**/consents/patients/{maria.pk}/new/")
    assert page.locator(".part2-only").is_hidden()
    page.check("input[name=form][value='42-CFR-2']")
    assert page.locator(".part2-only").is_visible()
    snap(page, "22b-consent-form-part2")
    page.check("input[name=form][value='DOH-5055']")
    assert page.locator(".part2-only").is_hidden()
    page.check(f"input[name=partners][value='{network['health_home'].pk}']")
    page.check(f"input[name=partners][value='{network['plan'].pk}']")
    page.select_option("#id_language", "es")
    page.check("#id_interpreter_used")
    page.check("#id_copy_given")
    snap(page, "22-consent-form")
    page.click("#consent-form .form-actions button[type=submit]")
    page.wait_for_url("**/consents/*/")
    partners = page.locator(".partner-table").inner_text()
    for name in ("Brooklyn Care Partners", "Coney Island Health Home", "Harbor Community Health Plan"):
        assert name in partners
    snap(page, "23-consent-view")

    # 5. Enroll with a care manager; the chart shows the enrollment and the care team.
    page.goto(f"{base}/programs/patients/{maria.pk}/enroll/")
    page.select_option("#id_program", "ny-hh-adult")
    page.select_option("#id_care_manager", str(network["alice"].pk))
    page.select_option("#id_acuity", "high")
    page.click("form.card button[type=submit]")
    page.wait_for_url(f"**/patients/{maria.pk}/**")
    enrollment = Enrollment.objects.get(patient=maria)
    assert enrollment.status == EnrollmentStatus.ACTIVE and enrollment.care_manager == network["alice"]
    programs = page.locator("#programs").inner_text()
    assert "Enrolled" in programs and "Alice Nguyen" in programs and "High" in programs
    assert "DOH-5055 consent · 3 partners" in page.locator(".chart-head").inner_text()
    if page.locator("#care-team").count():
        assert "Alice Nguyen" in page.locator("#care-team").inner_text()
    snap(page, "24-chart-programs-enrolled", "#programs")
    snap(page, "25-chart-enrolled")

    # 6. The board: every column, the person enrolled with her care manager; keyboard moves card to card.
    page.click("nav.mainnav >> text=Enrollment")
    page.wait_for_url(f"{base}/programs/board/")
    enrolled = page.locator(".stage-enrolled").inner_text()
    assert "García, María José" in enrolled and "Care manager: Alice Nguyen" in enrolled
    assert "Okafor, Grace" in page.locator(".stage-referred").inner_text()
    assert "Lindqvist, Karl" in page.locator(".stage-outreach").inner_text()
    assert "Haddad, Samira" in page.locator(".stage-consented").inner_text()
    snap(page, "26-enrollment-board")
    page.locator("h1").click()
    page.keyboard.press("j")
    assert page.evaluate("document.activeElement.classList.contains('card-name')")
    page.select_option("#board-program", "complex-care")
    page.wait_for_function("() => !document.querySelector('#board').innerText.includes('García')")
    assert "program=complex-care" in page.url
    assert page.console_errors == []


def snap(view, name: str, selector: str = "") -> None:
    """A full-page screenshot from the top (the sticky bar stays at the top), or of one element of the page."""
    view.evaluate("window.scrollTo(0, 0)")
    if not selector:
        shoot(view, name)
        return
    from carecoord.web.tests.test_browser import SCREENSHOTS

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    box = view.locator(selector).bounding_box()
    assert box is not None
    margin = 8
    clip = {
        "x": max(0, box["x"] - margin),
        "y": max(0, box["y"] - margin),
        "width": box["width"] + 2 * margin,
        "height": box["height"] + 2 * margin,
    }
    view.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True, clip=clip)
