"""Community referrals over FHIR: the ``sdoh-<uuid>`` ServiceRequests and ``referral-<uuid>`` Tasks that join the
program referrals and care team tasks at /fhir/ServiceRequest and /fhir/Task (``service_request.py`` and
``task.py`` dispatch here on the id and merge the searches). Mapping: ``mapping/community_referral.py``.

Access is ``referrals.access.access_referral`` (audited): the referring organization's staff who may see the person,
or the ``partner`` users of the organization the referral was sent to (they see what the referral shares, never the
chart); anyone else 403. A search covers, for the referring side, the organization's referrals of the people the
user may see (or of those named by ``patient=``, each access-checked) and, for a partner user, the referrals sent
to their organization.

Update (PUT ``Task/referral-<uuid>``) is how either side works the referral: a new ``status`` goes through
``referrals.actions.change_status`` (``statusReason.text`` the reason; ``businessStatus`` a
``{base}/CodeSystem/referral-outcome`` code with completed or failed; a move the state table forbids is 422 naming
both statuses, a move of the other side 403); each new ``output`` ``resulting-activity`` (the date and what was
done as its text ``YYYY-MM-DD: description``, a SNOMED CT code optional) is ``record_activity``; ``If-Match`` must
name the current version (412 otherwise). Nothing else changes (422 naming the element).
"""

from __future__ import annotations

import datetime
import re
import uuid
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from fhir.resources.R4B.task import Task as TaskModel

from carecoord.accounts.models import User
from carecoord.accounts.permissions import Capability, can
from carecoord.common.errors import AccessDenied, DomainError, ValidationFailed
from carecoord.fhir.exchange import FhirRequest, FhirResponse, versioned
from carecoord.fhir.interactions.organization import directory_key
from carecoord.fhir.interactions.scope import People, patient_condition
from carecoord.fhir.mapping.community_referral import (
    SR_PREFIX,
    TASK_CODE,
    TASK_PREFIX,
    outcome_system,
    service_request_resource,
    statuses_of_service_request,
    task_resource,
)
from carecoord.fhir.mapping.directory import need_systems
from carecoord.fhir.outcome import FhirError, bad_request, domain_paths
from carecoord.fhir.search import FilterBuilder, date_condition, token
from carecoord.patients.access import visible_patients
from carecoord.referrals.access import ReferralAccess, access_referral
from carecoord.referrals.actions import Actor, change_status, record_activity, set_outcome
from carecoord.referrals.models import EventChannel, Referral, ReferralOutcome
from carecoord.referrals.queries import with_timeline
from carecoord.referrals.states import ReferralStatus, Side

NOTHING = Q(pk__in=[])
S = ReferralStatus
_ACTIVITY = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})\s*:\s*(.+?)\s*$", re.S)


def is_service_request_id(value: str) -> bool:
    return value.startswith(SR_PREFIX)


def is_task_id(value: str) -> bool:
    return value.startswith(TASK_PREFIX)


def _key(value: str, prefix: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value.removeprefix(prefix)) if value.startswith(prefix) else None
    except ValueError:
        return None


def _fetch(user: User, resource_id: str, prefix: str) -> ReferralAccess:
    return access_referral(user, str(_key(resource_id, prefix) or resource_id.removeprefix(prefix)))


def read_service_request(request: FhirRequest, resource_id: str) -> FhirResponse:
    found = _fetch(request.authenticated_user, resource_id, SR_PREFIX)
    return versioned(service_request_resource(found.referral, found.side))


def read_task(request: FhirRequest, resource_id: str) -> FhirResponse:
    found = _fetch(request.authenticated_user, resource_id, TASK_PREFIX)
    return versioned(task_resource(found.referral, found.side))


# --- search ----------------------------------------------------------------------------------------------------------


def may_search(user: User) -> bool:
    return can(user, Capability.VIEW_PATIENTS) or can(user, Capability.VIEW_REFERRALS_TO_ORG)


def visible_referrals(user: User, scope: People) -> QuerySet[Referral]:
    """The referrals a search by ``user`` may return (the people named by ``patient=`` already access-checked)."""
    condition = NOTHING
    if can(user, Capability.VIEW_PATIENTS):
        people = scope.condition(user) if scope.by_name else Q(patient__in=visible_patients(user))
        condition |= Q(referring_organization_id=user.organization_id) & people
    if can(user, Capability.VIEW_REFERRALS_TO_ORG):
        condition |= Q(target_organization_id=user.organization_id)
    return Referral.objects.filter(condition)


def side_of(user: User, referral: Referral) -> Side:
    if referral.referring_organization_id == user.organization_id and can(user, Capability.VIEW_PATIENTS):
        return Side.REQUESTER
    return Side.TARGET


def load(user: User, ids: list[Any], build: Any) -> list[dict[str, Any]]:
    found = with_timeline(Referral.objects.filter(pk__in=ids)).in_bulk(ids)
    return [build(found[key], side_of(user, found[key])) for key in ids]


