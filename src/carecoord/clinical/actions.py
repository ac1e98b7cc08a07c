"""Writes of clinical facts: conditions, encounters, procedures, observations.

Every write names its person and its user. A user's write passes two gates first: the role's capability for
that kind of record (``WRITE_CAPABILITY``) and the person's access rule (``patients.access.access_patient``,
which audits the decision); then the write itself is audited with the new row's id. ``by=None`` is a feed or a
job (the HL7 listener, an import): its edge has authenticated the sender, and its rows must name their
``source``. Bad input raises ``ValidationFailed`` naming the field.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from carecoord.accounts.models import Organization, User
from carecoord.accounts.permissions import Capability, can
from carecoord.audit.actions import record
from carecoord.audit.models import AuditAction, AuditOutcome
from carecoord.clinical.codes import CATEGORY_TOKEN, INTERPRETATION_CODES, looks_like
from carecoord.clinical.models import (
    ACTIVE_CLINICAL_STATUSES,
    LOINC,
    AdmitPriority,
    AdmitSource,
    Condition,
    ConditionCategory,
    ConditionClinicalStatus,
    ConditionCodeSystem,
    ConditionVerificationStatus,
    DischargeDisposition,
    Encounter,
    EncounterClass,
    EncounterStatus,
    Observation,
    ObservationCategory,
    ObservationStatus,
    Procedure,
    ProcedureCodeSystem,
    ProcedureStatus,
    RecordSource,
    ValueType,
)
from carecoord.common.errors import AccessDenied, Conflict, DomainError, ValidationFailed
from carecoord.patients.access import access_patient
from carecoord.patients.models import Patient

# The capability a user needs to record each kind of fact. Observations also accept the capability of any of
# their categories in OBSERVATION_CATEGORY_CAPABILITY (a coordinator records social-needs screening results).
WRITE_CAPABILITY: dict[str, Capability] = {
    "Condition": Capability.COMPREHENSIVE_ASSESSMENT,
    "Encounter": Capability.COMPREHENSIVE_ASSESSMENT,
    "Procedure": Capability.COMPREHENSIVE_ASSESSMENT,
    "Observation": Capability.COMPREHENSIVE_ASSESSMENT,
}
OBSERVATION_CATEGORY_CAPABILITY: dict[str, Capability] = {
    "sdoh": Capability.SOCIAL_SCREENING,
    "social-history": Capability.SOCIAL_SCREENING,
    "survey": Capability.BEHAVIORAL_SCREENING,
}

Errors = dict[str, list[str]]


def _fail(errors: Errors, path: str, message: str) -> None:
    errors.setdefault(path, []).append(message)


def _raise_if(errors: Errors, what: str) -> None:
    if errors:
        raise ValidationFailed(f"The {what} is not valid.", errors=errors)


def _may_write(
    by: User | None,
    patient: Patient,
    *,
    object_type: str,
    action: str,
    object_id: str = "",
    categories: Sequence[Sequence[str]] = (),
) -> None:
    """Refuse a user whose role may not record this kind of fact, or who may not see the person (audited).

    For observations, ``categories`` lists each one's category codes: every one must be allowed.
    """
    if by is None:
        return
    if object_type == "Observation" and categories:
        allowed = all(_may_record_observation(by, codes) for codes in categories)
    else:
        allowed = can(by, WRITE_CAPABILITY[object_type])
    if not allowed:
        record(
            by=by,
            action=action,
            object_type=object_type,
            object_id=object_id,
            patient=patient,
            outcome=AuditOutcome.DENIED,
            detail={"basis": "role"},
        )
        raise AccessDenied(f"Your role may not record a {object_type.lower()}.")
    access_patient(by, patient.pk, action=action, object_type=object_type, object_id=object_id)


def _may_record_observation(by: User, categories: Sequence[str]) -> bool:
    if can(by, WRITE_CAPABILITY["Observation"]):
        return True
    return any(
        can(by, OBSERVATION_CATEGORY_CAPABILITY[code]) for code in categories if code in OBSERVATION_CATEGORY_CAPABILITY
    )


def _audit(by: User | None, action: str, obj: Any, patient: Patient | object, **detail: object) -> None:
    record(
        by=by,
        action=action,
        object_type=type(obj).__name__,
        object_id=str(obj.pk),
        patient=patient if isinstance(patient, Patient) else obj.patient_id,
        detail=detail,
    )


def _check_source(errors: Errors, by: User | None, source: str) -> None:
    if source not in RecordSource.values:
        _fail(errors, "source", f"Unknown source {source!r}.")
    elif by is None and source == RecordSource.MANUAL:
        _fail(errors, "source", "A record without a user must name the feed it came from.")


def _check_encounter(errors: Errors, patient: Patient, encounter: Encounter | None) -> None:
    if encounter is not None and encounter.patient_id != patient.pk:
        _fail(errors, "encounter", "That encounter belongs to another person.")


def _organization(by: User | None) -> Organization | None:
    return by.organization if by is not None else None


# Conditions ---------------------------------------------------------------------------------------------------


@dataclass
class ConditionData:
    """A problem or diagnosis as entered or received."""

    code_system: str
    code: str
    display: str = ""
    clinical_status: str = ConditionClinicalStatus.ACTIVE
    verification_status: str = ConditionVerificationStatus.CONFIRMED
    category: str = ConditionCategory.PROBLEM_LIST_ITEM
    onset_date: datetime.date | None = None
    abatement_date: datetime.date | None = None
    recorded_date: datetime.date | None = None
    encounter: Encounter | None = None
    note: str = ""
    source: str = RecordSource.MANUAL


def _check_status_dates(
    errors: Errors,
    clinical_status: str,
    verification_status: str,
    onset: datetime.date | None,
    abatement: datetime.date | None,
) -> None:
    today = timezone.localdate()
    if clinical_status not in ConditionClinicalStatus.values:
        _fail(errors, "clinical_status", f"Unknown clinical status {clinical_status!r}.")
    if verification_status not in ConditionVerificationStatus.values:
        _fail(errors, "verification_status", f"Unknown verification status {verification_status!r}.")
    if onset is not None and onset > today:
        _fail(errors, "onset_date", "The onset cannot be in the future.")
    if abatement is not None and abatement > today:
        _fail(errors, "abatement_date", "The abatement cannot be in the future.")
    if onset is not None and abatement is not None and abatement < onset:
        _fail(errors, "abatement_date", "A condition cannot abate before its onset.")
    if abatement is not None and clinical_status in ACTIVE_CLINICAL_STATUSES:
        _fail(errors, "clinical_status", "A condition with an abatement date is inactive, in remission or resolved.")


def _validate_condition(patient: Patient, data: ConditionData, by: User | None) -> None:
    errors: Errors = {}
    if data.code_system not in ConditionCodeSystem.values:
        _fail(errors, "code_system", "Code conditions in ICD-10-CM or SNOMED CT.")
    elif not looks_like(data.code_system, data.code.strip().upper()):
        _fail(errors, "code", f"{data.code!r} is not a {ConditionCodeSystem(data.code_system).label} code.")
    _check_status_dates(errors, data.clinical_status, data.verification_status, data.onset_date, data.abatement_date)
    if data.category not in ConditionCategory.values:
        _fail(errors, "category", f"Unknown category {data.category!r}.")
    _check_encounter(errors, patient, data.encounter)
    _check_source(errors, by, data.source)
    _raise_if(errors, "condition")


def record_condition(*, patient: Patient, data: ConditionData, by: User | None) -> Condition:
    """Add a problem or diagnosis to the person's record."""
    _may_write(by, patient, object_type="Condition", action=AuditAction.CREATE)
    _validate_condition(patient, data, by)
    with transaction.atomic():
        condition = Condition.objects.create(
            patient=patient,
            organization=_organization(by),
            recorded_by=by,
            source=data.source,
            code_system=data.code_system,
            code=data.code.strip().upper(),
            display=data.display.strip(),
            clinical_status=data.clinical_status,
            verification_status=data.verification_status,
            category=data.category,
            onset_date=data.onset_date,
            abatement_date=data.abatement_date,
            recorded_date=data.recorded_date or timezone.localdate(),
            encounter=data.encounter,
            note=data.note.strip(),
        )
        _audit(by, AuditAction.CREATE, condition, patient, code=condition.code, status=condition.clinical_status)
    return condition


