"""The chart's contacts panel: quick entry, this month's billing readiness per program, recent contacts.

The chart view has already fetched the person through ``access_patient`` (audited with the page)."""

from __future__ import annotations

from typing import Any

from django import template

from carecoord.accounts.permissions import Capability, can
from carecoord.contacts.access import summary_of_accessed_patient
from carecoord.contacts.forms import ContactForm
from carecoord.web.decorators import staff_user

register = template.Library()


@register.inclusion_tag("contacts/_panel.html", takes_context=True)
def contacts_panel(context: template.Context, patient: Any) -> dict[str, Any]:
    request = context["request"]
    user = staff_user(request)
    show = can(user, Capability.NOTES)
    summary = summary_of_accessed_patient(user, patient) if show else None
    return {
        "show": show,
        "patient": patient,
        "summary": summary,
        "form": ContactForm(enrollments=summary.enrollments) if summary else None,
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }
