"""Forms for recording the steps of a transition (each posts to its own action)."""

from __future__ import annotations

from django import forms

from carecoord.transitions.models import ContactMethod, ContactWith, DecisionComplexity, VisitMode

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ContactForm(forms.Form):
    occurred_at = forms.DateTimeField(
        label="When",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    method = forms.ChoiceField(label="How", choices=ContactMethod.choices)
    with_whom = forms.ChoiceField(label="With", choices=ContactWith.choices)
    outcome = forms.ChoiceField(
        label="Outcome",
        choices=[
            ("reached", "Reached: talked about how they are and what they need"),
            ("attempt", "Attempt: not reached"),
        ],
        widget=forms.RadioSelect,
        initial="reached",
    )
    note = forms.CharField(
        label="Note",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="For an attempt, say what was tried (it counts only when documented).",
    )


class MedicationForm(forms.Form):
    on = forms.DateField(label="Reconciled on", widget=_DATE)
    note = forms.CharField(label="Changes found", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class VisitForm(forms.Form):
    on = forms.DateField(label="Visit date", widget=_DATE)
    mode = forms.ChoiceField(label="Kind of visit", choices=VisitMode.choices)
    provider = forms.CharField(label="Seen by", required=False, max_length=200)
    mental_health_provider = forms.BooleanField(label="With a mental health provider", required=False)
    note = forms.CharField(label="Note", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ComplexityForm(forms.Form):
    complexity = forms.ChoiceField(label="Medical decision making", choices=DecisionComplexity.choices)


class CloseForm(forms.Form):
    note = forms.CharField(label="Note", required=False, max_length=300)


class CancelForm(forms.Form):
    reason = forms.CharField(label="Why cancel?", max_length=300)
