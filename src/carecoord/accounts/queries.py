"""Reads over organizations, affiliations, staff, practitioners, their roles and tokens (no PHI, no audit)."""

from __future__ import annotations

import uuid

from django.db.models import Exists, OuterRef, Q, QuerySet
from django_otp.plugins.otp_totp.models import TOTPDevice

from carecoord.accounts.models import Affiliation, ApiToken, Organization, Practitioner, PractitionerRole, User


def as_uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def list_organizations() -> QuerySet[Organization]:
    return Organization.objects.all()


def list_practitioners() -> QuerySet[Practitioner]:
    return Practitioner.objects.all()


def list_practitioner_roles() -> QuerySet[PractitionerRole]:
    return PractitionerRole.objects.select_related("practitioner", "organization")


def get_organization(organization_id: object) -> Organization | None:
    key = as_uuid(organization_id)
    return Organization.objects.filter(pk=key).first() if key else None


def get_practitioner(practitioner_id: object) -> Practitioner | None:
    key = as_uuid(practitioner_id)
    return Practitioner.objects.filter(pk=key).first() if key else None


def get_practitioner_role(role_id: object) -> PractitionerRole | None:
    key = as_uuid(role_id)
    return list_practitioner_roles().filter(pk=key).first() if key else None


def organization_exists(organization_id: object) -> bool:
    key = as_uuid(organization_id)
    return key is not None and Organization.objects.filter(pk=key).exists()


def practitioner_exists(practitioner_id: object) -> bool:
    key = as_uuid(practitioner_id)
    return key is not None and Practitioner.objects.filter(pk=key).exists()


def list_staff(organization_id: uuid.UUID) -> QuerySet[User]:
    """An organization's users with their licenses and whether they have a confirmed second factor."""
    confirmed = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
    return (
        User.objects.filter(organization_id=organization_id)
        .annotate(has_mfa=Exists(confirmed))
        .prefetch_related("licenses")
        .order_by("last_name", "first_name", "username")
    )


def list_affiliations(organization: Organization) -> QuerySet[Affiliation]:
    """Affiliations in either direction."""
    return (
        Affiliation.objects.filter(Q(source=organization) | Q(target=organization))
        .select_related("source", "target")
        .order_by("kind", "source__name", "target__name")
    )


def list_tokens(user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at")


def get_active_token(user: User, token_id: uuid.UUID) -> ApiToken | None:
    return ApiToken.objects.filter(pk=token_id, user=user, revoked_at__isnull=True).first()
