"""Reads over consents: which consents are in force, which organizations they cover, what they release."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from carecoord.consents.models import (
    LABEL_FORMS,
    SHARING_FORMS,
    Consent,
    ConsentPartner,
    ConsentStatus,
    Part2Recipients,
)


def in_force(on: datetime.date | None = None) -> Q:
    """Consents active on ``on``: signed, not withdrawn (withdrawal counts from its own day), not expired."""
    day = on or timezone.localdate()
    return (
        Q(status=ConsentStatus.ACTIVE, signed_on__lte=day)
        & (Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gt=day))
        & (Q(expires_on__isnull=True) | Q(expires_on__gte=day))
    )


def current_partner(on: datetime.date | None = None) -> Q:
    day = on or timezone.localdate()
    return Q(added_on__lte=day) & (Q(removed_on__isnull=True) | Q(removed_on__gt=day))


def consents_in_force(patient_id: uuid.UUID | str, *, on: datetime.date | None = None) -> QuerySet[Consent]:
    return Consent.objects.filter(in_force(on), patient_id=patient_id)


def sharing_partners(*, organization_id: Any) -> QuerySet[ConsentPartner]:
    """The organization's current places on sharing consents (DOH-5055, DOH-5201) in force today."""
    return ConsentPartner.objects.filter(
        current_partner(),
        organization_id=organization_id,
        consent__form__in=SHARING_FORMS,
        consent__id__in=Consent.objects.filter(in_force()).values("id"),
    )


def covering_consent(
    patient_id: uuid.UUID | str,
    forms: list[str],
    organization_id: uuid.UUID | str | None = None,
    *,
    on: datetime.date | None = None,
) -> Consent | None:
    """A consent of one of ``forms`` in force on ``on``; when an organization is given, one that lists it."""
    found = consents_in_force(patient_id, on=on).filter(form__in=forms)
    if organization_id is not None:
        found = found.filter(
            id__in=ConsentPartner.objects.filter(current_partner(on), organization_id=organization_id).values(
                "consent_id"
            )
        )
    return found.order_by("-signed_on").first()


def released_labels(
    patient_id: uuid.UUID | str, organization_id: uuid.UUID | str | None, *, treating: bool
) -> frozenset[str]:
    """Labels (42CFRPart2, HIV) that consents in force release to the organization.

    A Part 2 consent naming "my treating providers" covers any organization with a treating relationship
    (``treating``: an active segment, assignment or care team place with a sharing consent).
    """
    labels: set[str] = set()
    for consent in consents_in_force(patient_id).filter(form__in=list(LABEL_FORMS)).prefetch_related("partners"):
        label = LABEL_FORMS[consent.form]
        named = any(
            p.organization_id == organization_id
            and p.added_on <= timezone.localdate()
            and (p.removed_on is None or p.removed_on > timezone.localdate())
            for p in consent.partners.all()
        )
        general = consent.part2_recipients == Part2Recipients.TREATING_PROVIDERS and treating
        if named or general:
            labels.add(label)
            labels.update(consent.released_labels or [])
    return frozenset(labels)
