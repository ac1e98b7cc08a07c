"""In the browser: start a timer on the chart, reload, log a phone contact with a core service by keyboard-light
quick entry, and see the month turn billable. Screenshots go to /tmp/contacts_*.png."""

from __future__ import annotations

import datetime
import os
import re

import pytest
from django.utils import timezone

from carecoord.contacts.models import Contact, ContactTimer
from carecoord.contacts.tests.helpers import enrolled
from carecoord.testing.factories import make_organization, make_patient, make_user
from carecoord.web.testing import plain_static_files  # noqa: F401  (serve the files as they are, not a stale manifest)
from carecoord.web.tests.test_browser import browser, page, sign_in  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def test_timer_then_phone_contact_turns_the_month_billable(page, live_server):  # noqa: F811
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
    enrolled(alice, "ny-hh-adult", patient=maria, care_manager=alice, acuity="high")
    sign_in(page, live_server.url, alice)
    page.goto(f"{live_server.url}/patients/{maria.pk}/")
    panel = page.locator("#contact-log")
    assert "At risk" in panel.locator("[data-readiness=ny-hh-adult]").inner_text()
    panel.screenshot(path="/tmp/contacts_at_risk.png")

    page.click("[data-timer-button]")
    page.wait_for_selector("[data-timer-start]")
    # A reload (or another tab) still shows the running timer: its start is kept on the server.
    ContactTimer.objects.update(started_at=timezone.now() - datetime.timedelta(minutes=7, seconds=10))
    page.reload()
    expect = pytest.importorskip("playwright.sync_api").expect
    expect(page.locator("[data-timer-elapsed]")).to_have_text(re.compile(r"^7:[0-5][0-9]$"))

    page.locator("h1").first.click()
    page.keyboard.press("c")  # `c` focuses quick entry; phone, reached and the enrollment are the defaults
    assert page.evaluate("document.activeElement.name") == "modality"
    page.check("input[name=core_services][value=care-management]")
    page.fill("#id_purpose", "Checked on new medication; appointment on Friday confirmed.")
    page.click("button[name=use_timer]")
    page.wait_for_selector("[data-readiness=ny-hh-adult] [data-status=billable]")
    contact = Contact.objects.get()
    assert (contact.modality, contact.duration_minutes, contact.timed) == ("phone", 8, True)
    assert page.locator("[data-timer-start]").count() == 0
    assert "8 min recorded" in panel.inner_text()
    panel.screenshot(path="/tmp/contacts_billable.png")
    page.screenshot(path="/tmp/contacts_chart.png", full_page=True)
    assert page.console_errors == []
