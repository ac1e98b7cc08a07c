"""CarePlan: read, vread, search (with ``_include=CarePlan:goal``), create and update, through
``careplans.access`` and ``careplans.actions``.

Whoever may see the person sees their plans; a plan for a labelled program's episode (HH+ HIV) that another
organization holds only where a consent releases the label (a read is 403, a search leaves it out).

Create (``start_care_plan``): ``subject`` Patient/<id>; optional ``supportingInfo`` EpisodeOfCare/<enrollment id>
(the program episode; without it, a plan for care outside programs); ``status`` draft (the default) or active;
``intent`` plan; ``description`` (what matters most to the person). Goals and activities are added afterwards:
a Goal names its plan in the extension ``goal-care-plan``; activities are the plan's interventions.

Update: ``status`` moves the plan along the plan's rule (``set_plan_status``; an invalid move is 422; holds,
revocations and errors say why in the extension ``status-reason``); ``description`` changes what matters
(``update_plan_details``). ``goal`` may list only this plan's goals (a goal ends through its own lifecycle, not by
leaving the list). ``title``, ``category``, ``period``, ``activity`` and ``addresses`` are derived and ignored;
``subject`` and the episode cannot change. ``If-Match`` with the version is honoured.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.db import transaction
from django.db.models import Q
from fhir.resources.R4B.careplan import CarePlan as CarePlanModel

from carecoord.accounts.models import User
from carecoord.audit.models import AuditAction
from carecoord.careplans.access import access_care_plan, access_plan_version, searchable_plans
from carecoord.careplans.actions import PlanDetails, set_plan_status, start_care_plan, update_plan_details
from carecoord.careplans.models import CarePlan, CarePlanStatus, Goal
from carecoord.careplans.queries import goals_with_contents, stored_versions
from carecoord.common.errors import NotFound, VersionConflict
from carecoord.fhir.exchange import FhirRequest, FhirResponse, versioned
from carecoord.fhir.interactions.organization import id_condition
from carecoord.fhir.interactions.scope import body_reference, not_kept, patient_condition, people
from carecoord.fhir.mapping.care_plan import US_CORE_CAREPLAN_CATEGORY, care_plan_resource, status_reason_url
from carecoord.fhir.mapping.episode_of_care import program_system
from carecoord.fhir.mapping.goal import goal_resource
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
    resolve_includes,
    token,
)
from carecoord.patients.access import access_patient
from carecoord.programs.models import Enrollment

_PATHS = {
    "status": "CarePlan.status",
    "reason": f"CarePlan.extension('{status_reason_url()}')",
    "enrollment": "CarePlan.supportingInfo",
    "what_matters": "CarePlan.description",
}


def _expression(field: str) -> str:
    return _PATHS.get(field, "CarePlan")


def _current(user: User, plan_id: object) -> dict[str, Any]:
    plan = access_care_plan(user, plan_id)
    version = stored_versions([plan]).get(plan.pk)
    if version is None:  # every write stores one; a plan without is not readable
        raise NotFound(f"Care plan {plan_id} has no stored version.")
    return care_plan_resource(plan, version)


def read(request: FhirRequest, plan_id: str) -> FhirResponse:
    return versioned(_current(request.authenticated_user, plan_id))


def vread(request: FhirRequest, plan_id: str, version_id: str) -> FhirResponse:
    if not version_id.isdigit() or int(version_id) < 1:
        raise NotFound(f"Care plan {plan_id} has no version {version_id}.")
    version = access_plan_version(request.authenticated_user, plan_id, int(version_id))
    return versioned(care_plan_resource(version.plan, version))


# --- create and update ---------------------------------------------------------------------------------------------


def _status_reason(resource: dict[str, Any]) -> str:
    for extension in resource.get("extension") or []:
        if extension.get("url") == status_reason_url():
            return str(extension.get("valueString") or "")
    return ""


def _enrollment(resource: dict[str, Any], base: str) -> Enrollment | None:
    for index, item in enumerate(resource.get("supportingInfo") or []):
        at = f"CarePlan.supportingInfo[{index}]"
        kind = str(item.get("reference") or "").removeprefix(base + "/").partition("/")[0]
        if kind != "EpisodeOfCare":
            continue
        found = body_reference(item, at, ("EpisodeOfCare",), base)
        enrollment = Enrollment.objects.select_related("program").filter(pk=found[1]).first() if found else None
        if enrollment is None:
            raise bad_request(f"{at} is not an EpisodeOfCare known here.", expression=at)
        return enrollment
    return None


def _goal_ids(resource: dict[str, Any], base: str) -> set[Any]:
    ids = set()
    for index, item in enumerate(resource.get("goal") or []):
        found = body_reference(item, f"CarePlan.goal[{index}]", ("Goal",), base)
        if found is None:
            raise bad_request("CarePlan.goal must reference Goal/<id>.", expression=f"CarePlan.goal[{index}]")
        ids.add(found[1])
    return ids


def _details(plan: CarePlan, what_matters: str) -> PlanDetails:
    return PlanDetails(
        preferred_language=plan.preferred_language,
        contact_preferences=plan.contact_preferences,
        what_matters=what_matters,
        strengths=list(plan.strengths),
        supports=list(plan.supports),
        barriers=list(plan.barriers),
    )


def create(request: FhirRequest) -> FhirResponse:
    user = request.authenticated_user
    resource = request.resource("CarePlan", CarePlanModel)
    status = resource.get("status")
    if status not in (CarePlanStatus.DRAFT, CarePlanStatus.ACTIVE) or resource.get("intent") != "plan":
        raise bad_request(
            "A new care plan has intent plan and status draft or active.",
            expression="CarePlan.status",
            issue_code="value",
        )
    for element in ("goal", "activity"):
        if resource.get(element):
            raise bad_request(
                f"CarePlan.{element} is not taken on create: add goals as Goal resources naming the plan "
                "(extension goal-care-plan); activities are the plan's interventions.",
                expression=f"CarePlan.{element}",
                issue_code="not-supported",
            )
    subject = body_reference(resource.get("subject"), "CarePlan.subject", ("Patient",), request.base)
    if subject is None:
        raise bad_request("CarePlan.subject must reference Patient/<id>.", expression="CarePlan.subject")
    enrollment = _enrollment(resource, request.base)
    patient = access_patient(user, subject[1], action=AuditAction.CREATE, object_type="CarePlan")
    description = str(resource.get("description") or "").strip()
    with domain_paths(_expression), transaction.atomic():
        plan = start_care_plan(patient=patient, by=user, enrollment=enrollment)
        if description:
            update_plan_details(plan=plan, details=_details(plan, description), by=user)
        if status == CarePlanStatus.ACTIVE:
            set_plan_status(plan=plan, status=CarePlanStatus.ACTIVE, by=user)
    return versioned(_current(user, plan.pk), status=201, location=f"{request.base}/CarePlan/{plan.pk}")


def update(request: FhirRequest, plan_id: str) -> FhirResponse:
    user = request.authenticated_user
    resource = request.resource("CarePlan", CarePlanModel)
    if resource.get("id") != plan_id:
        raise bad_request("The resource's id must equal the id in the URL.", expression="CarePlan.id")
    plan = access_care_plan(user, plan_id, action=AuditAction.UPDATE)
    expected = request.if_match()
    if expected is not None and expected != plan.version:
        raise VersionConflict(f"CarePlan/{plan_id} is at version {plan.version}, not {expected}.")
    subject = body_reference(resource.get("subject"), "CarePlan.subject", ("Patient",), request.base)
    if subject is None or subject[1] != plan.patient_id:
        raise bad_request("CarePlan.subject cannot change.", expression="CarePlan.subject")
    enrollment = _enrollment(resource, request.base)
    if (enrollment.pk if enrollment else None) != plan.enrollment_id:
        raise bad_request("A plan's program episode cannot change.", expression="CarePlan.supportingInfo")
    own_goals = {goal.pk for goal in plan.goals.all()}
    strangers = _goal_ids(resource, request.base) - own_goals
    if strangers:
        raise bad_request(
            f"CarePlan.goal may list only this plan's goals, not Goal/{sorted(map(str, strangers))[0]}.",
            expression="CarePlan.goal",
        )
    status = str(resource.get("status") or "")
    description = str(resource.get("description") or "").strip()
    with domain_paths(_expression), transaction.atomic():
        if description != plan.what_matters:
            update_plan_details(plan=plan, details=_details(plan, description), by=user)
        if status != plan.status:
            set_plan_status(plan=plan, status=status, by=user, reason=_status_reason(resource))
    return versioned(_current(user, plan_id))


# --- search --------------------------------------------------------------------------------------------------------


def _category(_: str, value: str) -> Q:
    system, code = token(value)
    if system in (None, US_CORE_CAREPLAN_CATEGORY) and code == "assess-plan":
        return Q()
    if system in (None, program_system()):
        return Q(enrollment__program_id=code)
    return Q(pk__in=[])


def _status(_: str, value: str) -> Q:
    return Q(status=token(value)[1])


_BUILDERS: dict[str, FilterBuilder] = {
    "_id": id_condition,
    "_lastUpdated": not_kept,
    "patient": patient_condition,
    "subject": patient_condition,
    "status": _status,
    "category": _category,
    "date": lambda _, v: date_condition("created_at", v, name="date", aware=True),
}
_SORTS = {"date": ("created_at",)}
_PATIENT = SearchParam("patient", "reference", "The person (Patient/<id>)")


def _goals(plans: list[CarePlan]) -> list[dict[str, Any]]:
    goals = goals_with_contents(Goal.objects.filter(plan__in=[p.pk for p in plans])).order_by("plan_id", "created_at")
    return [goal_resource(goal) for goal in goals]


def search(request: FhirRequest) -> FhirResponse:
    user = request.authenticated_user
    query = parse_query(request, RESOURCE)
    # subject is the person by another name: checked (and filtered) as patient is
    query.criteria = [replace(c, param=_PATIENT) if c.param.name == "subject" else c for c in query.criteria]
    scope = people(user, query, "CarePlan")
    rows = apply_criteria(CarePlan.objects.filter(scope.condition(user)), query, _BUILDERS)
    rows, withheld = searchable_plans(user, rows, scope.named)
    rows = rows.select_related("enrollment__program")
    found, total = page(order(rows, query, _SORTS, ("-created_at",)), query)
    versions = stored_versions(found)
    resources = [care_plan_resource(plan, versions[plan.pk]) for plan in found if plan.pk in versions]
    extra = resolve_includes(query, found, {"CarePlan:goal": _goals})
    return audited_searchset(request, "CarePlan", query, resources, total, extra, withheld=withheld)


RESOURCE = ResourceType(
    name="CarePlan",
    read=read,
    vread=vread,
    search=search,
    create=create,
    update=update,
    search_params=(
        _PATIENT,
        SearchParam("subject", "reference", "The person (Patient/<id>)"),
        SearchParam("status", "token", "draft, active, on-hold, revoked, completed or entered-in-error"),
        SearchParam(
            "category", "token", "assess-plan (US Core; every plan) or a program code ({base}/CodeSystem/program)"
        ),
        SearchParam("date", "date", "When the plan started (prefixes eq, ne, lt, le, gt, ge)"),
        SearchParam("_id", "token", "Logical id of the resource"),
    ),
    sorts=tuple(_SORTS),
    includes=("CarePlan:goal",),
    documentation="Person-centred care plans, one living plan per program episode (or outside programs, per "
    "organization), versioned (vread of every stored version). Create starts a plan (draft or active); update "
    "moves its status along the plan's rule (invalid moves are 422) and changes its description (what matters "
    "to the person). Goals are Goal resources (_include=CarePlan:goal); activities are the plan's interventions. "
    "Plans for a labelled program's episode appear only where a consent releases the label.",
)
