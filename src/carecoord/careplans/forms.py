"""Forms of the plan page: each parses into the data an action takes; domain errors come back as form errors.

Every form has a prefix so that several can sit on one page with unique field ids.
"""

from __future__ import annotations

from typing import Any

from django import forms

from carecoord.careplans.actions import GoalData, PlanDetails
from carecoord.careplans.models import (
    CarePlanProblem,
    Comparator,
    GoalAchievement,
    GoalLifecycle,
    InterventionStatus,
    Performer,
    ProblemSource,
    SignatureMethod,
    SignerKind,
)

# Measures care managers pick most; any other LOINC code can be typed.
COMMON_MEASURES: list[tuple[str, str, str]] = [
    ("4548-4", "Hemoglobin A1c", "%"),
    ("44261-6", "PHQ-9 total score", "{score}"),
    ("70274-6", "GAD-7 total score", "{score}"),
    ("8480-6", "Systolic blood pressure", "mm[Hg]"),
    ("8462-4", "Diastolic blood pressure", "mm[Hg]"),
    ("29463-7", "Body weight", "kg"),
    ("39156-5", "Body mass index", "kg/m2"),
]
_MEASURE_NAMES = {code: name for code, name, _ in COMMON_MEASURES}


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _textarea(rows: int = 2) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class StartForm(forms.Form):
    enrollment = forms.ChoiceField(label="For", required=False)

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["enrollment"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [*choices, ("", "Care outside a program")]


class DetailsForm(forms.Form):
    preferred_language = forms.CharField(
        label="Preferred language", required=False, max_length=16, help_text="A code: en, es, zh, ht…"
    )
    contact_preferences = forms.CharField(
        label="How and when to contact", required=False, widget=_textarea(), max_length=2000
    )
    what_matters = forms.CharField(
        label="What matters to the person", required=False, widget=_textarea(), max_length=2000
    )
    strengths = forms.CharField(label="Strengths", required=False, widget=_textarea(3), help_text="One per line")
    supports = forms.CharField(label="Supports", required=False, widget=_textarea(3), help_text="One per line")
    barriers = forms.CharField(label="Barriers", required=False, widget=_textarea(3), help_text="One per line")

    def details(self) -> PlanDetails:
        data = self.cleaned_data
        return PlanDetails(
            preferred_language=data["preferred_language"],
            contact_preferences=data["contact_preferences"],
            what_matters=data["what_matters"],
            strengths=_lines(data["strengths"]),
            supports=_lines(data["supports"]),
            barriers=_lines(data["barriers"]),
        )


class ProblemForm(forms.Form):
    text = forms.CharField(label="Need or problem", max_length=300)
    source = forms.ChoiceField(label="From", choices=ProblemSource.choices, initial=ProblemSource.TYPED)
    reference = forms.CharField(
        label="Reference",
        required=False,
        max_length=120,
        help_text="Condition/<id>, QuestionnaireResponse/<id>, or a social need such as food-insecurity",
    )


class GoalForm(forms.Form):
    description = forms.CharField(label="Goal", max_length=300, help_text="e.g. HbA1c below 8% by June")
    own_words = forms.CharField(
        label="In the person's words", required=False, widget=_textarea(), help_text="What they said they want"
    )
    measure_code = forms.CharField(
        label="Measure (LOINC)",
        required=False,
        max_length=16,
        widget=forms.TextInput(attrs={"list": "common-measures", "autocomplete": "off"}),
        help_text="e.g. 4548-4 HbA1c, 44261-6 PHQ-9: its latest value is shown",
    )
    measure_text = forms.CharField(
        label="Or what is measured", required=False, max_length=200, help_text="e.g. housed, days walked"
    )
    comparator = forms.ChoiceField(label="Target", required=False, choices=[("", "—"), *Comparator.choices])
    target_value = forms.DecimalField(label="Value", required=False, max_digits=12, decimal_places=3)
    target_unit = forms.CharField(label="Unit", required=False, max_length=32)
    due_date = forms.DateField(label="By", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    clinical = forms.BooleanField(label="Clinical goal (set by a licensed user)", required=False)
    problems = forms.MultipleChoiceField(
        label="For these problems", required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, problems: list[CarePlanProblem], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["problems"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(str(p.pk), p.text) for p in problems]

    def goal(self) -> GoalData:
        data = self.cleaned_data
        code = data["measure_code"].strip()
        return GoalData(
            description=data["description"],
            own_words=data["own_words"],
            clinical=data["clinical"],
            measure_code=code,
            measure_display=_MEASURE_NAMES.get(code, ""),
            measure_text=data["measure_text"],
            comparator=data["comparator"],
            target_value=data["target_value"],
            target_unit=data["target_unit"],
            due_date=data["due_date"],
            problem_ids=list(data["problems"]),
        )


class NewGoalForm(GoalForm):
    status = forms.ChoiceField(
        label="Status",
        choices=[
            (GoalLifecycle.PROPOSED, "Proposed"),
            (GoalLifecycle.ACCEPTED, "Agreed with the person"),
            (GoalLifecycle.ACTIVE, "Active: working on it"),
        ],
        initial=GoalLifecycle.PROPOSED,
    )


class GoalStatusForm(forms.Form):
    status = forms.ChoiceField(label="Move to", choices=GoalLifecycle.choices)
    achievement = forms.ChoiceField(
        label="How it is going", required=False, choices=[("", "—"), *GoalAchievement.choices]
    )
    reason = forms.CharField(label="Why", required=False, max_length=300)


class ProgressForm(forms.Form):
    text = forms.CharField(label="Progress note", widget=_textarea())
    achievement = forms.ChoiceField(
        label="How it is going",
        required=False,
        choices=[
            ("", "—"),
            (GoalAchievement.IN_PROGRESS, "In progress"),
            (GoalAchievement.IMPROVING, "Improving"),
            (GoalAchievement.WORSENING, "Getting worse"),
        ],
    )


class InterventionForm(forms.Form):
    description = forms.CharField(label="What", max_length=300)
    performer = forms.ChoiceField(
        label="Who",
        choices=[
            (Performer.CARE_MANAGER, "Care manager"),
            (Performer.PCP, "Primary care provider"),
            (Performer.CBO, "Community organization"),
            (Performer.PERSON, "The person"),
            (Performer.CAREGIVER, "Caregiver"),
            (Performer.OTHER, "Other"),
        ],
    )
    assignee = forms.ChoiceField(
        label="Named", required=False, help_text="A colleague gets it as a task; or a care team member"
    )
    performer_name = forms.CharField(label="Or name", required=False, max_length=200)
    goal = forms.ChoiceField(label="Toward goal", required=False)
    due_date = forms.DateField(label="By", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(
        self, *args: Any, assignees: list[tuple[str, str]], goals: list[tuple[str, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        assignee = self.fields["assignee"]
        goal = self.fields["goal"]
        assert isinstance(assignee, forms.ChoiceField) and isinstance(goal, forms.ChoiceField)
        assignee.choices = [("", "—"), *assignees]
        goal.choices = [("", "—"), *goals]


class InterventionUpdateForm(InterventionForm):
    status = forms.ChoiceField(
        label="Status",
        choices=[(s.value, s.label) for s in InterventionStatus if s != InterventionStatus.COMPLETED],
    )
    reason = forms.CharField(label="Why", required=False, max_length=300)


class SignForm(forms.Form):
    signer_kind = forms.ChoiceField(label="Signing as", choices=SignerKind.choices)
    method = forms.ChoiceField(
        label="How",
        required=False,
        choices=[
            (SignatureMethod.IN_PERSON, "In person: name typed as they sign"),
            (SignatureMethod.VERBAL, "Verbally, by phone or video (needs a witness)"),
        ],
        help_text="For the person or guardian; staff sign as themselves",
    )
    signer_name = forms.CharField(label="Name of the person signing", required=False, max_length=200)
    witness = forms.CharField(label="Witness", required=False, max_length=200)
    note = forms.CharField(label="Note", required=False, max_length=300)


class ReviewForm(forms.Form):
    note = forms.CharField(label="What the review found", required=False, max_length=250)


class ScheduleReviewForm(forms.Form):
    due = forms.DateField(label="Review by", required=False, widget=forms.DateInput(attrs={"type": "date"}))


class PlanStatusForm(forms.Form):
    status = forms.ChoiceField(label="Plan status")
    reason = forms.CharField(label="Why", required=False, max_length=300)

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["status"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "Choose…"), *choices]


class SignificantChangeForm(forms.Form):
    reason = forms.CharField(label="What changed", max_length=300, help_text="e.g. discharged from hospital")
