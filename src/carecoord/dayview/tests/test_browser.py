"""In the browser: a care manager opens the day, moves with j/k and opens a row's action with Enter; the chips
filter. Screenshot: /tmp/dayview_full.png."""

from __future__ import annotations

import os

import pytest

from carecoord.dayview.tests.builders import full_day
from carecoord.testing.factories import make_organization, make_patient, make_user
from carecoord.web.testing import plain_static_files  # noqa: F401
from carecoord.web.tests.test_browser import browser, page, sign_in  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def test_the_day_by_keyboard(page, live_server):  # noqa: F811
    agency = make_organization("Brooklyn Care Partners", "care_management_agency")
    alice = make_user(
        "alice_rn",
        role="licensed_care_manager",
        organization=agency,
        licensed=True,
        first_name="Alice",
        last_name="Nguyen",
    )
    maria = make_patient(alice, family_name="García", given_names="María José")
    full_day(alice, maria, agency)
    sign_in(page, live_server.url, alice)
    page.goto(f"{live_server.url}/today/")
    page.screenshot(path="/tmp/dayview_full.png", full_page=True)
    first = page.locator("tr[data-item]").first
    assert "Safety" in first.inner_text()
    page.keyboard.press("j")
    page.keyboard.press("j")
    second = page.locator("tr[data-item]").nth(1)
    assert "is-current" in (second.get_attribute("class") or "")
    href = second.locator("td.why a").get_attribute("href")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{href}")
    page.goto(f"{live_server.url}/today/")
    page.click("#day-chips [data-kind=referrals]")
    page.wait_for_url("**kind=referrals")
    assert page.locator("tr[data-item]").count() == 1
    assert page.console_errors == []
