"""Responses to the built-in instruments for tests: answer maps by linkId, and completing through the actions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.utils import timezone

from carecoord.assessments.actions import complete_response
from carecoord.assessments.models import QuestionnaireDefinition, QuestionnaireResponse
from carecoord.assessments.scoring.screens import DAST10_ITEMS, GAD7_ITEMS, PHQ9_ITEMS
from carecoord.assessments.scoring.sdoh import SAFETY_ITEMS
from carecoord.consents.actions import ConsentData, record_consent
from carecoord.programs.actions import enroll
from carecoord.programs.models import Enrollment, Program

from .test_responses import Answer, make_response

PHQ_SCALE = ("LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9")  # 0..3
AUDIT_SCALES = {
    "68518-0": ("LA6270-8", "LA18926-8", "LA18927-6", "LA18928-4", "LA18929-2"),
    "68519-8": ("LA15694-5", "LA15695-2", "LA18930-0", "LA18931-8", "LA18932-6"),
    "68520-6": ("LA6270-8", "LA18933-4", "LA18876-5", "LA18891-4", "LA18934-2"),
}
YES, NO = "LA33-6", "LA32-8"
NEVER = "LA6270-8"


def definition(url: str) -> QuestionnaireDefinition:
    return QuestionnaireDefinition.objects.get(url=url, builtin=True)


def phq9(points: Sequence[int]) -> dict[str, str]:
    """PHQ-9 answers with these points for items 1..9."""
    return {item: PHQ_SCALE[p] for item, p in zip(PHQ9_ITEMS, points, strict=True)}


def phq2(points: Sequence[int]) -> dict[str, str]:
    return {item: PHQ_SCALE[p] for item, p in zip(PHQ9_ITEMS[:2], points, strict=True)}


def gad7(points: Sequence[int]) -> dict[str, str]:
    return {item: PHQ_SCALE[p] for item, p in zip(GAD7_ITEMS, points, strict=True)}


def audit_c(points: Sequence[int]) -> dict[str, str]:
    return {item: AUDIT_SCALES[item][p] for item, p in zip(AUDIT_SCALES, points, strict=True)}


def dast10(yes_items: Sequence[int]) -> dict[str, str]:
    """DAST-10 answers: "Yes" to the items numbered in ``yes_items`` (item 3 scores on "No")."""
    return {item: YES if n in yes_items else NO for n, item in enumerate(DAST10_ITEMS, start=1)}


def hrsn_core(overrides: Mapping[str, Answer] | None = None) -> dict[str, Answer]:
    """AHC HRSN core answers with no need at all, changed by ``overrides`` (by linkId)."""
    answers: dict[str, Answer] = {
        "71802-3": "LA31993-1",
        "96778-6": ["LA9-3"],
        "88122-7": "LA28398-8",
        "88123-5": "LA28398-8",
        "93030-5": NO,
        "96779-4": NO,
        **{item: NEVER for item in SAFETY_ITEMS},
    }
    answers.update(overrides or {})
    return answers


def qr(url: str, answers: Mapping[str, Answer], *, status: str = "completed") -> dict[str, Any]:
    return make_response(url, answers, status=status)


def complete(patient: Any, by: Any, url: str, answers: Mapping[str, Answer], **kwargs: Any) -> QuestionnaireResponse:
    return complete_response(patient=patient, questionnaire=definition(url), resource=qr(url, answers), by=by, **kwargs)


def enroll_with(patient: Any, by: Any, *, care_manager: Any, program: str = "ny-hh-adult") -> Enrollment:
    """Consent (DOH-5055 listing the user's organization) and enrollment with ``care_manager``."""
    record_consent(
        patient=patient,
        data=ConsentData(form="DOH-5055", signed_on=timezone.localdate(), partners=[by.organization]),
        by=by,
    )
    return enroll(patient=patient, program=Program.objects.get(code=program), by=by, care_manager=care_manager)
