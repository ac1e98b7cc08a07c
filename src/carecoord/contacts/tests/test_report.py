"""The billing report through the CLI (`carecoord billing-report`) and the billing page over HTTP: rows with
status, codes and reasons, exit codes, totals by program, agency and care manager, the CSV download, and the
month close and reopening from the page."""

from __future__ import annotations

import csv
import io
import os
import re

import pytest
from django.urls import reverse

from carecoord.audit.models import AuditRecord
from carecoord.contacts.actions import close_month
from carecoord.contacts.billing.report import COLUMNS
from carecoord.contacts.models import BillingCorrection, MonthClose, MonthStatus, Readiness
from carecoord.contacts.tests.helpers import PAST_MONTH, THIS_MONTH, contact, enrolled, in_month, minutes_in
from carecoord.testing.cli import run_carecoord
from carecoord.testing.factories import make_user
from carecoord.web.testing import plain_static_files, signed_in  # noqa: F401
from carecoord.web.tests.test_browser import browser, page  # noqa: F401

pytestmark = pytest.mark.django_db
MONTH = f"{PAST_MONTH:%Y-%m}"


@pytest.fixture
def dan_cm(agency):
    return make_user("dan_cm", role="care_manager", organization=agency, first_name="Dan", last_name="Levy")


@pytest.fixture
def caseload(alice_rn, dan_cm, maria):
    """Four enrollments at the agency in the past month: a Health Home month with a core service (billable), one
    without (not billable), CCM with 60 minutes (99490 + 99439 x2), and a Health Home person with no care
    manager."""
    hh = enrolled(alice_rn, "ny-hh-adult", patient=maria, care_manager=alice_rn, acuity="high")
    contact(hh, alice_rn, when=in_month(PAST_MONTH, 8))
    idle = enrolled(alice_rn, "ny-hh-adult", care_manager=dan_cm)
    ccm = enrolled(alice_rn, "medicare-ccm", care_manager=alice_rn)
    minutes_in(ccm, alice_rn, 60)
    nobody = enrolled(alice_rn, "ny-hh-adult")
    contact(nobody, alice_rn, when=in_month(PAST_MONTH, 9))
    return {"hh": hh, "idle": idle, "ccm": ccm, "nobody": nobody}


def _csv(text):
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_cli_prints_one_row_per_person_program_and_month(capsys, monkeypatch, caseload, maria):
    code, out, err = run_carecoord(
        capsys, monkeypatch, "billing-report", "--month", MONTH, "--org", "Brooklyn Care Partners"
    )
    assert code == 0, err
    header, rows = _csv(out)
    assert tuple(header) == COLUMNS
    by_patient = {row["patient_id"]: row for row in rows}
    assert len(rows) == 4
    hh = by_patient[str(maria.pk)]
    assert (hh["month"], hh["program"], hh["status"], hh["codes"], hh["closed"]) == (
        MONTH,
        "ny-hh-adult",
        "billable",
        "hh-enrolledx1",
        "no",
    )
    assert hh["name"] == "García, María José" and hh["care_manager"] == "Alice Nguyen"
    ccm = by_patient[str(caseload["ccm"].patient_id)]
    assert (ccm["status"], ccm["codes"], ccm["rate"]) == ("billable", "99490x1;99439x2", "CCM")
    idle = by_patient[str(caseload["idle"].patient_id)]
    assert (idle["status"], idle["codes"]) == ("not_billable", "")
    assert idle["reasons"] == "No core service was delivered this month."
    assert "4/4" in err  # progress on standard error
    export = AuditRecord.objects.get(action="export", object_type="MonthStatus")
    assert (export.channel, export.purpose, export.detail["rows"]) == ("cli", "HOPERAT", 4)


def test_cli_shows_closed_figures_and_corrections(capsys, monkeypatch, agency, alice_rn, sam_supervisor, caseload):
    close_month(organization=agency, month=PAST_MONTH, by=sam_supervisor)
    contact(caseload["idle"], alice_rn, when=in_month(PAST_MONTH, 28))
    code, out, _ = run_carecoord(capsys, monkeypatch, "billing-report", "--month", MONTH, "--org", str(agency.pk))
    assert code == 0
    idle = {row["patient_id"]: row for row in _csv(out)[1]}[str(caseload["idle"].patient_id)]
    assert (idle["status"], idle["closed"]) == ("not_billable", "yes")
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d not_billable->billable hh-enrolledx1 \(Contact by alice_rn\)", idle["corrections"]
    )


