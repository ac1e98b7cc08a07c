"""Reads over care teams."""

from __future__ import annotations

import uuid

from django.db.models import Q, QuerySet
from django.utils import timezone

from carecoord.careteams.models import CareTeamMember, CareTeamStatus


def active_places(*, user_id: uuid.UUID | str) -> QuerySet[CareTeamMember]:
    """The user's current places on active care teams."""
    today = timezone.localdate()
    return CareTeamMember.objects.filter(
        Q(end_date__isnull=True) | Q(end_date__gte=today),
        user_id=user_id,
        start_date__lte=today,
        care_team__status=CareTeamStatus.ACTIVE,
    )
