"""The supervisor's caseload page (UI.md screen 9): the team table, people waiting for a care manager with
suggestions, reassignment one by one or in bulk, and coverage while someone is away.

Supervisors only (``ASSIGN_CASELOAD``). Reads come from ``programs.caseload``; writes go through
``programs.actions`` (``assign_care_manager``, ``cover_caseload``), which audit and notify.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from carecoord.accounts.models import User
from carecoord.accounts.permissions import Capability
from carecoord.common.errors import DomainError, NotFound
from carecoord.programs.access import access_caseload_of, access_enrollment_to_assign, access_waiting_enrollments
from carecoord.programs.actions import assign_care_manager, cover_caseload
from carecoord.programs.caseload import (
    CaseloadRow,
    Suggestion,
    assignable_staff,
    caseload_of,
    caseload_summary,
    count_unassigned,
    open_coverages,
    suggest_for,
)
from carecoord.programs.caseload_forms import AssignForm, CoverageForm, ReassignForm
from carecoord.programs.models import Enrollment, Program
from carecoord.web.decorators import requires, staff_user
from carecoord.web.forms import add_domain_error, problems_of
from carecoord.web.templatetags.carecoord import day, dob, language_name, relative

UNASSIGNED_SHOWN = 25
TEAM_SHOWN = 50  # rows of the team table before "show everyone" (a large agency has hundreds of staff)


def _acuity_labels() -> dict[str, str]:
    labels: dict[str, str] = {}
    for tiers in Program.objects.values_list("acuity_tiers", flat=True):
        for tier in tiers or []:
            labels.setdefault(str(tier.get("code", "")), str(tier.get("label", tier.get("code", ""))))
    return labels


@dataclass(frozen=True)
class TeamLine:
    """One row of the team table, with its text composed here (hundreds of rows render fast as plain values)."""

    name: str
    role: str
    licensed: bool
    active: int
    caseload_limit: int | None
    over_by: int
    at_limit: bool
    acuity: str
    languages: str
    coverage: list[str]
    member_url: str
    cover_url: str


def _span(start: datetime.date, end: datetime.date) -> str:
    return f"{day(start)} to {day(end)}"


def _team_lines(rows: list[CaseloadRow], labels: dict[str, str]) -> list[TeamLine]:
    order = list(labels)
    today = timezone.localdate()
    blank = str(uuid.UUID(int=0))
    member_url = reverse("caseload:member", args=[blank]).replace(blank, "{}")
    cover_url = reverse("caseload:coverage") + "?care_manager={}"
    names: dict[str, str] = {}
    lines = []
    for row in rows:
        codes = sorted(row.by_acuity, key=lambda c: (order.index(c) if c in order else len(order), c))
        acuity = " · ".join(
            f"{labels.get(code, 'Not set') if code else 'Not set'} {row.by_acuity[code]}" for code in codes
        )
        spoken = ", ".join(dict.fromkeys(names.setdefault(code, language_name(code)) for code in row.languages))
        coverage = [
            f"{'Away: covered' if c.start_date <= today else 'Covered'} by {c.other_name} "
            + _span(c.start_date, c.end_date)
            + (f" ({c.reason})" if c.reason else "")
            for c in row.covered_by
        ] + [f"Covers {c.other_name} {_span(c.start_date, c.end_date)}" for c in row.covering]
        lines.append(
            TeamLine(
                name=row.name,
                role=row.role_label,
                licensed=row.licensed,
                active=row.active,
                caseload_limit=row.caseload_limit,
                over_by=row.over_by,
                at_limit=row.at_limit,
                acuity=acuity,
                languages=spoken,
                coverage=coverage,
                member_url=member_url.format(row.user_id),
                cover_url=cover_url.format(row.user_id),
            )
        )
    return lines


@dataclass(frozen=True)
class Pick:
    user_id: uuid.UUID
    name: str
    reasons: str


@dataclass(frozen=True)
class WaitingLine:
    """One person waiting for a care manager, with the suggestions to assign in one click."""

    enrollment_id: uuid.UUID
    name: str
    born: str
    speaks: str
    licensed_needed: bool
    acuity: str
    program: str
    since: str
    waited: str
    picks: list[Pick]
    chart_url: str
    choose_url: str


def _waiting_lines(
    waiting: list[Enrollment], suggestions: dict[Any, list[Suggestion]], labels: dict[str, str]
) -> list[WaitingLine]:
    blank = str(uuid.UUID(int=0))
    chart_url = reverse("web:chart", args=[blank]).replace(blank, "{}")
    choose_url = reverse("caseload:choose", args=[blank]).replace(blank, "{}")
    return [
        WaitingLine(
            enrollment_id=e.pk,
            name=e.patient.display_name,
            born=dob(e.patient.birth_date),
            speaks=language_name(e.patient.preferred_language),
            licensed_needed=e.clinical_need or e.program.needs_licensed_care_manager,
            acuity=labels.get(e.acuity, e.acuity),
            program=e.program.name,
            since=day(e.start_date),
            waited=relative(e.start_date),
            picks=[Pick(s.user.pk, str(s.user), " · ".join(s.reasons)) for s in suggestions.get(e.pk, [])],
            chart_url=chart_url.format(e.patient_id),
            choose_url=choose_url.format(e.pk),
        )
        for e in waiting
    ]


def _team_context(user: User, program_code: str | None, *, everyone: bool = False) -> dict[str, Any]:
    rows = caseload_summary(organization_id=user.organization_id, program_code=program_code)
    # Over the limit first, then the largest caseloads (caseload_summary sorts by size).
    ordered = sorted(rows, key=lambda row: not row.over_limit)
    shown = ordered if everyone else ordered[:TEAM_SHOWN]
    waiting = access_waiting_enrollments(user, limit=UNASSIGNED_SHOWN)
    # The unfiltered summary already holds every care manager's size, limit and leave: reuse it.
    suggestions = suggest_for(waiting, limit=3, team=rows if program_code is None else None)
    labels = _acuity_labels()
    return {
        "rows": _team_lines(shown, labels),
        "team_total": len(rows),
        "team_cut": len(shown) < len(rows),
        "programs": Program.objects.filter(active=True).order_by("name"),
        "program_code": program_code or "",
        "waiting": _waiting_lines(waiting, suggestions, labels),
        "waiting_total": count_unassigned(organization_id=user.organization_id),
        "coverages": open_coverages(organization_id=user.organization_id),
        "over_limit": sum(1 for row in rows if row.over_limit),
        "total_active": f"{sum(row.active for row in rows):,}",
    }


@requires(Capability.ASSIGN_CASELOAD)
def team(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    program_code = request.GET.get("program") or None
    context = _team_context(user, program_code, everyone=request.GET.get("team") == "all")
    return render(request, "programs/caseload.html", context)


def _org_member(supervisor: User, user_id: uuid.UUID) -> User:
    member = User.objects.filter(pk=user_id, organization_id=supervisor.organization_id).first()
    if member is None:
        raise Http404("No such care manager in your organization.")
    return member


@requires(Capability.ASSIGN_CASELOAD)
def member(request: HttpRequest, user_id: uuid.UUID) -> HttpResponse:
    """One care manager's people, with check boxes to reassign some or all of them."""
    supervisor = staff_user(request)
    care_manager = _org_member(supervisor, user_id)
    people = access_caseload_of(supervisor, care_manager)
    staff = assignable_staff(organization_id=supervisor.organization_id).exclude(pk=care_manager.pk)
    form = ReassignForm(staff=staff, enrollment_ids=[str(e.pk) for e in people])
    return render(
        request,
        "programs/caseload_member.html",
        {"care_manager": care_manager, "people": people, "form": form, "staff": list(staff)},
    )


