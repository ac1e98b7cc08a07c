"""FHIR Goal from a care plan goal: what the person wants to achieve and the measurable target the team tracks.

- ``description.text`` is the team's wording; the person's own words travel in the extension
  ``{base}/StructureDefinition/goal-own-words``; the plan the goal belongs to in
  ``{base}/StructureDefinition/goal-care-plan`` (R4 Goal has no element for it; CarePlan.goal points back);
- ``lifecycleStatus`` and ``achievementStatus`` (terminology.hl7.org goal-achievement) are stored as they are;
- ``category``: ``{base}/CodeSystem/goal-category`` ``clinical`` for a clinical goal (marked so, or measured by a
  LOINC code; set only by licensed users), ``non-clinical`` otherwise;
- ``target[0]``: ``measure`` (a LOINC coding, or text for a measure without a code), ``detailQuantity`` (value,
  unit and comparator; our ``=`` is a Quantity without comparator) and ``dueDate``;
- ``note``: the goal's progress notes, with their author's name and time; ``addresses``: its problems, by name.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone

from carecoord.careplans.models import Goal
from carecoord.fhir.mapping.codes import LOINC, base_url, coding

ACHIEVEMENT_SYSTEM = "http://terminology.hl7.org/CodeSystem/goal-achievement"
QUANTITY_COMPARATORS = ("<", "<=", ">=", ">")


def category_system() -> str:
    return f"{base_url()}/CodeSystem/goal-category"


def own_words_url() -> str:
    return f"{base_url()}/StructureDefinition/goal-own-words"


def care_plan_url() -> str:
    return f"{base_url()}/StructureDefinition/goal-care-plan"


def _number(value: Decimal) -> int | float:
    normal = value.normalize()
    return int(normal) if normal == normal.to_integral_value() else float(normal)


def target(goal: Goal) -> dict[str, Any] | None:
    item: dict[str, Any] = {}
    if goal.measure_code:
        item["measure"] = {"coding": [coding(LOINC, goal.measure_code, goal.measure_display)]}
        if goal.measure_display:
            item["measure"]["text"] = goal.measure_display
    elif goal.measure_text:
        item["measure"] = {"text": goal.measure_text}
    if goal.target_value is not None:
        quantity: dict[str, Any] = {"value": _number(goal.target_value)}
        if goal.comparator in QUANTITY_COMPARATORS:
            quantity["comparator"] = goal.comparator
        if goal.target_unit:
            quantity["unit"] = goal.target_unit
        item["detailQuantity"] = quantity
    if goal.due_date:
        item["dueDate"] = goal.due_date.isoformat()
    return item or None


def goal_resource(goal: Goal) -> dict[str, Any]:
    """The FHIR Goal (``goal.plan`` loaded; problems and progress notes prefetched with their authors)."""
    plan = goal.plan
    resource: dict[str, Any] = {"resourceType": "Goal", "id": str(goal.pk)}
    resource["meta"] = {"lastUpdated": goal.updated_at.isoformat()}
    extensions = [{"url": care_plan_url(), "valueReference": {"reference": f"CarePlan/{plan.pk}"}}]
    if goal.own_words:
        extensions.append({"url": own_words_url(), "valueString": goal.own_words})
    resource["extension"] = extensions
    resource["lifecycleStatus"] = goal.lifecycle_status
    if goal.achievement_status:
        resource["achievementStatus"] = {
            "coding": [coding(ACHIEVEMENT_SYSTEM, goal.achievement_status)],
            "text": str(goal.get_achievement_status_display()),
        }
    code = "clinical" if goal.is_clinical else "non-clinical"
    resource["category"] = [{"coding": [coding(category_system(), code, code.replace("-", " ").capitalize())]}]
    resource["description"] = {"text": goal.description}
    resource["subject"] = {"reference": f"Patient/{plan.patient_id}"}
    resource["startDate"] = timezone.localdate(goal.created_at).isoformat()
    found = target(goal)
    if found is not None:
        resource["target"] = [found]
    if goal.status_reason:
        resource["statusReason"] = goal.status_reason
    problems = [{"display": problem.text} for problem in goal.problems.all()]
    if problems:
        resource["addresses"] = problems
    notes = []
    for note in goal.progress_notes.all():
        annotation: dict[str, Any] = {"text": note.text, "time": note.created_at.isoformat()}
        if note.author is not None:
            annotation["authorString"] = note.author.get_full_name() or note.author.username
        notes.append(annotation)
    if notes:
        resource["note"] = notes
    return resource