def test_cli_without_org_covers_every_organization(capsys, monkeypatch, caseload, eve_outsider):
    theirs = enrolled(eve_outsider, "ny-hh-adult", care_manager=eve_outsider)
    code, out, _ = run_carecoord(capsys, monkeypatch, "billing-report", "--month", MONTH)
    assert code == 0
    _, rows = _csv(out)
    assert out.count("month,organization") == 1
    assert {row["organization"] for row in rows} == {"Brooklyn Care Partners", "Queens Community Care"}
    assert str(theirs.patient_id) in {row["patient_id"] for row in rows} and len(rows) == 5


@pytest.mark.parametrize("month", ["2026-13", "October", "2026/10", ""])
def test_cli_refuses_a_month_that_is_not_one(capsys, monkeypatch, caseload, month):
    code, out, err = run_carecoord(capsys, monkeypatch, "billing-report", "--month", month)
    assert code == 1 and out == ""
    assert "--month must be a month as YYYY-MM" in err


def test_cli_refuses_an_unknown_organization(capsys, monkeypatch, caseload):
    code, out, err = run_carecoord(capsys, monkeypatch, "billing-report", "--month", MONTH, "--org", "Nowhere Care")
    assert code == 1 and out == ""
    assert "No organization named or numbered 'Nowhere Care'" in err


def _totals(html, table_label):
    """{label: (billable, at risk, not billable, people, rate)} of one totals table on the page."""
    section = html.split(f'id="{table_label}"', 1)[1].split("</table>", 1)[0]
    found = {}
    for label, cells in re.findall(r'<tr data-total="([^"]*)">(.*?)</tr>', section, re.S):
        numbers = re.findall(r'<td class="num">([^<]*)</td>', cells)
        found[label] = tuple(numbers)
    return found


def test_the_page_totals_by_program_agency_and_care_manager(client, sam_supervisor, caseload):
    response = signed_in(client, sam_supervisor).get(reverse("contacts:billing"), {"month": MONTH})
    assert response.status_code == 200
    html = response.content.decode()
    assert _totals(html, "t-program") == {
        "NY Health Home (adult)": ("2", "0", "1", "3", "67%"),
        "Medicare Chronic Care Management": ("1", "0", "0", "1", "100%"),
    }
    assert _totals(html, "t-agency") == {"Brooklyn Care Partners": ("3", "0", "1", "4", "75%")}
    assert _totals(html, "t-cm") == {
        "Alice Nguyen": ("2", "0", "0", "2", "100%"),
        "Dan Levy": ("0", "0", "1", "1", "0%"),
        "No care manager": ("1", "0", "0", "1", "100%"),
    }
    assert html.count("data-item") == 4 and "No core service was delivered this month." in html
    assert 'href="/contacts/billing/report.csv?month=' in html and "Close " in html
    read = AuditRecord.objects.get(action="read", object_type="MonthStatus")
    assert (read.user_id, read.detail["rows"]) == (sam_supervisor.pk, 4)


def test_the_page_is_for_supervisors_and_admins(client, alice_rn, olga_admin, caseload):
    assert signed_in(client, alice_rn).get(reverse("contacts:billing")).status_code == 403
    assert client.get(reverse("contacts:billing_csv")).status_code == 403
    assert signed_in(client, olga_admin).get(reverse("contacts:billing"), {"month": MONTH}).status_code == 200


def test_csv_download_is_the_same_report(client, sam_supervisor, caseload):
    response = signed_in(client, sam_supervisor).get(reverse("contacts:billing_csv"), {"month": MONTH})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert f'filename="billing-{MONTH}.csv"' in response["Content-Disposition"]
    header, rows = _csv(b"".join(response.streaming_content).decode())
    assert tuple(header) == COLUMNS and len(rows) == 4
    assert {row["codes"] for row in rows} == {"hh-enrolledx1", "", "99490x1;99439x2"}
    assert AuditRecord.objects.filter(action="export", user_id=sam_supervisor.pk).count() == 1


