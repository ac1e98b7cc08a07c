"""Goal: read, search, create and update, through ``careplans.access`` (a goal is read through its plan) and the
care plan goal actions (``add_goal``, ``update_goal``, ``set_goal_status``, ``add_goal_progress``).

Create: the plan is named by the extension ``{base}/StructureDefinition/goal-care-plan`` (CarePlan/<id>); without
it, ``subject`` Patient/<id> and the one living plan the user's organization holds for the person.
``description.text`` (required), ``lifecycleStatus`` proposed, planned, accepted or active; ``category`` code
``clinical`` ({base}/CodeSystem/goal-category) marks a clinical goal (so does a LOINC measure; both need a
licensed user); ``target[0]``: ``measure`` (a LOINC coding, or text), ``detailQuantity`` (value, unit,
comparator; no comparator means exactly) and ``dueDate``; the extension ``goal-own-words`` the person's words;
each ``note`` becomes a progress note.

Update: changed wording, category or target go through ``update_goal`` (an open goal only); a new ``note`` text
is a progress note; ``lifecycleStatus`` and ``achievementStatus`` move the goal along its lifecycle
(``set_goal_status``: an invalid move is 422; holds, cancellations, refusals, errors and goals not achieved say why
in ``statusReason``). The plan and the person cannot change.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Q
from fhir.resources.R4B.goal import Goal as GoalModel

from carecoord.accounts.models import User
from carecoord.accounts.queries import as_uuid
from carecoord.audit.models import AuditAction
from carecoord.careplans.access import access_care_plan, access_goal, searchable_plans
from carecoord.careplans.actions import GoalData, add_goal, add_goal_progress, set_goal_status, update_goal
from carecoord.careplans.models import LIVING_PLAN_STATUSES, CarePlan, Goal
from carecoord.careplans.queries import goals_with_contents
from carecoord.fhir.exchange import FhirRequest, FhirResponse
from carecoord.fhir.interactions.organization import id_condition
from carecoord.fhir.interactions.scope import body_reference, people
from carecoord.fhir.mapping.codes import LOINC
from carecoord.fhir.mapping.goal import (
    ACHIEVEMENT_SYSTEM,
    care_plan_url,
    category_system,
    goal_resource,
    own_words_url,
)
from carecoord.fhir.outcome import bad_request, domain_paths
from carecoord.fhir.registry import ResourceType, SearchParam
from carecoord.fhir.search import (
    FilterBuilder,
    apply_criteria,
    audited_searchset,
    date_condition,
    order,
    page,
    parse_query,
    reference_id,
    token,
)
from carecoord.patients.access import access_patient

_PATHS = {
    "description": "Goal.description.text",
    "measure_code": "Goal.target[0].measure",
    "measure_text": "Goal.target[0].measure",
    "comparator": "Goal.target[0].detailQuantity.comparator",
    "target_value": "Goal.target[0].detailQuantity.value",
    "status": "Goal.lifecycleStatus",
    "achievement": "Goal.achievementStatus",
    "reason": "Goal.statusReason",
    "text": "Goal.note",
}


def _expression(field: str) -> str:
    return _PATHS.get(field, "Goal")


def _resource(user: User, goal_id: object) -> dict[str, Any]:
    return goal_resource(access_goal(user, goal_id))


def read(request: FhirRequest, goal_id: str) -> FhirResponse:
    return FhirResponse(body=_resource(request.authenticated_user, goal_id))


# --- create and update ---------------------------------------------------------------------------------------------


def _extension(resource: dict[str, Any], url: str) -> dict[str, Any] | None:
    return next((e for e in resource.get("extension") or [] if e.get("url") == url), None)


def _due(value: Any) -> datetime.date | None:
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        raise bad_request(
            f"Goal.target[0].dueDate must be a full date, not {value!r}.", expression="Goal.target[0].dueDate"
        ) from None


def goal_data(resource: dict[str, Any], problem_ids: list[Any] | None = None) -> GoalData:
    """What the resource says of the goal, as the actions take it."""
    targets = resource.get("target") or []
    if len(targets) > 1:
        raise bad_request("A goal has one target.", expression="Goal.target", issue_code="not-supported")
    target = targets[0] if targets else {}
    measure = target.get("measure") or {}
    codes = [c for c in measure.get("coding") or [] if c.get("system") == LOINC]
    if measure.get("coding") and not codes:
        raise bad_request(
            f"Goal.target[0].measure is coded in LOINC ({LOINC}) or given as text.",
            expression="Goal.target[0].measure",
            issue_code="code-invalid",
        )
    quantity = target.get("detailQuantity") or {}
    value: Decimal | None = None
    if quantity.get("value") is not None:
        try:
            value = Decimal(str(quantity["value"]))
        except InvalidOperation:
            raise bad_request("Not a number.", expression="Goal.target[0].detailQuantity.value") from None
    comparator = str(quantity.get("comparator") or ("=" if value is not None else ""))
    categories = {
        c.get("code")
        for concept in resource.get("category") or []
        for c in concept.get("coding") or []
        if c.get("system") == category_system()
    }
    own_words = _extension(resource, own_words_url())
    return GoalData(
        description=str((resource.get("description") or {}).get("text") or ""),
        own_words=str(own_words.get("valueString") or "") if own_words else "",
        clinical="clinical" in categories,
        measure_code=str(codes[0].get("code") or "") if codes else "",
        measure_display=str(codes[0].get("display") or measure.get("text") or "") if codes else "",
        measure_text="" if codes else str(measure.get("text") or ""),
        comparator=comparator,
        target_value=value,
        target_unit=str(quantity.get("unit") or ""),
        due_date=_due(target.get("dueDate")),
        problem_ids=list(problem_ids or []),
    )


def _achievement(resource: dict[str, Any]) -> str:
    concept = resource.get("achievementStatus") or {}
    codes = [c.get("code") for c in concept.get("coding") or [] if c.get("system") == ACHIEVEMENT_SYSTEM]
    return str(codes[0]) if codes else ""


def _notes(resource: dict[str, Any]) -> list[str]:
    return [text for n in resource.get("note") or [] if (text := str(n.get("text") or "").strip())]


def _plan(request: FhirRequest, resource: dict[str, Any]) -> CarePlan:
    user = request.authenticated_user
    subject = body_reference(resource.get("subject"), "Goal.subject", ("Patient",), request.base)
    named = _extension(resource, care_plan_url())
    if named is not None:
        found = body_reference(named.get("valueReference"), "Goal.extension", ("CarePlan",), request.base)
        if found is None:
            raise bad_request("The goal-care-plan extension must reference CarePlan/<id>.", expression="Goal.extension")
        plan = access_care_plan(user, found[1], action=AuditAction.UPDATE)
    else:
        if subject is None:
            raise bad_request(
                "Name the plan (extension goal-care-plan) or the person (Goal.subject).", expression="Goal.subject"
            )
        patient = access_patient(user, subject[1], action=AuditAction.UPDATE, object_type="CarePlan")
        living = list(
            CarePlan.objects.filter(
                patient=patient, organization_id=user.organization_id, status__in=LIVING_PLAN_STATUSES
            ).values_list("pk", flat=True)[:2]
        )
        if len(living) != 1:
            raise bad_request(
                "The person has no living care plan with your organization."
                if not living
                else "The person has more than one living plan: name one with the goal-care-plan extension.",
                expression="Goal.extension",
                issue_code="business-rule",
            )
        plan = access_care_plan(user, living[0], action=AuditAction.UPDATE)
    if subject is not None and subject[1] != plan.patient_id:
        raise bad_request("Goal.subject is not the plan's person.", expression="Goal.subject")
    return plan


def create(request: FhirRequest) -> FhirResponse:
    user = request.authenticated_user
    resource = request.resource("Goal", GoalModel)
    data = goal_data(resource)
    plan = _plan(request, resource)
    with domain_paths(_expression), transaction.atomic():
        goal = add_goal(plan=plan, data=data, by=user, status=str(resource.get("lifecycleStatus") or ""))
        for text in _notes(resource):
            add_goal_progress(goal=goal, text=text, by=user)
    return FhirResponse(body=_resource(user, goal.pk), status=201, location=f"{request.base}/Goal/{goal.pk}")


def _changed(goal: Goal, data: GoalData) -> bool:
    now = (
        goal.description,
        goal.own_words,
        goal.is_clinical,
        goal.measure_code,
        goal.measure_text,
        goal.comparator,
        goal.target_value,
        goal.target_unit,
        goal.due_date,
    )
    wanted = (
        data.description.strip(),
        data.own_words.strip(),
        data.clinical or bool(data.measure_code),
        data.measure_code.strip(),
        data.measure_text.strip(),
        data.comparator,
        data.target_value,
        data.target_unit.strip(),
        data.due_date,
    )
    return now != wanted


def update(request: FhirRequest, goal_id: str) -> FhirResponse:
    user = request.authenticated_user
    resource = request.resource("Goal", GoalModel)
    if resource.get("id") != goal_id:
        raise bad_request("The resource's id must equal the id in the URL.", expression="Goal.id")
    goal = access_goal(user, goal_id)
    subject = body_reference(resource.get("subject"), "Goal.subject", ("Patient",), request.base)
    if subject is None or subject[1] != goal.plan.patient_id:
        raise bad_request("Goal.subject cannot change.", expression="Goal.subject")
    named = _extension(resource, care_plan_url())
    if named is not None:
        found = body_reference(named.get("valueReference"), "Goal.extension", ("CarePlan",), request.base)
        if found is None or found[1] != goal.plan_id:
            raise bad_request("A goal's plan cannot change.", expression="Goal.extension")
    data = goal_data(resource, [p.pk for p in goal.problems.all()])
    status = str(resource.get("lifecycleStatus") or "")
    achievement = _achievement(resource)
    known = {note.text.strip() for note in goal.progress_notes.all()}
    with domain_paths(_expression), transaction.atomic():
        if _changed(goal, data):
            update_goal(goal=goal, data=data, by=user)
        for text in _notes(resource):
            if text not in known:
                add_goal_progress(goal=goal, text=text, by=user)
                known.add(text)
        if status != goal.lifecycle_status or (achievement and achievement != goal.achievement_status):
            set_goal_status(
                goal=goal,
                status=status,
                by=user,
                reason=str(resource.get("statusReason") or ""),
                achievement=achievement if achievement != goal.achievement_status else "",
            )
    return FhirResponse(body=_resource(user, goal_id))


# --- search --------------------------------------------------------------------------------------------------------


def _patient(_: str, value: str) -> Q:
    key = as_uuid(reference_id(value, "Patient"))
    return Q(plan__patient_id=key) if key else Q(pk__in=[])


def _achievement_status(_: str, value: str) -> Q:
    system, code = token(value)
    return Q(achievement_status=code) if system in (None, ACHIEVEMENT_SYSTEM) else Q(pk__in=[])


def _category(_: str, value: str) -> Q:
    system, code = token(value)
    if system not in (None, category_system()):
        return Q(pk__in=[])
    clinical = Q(clinical=True) | ~Q(measure_code="")
    if code == "clinical":
        return clinical
    return ~clinical if code == "non-clinical" else Q(pk__in=[])


_BUILDERS: dict[str, FilterBuilder] = {
    "_id": id_condition,
    "_lastUpdated": lambda _, v: date_condition("updated_at", v, name="_lastUpdated", aware=True),
    "patient": _patient,
    "lifecycle-status": lambda _, v: Q(lifecycle_status=token(v)[1]),
    "achievement-status": _achievement_status,
    "category": _category,
    "target-date": lambda _, v: date_condition("due_date", v, name="target-date", aware=False),
}
_SORTS = {"target-date": ("due_date",), "_lastUpdated": ("updated_at",)}


def search(request: FhirRequest) -> FhirResponse:
    user = request.authenticated_user
    query = parse_query(request, RESOURCE)
    scope = people(user, query, "Goal")
    plans, withheld = searchable_plans(user, CarePlan.objects.filter(scope.condition(user)), scope.named)
    rows = apply_criteria(Goal.objects.filter(plan__in=plans), query, _BUILDERS)
    found, total = page(order(goals_with_contents(rows), query, _SORTS, ("plan_id", "created_at")), query)
    resources = [goal_resource(goal) for goal in found]
    return audited_searchset(request, "Goal", query, resources, total, withheld=withheld)


RESOURCE = ResourceType(
    name="Goal",
    read=read,
    search=search,
    create=create,
    update=update,
    search_params=(
        SearchParam("patient", "reference", "The person (Patient/<id>)"),
        SearchParam(
            "lifecycle-status",
            "token",
            "proposed, planned, accepted, active, on-hold, completed, cancelled, entered-in-error or rejected",
        ),
        SearchParam(
            "achievement-status",
            "token",
            "in-progress, improving, worsening, achieved or not-achieved (terminology.hl7.org goal-achievement)",
        ),
        SearchParam("category", "token", "clinical or non-clinical ({base}/CodeSystem/goal-category)"),
        SearchParam("target-date", "date", "When the target is due (prefixes eq, ne, lt, le, gt, ge)"),
        SearchParam("_lastUpdated", "date", "When the goal last changed"),
        SearchParam("_id", "token", "Logical id of the resource"),
    ),
    sorts=tuple(_SORTS),
    documentation="Care plan goals: what the person wants to achieve, in their words, with a measurable target. "
    "The plan is named by the extension goal-care-plan (CarePlan.goal points back). Create adds a goal to a "
    "living plan; update changes wording and target, notes progress (new notes) and moves the lifecycle "
    "(invalid moves are 422). Clinical goals (category clinical or a LOINC measure) need a licensed user.",
)
