"""NY outreach rules (STANDARDS.md A.4), walked through the actions: limits follow the person across agencies."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from carecoord.programs.actions import AttemptData, claim_outreach_month, record_outreach_attempt
from carecoord.programs.models import OutreachMonth, Program
from carecoord.programs.rules import add_months, month_start, outreach_standing

THIS_MONTH = month_start(timezone.localdate())


def months_ago(n: int) -> datetime.date:
    return add_months(THIS_MONTH, -n)


@pytest.fixture
def hh() -> Program:
    return Program.objects.get(code="ny-hh-adult")


def attempt(patient, program, by, month: datetime.date, method: str = "phone", outcome: str = "no_answer"):
    when = timezone.make_aware(datetime.datetime.combine(month.replace(day=10), datetime.time(10, 0)))
    return record_outreach_attempt(
        patient=patient, program=program, data=AttemptData(method=method, outcome=outcome, attempted_at=when), by=by
    )


def claim(patient, program, by, month):
    return claim_outreach_month(patient=patient, program=program, month=month, by=by)[1]


def test_a_month_with_an_attempt_is_billable_and_the_first_attempt_opens_outreach(maria, hh, bob_coordinator):
    attempt(maria, hh, bob_coordinator, months_ago(1))
    verdict = claim(maria, hh, bob_coordinator, months_ago(1))
    assert verdict.billable, verdict.reason
    assert maria.segments.get().kind == "outreach"


def test_no_attempt_or_mail_only_is_not_billable(maria, hh, bob_coordinator):
    assert not claim(maria, hh, bob_coordinator, months_ago(1)).billable
    attempt(maria, hh, bob_coordinator, months_ago(2), method="mail", outcome="sent")
    verdict = claim(maria, hh, bob_coordinator, months_ago(2))
    assert not verdict.billable and "Mail alone" in verdict.reason


def test_second_consecutive_month_needs_a_face_to_face_attempt(maria, hh, bob_coordinator):
    attempt(maria, hh, bob_coordinator, months_ago(2))
    assert claim(maria, hh, bob_coordinator, months_ago(2)).billable
    attempt(maria, hh, bob_coordinator, months_ago(1), method="phone")
    refused = claim(maria, hh, bob_coordinator, months_ago(1))
    assert not refused.billable and refused.needs_in_person and "face-to-face" in refused.reason
    attempt(maria, hh, bob_coordinator, months_ago(1), method="in_person", outcome="not_found")
    assert claim(maria, hh, bob_coordinator, months_ago(1)).billable


def test_a_third_consecutive_outreach_month_is_refused(maria, hh, bob_coordinator):
    for n, method in ((3, "phone"), (2, "in_person")):
        attempt(maria, hh, bob_coordinator, months_ago(n), method=method)
        assert claim(maria, hh, bob_coordinator, months_ago(n)).billable
    attempt(maria, hh, bob_coordinator, months_ago(1), method="in_person")
    third = claim(maria, hh, bob_coordinator, months_ago(1))
    assert not third.billable and "3 in a row" in third.reason
    assert OutreachMonth.objects.get(month=months_ago(1)).status == "refused"


def test_a_fifth_billable_month_in_twelve_is_refused_even_at_another_agency(maria, hh, bob_coordinator, eve_outsider):
    # Four billable months at Bob's agency, never more than two in a row: 10, 9, 7, 6 months ago.
    for n, method in ((10, "phone"), (9, "in_person"), (7, "phone"), (6, "in_person")):
        attempt(maria, hh, bob_coordinator, months_ago(n), method=method)
        assert claim(maria, hh, bob_coordinator, months_ago(n)).billable
    # The person moves to Eve's agency; outreach there 3 months ago is a fifth month in twelve.
    from carecoord.programs.actions import start_segment

    start_segment(
        patient=maria,
        program=hh,
        organization=eve_outsider.organization,
        kind="assignment",
        start_date=months_ago(4),
        by=None,
    )
    attempt(maria, hh, eve_outsider, months_ago(3), method="in_person")
    fifth = claim(maria, hh, eve_outsider, months_ago(3))
    assert not fifth.billable
    assert "already has 4 billable outreach months" in fifth.reason and "across all organizations" in fifth.reason
    # Thirteen months after the first, the window has room again.
    standing = outreach_standing(
        patient=maria, program=hh, organization_id=eve_outsider.organization_id, month=THIS_MONTH
    )
    assert standing.used_in_year == 4 and standing.remaining_in_year == 0


def test_another_agency_cannot_bill_the_same_month(maria, hh, bob_coordinator, eve_outsider):
    from carecoord.programs.actions import start_segment

    attempt(maria, hh, bob_coordinator, months_ago(1))
    assert claim(maria, hh, bob_coordinator, months_ago(1)).billable
    start_segment(
        patient=maria,
        program=hh,
        organization=eve_outsider.organization,
        kind="assignment",
        start_date=months_ago(2),
        by=None,
    )
    attempt(maria, hh, eve_outsider, months_ago(1))
    verdict = claim(maria, hh, eve_outsider, months_ago(1))
    assert not verdict.billable and "already billed" in verdict.reason


def test_bad_attempts_are_refused_and_nothing_is_stored(maria, hh, bob_coordinator):
    from carecoord.common.errors import ValidationFailed
    from carecoord.programs.models import OutreachAttempt

    future = timezone.now() + datetime.timedelta(days=2)
    with pytest.raises(ValidationFailed) as caught:
        record_outreach_attempt(
            patient=maria,
            program=hh,
            data=AttemptData(method="pigeon", outcome="reached", attempted_at=future, duration_minutes=-3),
            by=bob_coordinator,
        )
    assert set(caught.value.errors) == {"method", "attempted_at", "duration_minutes"}
    assert not OutreachAttempt.objects.exists() and not maria.segments.exists()


def test_partners_cannot_record_outreach(maria, hh, cbo_carla):
    from carecoord.common.errors import AccessDenied

    with pytest.raises(AccessDenied):
        attempt(maria, hh, cbo_carla, months_ago(1))
