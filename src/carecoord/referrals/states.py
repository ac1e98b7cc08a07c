"""The referral Task's states and the moves between them, after the Gravity SDOH Clinical Care IG (STANDARDS.md D.2).

The status value set is FHIR TaskStatus without ``ready`` and ``received``. Each move names the side that may
make it: the referral source (``REQUESTER``) or the organization asked to do the work (``TARGET``). Anything not
in ``MOVES`` is refused, whoever asks. ``entered-in-error`` is the requester's, from any state but itself.
"""

from __future__ import annotations

from enum import StrEnum

from django.db import models


class ReferralStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    REQUESTED = "requested", "Requested"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"
    IN_PROGRESS = "in-progress", "In progress"
    ON_HOLD = "on-hold", "On hold"
    FAILED = "failed", "Failed"
    COMPLETED = "completed", "Completed"
    ENTERED_IN_ERROR = "entered-in-error", "Entered in error"


class Side(StrEnum):
    REQUESTER = "requester"
    TARGET = "target"


S = ReferralStatus
_BOTH = frozenset({Side.REQUESTER, Side.TARGET})
_TARGET = frozenset({Side.TARGET})
_REQUESTER = frozenset({Side.REQUESTER})

# (from, to) → the sides that may make the move. A new referral starts as draft or requested.
MOVES: dict[tuple[str, str], frozenset[Side]] = {
    (S.DRAFT, S.REQUESTED): _REQUESTER,
    (S.REQUESTED, S.ACCEPTED): _TARGET,
    (S.REQUESTED, S.REJECTED): _TARGET,
    (S.REQUESTED, S.CANCELLED): _BOTH,
    (S.ACCEPTED, S.IN_PROGRESS): _TARGET,
    (S.ACCEPTED, S.ON_HOLD): _TARGET,
    (S.ACCEPTED, S.CANCELLED): _BOTH,
    (S.ACCEPTED, S.COMPLETED): _TARGET,
    (S.ACCEPTED, S.FAILED): _TARGET,
    (S.IN_PROGRESS, S.ON_HOLD): _TARGET,
    (S.IN_PROGRESS, S.CANCELLED): _BOTH,
    (S.IN_PROGRESS, S.COMPLETED): _TARGET,
    (S.IN_PROGRESS, S.FAILED): _TARGET,
    (S.ON_HOLD, S.IN_PROGRESS): _TARGET,
    (S.ON_HOLD, S.CANCELLED): _BOTH,
    (S.ON_HOLD, S.COMPLETED): _TARGET,
    (S.ON_HOLD, S.FAILED): _TARGET,
}
MOVES.update({(status, S.ENTERED_IN_ERROR): _REQUESTER for status in S.values if status != S.ENTERED_IN_ERROR})

TERMINAL: frozenset[str] = frozenset({S.REJECTED, S.CANCELLED, S.COMPLETED, S.FAILED, S.ENTERED_IN_ERROR})
OPEN: frozenset[str] = frozenset(S.values) - TERMINAL
# The IG: statusReason.text should be given for these; CareCoord requires it.
REASON_REQUIRED: frozenset[str] = frozenset({S.REJECTED, S.CANCELLED, S.ON_HOLD, S.FAILED})


def may_move(current: str, new: str, side: Side) -> bool:
    """Whether ``side`` may move a referral from ``current`` to ``new``."""
    return side in MOVES.get((current, new), frozenset())


def next_statuses(current: str, side: Side) -> list[str]:
    """The statuses ``side`` may move a referral to from ``current``, in the value set's order."""
    return [status for status in S.values if may_move(current, status, side)]
