"""Two partners' clicks at once on PostgreSQL: accept and reject of the same requested referral. Both have read the
referral as requested and passed their checks before either locks it; the row lock lets one move it and the other
is refused (it then reads the referral as moved), so the referral has exactly one change of state."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from carecoord.common.errors import DomainError
from carecoord.referrals import actions
from carecoord.referrals.actions import Actor, change_status
from carecoord.referrals.models import Referral, ReferralEvent
from carecoord.referrals.states import ReferralStatus, Side
from carecoord.referrals.tests.builders import send, world
from carecoord.testing.factories import make_user

pytestmark = pytest.mark.django_db(transaction=True)
S = ReferralStatus


def test_accept_and_reject_at_once_leave_one_event(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one writer at a time (BEGIN IMMEDIATE): the race needs PostgreSQL")
    w = world()
    carla2 = make_user("cbo_carl", role="partner", organization=w.cbo, first_name="Carl")
    referral = send(w)
    both_checked = threading.Barrier(2, timeout=60)
    check = actions._check_actor

    def check_then_wait(referral: Referral, actor: Actor) -> None:
        check(referral, actor)
        both_checked.wait()  # neither locks the row before the other has passed its checks

    monkeypatch.setattr(actions, "_check_actor", check_then_wait)
    outcomes: dict[str, object] = {}

    def click(to: str, user: object, reason: str) -> None:
        stale = Referral.objects.get(pk=referral.pk)  # each read it as requested
        try:
            change_status(referral=stale, to=to, actor=Actor(Side.TARGET, user), reason=reason)  # type: ignore[arg-type]
            outcomes[to] = "moved"
        except DomainError as error:
            outcomes[to] = error
        except BaseException as error:  # reported by the main thread
            outcomes[to] = error
            both_checked.abort()
        finally:
            connection.close()

    threads = [
        threading.Thread(target=click, args=(S.ACCEPTED, w.carla, "")),
        threading.Thread(target=click, args=(S.REJECTED, carla2, "We are full")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    moved = [to for to, result in outcomes.items() if result == "moved"]
    refused = [result for result in outcomes.values() if isinstance(result, DomainError)]
    assert len(moved) == 1 and len(refused) == 1, outcomes
    assert refused[0].code == "invalid-transition"
    referral.refresh_from_db()
    assert referral.status == moved[0] and referral.version == 2
    changes = ReferralEvent.objects.filter(referral=referral).exclude(from_status="")
    assert list(changes.values_list("to_status", flat=True)) == moved
