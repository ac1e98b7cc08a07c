"""The chart's Transitions panel, rendered in place from the chart template.

The chart view has already fetched the person through ``access_patient`` (audited with the page); the panel
shows the person's transitions with the user's organization: the open ones with their steps and TCM words,
then the earlier ones in a line each."""

from __future__ import annotations

from typing import Any

from django import template

from carecoord.accounts.permissions import Capability, can
from carecoord.patients.models import Patient
from carecoord.transitions.access import transitions_of_accessed_patient
from carecoord.transitions.summary import summarize
from carecoord.web.decorators import staff_user

register = template.Library()


@register.inclusion_tag("transitions/_panel.html", takes_context=True)
def transitions_panel(context: template.Context, patient: Patient) -> dict[str, Any]:
    user = staff_user(context["request"])
    show = can(user, Capability.VIEW_PATIENTS)
    rows = transitions_of_accessed_patient(user, patient) if show else []
    return {
        "show": show,
        "patient": patient,
        "open": [summarize(t) for t in rows if t.is_open],
        "closed": [t for t in rows if not t.is_open],
        "request": context["request"],
    }
