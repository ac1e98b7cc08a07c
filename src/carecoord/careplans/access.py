"""Permission-checked reads of care plans.

A plan is part of the person's record: whoever ``patients.access.access_patient`` lets see the person (their
organization's assignment or program segment, a care team place covered by a sharing consent, break-the-glass)
sees the person's plans, audited there with the plan as the object. A plan for an episode of a labelled program
(an HH+ HIV enrollment) passes the same second gate as the enrollment (``programs.access.gate``): shown to the
organization that holds it, or one a consent in force releases the label to.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from django.db.models import QuerySet

from carecoord.accounts.models import User
from carecoord.audit.actions import not_found
from carecoord.audit.models import AuditAction
from carecoord.careplans.models import CarePlan, CarePlanVersion, Goal, Intervention
from carecoord.careplans.queries import plans_of, with_contents
from carecoord.common.errors import AccessDenied, NotFound
from carecoord.patients.access import access_patient
from carecoord.patients.models import Patient
from carecoord.programs.access import released_to


def _parse(value: object, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound(f"No {what} with id {value}.") from None


def _labels(plan: CarePlan) -> list[str]:
    return list(plan.enrollment.program.security_labels or []) if plan.enrollment is not None else []


def _released(user: User, patient: Patient, plan: CarePlan) -> bool:
    labels = _labels(plan)
    if not labels or plan.organization_id == user.organization_id:
        return True
    return set(labels) <= released_to(user, patient)


def access_care_plan(user: User, plan_id: object, *, action: str = AuditAction.READ) -> CarePlan:
    """One plan with its contents, for ``user`` (audited by the person's access check)."""
    key = _parse(plan_id, "care plan")
    plan = with_contents(
        CarePlan.objects.filter(pk=key).select_related(
            "organization", "enrollment__program", "enrollment__care_manager", "created_by"
        )
    ).first()
    if plan is None:
        raise not_found(by=user, object_type="CarePlan", object_id=key, message=f"No care plan with id {key}.")
    patient = access_patient(user, plan.patient_id, action=action, object_type="CarePlan", object_id=str(plan.pk))
    if not _released(user, patient, plan):
        raise AccessDenied("This plan holds information the person has not consented to share with you.")
    plan.patient = patient
    return plan


def access_care_plans(user: User, patient_id: object) -> list[CarePlan]:
    """The person's plans the user may see, living first (audited as one read of the person's plans)."""
    patient = access_patient(user, patient_id, object_type="CarePlan", detail={"list": "patient"})
    return plans_of_accessed_patient(user, patient)


def plans_of_accessed_patient(user: User, patient: Patient) -> list[CarePlan]:
    """The same, for a person the caller has just fetched through ``access_patient`` for this user (the chart:
    its read is audited once, with the page)."""
    found = with_contents(plans_of(patient.pk))
    return [plan for plan in found if _released(user, patient, plan)]


def access_plan_version(user: User, plan_id: object, version: int) -> CarePlanVersion:
    """One stored version of a plan (a past state), after the plan's access check."""
    plan = access_care_plan(user, plan_id)
    found = CarePlanVersion.objects.filter(plan=plan, version=version).select_related("changed_by").first()
    if found is None:
        raise NotFound(f"This plan has no version {version}.")
    found.plan = plan
    return found


def access_goal(user: User, goal_id: object) -> Goal:
    """A goal, through its plan's access check (for the plan page's goal forms)."""
    key = _parse(goal_id, "goal")
    plan_id = Goal.objects.filter(pk=key).values_list("plan_id", flat=True).first()
    if plan_id is None:
        raise not_found(by=user, object_type="Goal", object_id=key, message=f"No goal with id {key}.")
    plan = access_care_plan(user, plan_id)
    goal = next(g for g in plan.goals.all() if g.pk == key)
    goal.plan = plan
    return goal


def access_intervention(user: User, intervention_id: object) -> Intervention:
    key = _parse(intervention_id, "intervention")
    plan_id = Intervention.objects.filter(pk=key).values_list("plan_id", flat=True).first()
    if plan_id is None:
        raise not_found(by=user, object_type="Intervention", object_id=key, message=f"No intervention with id {key}.")
    plan = access_care_plan(user, plan_id)
    intervention = next(i for i in plan.interventions.all() if i.pk == key)
    intervention.plan = plan
    return intervention


def searchable_plans(
    user: User, plans: QuerySet[CarePlan], named: Mapping[uuid.UUID, Patient]
) -> tuple[QuerySet[CarePlan], int]:
    """``plans`` (already narrowed to people the user may see) without the plans for a labelled program's episode
    that another organization holds and no consent releases to the user, and how many were left out. Each person
    with such a plan goes through ``access_patient`` (audited as a search) unless the caller already fetched them
    (``named``): the label rule needs the basis of access."""
    labelled = (
        plans.filter(enrollment__isnull=False)
        .exclude(enrollment__program__security_labels=[])
        .exclude(organization_id=user.organization_id)
        .select_related("enrollment__program")
    )
    hidden: list[uuid.UUID] = []
    people: dict[uuid.UUID, Patient | None] = dict(named)
    for plan in labelled:
        if plan.patient_id not in people:
            try:
                people[plan.patient_id] = access_patient(
                    user, plan.patient_id, action=AuditAction.SEARCH, object_type="CarePlan"
                )
            except (AccessDenied, NotFound):
                people[plan.patient_id] = None
        patient = people[plan.patient_id]
        if patient is None or not _released(user, patient, plan):
            hidden.append(plan.pk)
    return (plans.exclude(pk__in=hidden) if hidden else plans), len(hidden)
