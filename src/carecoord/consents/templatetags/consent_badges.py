"""Consent status badges for the chart header (UI.md "Safety first in the layout")."""

from __future__ import annotations

from typing import Any

from django import template

from carecoord.consents.views import consent_status

register = template.Library()


@register.inclusion_tag("consents/_badge_list.html")
def consent_badges(patient: Any) -> dict[str, Any]:
    """``patient`` has already been through the access rule (the chart fetched it)."""
    return {"patient": patient, "status": consent_status(patient)}
