"""The audit trail for auditors and the break-the-glass review queue for supervisors."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from carecoord.accounts.permissions import Capability
from carecoord.audit.actions import record, review_break_glass
from carecoord.audit.forms import AuditFilterForm, ReviewForm
from carecoord.audit.models import AuditAction, Purpose
from carecoord.audit.queries import AuditFilter, list_pending_break_glass, list_records
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
        page = Paginator(list_records(criteria), PAGE_SIZE).get_page(request.GET.get("page"))
        record(
            by=user,
            action=AuditAction.READ,
            object_type="AuditRecord",
            purpose=Purpose.AUDIT,
            detail={
                "filter": {k: str(v) for k, v in vars(criteria).items() if v},
                "page": page.number,
                "records": [r.pk for r in page.object_list][:PAGE_SIZE],
            },
        )
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "audit/trail.html", {"form": form, "page": page, "query": query.urlencode()})


@requires(Capability.REVIEW_BREAK_GLASS)
def break_glass_queue(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    grants = list_pending_break_glass(organization_id=user.organization_id)
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
