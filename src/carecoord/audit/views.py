"""The audit trail for auditors and the break-the-glass review queue for supervisors."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from carecoord.accounts.permissions import Capability
from carecoord.audit.access import access_audit_page, access_break_glass_queue
from carecoord.audit.actions import review_break_glass
from carecoord.audit.forms import AuditFilterForm, ReviewForm
from carecoord.audit.queries import AuditFilter, list_pending_break_glass
from carecoord.common.errors import DomainError
from carecoord.web.decorators import requires, staff_user

PAGE_SIZE = 50


@requires(Capability.READ_AUDIT)
def audit_trail(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    form = AuditFilterForm(request.GET or None)
    criteria = form.criteria() if form.is_bound and form.is_valid() else AuditFilter()
    if form.is_bound and not form.is_valid():
        page = None
    else:
        page = access_audit_page(user, criteria, request.GET.get("page"), per_page=PAGE_SIZE)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "audit/trail.html", {"form": form, "page": page, "query": query.urlencode()})


@requires(Capability.REVIEW_BREAK_GLASS)
def break_glass_queue(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    grants = access_break_glass_queue(user)
    return render(request, "audit/break_glass_queue.html", {"grants": grants, "form": ReviewForm()})


@require_POST
@requires(Capability.REVIEW_BREAK_GLASS)
def break_glass_review(request: HttpRequest, grant_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    grant = list_pending_break_glass(organization_id=user.organization_id).filter(pk=grant_id).first()
    if grant is None:
        messages.info(request, "That emergency access has already been reviewed or is not in your queue.")
        return redirect("web:break_glass_queue")
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose whether the access was appropriate.")
        return redirect("web:break_glass_queue")
    appropriate = form.cleaned_data["decision"] == "appropriate"
    try:
        review_break_glass(grant=grant, by=user, appropriate=appropriate, note=form.cleaned_data["note"])
    except DomainError as error:
        messages.error(request, f"{grant.user}: {error.message}")
    else:
        verdict = "appropriate" if appropriate else "not appropriate"
        messages.success(request, f"Recorded {grant.user}'s emergency access as {verdict}.")
    return redirect("web:break_glass_queue")