def update_condition_status(
    *,
    condition: Condition,
    clinical_status: str,
    by: User | None,
    abatement_date: datetime.date | None = None,
    verification_status: str | None = None,
) -> Condition:
    """A condition resolves, remits, recurs, or turns out to be refuted or entered in error."""
    patient = condition.patient
    _may_write(by, patient, object_type="Condition", action=AuditAction.UPDATE, object_id=str(condition.pk))
    verification = verification_status or condition.verification_status
    errors: Errors = {}
    _check_status_dates(errors, clinical_status, verification, condition.onset_date, abatement_date)
    _raise_if(errors, "condition status")
    before = {"clinical_status": condition.clinical_status, "verification_status": condition.verification_status}
    with transaction.atomic():
        condition.clinical_status = clinical_status
        condition.verification_status = verification
        condition.abatement_date = abatement_date
        condition.updated_at = timezone.now()
        condition.save(
            update_fields=["clinical_status", "verification_status", "abatement_date", "updated_at"],
        )
        _audit(
            by,
            AuditAction.UPDATE,
            condition,
            patient,
            before=before,
            clinical_status=clinical_status,
            verification_status=verification,
        )
    return condition


# Encounters and procedures ------------------------------------------------------------------------------------


@dataclass
class EncounterData:
    """A visit or stay as entered or received (the HL7 ADT listener fills ``source`` and the visit number)."""

    encounter_class: str
    period_start: datetime.datetime
    period_end: datetime.datetime | None = None
    status: str = EncounterStatus.FINISHED
    type_code: str = ""
    type_display: str = ""
    service: str = ""
    priority: str = ""
    admit_source: str = ""
    discharge_disposition: str = ""
    facility_name: str = ""
    facility_organization: Organization | None = None
    reason_text: str = ""
    source: str = RecordSource.MANUAL
    source_identifier: str = ""


