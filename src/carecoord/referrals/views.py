"""Pages of community referrals: the send flow (from the chart, a suggested referral or the directory), the
referral for the referring team, the partner's inbox and referral, and the secure link page for partners without
an account. Reads go through ``referrals.access``, writes through ``referrals.actions``; errors become messages or
form errors."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from carecoord.accounts.permissions import Capability
from carecoord.assessments.models import QuestionnaireResponse
from carecoord.careplans.access import plans_of_accessed_patient
from carecoord.careplans.models import Goal, Intervention
from carecoord.common.errors import DomainError, NotFound, ValidationFailed
from carecoord.directory.models import Location, Service
from carecoord.directory.search import NEED_LABELS
from carecoord.patients.access import access_patient
from carecoord.patients.models import Patient
from carecoord.referrals import actions
from carecoord.referrals.access import (
    LinkGone,
    ReferralAccess,
    access_referral,
    access_referral_by_token,
    list_partner_inbox,
)
from carecoord.referrals.actions import Actor, ConsentToShare
from carecoord.referrals.forms import ActivityForm, LinkForm, SendForm, StatusForm
from carecoord.referrals.models import EventChannel, Referral, ReferralOutcome
from carecoord.referrals.queries import INBOX_FILTERS, links_of
from carecoord.referrals.states import REASON_REQUIRED, ReferralStatus, Side, next_statuses
from carecoord.tasks.models import OPEN_STATUSES, Task, TaskKind
from carecoord.web.decorators import page_fetch, requires, staff_user

S = ReferralStatus

# The partner's buttons, by the status they move to: (label, needs a reason).
TARGET_STEPS: dict[str, tuple[str, bool]] = {
    S.ACCEPTED: ("Accept", False),
    S.IN_PROGRESS: ("Start", False),
    S.COMPLETED: ("Complete", False),
    S.REJECTED: ("Reject", True),
    S.ON_HOLD: ("Put on hold", True),
    S.FAILED: ("Could not complete", True),
    S.CANCELLED: ("Cancel the referral", True),
}
REQUESTER_STEPS: dict[str, tuple[str, bool]] = {
    S.CANCELLED: ("Cancel the referral", True),
    S.ENTERED_IN_ERROR: ("Entered in error", True),
}
SUGGESTION_PREFIX = "sdoh-"


@dataclass(frozen=True)
class Step:
    to: str
    label: str
    needs_reason: bool
    resume: bool = False


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime.datetime
    what: str
    who: str
    why: str = ""
    channel: str = ""
    status: str = ""


def _steps(referral: Referral, side: Side) -> list[Step]:
    table = TARGET_STEPS if side == Side.TARGET else REQUESTER_STEPS
    found = []
    allowed = set(next_statuses(referral.status, side))
    for to in table:  # the table's order: the usual next step first, cancelling last
        if to not in allowed:
            continue
        label, needs_reason = table[to]
        resume = referral.status == S.ON_HOLD and to == S.IN_PROGRESS
        found.append(Step(to, "Resume" if resume else label, needs_reason or to in REASON_REQUIRED, resume))
    return found


def timeline(referral: Referral) -> list[TimelineEntry]:
    """Status changes and services delivered, in time order."""
    entries = [
        TimelineEntry(
            at=event.at,
            what=(
                f"{S(event.from_status).label} → {S(event.to_status).label}"
                if event.from_status
                else f"Sent ({S(event.to_status).label.lower()})"
            ),
            who=event.by_display,
            why=event.reason,
            channel=event.get_channel_display() if event.channel != EventChannel.WEB else "",
            status=event.to_status,
        )
        for event in referral.events.all()
    ]
    entries += [
        TimelineEntry(
            at=activity.recorded_at,
            what=f"Service delivered: {activity.description}"
            + (f" (SNOMED CT {activity.code})" if activity.code else ""),
            who=activity.recorded_by_display,
            why=f"Delivered {activity.performed_on:%a %-d %b %Y}",
        )
        for activity in referral.activities.all()
    ]
    return sorted(entries, key=lambda e: e.at)


# Sending --------------------------------------------------------------------------------------------------------


def _directory_url(patient: Patient, need: str) -> str:
    try:
        base = reverse("directory:search")
    except NoReverseMatch:  # the directory's pages are not installed
        return ""
    return f"{base}?patient={patient.pk}" + (f"&need={need}" if need else "")


def _plan_choices(request: HttpRequest, patient: Patient) -> tuple[list[tuple[str, str]], dict[str, Any]]:
    """The open goals and interventions of the person's living plans held by the user's organization."""
    user = staff_user(request)
    choices: list[tuple[str, str]] = []
    objects: dict[str, Any] = {}
    for plan in plans_of_accessed_patient(user, patient):
        if plan.organization_id != user.organization_id or not plan.is_living:
            continue
        for goal in plan.goals.all():
            if goal.is_open:
                choices.append((f"goal:{goal.pk}", f"Goal: {goal.description}"))
                objects[f"goal:{goal.pk}"] = goal
        for intervention in plan.interventions.all():
            if intervention.is_open:
                choices.append((f"intervention:{intervention.pk}", f"Intervention: {intervention.description}"))
                objects[f"intervention:{intervention.pk}"] = intervention
    return choices, objects


def _suggestion(user_org: uuid.UUID, patient: Patient, task_id: str, need: str) -> Task | None:
    """The open suggested-referral task the referral answers: the one named, else the one for the need."""
    tasks = Task.objects.filter(
        organization_id=user_org, patient=patient, kind=TaskKind.REFERRAL, status__in=OPEN_STATUSES
    )
    if task_id:
        try:
            return tasks.filter(pk=uuid.UUID(task_id)).first()
        except ValueError:
            return None
    return tasks.filter(reason=f"{SUGGESTION_PREFIX}{need}").order_by("created_at").first() if need else None


def _screening(task: Task | None, patient: Patient) -> QuestionnaireResponse | None:
    """The screening a suggested referral came from (its task's focus)."""
    if task is None or not task.focus.startswith("QuestionnaireResponse/"):
        return None
    try:
        key = uuid.UUID(task.focus.removeprefix("QuestionnaireResponse/"))
    except ValueError:
        return None
    return QuestionnaireResponse.objects.filter(pk=key, patient=patient).first()


def _reason_from(screening: QuestionnaireResponse | None, need: str) -> str:
    """The reason, prefilled in plain words from the screen that found the need."""
    if screening is None or not need:
        return ""
    label = NEED_LABELS.get(need, need.replace("-", " ")).lower()
    day = timezone.localtime(screening.authored).strftime("%a %-d %b")
    return f"Screened positive for {label} on the {screening.questionnaire.title} ({day})."


def _service(value: str) -> Service | None:
    if not value.isdigit():
        return None
    return Service.objects.select_related("organization").filter(pk=int(value)).first()


@requires(Capability.COMMUNITY_REFERRAL)
def new(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    """Refer the person: without a service, to the directory search for the need; with one, the send form."""
    user = staff_user(request)
    patient = page_fetch(access_patient, user, patient_id, detail={"purpose": "community referral"})
    source = request.POST if request.method == "POST" else request.GET
    need = source.get("need", "").strip()[:40]
    task = _suggestion(user.organization_id, patient, source.get("task", ""), need)
    if task is not None and not need and task.reason.startswith(SUGGESTION_PREFIX):
        need = task.reason.removeprefix(SUGGESTION_PREFIX)
    service = _service(source.get("service", ""))
    if service is None:
        search = _directory_url(patient, need)
        if search:
            return redirect(search)
        raise Http404("Choose a service in the directory first.")
    location_id = source.get("location", "")
    location = (
        Location.objects.filter(pk=int(location_id), organization_id=service.organization_id).first()
        if location_id.isdigit()
        else None
    )
    if not need:
        need = next((t.need_category for t in service.taxonomy_terms.all() if t.need_category), "")
    screening = _screening(task, patient)
    plan_choices, plan_objects = _plan_choices(request, patient)
    initial = {"reason": _reason_from(screening, need)}
    form = SendForm(request.POST or None, initial=initial, plan_choices=plan_choices)
    problems: list[dict[str, str]] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        linked = plan_objects.get(data["plan_link"])
        goal = linked if isinstance(linked, Goal) else None
        intervention = linked if isinstance(linked, Intervention) else None
        method = data["consent_method"]
        try:
            referral = actions.send_referral(
                patient=patient,
                service=service,
                location=location,
                need=need,
                reason=data["reason"],
                note_to_partner=data["note_to_partner"],
                share=data["share"],
                consent=ConsentToShare(method=method, note=data["consent_note"]) if method else None,
                priority=data["priority"],
                goal=goal,
                intervention=intervention,
                screening=screening,
                source_task=task,
                by=user,
            )
        except ValidationFailed as error:
            for field, errors in error.errors.items():
                target = {"consent": "consent_method", "goal": "plan_link", "intervention": "plan_link"}.get(
                    field, field
                )
                for message in errors:
                    form.add_error(target if target in form.fields else None, message)
            if not error.errors:
                form.add_error(None, error.message)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"Referral sent to {referral.target_display}.")
            return redirect("referrals:detail", referral.pk)
    if form.errors:
        problems = [
            {
                "anchor": f"id_{name}" if name != "__all__" else "",
                "label": str(form.fields[name].label or "") if name in form.fields else "",
                "message": str(message),
            }
            for name, errors in form.errors.items()
            for message in errors
        ]
    return render(
        request,
        "referrals/send.html",
        {
            "patient": patient,
            "service": service,
            "location": location,
            "need": need,
            "task": task,
            "form": form,
            "problems": problems,
            "search_url": _directory_url(patient, need),
            "partner": getattr(service.organization, "partner", None) if service.organization else None,
        },
    )


# The referral ---------------------------------------------------------------------------------------------------


def _fetch(request: HttpRequest, referral_id: uuid.UUID) -> ReferralAccess:
    return page_fetch(access_referral, staff_user(request), referral_id)


@login_required
def detail(request: HttpRequest, referral_id: uuid.UUID) -> HttpResponse:
    found = _fetch(request, referral_id)
    referral = found.referral
    if found.is_target:
        return _partner_page(request, found, action_url=reverse("referrals:status", args=[referral.pk]),
                             activity_url=reverse("referrals:activity", args=[referral.pk]))  # fmt: skip
    user = staff_user(request)
    actions.mark_seen(referral=referral, by=user)
    token = request.session.pop(f"referral-link-{referral.pk}", None)
    return render(
        request,
        "referrals/detail.html",
        {
            "referral": referral,
            "patient": referral.patient,
            "timeline": timeline(referral),
            "steps": _steps(referral, Side.REQUESTER),
            "links": list(links_of(referral)),
            "link_form": LinkForm(),
            "new_token": token,
            "now": timezone.now(),
        },
    )


def _partner_page(
    request: HttpRequest, found: ReferralAccess, *, action_url: str, activity_url: str, status: int = 200
) -> HttpResponse:
    referral = found.referral
    return render(
        request,
        "referrals/partner_detail.html",
        {
            "referral": referral,
            "shared": [(actions.SHAREABLE.get(key, key), value) for key, value in referral.shared.items()],
            "timeline": timeline(referral),
            "steps": _steps(referral, Side.TARGET),
            "outcomes": ReferralOutcome.choices,
            "activity_form": ActivityForm(),
            "may_record": referral.status in (S.ACCEPTED, S.IN_PROGRESS, S.ON_HOLD),
            "action_url": action_url,
            "activity_url": activity_url,
            "by_link": found.link is not None,
        },
        status=status,
    )


def _move(request: HttpRequest, found: ReferralAccess, actor: Actor, channel: str) -> str:
    """Apply the posted move; the message to show, '' when it worked."""
    form = StatusForm(request.POST)
    if not form.is_valid():
        return "Choose what to do."
    data = form.cleaned_data
    try:
        if data["to"] == S.COMPLETED and found.side == Side.TARGET:
            actions.complete(referral=found.referral, actor=actor, outcome=data["outcome"], note=data["outcome_note"],
                             channel=channel)  # fmt: skip
        else:
            actions.change_status(referral=found.referral, to=data["to"], actor=actor, reason=data["reason"],
                                  channel=channel)  # fmt: skip
    except DomainError as error:
        return error.message
    return ""


@require_POST
@login_required
def status(request: HttpRequest, referral_id: uuid.UUID) -> HttpResponse:
    found = _fetch(request, referral_id)
    problem = _move(request, found, Actor(found.side, staff_user(request)), EventChannel.WEB)
    if problem:
        messages.error(request, problem)
    else:
        messages.success(request, f"The referral is {found.referral.get_status_display().lower()}.")
    return redirect("referrals:detail", found.referral.pk)


def _record(request: HttpRequest, found: ReferralAccess, actor: Actor, channel: str) -> str:
    form = ActivityForm(request.POST)
    if not form.is_valid():
        return "Give the date and what was done."
    data = form.cleaned_data
    try:
        actions.record_activity(referral=found.referral, performed_on=data["performed_on"],
                                description=data["description"], code=data["code"], actor=actor,
                                channel=channel)  # fmt: skip
    except DomainError as error:
        return error.message
    return ""


@require_POST
@login_required
def activity(request: HttpRequest, referral_id: uuid.UUID) -> HttpResponse:
    found = _fetch(request, referral_id)
    if not found.is_target:
        raise PermissionDenied("The organization doing the work records the services it delivered.")
    problem = _record(request, found, Actor(Side.TARGET, staff_user(request)), EventChannel.WEB)
    if problem:
        messages.error(request, problem)
    else:
        messages.success(request, "Service recorded.")
    return redirect("referrals:detail", found.referral.pk)


@require_POST
@requires(Capability.COMMUNITY_REFERRAL)
def make_link(request: HttpRequest, referral_id: uuid.UUID) -> HttpResponse:
    found = _fetch(request, referral_id)
    form = LinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give one email address and at most 90 days.")
        return redirect("referrals:detail", found.referral.pk)
    days = form.cleaned_data["days"]
    try:
        link, token = actions.create_link(
            referral=found.referral,
            recipient=form.cleaned_data["recipient"],
            valid_for=datetime.timedelta(days=days) if days else None,
            by=staff_user(request),
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("referrals:detail", found.referral.pk)
    # Shown once, on the next page; kept in the session only until then (never stored with the referral).
    request.session[f"referral-link-{found.referral.pk}"] = request.build_absolute_uri(
        reverse("referrals:link", args=[token])
    )
    messages.success(request, f"Secure link made; it works until {timezone.localtime(link.expires_at):%a %-d %b}.")
    return redirect("referrals:detail", found.referral.pk)


@require_POST
@requires(Capability.COMMUNITY_REFERRAL)
def revoke(request: HttpRequest, referral_id: uuid.UUID, link_id: uuid.UUID) -> HttpResponse:
    found = _fetch(request, referral_id)
    link = links_of(found.referral).filter(pk=link_id).first()
    if link is None:
        raise Http404("No such link.")
    try:
        actions.revoke_link(link=link, by=staff_user(request))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "The link no longer works.")
    return redirect("referrals:detail", found.referral.pk)


# The partner's inbox -------------------------------------------------------------------------------------------


@requires(Capability.VIEW_REFERRALS_TO_ORG)
def inbox(request: HttpRequest) -> HttpResponse:
    chosen = request.GET.get("status", "open")
    if chosen not in INBOX_FILTERS:
        chosen = "open"
    rows = page_fetch(list_partner_inbox, staff_user(request), chosen)
    return render(
        request,
        "referrals/inbox.html",
        {
            "rows": rows,
            "filters": [(code, label) for code, (label, _) in INBOX_FILTERS.items()],
            "chosen": chosen,
            "now": timezone.now(),
        },
    )


# The secure link -----------------------------------------------------------------------------------------------


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"  # the token never leaves in a Referer; forms keep their Origin (CSRF)
    response["X-Robots-Tag"] = "noindex"
    return response


@never_cache
def by_link(request: HttpRequest, token: str) -> HttpResponse:
    """The referral a secure link opens, with the partner's actions; nothing at all when the link does not
    work."""
    try:
        found = access_referral_by_token(token)
    except LinkGone:
        return _private(render(request, "referrals/link_gone.html", {"gone": True}, status=410))
    except NotFound:
        return _private(render(request, "referrals/link_gone.html", {"gone": False}, status=404))
    here = reverse("referrals:link", args=[token])
    actor = Actor(Side.TARGET, None, found.referral.target_display.split(" — ")[0] + " (secure link)")
    if request.method == "POST":
        kind = request.POST.get("kind", "status")
        problem = (
            _record(request, found, actor, EventChannel.LINK)
            if kind == "activity"
            else _move(request, found, actor, EventChannel.LINK)
        )
        if problem:
            messages.error(request, problem)
        else:
            found.referral.refresh_from_db()
            if not found.referral.is_open:
                return _private(render(request, "referrals/link_done.html", {"referral": found.referral}))
            messages.success(request, "Saved. The referring team sees it now.")
        return _private(redirect(here))
    return _private(_partner_page(request, found, action_url=here, activity_url=here))
