"""Program pages: the referral inbox and its decisions, the enrollment board, and on the chart the programs
section (enrollments, segments, outreach log and standing against the NY rules), referral, enrollment and its end.

Views are thin: records come through ``programs.access`` / ``patients.access``, writes through
``programs.actions``, and domain errors become form errors here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from carecoord.accounts.models import User
from carecoord.accounts.permissions import Capability, can
from carecoord.common.errors import AccessDenied, DomainError
from carecoord.patients.access import access_patient
from carecoord.patients.models import Patient
from carecoord.programs import actions
from carecoord.programs.access import (
    Labelled,
    ProgramRecord,
    access_board,
    access_enrollment,
    access_program_record,
    access_referral,
    access_referral_inbox,
)
from carecoord.programs.board import BoardColumn
from carecoord.programs.forms import (
    AcceptReferralForm,
    ClaimMonthForm,
    EndEnrollmentForm,
    EnrollForm,
    OutreachAttemptForm,
    ReferToProgramForm,
    RejectReferralForm,
)
from carecoord.programs.models import (
    Enrollment,
    EnrollmentStatus,
    Program,
    ProgramReferral,
    ReferralStatus,
    SegmentKind,
)
from carecoord.programs.rules import OutreachStanding, OutreachVerdict, outreach_standing
from carecoord.web.decorators import is_htmx, page_fetch, requires, staff_user
from carecoord.web.forms import add_domain_error, problems_of
from carecoord.web.templatetags.carecoord import day, dob

INBOX_LIMIT = 50
BOARD_CARDS = 25  # per column: the board is the pipeline at a glance; counts say how many more
_ZERO = uuid.UUID(int=0)
_OPEN = (EnrollmentStatus.ACTIVE, EnrollmentStatus.ON_HOLD)


def _patient(request: HttpRequest, patient_id: uuid.UUID, **detail: Any) -> Patient:
    """The person through the access rule; 404 or the 403 page (via PermissionDenied) otherwise."""
    return page_fetch(access_patient, staff_user(request), patient_id, detail=detail or None)


def _record(request: HttpRequest, patient_id: uuid.UUID) -> ProgramRecord:
    return page_fetch(access_program_record, staff_user(request), patient_id)


def _chart(patient_id: object, anchor: str = "programs") -> str:
    return reverse("web:chart", args=[patient_id]) + f"#{anchor}"


# The chart's programs section -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutreachPanel:
    """One program the person is in outreach for, with where they stand against its rules this month."""

    program: Program
    standing: OutreachStanding
    in_person_needed: bool


def _outreach_programs(user: User, record: ProgramRecord) -> tuple[list[Program], QuerySet[Program]]:
    """Programs in outreach with the user's organization, and the programs an attempt may be logged for."""
    enrolled = {e.item.program_id for e in record.enrollments if e.item.status in _OPEN}  # type: ignore[attr-defined]
    current: dict[str, Program] = {}
    for segment in record.segments:
        if (
            segment.end_date is None
            and segment.kind in (SegmentKind.ASSIGNMENT, SegmentKind.OUTREACH)
            and segment.organization_id == user.organization_id
            and segment.program.outreach_allowed
            and segment.program_id not in enrolled
        ):
            current.setdefault(segment.program_id, segment.program)
    choices = Program.objects.filter(active=True, outreach_allowed=True).exclude(code__in=enrolled)
    if current:
        choices = choices.filter(code__in=list(current))
    return list(current.values()), choices