def _validate_encounter(patient: Patient, data: EncounterData, by: User | None, *, existing: int | None) -> None:
    errors: Errors = {}
    if data.encounter_class not in EncounterClass.values:
        _fail(errors, "encounter_class", f"Unknown encounter class {data.encounter_class!r}.")
    if data.status not in EncounterStatus.values:
        _fail(errors, "status", f"Unknown encounter status {data.status!r}.")
    for name, choices in (
        ("priority", AdmitPriority),
        ("admit_source", AdmitSource),
        ("discharge_disposition", DischargeDisposition),
    ):
        value = getattr(data, name)
        if value and value not in choices.values:
            _fail(errors, name, f"Unknown {name.replace('_', ' ')} {value!r}.")
    if timezone.is_naive(data.period_start) or (data.period_end and timezone.is_naive(data.period_end)):
        _fail(errors, "period_start", "Give times with their time zone.")
    elif data.period_end is not None and data.period_end < data.period_start:
        _fail(errors, "period_end", "An encounter cannot end before it starts.")
    elif data.status != EncounterStatus.PLANNED and data.period_start > timezone.now():
        _fail(errors, "period_start", "Only a planned encounter can start in the future.")
    if data.status == EncounterStatus.FINISHED and data.period_end is None:
        _fail(errors, "period_end", "A finished encounter needs its end (the discharge time).")
    if len(data.source_identifier.strip()) > 64:
        _fail(errors, "source_identifier", "At most 64 characters.")
    _check_source(errors, by, data.source)
    _raise_if(errors, "encounter")
    if data.source_identifier.strip():
        clash = Encounter.objects.filter(
            patient=patient, source=data.source, source_identifier=data.source_identifier.strip()
        )
        if existing is not None:
            clash = clash.exclude(pk=existing)
        if clash.exists():
            raise Conflict(
                f"Visit {data.source_identifier.strip()} from {data.source} is already recorded for this person.",
                code="duplicate-encounter",
                field="source_identifier",
            )


