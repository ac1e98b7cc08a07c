"""What a person does in the browser: sign in with a second factor, search, open a chart, register someone.

Drives Debian's Chromium through Playwright against pytest-django's live server, and writes a full-page
screenshot of each main page to ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from carecoord.audit.actions import break_glass
from carecoord.testing.factories import PASSWORD, make_organization, make_patient, make_user
from carecoord.web.testing import confirmed_device, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Playwright's sync API keeps an event loop in this thread; the test's own ORM calls are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SCREENSHOTS = Path(__file__).resolve().parents[4] / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's Chromium is not installed")
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda message: _keep_error(page.console_errors, message))
    page.on("pageerror", lambda error: page.console_errors.append(str(error)))
    yield page
    context.close()


def _keep_error(errors: list[str], message) -> None:
    """Script errors and CSP refusals; a 4xx status for a form with errors is expected."""
    if message.type == "error" and "Failed to load resource" not in message.text:
        errors.append(message.text)


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def sign_in(page, base: str, user, *, screenshot: str = "") -> None:
    """Password, then the code from the user's authenticator (created here if they have none)."""
    device = confirmed_device(user)
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/accounts/mfa/**")
    page.fill("#id_code", totp_code(device))
    if screenshot:
        shoot(page, screenshot)
    page.click("button.btn[type=submit]")
    page.wait_for_load_state()


@pytest.fixture
def agency_people(db):
    agency = make_organization("Brooklyn Care Partners", "care_management_agency")
    alice = make_user(
        "alice_rn",
        role="licensed_care_manager",
        organization=agency,
        licensed=True,
        first_name="Alice",
        last_name="Nguyen",
    )
    maria = make_patient(
        alice, family_name="García", given_names="María José", preferred_name="Majo", pronouns="she/her"
    )
    make_patient(
        alice, family_name="Garcia-Lopez", given_names="Ana", interpreter_needed=False, preferred_language="en"
    )
    make_patient(alice, family_name="Garner", given_names="Luis")
    return {"agency": agency, "alice": alice, "maria": maria}


def test_care_manager_signs_in_searches_opens_chart_and_registers(page, live_server, agency_people):
    base = live_server.url
    alice = agency_people["alice"]

    page.goto(f"{base}/accounts/login/")
    assert page.locator("h1").inner_text() == "Sign in"
    shoot(page, "01-login")
    page.fill("#id_username", "alice_rn")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/accounts/mfa/**")
    assert page.locator(".qr svg").count() == 1
    shoot(page, "02-mfa-enrol")
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=alice, confirmed=False)
    page.fill("#id_code", totp_code(device))
    page.click("button.btn[type=submit]")
    page.wait_for_url(f"{base}/patients/")

    # "/" focuses the search box from anywhere on the page; results arrive as one types.
    page.locator("h1").click()
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "patient-q"
    page.keyboard.type("garc", delay=40)
    page.wait_for_selector("[data-list] [data-item]")
    page.wait_for_function("document.querySelectorAll('[data-list] [data-item]').length === 2")
    rows = page.locator("[data-list] [data-item]")
    assert "García, María José" in rows.first.inner_text()
    assert "Interpreter" in rows.first.inner_text()
    assert "q=garc" in page.url
    shoot(page, "03-search-results")

    # Keyboard: down into the list, Enter opens the chart.
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/patients/{agency_people['maria'].pk}/")
    header = page.locator(".chart-head").inner_text()
    assert "Majo" in header and "she/her" in header and "Interpreter needed" in header
    assert "No consent recorded" in header
    shoot(page, "04-chart")

    # "?" lists the shortcuts.
    page.keyboard.press("?")
    assert page.locator("#shortcuts").is_visible()
    page.keyboard.press("Escape")

    # Register someone, first with a mistake in the ZIP code.
    page.goto(f"{base}/patients/new/")
    page.fill("#id_family_name", "Okafor")
    page.fill("#id_given_names", "Grace")
    page.fill("#id_birth_date", "1958-11-02")
    page.select_option("#id_sex", "female")
    page.select_option("#id_preferred_language", "ht")
    page.check("#id_interpreter_needed")
    page.fill("#id_identifiers-0-value", "GH24680K")
    page.fill("#id_addresses-0-line1", "410 Ralph Ave")
    page.fill("#id_addresses-0-city", "Brooklyn")
    page.fill("#id_addresses-0-state", "NY")
    page.fill("#id_addresses-0-postal_code", "112")
    page.fill("#id_phones-0-number", "347-555-0148")
    page.check("#id_phones-0-text_consent")
    page.click("[data-add-row=phones]")
    page.fill("#id_phones-1-number", "718 555 0190")
    page.select_option("#id_phones-1-kind", "home")
    page.fill("#id_contacts-0-name", "Ruth Okafor")
    page.select_option("#id_contacts-0-relationship", "child")
    page.check("#id_contacts-0-is_emergency")
    page.click("#patient-form .form-actions button[type=submit]")
    summary = page.locator("#error-summary")
    assert summary.is_visible()
    assert "A ZIP code is 5 digits" in summary.inner_text()
    assert "A ZIP code is 5 digits" in page.locator("#id_addresses-0-postal_code_error").inner_text()
    assert page.locator("#id_phones-1-number").input_value() == "718 555 0190"  # the added row survives
    shoot(page, "05-register-errors")

    summary.locator("a").first.click()
    page.fill("#id_addresses-0-postal_code", "11233")
    page.click("#patient-form .form-actions button[type=submit]")
    page.wait_for_selector(".chart-head")
    header = page.locator(".chart-head").inner_text()
    assert "Okafor, Grace" in header and "Haitian Creole" in header
    assert page.locator("text=Texts OK").count() == 1
    assert page.console_errors == []


def test_admin_auditor_and_supervisor_pages(page, live_server, agency_people):
    base = live_server.url
    agency = agency_people["agency"]
    other = make_organization("Queens Community Care", "care_management_agency")
    outsider = make_patient(
        make_user("eve_outsider", role="care_manager", organization=other), family_name="Lindqvist", given_names="Karl"
    )
    bob = make_user(
        "bob_coordinator", role="care_coordinator", organization=agency, first_name="Bob", last_name="Okafor"
    )
    break_glass(user=bob, patient=outsider, reason="Caller says Karl collapsed at the pantry; need his contacts")
    olga = make_user("olga_admin", role="org_admin", organization=agency, first_name="Olga", last_name="Park")
    audrey = make_user("audrey_auditor", role="auditor", organization=agency, first_name="Audrey", last_name="Cole")
    sam = make_user("sam_supervisor", role="supervisor", organization=agency, first_name="Sam", last_name="Rivera")

    sign_in(page, base, olga, screenshot="06-mfa-verify")
    page.wait_for_url(f"{base}/admin-center/")
    page.goto(f"{base}/admin-center/users/")
    table = page.locator("main table").inner_text()
    assert "Alice Nguyen" in table and "Licensed care manager" in table
    shoot(page, "07-admin-users")
    page.goto(f"{base}/admin-center/")
    shoot(page, "08-admin-organization")
    page.goto(f"{base}/admin-center/tokens/")
    page.fill("#id_name", "Monthly reporting script")
    page.click("form.card button[type=submit]")
    assert page.locator("#new-token").inner_text().startswith("cc_")
    shoot(page, "08b-admin-tokens")
    page.click("summary")
    page.click("text=Sign out")
    page.wait_for_url(f"{base}/accounts/login/")

    sign_in(page, base, audrey)
    page.wait_for_url(f"{base}/audit/")
    assert page.locator("main tbody tr").count() > 5
    shoot(page, "09-audit-trail")
    page.fill("#id_username", "bob_coordinator")
    page.click("form.card button[type=submit]")
    page.wait_for_load_state()
    assert "Break the glass" in page.locator("main tbody").inner_text()
    page.click("summary")
    page.click("text=Sign out")

    sign_in(page, base, sam)
    page.goto(f"{base}/supervisor/break-glass/")
    assert "Karl collapsed" in page.locator("main").inner_text()
    shoot(page, "10-break-glass-queue")
    page.check("input[value=appropriate]")
    page.fill("textarea[name=note]", "Confirmed with the pantry manager.")
    page.click("text=Record review")
    page.wait_for_selector("text=Nothing to review")
    assert page.console_errors == []


def test_tablet_width_keeps_the_chart_readable(browser, live_server, agency_people):
    context = browser.new_context(viewport={"width": 800, "height": 1100})
    page = context.new_page()
    sign_in(page, live_server.url, agency_people["alice"])
    page.goto(f"{live_server.url}/patients/{agency_people['maria'].pk}/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 800
    shoot(page, "11-chart-tablet")
    context.close()


def test_emergency_access_from_the_denied_page(page, live_server, agency_people):
    base = live_server.url
    other = make_organization("Queens Community Care", "care_management_agency")
    karl = make_patient(
        make_user("eve_outsider", role="care_manager", organization=other), family_name="Lindqvist", given_names="Karl"
    )
    sign_in(page, base, agency_people["alice"])
    page.wait_for_url(f"{base}/patients/")
    # "g p" comes back to patient search from anywhere.
    page.goto(f"{base}/patients/{karl.pk}/")
    assert "You do not have access" in page.locator("h1").inner_text()
    assert "Lindqvist" not in page.content()
    shoot(page, "12-access-denied")
    page.fill("#id_reason", "Karl is in our ED and cannot speak; need his contacts")
    page.click("button:has-text('Emergency access')")
    page.wait_for_selector(".banner-glass")
    assert "Lindqvist, Karl" in page.locator(".chart-head").inner_text()
    shoot(page, "13-chart-emergency-access")
    page.locator("h1").click()
    page.keyboard.press("g")
    page.keyboard.press("p")
    page.wait_for_url(f"{base}/patients/")
    assert page.console_errors == []