def section_context(
    request: HttpRequest,
    record: ProgramRecord,
    *,
    attempt_form: OutreachAttemptForm | None = None,
    claim_form: ClaimMonthForm | None = None,
    verdict: tuple[Program, Any, OutreachVerdict] | None = None,
) -> dict[str, Any]:
    """What the programs section of the chart shows (also the fragment htmx swaps after a form)."""
    user = staff_user(request)
    patient = record.patient
    today = timezone.localdate()
    current, choices = _outreach_programs(user, record)
    panels = []
    for program in current:
        standing = outreach_standing(
            patient=patient, program=program, organization_id=user.organization_id, month=today
        )
        needed = bool(program.outreach_second_month_needs_in_person and standing.consecutive_before >= 1)
        in_person = bool(standing.verdict and standing.verdict.in_person)
        panels.append(OutreachPanel(program=program, standing=standing, in_person_needed=needed and not in_person))
    may_outreach = can(user, Capability.OUTREACH)
    open_enrollments = [e for e in record.enrollments if e.item.status in _OPEN]  # type: ignore[attr-defined]
    own_enrolled = any(e.item.organization_id == user.organization_id for e in open_enrollments)  # type: ignore[attr-defined]
    offer_attempts = may_outreach and choices.exists() and (bool(current) or not own_enrolled)
    return {
        "patient": patient,
        "record": record,
        "enrollments": record.enrollments,
        "open_enrollments": open_enrollments,
        "own_enrolled": own_enrolled,
        "panels": panels,
        "attempt_form": attempt_form or (OutreachAttemptForm(programs=choices) if offer_attempts else None),
        "claim_form": claim_form
        or (
            ClaimMonthForm(programs=choices.filter(code__in=[p.code for p in current]))
            if may_outreach and current
            else None
        ),
        "verdict": verdict,
        "may_enroll": can(user, Capability.ENROLL),
        "may_outreach": may_outreach,
        "own_org": user.organization_id,
    }


def _section(request: HttpRequest, context: dict[str, Any], *, status: int = 200) -> HttpResponse:
    return render(request, "programs/_section.html", context, status=status)


