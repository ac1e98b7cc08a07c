"""Test helpers for the web pages: plain static storage, a signed-in client with a verified second factor."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from carecoord.accounts.models import User

PLAIN_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


@pytest.fixture(autouse=True)
def plain_static_files(settings: Any) -> Iterator[None]:
    """Tests run without DEBUG, where {% static %} needs collectstatic's manifest; serve files as they are."""
    settings.STORAGES = PLAIN_STORAGES
    yield


def confirmed_device(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Test phone", confirmed=True)


def totp_code(device: TOTPDevice) -> str:
    """The code an authenticator app would show now for ``device``."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def signed_in(client: Client, user: User) -> Client:
    """``client`` signed in as ``user`` with a verified authenticator (as after the MFA page)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or confirmed_device(user)
    client.force_login(user)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client
