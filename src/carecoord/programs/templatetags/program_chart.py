"""The chart's programs section, rendered in place from the chart template (the chart view is the patients
app's; this tag reads the program record through ``programs.access`` for the signed-in user)."""

from __future__ import annotations

from typing import Any

from django import template

from carecoord.programs.access import access_program_record
from carecoord.programs.views import section_context
from carecoord.web.decorators import staff_user

register = template.Library()


@register.inclusion_tag("programs/_section.html", takes_context=True)
def programs_section(context: template.Context, patient: Any) -> dict[str, Any]:
    request = context["request"]
    shown = section_context(request, access_program_record(staff_user(request), patient.pk))
    shown["csrf_token"] = context.get("csrf_token")
    return shown