def _typed_reference(value: str) -> tuple[str, str]:
    tail = value.rstrip("/").split("/")
    return (tail[-2], tail[-1]) if len(tail) >= 2 else ("", tail[-1])


def _organization_condition(tenant_field: str, directory_field: str | None) -> FilterBuilder:
    def build(_: str, value: str) -> Q:
        kind, key = _typed_reference(value)
        if kind not in ("", "Organization"):
            return NOTHING
        listed = directory_key(key)
        if listed is not None:
            return Q(**{directory_field: listed}) if directory_field else NOTHING
        try:
            return Q(**{tenant_field: uuid.UUID(key)})
        except ValueError:
            return NOTHING

    return build


def _performer(modifier: str, value: str) -> Q:
    kind, key = _typed_reference(value)
    if kind == "HealthcareService":
        return Q(service_id=int(key)) if key.isdigit() else NOTHING
    return _organization_condition("target_organization_id", "target_directory_organization_id")(modifier, value)


def _requester(_: str, value: str) -> Q:
    kind, key = _typed_reference(value)
    if kind == "Practitioner":
        try:
            return Q(requester__practitioner__id=uuid.UUID(key))
        except ValueError:
            return NOTHING
    return _organization_condition("referring_organization_id", None)(_, value)


def _id(prefix: str) -> FilterBuilder:
    def build(_: str, value: str) -> Q:
        key = _key(value, prefix)
        return Q(pk=key) if key is not None else NOTHING

    return build


def _category(_: str, value: str) -> Q:
    system, code = token(value)
    if code == "410606002" and system in (None, "http://snomed.info/sct"):
        return Q()
    return Q(need=code) if system in (None, *need_systems()) else NOTHING


def _sr_code(_: str, value: str) -> Q:
    system, code = token(value)
    return Q() if code == "3457005" and system in (None, "http://snomed.info/sct") else NOTHING


def _task_code(_: str, value: str) -> Q:
    system, code = token(value)
    return Q() if code == "fulfill" and system in (None, TASK_CODE) else NOTHING


def _focus(_: str, value: str) -> Q:
    kind, key = _typed_reference(value)
    parsed = _key(key, SR_PREFIX) if kind in ("", "ServiceRequest") else None
    return Q(pk=parsed) if parsed is not None else NOTHING


def _last_updated(_: str, value: str) -> Q:
    return date_condition("updated_at", value, name="_lastUpdated", aware=True)


SERVICE_REQUEST_BUILDERS: dict[str, FilterBuilder] = {
    "_id": _id(SR_PREFIX),
    "_lastUpdated": _last_updated,
    "patient": patient_condition,
    "status": lambda _, v: Q(status__in=statuses_of_service_request(token(v)[1])),
    "code": _sr_code,
    "category": _category,
    "requester": _requester,
    "performer": _performer,
    "authored": lambda _, v: date_condition("authored_on", v, name="authored", aware=True),
}
SERVICE_REQUEST_SORTS = {"authored": "authored_on"}

TASK_BUILDERS: dict[str, FilterBuilder] = {
    "_id": _id(TASK_PREFIX),
    "_lastUpdated": _last_updated,
    "patient": patient_condition,
    "status": lambda _, v: Q(status=token(v)[1]),
    "owner": _organization_condition("target_organization_id", "target_directory_organization_id"),
    "requester": _requester,
    "due-date": lambda _, v: NOTHING,
    "priority": lambda _, v: Q(priority=token(v)[1]),
    "code": _task_code,
    "focus": _focus,
    "authored-on": lambda _, v: date_condition("authored_on", v, name="authored-on", aware=True),
}
TASK_SORTS = {"_lastUpdated": "updated_at", "authored-on": "authored_on"}


# --- update ----------------------------------------------------------------------------------------------------------

_PATHS = {
    "status": "Task.status",
    "reason": "Task.statusReason.text",
    "outcome": "Task.businessStatus",
    "description": "Task.output",
    "performed_on": "Task.output",
    "code": "Task.output",
}


def _expression(field: str) -> str:
    return _PATHS.get(field, "Task")


def outcome_of(resource: dict[str, Any]) -> str:
    """The outcome code in ``businessStatus`` ('' when none); 400 for a code that is not ours."""
    concept = resource.get("businessStatus") or {}
    codes = [c.get("code") for c in concept.get("coding") or [] if c.get("system") == outcome_system()]
    if not codes:
        return ""
    if codes[0] not in ReferralOutcome.values:
        raise bad_request(
            f"Task.businessStatus: {codes[0]!r} is not a code of {outcome_system()}.",
            expression="Task.businessStatus",
            issue_code="code-invalid",
        )
    return str(codes[0])


