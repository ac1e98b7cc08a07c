"""Writes to care plans. Every call is one transaction that stores a new ``CarePlanVersion`` and one audit
record; callers have fetched the plan (or the person) through ``careplans.access`` / ``patients.access``.

Who may do what (``accounts/permissions.py``), checked in ``_may_write``:

- the plan is held by one organization; only its staff change it, and only while it is living (draft, active,
  on hold);
- ``OWN_CARE_PLAN`` (care managers, supervisors): start a plan, change its status, schedule and complete
  reviews, everything non-clinical, and sign as care manager;
- ``NONCLINICAL_PLAN`` (coordinators): the person's preferences, strengths, supports and barriers, problems,
  non-clinical goals and their interventions, progress notes, and recording the person's (or guardian's)
  signature;
- ``CLINICAL_GOALS`` (licensed users with a current license): clinical goals, i.e. goals marked clinical or
  measured by a LOINC code; signing as licensed clinician. Interventions toward a clinical goal need
  ``OWN_CARE_PLAN`` (the care manager arranges them), not a license;
- supervisors (``COSIGN``) sign as supervisor. Staff sign only as themselves.

The package: ``base`` (rule tables, guards, versions), ``plans`` (the plan, reviews, problems), ``goals``
(goals and interventions), ``signing``; everything public is re-exported here.
"""

from carecoord.careplans.actions.base import (
    DEFAULT_REVIEW_DAYS,
    FINAL_ACHIEVEMENTS,
    GOAL_NEEDS_REASON,
    GOAL_START_STATUSES,
    GOAL_TRANSITIONS,
    INTERVENTION_NEEDS_REASON,
    INTERVENTION_REASON,
    PLAN_NEEDS_REASON,
    PLAN_TRANSITIONS,
    PROGRESS_ACHIEVEMENTS,
    REVIEW_REASON,
    SIGNIFICANT_CHANGE_REVIEW_DAYS,
    Errors,
)
from carecoord.careplans.actions.goals import (
    GoalData,
    InterventionData,
    add_goal,
    add_goal_progress,
    add_intervention,
    complete_intervention,
    follow_referral,
    set_goal_status,
    update_goal,
    update_intervention,
)
from carecoord.careplans.actions.plans import (
    SUGGESTION_PREFIX,
    PlanDetails,
    add_problem,
    complete_review,
    mark_significant_change,
    open_review_task,
    problem_from_suggestion,
    resolve_problem,
    schedule_review,
    set_plan_status,
    start_care_plan,
    update_plan_details,
)
from carecoord.careplans.actions.signing import (
    STAFF_SIGNERS,
    sign_plan,
)

__all__ = [
    "DEFAULT_REVIEW_DAYS",
    "FINAL_ACHIEVEMENTS",
    "GOAL_NEEDS_REASON",
    "GOAL_START_STATUSES",
    "GOAL_TRANSITIONS",
    "INTERVENTION_NEEDS_REASON",
    "INTERVENTION_REASON",
    "PLAN_NEEDS_REASON",
    "PLAN_TRANSITIONS",
    "PROGRESS_ACHIEVEMENTS",
    "REVIEW_REASON",
    "SIGNIFICANT_CHANGE_REVIEW_DAYS",
    "STAFF_SIGNERS",
    "SUGGESTION_PREFIX",
    "Errors",
    "GoalData",
    "InterventionData",
    "PlanDetails",
    "add_goal",
    "add_goal_progress",
    "add_intervention",
    "add_problem",
    "complete_intervention",
    "complete_review",
    "follow_referral",
    "mark_significant_change",
    "open_review_task",
    "problem_from_suggestion",
    "resolve_problem",
    "schedule_review",
    "set_goal_status",
    "set_plan_status",
    "sign_plan",
    "start_care_plan",
    "update_goal",
    "update_intervention",
    "update_plan_details",
]
