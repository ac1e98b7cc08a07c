"""Reads of community referrals with no permission check (``access.py`` decides and audits)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.db.models import Prefetch, QuerySet

from carecoord.referrals.models import Referral, ReferralActivity, ReferralEvent, ReferralLink
from carecoord.referrals.states import OPEN, ReferralStatus

# The partner inbox's filters: code → (label, statuses).
INBOX_FILTERS: dict[str, tuple[str, frozenset[str]]] = {
    "open": ("Open", frozenset(OPEN)),
    "waiting": ("Waiting for you", frozenset({ReferralStatus.REQUESTED})),
    "working": (
        "Accepted or in progress",
        frozenset({ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS, ReferralStatus.ON_HOLD}),
    ),
    "closed": ("Closed", frozenset(ReferralStatus.values) - OPEN),
    "all": ("All", frozenset(ReferralStatus.values)),
}


def with_timeline(referrals: QuerySet[Referral]) -> QuerySet[Referral]:
    """Referrals with what their pages show: the target, the events, the services delivered."""
    return referrals.select_related(
        "service", "location", "target_directory_organization", "target_organization", "referring_organization",
        "requester", "goal", "intervention",
    ).prefetch_related(
        Prefetch("events", queryset=ReferralEvent.objects.order_by("at", "id")),
        Prefetch("activities", queryset=ReferralActivity.objects.order_by("performed_on", "recorded_at")),
    )  # fmt: skip


def referrals_of_patient(patient_id: uuid.UUID, organization_id: uuid.UUID) -> QuerySet[Referral]:
    """The person's referrals made by the organization, newest first."""
    return with_timeline(
        Referral.objects.filter(patient_id=patient_id, referring_organization_id=organization_id)
    ).order_by("-authored_on")


def inbox_of(organization_id: uuid.UUID, statuses: Iterable[str]) -> QuerySet[Referral]:
    """Referrals sent to the partner organization in these statuses, the longest waiting first."""
    return (
        Referral.objects.filter(target_organization_id=organization_id, status__in=list(statuses))
        .select_related("service", "referring_organization", "target_directory_organization")
        .order_by("authored_on", "pk")
    )


def links_of(referral: Referral) -> QuerySet[ReferralLink]:
    return ReferralLink.objects.filter(referral=referral).order_by("-created_at")
