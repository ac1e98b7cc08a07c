"""Reads over programs: segments in force, outreach standing, caseloads."""

from __future__ import annotations

import datetime
import uuid

from django.db.models import Q, QuerySet
from django.utils import timezone

from carecoord.programs.models import Segment


def active_segments(
    *, organization_id: uuid.UUID | str | None = None, on: datetime.date | None = None
) -> QuerySet[Segment]:
    """Segments in force on ``on`` (today by default), optionally for one organization."""
    day = on or timezone.localdate()
    found = Segment.objects.filter(Q(end_date__isnull=True) | Q(end_date__gte=day), start_date__lte=day)
    if organization_id is not None:
        found = found.filter(organization_id=organization_id)
    return found
