"""The productivity report (/team/productivity/): a month's figures per care manager, the chart, the CSV."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from carecoord.audit.models import AuditRecord
from carecoord.contacts.actions import record_time
from carecoord.contacts.tests.helpers import PAST_MONTH, contact, enrolled, in_month
from carecoord.programs.actions import AttemptData, record_outreach_attempt
from carecoord.programs.models import Program
from carecoord.supervision.tests.helpers import make_crew
from carecoord.testing.factories import make_patient
from carecoord.web.testing import plain_static_files, signed_in  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def crew():
    return make_crew()


def _attempt(by, outcome):
    record_outreach_attempt(
        patient=make_patient(by),
        program=Program.objects.get(code="ny-hh-adult"),
        data=AttemptData(method="phone", outcome=outcome, attempted_at=timezone.now()),
        by=by,
    )


@pytest.fixture
def month_of_work(crew):
    one = enrolled(crew.alice, "ny-hh-adult", care_manager=crew.alice)
    two = enrolled(crew.alice, "ny-hh-adult", care_manager=crew.alice)
    contact(one, crew.alice, minutes=20, services=("care-management", "care-coordination"))
    contact(one, crew.alice, minutes=10, services=("patient-family-support",))  # the same person again
    contact(two, crew.alice, minutes=5, outcome="no_answer", services=("care-management",))  # not reached
    contact(two, crew.alice, when=in_month(PAST_MONTH), minutes=45)  # another month
    record_time(patient=one.patient, activity="care_plan", minutes=25, by=crew.alice, enrollment=one)
    _attempt(crew.alice, "reached")
    _attempt(crew.alice, "declined")
    _attempt(crew.alice, "no_answer")  # the failed attempt lowers the success rate to 2 of 3
    _attempt(crew.bob, "reached")
    other = enrolled(crew.olga, "ny-hh-adult", care_manager=crew.olga)
    contact(other, crew.olga, minutes=60)
    return crew


def _rows(response):
    return {row["name"].split()[0]: row for row in response.context["rows"]}


def test_figures_per_care_manager(client, month_of_work):
    crew = month_of_work
    response = signed_in(client, crew.sam).get(reverse("supervision:productivity"))
    assert response.status_code == 200
    rows = _rows(response)
    assert set(rows) == {"Alice", "Bob", "Sam"}  # Olga is not on Sam's team
    alice = rows["Alice"]
    assert (alice["contacts"], alice["contact_minutes"], alice["time_minutes"], alice["minutes"]) == (3, 35, 25, 60)
    assert (alice["people_reached"], alice["core_services"]) == (1, 3)
    assert (alice["outreach_attempts"], alice["outreach_successes"], alice["outreach_rate"]) == (3, 2, "67%")
    assert (rows["Bob"]["outreach_rate"], rows["Sam"]["outreach_rate"]) == ("100%", "—")
    totals = response.context["totals"]
    assert (totals["contacts"], totals["minutes"], totals["outreach_attempts"], totals["outreach_rate"]) == (
        3,
        60,
        4,
        "75%",
    )
    html = response.content.decode()
    assert '<svg class="chart" role="img"' in html and '<title id="chart-title">Contacts and people reached' in html
    assert "3 contacts" in html and "1 person reached" in html


def test_an_earlier_month(client, month_of_work):
    crew = month_of_work
    response = signed_in(client, crew.sam).get(reverse("supervision:productivity"), {"month": f"{PAST_MONTH:%Y-%m}"})
    alice = _rows(response)["Alice"]
    assert (alice["contacts"], alice["minutes"], alice["outreach_attempts"]) == (1, 45, 0)


def test_a_month_that_is_not_one_is_refused(client, crew):
    response = signed_in(client, crew.sam).get(reverse("supervision:productivity"), {"month": "2026-13"})
    assert response.status_code == 400
    assert "is not a month" in response.content.decode()
    csv_response = client.get(reverse("supervision:productivity_csv"), {"month": "last"})
    assert csv_response.status_code == 400


def test_csv_download(client, month_of_work):
    crew = month_of_work
    month = f"{timezone.localdate():%Y-%m}"
    response = signed_in(client, crew.sam).get(reverse("supervision:productivity_csv"), {"month": month})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == f'attachment; filename="productivity-{month}.csv"'
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row["care_manager"].split()[0] for row in rows] == ["Alice", "Bob", "Sam", "Team"]
    alice = rows[0]
    assert (alice["month"], alice["contacts"], alice["minutes"], alice["people_reached"]) == (month, "3", "60", "1")
    assert (alice["core_services"], alice["outreach_attempts"], alice["outreach_success_rate"]) == ("3", "3", "66.7")
    assert rows[2]["outreach_success_rate"] == ""
    export = AuditRecord.objects.get(action="export", object_type="ProductivityReport")
    assert export.detail == {"month": month, "staff": 3}


def test_an_administrator_reads_everyones_figures(client, month_of_work):
    crew = month_of_work
    response = signed_in(client, crew.ada).get(reverse("supervision:productivity"))
    rows = _rows(response)
    assert set(rows) == {"Alice", "Bob", "Olga", "Sam"}
    assert (rows["Olga"]["contacts"], rows["Olga"]["minutes"], rows["Olga"]["people_reached"]) == (1, 60, 1)
