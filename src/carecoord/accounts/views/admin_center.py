"""The administration center for organization administrators: the organization, its users and API tokens.

Writes go through ``accounts.actions``; listings come from ``accounts.queries``.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from carecoord.accounts import actions
from carecoord.accounts.forms import LicenseForm, TokenForm, UserCreateForm, UserEditForm
from carecoord.accounts.models import User
from carecoord.accounts.permissions import Capability
from carecoord.accounts.queries import get_active_token, list_affiliations, list_staff, list_tokens
from carecoord.common.errors import DomainError
from carecoord.web.decorators import requires, staff_user
from carecoord.web.forms import add_domain_error, problems_of


def _org_user(admin: User, user_id: uuid.UUID) -> User:
    user = list_staff(admin.organization_id).filter(pk=user_id).first()
    if user is None:
        raise Http404("No such user in your organization.")
    return user


@requires(Capability.MANAGE_USERS)
def overview(request: HttpRequest) -> HttpResponse:
    admin = staff_user(request)
    organization = admin.organization
    affiliations = list_affiliations(organization)
    users = list_staff(admin.organization_id)
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
    return render(request, "accounts/admin/users.html", {"users": list_staff(staff_user(request).organization_id)})


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
    listed = list_tokens(admin)
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
    token = get_active_token(admin, token_id)
    if token is None:
        raise Http404("No such active token.")
    actions.revoke_token(token=token, by=admin)
    messages.success(request, f"Token {token.prefix}… is revoked; programs using it can no longer connect.")
    return redirect("web:admin_tokens")