def test_close_from_the_page_with_a_confirmation(client, agency, alice_rn, sam_supervisor, caseload):
    signed_in(client, sam_supervisor)
    confirm = client.get(reverse("contacts:billing_close"), {"month": MONTH}).content.decode()
    assert "<strong>4</strong> enrollments" in confirm and "will not change the closed figures" in confirm
    response = client.post(reverse("contacts:billing_close"), {"month": MONTH})
    assert response.status_code == 302
    close = MonthClose.objects.get()
    assert (close.month, close.closed_by, close.enrollments, close.billable) == (PAST_MONTH, sam_supervisor, 4, 3)
    contact(caseload["idle"], alice_rn, when=in_month(PAST_MONTH, 27))
    html = client.get(response["Location"]).content.decode()
    assert 'id="closed-banner"' in html and "closed by Sam Rivera" in html
    assert html.count("data-correction") == 1 and "Not billable" in html and "A contact" in html
    assert _totals(html, "t-agency") == {"Brooklyn Care Partners": ("3", "0", "1", "4", "75%")}  # closed figures
    assert "Reopen" not in html  # supervisors close; administrators reopen


def test_a_care_manager_cannot_close_and_the_current_month_is_refused(client, alice_rn, sam_supervisor, caseload):
    assert signed_in(client, alice_rn).post(reverse("contacts:billing_close"), {"month": MONTH}).status_code == 403
    signed_in(client, sam_supervisor)
    response = client.post(reverse("contacts:billing_close"), {"month": f"{THIS_MONTH:%Y-%m}"}, follow=True)
    assert "Only a month that has ended can be closed." in response.content.decode()
    assert not MonthClose.objects.exists()


def test_an_admin_reopens_with_a_reason(client, agency, alice_rn, sam_supervisor, olga_admin, caseload):
    close_month(organization=agency, month=PAST_MONTH, by=sam_supervisor)
    contact(caseload["idle"], alice_rn, when=in_month(PAST_MONTH, 27))
    signed_in(client, olga_admin)
    html = client.get(reverse("contacts:billing"), {"month": MONTH}).content.decode()
    assert 'id="reopen-reason"' in html
    refused = client.post(reverse("contacts:billing_reopen"), {"month": MONTH, "reason": ""}, follow=True)
    assert "Say why the month is reopened." in refused.content.decode()
    response = client.post(
        reverse("contacts:billing_reopen"), {"month": MONTH, "reason": "Late visit notes"}, follow=True
    )
    html = response.content.decode()
    assert "is open again" in html and 'id="closed-banner"' not in html
    assert MonthClose.objects.get().reopen_reason == "Late visit notes"
    assert MonthStatus.objects.get(enrollment=caseload["idle"], month=PAST_MONTH).status == Readiness.BILLABLE
    assert BillingCorrection.objects.count() == 1 and "before the month was reopened" in html


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_the_browser_a_supervisor_closes_the_month_by_keyboard(page, live_server):  # noqa: F811
    from carecoord.testing.factories import make_organization, make_patient
    from carecoord.web.tests.test_browser import sign_in

    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    agency = make_organization("Brooklyn Care Partners", "care_management_agency")
    alice = make_user(
        "alice_rn",
        role="licensed_care_manager",
        organization=agency,
        licensed=True,
        first_name="Alice",
        last_name="Nguyen",
    )
    sam = make_user("sam_supervisor", role="supervisor", organization=agency, first_name="Sam", last_name="Rivera")
    for i, (family, given) in enumerate([("García", "María José"), ("Okafor", "Chidi"), ("Levy", "Ruth")]):
        hh = enrolled(alice, "ny-hh-adult", patient=make_patient(alice, family_name=family, given_names=given))
        if i < 2:
            contact(hh, alice, when=in_month(PAST_MONTH, 8 + i))
    ccm = enrolled(alice, "medicare-ccm", care_manager=alice)
    minutes_in(ccm, alice, 45)
    sign_in(page, live_server.url, sam)
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Billing").click()
    page.goto(f"{live_server.url}/contacts/billing/?month={MONTH}")
    assert "75%" in page.locator("[data-total='Brooklyn Care Partners']").inner_text()
    page.screenshot(path="/tmp/billing_open.png", full_page=True)
    page.get_by_role("link", name=re.compile(r"^Close ")).focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Closing judges each of the")
    assert page.evaluate("document.activeElement.textContent").startswith("Close ")  # the button has the focus
    page.keyboard.press("Enter")
    page.wait_for_selector("#closed-banner")
    assert "closed by Sam Rivera" in page.locator("#closed-banner").inner_text()
    page.screenshot(path="/tmp/billing_closed.png", full_page=True)
    assert MonthClose.objects.get().enrollments == 4
    assert page.console_errors == []
