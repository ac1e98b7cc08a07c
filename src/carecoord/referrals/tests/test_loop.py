"""Closing the loop beyond the referral: the follow-up rule for a referral nobody accepted, and the requester's day
view."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from carecoord.dayview.access import DayFilters, access_day
from carecoord.referrals import loop
from carecoord.referrals.actions import Actor, change_status, mark_seen, record_activity
from carecoord.referrals.models import Referral
from carecoord.referrals.states import ReferralStatus, Side
from carecoord.referrals.tests.builders import send, world
from carecoord.tasks.models import OPEN_STATUSES, Task, TaskStatus
from carecoord.tasks.rules import RULES, RulesConfig, run_rules
from carecoord.web.testing import plain_static_files, signed_in  # noqa: F401

pytestmark = pytest.mark.django_db
S = ReferralStatus
REASON = "community-referral-not-accepted"


def _run(now: datetime.datetime) -> None:
    run_rules(only=REASON, now=now, config=RulesConfig())


def test_the_rule_reason_is_the_one_the_loop_closes():
    assert REASON == loop.FOLLOW_UP_REASON and REASON in {rule.reason for rule in RULES}


def test_a_referral_not_accepted_in_time_makes_one_task_for_the_requester_closed_when_accepted(settings):
    settings.REFERRAL_ACCEPT_HOURS = 48
    w = world()
    referral = send(w)
    _run(timezone.now() + datetime.timedelta(hours=47))
    assert not Task.objects.filter(reason=REASON).exists()
    later = timezone.now() + datetime.timedelta(hours=49)
    _run(later)
    _run(later)
    task = Task.objects.get(reason=REASON)
    assert task.owner == w.cm and task.patient == w.patient and task.focus == f"Referral/{referral.pk}"
    assert task.status in OPEN_STATUSES and "Community Food Pantry" in task.title
    assert abs(task.due_at - (referral.authored_on + datetime.timedelta(hours=48))) < datetime.timedelta(seconds=1)
    change_status(referral=referral, to=S.ACCEPTED, actor=Actor(Side.TARGET, w.carla))
    task.refresh_from_db()
    assert task.status == TaskStatus.COMPLETED
    _run(later + datetime.timedelta(hours=1))
    assert Task.objects.filter(reason=REASON).count() == 1


def test_the_rules_job_alone_closes_the_task_when_the_referral_moved_on(settings):
    settings.REFERRAL_ACCEPT_HOURS = 1
    w = world()
    referral = send(w)
    later = timezone.now() + datetime.timedelta(hours=2)
    _run(later)
    assert Task.objects.filter(reason=REASON, status__in=OPEN_STATUSES).count() == 1
    Referral.objects.filter(pk=referral.pk).update(status=S.CANCELLED)  # as a remote system's copy would arrive
    _run(later)
    assert not Task.objects.filter(reason=REASON, status__in=OPEN_STATUSES).exists()


def _rows(user):
    return {r.row.key: r for r in access_day(user, filters=DayFilters(kind="referrals")).rows}


def test_the_day_view_shows_news_until_opened_and_rejections_as_due_today():
    w = world()
    accepted = send(w)
    rejected = send(w)
    assert not _rows(w.cm)
    change_status(referral=accepted, to=S.ACCEPTED, actor=Actor(Side.TARGET, w.carla))
    record_activity(referral=accepted, performed_on=timezone.localdate(), description="Bag of groceries",
                    actor=Actor(Side.TARGET, w.carla))  # fmt: skip
    change_status(referral=rejected, to=S.REJECTED, actor=Actor(Side.TARGET, w.carla), reason="Outside our area")
    rows = _rows(w.cm)
    news, refused = rows[f"Referral/{accepted.pk}"], rows[f"Referral/{rejected.pk}"]
    assert "Community Food Pantry accepted the referral" in news.row.why and news.band.name == "later"
    assert "rejected" in refused.row.why and "Outside our area" in refused.row.why
    assert refused.band.name == "today" and refused.row.action_label == "Refer elsewhere"
    assert refused.row.action_url == f"/referrals/{rejected.pk}/"
    mark_seen(referral=rejected, by=w.cm)
    assert set(_rows(w.cm)) == {f"Referral/{accepted.pk}"}


def test_opening_the_referral_page_marks_it_seen(client):
    w = world()
    referral = send(w)
    change_status(referral=referral, to=S.ACCEPTED, actor=Actor(Side.TARGET, w.carla))
    signed_in(client, w.cm)
    day = client.get("/today/").content.decode()
    assert "Community Food Pantry accepted the referral" in day
    client.get(f"/referrals/{referral.pk}/")
    assert "Community Food Pantry accepted the referral" not in client.get("/today/").content.decode()
