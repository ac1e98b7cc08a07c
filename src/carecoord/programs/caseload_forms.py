"""Forms of the supervisor's caseload page: assign, reassign (one or many), arrange coverage."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms

from carecoord.accounts.models import User


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        user: User = obj
        return f"{user} ({user.get_role_display()})"


class AssignForm(forms.Form):
    """Put one person (enrollment) on a care manager's caseload."""

    enrollment = forms.UUIDField(widget=forms.HiddenInput)
    care_manager = StaffChoiceField(queryset=User.objects.none(), label="Care manager")

    def __init__(self, *args: Any, staff: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["care_manager"].queryset = staff  # type: ignore[attr-defined]


class ReassignForm(forms.Form):
    """Move the checked people from one care manager to another."""

    enrollments = forms.TypedMultipleChoiceField(
        coerce=str, label="People", error_messages={"required": "Check at least one person to reassign."}
    )
    to = StaffChoiceField(
        queryset=User.objects.none(),
        label="Reassign to",
        error_messages={"required": "Choose who takes them on."},
    )

    def __init__(self, *args: Any, staff: Any, enrollment_ids: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = staff  # type: ignore[attr-defined]
        self.fields["enrollments"].choices = [(value, value) for value in enrollment_ids]  # type: ignore[attr-defined]


class CoverageForm(forms.Form):
    """A colleague covers a care manager's caseload for a period."""

    care_manager = StaffChoiceField(queryset=User.objects.none(), label="Care manager away")
    covered_by = StaffChoiceField(queryset=User.objects.none(), label="Covered by")
    start_date = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(label="Until (inclusive)", widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(
        label="Reason", max_length=200, required=False, help_text="e.g. Vacation, medical leave, training"
    )

    def __init__(self, *args: Any, staff: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["care_manager"].queryset = staff  # type: ignore[attr-defined]
        self.fields["covered_by"].queryset = staff  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start: datetime.date | None = data.get("start_date")
        end: datetime.date | None = data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "Coverage cannot end before it starts.")
        if data.get("care_manager") and data.get("care_manager") == data.get("covered_by"):
            self.add_error("covered_by", "Choose a colleague, not the care manager themself.")
        return data