_ENCOUNTER_FIELDS = (
    "encounter_class",
    "status",
    "type_code",
    "type_display",
    "service",
    "priority",
    "admit_source",
    "discharge_disposition",
    "period_start",
    "period_end",
    "facility_name",
    "facility_organization",
    "reason_text",
    "source",
    "source_identifier",
)


def _encounter_values(data: EncounterData) -> dict[str, Any]:
    values = {name: getattr(data, name) for name in _ENCOUNTER_FIELDS}
    for name in ("type_code", "type_display", "facility_name", "reason_text", "source_identifier"):
        values[name] = values[name].strip()
    values["service"] = data.service.strip().lower()
    return values


def record_encounter(*, patient: Patient, data: EncounterData, by: User | None) -> Encounter:
    """Record a visit or a stay (an admission in progress, or one already over)."""
    _may_write(by, patient, object_type="Encounter", action=AuditAction.CREATE)
    _validate_encounter(patient, data, by, existing=None)
    try:
        with transaction.atomic():
            encounter = Encounter.objects.create(
                patient=patient, organization=_organization(by), recorded_by=by, **_encounter_values(data)
            )
            _audit(
                by,
                AuditAction.CREATE,
                encounter,
                patient,
                encounter_class=encounter.encounter_class,
                status=encounter.status,
                source=encounter.source,
            )
    except IntegrityError as error:
        raise Conflict("That visit was recorded at the same moment; reload.", code="duplicate-encounter") from error
    return encounter


def update_encounter(*, encounter: Encounter, data: EncounterData, by: User | None) -> Encounter:
    """Replace what is known of a visit or stay (an ADT update, a corrected discharge time)."""
    patient = encounter.patient
    _may_write(by, patient, object_type="Encounter", action=AuditAction.UPDATE, object_id=str(encounter.pk))
    _validate_encounter(patient, data, by, existing=encounter.pk)
    values = _encounter_values(data)
    changed = sorted(name for name, value in values.items() if getattr(encounter, name) != value)
    try:
        with transaction.atomic():
            for name, value in values.items():
                setattr(encounter, name, value)
            encounter.updated_at = timezone.now()
            encounter.save()
            _audit(by, AuditAction.UPDATE, encounter, patient, changed=changed, status=encounter.status)
    except IntegrityError as error:
        raise Conflict("That visit number is already recorded for this person.", code="duplicate-encounter") from error
    return encounter


def finish_encounter(
    *,
    encounter: Encounter,
    ended_at: datetime.datetime,
    by: User | None,
    discharge_disposition: str = "",
    service: str | None = None,
) -> Encounter:
    """The person is discharged (or the visit ends): the encounter is finished at ``ended_at``."""
    if encounter.status in (EncounterStatus.CANCELLED, EncounterStatus.ENTERED_IN_ERROR):
        raise DomainError("A cancelled encounter cannot be finished.", code="encounter-cancelled")
    data = EncounterData(
        **{name: getattr(encounter, name) for name in _ENCOUNTER_FIELDS if name not in ("period_end", "status")},
        period_end=ended_at,
        status=EncounterStatus.FINISHED,
    )
    if discharge_disposition:
        data.discharge_disposition = discharge_disposition
    if service is not None:
        data.service = service
    return update_encounter(encounter=encounter, data=data, by=by)


