"""Writes of questionnaires and responses: drafts, completion with scoring, amendment, retraction, custom forms.

Every response write passes two gates (audited when refused): the role's capability for the instrument
(``capability_for``: behavioral screens need ``BEHAVIORAL_SCREENING``, social needs screens
``SOCIAL_SCREENING``, the comprehensive assessment and custom forms ``COMPREHENSIVE_ASSESSMENT`` unless their
definition says otherwise) and the person's access rule (``patients.access.access_patient``). Answers are
checked by the engine (``engine.validate_response``, errors keyed by linkId) and scored by the instrument's
scorer with the person's sex from their record.

Completing a response stores the score, makes its Observations through ``clinical.actions.record_observations``
(the total with ``valueInteger``; one per positive social-needs answer with categories survey + sdoh + the
domain and interpretation POS, never NEG; ``derivedFrom`` the response) and runs ``flags.evaluate_flags``, all
in one transaction. Every save keeps a ``QuestionnaireResponseVersion``.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from carecoord.accounts.models import User
from carecoord.accounts.permissions import Capability, can, has_current_license
from carecoord.assessments import instruments
from carecoord.assessments.engine import NormalizedResponse, Questionnaire, parse_questionnaire, validate_response
from carecoord.assessments.flags import evaluate_flags
from carecoord.assessments.models import (
    FINISHED_STATUSES,
    PublicationStatus,
    QuestionnaireDefinition,
    QuestionnaireResponse,
    QuestionnaireResponseVersion,
    ResponseSource,
    ResponseStatus,
    SafetyFlag,
)
from carecoord.assessments.scoring import INTERPERSONAL_SAFETY_DOMAIN, Score, ScoringContext, score_response
from carecoord.audit.actions import record
from carecoord.audit.models import AuditAction, AuditOutcome
from carecoord.clinical.actions import Coding, ObservationData, ObservationValue, mark_entered_in_error
from carecoord.clinical.actions import record_observations as record_clinical_observations
from carecoord.clinical.models import LOINC, Observation, ObservationStatus, RecordSource
from carecoord.common.errors import AccessDenied, Conflict, DomainError, NotFound, ValidationFailed
from carecoord.patients.access import access_patient
from carecoord.patients.models import Patient

BEHAVIORAL_INSTRUMENTS = frozenset(
    {
        instruments.PHQ2_URL,
        instruments.PHQ9_URL,
        instruments.GAD2_URL,
        instruments.GAD7_URL,
        instruments.AUDIT_C_URL,
        instruments.DAST10_URL,
    }
)
SOCIAL_INSTRUMENTS = frozenset(
    {
        instruments.HUNGER_VITAL_SIGN_URL,
        instruments.AHC_HRSN_CORE_URL,
        instruments.AHC_HRSN_SUPPLEMENTAL_URL,
        instruments.NY_HRSN_12_URL,
        instruments.PRAPARE_URL,
    }
)
# The capabilities a questionnaire may ask of the user filling it in.
FILL_CAPABILITIES = frozenset(
    {Capability.BEHAVIORAL_SCREENING, Capability.SOCIAL_SCREENING, Capability.COMPREHENSIVE_ASSESSMENT}
)
# [R] Where a screen decides no positive/negative itself, the bands treated as positive (clinically significant):
# PHQ-9 10 or more (sensitivity and specificity 88% for major depression); DAST-10 moderate or worse.
POSITIVE_BANDS: Mapping[str, frozenset[str]] = {
    instruments.PHQ9_URL: frozenset({"moderate", "moderately-severe", "severe"}),
    instruments.DAST10_URL: frozenset({"moderate", "substantial", "severe"}),
}
# The SDOH domain of a total that belongs to one (Hunger Vital Sign risk) and of a subscore (AHC safety score).
TOTAL_DOMAINS: Mapping[str, str] = {instruments.HUNGER_VITAL_SIGN_URL: "food-insecurity"}
SUBSCORE_DOMAINS: Mapping[str, str] = {"95614-4": INTERPERSONAL_SAFETY_DOMAIN.code}
POSITIVE = "POS"
SURVEY, SDOH = "survey", "sdoh"


def capability_for(url: str) -> Capability:
    """What a user needs to fill in the built-in instrument at ``url`` (custom forms: their definition's)."""
    if url in BEHAVIORAL_INSTRUMENTS:
        return Capability.BEHAVIORAL_SCREENING
    if url in SOCIAL_INSTRUMENTS:
        return Capability.SOCIAL_SCREENING
    return Capability.COMPREHENSIVE_ASSESSMENT


def is_positive(score: Score) -> bool | None:
    """The screen's own decision, else whether the band is one of ``POSITIVE_BANDS`` (None: no decision)."""
    if score.positive is not None:
        return score.positive
    bands = POSITIVE_BANDS.get(score.questionnaire_url)
    if bands is None or score.band is None:
        return None
    return score.band.code in bands


# --- built-in questionnaires ------------------------------------------------------------------------------------


def builtin_id(url: str, version: str) -> uuid.UUID:
    """The same id for a built-in on every installation (a name-based UUID of its canonical)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"{url}|{version}")


def install_builtin_questionnaires() -> int:
    """Create or bring up to date the built-in instruments (``instruments.builtin()``); returns how many changed."""
    changed = 0
    for questionnaire in instruments.builtin():
        assert questionnaire.url is not None
        version = questionnaire.version or ""
        values = _fields_from(questionnaire)
        values["capability"] = capability_for(questionnaire.url)
        existing = QuestionnaireDefinition.objects.filter(url=questionnaire.url, version=version).first()
        if existing is None:
            QuestionnaireDefinition.objects.create(
                id=builtin_id(questionnaire.url, version), builtin=True, organization=None, **values
            )
            changed += 1
        elif any(getattr(existing, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(existing, name, value)
            existing.revision += 1
            existing.updated_at = timezone.now()
            existing.save()
            changed += 1
    return changed


def install_after_migrate(*, using: str = "default", **_: Any) -> None:
    """post_migrate: install the built-in instruments once the table exists."""
    from django.db import connections

    if QuestionnaireDefinition._meta.db_table in connections[using].introspection.table_names():
        install_builtin_questionnaires()


def _fields_from(questionnaire: Questionnaire) -> dict[str, Any]:
    resource = {k: v for k, v in questionnaire.resource.items() if k not in ("id", "meta")}
    return {
        "url": questionnaire.url or "",
        "version": questionnaire.version or "",
        "code": questionnaire.codes[0].code if questionnaire.codes else "",
        "name": (questionnaire.name or "")[:100],
        "title": (questionnaire.title or questionnaire.name or questionnaire.url or "")[:300],
        "status": questionnaire.status,
        "resource": resource,
    }


def parsed(definition: QuestionnaireDefinition) -> Questionnaire:
    """The engine's reading of a stored questionnaire (built-ins from the shipped, cached files)."""
    if definition.builtin:
        shipped = instruments.by_url(definition.url)
        if shipped is not None and (shipped.version or "") == definition.version:
            return shipped
    return parse_questionnaire(definition.resource)


# --- custom questionnaires ---------------------------------------------------------------------------------------


def _may_manage(by: User, what: str, object_id: str = "") -> None:
    if not can(by, Capability.MANAGE_PROGRAMS):
        record(
            by=by,
            action=AuditAction.CREATE if not object_id else AuditAction.UPDATE,
            object_type="Questionnaire",
            object_id=object_id,
            outcome=AuditOutcome.DENIED,
            detail={"basis": "role"},
        )
        raise AccessDenied(f"Only an organization administrator may {what}.")


def _check_custom(questionnaire: Questionnaire, capability: str) -> None:
    errors: dict[str, list[str]] = {}
    if not questionnaire.url:
        errors["url"] = ["A questionnaire needs a canonical url."]
    elif instruments.by_url(questionnaire.url) is not None:
        errors["url"] = [f"{questionnaire.url} is a built-in instrument's url; give your questionnaire its own."]
    if not (questionnaire.title or questionnaire.name):
        errors["title"] = ["Give the questionnaire a title."]
    if questionnaire.status == PublicationStatus.RETIRED:
        errors["status"] = ["A new questionnaire cannot be retired."]
    if capability not in FILL_CAPABILITIES:
        errors["capability"] = ["Say who may fill it in: behavioral, social or comprehensive assessment."]
    if errors:
        raise ValidationFailed("The questionnaire cannot be saved.", errors=errors)


def create_questionnaire(
    *, resource: Mapping[str, Any], by: User, capability: str = Capability.COMPREHENSIVE_ASSESSMENT
) -> QuestionnaireDefinition:
    """An organization's own questionnaire from FHIR Questionnaire JSON (uploaded or built in the UI)."""
    _may_manage(by, "create questionnaires")
    questionnaire = parse_questionnaire(resource)
    _check_custom(questionnaire, capability)
    values = _fields_from(questionnaire)
    if QuestionnaireDefinition.objects.filter(url=values["url"], version=values["version"]).exists():
        raise Conflict(
            f"A questionnaire {values['url']} version {values['version'] or '(none)'} exists; give a new version.",
            code="duplicate-questionnaire",
            field="url",
        )
    with transaction.atomic():
        definition = QuestionnaireDefinition.objects.create(
            organization_id=by.organization_id, builtin=False, capability=capability, created_by=by, **values
        )
        _audit_definition(by, AuditAction.CREATE, definition)
    return definition


def _own(definition: QuestionnaireDefinition, by: User) -> None:
    if definition.builtin:
        raise DomainError("Built-in instruments cannot be changed.", code="builtin-read-only")
    if definition.organization_id != by.organization_id:
        raise NotFound(f"No questionnaire with id {definition.pk}.")


def update_questionnaire(
    *, definition: QuestionnaireDefinition, resource: Mapping[str, Any], by: User
) -> QuestionnaireDefinition:
    """Change an own questionnaire. A new ``version`` makes a new definition (the old one stays for its
    responses); the same version is changed in place only while nobody has answered it."""
    _may_manage(by, "change questionnaires", str(definition.pk))
    _own(definition, by)
    questionnaire = parse_questionnaire(resource)
    _check_custom(questionnaire, definition.capability)
    values = _fields_from(questionnaire)
    if values["url"] != definition.url:
        raise ValidationFailed("A questionnaire's url cannot change; create a new one.", field="url")
    if values["version"] != definition.version:
        return create_questionnaire(resource=resource, by=by, capability=definition.capability)
    if definition.responses.exists():
        raise Conflict(
            "People have answered this version; publish the change as a new version.",
            code="questionnaire-in-use",
            field="version",
        )
    with transaction.atomic():
        for name, value in values.items():
            setattr(definition, name, value)
        definition.revision += 1
        definition.updated_at = timezone.now()
        definition.save()
        _audit_definition(by, AuditAction.UPDATE, definition)
    return definition


def retire_questionnaire(*, definition: QuestionnaireDefinition, by: User) -> QuestionnaireDefinition:
    """No new responses to an own questionnaire; those given stay (and may still be amended)."""
    _may_manage(by, "retire questionnaires", str(definition.pk))
    _own(definition, by)
    with transaction.atomic():
        definition.status = PublicationStatus.RETIRED
        definition.resource = {**definition.resource, "status": PublicationStatus.RETIRED}
        definition.revision += 1
        definition.updated_at = timezone.now()
        definition.save()
        _audit_definition(by, AuditAction.UPDATE, definition)
    return definition


def _audit_definition(by: User, action: str, definition: QuestionnaireDefinition) -> None:
    record(
        by=by,
        action=action,
        object_type="Questionnaire",
        object_id=str(definition.pk),
        detail={"url": definition.url, "version": definition.version, "status": definition.status},
    )


# --- responses ---------------------------------------------------------------------------------------------------


def _may_fill(
    by: User, definition: QuestionnaireDefinition, patient: Patient, *, action: str, object_id: str = ""
) -> None:
    """Refuse a user whose role may not give this questionnaire, or who may not see the person (audited)."""
    usable = definition.builtin or definition.organization_id == by.organization_id
    if not usable or not can(by, Capability(definition.capability)):
        record(
            by=by,
            action=action,
            object_type="QuestionnaireResponse",
            object_id=object_id,
            patient=patient,
            outcome=AuditOutcome.DENIED,
            detail={"basis": "role" if usable else "questionnaire", "questionnaire": definition.url},
        )
        if not usable:
            raise NotFound(f"No questionnaire {definition.url} is available to your organization.")
        raise AccessDenied(f"Your role may not give the {definition.title}.")
    access_patient(by, patient.pk, action=action, object_type="QuestionnaireResponse", object_id=object_id)


def _validate(definition: QuestionnaireDefinition, resource: Mapping[str, Any], status: str) -> NormalizedResponse:
    if not isinstance(resource, Mapping):
        raise ValidationFailed("The answers must be a QuestionnaireResponse object.", field="response")
    return validate_response(
        parsed(definition), {**resource, "resourceType": "QuestionnaireResponse", "status": status}
    )


def _authored(authored: datetime.datetime | None) -> datetime.datetime:
    if authored is None:
        return timezone.now()
    if timezone.is_naive(authored):
        raise ValidationFailed("Give the time the answers were given with its time zone.", field="authored")
    if authored > timezone.now() + datetime.timedelta(minutes=5):
        raise ValidationFailed("Answers cannot be given in the future.", field="authored")
    return authored


def _snapshot(response: QuestionnaireResponse) -> dict[str, Any]:
    return {
        "status": response.status,
        "authored": response.authored.isoformat(),
        "questionnaire": response.questionnaire.canonical,
        "items": response.items,
        "total": response.total,
        "band_code": response.band_code,
        "band_label": response.band_label,
        "positive": response.positive,
        "incomplete_reason": response.incomplete_reason,
        "flags": response.flags,
        "findings": response.findings,
    }


def _keep_version(response: QuestionnaireResponse, by: User, reason: str) -> None:
    QuestionnaireResponseVersion.objects.create(
        response=response,
        version=response.version,
        status=response.status,
        snapshot=_snapshot(response),
        recorded_by=by,
        recorded_at=response.updated_at,
        reason=reason,
    )


def _audit(by: User, action: str, response: QuestionnaireResponse, **detail: object) -> None:
    record(
        by=by,
        action=action,
        object_type="QuestionnaireResponse",
        object_id=str(response.pk),
        patient=response.patient,
        detail={
            "questionnaire": response.questionnaire.canonical,
            "status": response.status,
            "version": response.version,
            **detail,
        },
    )


def _set_score(response: QuestionnaireResponse, score: Score | None) -> None:
    response.total = score.total if score else None
    response.band_code = score.band.code if score and score.band else ""
    response.band_label = score.band.label if score and score.band else ""
    response.positive = is_positive(score) if score else None
    response.incomplete_reason = (score.incomplete_reason or "") if score else ""
    response.flags = list(score.flags) if score else []
    response.findings = [
        {
            "link_id": f.link_id,
            "answer": f.answer.code if f.answer else None,
            "domain": f.domain.code,
            "domain_system": f.domain.system,
            "domain_display": f.domain.display or f.domain.code,
            "explanation": f.explanation,
        }
        for f in (score.findings if score else ())
    ]
    response.explanation = score.explanation if score else ""


def _score(definition: QuestionnaireDefinition, normalized: NormalizedResponse, patient: Patient) -> Score | None:
    return score_response(definition.url, normalized, ScoringContext(sex=patient.sex))


def _new(
    patient: Patient, definition: QuestionnaireDefinition, by: User, authored: datetime.datetime, source: str
) -> QuestionnaireResponse:
    return QuestionnaireResponse(
        patient=patient,
        questionnaire=definition,
        author=by,
        organization_id=by.organization_id,
        source=source,
        authored=authored,
        version=0,
    )


def _check_start(
    response: QuestionnaireResponse | None, patient: Patient, definition: QuestionnaireDefinition, source: str
) -> None:
    """A new response needs a questionnaire that is not retired; a continued one must be this draft."""
    if source not in ResponseSource.values:
        raise ValidationFailed(f"Unknown source {source!r}.", field="source")
    if response is None:
        if definition.status == PublicationStatus.RETIRED:
            raise DomainError(
                f"{definition.title} is retired: it takes no new responses.", code="questionnaire-retired"
            )
        return
    if response.patient_id != patient.pk or response.questionnaire_id != definition.pk:
        raise ValidationFailed("That draft is another person's or another questionnaire's.", field="response")
    if response.status != ResponseStatus.IN_PROGRESS:
        raise DomainError(
            f"The response is {response.get_status_display().lower()}, not a draft.", code="response-not-draft"
        )


def _save(response: QuestionnaireResponse, by: User, reason: str) -> None:
    response.version += 1
    response.updated_at = timezone.now()
    response.save()
    _keep_version(response, by, reason)


def save_response_draft(
    *,
    patient: Patient,
    questionnaire: QuestionnaireDefinition,
    resource: Mapping[str, Any],
    by: User,
    response: QuestionnaireResponse | None = None,
    authored: datetime.datetime | None = None,
    source: str = ResponseSource.WEB,
) -> QuestionnaireResponse:
    """Save answers so far (in-progress): any subset, each answer checked. ``response`` continues a draft."""
    action = AuditAction.UPDATE if response is not None else AuditAction.CREATE
    _may_fill(by, questionnaire, patient, action=action, object_id=str(response.pk) if response else "")
    _check_start(response, patient, questionnaire, source)
    normalized = _validate(questionnaire, resource, ResponseStatus.IN_PROGRESS)
    when = _authored(authored)
    with transaction.atomic():
        draft = response or _new(patient, questionnaire, by, when, source)
        draft.status = ResponseStatus.IN_PROGRESS
        draft.items = normalized.to_fhir_items(parsed(questionnaire))
        draft.authored = when
        _set_score(draft, None)
        _save(draft, by, "draft saved")
        _audit(by, action, draft, dropped=list(normalized.dropped))
    return draft


def complete_response(
    *,
    patient: Patient,
    questionnaire: QuestionnaireDefinition,
    resource: Mapping[str, Any],
    by: User,
    response: QuestionnaireResponse | None = None,
    authored: datetime.datetime | None = None,
    source: str = ResponseSource.WEB,
) -> QuestionnaireResponse:
    """Finish a response (a new one, or the draft ``response``): every enabled required item must be answered.

    Scored, its Observations recorded and its flags acted on, in one transaction.
    """
    action = AuditAction.UPDATE if response is not None else AuditAction.CREATE
    _may_fill(by, questionnaire, patient, action=action, object_id=str(response.pk) if response else "")
    _check_start(response, patient, questionnaire, source)
    normalized = _validate(questionnaire, resource, ResponseStatus.COMPLETED)
    score = _score(questionnaire, normalized, patient)
    when = _authored(authored)
    with transaction.atomic():
        done = response or _new(patient, questionnaire, by, when, source)
        done.status = ResponseStatus.COMPLETED
        done.items = normalized.to_fhir_items(parsed(questionnaire))
        done.authored = when
        _set_score(done, score)
        _save(done, by, "completed")
        _audit(by, action, done, total=done.total, flags=done.flags)
        _record_observations(done, score, by)
        evaluate_flags(response=done, score=score, by=by)
    return done


def amend_response(
    *, response: QuestionnaireResponse, resource: Mapping[str, Any], by: User, reason: str
) -> QuestionnaireResponse:
    """Correct a finished response: a new version (amended), rescored; the Observations derived from it are
    marked entered-in-error and made again from the new answers; flags are evaluated again (an open task with
    the same reason is not duplicated)."""
    definition = response.questionnaire
    _may_fill(by, definition, response.patient, action=AuditAction.UPDATE, object_id=str(response.pk))
    if response.status not in FINISHED_STATUSES:
        raise DomainError("Only a completed response can be amended; save the draft instead.", code="not-finished")
    if not reason.strip():
        raise ValidationFailed("Say why the answers change.", field="reason")
    normalized = _validate(definition, resource, ResponseStatus.AMENDED)
    score = _score(definition, normalized, response.patient)
    with transaction.atomic():
        before = {"total": response.total, "band": response.band_code, "flags": response.flags}
        response.status = ResponseStatus.AMENDED
        response.items = normalized.to_fhir_items(parsed(definition))
        _set_score(response, score)
        _save(response, by, reason.strip())
        _audit(by, AuditAction.UPDATE, response, before=before, total=response.total, reason=reason.strip())
        _retract_observations(response, by, f"replaced: {response.reference} amended (version {response.version})")
        _record_observations(response, score, by)
        evaluate_flags(response=response, score=score, by=by)
    return response


def enter_in_error(*, response: QuestionnaireResponse, by: User, reason: str) -> QuestionnaireResponse:
    """The response should never have been recorded (wrong person, wrong form): it stays, marked; its
    Observations are marked too and its safety flags resolved."""
    _may_fill(by, response.questionnaire, response.patient, action=AuditAction.UPDATE, object_id=str(response.pk))
    if response.status == ResponseStatus.ENTERED_IN_ERROR:
        raise DomainError("The response is already marked entered in error.", code="already-entered-in-error")
    if not reason.strip():
        raise ValidationFailed("Say why the response was entered in error.", field="reason")
    with transaction.atomic():
        response.status = ResponseStatus.ENTERED_IN_ERROR
        _save(response, by, reason.strip())
        _audit(by, AuditAction.UPDATE, response, reason=reason.strip())
        _retract_observations(response, by, f"{response.reference} entered in error: {reason.strip()}")
        SafetyFlag.objects.filter(response=response, resolved_at__isnull=True).update(
            resolved_at=timezone.now(), resolved_by=by, resolution=f"Response entered in error: {reason.strip()}"
        )
    return response


def resolve_safety_flag(*, flag: SafetyFlag, by: User, resolution: str) -> SafetyFlag:
    """A licensed user closes the safety banner (the person was reached and is safe, or care was arranged)."""
    if not has_current_license(by):
        record(
            by=by,
            action=AuditAction.UPDATE,
            object_type="SafetyFlag",
            object_id=str(flag.pk),
            patient=flag.patient_id,
            outcome=AuditOutcome.DENIED,
            detail={"basis": "license"},
        )
        raise AccessDenied("Only a user with a current license may resolve a safety flag.")
    access_patient(by, flag.patient_id, action=AuditAction.UPDATE, object_type="SafetyFlag", object_id=str(flag.pk))
    if flag.resolved_at is not None:
        raise DomainError("The safety flag is already resolved.", code="already-resolved")
    if not resolution.strip():
        raise ValidationFailed("Say how the safety concern was resolved.", field="resolution")
    with transaction.atomic():
        flag.resolved_at = timezone.now()
        flag.resolved_by = by
        flag.resolution = resolution.strip()
        flag.save(update_fields=["resolved_at", "resolved_by", "resolution"])
        record(
            by=by,
            action=AuditAction.UPDATE,
            object_type="SafetyFlag",
            object_id=str(flag.pk),
            patient=flag.patient_id,
            detail={"resolved": True},
        )
    return flag


# --- observations ------------------------------------------------------------------------------------------------


def observations_for(response: QuestionnaireResponse, score: Score | None) -> list[ObservationData]:
    """The Observations a finished response's score makes (none without a scorer)."""
    if score is None:
        return []
    url = score.questionnaire_url
    social = url in SOCIAL_INSTRUMENTS
    common: dict[str, Any] = {
        "code_system": LOINC,
        "effective_at": response.authored,
        "derived_from": response.reference,
        "source": RecordSource.ASSESSMENT,
    }
    out: list[ObservationData] = []
    total_categories = [SURVEY] + ([SDOH, *filter(None, [TOTAL_DOMAINS.get(url)])] if social else [])
    positive = is_positive(score)
    total_value: ObservationValue = None
    if score.total is not None:
        total_value = score.total
    elif score.incomplete_reason is None and score.band is not None and score.band.code.startswith("LA"):
        total_value = Coding(LOINC, score.band.code, score.band.label)  # Hunger Vital Sign: at risk / no risk
    if score.total_code and total_value is not None:
        out.append(
            ObservationData(
                code=score.total_code,
                display=f"{response.questionnaire.title}: total score"
                if score.total is not None
                else f"{response.questionnaire.title}: result",
                value=total_value,
                categories=total_categories,
                interpretation=[POSITIVE] if positive else [],
                note=score.explanation,
                **common,
            )
        )
    emitted: set[str] = set()
    for subscore in score.subscores:
        if not subscore.code or subscore.value is None:
            continue
        domain = SUBSCORE_DOMAINS.get(subscore.code)
        emitted.add(subscore.code)
        out.append(
            ObservationData(
                code=subscore.code,
                display=f"{response.questionnaire.title}: {subscore.name.replace('-', ' ')} score",
                value=subscore.value,
                categories=[SURVEY] + ([SDOH, domain] if social and domain else []),
                interpretation=[POSITIVE] if subscore.positive else [],
                **common,
            )
        )
    for finding in score.findings:
        if finding.link_id in emitted or finding.answer is None:
            continue  # scores are above; a finding computed from several answers has no single answer to show
        answer = finding.answer
        out.append(
            ObservationData(
                code=finding.link_id,
                display=_item_text(response, finding.link_id),
                value=Coding(answer.system or LOINC, answer.code, answer.display or ""),
                categories=[SURVEY, SDOH, finding.domain.code],
                interpretation=[POSITIVE],
                note=finding.explanation,
                **common,
            )
        )
    return out


def _item_text(response: QuestionnaireResponse, link_id: str) -> str:
    try:
        return (parsed(response.questionnaire).item(link_id).text or "")[:300]
    except KeyError:
        return ""


def _record_observations(response: QuestionnaireResponse, score: Score | None, by: User) -> list[Observation]:
    return record_clinical_observations(patient=response.patient, observations=observations_for(response, score), by=by)


def _retract_observations(response: QuestionnaireResponse, by: User, reason: str) -> None:
    rows = Observation.objects.filter(patient_id=response.patient_id, derived_from=response.reference).exclude(
        status=ObservationStatus.ENTERED_IN_ERROR
    )
    for observation in rows.select_related("patient"):
        mark_entered_in_error(observation=observation, by=by, reason=reason)
