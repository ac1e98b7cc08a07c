"""Reads over the directory of organizations, practitioners and their roles (no PHI, no audit needed)."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from carecoord.accounts.models import Organization, Practitioner, PractitionerRole


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
