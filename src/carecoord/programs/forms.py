"""Forms of the program pages: referral in and its decision, outreach attempts and months, enrollment.

Forms only parse input; the rules live in ``programs.actions`` and come back as form errors.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone

from carecoord.accounts.models import Affiliation, Organization, OrganizationType, Role, User
from carecoord.programs.models import (
    EnrollmentEndReason,
    OutreachDirection,
    OutreachMethod,
    OutreachOutcome,
    Program,
    ReferralSource,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
CASELOAD_ROLES = (Role.CARE_COORDINATOR, Role.CARE_MANAGER, Role.LICENSED_CARE_MANAGER, Role.SUPERVISOR)


def network_of(organization_id: Any) -> QuerySet[Organization]:
    """The organization and those it has an active affiliation with, in either direction."""
    linked = Affiliation.objects.filter(active=True).filter(Q(source_id=organization_id) | Q(target_id=organization_id))
    ids = {organization_id}
    for source, target in linked.values_list("source_id", "target_id"):
        ids.update((source, target))
    return Organization.objects.filter(pk__in=ids, active=True).order_by("name")


class ProgramChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class ReferToProgramForm(forms.Form):
    program = ProgramChoice(queryset=Program.objects.filter(active=True), empty_label="Choose a program")
    receiving_organization = forms.ModelChoiceField(
        label="Refer to", queryset=Organization.objects.none(), empty_label="Choose an organization"
    )
    source = forms.ChoiceField(label="Where the referral comes from", choices=ReferralSource.choices)
    referrer_name = forms.CharField(
        label="Person who referred",
        required=False,
        max_length=200,
        help_text="If not you, e.g. Dr. Patel at the clinic",
    )
    reason = forms.CharField(label="Reason for the referral", required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, organization_id: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["receiving_organization"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = network_of(organization_id)
        self.fields["source"].initial = ReferralSource.PROVIDER


class AcceptReferralForm(forms.Form):
    start_date = forms.DateField(
        label="Assignment starts", required=False, widget=DATE, help_text="Today if left empty"
    )


class RejectReferralForm(forms.Form):
    reason = forms.CharField(
        label="Why the referral is rejected",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The referring organization is told this reason.",
        error_messages={"required": "Say why the referral is rejected."},
    )


class OutreachAttemptForm(forms.Form):
    program = ProgramChoice(queryset=Program.objects.none(), empty_label=None)
    attempted_at = forms.DateTimeField(
        label="When",
        input_formats=["%Y-%m-%dT%H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    method = forms.ChoiceField(choices=OutreachMethod.choices)
    direction = forms.ChoiceField(choices=OutreachDirection.choices, initial=OutreachDirection.OUTBOUND)
    outcome = forms.ChoiceField(choices=OutreachOutcome.choices)
    duration_minutes = forms.IntegerField(
        label="Minutes",
        required=False,
        min_value=0,
        max_value=600,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    diligent_search = forms.BooleanField(label="Diligent search (the person cannot be found)", required=False)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, programs: QuerySet[Program], **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "attempt")
        super().__init__(*args, **kwargs)
        field = self.fields["program"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = programs
        if not self.is_bound:
            self.initial.setdefault("attempted_at", timezone.localtime().replace(second=0, microsecond=0))


class ClaimMonthForm(forms.Form):
    program = ProgramChoice(queryset=Program.objects.none(), empty_label=None)
    month = forms.DateField(input_formats=["%Y-%m"], widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"))

    def __init__(self, *args: Any, programs: QuerySet[Program], **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "claim")
        super().__init__(*args, **kwargs)
        field = self.fields["program"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = programs
        if not self.is_bound:
            self.initial.setdefault("month", timezone.localdate().replace(day=1))


class StaffChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj} ({obj.get_role_display().lower()})"


def acuity_choices() -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for tiers in Program.objects.filter(active=True).values_list("acuity_tiers", flat=True):
        for tier in tiers or []:
            seen.setdefault(str(tier["code"]), str(tier["label"]))
    return [("", "Not set"), *sorted(seen.items(), key=lambda item: item[1])]


class EnrollForm(forms.Form):
    program = ProgramChoice(queryset=Program.objects.filter(active=True), empty_label="Choose a program")
    start_date = forms.DateField(label="Enrollment starts", widget=DATE)
    care_manager = StaffChoice(queryset=User.objects.none(), required=False, empty_label="Assign later")
    acuity = forms.ChoiceField(required=False, choices=[])
    clinical_need = forms.BooleanField(label="Clinical need: a licensed care manager is required", required=False)

    def __init__(self, *args: Any, organization_id: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["care_manager"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = User.objects.filter(
            organization_id=organization_id, is_active=True, role__in=CASELOAD_ROLES
        ).order_by("last_name", "first_name")
        acuity = self.fields["acuity"]
        assert isinstance(acuity, forms.ChoiceField)
        acuity.choices = acuity_choices()
        if not self.is_bound:
            self.initial.setdefault("start_date", timezone.localdate())


class EndEnrollmentForm(forms.Form):
    end_date = forms.DateField(label="Last day of enrollment", widget=DATE)
    reason = forms.ChoiceField(choices=[("", "Choose a reason"), *list(EnrollmentEndReason.choices)])
    note = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text="Required when the reason is Other."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("end_date", timezone.localdate())


WEB_IMPORT_MAX_BYTES = 2 * 1024 * 1024  # larger files: `carecoord import-assignments` (progress bar, no timeout)


class AssignmentFileForm(forms.Form):
    """A health plan's member assignment file, uploaded by staff (columns: ``programs/imports.py``)."""

    plan = forms.ModelChoiceField(
        queryset=Organization.objects.none(), label="Health plan that sent the file", empty_label="Choose the plan"
    )
    file = forms.FileField(label="Assignment file (CSV, UTF-8)")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        plan = self.fields["plan"]
        assert isinstance(plan, forms.ModelChoiceField)
        plan.queryset = Organization.objects.filter(type=OrganizationType.HEALTH_PLAN).order_by("name")

    def clean_file(self) -> str:
        upload = self.cleaned_data["file"]
        if upload.size > WEB_IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size / 1024 / 1024:.1f} MB; files over 2 MB are imported with "
                "`carecoord import-assignments`."
            )
        try:
            return str(upload.read().decode("utf-8-sig"))
        except UnicodeDecodeError:
            raise forms.ValidationError(
                "The file is not UTF-8 text; save it as “CSV UTF-8” and upload again."
            ) from None