@dataclass
class ProcedureData:
    code_system: str
    code: str
    performed_at: datetime.datetime
    display: str = ""
    status: str = ProcedureStatus.COMPLETED
    encounter: Encounter | None = None
    source: str = RecordSource.MANUAL


def record_procedure(*, patient: Patient, data: ProcedureData, by: User | None) -> Procedure:
    """Record a procedure done to the person, during a stay (``encounter``) or not."""
    _may_write(by, patient, object_type="Procedure", action=AuditAction.CREATE)
    errors: Errors = {}
    if data.code_system not in ProcedureCodeSystem.values:
        _fail(errors, "code_system", "Code procedures in ICD-10-PCS, CPT or SNOMED CT.")
    elif not looks_like(data.code_system, data.code.strip().upper()):
        _fail(errors, "code", f"{data.code!r} is not a {ProcedureCodeSystem(data.code_system).label} code.")
    if data.status not in ProcedureStatus.values:
        _fail(errors, "status", f"Unknown procedure status {data.status!r}.")
    if timezone.is_naive(data.performed_at):
        _fail(errors, "performed_at", "Give the time with its time zone.")
    elif data.performed_at > timezone.now():
        _fail(errors, "performed_at", "A procedure cannot be performed in the future.")
    _check_encounter(errors, patient, data.encounter)
    _check_source(errors, by, data.source)
    _raise_if(errors, "procedure")
    with transaction.atomic():
        procedure = Procedure.objects.create(
            patient=patient,
            organization=_organization(by),
            recorded_by=by,
            source=data.source,
            code_system=data.code_system,
            code=data.code.strip().upper(),
            display=data.display.strip(),
            status=data.status,
            performed_at=data.performed_at,
            encounter=data.encounter,
        )
        _audit(
            by,
            AuditAction.CREATE,
            procedure,
            patient,
            code=procedure.code,
            encounter=data.encounter and data.encounter.pk,
        )
    return procedure


# Observations -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Quantity:
    """A measured amount: ``value`` in ``unit`` (as shown), with its UCUM code (e.g. g/dL, mmol/L)."""

    value: Decimal
    unit: str
    ucum: str = ""


@dataclass(frozen=True)
class Coding:
    """A coded answer, e.g. LOINC LA33-6 "Yes"."""

    system: str
    code: str
    display: str = ""


ObservationValue = Quantity | Coding | bool | int | str | None


@dataclass
class ObservationData:
    """One observation as entered, received, or made by scoring a questionnaire."""

    code: str
    value: ObservationValue = None
    display: str = ""
    code_system: str = LOINC
    status: str = ObservationStatus.FINAL
    categories: list[str] = field(default_factory=list)
    interpretation: list[str] = field(default_factory=list)
    effective_at: datetime.datetime | None = None
    issued_at: datetime.datetime | None = None
    derived_from: str = ""
    encounter: Encounter | None = None
    note: str = ""
    source: str = RecordSource.MANUAL


def _value_fields(value: ObservationValue) -> dict[str, Any]:
    """The columns that carry ``value`` (bool before int: a bool is an int in Python)."""
    if value is None:
        return {"value_type": ValueType.NONE}
    if isinstance(value, bool):
        return {"value_type": ValueType.BOOLEAN, "value_boolean": value}
    if isinstance(value, int):
        return {"value_type": ValueType.INTEGER, "value_integer": value}
    if isinstance(value, str):
        return {"value_type": ValueType.STRING, "value_string": value.strip()}
    if isinstance(value, Quantity):
        return {
            "value_type": ValueType.QUANTITY,
            "value_quantity": Decimal(value.value),
            "value_unit": value.unit.strip(),
            "value_ucum": value.ucum.strip(),
        }
    return {
        "value_type": ValueType.CODING,
        "value_code_system": value.system.strip(),
        "value_code": value.code.strip(),
        "value_display": value.display.strip(),
    }


