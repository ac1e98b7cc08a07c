"""Forms: the quick contact entry (chart and contact log) and time without a contact."""

from __future__ import annotations

from typing import Any

from django import forms

from carecoord.contacts.models import Activity, CoreService, Modality, Outcome
from carecoord.programs.models import Enrollment


def _enrollment_choices(enrollments: list[Enrollment]) -> list[tuple[str, str]]:
    return [(str(e.pk), e.program.name) for e in enrollments] + [("", "No program")]


class ContactForm(forms.Form):
    """Defaults make a phone call now, reached, for the person's first active enrollment: a few keystrokes."""

    modality = forms.ChoiceField(choices=Modality.choices, initial=Modality.PHONE, label="How")
    outcome = forms.ChoiceField(choices=Outcome.choices, initial=Outcome.REACHED, label="Outcome")
    duration_minutes = forms.IntegerField(
        required=False, min_value=0, max_value=1440, label="Minutes", widget=forms.NumberInput(attrs={"size": 4})
    )
    enrollment = forms.ChoiceField(required=False, label="Program")
    core_services = forms.MultipleChoiceField(
        required=False, choices=CoreService.choices, label="Core services", widget=forms.CheckboxSelectMultiple
    )
    purpose = forms.CharField(required=False, label="Purpose and note", widget=forms.Textarea(attrs={"rows": 2}))
    occurred_at = forms.DateTimeField(
        required=False, label="When (blank: now)", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    with_person = forms.BooleanField(required=False, initial=True, label="The person took part")
    caregiver = forms.CharField(required=False, max_length=200, label="Caregiver or family")
    provider = forms.CharField(required=False, max_length=200, label="Provider or team member")
    place = forms.CharField(required=False, max_length=200, label="Place")
    links = forms.CharField(
        required=False, max_length=500, label="Served (e.g. Task/…, Goal/…)", help_text="Separate with commas"
    )

    def __init__(self, *args: Any, enrollments: list[Enrollment], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["enrollment"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = _enrollment_choices(enrollments)
        if enrollments and not self.is_bound:
            self.initial.setdefault("enrollment", str(enrollments[0].pk))


class TimeForm(forms.Form):
    activity = forms.ChoiceField(choices=Activity.choices, label="Work")
    minutes = forms.IntegerField(min_value=1, max_value=1440, label="Minutes")
    enrollment = forms.ChoiceField(required=False, label="Program")
    performed_at = forms.DateTimeField(
        required=False, label="When (blank: now)", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    note = forms.CharField(required=False, label="Note", widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, enrollments: list[Enrollment], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["enrollment"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = _enrollment_choices(enrollments)
        if enrollments and not self.is_bound:
            self.initial.setdefault("enrollment", str(enrollments[0].pk))
