"""Filters for the audit trail and the break-the-glass review."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django import forms
from django.utils import timezone

from carecoord.audit.models import AuditAction, AuditOutcome
from carecoord.audit.queries import AuditFilter

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AuditFilterForm(forms.Form):
    username = forms.CharField(max_length=150, required=False)
    patient_id = forms.CharField(
        label="Person id", max_length=36, required=False, help_text="The id in the chart's address"
    )
    action = forms.ChoiceField(choices=[("", "Any"), *AuditAction.choices], required=False)
    outcome = forms.ChoiceField(choices=[("", "Any"), *AuditOutcome.choices], required=False)
    object_type = forms.CharField(label="Record type", max_length=64, required=False, help_text="e.g. Patient, User")
    since = forms.DateField(label="From", required=False, widget=_DATE)
    until = forms.DateField(label="To (inclusive)", required=False, widget=_DATE)

    def clean_patient_id(self) -> str:
        value = self.cleaned_data["patient_id"].strip()
        if value:
            try:
                value = str(uuid.UUID(value))
            except ValueError:
                raise forms.ValidationError(
                    "Paste a person id such as 3f2b…-…; it is in the chart's address."
                ) from None
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("since") and data.get("until") and data["until"] < data["since"]:
            self.add_error("until", "The end date is before the start date.")
        return data

    def criteria(self) -> AuditFilter:
        data = self.cleaned_data
        zone = timezone.get_current_timezone()

        def start_of(day: datetime.date | None) -> datetime.datetime | None:
            return datetime.datetime.combine(day, datetime.time.min, tzinfo=zone) if day else None

        until = data.get("until")
        return AuditFilter(
            username=data.get("username", "").strip(),
            patient_id=data.get("patient_id", ""),
            action=data.get("action", ""),
            outcome=data.get("outcome", ""),
            object_type=data.get("object_type", "").strip(),
            since=start_of(data.get("since")),
            until=start_of(until + datetime.timedelta(days=1)) if until else None,
        )


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("appropriate", "Appropriate"), ("inappropriate", "Not appropriate")], widget=forms.RadioSelect
    )
    note = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required when the access was not appropriate.",
    )
