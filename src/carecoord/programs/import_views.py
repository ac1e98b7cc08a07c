"""Upload a health plan's assignment file from the browser: the same import as ``carecoord import-assignments``
(``programs.imports``), with the per-row report on the page, rejected rows first."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from carecoord.accounts.permissions import Capability, can
from carecoord.common.errors import DomainError
from carecoord.programs.forms import AssignmentFileForm
from carecoord.programs.imports import KNOWN, REQUIRED, Outcome, import_assignments
from carecoord.web.decorators import requires, staff_user

ORDER = {Outcome.REJECTED: 0, Outcome.ACCEPTED: 1, Outcome.UPDATED: 2, Outcome.UNCHANGED: 3}


@requires(Capability.REGISTER_PATIENTS)
def upload(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    form = AssignmentFileForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        if not can(user, Capability.ENROLL):
            form.add_error(None, "Your role may not take people into programs.")
        else:
            try:
                report = import_assignments(form.cleaned_data["file"], plan=form.cleaned_data["plan"], by=user)
            except DomainError as error:
                form.add_error("file", error.message)
    rows = sorted(report.rows, key=lambda r: (ORDER[r.outcome], r.row)) if report else []
    return render(
        request,
        "programs/import.html",
        {
            "form": form,
            "report": report,
            "rows": rows,
            "counts": [(o.value, report.count(o)) for o in Outcome] if report else [],
            "required": REQUIRED,
            "optional": [name for name in KNOWN if name not in REQUIRED],
        },
    )
