"""The care team panel on the chart: who is on the person's team, adding someone, ending someone's place.

The person is fetched through ``patients.access.access_patient`` (audited); writes go through
``careteams.actions``. Someone reading the chart through emergency access (break the glass) sees the team but
cannot change it.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from carecoord.accounts.models import User
from carecoord.accounts.permissions import Capability
from carecoord.careteams.access import may_change
from carecoord.careteams.actions import MemberData, add_member, end_member
from carecoord.careteams.forms import EndMemberForm, MemberForm, staff_choices, team_organizations
from carecoord.careteams.models import CareTeamMember, CareTeamStatus, MemberKind
from carecoord.common.errors import DomainError
from carecoord.patients.access import access_patient
from carecoord.patients.models import Patient
from carecoord.web.decorators import is_htmx, page_fetch, requires, staff_user
from carecoord.web.forms import add_domain_error, problems_of


def panel_context(patient: Patient, user: User) -> dict[str, Any]:
    """The members of the person's active care teams, current first (lead on top), ended ones apart."""
    today = timezone.localdate()
    members = list(
        CareTeamMember.objects.filter(care_team__patient=patient, care_team__status=CareTeamStatus.ACTIVE)
        .select_related("user", "user__organization", "practitioner", "contact", "organization")
        .order_by("-is_lead", "start_date", "pk")
    )
    current = [m for m in members if m.end_date is None or m.end_date >= today]
    ended = sorted(
        (m for m in members if m.end_date is not None and m.end_date < today),
        key=lambda m: m.end_date or today,
        reverse=True,
    )
    return {
        "patient": patient,
        "current": current,
        "ended": ended,
        "today": today,
        "can_change": may_change(user, patient),
    }


def _patient(request: HttpRequest, patient_id: uuid.UUID, purpose: str) -> Patient:
    return page_fetch(access_patient, staff_user(request), patient_id, detail={"purpose": purpose})


def _chart(patient: Patient) -> str:
    return reverse("web:chart", args=[patient.pk]) + "#care-team"


@requires(Capability.VIEW_PATIENTS)
def panel(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    """The panel alone (htmx refreshes it in place); without htmx, the chart."""
    patient = _patient(request, patient_id, "care team")
    if not is_htmx(request):
        return redirect(_chart(patient))
    return render(request, "careteams/_panel.html", panel_context(patient, staff_user(request)))


@requires(Capability.VIEW_PATIENTS)
def add(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    patient = _patient(request, patient_id, "add care team member")
    if not may_change(user, patient):
        raise PermissionDenied("Emergency access lets you read the record, not change the care team.")
    form = MemberForm(request.POST or None, patient=patient, organization_id=user.organization_id)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            member = add_member(patient=patient, data=_member_data(data, patient), by=user)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"{member.display_name} joined the care team as {member.get_role_display()}.")
            return redirect(_chart(patient))
    return render(
        request,
        "careteams/add_member.html",
        {"patient": patient, "form": form, "problems": problems_of(form) if form.is_bound else []},
        status=400 if form.is_bound and form.errors else 200,
    )


@requires(Capability.VIEW_PATIENTS)
def staff_options(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    """The staff list for the add form when another organization is chosen (htmx swaps the options in)."""
    user = staff_user(request)
    patient = _patient(request, patient_id, "care team staff list")
    if not may_change(user, patient):
        raise PermissionDenied("Emergency access lets you read the record, not change the care team.")
    chosen = request.GET.get("staff_organization", "")
    organizations = team_organizations(patient, user.organization_id)
    if chosen:
        try:
            organizations = {uuid.UUID(chosen)}
        except ValueError:
            raise Http404("No such organization.") from None
    return render(request, "careteams/_staff_options.html", {"staff": staff_choices(organizations)})


def _member_data(data: dict[str, Any], patient: Patient) -> MemberData:
    kind = data["kind"]
    name, phone, email = (data.get("name") or "").strip(), (data.get("phone") or "").strip(), data.get("email") or ""
    member = MemberData(role=data["role"], kind=kind, start_date=data.get("start_date"))
    if kind == MemberKind.STAFF:
        member.user = data["user"]
    elif kind == MemberKind.PRACTITIONER:
        practitioner = data.get("practitioner")
        member.practitioner = practitioner
        if practitioner is not None:
            name = name or str(practitioner)
            phone, email = phone or practitioner.phone, email or practitioner.email
    elif kind == MemberKind.RELATED_PERSON:
        contact = data.get("contact")
        member.contact = contact
        if contact is not None:
            name = name or contact.name
            phone, email = phone or contact.phone, email or contact.email
    elif kind == MemberKind.PATIENT:
        name = name or str(patient)
        email = email or patient.email
    member.name, member.phone, member.email = name, phone, email
    return member


@require_POST
@requires(Capability.VIEW_PATIENTS)
def end(request: HttpRequest, patient_id: uuid.UUID, member_id: int) -> HttpResponse:
    user = staff_user(request)
    patient = _patient(request, patient_id, "end care team member")
    if not may_change(user, patient):
        raise PermissionDenied("Emergency access lets you read the record, not change the care team.")
    member = (
        CareTeamMember.objects.filter(pk=member_id, care_team__patient=patient)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=timezone.localdate()))
        .select_related("user", "practitioner", "care_team")
        .first()
    )
    if member is None:
        raise Http404("That member is not on this person's care team.")
    form = EndMemberForm(request.POST)
    error = ""
    if member.is_lead:
        error = "The lead care manager changes when a supervisor reassigns the caseload."
    elif not form.is_valid():
        error = "Say why they leave the team."
    else:
        end_member(member=member, by=user, reason=form.cleaned_data["reason"])
    if is_htmx(request):
        context = panel_context(patient, user)
        context.update(
            {
                "error": error,
                "error_member": member.pk,
                "notice": "" if error else f"{member.display_name} left the care team.",
            }
        )
        return render(request, "careteams/_panel.html", context, status=200)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, f"{member.display_name} left the care team.")
    return redirect(_chart(patient))