def activities_of(resource: dict[str, Any]) -> list[tuple[datetime.date, str, str]]:
    """The ``resulting-activity`` outputs as (date, description, SNOMED code); 400 naming the output otherwise."""
    found = []
    for index, output in enumerate(resource.get("output") or []):
        codes = [c.get("code") for c in (output.get("type") or {}).get("coding") or []]
        if "resulting-activity" not in codes:
            continue
        concept = output.get("valueCodeableConcept") or {}
        match = _ACTIVITY.match(str(concept.get("text") or ""))
        when = None
        if match is not None:
            try:
                when = datetime.date.fromisoformat(match.group(1))
            except ValueError:
                when = None
        if match is None or when is None:
            raise bad_request(
                "A resulting activity is a valueCodeableConcept whose text is 'YYYY-MM-DD: what was done'.",
                expression=f"Task.output[{index}]",
            )
        snomed = next(
            (str(c.get("code")) for c in concept.get("coding") or [] if c.get("system") == "http://snomed.info/sct"),
            "",
        )
        found.append((when, match.group(2), snomed))
    return found


def _unchanged(referral: Referral, resource: dict[str, Any], side: Side) -> None:
    if resource.get("intent") != "order":
        raise FhirError("Task.intent stays order.", status=422, issue_code="business-rule", expression="Task.intent")
    focus = str((resource.get("focus") or {}).get("reference") or "")
    if focus and not focus.endswith(f"ServiceRequest/{SR_PREFIX}{referral.pk}"):
        raise FhirError(
            "Task.focus cannot change: it is the referral's ServiceRequest.",
            status=422,
            issue_code="business-rule",
            expression="Task.focus",
        )


def outcome_note_of(resource: dict[str, Any], outcome: str) -> str:
    """``businessStatus.text`` when it says more than the outcome's label."""
    text = str((resource.get("businessStatus") or {}).get("text") or "").strip()
    return "" if not outcome or text == str(ReferralOutcome(outcome).label) else text


def _move(
    referral: Referral, to: str, actor: Actor, reason: str, outcome: str, note: str, expected: int | None
) -> None:
    try:
        change_status(
            referral=referral, to=to, actor=actor, reason=reason, outcome=outcome, outcome_note=note,
            channel=EventChannel.FHIR, expected_version=expected,
        )  # fmt: skip
    except DomainError as error:
        if error.code != "invalid-transition":
            raise
        raise DomainError(
            f"Task.status cannot go from {referral.status} to {to}: {error.message}",
            code="invalid-transition",
            field="status",
        ) from None


def _record(referral: Referral, activities: list[tuple[datetime.date, str, str]], actor: Actor) -> None:
    known = {(day, text.strip()) for day, text in referral.activities.values_list("performed_on", "description")}
    for when, description, code in activities:
        if (when, description.strip()[:500]) in known:
            continue
        record_activity(
            referral=referral, performed_on=when, description=description, code=code, actor=actor,
            channel=EventChannel.FHIR,
        )  # fmt: skip
        known.add((when, description.strip()[:500]))


def update_task(request: FhirRequest, resource_id: str) -> FhirResponse:
    user = request.authenticated_user
    resource = request.resource("Task", TaskModel)
    if resource.get("id") != resource_id:
        raise bad_request("The resource's id must equal the id in the URL.", expression="Task.id")
    found = _fetch(user, resource_id, TASK_PREFIX)
    referral, side = found.referral, found.side
    expected = request.if_match()
    if expected is not None and expected != referral.version:
        from carecoord.common.errors import VersionConflict

        raise VersionConflict(f"Task/{resource_id} is at version {referral.version}, not {expected}.")
    _unchanged(referral, resource, side)
    status = str(resource.get("status") or "")
    reason = str((resource.get("statusReason") or {}).get("text") or "").strip()
    outcome = outcome_of(resource)
    note = outcome_note_of(resource, outcome)
    activities = activities_of(resource)
    if activities and side != Side.TARGET:
        raise AccessDenied("The organization doing the work records the services it delivered.", code="wrong-side")
    actor = Actor(side=side, by=user)
    with domain_paths(_expression), transaction.atomic():
        workable = (S.ACCEPTED, S.IN_PROGRESS, S.ON_HOLD, S.COMPLETED)
        if activities and referral.status in workable:
            _record(referral, activities, actor)
        if status != referral.status:
            if status not in (S.COMPLETED, S.FAILED):
                outcome, note = "", ""
            _move(referral, status, actor, reason, outcome, note, referral.version)
            if activities and referral.status in workable:
                _record(referral, activities, actor)
        elif outcome and outcome != referral.outcome and referral.status in (S.COMPLETED, S.FAILED):
            set_outcome(referral=referral, outcome=outcome, note=note, actor=actor, channel=EventChannel.FHIR)
        elif activities and referral.status not in workable:
            raise ValidationFailed(
                f"Services are recorded once the referral is accepted (it is {referral.status}).", field="description"
            )
    fresh = access_referral(user, str(referral.pk))
    return versioned(task_resource(fresh.referral, fresh.side))


def update_service_request(request: FhirRequest, resource_id: str) -> FhirResponse:
    raise FhirError(
        f"A community referral's state is its Task: update Task/{TASK_PREFIX}{resource_id.removeprefix(SR_PREFIX)}.",
        status=422,
        issue_code="business-rule",
        expression="ServiceRequest",
    )
