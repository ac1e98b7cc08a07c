"""Reads over questionnaires and responses with no permission check: for actions, flags and ``access.py``.

- ``questionnaires_for(organization_id)``: built-ins and the organization's own;
- ``find_questionnaire(canonical, organization_id)``: the definition a canonical url (``url|version``) names;
- ``responses_of(patient_id)``, ``finished_responses(...)``;
- the chart: ``screening_summary`` (latest score per instrument), ``score_history`` (one instrument over time),
  ``screenings_due`` (rescreening rules of ``flags.policy()``), ``active_safety_flags`` (the safety banner).
"""

from __future__ import annotations

import datetime
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from carecoord.assessments.flags import policy
from carecoord.assessments.models import (
    FINISHED_STATUSES,
    PublicationStatus,
    QuestionnaireDefinition,
    QuestionnaireResponse,
    SafetyFlag,
)
from carecoord.patients.models import Patient
from carecoord.programs.models import Enrollment, EnrollmentStatus
from carecoord.tasks.models import Task, TaskStatus

PatientKey = Patient | uuid.UUID | str  # a person, or their id


def _pk(patient: PatientKey) -> uuid.UUID | str:
    return patient.pk if isinstance(patient, Patient) else patient


def questionnaires_for(organization_id: uuid.UUID | None) -> QuerySet[QuestionnaireDefinition]:
    """Built-in questionnaires and those ``organization_id`` made."""
    return QuestionnaireDefinition.objects.filter(Q(builtin=True) | Q(organization_id=organization_id))


def find_questionnaire(canonical: str, organization_id: uuid.UUID | None) -> QuestionnaireDefinition | None:
    """The questionnaire a canonical names (``url`` or ``url|version``; without a version, the active one or the
    latest), among built-ins and the organization's own."""
    url, _, version = canonical.partition("|")
    rows = questionnaires_for(organization_id).filter(url=url)
    if version:
        return rows.filter(version=version).first()
    newest = rows.order_by("-created_at")
    return newest.exclude(status=PublicationStatus.RETIRED).first() or newest.first()


def responses_of(patient_id: PatientKey) -> QuerySet[QuestionnaireResponse]:
    """The person's responses, newest first."""
    return (
        QuestionnaireResponse.objects.filter(patient_id=_pk(patient_id))
        .select_related("questionnaire", "author")
        .order_by("-authored", "-pk")
    )


def finished_responses(patient_id: PatientKey, instrument_url: str | None = None) -> QuerySet[QuestionnaireResponse]:
    """The person's completed or amended responses (to one instrument), newest first."""
    rows = responses_of(patient_id).filter(status__in=FINISHED_STATUSES)
    return rows.filter(questionnaire__url=instrument_url) if instrument_url else rows


@dataclass(frozen=True)
class LatestScore:
    """The latest finished response to one instrument, for the chart's screening panel."""

    instrument_url: str
    title: str
    response_id: uuid.UUID
    authored: datetime.datetime
    total: int | None
    band_code: str
    band_label: str
    positive: bool | None
    flags: tuple[str, ...]
    domains: tuple[str, ...]  # positive social-needs domains


def screening_summary(patient_id: PatientKey) -> list[LatestScore]:
    """The latest finished response per instrument, most recent first."""
    latest: dict[str, LatestScore] = {}
    for response in finished_responses(patient_id):
        url = response.questionnaire.url
        if url in latest:
            continue
        latest[url] = LatestScore(
            instrument_url=url,
            title=response.questionnaire.title,
            response_id=response.pk,
            authored=response.authored,
            total=response.total,
            band_code=response.band_code,
            band_label=response.band_label,
            positive=response.positive,
            flags=tuple(response.flags),
            domains=tuple(dict.fromkeys(f["domain"] for f in response.findings)),
        )
    return list(latest.values())


@dataclass(frozen=True)
class ScorePoint:
    """One point of a score-history chart."""

    authored: datetime.datetime
    total: int
    band_code: str
    band_label: str
    response_id: uuid.UUID


