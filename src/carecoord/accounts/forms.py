"""Forms for signing in, second factors, passwords and the administration of users."""

from __future__ import annotations

from typing import Any

from django import forms

from carecoord.accounts.models import LicenseType, Role


class LoginForm(forms.Form):
    username = forms.CharField(
        max_length=150, widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True})
    )
    password = forms.CharField(strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class CodeForm(forms.Form):
    code = forms.CharField(
        label="6-digit code",
        max_length=9,
        help_text="The code your authenticator app shows now for CareCoord.",
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "class": "code",
                "autofocus": True,
                "spellcheck": "false",
            }
        ),
    )

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if len(code) != 6 or not code.isdigit():
            raise forms.ValidationError("Enter the 6 digits your app shows.")
        return code


class PasswordChangeForm(forms.Form):
    current_password = forms.CharField(
        strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    new_password = forms.CharField(
        strip=False,
        help_text="At least 12 characters, using three of lower-case, capitals, digits and symbols "
        "(or a passphrase of 20 characters or more).",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    confirm_password = forms.CharField(
        label="New password again", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("new_password") and data.get("confirm_password") != data.get("new_password"):
            self.add_error("confirm_password", "The two new passwords are not the same.")
        return data


def _languages(text: str) -> list[str]:
    return [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]


class _StaffDetails(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    email = forms.EmailField(required=False)
    title = forms.CharField(max_length=100, required=False, help_text="Job title, e.g. RN Case Manager")
    education = forms.CharField(max_length=200, required=False, help_text="Highest degree, e.g. BSN, MSW")
    years_experience = forms.IntegerField(label="Years of experience", min_value=0, max_value=70, required=False)
    languages = forms.CharField(
        max_length=100, required=False, initial="en", help_text="Language codes, separated by commas, e.g. en, es"
    )

    def clean_languages(self) -> list[str]:
        return _languages(self.cleaned_data.get("languages") or "")


class UserCreateForm(_StaffDetails):
    username = forms.CharField(max_length=150, help_text="Letters, digits and @ . + - _")
    password = forms.CharField(
        label="Initial password",
        strip=False,
        help_text="Give it to the person privately; they can change it after signing in.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    field_order = [
        "username",
        "role",
        "first_name",
        "last_name",
        "email",
        "title",
        "education",
        "years_experience",
        "languages",
        "password",
    ]


class UserEditForm(_StaffDetails):
    is_active = forms.BooleanField(label="Active (may sign in)", required=False)


class LicenseForm(forms.Form):
    type = forms.ChoiceField(label="License type", choices=LicenseType.choices)
    number = forms.CharField(label="License number", max_length=32)
    state = forms.CharField(max_length=2, initial="NY", help_text="Two-letter state code")
    expires_on = forms.DateField(label="Expires on", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, required=False, help_text="What the token is for, e.g. reporting script")
    days = forms.IntegerField(label="Valid for (days)", min_value=1, max_value=3650, initial=90)
