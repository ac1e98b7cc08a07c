"""Signing in: password, then the second factor (enrol or verify), sign out and password change.

Sign-in events are audited here, at the edge that sees them: a successful sign-in once the second factor is
verified (or after the password when none is required), a failure for a wrong password or code.
"""

from __future__ import annotations

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, update_session_auth_hash
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_POST
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from carecoord.accounts.actions import (
    confirm_totp,
    record_sign_in,
    record_sign_out,
    set_password,
    start_totp_enrolment,
)
from carecoord.accounts.forms import CodeForm, LoginForm, PasswordChangeForm
from carecoord.accounts.models import User
from carecoord.accounts.permissions import requires_mfa
from carecoord.common.errors import ValidationFailed
from carecoord.web.decorators import staff_user
from carecoord.web.forms import add_domain_error, problems_of

_PENDING_DEVICE = "carecoord_pending_totp"


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("web:home")


def _is_verified(request: HttpRequest) -> bool:
    """django_otp's middleware gives the user ``is_verified``; true once the second factor is confirmed."""
    return bool(getattr(request.user, "is_verified", lambda: False)())


def _needs_second_factor(user: User) -> bool:
    return bool(settings.MFA_REQUIRED and requires_mfa(user))


def login_view(request: HttpRequest) -> HttpResponse:
    next_url = _next_url(request)
    if request.user.is_authenticated and (_is_verified(request) or not _needs_second_factor(request.user)):
        return redirect(next_url)
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        user = authenticate(request=request, username=username, password=form.cleaned_data["password"])
        if user is None:
            locked = bool(getattr(request, "axes_locked_out", False))
            record_sign_in(
                user=None,
                succeeded=False,
                username=username,
                detail={"step": "password", "reason": "locked-out" if locked else "wrong-credentials"},
            )
            form.add_error(
                None,
                "That username and password do not match an active account. After "
                f"{settings.AXES_FAILURE_LIMIT} failures in a row the account is locked for a while.",
            )
        else:
            account = user
            auth_login(request, account)
            if _needs_second_factor(account):
                return HttpResponseRedirect(reverse("accounts:mfa") + "?" + urlencode({"next": next_url}))
            record_sign_in(user=account, succeeded=True, detail={"step": "password"})
            return redirect(next_url)
    return render(
        request,
        "accounts/login.html",
        {
            "form": form,
            "next": next_url,
            "timed_out": request.GET.get("timeout") == "1",
            "idle_minutes": settings.SESSION_IDLE_MINUTES,
        },
    )


def _pending_device(request: HttpRequest, user: User) -> TOTPDevice:
    """The authenticator being set up in this session, or a fresh one (through the enrolment action)."""
    pending_id = request.session.get(_PENDING_DEVICE)
    device = None
    if pending_id is not None:
        device = next((d for d in devices_for_user(user, confirmed=False) if d.persistent_id == pending_id), None)
    if not isinstance(device, TOTPDevice):
        device = start_totp_enrolment(user=user)
        request.session[_PENDING_DEVICE] = device.persistent_id
    return device


def _qr_svg(device: TOTPDevice) -> str:
    return str(segno.make(device.config_url, error="m").svg_inline(scale=5, title="QR code for your authenticator app"))


def _secret_text(device: TOTPDevice) -> str:
    from base64 import b32encode

    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _code_problem(device: TOTPDevice, message: str) -> str:
    """After a wrong code the device makes the next try wait a little longer; say so."""
    allowed, _ = device.verify_is_allowed()
    return message if allowed else f"{message} After several wrong codes, wait a few seconds before the next try."


@login_required
def mfa_view(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    next_url = _next_url(request)
    if _is_verified(request):
        return redirect(next_url)
    confirmed = [d for d in devices_for_user(user, confirmed=True) if isinstance(d, TOTPDevice)]
    form = CodeForm(request.POST or None)
    if confirmed:
        if request.method == "POST" and form.is_valid():
            device = next((d for d in confirmed if d.verify_token(form.cleaned_data["code"])), None)
            if device is not None:
                otp_login(request, device)
                record_sign_in(user=user, succeeded=True, detail={"step": "mfa"})
                return redirect(next_url)
            record_sign_in(user=user, succeeded=False, detail={"step": "mfa"})
            form.add_error(
                "code",
                _code_problem(
                    confirmed[0], "That code is not right or has expired. Enter the code your app shows now."
                ),
            )
        return render(request, "accounts/mfa_verify.html", {"form": form, "next": next_url})

    device = _pending_device(request, user)
    if request.method == "POST" and form.is_valid():
        if confirm_totp(device=device, token=form.cleaned_data["code"]):
            request.session.pop(_PENDING_DEVICE, None)
            otp_login(request, device)
            record_sign_in(user=user, succeeded=True, detail={"step": "mfa-enrolled"})
            messages.success(request, "Your authenticator app is set up. You will need it each time you sign in.")
            return redirect(next_url)
        form.add_error(
            "code",
            _code_problem(device, "That code does not match. Check the app shows CareCoord and try the current code."),
        )
    return render(
        request,
        "accounts/mfa_enrol.html",
        {
            "form": form,
            "next": next_url,
            "qr_svg": _qr_svg(device),
            "secret": _secret_text(device),
        },
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        record_sign_out(user=staff_user(request))
    auth_logout(request)
    messages.info(request, "You are signed out.")
    return redirect("accounts:login")


@login_required
def password_change_view(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not user.check_password(form.cleaned_data["current_password"]):
            form.add_error("current_password", "That is not your current password.")
        else:
            try:
                set_password(user=user, password=form.cleaned_data["new_password"], by=user)
            except ValidationFailed as error:
                add_domain_error(form, error, field_map={"password": "new_password"})
            else:
                update_session_auth_hash(request, user)
                messages.success(request, "Your password is changed.")
                return redirect("web:home")
    return render(request, "accounts/password_change.html", {"form": form, "problems": problems_of(form)})
