"""FHIR CarePlan from a person-centred care plan, as one stored version of it (``CarePlanVersion``).

Read and vread map the same way: what a plan holds at a version comes from that version's snapshot
(``careplans/snapshot.py``); what never changes (the person, the organization, the program episode, when it
started) from the plan itself. ``meta.versionId`` is the plan's version, ``meta.lastUpdated`` when it was written.

- ``status`` is ours (FHIR's, without ``unknown``); ``intent`` is always ``plan``; why a plan is on hold, revoked
  or in error is the extension ``{base}/StructureDefinition/status-reason`` (R4 CarePlan has no element for it);
- ``category``: US Core ``assess-plan`` and, for a program episode, the program (``{base}/CodeSystem/program``);
- ``title`` is derived ("<program> care plan", or "Care plan" outside programs); ``description`` is what matters
  most to the person, in their words;
- ``period.start`` the day the plan started, ``period.end`` the day it ended (completed, revoked, in error);
- ``author`` the organization holding the plan; ``supportingInfo`` the program episode (``EpisodeOfCare/<id>``);
- ``addresses`` the open problems, by name; ``goal`` every goal (``Goal/<id>``);
- ``activity[].detail`` one per intervention: description, status (CarePlan.activity.detail.status), why it
  stopped, who does it (by name), the due day (``scheduledPeriod.end``), the goal it serves; a staff user's
  intervention names its task in ``{base}/StructureDefinition/activity-task``.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from carecoord.careplans.models import LIVING_PLAN_STATUSES, CarePlan, CarePlanVersion
from carecoord.fhir.mapping.codes import base_url, coding
from carecoord.fhir.mapping.episode_of_care import program_system

US_CORE_CAREPLAN_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/careplan-category"
ASSESS_PLAN = coding(US_CORE_CAREPLAN_CATEGORY, "assess-plan", "Assessment and Plan of Treatment")


def status_reason_url() -> str:
    return f"{base_url()}/StructureDefinition/status-reason"


def activity_task_url() -> str:
    return f"{base_url()}/StructureDefinition/activity-task"


def title_of(plan: CarePlan) -> str:
    return f"{plan.enrollment.program.name} care plan" if plan.enrollment is not None else "Care plan"


def _activity(item: dict[str, Any]) -> dict[str, Any]:
    detail: dict[str, Any] = {}
    if item.get("task"):
        detail["extension"] = [{"url": activity_task_url(), "valueReference": {"reference": f"Task/{item['task']}"}}]
    detail["status"] = item["status"]
    if item.get("status_reason"):
        detail["statusReason"] = {"text": item["status_reason"]}
    if item.get("due_date"):
        detail["scheduledPeriod"] = {"end": item["due_date"]}
    if item.get("who"):
        detail["performer"] = [{"display": item["who"]}]
    if item.get("goal"):
        detail["goal"] = [{"reference": f"Goal/{item['goal']}"}]
    detail["description"] = item["description"]
    return {"detail": detail}


def care_plan_resource(plan: CarePlan, version: CarePlanVersion) -> dict[str, Any]:
    """The FHIR CarePlan at ``version`` (``plan.enrollment.program`` loaded)."""
    snapshot = version.snapshot
    resource: dict[str, Any] = {
        "resourceType": "CarePlan",
        "id": str(plan.pk),
        "meta": {"versionId": str(version.version), "lastUpdated": version.changed_at.isoformat()},
    }
    if snapshot.get("status_reason"):
        resource["extension"] = [{"url": status_reason_url(), "valueString": snapshot["status_reason"]}]
    status = snapshot["status"]
    resource["status"] = status
    resource["intent"] = "plan"
    categories: list[dict[str, Any]] = [{"coding": [ASSESS_PLAN]}]
    if plan.enrollment is not None:
        program = plan.enrollment.program
        categories.append({"coding": [coding(program_system(), program.code, program.name)], "text": program.name})
    resource["category"] = categories
    resource["title"] = title_of(plan)
    if snapshot.get("what_matters"):
        resource["description"] = snapshot["what_matters"]
    resource["subject"] = {"reference": f"Patient/{plan.patient_id}"}
    period = {"start": timezone.localdate(plan.created_at).isoformat()}
    if status not in LIVING_PLAN_STATUSES:
        period["end"] = timezone.localdate(version.changed_at).isoformat()
    resource["period"] = period
    resource["created"] = plan.created_at.isoformat()
    resource["author"] = {"reference": f"Organization/{plan.organization_id}"}
    if plan.enrollment_id is not None:
        resource["supportingInfo"] = [{"reference": f"EpisodeOfCare/{plan.enrollment_id}"}]
    problems = [{"display": p["text"]} for p in snapshot.get("problems", []) if p.get("status") == "active"]
    if problems:
        resource["addresses"] = problems
    goals = [{"reference": f"Goal/{g['id']}", "display": g["description"]} for g in snapshot.get("goals", [])]
    if goals:
        resource["goal"] = goals
    activities = [_activity(item) for item in snapshot.get("interventions", [])]
    if activities:
        resource["activity"] = activities
    return resource
