"""The chart's open-tasks panel, rendered in place from the chart template.

The chart view has already fetched the person through ``access_patient`` (audited with the page); the panel
lists the person's tasks held by the user's organization."""

from __future__ import annotations

from typing import Any

from django import template

from carecoord.accounts.permissions import Capability, can
from carecoord.tasks.access import tasks_of_accessed_patient
from carecoord.web.decorators import staff_user

register = template.Library()


@register.inclusion_tag("tasks/_panel.html", takes_context=True)
def tasks_panel(context: template.Context, patient: Any) -> dict[str, Any]:
    user = staff_user(context["request"])
    show = can(user, Capability.TASKS)
    return {
        "show": show,
        "patient": patient,
        "tasks": tasks_of_accessed_patient(user, patient) if show else [],
        "request": context["request"],
    }
