"""Referral outcomes (issue 6 part 7): counts and step times by need, partner and outcome, through the access
function, the page, its CSV and the `referral-report` command. The referrals are made and moved by the actions,
at chosen moments, so every figure below is worked out by hand from those moments."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.test import Client
from django.utils import timezone

from carecoord.audit.models import AuditOutcome, AuditRecord
from carecoord.common.errors import AccessDenied, ValidationFailed
from carecoord.referrals.actions import Actor, change_status, upsert_partner
from carecoord.referrals.report import OutcomeFilters, access_outcomes
from carecoord.referrals.states import ReferralStatus, Side
from carecoord.referrals.tests.builders import World, directory_service, send, world
from carecoord.testing.cli import run_carecoord
from carecoord.testing.factories import make_organization, make_user
from carecoord.web.testing import plain_static_files, signed_in  # noqa: F401

pytestmark = pytest.mark.django_db
S = ReferralStatus
START = datetime.date(2026, 9, 1)
END = datetime.date(2026, 9, 30)


def _at(day: int, hour: int = 9) -> datetime.datetime:
    return datetime.datetime(2026, 9, day, hour, tzinfo=timezone.get_current_timezone())


def _move(w: World, referral, to: str, when: datetime.datetime, **extra) -> None:
    side = Side.REQUESTER if to in (S.CANCELLED, S.ENTERED_IN_ERROR) else Side.TARGET
    actor = Actor(side=side, by=w.cm if side == Side.REQUESTER else w.carla)
    change_status(referral=referral, to=to, actor=actor, at=when, **extra)


@pytest.fixture
def sent() -> World:
    """Six referrals sent in September and one in August, moved as their comments say."""
    w = world()
    housing = directory_service("Safe Homes Network", "Rental assistance")
    upsert_partner(directory_organization=housing.organization, organization=make_organization("Safe Homes", "cbo"),
                   by=None)  # fmt: skip
    # Food 1: accepted after 10 h, started 10 h later, completed 50 h after sending, need met.
    food1 = send(w, at=_at(2))
    _move(w, food1, S.ACCEPTED, _at(2, 19))
    _move(w, food1, S.IN_PROGRESS, _at(3, 5))
    _move(w, food1, S.COMPLETED, _at(4, 11), outcome="need-met")
    # Food 2: accepted after 30 h, still in progress (open).
    food2 = send(w, at=_at(5))
    _move(w, food2, S.ACCEPTED, _at(6, 15))
    _move(w, food2, S.IN_PROGRESS, _at(7))
    # Food 3: rejected after 5 h.
    food3 = send(w, at=_at(8))
    _move(w, food3, S.REJECTED, _at(8, 14), reason="Outside our area")
    # Housing: cancelled by the care manager before a decision; the partner is another organization.
    rent = send(w, service=housing, need="housing-instability", at=_at(10))
    _move(w, rent, S.CANCELLED, _at(11), reason="Found housing elsewhere")
    # Entered in error: left out. Sent in August: outside the period.
    wrong = send(w, at=_at(12))
    _move(w, wrong, S.ENTERED_IN_ERROR, _at(12, 10), reason="Wrong person")
    send(w, at=datetime.datetime(2026, 8, 30, 9, tzinfo=timezone.get_current_timezone()))
    w.supervisor = make_user("sam_supervisor", role="supervisor", organization=w.agency)  # type: ignore[attr-defined]
    return w


def _filters(**extra: str) -> OutcomeFilters:
    return OutcomeFilters.parse({"from": START.isoformat(), "to": END.isoformat(), **extra}, today=END)


def test_counts_and_step_times_by_need_partner_and_outcome(sent):
    report = access_outcomes(sent.supervisor, _filters())
    totals = report.totals
    assert (totals.sent, totals.accepted, totals.rejected, totals.completed, totals.cancelled, totals.open) == (
        4, 2, 1, 1, 1, 1,
    )  # fmt: skip
    assert totals.need_met == 1
    assert totals.acceptance_rate == pytest.approx(2 / 3)  # accepted among the 3 decided
    assert totals.completion_rate == pytest.approx(1 / 3)  # completed among the 3 closed
    food = next(row for row in report.groups["need"] if row.key == "food-insecurity")
    assert food.sent == 3
    assert food.to_decision.count == 3 and food.to_decision.median == pytest.approx(10)  # 10, 30 and 5 hours
    assert food.to_start.count == 2 and food.to_start.median == pytest.approx(14)  # 10 and 18 hours
    assert food.to_complete.count == 1 and food.to_complete.median == pytest.approx(50)
    housing = next(row for row in report.groups["need"] if row.key == "housing-instability")
    assert (housing.sent, housing.cancelled, housing.to_decision.count) == (1, 1, 0)
    partners = {row.label: row.sent for row in report.groups["partner"]}
    assert partners == {"Community Food Pantry": 3, "Safe Homes Network": 1}
    outcomes = {row.key: row.sent for row in report.groups["outcome"]}
    assert outcomes == {"need-met": 1, "open": 1, "rejected": 1, "cancelled": 1}


def test_need_and_partner_filters(sent):
    only_housing = access_outcomes(sent.supervisor, _filters(need="housing-instability"))
    assert only_housing.totals.sent == 1
    pantry = next(pk for pk, name in only_housing.partners if name == "Community Food Pantry")
    only_pantry = access_outcomes(sent.supervisor, _filters(partner=str(pantry)))
    assert only_pantry.totals.sent == 3
    assert [name for _, name in only_pantry.partners] == ["Community Food Pantry", "Safe Homes Network"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"from": "2026-09-31"}, "from"),
        ({"from": "2026-09-10", "to": "2026-09-01"}, "to"),
        ({"need": "loneliness-ish"}, "need"),
        ({"partner": "pantry"}, "partner"),
    ],
)
def test_bad_filters_name_the_field(data, field):
    with pytest.raises(ValidationFailed) as raised:
        OutcomeFilters.parse(data, today=END)
    assert raised.value.field == field


def test_a_care_manager_is_refused_and_the_refusal_audited(sent):
    with pytest.raises(AccessDenied):
        access_outcomes(sent.cm, _filters())
    assert AuditRecord.objects.filter(
        user=sent.cm, object_type="ReferralOutcomes", outcome=AuditOutcome.DENIED
    ).exists()


def test_another_organizations_referrals_are_not_counted(sent):
    elsewhere = make_user("olga_supervisor", role="supervisor", organization=make_organization("Other Agency"))
    assert access_outcomes(elsewhere, _filters()).totals.sent == 0


def test_the_page_shows_the_figures_and_the_csv_repeats_them(sent, client: Client, plain_static_files):  # noqa: F811
    signed_in(client, sent.supervisor)
    page = client.get("/referrals/outcomes/", {"from": "2026-09-01", "to": "2026-09-30"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "Community referral outcomes" in text and "Safe Homes Network" in text and "<svg" in text
    assert "Food Insecurity: 3 sent, 2 accepted, 1 completed." in text  # the chart's text alternative
    team = client.get("/team/").content.decode()
    assert 'href="/referrals/outcomes/"' in team
    download = client.get("/referrals/outcomes.csv", {"from": "2026-09-01", "to": "2026-09-30", "by": "partner"})
    assert download.status_code == 200
    rows = list(csv.DictReader(io.StringIO(download.content.decode())))
    assert [(row["partner_label"], row["sent"]) for row in rows] == [
        ("Community Food Pantry", "3"),
        ("Safe Homes Network", "1"),
        ("All referrals", "4"),
    ]
    assert rows[0]["hours_to_decision_median"] == "10.0" and rows[0]["acceptance_rate_pct"] == "66.7"
    assert AuditRecord.objects.filter(user=sent.supervisor, object_type="ReferralOutcomes").count() == 2


def test_the_page_says_what_is_wrong_with_a_bad_date(sent, client: Client, plain_static_files):  # noqa: F811
    signed_in(client, sent.supervisor)
    page = client.get("/referrals/outcomes/", {"from": "tomorrow"})
    assert page.status_code == 400
    assert "is not a date (YYYY-MM-DD)" in page.content.decode()
    assert client.get("/referrals/outcomes.csv", {"by": "mood"}).status_code == 400


def test_a_care_manager_gets_403_on_the_page(sent, client: Client, plain_static_files):  # noqa: F811
    signed_in(client, sent.cm)
    assert client.get("/referrals/outcomes/").status_code == 403


def test_the_command_writes_the_csv(sent, capsys, monkeypatch):
    code, out, err = run_carecoord(
        capsys, monkeypatch, "referral-report", "--org", "Brooklyn Care Partners", "--from", "2026-09-01",
        "--to", "2026-09-30", "--by", "outcome",
    )  # fmt: skip
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {row["outcome"]: row["sent"] for row in rows} == {
        "need-met": "1", "open": "1", "rejected": "1", "cancelled": "1", "total": "4",
    }  # fmt: skip
    code, _, err = run_carecoord(capsys, monkeypatch, "referral-report", "--org", "Brooklyn Care Partners",
                                 "--from", "2026-13-01")  # fmt: skip
    assert code == 1 and "is not a date" in err
