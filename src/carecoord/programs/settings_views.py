"""Program settings in the administration center: the rules each program applies, edited by the Health Home
lead's administrators. Writes go through ``programs.actions.update_program``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from carecoord.accounts.permissions import Capability
from carecoord.common.errors import DomainError
from carecoord.consents.models import ConsentForm, SecurityLabel
from carecoord.programs.actions import may_manage_programs, update_program
from carecoord.programs.models import Program
from carecoord.web.decorators import requires, staff_user
from carecoord.web.forms import add_domain_error

DAYS = {"min_value": 1, "max_value": 730, "required": False}


class ProgramForm(forms.Form):
    name = forms.CharField(max_length=120)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    active = forms.BooleanField(required=False, label="Taking referrals and enrollments")
    min_age = forms.IntegerField(required=False, min_value=0, max_value=120, label="Youngest age at enrollment")
    max_age = forms.IntegerField(required=False, min_value=0, max_value=120, label="Oldest age at enrollment")
    eligibility = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text="One criterion per line."
    )
    required_consents = forms.MultipleChoiceField(
        required=False,
        choices=ConsentForm.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Enrollment needs any one of these, in force and listing the enrolling organization.",
    )
    outreach_allowed = forms.BooleanField(required=False, label="Bills outreach months")
    outreach_max_consecutive_months = forms.IntegerField(required=False, min_value=1, max_value=12)
    outreach_second_month_needs_in_person = forms.BooleanField(
        required=False, label="Second consecutive outreach month needs an in-person attempt"
    )
    outreach_max_billable_months_per_year = forms.IntegerField(
        required=False, min_value=1, max_value=12, label="Billable outreach months in any 12"
    )
    min_core_services_per_month = forms.IntegerField(min_value=0, max_value=31, label="Core services a month")
    min_in_person_per_month = forms.IntegerField(min_value=0, max_value=31, label="In-person contacts a month")
    min_minutes_per_month = forms.IntegerField(min_value=0, max_value=600, label="Care management minutes a month")
    assessment_due_days = forms.IntegerField(**DAYS, label="Assessment due (days after enrollment)")  # type: ignore[arg-type]
    plan_due_days = forms.IntegerField(**DAYS, label="Plan of care due (days after enrollment)")  # type: ignore[arg-type]
    plan_review_days = forms.IntegerField(**DAYS, label="Plan review every (days)")  # type: ignore[arg-type]
    acuity_tiers = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One tier per line as code: label, e.g. high: High.",
    )
    security_labels = forms.MultipleChoiceField(
        required=False,
        choices=SecurityLabel.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Records of this program are shown only where a consent releases these labels.",
    )
    caseload_limit = forms.IntegerField(required=False, min_value=1, max_value=1000, label="People per care manager")
    needs_licensed_care_manager = forms.BooleanField(required=False, label="Needs a licensed care manager")

    def clean_eligibility(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["eligibility"].splitlines() if line.strip()]

    def clean_acuity_tiers(self) -> list[dict[str, str]]:
        tiers = []
        for line in self.cleaned_data["acuity_tiers"].splitlines():
            if not line.strip():
                continue
            code, sep, label = line.partition(":")
            if not sep or not code.strip() or not label.strip():
                raise forms.ValidationError(f"Write each tier as code: label, not {line.strip()!r}.")
            tiers.append({"code": code.strip(), "label": label.strip()})
        return tiers


def _initial(program: Program) -> dict[str, Any]:
    initial = {name: getattr(program, name) for name in ProgramForm.base_fields}
    initial["eligibility"] = "\n".join(program.eligibility)
    initial["acuity_tiers"] = "\n".join(f"{t['code']}: {t['label']}" for t in program.acuity_tiers)
    return initial


@requires(Capability.MANAGE_PROGRAMS)
def program_list(request: HttpRequest) -> HttpResponse:
    admin = staff_user(request)
    return render(
        request,
        "programs/admin/programs.html",
        {"programs": Program.objects.all(), "may_edit": may_manage_programs(admin)},
    )


@requires(Capability.MANAGE_PROGRAMS)
def program_edit(request: HttpRequest, code: str) -> HttpResponse:
    admin = staff_user(request)
    if not may_manage_programs(admin):
        raise PermissionDenied("Only administrators of the Health Home lead change program rules.")
    program = Program.objects.filter(code=code).first()
    if program is None:
        raise Http404("No such program.")
    form = ProgramForm(request.POST or None, initial=_initial(program))
    if request.method == "POST" and form.is_valid():
        try:
            update_program(program=program, changes=form.cleaned_data, by=admin)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"{program.name}: rules saved.")
            return redirect("web:admin_programs")
    return render(request, "programs/admin/program_form.html", {"program": program, "form": form})
