"""Care plans through their actions: goals and FHIR lifecycle moves, progress and measured values, versions on
every write, signatures and the program's sign-off rule, reviews as tasks, problems from screening suggestions,
who may change what, and the audit trail."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone

from carecoord.audit.models import AuditRecord
from carecoord.careplans.actions import (
    REVIEW_REASON,
    GoalData,
    InterventionData,
    PlanDetails,
    add_goal,
    add_goal_progress,
    add_intervention,
    add_problem,
    complete_intervention,
    complete_review,
    mark_significant_change,
    problem_from_suggestion,
    resolve_problem,
    schedule_review,
    set_goal_status,
    set_plan_status,
    sign_plan,
    start_care_plan,
    update_goal,
    update_plan_details,
)
from carecoord.careplans.models import (
    CarePlanStatus,
    CarePlanVersion,
    GoalAchievement,
    GoalLifecycle,
    InterventionStatus,
    Performer,
    ProblemSource,
    ProblemStatus,
    SignatureMethod,
    SignerKind,
)
from carecoord.careplans.queries import latest_measure, signoff_state
from carecoord.careplans.tests.conftest import enrolled
from carecoord.clinical.actions import ObservationData, Quantity, record_observation
from carecoord.clinical.models import ObservationStatus
from carecoord.common.errors import AccessDenied, DomainError, ValidationFailed
from carecoord.tasks.actions import TaskData, create_task
from carecoord.tasks.models import TaskKind, TaskStatus
from carecoord.tasks.queries import open_tasks
from carecoord.testing.factories import make_patient

pytestmark = pytest.mark.django_db

HBA1C = GoalData(
    description="HbA1c below 8% by June",
    own_words="I want to keep my feet and eyes healthy",
    measure_code="4548-4",
    measure_display="Hemoglobin A1c",
    comparator="<",
    target_value=Decimal("8"),
    target_unit="%",
    due_date=datetime.date(2027, 6, 30),
)


def _housing(**extra):
    return GoalData(description="Stable housing", own_words="A place of my own", measure_text="Housed", **extra)


def test_a_plan_starts_as_a_draft_with_the_programs_review_date_and_version_one(plan, maria, alice_rn):
    assert plan.status == CarePlanStatus.DRAFT
    assert plan.version == 1
    assert plan.review_due == timezone.localdate() + datetime.timedelta(days=365)  # ny-hh-adult plan_review_days
    assert plan.preferred_language == maria.preferred_language
    first = plan.versions.get()
    assert (first.version, first.summary, first.changes, first.changed_by) == (
        1,
        "Plan started",
        ["Plan started."],
        alice_rn,
    )
    audit = AuditRecord.objects.filter(object_type="CarePlan", object_id=str(plan.pk), action="create").get()
    assert audit.patient_id == maria.pk and audit.detail["version"] == 1


def test_one_living_plan_per_episode_and_one_outside_programs(plan, maria, alice_rn, enrollment):
    with pytest.raises(DomainError) as refused:
        start_care_plan(patient=maria, enrollment=enrollment, by=alice_rn)
    assert refused.value.code == "plan-exists"
    outside = start_care_plan(patient=maria, by=alice_rn)
    assert outside.enrollment is None
    with pytest.raises(DomainError):
        start_care_plan(patient=maria, by=alice_rn)


def test_only_care_managers_start_plans(maria, bob_coordinator):
    with pytest.raises(AccessDenied):
        start_care_plan(patient=maria, by=bob_coordinator)


def test_goal_lifecycle_follows_fhir(plan, alice_rn):
    goal = add_goal(plan=plan, data=HBA1C, by=alice_rn)
    assert goal.lifecycle_status == GoalLifecycle.PROPOSED and goal.is_clinical
    set_goal_status(goal=goal, status=GoalLifecycle.ACCEPTED, by=alice_rn)
    set_goal_status(goal=goal, status=GoalLifecycle.ACTIVE, by=alice_rn)
    assert goal.achievement_status == GoalAchievement.IN_PROGRESS
    set_goal_status(goal=goal, status=GoalLifecycle.ACTIVE, achievement=GoalAchievement.IMPROVING, by=alice_rn)
    with pytest.raises(ValidationFailed) as refused:
        set_goal_status(goal=goal, status=GoalLifecycle.ON_HOLD, by=alice_rn)
    assert refused.value.errors == {"reason": ["Say why the goal is on hold."]}
    set_goal_status(goal=goal, status=GoalLifecycle.ON_HOLD, reason="In hospital", by=alice_rn)
    set_goal_status(goal=goal, status=GoalLifecycle.ACTIVE, by=alice_rn)
    with pytest.raises(ValidationFailed):
        set_goal_status(goal=goal, status=GoalLifecycle.COMPLETED, by=alice_rn)  # achieved or not?
    with pytest.raises(ValidationFailed):
        set_goal_status(
            goal=goal, status=GoalLifecycle.COMPLETED, achievement=GoalAchievement.NOT_ACHIEVED, by=alice_rn
        )
    set_goal_status(goal=goal, status=GoalLifecycle.COMPLETED, achievement=GoalAchievement.ACHIEVED, by=alice_rn)
    goal.refresh_from_db()
    assert (goal.lifecycle_status, goal.achievement_status) == ("completed", "achieved")


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ([GoalLifecycle.ACTIVE, GoalLifecycle.PROPOSED], False),
        ([GoalLifecycle.COMPLETED], False),
        ([GoalLifecycle.REJECTED, GoalLifecycle.ACTIVE], False),
        ([GoalLifecycle.CANCELLED, GoalLifecycle.ACTIVE], False),
        ([GoalLifecycle.PLANNED, GoalLifecycle.ON_HOLD, GoalLifecycle.ACTIVE], True),
        ([GoalLifecycle.ACTIVE, GoalLifecycle.ENTERED_IN_ERROR], True),
        ([GoalLifecycle.ENTERED_IN_ERROR, GoalLifecycle.ENTERED_IN_ERROR], False),
    ],
)
def test_invalid_goal_moves_are_domain_errors(plan, alice_rn, path, allowed):
    goal = add_goal(plan=plan, data=_housing(), by=alice_rn)
    try:
        for status in path:
            set_goal_status(goal=goal, status=status, by=alice_rn, reason="Because")
    except DomainError as error:
        assert not allowed, error
        assert error.code == "invalid-transition"
    else:
        assert allowed


def test_goal_input_names_the_field(plan, alice_rn):
    with pytest.raises(ValidationFailed) as refused:
        add_goal(
            plan=plan,
            data=GoalData(description=" ", measure_code="HBA1C", comparator="<", problem_ids=[uuid.uuid4()]),
            by=alice_rn,
        )
    assert set(refused.value.errors) == {"description", "measure_code", "target_value", "problem_ids"}


def test_clinical_goals_need_a_license_and_coordinators_keep_to_non_clinical_work(
    plan, alice_rn, bob_coordinator, carl_cm
):
    for user in (bob_coordinator, carl_cm):
        with pytest.raises(AccessDenied):
            add_goal(plan=plan, data=HBA1C, by=user)
    clinical = add_goal(plan=plan, data=HBA1C, by=alice_rn)
    with pytest.raises(AccessDenied):
        set_goal_status(goal=clinical, status=GoalLifecycle.ACTIVE, by=carl_cm)
    housing = add_goal(plan=plan, data=_housing(), by=bob_coordinator)
    set_goal_status(goal=housing, status=GoalLifecycle.ACTIVE, by=bob_coordinator)
    add_goal_progress(goal=clinical, text="Checked her sugars daily", by=bob_coordinator)  # documentation
    with pytest.raises(AccessDenied):  # interventions toward clinical goals are arranged by care managers
        add_intervention(
            plan=plan,
            data=InterventionData(description="Book an eye exam", performer=Performer.CARE_MANAGER, goal=clinical),
            by=bob_coordinator,
        )
    with pytest.raises(AccessDenied):
        set_plan_status(plan=plan, status=CarePlanStatus.ACTIVE, by=bob_coordinator)
    assert AuditRecord.objects.filter(object_type="CarePlan", outcome="denied").count() >= 4


def test_progress_notes_and_achievement(plan, alice_rn):
    goal = add_goal(plan=plan, data=_housing(), by=alice_rn, status=GoalLifecycle.ACTIVE)
    note = add_goal_progress(
        goal=goal, text="Housing application sent", by=alice_rn, achievement=GoalAchievement.IMPROVING
    )
    goal.refresh_from_db()
    assert goal.achievement_status == GoalAchievement.IMPROVING
    assert note.author == alice_rn and list(goal.progress_notes.all()) == [note]
    with pytest.raises(ValidationFailed):
        add_goal_progress(goal=goal, text="  ", by=alice_rn)
    latest = plan.versions.first()
    assert "progress noted" in " ".join(latest.changes)
    assert latest.snapshot["goals"][0]["progress_notes"][0]["text"] == "Housing application sent"


def _a1c(maria, alice_rn, value, *, days_ago, status=ObservationStatus.FINAL):
    return record_observation(
        patient=maria,
        data=ObservationData(
            code="4548-4",
            display="Hemoglobin A1c",
            value=Quantity(Decimal(value), "%", "%"),
            status=status,
            categories=["laboratory"],
            effective_at=timezone.now() - datetime.timedelta(days=days_ago),
        ),
        by=alice_rn,
    )


def test_latest_value_from_observations_and_the_target(plan, maria, alice_rn):
    goal = add_goal(plan=plan, data=HBA1C, by=alice_rn)
    assert latest_measure(goal) is None
    _a1c(maria, alice_rn, "9.1", days_ago=90)
    reading = latest_measure(goal)
    assert reading is not None and (reading.value, reading.unit, reading.meets) == (Decimal("9.1"), "%", False)
    _a1c(maria, alice_rn, "7.6", days_ago=5)
    _a1c(maria, alice_rn, "12", days_ago=1, status=ObservationStatus.PRELIMINARY)  # not final: ignored
    reading = latest_measure(goal)
    assert reading is not None and (reading.value, reading.meets) == (Decimal("7.6"), True)
    assert reading.effective is not None and reading.effective.date() <= timezone.localdate()
    housing = add_goal(plan=plan, data=_housing(), by=alice_rn)
    assert latest_measure(housing) is None


def test_every_write_is_a_version_with_who_and_what_changed(plan, alice_rn, bob_coordinator):
    update_plan_details(
        plan=plan,
        details=PlanDetails(
            preferred_language="es",
            contact_preferences="Text after 5 pm",
            what_matters="Seeing my grandchildren",
            strengths=["Cooks at home", " ", "Cooks at home"],
            supports=["Daughter Ana"],
            barriers=["No car"],
        ),
        by=bob_coordinator,
    )
    assert plan.strengths == ["Cooks at home"]
    goal = add_goal(plan=plan, data=_housing(), by=alice_rn)
    update_goal(goal=goal, data=_housing(due_date=datetime.date(2027, 3, 1)), by=alice_rn)
    versions = list(CarePlanVersion.objects.filter(plan=plan).order_by("version"))
    assert [v.version for v in versions] == [1, 2, 3, 4]
    assert plan.version == 4
    assert versions[1].changed_by == bob_coordinator
    assert "Strengths added: Cooks at home" in versions[1].changes
    assert "What matters: — → Seeing my grandchildren" in versions[1].changes
    assert versions[2].changes == ["Goal added: “Stable housing”"]
    assert versions[3].changes == ["Goal “Stable housing”: due — → 2027-03-01"]
    assert versions[1].snapshot["goals"] == [] and versions[3].snapshot["goals"][0]["due_date"] == "2027-03-01"
    writes = AuditRecord.objects.filter(object_type="CarePlan", object_id=str(plan.pk), outcome="success")
    assert writes.count() == 4


def test_signatures_and_changed_since_signed(plan, maria, alice_rn, bob_coordinator):
    with pytest.raises(DomainError) as refused:
        sign_plan(plan=plan, signer_kind=SignerKind.CARE_MANAGER, by=alice_rn)
    assert refused.value.code == "nothing-to-sign"
    goal = add_goal(plan=plan, data=_housing(), by=alice_rn)
    with pytest.raises(ValidationFailed) as refused:
        sign_plan(plan=plan, signer_kind=SignerKind.PERSON, method=SignatureMethod.VERBAL, by=bob_coordinator)
    assert "witness" in refused.value.errors
    person = sign_plan(
        plan=plan,
        signer_kind=SignerKind.PERSON,
        method=SignatureMethod.IN_PERSON,
        signer_name="María José García",
        by=bob_coordinator,
    )
    assert person.version == 2 and plan.version == 3 and plan.status == CarePlanStatus.DRAFT
    state = signoff_state(plan)
    assert [s.signer_kind for s in state.current] == ["person"] and not state.complete
    with pytest.raises(DomainError):
        sign_plan(plan=plan, signer_kind=SignerKind.PERSON, method=SignatureMethod.IN_PERSON, by=bob_coordinator)
    sign_plan(plan=plan, signer_kind=SignerKind.CARE_MANAGER, by=alice_rn)
    plan.refresh_from_db()
    state = signoff_state(plan)
    assert state.complete and not state.changed_since_signed
    assert plan.status == CarePlanStatus.ACTIVE  # NY Health Home: the person and the care manager
    assert "the plan is now active" in plan.versions.first().summary
    complete_review(plan=plan, by=alice_rn)  # a review that changes nothing keeps the signatures
    assert signoff_state(plan).complete
    set_goal_status(goal=goal, status=GoalLifecycle.ACTIVE, by=alice_rn)
    state = signoff_state(plan)
    assert state.changed_since_signed and not state.complete and len(state.outdated) == 2
    sign_plan(
        plan=plan,
        signer_kind=SignerKind.PERSON,
        method=SignatureMethod.VERBAL,
        witness="Bob Okafor",
        note="By phone",
        by=bob_coordinator,
    )
    assert signoff_state(plan).changed_since_signed  # the care manager has not signed this content yet
    sign_plan(plan=plan, signer_kind=SignerKind.CARE_MANAGER, by=alice_rn)
    state = signoff_state(plan)
    assert state.complete and not state.changed_since_signed


def test_program_sign_off_rules_and_who_may_sign_as_what(maria, alice_rn, bob_coordinator, sam_supervisor, carl_cm):
    person = make_patient(alice_rn, family_name="Rahman", given_names="Farid")
    episode = enrolled(person, "complex-care", by=alice_rn, care_manager=alice_rn)
    plan = start_care_plan(patient=person, enrollment=episode, by=alice_rn)
    add_goal(plan=plan, data=_housing(), by=alice_rn)
    with pytest.raises(AccessDenied):
        sign_plan(plan=plan, signer_kind=SignerKind.LICENSED_CLINICIAN, by=bob_coordinator)
    with pytest.raises(AccessDenied):
        sign_plan(plan=plan, signer_kind=SignerKind.CARE_MANAGER, by=bob_coordinator)
    with pytest.raises(AccessDenied):
        sign_plan(plan=plan, signer_kind=SignerKind.SUPERVISOR, by=carl_cm)
    sign_plan(plan=plan, signer_kind=SignerKind.GUARDIAN, method="in-person", signer_name="Ana Rahman", by=carl_cm)
    sign_plan(plan=plan, signer_kind=SignerKind.CARE_MANAGER, by=carl_cm)
    plan.refresh_from_db()
    state = signoff_state(plan)
    assert not state.complete and plan.status == CarePlanStatus.DRAFT  # complex care: a licensed or supervisor
    assert state.missing == [frozenset({"licensed-clinician", "supervisor"})]
    signature = sign_plan(plan=plan, signer_kind=SignerKind.SUPERVISOR, by=sam_supervisor)
    assert signature.signer_name == "Sam Rivera" and signature.method == SignatureMethod.ELECTRONIC
    plan.refresh_from_db()
    assert signoff_state(plan).complete and plan.status == CarePlanStatus.ACTIVE


def test_review_task_created_once_and_closed_by_the_review(plan, maria, alice_rn):
    task = schedule_review(plan=plan, by=alice_rn)
    assert schedule_review(plan=plan, by=alice_rn) == task
    assert (task.kind, task.reason, task.focus, task.owner) == (
        TaskKind.CARE_PLAN,
        REVIEW_REASON,
        f"CarePlan/{plan.pk}",
        alice_rn,
    )
    assert open_tasks(maria, reason=REVIEW_REASON).count() == 1
    complete_review(plan=plan, by=alice_rn, note="All goals still right")
    task.refresh_from_db()
    assert task.status == TaskStatus.COMPLETED
    assert plan.last_reviewed_on == timezone.localdate()
    assert not open_tasks(maria, reason=REVIEW_REASON).exists()


def test_a_significant_change_brings_the_review_forward(plan, maria, alice_rn):
    far = schedule_review(plan=plan, by=alice_rn)
    mark_significant_change(plan=plan, reason="Discharged from Maimonides", by=alice_rn)
    assert plan.review_due == timezone.localdate() + datetime.timedelta(days=14)
    assert plan.review_overdue is False
    far.refresh_from_db()
    assert far.status == TaskStatus.CANCELLED
    review = open_tasks(maria, reason=REVIEW_REASON).get()
    assert timezone.localtime(review.due_at).date() == plan.review_due
    assert "Maimonides" in review.description
    mark_significant_change(plan=plan, reason="Second admission", by=None)  # from a rule: no duplicate
    assert open_tasks(maria, reason=REVIEW_REASON).count() == 1
    assert plan.versions.first().summary == "Significant change: Second admission"


def test_problem_from_an_sdoh_suggestion_task(plan, maria, alice_rn, bob_coordinator, agency):
    suggestion = create_task(
        data=TaskData(
            organization_id=agency.pk,
            title="Suggested care plan problem: Food insecurity",
            kind=TaskKind.CARE_PLAN,
            patient=maria,
            owner=alice_rn,
            reason="problem-food-insecurity",
            focus="QuestionnaireResponse/8d3e0d7e-1f6c-4a44-9d59-1c6f3f2b9c11",
        ),
        by=alice_rn,
    )
    problem = problem_from_suggestion(plan=plan, task=suggestion, by=bob_coordinator)
    assert (problem.source, problem.reference, problem.text) == (
        ProblemSource.SOCIAL_NEED,
        "food-insecurity",
        "Food insecurity",
    )
    assert problem.evidence == suggestion.focus
    suggestion.refresh_from_db()
    assert suggestion.status == TaskStatus.COMPLETED
    with pytest.raises(DomainError):
        problem_from_suggestion(plan=plan, task=suggestion, by=bob_coordinator)
    other = create_task(data=TaskData(organization_id=agency.pk, title="Call", patient=maria), by=alice_rn)
    with pytest.raises(ValidationFailed):
        problem_from_suggestion(plan=plan, task=other, by=bob_coordinator)
    resolve_problem(problem=problem, by=bob_coordinator, resolution="Enrolled in SNAP")
    assert problem.status == ProblemStatus.RESOLVED
    with pytest.raises(ValidationFailed):
        add_problem(plan=plan, text="Diabetes", source=ProblemSource.CONDITION, reference="", by=alice_rn)


def test_intervention_for_a_staff_user_is_a_task_and_completing_it_closes_both(plan, maria, alice_rn, bob_coordinator):
    goal = add_goal(plan=plan, data=_housing(), by=alice_rn)
    intervention = add_intervention(
        plan=plan,
        data=InterventionData(
            description="Apply for supportive housing",
            performer=Performer.CARE_MANAGER,
            performer_user=bob_coordinator,
            goal=goal,
            due_date=timezone.localdate() + datetime.timedelta(days=7),
        ),
        by=alice_rn,
    )
    task = intervention.task
    assert task is not None and task.focus == f"Intervention/{intervention.pk}" and task.owner == bob_coordinator
    assert intervention.who == "Bob Okafor"
    person = add_intervention(
        plan=plan,
        data=InterventionData(description="Bring ID documents", performer=Performer.PERSON, goal=goal),
        by=alice_rn,
    )
    assert person.task is None
    complete_intervention(intervention=intervention, by=bob_coordinator)
    task.refresh_from_db()
    assert intervention.status == InterventionStatus.COMPLETED and task.status == TaskStatus.COMPLETED
    with pytest.raises(DomainError):
        complete_intervention(intervention=intervention, by=bob_coordinator)


def test_outsiders_and_closed_plans(plan, alice_rn, eve_outsider):
    with pytest.raises(AccessDenied):
        add_goal(plan=plan, data=_housing(), by=eve_outsider)
    with pytest.raises(ValidationFailed):
        set_plan_status(plan=plan, status=CarePlanStatus.REVOKED, by=alice_rn)
    set_plan_status(plan=plan, status=CarePlanStatus.REVOKED, by=alice_rn, reason="Started in error")
    with pytest.raises(DomainError) as refused:
        add_goal(plan=plan, data=_housing(), by=alice_rn)
    assert refused.value.code == "plan-closed"
    with pytest.raises(DomainError):
        set_plan_status(plan=plan, status=CarePlanStatus.ACTIVE, by=alice_rn)
