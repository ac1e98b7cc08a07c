"""Every pair of statuses, for each side: the move is made exactly when ``states.MOVES`` lists the side for it; a
move of the other side is refused as access denied, any other as a domain error naming both statuses; a refused
move writes nothing."""

from __future__ import annotations

import pytest

from carecoord.common.errors import AccessDenied, DomainError, ValidationFailed
from carecoord.referrals.actions import Actor, change_status
from carecoord.referrals.models import Referral, ReferralEvent
from carecoord.referrals.states import MOVES, REASON_REQUIRED, ReferralStatus, Side
from carecoord.referrals.tests.builders import send, world

pytestmark = pytest.mark.django_db

S = ReferralStatus


def _put(referral: Referral, status: str) -> None:
    Referral.objects.filter(pk=referral.pk).update(status=status, closed_at=None)
    referral.refresh_from_db()


def test_every_pair_for_each_side_follows_the_table():
    w = world()
    referral = send(w)
    actors = {Side.REQUESTER: Actor(Side.REQUESTER, w.cm), Side.TARGET: Actor(Side.TARGET, w.carla)}
    made = refused_side = refused_move = 0
    for current in S.values:
        for to in S.values:
            for side, actor in actors.items():
                _put(referral, current)
                events = ReferralEvent.objects.filter(referral=referral).count()
                version = referral.version
                allowed = side in MOVES.get((current, to), frozenset())
                if allowed:
                    change_status(referral=referral, to=to, actor=actor, reason="Because", outcome="")
                    referral.refresh_from_db()
                    assert referral.status == to, (current, to, side)
                    assert referral.version == version + 1
                    event = ReferralEvent.objects.filter(referral=referral).latest("at", "id")
                    assert (event.from_status, event.to_status, event.reason) == (current, to, "Because")
                    assert ReferralEvent.objects.filter(referral=referral).count() == events + 1
                    made += 1
                    continue
                other = Side.TARGET if side == Side.REQUESTER else Side.REQUESTER
                expected = AccessDenied if other in MOVES.get((current, to), frozenset()) else DomainError
                with pytest.raises(expected) as caught:
                    change_status(referral=referral, to=to, actor=actor, reason="Because")
                assert type(caught.value) is expected, (current, to, side)
                if expected is DomainError:
                    assert S(current).label.lower() in caught.value.message
                    assert S(to).label.lower() in caught.value.message
                    refused_move += 1
                else:
                    refused_side += 1
                referral.refresh_from_db()
                assert (referral.status, referral.version) == (current, version)
                assert ReferralEvent.objects.filter(referral=referral).count() == events
    assert made == sum(len(sides) for sides in MOVES.values())
    assert made + refused_side + refused_move == len(S.values) ** 2 * 2
    assert refused_side > 0 and refused_move > 0


@pytest.mark.parametrize("to", sorted(REASON_REQUIRED))
def test_a_reason_is_required_for_rejected_cancelled_on_hold_and_failed(to):
    w = world()
    referral = send(w)
    start = S.REQUESTED if to in (S.REJECTED, S.CANCELLED) else S.ACCEPTED
    _put(referral, start)
    side = Side.REQUESTER if to == S.CANCELLED else Side.TARGET
    actor = Actor(side, w.cm if side == Side.REQUESTER else w.carla)
    with pytest.raises(ValidationFailed) as caught:
        change_status(referral=referral, to=to, actor=actor, reason="  ")
    assert caught.value.field == "reason"
    referral.refresh_from_db()
    assert referral.status == start


def test_the_dates_follow_the_moves():
    w = world()
    referral = send(w)
    carla = Actor(Side.TARGET, w.carla)
    change_status(referral=referral, to=S.ACCEPTED, actor=carla)
    assert referral.accepted_at is not None and referral.started_at is None and referral.closed_at is None
    change_status(referral=referral, to=S.IN_PROGRESS, actor=carla)
    assert referral.started_at is not None
    change_status(referral=referral, to=S.COMPLETED, actor=carla, outcome="need-met", outcome_note="Groceries weekly")
    referral.refresh_from_db()
    assert referral.closed_at is not None and referral.outcome == "need-met" and referral.version == 4
    assert [(e.from_status, e.to_status) for e in referral.events.all()] == [
        ("", S.REQUESTED), (S.REQUESTED, S.ACCEPTED), (S.ACCEPTED, S.IN_PROGRESS), (S.IN_PROGRESS, S.COMPLETED),
    ]  # fmt: skip


def test_a_user_must_be_on_the_side_they_claim():
    w = world()
    referral = send(w)
    with pytest.raises(AccessDenied):
        change_status(referral=referral, to=S.ACCEPTED, actor=Actor(Side.TARGET, w.other_partner))
    with pytest.raises(AccessDenied):
        change_status(referral=referral, to=S.ACCEPTED, actor=Actor(Side.TARGET, w.cm))
    with pytest.raises(AccessDenied):
        change_status(referral=referral, to=S.CANCELLED, actor=Actor(Side.REQUESTER, w.carla), reason="x")
    referral.refresh_from_db()
    assert referral.status == S.REQUESTED and referral.events.count() == 1
