"""Forms of the referral pages: what a person types, parsed and bounded; the rules are the actions'."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from carecoord.referrals.actions import MINIMUM_SHARE, SHAREABLE
from carecoord.referrals.models import ConsentMethod, ReferralOutcome, ReferralPriority
from carecoord.referrals.states import ReferralStatus


class SendForm(forms.Form):
    share = forms.MultipleChoiceField(
        label="What the partner may know",
        choices=list(SHAREABLE.items()),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        initial=list(MINIMUM_SHARE),
        help_text="Only what they need to reach the person and help. The referral's reason is always shared.",
    )
    consent_method = forms.ChoiceField(
        label="The person agreed to share this",
        choices=list(ConsentMethod.choices),
        widget=forms.RadioSelect,
        required=False,
    )
    consent_note = forms.CharField(
        label="Consent note", required=False, max_length=300, help_text="e.g. agreed on the phone, 24 Nov"
    )
    reason = forms.CharField(
        label="Why the person is referred",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
        help_text="The partner reads this.",
    )
    note_to_partner = forms.CharField(
        label="Note to the partner", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, required=False
    )
    priority = forms.ChoiceField(label="Priority", choices=list(ReferralPriority.choices), initial="routine")
    plan_link = forms.ChoiceField(label="Care plan goal or intervention", required=False)

    def __init__(self, *args: object, plan_choices: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["plan_link"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "Not linked"), *plan_choices]


class StatusForm(forms.Form):
    to = forms.ChoiceField(choices=list(ReferralStatus.choices))
    reason = forms.CharField(required=False, max_length=500)
    outcome = forms.ChoiceField(choices=[("", "—"), *ReferralOutcome.choices], required=False)
    outcome_note = forms.CharField(required=False, max_length=2000)


class ActivityForm(forms.Form):
    performed_on = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))
    description = forms.CharField(label="What was done", max_length=500)
    code = forms.CharField(label="SNOMED CT code (optional)", max_length=40, required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["performed_on"].initial = timezone.localdate()


class LinkForm(forms.Form):
    recipient = forms.CharField(label="Send to (email, optional)", max_length=254, required=False)
    days = forms.IntegerField(label="Works for (days)", min_value=1, max_value=90, required=False)