_VALUE_COLUMNS = {
    "value_quantity": None,
    "value_unit": "",
    "value_ucum": "",
    "value_integer": None,
    "value_code_system": "",
    "value_code": "",
    "value_display": "",
    "value_string": "",
    "value_boolean": None,
}


def _validate_observation(errors: Errors, at: str, patient: Patient, data: ObservationData, by: User | None) -> None:
    def fail(name: str, message: str) -> None:
        _fail(errors, f"{at}{name}", message)

    if not looks_like(data.code_system, data.code.strip()):
        fail("code", f"{data.code!r} is not a code of {data.code_system}.")
    if data.status not in ObservationStatus.values:
        fail("status", f"Unknown observation status {data.status!r}.")
    for code in data.categories:
        if not CATEGORY_TOKEN.match(code):
            fail("categories", f"{code!r} is not a category code.")
    for code in data.interpretation:
        if code not in INTERPRETATION_CODES:
            fail("interpretation", f"Unknown interpretation {code!r}.")
    value = data.value
    if isinstance(value, Quantity):
        try:
            number = Decimal(value.value)
        except (InvalidOperation, TypeError, ValueError):
            fail("value", "The quantity is not a number.")
        else:
            if not number.is_finite() or abs(number) >= Decimal(10) ** 12:
                fail("value", "The quantity is out of range.")
        if not value.unit.strip() and not value.ucum.strip():
            fail("value", "Give the quantity's unit.")
    elif isinstance(value, Coding) and (not value.system.strip() or not value.code.strip()):
        fail("value", "A coded answer needs its code system and code.")
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2**63:
        fail("value", "The number is out of range.")
    elif value is not None and not isinstance(value, Quantity | Coding | bool | int | str):
        fail("value", "An observation's value is a quantity, a number, a coded answer, text, or yes/no.")
    for name in ("effective_at", "issued_at"):
        when = getattr(data, name)
        if when is not None and timezone.is_naive(when):
            fail(name, "Give the time with its time zone.")
        elif when is not None and when > timezone.now() + datetime.timedelta(minutes=5):
            fail(name, "The time cannot be in the future.")
    if len(data.derived_from) > 128:
        fail("derived_from", "At most 128 characters.")
    if data.encounter is not None and data.encounter.patient_id != patient.pk:
        fail("encounter", "That encounter belongs to another person.")
    if data.source not in RecordSource.values or (by is None and data.source == RecordSource.MANUAL):
        fail("source", "Name the feed a record without a user came from.")


def _categories(data: ObservationData) -> list[str]:
    return list(dict.fromkeys(code.strip() for code in data.categories))


def record_observations(
    *, patient: Patient, observations: Sequence[ObservationData], by: User | None
) -> list[Observation]:
    """Record several observations of one person at once (a scored questionnaire's answers and totals).

    All or nothing: every observation is checked first (errors name ``observations[i].field``), then the rows
    and their category rows are inserted in bulk in one transaction, with one audit record listing the ids.
    """
    if not observations:
        return []
    _may_write(
        by,
        patient,
        object_type="Observation",
        action=AuditAction.CREATE,
        categories=[data.categories for data in observations],
    )
    errors: Errors = {}
    for index, data in enumerate(observations):
        at = f"observations[{index}]." if len(observations) > 1 else ""
        _validate_observation(errors, at, patient, data, by)
    _raise_if(errors, "observation" if len(observations) == 1 else "set of observations")
    now = timezone.now()
    organization = _organization(by)
    rows = [
        Observation(
            patient=patient,
            organization=organization,
            recorded_by=by,
            source=data.source,
            created_at=now,
            updated_at=now,
            status=data.status,
            categories=_categories(data),
            code_system=data.code_system,
            code=data.code.strip(),
            display=data.display.strip(),
            interpretation=list(dict.fromkeys(data.interpretation)),
            effective_at=data.effective_at,
            issued_at=data.issued_at or now,
            derived_from=data.derived_from.strip(),
            encounter=data.encounter,
            note=data.note.strip(),
            **_value_fields(data.value),
        )
        for data in observations
    ]
    with transaction.atomic():
        created = Observation.objects.bulk_create(rows)
        ObservationCategory.objects.bulk_create(
            ObservationCategory(observation=row, patient=patient, code=code)
            for row in created
            for code in row.categories
        )
        record(
            by=by,
            action=AuditAction.CREATE,
            object_type="Observation",
            object_id=str(created[0].pk) if len(created) == 1 else "",
            patient=patient,
            detail={
                "observations": [str(row.pk) for row in created],
                "codes": sorted({row.code for row in created}),
                "derived_from": sorted({row.derived_from for row in created if row.derived_from}),
            },
        )
    return created


