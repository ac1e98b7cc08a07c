"""Reads over care plans with no permission check: for actions, the chart panel and ``access.py``.

- ``plans_of(patient_id)``: a person's plans, living first;
- ``latest_measure(goal)``: the newest usable observation of a goal's LOINC measure, and whether it meets the
  target;
- ``signoff_state(plan)``: current and outdated signatures against the program's sign-off rule;
- ``plan_contacts(plan)``: the care manager and organization the printed plan names.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from carecoord.careplans.models import (
    LIVING_PLAN_STATUSES,
    OPEN_INTERVENTION_STATUSES,
    CarePlan,
    CarePlanSignature,
    CarePlanVersion,
    Comparator,
    Goal,
    Intervention,
)
from carecoord.careplans.signoff import SignOffRule, rule_for
from carecoord.careteams.models import CareTeamMember, CareTeamMemberRole, CareTeamStatus
from carecoord.clinical.models import ObservationStatus, ValueType
from carecoord.clinical.queries import observations_of

PatientKey = uuid.UUID | str


def plans_of(patient_id: PatientKey) -> QuerySet[CarePlan]:
    """The person's plans (every organization's), living ones first, newest first."""
    living = Case(When(status__in=LIVING_PLAN_STATUSES, then=Value(0)), default=Value(1), output_field=IntegerField())
    return (
        CarePlan.objects.filter(patient_id=patient_id)
        .select_related("organization", "enrollment__program", "enrollment__care_manager", "created_by")
        .annotate(living_first=living)
        .order_by("living_first", "-created_at")
    )


def with_contents(plans: QuerySet[CarePlan]) -> QuerySet[CarePlan]:
    """Plans with their problems, goals (and notes, problems), interventions and signatures loaded."""
    return plans.prefetch_related(
        "problems",
        "goals__problems",
        "goals__progress_notes__author",
        "interventions__performer_user",
        "interventions__performer_member__user",
        "interventions__goal",
        "interventions__community_referrals",
        "signatures",
    )


# Latest value of a measured goal ----------------------------------------------------------------------------------

MEASURE_STATUSES = (ObservationStatus.FINAL, ObservationStatus.AMENDED, ObservationStatus.CORRECTED)


@dataclass(frozen=True)
class MeasureReading:
    """The newest value of a goal's measure: ``meets`` is None when the goal has no numeric target."""

    value: Decimal
    unit: str
    effective: datetime.datetime | None
    meets: bool | None
    observation_id: int


def meets_target(value: Decimal, comparator: str, target: Decimal) -> bool:
    match comparator:
        case Comparator.LT:
            return value < target
        case Comparator.LE:
            return value <= target
        case Comparator.GT:
            return value > target
        case Comparator.GE:
            return value >= target
    return value == target


def latest_measure(goal: Goal) -> MeasureReading | None:
    """The newest final or amended numeric observation with the goal's LOINC code for the person (None without
    a coded measure or a value)."""
    if not goal.measure_code:
        return None
    found = (
        observations_of(goal.plan.patient_id, codes=[goal.measure_code])
        .filter(status__in=MEASURE_STATUSES, value_type__in=[ValueType.QUANTITY, ValueType.INTEGER])
        .first()
    )
    if found is None:
        return None
    raw = found.value_quantity if found.value_type == ValueType.QUANTITY else found.value_integer
    if raw is None:
        return None
    value = Decimal(raw).normalize()
    meets = (
        meets_target(value, goal.comparator, goal.target_value)
        if goal.comparator and goal.target_value is not None
        else None
    )
    return MeasureReading(
        value=value,
        unit=found.value_unit or goal.target_unit,
        effective=found.effective_at,
        meets=meets,
        observation_id=found.pk,
    )


# Sign-off ---------------------------------------------------------------------------------------------------------


@dataclass
class SignOff:
    """Where a plan stands against its program's sign-off rule."""

    rule: SignOffRule
    current: list[CarePlanSignature] = field(default_factory=list)
    outdated: list[CarePlanSignature] = field(default_factory=list)
    missing: list[frozenset[str]] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def changed_since_signed(self) -> bool:
        """Someone signed an earlier content of the plan and has not signed what it says now."""
        current_kinds = {s.signer_kind for s in self.current}
        return any(s.signer_kind not in current_kinds for s in self.outdated)

    @property
    def last_signed_at(self) -> datetime.datetime | None:
        return max((s.signed_at for s in self.current), default=None)


def signoff_state(plan: CarePlan) -> SignOff:
    program = plan.enrollment.program_id if plan.enrollment_id is not None and plan.enrollment else None
    rule = rule_for(program)
    signatures = list(CarePlanSignature.objects.filter(plan=plan).select_related("signer_user"))
    current = [s for s in signatures if s.content_digest == plan.content_digest]
    outdated = [s for s in signatures if s.content_digest != plan.content_digest]
    kinds = {s.signer_kind for s in current}
    return SignOff(rule=rule, current=current, outdated=outdated, missing=[g for g in rule if not g & kinds])


# Interventions and contacts ---------------------------------------------------------------------------------------


def next_interventions(plan: CarePlan, *, limit: int = 5) -> list[Intervention]:
    """Open interventions, soonest due first (undated last)."""
    rows = [i for i in plan.interventions.all() if i.status in OPEN_INTERVENTION_STATUSES]
    far = datetime.date.max
    return sorted(rows, key=lambda i: (i.due_date or far, i.created_at))[:limit]


@dataclass(frozen=True)
class Contact:
    role: str
    name: str
    phone: str


def plan_contacts(plan: CarePlan) -> list[Contact]:
    """Who the person calls: the lead care manager (the care team's lead, else the episode's care manager) and the
    organization holding the plan."""
    today = timezone.localdate()
    lead = (
        CareTeamMember.objects.filter(
            care_team__patient_id=plan.patient_id,
            care_team__status=CareTeamStatus.ACTIVE,
            role__in=[CareTeamMemberRole.LEAD_CARE_MANAGER, CareTeamMemberRole.CARE_MANAGER],
            start_date__lte=today,
        )
        .exclude(end_date__lt=today)
        .select_related("user")
        .order_by("-is_lead", "start_date")
        .first()
    )
    contacts: list[Contact] = []
    if lead is not None:
        phone = lead.phone or (lead.user.phone if lead.user is not None else "")
        contacts.append(Contact(role="care-manager", name=lead.display_name, phone=phone or plan.organization.phone))
    elif plan.enrollment is not None and plan.enrollment.care_manager is not None:
        manager = plan.enrollment.care_manager
        contacts.append(
            Contact(
                role="care-manager",
                name=manager.get_full_name() or manager.username,
                phone=manager.phone or plan.organization.phone,
            )
        )
    contacts.append(Contact(role="organization", name=plan.organization.name, phone=plan.organization.phone))
    return contacts


def stored_versions(plans: list[CarePlan]) -> dict[uuid.UUID, CarePlanVersion]:
    """The stored version each plan is at now (``plan.version``), by plan id, in one statement."""
    if not plans:
        return {}
    wanted = Q()
    for plan in plans:
        wanted |= Q(plan_id=plan.pk, version=plan.version)
    return {v.plan_id: v for v in CarePlanVersion.objects.filter(wanted)}


def goals_with_contents(goals: QuerySet[Goal]) -> QuerySet[Goal]:
    """Goals with their plan (and its program), problems and progress notes (with authors) loaded."""
    return goals.select_related("plan__enrollment__program").prefetch_related("problems", "progress_notes__author")