@requires(Capability.ASSIGN_CASELOAD)
def choose(request: HttpRequest, enrollment_id: uuid.UUID) -> HttpResponse:
    """Assign one person: more suggestions with their reasons, and everyone on the team."""
    supervisor = staff_user(request)
    try:
        enrollment = access_enrollment_to_assign(supervisor, enrollment_id)
    except NotFound:
        raise Http404("No such enrollment with your organization.") from None
    staff = assignable_staff(organization_id=supervisor.organization_id)
    if enrollment.care_manager_id is not None:
        staff = staff.exclude(pk=enrollment.care_manager_id)
    return render(
        request,
        "programs/caseload_choose.html",
        {
            "enrollment": enrollment,
            "suggestions": suggest_for([enrollment], limit=10)[enrollment.pk],
            "staff": list(staff),
        },
    )


def _back(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next", "")
    return target if target.startswith("/caseload/") else fallback


@require_POST
@requires(Capability.ASSIGN_CASELOAD)
def assign(request: HttpRequest) -> HttpResponse:
    """Assign (or reassign) one person to a care manager."""
    supervisor = staff_user(request)
    staff = assignable_staff(organization_id=supervisor.organization_id)
    form = AssignForm(request.POST, staff=staff)
    back = _back(request, reverse("caseload:team"))
    if not form.is_valid():
        messages.error(request, "Choose a care manager from your team.")
        return redirect(back)
    enrollment = (
        Enrollment.objects.filter(pk=form.cleaned_data["enrollment"], organization_id=supervisor.organization_id)
        .select_related("patient", "program")
        .first()
    )
    if enrollment is None:
        messages.error(request, "That enrollment is not with your organization.")
        return redirect(back)
    care_manager: User = form.cleaned_data["care_manager"]
    try:
        assign_care_manager(enrollment=enrollment, care_manager=care_manager, by=supervisor)
    except DomainError as error:
        messages.error(request, f"{enrollment.patient.display_name}: {error.message}")
    else:
        messages.success(
            request, f"{enrollment.patient.display_name} ({enrollment.program.name}) is now with {care_manager}."
        )
    return redirect(back)


@require_POST
@requires(Capability.ASSIGN_CASELOAD)
def reassign(request: HttpRequest, user_id: uuid.UUID) -> HttpResponse:
    """Move the checked people from one care manager to another, all or nothing."""
    supervisor = staff_user(request)
    care_manager = _org_member(supervisor, user_id)
    people = {
        str(e.pk): e for e in caseload_of(care_manager_id=care_manager.pk, organization_id=supervisor.organization_id)
    }
    staff = assignable_staff(organization_id=supervisor.organization_id).exclude(pk=care_manager.pk)
    form = ReassignForm(request.POST, staff=staff, enrollment_ids=list(people))
    back = reverse("caseload:member", args=[care_manager.pk])
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(back)
    to: User = form.cleaned_data["to"]
    chosen = [people[key] for key in form.cleaned_data["enrollments"]]
    try:
        with transaction.atomic():
            for enrollment in chosen:
                try:
                    assign_care_manager(enrollment=enrollment, care_manager=to, by=supervisor)
                except DomainError as error:
                    raise DomainError(
                        f"{enrollment.patient.display_name}: {error.message} Nobody was reassigned.", code=error.code
                    ) from error
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(back)
    count = len(chosen)
    messages.success(request, f"Reassigned {count} {'person' if count == 1 else 'people'} from {care_manager} to {to}.")
    return redirect(back)


@requires(Capability.ASSIGN_CASELOAD)
def coverage(request: HttpRequest) -> HttpResponse:
    """Arrange for a colleague to cover a care manager's caseload (they join each person's care team)."""
    supervisor = staff_user(request)
    staff = assignable_staff(organization_id=supervisor.organization_id)
    initial: dict[str, Any] = {"start_date": timezone.localdate()}
    if request.GET.get("care_manager"):
        initial["care_manager"] = request.GET["care_manager"]
    form = CoverageForm(request.POST or None, staff=staff, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            cover_caseload(
                care_manager=data["care_manager"],
                covered_by=data["covered_by"],
                start_date=data["start_date"],
                end_date=data["end_date"],
                reason=data["reason"],
                by=supervisor,
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(
                request,
                f"{data['covered_by']} covers {data['care_manager']}'s caseload "
                f"{data['start_date']:%a %-d %b} to {data['end_date']:%a %-d %b}.",
            )
            return redirect(reverse("caseload:team") + "#coverage")
    return render(
        request,
        "programs/caseload_coverage.html",
        {
            "form": form,
            "problems": problems_of(form) if form.is_bound else [],
            "coverages": open_coverages(organization_id=supervisor.organization_id),
        },
        status=400 if form.is_bound and form.errors else 200,
    )
