"""The chart's care plan panel and the small filters the plan pages share.

The chart view has already fetched the person through ``access_patient`` (audited with the page); the panel
shows the person's living plan (or offers to start one) without another audit record."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils import formats

from carecoord.accounts.permissions import Capability, can
from carecoord.careplans.access import plans_of_accessed_patient
from carecoord.careplans.models import Goal, GoalAchievement, GoalLifecycle
from carecoord.careplans.queries import latest_measure, next_interventions, signoff_state
from carecoord.programs.models import Enrollment, EnrollmentStatus
from carecoord.web.decorators import staff_user

register = template.Library()


@register.inclusion_tag("careplans/_panel.html", takes_context=True)
def care_plan_panel(context: template.Context, patient: Any) -> dict[str, Any]:
    from carecoord.careplans.views import signed_by_sentence

    user = staff_user(context["request"])
    plans = plans_of_accessed_patient(user, patient)
    living = [p for p in plans if p.is_living]
    plan = living[0] if living else None
    shown: dict[str, Any] = {"patient": patient, "plan": plan, "csrf_token": context.get("csrf_token")}
    if plan is not None:
        state = signoff_state(plan)
        goals = [g for g in plan.goals.all() if g.is_open]
        shown.update(
            problems=[p for p in plan.problems.all() if p.status == "active"],
            goals=[(g, latest_measure(g)) for g in goals],
            next_steps=next_interventions(plan, limit=3),
            signoff=state,
            signed_by=signed_by_sentence(state),
            other_living=living[1:],
        )
    may_start = can(user, Capability.OWN_CARE_PLAN)
    if may_start:
        planned = {p.enrollment_id for p in living}
        episodes = Enrollment.objects.filter(
            patient=patient, organization_id=user.organization_id, status=EnrollmentStatus.ACTIVE
        ).select_related("program")
        shown["episodes"] = [e for e in episodes if e.pk not in planned]
        shown["may_start_outside"] = not any(p.enrollment_id is None for p in living)
    shown["may_start"] = may_start
    shown["past"] = [p for p in plans if not p.is_living][:3]
    return shown


@register.filter
def goal_badge(goal: Goal) -> str:
    """The badge class of a goal's status (the text always says the status too)."""
    if goal.lifecycle_status == GoalLifecycle.COMPLETED:
        return "ok" if goal.achievement_status == GoalAchievement.ACHIEVED else "danger"
    if goal.achievement_status == GoalAchievement.WORSENING:
        return "danger"
    badges: dict[str, str] = {
        GoalLifecycle.ACTIVE: "accent",
        GoalLifecycle.ACCEPTED: "accent",
        GoalLifecycle.ON_HOLD: "warn",
    }
    return badges.get(goal.lifecycle_status, "")


@register.filter
def goal_status_text(goal: Goal) -> str:
    """'Working on it · improving', 'Completed · achieved', 'Proposed'."""
    text = str(goal.get_lifecycle_status_display())
    if goal.achievement_status and goal.lifecycle_status in (
        GoalLifecycle.ACTIVE,
        GoalLifecycle.COMPLETED,
        GoalLifecycle.ON_HOLD,
    ):
        return f"{text} · {str(goal.get_achievement_status_display()).lower()}"
    return text


@register.filter
def number(value: Decimal | None) -> str:
    """A decimal without trailing zeros, in the active language's notation: 8.000 → 8, 7.60 → 7.6 (7,6)."""
    if value is None:
        return ""
    return formats.number_format(Decimal(format(Decimal(value).normalize(), "f")))


@register.filter
def unit(value: str) -> str:
    """A UCUM unit as people read it ({score} → points)."""
    return {"{score}": "", "mm[Hg]": "mmHg", "kg/m2": "kg/m²"}.get(value, value)
