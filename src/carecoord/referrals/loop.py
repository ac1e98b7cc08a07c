"""Closing the loop: what a referral's move does to the rest of CareCoord, inside the move's transaction.

- A move by the organization doing the work (``Side.TARGET``) tells the requester (a notice to them, also by email
  when ``CARECOORD_EMAIL_ALERTS`` lists ``referral``) and leaves the referral unseen on their day view
  (``Referral.unseen_by_requester``, set by the action).
- A move by the referring side that ends the referral (cancelled, entered in error) tells the partner tenant.
- The linked care plan follows (``FOLLOW``): accepted or started → the intervention is in progress; on hold →
  on hold; completed → the intervention is done and the goal gets a progress note with the outcome; rejected,
  failed → the intervention stops, cancelled → it is cancelled, each with the reason. A closed plan, goal or
  intervention is left alone; the plan never blocks the partner's move.
- Once a referral leaves *requested*, the follow-up task for a referral nobody accepted closes at once (the rules
  job would close it on its next run anyway).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from carecoord.careplans.actions import follow_referral
from carecoord.careplans.models import InterventionStatus
from carecoord.common.errors import DomainError
from carecoord.notifications.actions import notify
from carecoord.notifications.email import email_notice
from carecoord.notifications.models import NotificationKind
from carecoord.referrals.models import Referral, ReferralEvent, ReferralOutcome
from carecoord.referrals.states import ReferralStatus, Side
from carecoord.tasks.actions import close_task
from carecoord.tasks.models import OPEN_STATUSES, Task, TaskStatus

log = logging.getLogger(__name__)
S = ReferralStatus

FOLLOW_UP_REASON = "community-referral-not-accepted"

# Referral status → (the intervention's new status, words for the goal's progress note or "").
FOLLOW: dict[str, tuple[str, str]] = {
    S.ACCEPTED: (InterventionStatus.IN_PROGRESS, "{partner} accepted the referral."),
    S.IN_PROGRESS: (InterventionStatus.IN_PROGRESS, ""),
    S.ON_HOLD: (InterventionStatus.ON_HOLD, ""),
    S.COMPLETED: (InterventionStatus.COMPLETED, "{partner} completed the referral: {outcome}."),
    S.REJECTED: (InterventionStatus.STOPPED, "{partner} could not take the referral: {reason}"),
    S.FAILED: (InterventionStatus.STOPPED, "{partner} could not complete the referral: {reason}"),
    S.CANCELLED: (InterventionStatus.CANCELLED, "The referral to {partner} was cancelled: {reason}"),
}
VERBS: dict[str, str] = {
    S.ACCEPTED: "accepted",
    S.REJECTED: "rejected",
    S.IN_PROGRESS: "started",
    S.ON_HOLD: "paused",
    S.COMPLETED: "completed",
    S.FAILED: "could not complete",
    S.CANCELLED: "cancelled",
}
IMPROVING_OUTCOMES = frozenset({ReferralOutcome.NEED_MET, ReferralOutcome.PARTLY_MET})


def partner_name(referral: Referral) -> str:
    organization = referral.target_directory_organization
    return organization.name if organization is not None else referral.target_display


def detail_url(referral: Referral) -> str:
    return reverse("referrals:detail", args=[referral.pk])


def after_send(referral: Referral) -> None:
    """A partner tenant hears a referral is waiting (no name in the notice: the inbox shows what is shared)."""
    if referral.target_organization is None:
        return
    notify(
        organization=referral.target_organization,
        kind=NotificationKind.COMMUNITY_REFERRAL,
        title=f"New referral from {referral.referring_organization.name}",
        body=f"A referral for {referral.target_display} is waiting for you to accept or reject it.",
        link=reverse("referrals:inbox"),
        by=referral.requester,
    )


def after_move(referral: Referral, event: ReferralEvent, actor: object) -> None:
    side = getattr(actor, "side", None)
    if side == Side.TARGET:
        _tell_requester(referral, event)
    elif referral.target_organization is not None and event.to_status in (S.CANCELLED, S.ENTERED_IN_ERROR):
        notify(
            organization=referral.target_organization,
            kind=NotificationKind.COMMUNITY_REFERRAL,
            title=f"Referral {S(event.to_status).label.lower()} by {referral.referring_organization.name}",
            body=f"The referral for {referral.target_display} is closed: {event.reason}",
            link=reverse("referrals:inbox"),
            by=getattr(actor, "by", None),
        )
    _follow_plan(referral, event)
    if event.from_status == S.REQUESTED:
        for task in Task.objects.filter(
            reason=FOLLOW_UP_REASON, focus=f"Referral/{referral.pk}", status__in=OPEN_STATUSES
        ):
            close_task(task=task, status=TaskStatus.COMPLETED, by=None, reason="The referral moved on",
                       rule=FOLLOW_UP_REASON)  # fmt: skip


def _tell_requester(referral: Referral, event: ReferralEvent) -> None:
    requester = referral.requester
    if requester is None or not requester.is_active:
        return
    verb = VERBS.get(event.to_status, f"moved to {event.to_status}")
    name = f"{referral.patient.given_names} {referral.patient.family_name}"
    why = f": {event.reason}" if event.reason else ""
    outcome = f" Outcome: {referral.get_outcome_display().lower()}." if referral.outcome else ""
    notice = notify(
        organization=referral.referring_organization,
        user=requester,
        patient=referral.patient,
        kind=NotificationKind.COMMUNITY_REFERRAL,
        title=f"{partner_name(referral)} {verb} the referral for {name}",
        body=f"{referral.target_display}{why}.{outcome}".replace("..", "."),
        link=detail_url(referral),
        by=event.by_user,
    )
    if "referral" in getattr(settings, "ALERT_EMAIL_KINDS", ()):
        email_notice(notice=notice)


def _follow_plan(referral: Referral, event: ReferralEvent) -> None:
    if referral.intervention_id is None and referral.goal_id is None:
        return
    status, words = FOLLOW.get(event.to_status, ("", ""))
    if not status:
        return
    intervention = referral.intervention
    goal = referral.goal or (intervention.goal if intervention is not None else None)
    outcome = referral.get_outcome_display().lower() if referral.outcome else "no outcome given"
    if referral.outcome_note:
        outcome += f" ({referral.outcome_note})"
    progress = words.format(partner=partner_name(referral), reason=event.reason, outcome=outcome) if words else ""
    achievement = "improving" if event.to_status == S.COMPLETED and referral.outcome in IMPROVING_OUTCOMES else ""
    reason = event.reason or (f"Referral completed: {outcome}" if event.to_status == S.COMPLETED else "")
    try:
        with transaction.atomic():
            follow_referral(
                intervention=intervention,
                goal=goal,
                status=status,
                reason=reason,
                progress=progress,
                achievement=achievement,
                summary=f"Referral to {partner_name(referral)} {VERBS.get(event.to_status, event.to_status)}"[:300],
            )
    except DomainError as error:  # the plan never blocks the partner's move
        log.warning("Care plan not updated for referral %s: %s", referral.pk, error)
