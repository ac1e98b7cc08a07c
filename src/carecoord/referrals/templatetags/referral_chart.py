"""The chart's community referrals panel, rendered in place from the chart template.

The chart view has already fetched the person through ``access_patient`` (audited with the page); the panel lists
the person's referrals made by the user's organization, each with its timeline."""

from __future__ import annotations

from typing import Any

from django import template

from carecoord.accounts.permissions import Capability, can
from carecoord.referrals.access import referrals_of_accessed_patient
from carecoord.web.decorators import staff_user

register = template.Library()


@register.filter
def need_label(code: str) -> str:
    """A need category in words ("food-insecurity" → "Food Insecurity")."""
    from carecoord.directory.search import NEED_LABELS

    return NEED_LABELS.get(code, code.replace("-", " ").capitalize()) if code else ""


@register.inclusion_tag("referrals/_panel.html", takes_context=True)
def referrals_panel(context: template.Context, patient: Any) -> dict[str, Any]:
    user = staff_user(context["request"])
    show = can(user, Capability.VIEW_PATIENTS)
    return {
        "show": show,
        "may_refer": can(user, Capability.COMMUNITY_REFERRAL),
        "patient": patient,
        "referrals": referrals_of_accessed_patient(user, patient) if show else [],
        "request": context["request"],
    }
