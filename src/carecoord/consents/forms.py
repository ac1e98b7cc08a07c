"""Forms of the consent pages: record a consent, add or remove a partner, withdraw (DOH-5058), opt out (DOH-5059),
revoke. They parse input into the actions' arguments; the rules (STANDARDS.md A.2, E.2) live in the actions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.utils import timezone

from carecoord.accounts.models import Organization, OrganizationType
from carecoord.consents.models import ConsentForm, Part2Recipients, SignerKind
from carecoord.programs.forms import DATE, network_of
from carecoord.programs.models import Program

RECORDABLE_FORMS = [
    (value, label) for value, label in ConsentForm.choices if value not in (ConsentForm.DOH_5058, ConsentForm.DOH_5059)
]
LANGUAGES = [
    ("en", "English"),
    ("es", "Spanish"),
    ("zh", "Chinese"),
    ("ru", "Russian"),
    ("ht", "Haitian Creole"),
    ("bn", "Bengali"),
    ("ko", "Korean"),
    ("ar", "Arabic"),
    ("yi", "Yiddish"),
    ("fr", "French"),
    ("pl", "Polish"),
    ("other", "Another language"),
]


class PartnerChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        later = " — add later with initials on DOH-5055" if obj.type == OrganizationType.CBO else ""
        return f"{obj.name} ({obj.get_type_display().lower()}){later}"


class ProgramChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


def partner_choices(organization_id: Any) -> QuerySet[Organization]:
    """The user's network first (their organization and its affiliates), then every other active organization."""
    network = list(network_of(organization_id).values_list("pk", flat=True))
    outside = Case(When(pk__in=network, then=Value(0)), default=Value(1), output_field=IntegerField())
    return Organization.objects.filter(active=True).annotate(outside=outside).order_by("outside", "name")


class RecordConsentForm(forms.Form):
    form = forms.ChoiceField(label="Consent form", choices=RECORDABLE_FORMS, widget=forms.RadioSelect)
    program = ProgramChoice(
        queryset=Program.objects.filter(active=True), required=False, empty_label="Not for one program"
    )
    signed_on = forms.DateField(label="Signed on", widget=DATE)
    signer_kind = forms.ChoiceField(
        label="Signed by",
        choices=[(v, label) for v, label in SignerKind.choices if v != SignerKind.CARE_MANAGER],
        initial=SignerKind.PERSON,
    )
    signer_name = forms.CharField(
        label="Signer's name",
        required=False,
        max_length=200,
        help_text="Required for a parent, guardian or representative.",
    )
    verbal = forms.BooleanField(label="Given verbally (Medicare care management only)", required=False)
    partners = PartnerChoice(
        label="Partner organizations on the consent",
        queryset=Organization.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    language = forms.ChoiceField(label="Language of the form", choices=LANGUAGES, initial="en")
    interpreter_used = forms.BooleanField(label="An interpreter was used", required=False)
    copy_given = forms.BooleanField(label="The person was given a copy", required=False)
    expires_on = forms.DateField(label="Expires on", required=False, widget=DATE)
    part2_disclosing_program = forms.CharField(
        label="Who may disclose", required=False, max_length=200, help_text="The Part 2 program"
    )
    part2_information = forms.CharField(
        label="Information to share",
        help_text="A specific and meaningful description",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    part2_recipients = forms.ChoiceField(
        label="Who may receive it", required=False, choices=[("", "Choose"), *list(Part2Recipients.choices)]
    )
    part2_purpose = forms.CharField(
        label="Purpose",
        required=False,
        max_length=200,
        help_text='e.g. "treatment, payment and health care operations" or "at my request"',
    )
    part2_expiration = forms.CharField(
        label="Expires", required=False, max_length=100, help_text="A date, an event, or none"
    )
    revocation_explained = forms.BooleanField(
        label="The person was told of the right to revoke this consent in writing", required=False
    )
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, organization_id: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        partners = self.fields["partners"]
        assert isinstance(partners, forms.ModelMultipleChoiceField)
        partners.queryset = partner_choices(organization_id)
        self.network = set(network_of(organization_id).values_list("pk", flat=True))
        if not self.is_bound:
            self.initial.setdefault("signed_on", timezone.localdate())
            self.initial.setdefault("form", ConsentForm.DOH_5055)
            self.initial.setdefault("partners", [organization_id])

    def partner_options(self) -> list[tuple[str, list[Any]]]:
        """The checklist in two groups: the user's network, then everyone else."""
        inside: list[Any] = []
        outside: list[Any] = []
        for option in self["partners"]:
            (inside if _option_pk(option) in self.network else outside).append(option)
        return [
            (label, group) for label, group in (("Your network", inside), ("Other organizations", outside)) if group
        ]


def _option_pk(option: Any) -> Any:
    value = option.data["value"]
    return getattr(value, "value", value)


class AddPartnerForm(forms.Form):
    organization = forms.ModelChoiceField(
        label="Organization", queryset=Organization.objects.none(), empty_label="Choose an organization"
    )
    initials = forms.CharField(
        label="Person's initials", max_length=8, help_text="As the person wrote them beside the partner on page 3."
    )
    added_on = forms.DateField(label="Date beside the initials", widget=DATE)

    def __init__(self, *args: Any, organization_id: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organization"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = partner_choices(organization_id)
        if not self.is_bound:
            self.initial.setdefault("added_on", timezone.localdate())


class RemovePartnerForm(forms.Form):
    reason = forms.CharField(
        label="Why the partner is removed",
        max_length=200,
        error_messages={"required": "Say why the partner is removed."},
    )


class WithdrawForm(forms.Form):
    signed_on = forms.DateField(label="Date signed (effective from this day)", widget=DATE)
    refused_to_sign = forms.BooleanField(label="The person asked to withdraw but refused to sign", required=False)
    signer_kind = forms.ChoiceField(
        label="Signed by",
        choices=[(v, label) for v, label in SignerKind.choices if v != SignerKind.CARE_MANAGER],
        initial=SignerKind.PERSON,
    )
    signer_name = forms.CharField(label="Signer's name", required=False, max_length=200)
    note = forms.CharField(
        label="Note",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required if the person refused to sign: document the request and the refusal.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("signed_on", timezone.localdate())


class OptOutForm(forms.Form):
    signed_on = forms.DateField(label="Date signed", widget=DATE)
    program = ProgramChoice(
        queryset=Program.objects.filter(active=True), required=False, empty_label="Every program in outreach"
    )
    signer_kind = forms.ChoiceField(
        label="Signed by",
        choices=[
            (SignerKind.PERSON, SignerKind.PERSON.label),
            (SignerKind.CARE_MANAGER, "The care manager, for the person"),
            (SignerKind.GUARDIAN, SignerKind.GUARDIAN.label),
            (SignerKind.REPRESENTATIVE, SignerKind.REPRESENTATIVE.label),
        ],
        initial=SignerKind.PERSON,
    )
    signer_name = forms.CharField(label="Signer's name", required=False, max_length=200)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("signed_on", timezone.localdate())


class RevokeForm(forms.Form):
    on = forms.DateField(label="Revoked in writing on", widget=DATE)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("on", timezone.localdate())