def record_observation(*, patient: Patient, data: ObservationData, by: User | None) -> Observation:
    """Record one observation."""
    return record_observations(patient=patient, observations=[data], by=by)[0]


def amend_observation(
    *,
    observation: Observation,
    value: ObservationValue,
    by: User | None,
    reason: str,
    interpretation: list[str] | None = None,
    note: str | None = None,
    status: str = ObservationStatus.AMENDED,
) -> Observation:
    """Change a recorded result (``amended``, or ``corrected`` for a mistake in it); the audit keeps the old value."""
    patient = observation.patient
    _may_write(
        by,
        patient,
        object_type="Observation",
        action=AuditAction.UPDATE,
        object_id=str(observation.pk),
        categories=[observation.categories],
    )
    if observation.status in (ObservationStatus.ENTERED_IN_ERROR, ObservationStatus.CANCELLED):
        raise DomainError("A cancelled or mistaken observation cannot be amended.", code="observation-void")
    errors: Errors = {}
    if status not in (ObservationStatus.AMENDED, ObservationStatus.CORRECTED):
        _fail(errors, "status", "An amendment leaves the observation amended or corrected.")
    if not reason.strip():
        _fail(errors, "reason", "Say why the result changes.")
    data = ObservationData(
        code=observation.code,
        code_system=observation.code_system,
        value=value,
        interpretation=list(observation.interpretation if interpretation is None else interpretation),
        source=observation.source,
    )
    _validate_observation(errors, "", patient, data, by)
    _raise_if(errors, "amendment")
    before = {
        "value": str(observation.value),
        "status": observation.status,
        "interpretation": observation.interpretation,
    }
    with transaction.atomic():
        for name, blank in _VALUE_COLUMNS.items():
            setattr(observation, name, blank)
        for name, column_value in _value_fields(value).items():
            setattr(observation, name, column_value)
        observation.interpretation = data.interpretation
        if note is not None:
            observation.note = note.strip()
        observation.status = status
        observation.version += 1
        observation.updated_at = timezone.now()
        observation.save()
        _audit(
            by,
            AuditAction.UPDATE,
            observation,
            patient,
            before=before,
            reason=reason.strip(),
            version=observation.version,
        )
    return observation


def mark_entered_in_error(*, observation: Observation, by: User | None, reason: str) -> Observation:
    """The observation should never have been recorded: it stays, marked, and no score reads it again."""
    patient = observation.patient
    _may_write(
        by,
        patient,
        object_type="Observation",
        action=AuditAction.UPDATE,
        object_id=str(observation.pk),
        categories=[observation.categories],
    )
    if not reason.strip():
        raise ValidationFailed("Say why the observation was entered in error.", field="reason")
    with transaction.atomic():
        before = observation.status
        observation.status = ObservationStatus.ENTERED_IN_ERROR
        observation.version += 1
        observation.updated_at = timezone.now()
        observation.save(update_fields=["status", "version", "updated_at"])
        _audit(by, AuditAction.UPDATE, observation, patient, before={"status": before}, reason=reason.strip())
    return observation