@requires(Capability.VIEW_PATIENTS)
def programs_section(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    """The chart's programs section on its own (htmx refresh)."""
    return _section(request, section_context(request, _record(request, patient_id)))


@require_POST
@requires(Capability.OUTREACH)
def log_attempt(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    record = _record(request, patient_id)
    _, choices = _outreach_programs(user, record)
    form = OutreachAttemptForm(request.POST, programs=choices)
    if form.is_valid():
        data = form.cleaned_data
        try:
            actions.record_outreach_attempt(
                patient=record.patient,
                program=data["program"],
                data=actions.AttemptData(
                    method=data["method"],
                    outcome=data["outcome"],
                    attempted_at=data["attempted_at"],
                    direction=data["direction"],
                    duration_minutes=data["duration_minutes"],
                    diligent_search=bool(data["diligent_search"]),
                    note=data["note"],
                ),
                by=user,
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            message = f"Outreach attempt logged for {data['program'].name}."
            if not is_htmx(request):
                messages.success(request, message)
                return redirect(_chart(patient_id, "outreach"))
            context = section_context(request, _record(request, patient_id))
            context["saved"] = message
            return _section(request, context)
    context = section_context(request, record, attempt_form=form)
    context["problems"] = problems_of(form)
    if is_htmx(request):
        return _section(request, context)
    return render(
        request,
        "programs/form_page.html",
        {**context, "title": "Log an outreach attempt", "form": form, "mode": "attempt"},
        status=422,
    )


@require_POST
@requires(Capability.OUTREACH)
def claim_month(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    record = _record(request, patient_id)
    current, choices = _outreach_programs(user, record)
    form = ClaimMonthForm(request.POST, programs=choices.filter(code__in=[p.code for p in current]))
    verdict = None
    if form.is_valid():
        program = form.cleaned_data["program"]
        try:
            claim, judged = actions.claim_outreach_month(
                patient=record.patient, program=program, month=form.cleaned_data["month"], by=user
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            verdict = (program, claim.month, judged)
            label = f"{claim.month:%B %Y}"
            text = (
                f"{label}: billable outreach month." if judged.billable else f"{label}: not billable. {judged.reason}"
            )
            if not is_htmx(request):
                (messages.success if judged.billable else messages.warning)(request, text)
                return redirect(_chart(patient_id, "outreach"))
            form = ClaimMonthForm(programs=choices.filter(code__in=[p.code for p in current]))
            record = _record(request, patient_id)
    context = section_context(request, record, claim_form=form, verdict=verdict)
    context["problems"] = problems_of(form)
    if is_htmx(request):
        return _section(request, context)
    return render(
        request,
        "programs/form_page.html",
        {**context, "title": "Claim an outreach month", "form": form, "mode": "claim"},
        status=422,
    )


# Referrals ------------------------------------------------------------------------------------------------------


@requires(Capability.VIEW_PATIENTS)
def refer(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    """Refer the person to a program at an organization of the user's network (or the user's own)."""
    user = staff_user(request)
    patient = _patient(request, patient_id)
    form = ReferToProgramForm(request.POST or None, organization_id=user.organization_id)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.refer_to_program(
                patient=patient,
                program=data["program"],
                receiving_organization=data["receiving_organization"],
                source=data["source"],
                by=user,
                referrer_name=data["referrer_name"],
                reason=data["reason"],
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(
                request, f"Referred to {data['program'].name} at {data['receiving_organization']}; they have been told."
            )
            return redirect(_chart(patient.pk))
    return render(
        request,
        "programs/refer.html",
        {"patient": patient, "form": form, "problems": problems_of(form)},
        status=422 if form.errors else 200,
    )


def _may_decide(user: User) -> bool:
    return can(user, Capability.ENROLL)


@requires(Capability.VIEW_PATIENTS)
def referral_inbox(request: HttpRequest) -> HttpResponse:
    """Referrals waiting for the user's organization to decide, oldest first."""
    user = staff_user(request)
    rows, total = access_referral_inbox(user, limit=INBOX_LIMIT)
    return render(
        request,
        "programs/inbox.html",
        {
            "rows": rows,
            "total": total,
            "more": max(0, total - len(rows)),
            "may_decide": _may_decide(user),
            "reject_form": RejectReferralForm(),
        },
    )


def _referral(request: HttpRequest, referral_id: uuid.UUID) -> Labelled:
    return page_fetch(access_referral, staff_user(request), referral_id)


@requires(Capability.VIEW_PATIENTS)
def referral_detail(request: HttpRequest, referral_id: uuid.UUID) -> HttpResponse:
    shown = _referral(request, referral_id)
    return _render_referral(request, shown, AcceptReferralForm(), RejectReferralForm())


def _render_referral(
    request: HttpRequest, shown: Labelled, accept: AcceptReferralForm, reject: RejectReferralForm, status: int = 200
) -> HttpResponse:
    referral = shown.item
    assert isinstance(referral, ProgramReferral)
    user = staff_user(request)
    return render(
        request,
        "programs/referral.html",
        {
            "shown": shown,
            "referral": referral,
            "accept_form": accept,
            "reject_form": reject,
            "problems": problems_of(accept, reject),
            "may_decide": _may_decide(user)
            and referral.status == ReferralStatus.PENDING
            and referral.receiving_organization_id == user.organization_id,
        },
        status=status,
    )


@require_POST
@requires(Capability.ENROLL)
def referral_accept(request: HttpRequest, referral_id: uuid.UUID) -> HttpResponse:
    shown = _referral(request, referral_id)
    referral = shown.item
    assert isinstance(referral, ProgramReferral)
    form = AcceptReferralForm(request.POST)
    if form.is_valid():
        try:
            actions.accept_referral(
                referral=referral, by=staff_user(request), start_date=form.cleaned_data["start_date"]
            )
        except AccessDenied as error:
            raise PermissionDenied(error.message) from None
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(
                request, f"Accepted: {referral.patient} is assigned to you for {referral.program.name}. Start outreach."
            )
            return redirect(_chart(referral.patient_id))
    return _render_referral(request, shown, form, RejectReferralForm(), status=422)


@require_POST
@requires(Capability.ENROLL)
def referral_reject(request: HttpRequest, referral_id: uuid.UUID) -> HttpResponse:
    shown = _referral(request, referral_id)
    referral = shown.item
    assert isinstance(referral, ProgramReferral)
    form = RejectReferralForm(request.POST)
    if form.is_valid():
        try:
            actions.reject_referral(referral=referral, by=staff_user(request), reason=form.cleaned_data["reason"])
        except AccessDenied as error:
            raise PermissionDenied(error.message) from None
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"Rejected the referral to {referral.program.name}; the referrer has been told.")
            return redirect("programs:referrals")
    return _render_referral(request, shown, AcceptReferralForm(), form, status=422)


# Enrollment -----------------------------------------------------------------------------------------------------


@requires(Capability.ENROLL)
def enroll(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    patient = _patient(request, patient_id, purpose="enroll")
    initial = {"program": request.GET.get("program")} if request.GET.get("program") else None
    form = EnrollForm(request.POST or None, organization_id=user.organization_id, initial=initial)
    consent_missing = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        referral = (
            ProgramReferral.objects.filter(
                patient=patient,
                program=data["program"],
                receiving_organization_id=user.organization_id,
                status=ReferralStatus.ACCEPTED,
            )
            .order_by("-decided_at")
            .first()
        )
        try:
            enrollment = actions.enroll(
                patient=patient,
                program=data["program"],
                by=user,
                start_date=data["start_date"],
                care_manager=data["care_manager"],
                acuity=data["acuity"],
                referral=referral,
                clinical_need=bool(data["clinical_need"]),
            )
        except actions.ConsentRequired as error:
            consent_missing = error.message  # shown as its own alert, with the way to record the consent
        except DomainError as error:
            add_domain_error(form, error)
        else:
            who = f" with {enrollment.care_manager}" if enrollment.care_manager else ""
            messages.success(
                request, f"Enrolled in {enrollment.program.name}{who} from {enrollment.start_date:%-d %b %Y}."
            )
            return redirect(_chart(patient.pk))
    return render(
        request,
        "programs/enroll.html",
        {"patient": patient, "form": form, "problems": problems_of(form), "consent_missing": consent_missing},
        status=422 if form.errors or consent_missing else 200,
    )


@requires(Capability.ENROLL)
def end_enrollment(request: HttpRequest, enrollment_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    shown = page_fetch(access_enrollment, user, enrollment_id)
    enrollment = shown.item
    assert isinstance(enrollment, Enrollment)
    if enrollment.organization_id != user.organization_id:
        raise PermissionDenied("Only the enrolling organization may end this enrollment.")
    form = EndEnrollmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.end_enrollment(
                enrollment=enrollment, end_date=data["end_date"], reason=data["reason"], by=user, note=data["note"]
            )
        except DomainError as error:
            add_domain_error(form, error, field_map={"end_reason": "reason"})
        else:
            messages.success(request, f"Enrollment in {enrollment.program.name} ended {data['end_date']:%-d %b %Y}.")
            return redirect(_chart(enrollment.patient_id))
    return render(
        request,
        "programs/end_enrollment.html",
        {"enrollment": enrollment, "shown": shown, "form": form, "problems": problems_of(form)},
        status=422 if form.errors else 200,
    )


# The enrollment board -------------------------------------------------------------------------------------------


_WARNING_WORDS = ("needed", "missing", "limit", "pause")


@dataclass(frozen=True)
class _CardLine:
    """A board card as the page prints it: every value already a string (a large board has 250 cards)."""

    url: str
    name: str
    meta: str
    care_manager: str
    since: str
    rule_status: str
    badges: list[tuple[str, bool]]  # (text, is a warning)


def _board_column(column: BoardColumn) -> dict[str, Any]:
    chart = reverse("web:chart", args=[_ZERO]).replace(str(_ZERO), "{}") + "#programs"
    cards = []
    for card in column.cards:
        meta = f"born {dob(card.birth_date)} · {card.program_name}" if card.birth_date else card.program_name
        badges = [
            (flag, any(word in flag for word in _WARNING_WORDS)) for flag in card.flags if flag not in card.rule_status
        ]
        cards.append(
            _CardLine(
                url=chart.format(card.patient_id),
                name=card.name,
                meta=meta,
                care_manager=card.care_manager_name,
                since=day(card.since) if card.since else "",
                rule_status=card.rule_status,
                badges=badges,
            )
        )
    return {"stage": column.stage, "label": column.label, "count": column.count, "cards": cards}


@requires(Capability.VIEW_PATIENTS)
def board(request: HttpRequest) -> HttpResponse:
    from carecoord.programs.board import board_programs

    user = staff_user(request)
    programs = board_programs()
    code = request.GET.get("program", "").strip()
    if code and not programs.filter(code=code).exists():
        code = ""
    mine = request.GET.get("mine") == "1"
    board = access_board(user, program_code=code or None, mine=mine, limit=BOARD_CARDS)
    columns = [_board_column(column) for column in board]
    context = {"columns": columns, "programs": programs, "program_code": code, "mine": mine}
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.history_restore_request:
        return render(request, "programs/_board_columns.html", context)
    return render(request, "programs/board.html", context)
