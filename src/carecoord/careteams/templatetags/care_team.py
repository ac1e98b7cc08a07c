"""The chart's care team panel, rendered in place from the chart template.

The chart view (patients app) has already fetched the person through ``access_patient`` for this user; the tag
only lists the team's members."""

from __future__ import annotations

from typing import Any

from django import template

from carecoord.careteams.views import panel_context
from carecoord.web.decorators import staff_user

register = template.Library()


@register.inclusion_tag("careteams/_panel.html", takes_context=True)
def care_team_panel(context: template.Context, patient: Any) -> dict[str, Any]:
    shown = panel_context(patient, staff_user(context["request"]))
    shown["csrf_token"] = context.get("csrf_token")
    return shown
