"""The plan as a JSON document (what ``CarePlanVersion`` stores), its content fingerprint, and the differences
between two versions in plain words.

The fingerprint covers what the person agrees to (preferences, problems, goals, interventions) and leaves out
bookkeeping (status, version, review dates, signatures), so a signature stays current across a review that changes
nothing else.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from carecoord.careplans.models import (
    CarePlan,
    CarePlanProblem,
    CarePlanSignature,
    Goal,
    GoalProgressNote,
    Intervention,
)

# Keys of the snapshot that are bookkeeping (the plan's status too: signing activates a draft), not content.
_NOT_CONTENT = frozenset(
    {
        "status",
        "status_reason",
        "version",
        "review_due",
        "last_reviewed_on",
        "significant_change_on",
        "significant_change_reason",
        "signatures",
    }
)


def _text(value: object) -> object:
    if value is None or isinstance(value, str | int | bool | list):
        return value
    return str(value)


def snapshot_of(plan: CarePlan) -> dict[str, Any]:
    """Everything in the plan now, read fresh from the database (not from prefetched caches)."""
    problems = list(CarePlanProblem.objects.filter(plan=plan).order_by("created_at", "pk"))
    goals = list(Goal.objects.filter(plan=plan).prefetch_related("problems").order_by("created_at", "pk"))
    notes: dict[str, list[dict[str, Any]]] = {}
    for note in GoalProgressNote.objects.filter(goal__plan=plan).select_related("author").order_by("created_at"):
        notes.setdefault(str(note.goal_id), []).append(
            {
                "text": note.text,
                "by": note.author.get_full_name() if note.author else "",
                "at": note.created_at.isoformat(),
            }
        )
    interventions = Intervention.objects.filter(plan=plan).select_related("performer_user", "performer_member")
    signatures = CarePlanSignature.objects.filter(plan=plan).order_by("signed_at", "pk")
    return {
        "status": plan.status,
        "status_reason": plan.status_reason,
        "enrollment": str(plan.enrollment_id or ""),
        "preferred_language": plan.preferred_language,
        "contact_preferences": plan.contact_preferences,
        "what_matters": plan.what_matters,
        "strengths": list(plan.strengths),
        "supports": list(plan.supports),
        "barriers": list(plan.barriers),
        "version": plan.version,
        "review_due": _text(plan.review_due),
        "last_reviewed_on": _text(plan.last_reviewed_on),
        "significant_change_on": _text(plan.significant_change_on),
        "significant_change_reason": plan.significant_change_reason,
        "problems": [
            {
                "id": str(p.pk),
                "text": p.text,
                "source": p.source,
                "reference": p.reference,
                "status": p.status,
                "resolution": p.resolution,
            }
            for p in problems
        ],
        "goals": [
            {
                "id": str(g.pk),
                "description": g.description,
                "own_words": g.own_words,
                "clinical": g.is_clinical,
                "measure_code": g.measure_code,
                "measure": g.measure_display or g.measure_text,
                "comparator": g.comparator,
                "target_value": _text(g.target_value.normalize()) if g.target_value is not None else None,
                "target_unit": g.target_unit,
                "due_date": _text(g.due_date),
                "lifecycle_status": g.lifecycle_status,
                "achievement_status": g.achievement_status,
                "status_reason": g.status_reason,
                "problems": sorted(str(p.pk) for p in g.problems.all()),
                "progress_notes": notes.get(str(g.pk), []),
            }
            for g in goals
        ],
        "interventions": [
            {
                "id": str(i.pk),
                "description": i.description,
                "goal": str(i.goal_id or ""),
                "performer": i.performer,
                "who": i.who,
                "due_date": _text(i.due_date),
                "status": i.status,
                "status_reason": i.status_reason,
                "task": str(i.task_id or ""),
            }
            for i in interventions
        ],
        "signatures": [
            {
                "signer_kind": s.signer_kind,
                "signer_name": s.signer_name,
                "method": s.method,
                "version": s.version,
                "signed_at": s.signed_at.isoformat(),
            }
            for s in signatures
        ],
    }


def content_digest(snapshot: dict[str, Any]) -> str:
    """A fingerprint of the plan's content (see the module docstring)."""
    content = {key: value for key, value in snapshot.items() if key not in _NOT_CONTENT}
    content["goals"] = [{k: v for k, v in goal.items() if k != "progress_notes"} for goal in content["goals"]]
    return hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest()


_PLAN_FIELDS = {
    "status": "Plan status",
    "preferred_language": "Preferred language",
    "contact_preferences": "How to contact",
    "what_matters": "What matters",
    "review_due": "Review due",
}
_LISTS = {"strengths": "Strengths", "supports": "Supports", "barriers": "Barriers"}
_ITEMS: dict[str, tuple[str, str, dict[str, str]]] = {
    "problems": (
        "Problem",
        "text",
        {"text": "text", "status": "status", "resolution": "resolution"},
    ),
    "goals": (
        "Goal",
        "description",
        {
            "description": "description",
            "own_words": "own words",
            "measure": "measure",
            "comparator": "comparator",
            "target_value": "target",
            "target_unit": "unit",
            "due_date": "due",
            "lifecycle_status": "status",
            "achievement_status": "achievement",
            "problems": "problems",
        },
    ),
    "interventions": (
        "Intervention",
        "description",
        {"description": "description", "who": "who", "due_date": "due", "status": "status", "goal": "goal"},
    ),
}


def _show(value: object) -> str:
    if value in (None, "", []):
        return "—"
    text = ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
    return text if len(text) <= 80 else text[:79] + "…"


def differences(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """What changed from ``before`` to ``after``, one plain sentence per change (empty ``before``: a new plan)."""
    if not before:
        return ["Plan started."]
    changes: list[str] = []
    for key, label in _PLAN_FIELDS.items():
        if before.get(key) != after.get(key):
            changes.append(f"{label}: {_show(before.get(key))} → {_show(after.get(key))}")
    for key, label in _LISTS.items():
        old, new = before.get(key, []), after.get(key, [])
        added = [entry for entry in new if entry not in old]
        removed = [entry for entry in old if entry not in new]
        if added:
            changes.append(f"{label} added: {_show(added)}")
        if removed:
            changes.append(f"{label} removed: {_show(removed)}")
    for key, (label, name_key, fields) in _ITEMS.items():
        old_items = {item["id"]: item for item in before.get(key, [])}
        for item in after.get(key, []):
            previous = old_items.pop(item["id"], None)
            name = _show(item.get(name_key))
            if previous is None:
                changes.append(f"{label} added: “{name}”")
                continue
            for field, field_label in fields.items():
                if previous.get(field) != item.get(field):
                    changes.append(
                        f"{label} “{name}”: {field_label} {_show(previous.get(field))} → {_show(item.get(field))}"
                    )
            if key == "goals" and len(item.get("progress_notes", [])) > len(previous.get("progress_notes", [])):
                changes.append(f"{label} “{name}”: progress noted")
        for gone in old_items.values():
            changes.append(f"{label} removed: “{_show(gone.get(name_key))}”")
    old_signatures, new_signatures = before.get("signatures", []), after.get("signatures", [])
    for signature in new_signatures[len(old_signatures) :]:
        kind = str(signature["signer_kind"]).replace("-", " ")
        changes.append(f"Signed by {signature['signer_name']} ({kind})")
    return changes
