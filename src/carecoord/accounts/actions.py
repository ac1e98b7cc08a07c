"""Writes for organizations, users, qualifications, second factors and API tokens."""

from __future__ import annotations

import datetime
import functools
import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from carecoord.accounts.models import (
    Affiliation,
    ApiToken,
    License,
    LicenseType,
    Organization,
    OrganizationType,
    Practitioner,
    PractitionerRole,
    Role,
    User,
)
from carecoord.accounts.permissions import Capability, can
from carecoord.audit.actions import record
from carecoord.audit.models import AuditAction, AuditOutcome, Purpose
from carecoord.common.errors import AccessDenied, Conflict, NotFound, ValidationFailed
from carecoord.common.sql import column, fetch_one, model_columns, model_from_row, prep, table

TOKEN_PREFIX = "cc_"
STAFF_ROLES = frozenset({Role.CARE_COORDINATOR, Role.CARE_MANAGER, Role.LICENSED_CARE_MANAGER, Role.SUPERVISOR})


def _require_admin(by: User | None, organization: Organization | None = None) -> None:
    """``by`` None means the command line, run by whoever operates the installation."""
    if by is None:
        return
    if not can(by, Capability.MANAGE_USERS) and not by.is_superuser:
        raise AccessDenied("Only an organization administrator may do this.")
    if organization is not None and organization.pk != by.organization_id and not by.is_superuser:
        raise AccessDenied("You may only manage your own organization.")


def create_organization(*, name: str, type: str, by: User | None, **details: str) -> Organization:
    name = " ".join(name.split())
    if not name:
        raise ValidationFailed("Enter the organization's name.", field="name")
    if type not in OrganizationType.values:
        raise ValidationFailed(
            f"Unknown organization type {type!r}; use one of {', '.join(OrganizationType.values)}.", field="type"
        )
    if by is not None and not by.is_superuser:
        raise AccessDenied("Only the installation's operator may add organizations.")
    if Organization.objects.filter(name__iexact=name).exists():
        raise Conflict(f"An organization named {name!r} already exists.", code="duplicate-name", field="name")
    with transaction.atomic():
        organization = Organization.objects.create(name=name, type=type, **details)
        record(
            by=by,
            action=AuditAction.CREATE,
            object_type="Organization",
            object_id=str(organization.pk),
            purpose=Purpose.OPERATIONS,
            username="cli" if by is None else "",
        )
    return organization


