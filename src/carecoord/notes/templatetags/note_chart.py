"""The chart's notes panel: the latest notes the user may see and "New note" with a template picker.

The chart view has already fetched the person through ``access_patient`` (audited with the page)."""

from __future__ import annotations

from typing import Any

from django import template

from carecoord.accounts.permissions import Capability, can
from carecoord.contacts.queries import open_enrollments
from carecoord.notes.access import notes_of_accessed_patient
from carecoord.notes.forms import StartForm
from carecoord.web.decorators import staff_user

register = template.Library()
LATEST = 5


@register.inclusion_tag("notes/_panel.html", takes_context=True)
def notes_panel(context: template.Context, patient: Any) -> dict[str, Any]:
    request = context["request"]
    user = staff_user(request)
    show = can(user, Capability.NOTES)
    found = notes_of_accessed_patient(user, patient, limit=LATEST) if show else None
    return {
        "show": show,
        "patient": patient,
        "found": found,
        "form": StartForm(enrollments=list(open_enrollments(patient, user.organization_id))) if show else None,
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }
