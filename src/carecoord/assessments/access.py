"""Permission-checked reads of questionnaires, responses and the chart's screening panel.

Responses are a person's record: every function reaches them through ``patients.access.access_patient`` (the
one door, which audits the decision and what was asked for); a response asked for by an id that does not
exist is audited as failed. Questionnaire definitions are not about a person: any signed-in user of the
network sees the built-ins and their own organization's, unaudited.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field

from carecoord.accounts.models import User
from carecoord.assessments import instruments
from carecoord.assessments.models import QuestionnaireDefinition, QuestionnaireResponse, SafetyFlag
from carecoord.assessments.queries import (
    LatestScore,
    ScorePoint,
    ScreeningDue,
    active_safety_flags,
    questionnaires_for,
    responses_of,
    score_history,
    screening_summary,
    screenings_due,
)
from carecoord.audit.actions import not_found
from carecoord.audit.models import AuditAction
from carecoord.common.errors import NotFound
from carecoord.patients.access import access_patient
from carecoord.patients.models import Patient

# The instruments whose history the chart draws.
CHARTED_INSTRUMENTS = (instruments.PHQ9_URL, instruments.GAD7_URL)


def _key(value: object) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        return None


def access_response(user: User, response_id: object, *, action: str = AuditAction.READ) -> QuestionnaireResponse:
    """One response, once the user has been through the access check for its person (``action`` says what
    for: a read, or an update the caller is about to make)."""
    key = _key(response_id)
    patient_id = (
        QuestionnaireResponse.objects.filter(pk=key).values_list("patient_id", flat=True).first() if key else None
    )
    if key is None or patient_id is None:
        raise not_found(
            by=user,
            object_type="QuestionnaireResponse",
            object_id=response_id,
            message=f"No QuestionnaireResponse with id {response_id}.",
        )
    access_patient(user, patient_id, action=action, object_type="QuestionnaireResponse", object_id=str(key))
    return QuestionnaireResponse.objects.select_related("questionnaire", "author", "patient").get(pk=key)


def access_responses(
    user: User,
    patient_id: object,
    *,
    questionnaire_url: str = "",
    status: str = "",
    authored_from: datetime.datetime | None = None,
    authored_to: datetime.datetime | None = None,
    limit: int = 200,
) -> list[QuestionnaireResponse]:
    """The person's responses, newest first, by instrument (canonical url), status and authored in [from, to]."""
    criteria = {
        "questionnaire": questionnaire_url,
        "status": status,
        "from": authored_from.isoformat() if authored_from else "",
        "to": authored_to.isoformat() if authored_to else "",
    }
    patient = access_patient(
        user,
        patient_id,
        action=AuditAction.SEARCH,
        object_type="QuestionnaireResponse",
        detail={name: value for name, value in criteria.items() if value},
    )
    rows = responses_of(patient.pk)
    if questionnaire_url:
        rows = rows.filter(questionnaire__url=questionnaire_url.split("|")[0])
    if status:
        rows = rows.filter(status=status)
    if authored_from is not None:
        rows = rows.filter(authored__gte=authored_from)
    if authored_to is not None:
        rows = rows.filter(authored__lte=authored_to)
    return list(rows[:limit])


@dataclass(frozen=True)
class ScreeningPanel:
    """What the chart shows about screening: the latest score per instrument, what is due, the safety banner,
    and the score history of PHQ-9 and GAD-7 (by instrument url)."""

    patient: Patient
    latest: list[LatestScore]
    due: list[ScreeningDue]
    safety_flags: list[SafetyFlag]
    history: dict[str, list[ScorePoint]] = field(default_factory=dict)


def access_screening_summary(user: User, patient_id: object) -> ScreeningPanel:
    """The chart's screening panel for the person, after the access check (audited as a read)."""
    patient = access_patient(user, patient_id, object_type="QuestionnaireResponse", detail={"view": "screening"})
    return ScreeningPanel(
        patient=patient,
        latest=screening_summary(patient.pk),
        due=screenings_due(patient.pk),
        safety_flags=active_safety_flags(patient.pk),
        history={url: score_history(patient.pk, url) for url in CHARTED_INSTRUMENTS},
    )


def access_safety_flag(user: User, flag_id: object) -> SafetyFlag:
    """One safety flag, through its person's access check (for resolving it)."""
    key = _key(flag_id)
    flag = SafetyFlag.objects.filter(pk=key).first() if key else None
    if flag is None:
        raise not_found(
            by=user, object_type="SafetyFlag", object_id=flag_id, message=f"No SafetyFlag with id {flag_id}."
        )
    access_patient(user, flag.patient_id, object_type="SafetyFlag", object_id=str(flag.pk))
    return flag


def access_questionnaires(user: User) -> list[QuestionnaireDefinition]:
    """The questionnaires the user's organization may use: built-ins and its own."""
    return list(questionnaires_for(user.organization_id).order_by("-builtin", "title", "version"))


def access_questionnaire(user: User, questionnaire_id: object) -> QuestionnaireDefinition:
    """One questionnaire by id: a built-in, or one of the user's organization (any other is not found)."""
    key = _key(questionnaire_id)
    found = questionnaires_for(user.organization_id).filter(pk=key).first() if key else None
    if found is None:
        raise NotFound(f"No Questionnaire with id {questionnaire_id}.")
    return found