def update_organization(*, organization: Organization, by: User | None, **changes: object) -> Organization:
    _require_admin(by, organization)
    allowed = {
        "name",
        "active",
        "npi",
        "tax_id",
        "phone",
        "email",
        "address_line",
        "city",
        "state",
        "postal_code",
        "time_zone",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationFailed(f"Cannot change {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        for key, value in changes.items():
            setattr(organization, key, value)
        organization.version += 1
        organization.updated_at = timezone.now()
        organization.save()
        record(
            by=by,
            action=AuditAction.UPDATE,
            object_type="Organization",
            object_id=str(organization.pk),
            purpose=Purpose.OPERATIONS,
            detail={"fields": sorted(changes)},
            username="cli" if by is None else "",
        )
    return organization


def affiliate(*, source: Organization, target: Organization, kind: str, by: User | None) -> Affiliation:
    if source.pk == target.pk:
        raise ValidationFailed("An organization cannot be affiliated with itself.")
    _require_admin(by, source)
    with transaction.atomic():
        affiliation, _ = Affiliation.objects.update_or_create(
            source=source, target=target, kind=kind, defaults={"active": True, "end_date": None}
        )
        record(
            by=by,
            action=AuditAction.CREATE,
            object_type="Affiliation",
            object_id=str(affiliation.pk),
            purpose=Purpose.OPERATIONS,
            username="cli" if by is None else "",
        )
    return affiliation


def find_organization(name_or_id: str) -> Organization:
    organization = Organization.objects.filter(name__iexact=name_or_id.strip()).first()
    if organization is None:
        try:
            organization = Organization.objects.filter(pk=name_or_id.strip()).first()
        except DjangoValidationError:
            organization = None
    if organization is None:
        raise NotFound(f"No organization named or numbered {name_or_id!r}.")
    return organization


def _check_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except DjangoValidationError as error:
        raise ValidationFailed(" ".join(error.messages), field="password") from None


@dataclass
class LicenseData:
    type: str
    number: str
    state: str
    expires_on: datetime.date


def create_user(
    *,
    username: str,
    role: str,
    organization: Organization,
    password: str,
    by: User | None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    title: str = "",
    education: str = "",
    years_experience: int | None = None,
    languages: list[str] | None = None,
    licenses: list[LicenseData] | None = None,
) -> User:
    """Add a staff user to an organization. Staff in care roles also become a Practitioner of it."""
    _require_admin(by, organization)
    username = username.strip()
    if not username or len(username) > 150 or not all(c.isalnum() or c in "@.+-_" for c in username):
        raise ValidationFailed("A username is letters, digits and @ . + - _ (at most 150).", field="username")
    if role not in Role.values:
        raise ValidationFailed(f"Unknown role {role!r}; use one of {', '.join(Role.values)}.", field="role")
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict(f"The username {username!r} is taken.", code="duplicate-username", field="username")
    user = User(
        username=username,
        role=role,
        organization=organization,
        first_name=first_name,
        last_name=last_name,
        email=email,
        title=title,
        education=education,
        years_experience=years_experience,
        languages=languages or ["en"],
    )
    _check_password(password, user)
    user.set_password(password)
    user.password_changed_at = timezone.now()
    try:
        with transaction.atomic():
            user.save(force_insert=True)
            for item in licenses or []:
                add_license(user=user, data=item, by=by)
            if role in STAFF_ROLES:
                practitioner = Practitioner.objects.create(
                    user=user, family_name=last_name or username, given_name=first_name, email=email
                )
                PractitionerRole.objects.create(practitioner=practitioner, organization=organization, code=role)
            record(
                by=by,
                action=AuditAction.CREATE,
                object_type="User",
                object_id=str(user.pk),
                purpose=Purpose.OPERATIONS,
                detail={"username": username, "role": role},
                username="cli" if by is None else "",
            )
    except IntegrityError as error:
        raise Conflict(f"The username {username!r} is taken.", code="duplicate-username") from error
    return user


def add_license(*, user: User, data: LicenseData, by: User | None) -> License:
    if data.type not in LicenseType.values:
        raise ValidationFailed(f"Unknown license type {data.type!r}.", field="type")
    if not data.number.strip():
        raise ValidationFailed("Enter the license number.", field="number")
    if len(data.state.strip()) != 2:
        raise ValidationFailed("Use the two-letter state code.", field="state")
    license = License.objects.create(
        user=user,
        type=data.type,
        number=data.number.strip(),
        state=data.state.strip().upper(),
        expires_on=data.expires_on,
    )
    record(
        by=by,
        action=AuditAction.SECURITY,
        object_type="License",
        object_id=str(license.pk),
        purpose=Purpose.OPERATIONS,
        detail={"user": str(user.pk), "type": data.type},
        username="cli" if by is None else "",
    )
    return license


def update_user(*, user: User, by: User | None, **changes: object) -> User:
    _require_admin(by, user.organization)
    allowed = {
        "first_name",
        "last_name",
        "email",
        "title",
        "role",
        "is_active",
        "education",
        "years_experience",
        "languages",
        "phone",
        "supervisor",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationFailed(f"Cannot change {', '.join(sorted(unknown))}.")
    if "role" in changes and changes["role"] not in Role.values:
        raise ValidationFailed("Unknown role.", field="role")
    if by is not None and user.pk == by.pk and changes.get("is_active") is False:
        raise ValidationFailed("You cannot deactivate yourself.", field="is_active")
    with transaction.atomic():
        for key, value in changes.items():
            setattr(user, key, value)
        user.save()
        record(
            by=by,
            action=AuditAction.SECURITY,
            object_type="User",
            object_id=str(user.pk),
            purpose=Purpose.OPERATIONS,
            detail={"fields": sorted(changes)},
            username="cli" if by is None else "",
        )
    return user


def set_password(*, user: User, password: str, by: User | None) -> User:
    _check_password(password, user)
    with transaction.atomic():
        user.set_password(password)
        user.password_changed_at = timezone.now()
        user.save(update_fields=["password", "password_changed_at"])
        record(
            by=by or user,
            action=AuditAction.SECURITY,
            object_type="User",
            object_id=str(user.pk),
            purpose=Purpose.OPERATIONS,
            detail={"change": "password"},
        )
    return user


def start_totp_enrolment(*, user: User) -> TOTPDevice:
    """An unconfirmed authenticator for the user to scan; confirmed by ``confirm_totp``."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def confirm_totp(*, device: TOTPDevice, token: str) -> bool:
    if not device.verify_token(token.strip().replace(" ", "")):
        return False
    with transaction.atomic():
        TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        record(
            by=device.user,
            action=AuditAction.SECURITY,
            object_type="User",
            object_id=str(device.user.pk),
            purpose=Purpose.OPERATIONS,
            detail={"change": "mfa-enrolled"},
        )
    return True


def reset_mfa(*, user: User, by: User | None) -> None:
    _require_admin(by, user.organization)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        record(
            by=by,
            action=AuditAction.SECURITY,
            object_type="User",
            object_id=str(user.pk),
            purpose=Purpose.OPERATIONS,
            detail={"change": "mfa-reset"},
            username="cli" if by is None else "",
        )


def record_sign_in(*, user: User | None, succeeded: bool, username: str = "", detail: dict[str, str]) -> None:
    """Audit one step of signing in (password or second factor), successful or not."""
    record(
        by=user,
        action=AuditAction.LOGIN if succeeded else AuditAction.LOGIN_FAILED,
        object_type="User",
        object_id=str(user.pk) if user is not None else "",
        outcome=AuditOutcome.SUCCESS if succeeded else AuditOutcome.FAILED,
        purpose=Purpose.OPERATIONS,
        username=username,
        detail=detail,
    )


def record_sign_out(*, user: User) -> None:
    record(by=user, action=AuditAction.LOGOUT, object_type="User", object_id=str(user.pk), purpose=Purpose.OPERATIONS)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(*, user: User, by: User | None, name: str = "", days: int | None = None) -> tuple[ApiToken, str]:
    """A new bearer token for ``user``; the plain token is returned once and never stored."""
    if not user.is_active:
        raise ValidationFailed("The user is deactivated.", field="user")
    lifetime = days if days is not None else settings.API_TOKEN_DAYS
    if lifetime < 1 or lifetime > 3650:
        raise ValidationFailed("A token lasts between 1 and 3650 days.", field="days")
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name,
            prefix=plain[:10],
            digest=_digest(plain),
            expires_at=timezone.now() + datetime.timedelta(days=lifetime),
        )
        record(
            by=by or user,
            action=AuditAction.SECURITY,
            object_type="ApiToken",
            object_id=str(token.pk),
            purpose=Purpose.OPERATIONS,
            detail={"change": "token-created", "user": str(user.pk)},
        )
    return token, plain


def revoke_token(*, token: ApiToken, by: User | None) -> ApiToken:
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record(
            by=by or token.user,
            action=AuditAction.SECURITY,
            object_type="ApiToken",
            object_id=str(token.pk),
            purpose=Purpose.OPERATIONS,
            detail={"change": "token-revoked"},
        )
    return token


@functools.cache
def _token_sql(vendor: str) -> str:
    """The token's user, if the token is current and the user active, in one statement (hot path of every
    API call: the ORM's query compilation would cost more than the query)."""
    t, u = ApiToken, User
    return (
        f"SELECT {model_columns(u)}, {table(t)}.{column(t, 'id')}, "
        f"({table(t)}.{column(t, 'last_used_at')} IS NULL OR {table(t)}.{column(t, 'last_used_at')} < %s) "
        f"FROM {table(t)} JOIN {table(u)} ON {table(u)}.{column(u, 'id')} = {table(t)}.{column(t, 'user')} "
        f"WHERE {table(t)}.{column(t, 'digest')} = %s AND {table(t)}.{column(t, 'revoked_at')} IS NULL "
        f"AND {table(t)}.{column(t, 'expires_at')} > %s AND {table(u)}.{column(u, 'is_active')} = %s"
    )


def authenticate_token(plain: str) -> User | None:
    """The active user behind a bearer token, or None for an unknown, expired or revoked one."""
    if not plain.startswith(TOKEN_PREFIX) or len(plain) > 100:
        return None
    now = timezone.now()
    params = [
        prep(ApiToken, "last_used_at", now - datetime.timedelta(minutes=5)),
        _digest(plain),
        prep(ApiToken, "expires_at", now),
        prep(User, "is_active", True),
    ]
    row = fetch_one(_token_sql(connection.vendor), params)
    if row is None:
        return None
    *values, token_id, stale = row
    user: User = model_from_row(User, values)
    if stale:
        ApiToken.objects.filter(pk=token_id).update(last_used_at=now)
    return user
