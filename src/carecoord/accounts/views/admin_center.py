"""The administration center for organization administrators: the organization, its users and API tokens.

Writes go through ``accounts.actions``. The listings below are read-only queries kept here until
``accounts/queries.py`` exists (see the hand-over notes): the organization's affiliations and its users with
their licenses and second-factor status.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from carecoord.accounts import actions
from carecoord.accounts.forms import LicenseForm, TokenForm, UserCreateForm, UserEditForm
from carecoord.accounts.models import Affiliation, ApiToken, User
from carecoord.accounts.permissions import Capability
from carecoord.common.errors import DomainError
from carecoord.web.decorators import requires, staff_user
from carecoord.web.forms import add_domain_error, problems_of


def _org_users(admin: User) -> QuerySet[User]:
    confirmed = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
    return (
        User.objects.filter(organization_id=admin.organization_id)
        .annotate(has_mfa=Exists(confirmed))
        .prefetch_related("licenses")
        .order_by("last_name", "first_name", "username")
    )


def _org_user(admin: User, user_id: uuid.UUID) -> User:
    user = _org_users(admin).filter(pk=user_id).first()
    if user is None:
        raise Http404("No such user in your organization.")
    return user


@requires(Capability.MANAGE_USERS)
def overview(request: HttpRequest) -> HttpResponse:
    admin = staff_user(request)
    organization = admin.organization
    affiliations = (
        Affiliation.objects.filter(Q(source=organization) | Q(target=organization))
        .select_related("source", "target")
        .order_by("kind", "source__name", "target__name")
    )
    users = _org_users(admin)
    return render(
        request,
        "accounts/admin/overview.html",
        {
            "organization": organization,
            "affiliations": affiliations,
            "user_count": users.filter(is_active=True).count(),
            "without_mfa": sum(1 for user in users if user.is_active and not getattr(user, "has_mfa", False)),
        },
    )


@requires(Capability.MANAGE_USERS)
def users(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/admin/users.html", {"users": _org_users(staff_user(request))})


@requires(Capability.MANAGE_USERS)
def user_new(request: HttpRequest) -> HttpResponse:
    admin = staff_user(request)
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = actions.create_user(
                username=data["username"],
                role=data["role"],
                organization=admin.organization,
                password=data["password"],
                by=admin,
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                title=data["title"],
                education=data["education"],
                years_experience=data["years_experience"],
                languages=data["languages"],
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"{user} can now sign in as {user.username} and set up their authenticator.")
            return redirect("web:admin_user_edit", user_id=user.pk)
    return render(request, "accounts/admin/user_form.html", {"form": form, "problems": problems_of(form)})


@requires(Capability.MANAGE_USERS)
def user_edit(request: HttpRequest, user_id: uuid.UUID) -> HttpResponse:
    admin = staff_user(request)
    user = _org_user(admin, user_id)
    initial = {name: getattr(user, name) for name in UserEditForm.base_fields if name != "languages"}
    initial["languages"] = ", ".join(user.languages or [])
    form = UserEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changes = {name: value for name, value in form.cleaned_data.items() if getattr(user, name) != value}
        try:
            if changes:
                actions.update_user(user=user, by=admin, **changes)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"Saved {user}." if changes else "Nothing changed.")
            return redirect("web:admin_user_edit", user_id=user.pk)
    return render(
        request,
        "accounts/admin/user_edit.html",
        {
            "form": form,
            "problems": problems_of(form),
            "person": user,
            "license_form": LicenseForm(),
        },
    )


@requires(Capability.MANAGE_USERS)
def license_new(request: HttpRequest, user_id: uuid.UUID) -> HttpResponse:
    admin = staff_user(request)
    user = _org_user(admin, user_id)
    form = LicenseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.add_license(
                user=user,
                data=actions.LicenseData(
                    type=data["type"], number=data["number"], state=data["state"], expires_on=data["expires_on"]
                ),
                by=admin,
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"License added for {user}.")
            return redirect("web:admin_user_edit", user_id=user.pk)
    return render(
        request,
        "accounts/admin/license_form.html",
        {
            "form": form,
            "problems": problems_of(form),
            "person": user,
        },
    )


@require_POST
@requires(Capability.MANAGE_USERS)
def reset_mfa(request: HttpRequest, user_id: uuid.UUID) -> HttpResponse:
    admin = staff_user(request)
    user = _org_user(admin, user_id)
    try:
        actions.reset_mfa(user=user, by=admin)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{user} will set up a new authenticator at their next sign-in.")
    return redirect("web:admin_user_edit", user_id=user.pk)


@requires(Capability.MANAGE_USERS)
def tokens(request: HttpRequest) -> HttpResponse:
    admin = staff_user(request)
    form = TokenForm(request.POST or None)
    plain = ""
    if request.method == "POST" and form.is_valid():
        try:
            _, plain = actions.create_token(
                user=admin, by=admin, name=form.cleaned_data["name"], days=form.cleaned_data["days"]
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            form = TokenForm()
    listed = ApiToken.objects.filter(user=admin).order_by("-created_at")
    return render(
        request,
        "accounts/admin/tokens.html",
        {
            "form": form,
            "problems": problems_of(form),
            "tokens": listed,
            "plain": plain,
        },
    )


@require_POST
@requires(Capability.MANAGE_USERS)
def token_revoke(request: HttpRequest, token_id: uuid.UUID) -> HttpResponse:
    admin = staff_user(request)
    token = ApiToken.objects.filter(pk=token_id, user=admin, revoked_at__isnull=True).first()
    if token is None:
        raise Http404("No such active token.")
    actions.revoke_token(token=token, by=admin)
    messages.success(request, f"Token {token.prefix}… is revoked; programs using it can no longer connect.")
    return redirect("web:admin_tokens")