def score_history(patient_id: PatientKey, instrument_url: str) -> list[ScorePoint]:
    """The totals of the person's finished responses to one instrument, oldest first (no point without a total)."""
    rows = finished_responses(patient_id, instrument_url).filter(total__isnull=False).order_by("authored", "pk")
    return [ScorePoint(r.authored, r.total, r.band_code, r.band_label, r.pk) for r in rows if r.total is not None]


@dataclass(frozen=True)
class ScreeningDue:
    """When an instrument is next due for the person under a rescreening rule."""

    instrument_url: str
    title: str
    last_done: datetime.datetime | None
    due_on: datetime.date
    overdue: bool
    interval_days: int


def screenings_due(patient_id: PatientKey, *, today: datetime.date | None = None) -> list[ScreeningDue]:
    """Rescreening for each rule that applies (the person is enrolled in a program it covers), soonest first.

    Never screened: due from the start of the earliest enrollment the rule covers.
    """
    key = uuid.UUID(str(_pk(patient_id)))
    return screenings_due_for([key], today=today)[key]


def screenings_due_for(
    patient_ids: Iterable[uuid.UUID], *, today: datetime.date | None = None, by_range: bool = False
) -> dict[uuid.UUID, list[ScreeningDue]]:
    """``screenings_due`` for many people at once (a caseload): three statements whatever their number.

    ``by_range``: read everyone between the smallest and the largest id and keep the asked ones (two parameters
    instead of one per person; for a run of neighbouring ids, such as the rules job's slices of everyone
    enrolled, where binding thousands of ids costs more than the statement)."""
    day = today or timezone.localdate()
    ids = list(dict.fromkeys(patient_ids))
    due: dict[uuid.UUID, list[ScreeningDue]] = {key: [] for key in ids}
    rules = policy().rescreening
    if not ids or not rules:
        return due
    people = Q(patient_id__gte=min(ids), patient_id__lte=max(ids)) if by_range else Q(patient_id__in=ids)
    starts: dict[uuid.UUID, list[tuple[str, datetime.date]]] = defaultdict(list)
    for key, program, start in Enrollment.objects.filter(people, status=EnrollmentStatus.ACTIVE).values_list(
        "patient_id", "program_id", "start_date"
    ):
        starts[key].append((program, start))
    urls = [rule.instrument_url for rule in rules]
    latest: dict[tuple[uuid.UUID, str], datetime.datetime] = {}
    for key, url, authored in (
        QuestionnaireResponse.objects.filter(people, status__in=FINISHED_STATUSES, questionnaire__url__in=urls)
        .values_list("patient_id", "questionnaire__url", "authored")
        .order_by("authored", "pk")
    ):
        latest[(key, url)] = authored  # the newest wins
    titles = dict(QuestionnaireDefinition.objects.filter(url__in=urls, builtin=True).values_list("url", "title"))
    for key in ids:
        for rule in rules:
            covered = [start for program, start in starts[key] if rule.programs is None or program in rule.programs]
            if not covered:
                continue
            last = latest.get((key, rule.instrument_url))
            if last is not None:
                due_on = timezone.localtime(last).date() + datetime.timedelta(days=rule.interval_days)
            else:
                due_on = min(covered)
            due[key].append(
                ScreeningDue(
                    instrument_url=rule.instrument_url,
                    title=titles.get(rule.instrument_url, rule.instrument_url),
                    last_done=last,
                    due_on=due_on,
                    overdue=due_on < day,
                    interval_days=rule.interval_days,
                )
            )
        due[key].sort(key=lambda d: d.due_on)
    return due


def active_safety_flags(patient_id: PatientKey) -> list[SafetyFlag]:
    """The person's safety flags still in force (the chart's banner), newest first: not resolved by a licensed
    user, and their safety task not completed."""
    flags = list(
        SafetyFlag.objects.filter(patient_id=_pk(patient_id), resolved_at__isnull=True).select_related("response")
    )
    waiting = {flag.task_id for flag in flags if flag.task_id is not None}
    if waiting:
        done = set(Task.objects.filter(pk__in=waiting, status=TaskStatus.COMPLETED).values_list("pk", flat=True))
        flags = [flag for flag in flags if flag.task_id not in done]
    return flags
