"""AuditEvent: read and search of the audit trail, for auditors only; reading it is audited too."""

from __future__ import annotations

from django.db.models import Q

from carecoord.accounts.queries import as_uuid
from carecoord.audit.access import access_audit_record, require_auditor
from carecoord.audit.actions import record
from carecoord.audit.models import AuditAction, Purpose
from carecoord.audit.queries import AuditFilter, list_records
from carecoord.fhir.exchange import FhirRequest, FhirResponse, versioned
from carecoord.fhir.mapping.audit_event import ACTION_CODES, EVENTS, OUTCOMES, audit_event_resource
from carecoord.fhir.outcome import bad_request
from carecoord.fhir.registry import ResourceType, SearchParam
from carecoord.fhir.search import (
    FilterBuilder,
    apply_criteria,
    date_condition,
    order,
    page,
    parse_query,
    reference_id,
    searchset,
    token,
)


def read(request: FhirRequest, event_id: str) -> FhirResponse:
    entry = access_audit_record(request.authenticated_user, event_id, object_type="AuditEvent")
    return versioned(audit_event_resource(entry))


def _outcome(_: str, value: str) -> Q:
    ours = [key for key, code in OUTCOMES.items() if code == token(value)[1]]
    return Q(outcome__in=ours)


def _action(_: str, value: str) -> Q:
    code = token(value)[1]
    if code not in ACTION_CODES:
        raise bad_request(f"action is one of C, R, U, D, E, not {code!r}.", expression="action", issue_code="value")
    return Q(action__in=ACTION_CODES[code])


def _subtype(_: str, value: str) -> Q:
    code = token(value)[1]
    ours = [action for action, (_, sub, _) in EVENTS.items() if sub and sub["code"] == code]
    return Q(action__in=ours)


def _id(_: str, value: str) -> Q:
    return Q(pk=int(value)) if value.isdigit() else Q(pk__in=[])


_BUILDERS: dict[str, FilterBuilder] = {
    "_id": _id,
    "patient": lambda _, v: Q(patient_id=as_uuid(reference_id(v, "Patient"))),
    "agent-name": lambda _, v: Q(username__iexact=v),
    "altid": lambda _, v: Q(username=token(v)[1]),
    "date": lambda _, v: date_condition("recorded_at", v, name="date", aware=True),
    "action": _action,
    "outcome": _outcome,
    "subtype": _subtype,
}


def search(request: FhirRequest) -> FhirResponse:
    user = request.authenticated_user
    require_auditor(user, action=AuditAction.SEARCH, object_type="AuditEvent")
    query = parse_query(request, RESOURCE)
    rows = apply_criteria(list_records(AuditFilter()), query, _BUILDERS)
    entries, total = page(order(rows, query, {"date": ("recorded_at",)}, ("-id",)), query)
    record(
        by=user,
        action=AuditAction.SEARCH,
        object_type="AuditEvent",
        purpose=Purpose.AUDIT,
        detail={"query": request.query_string[:500], "total": total},
    )
    return FhirResponse(body=searchset(request, "AuditEvent", query, [audit_event_resource(e) for e in entries], total))


RESOURCE = ResourceType(
    name="AuditEvent",
    read=read,
    search=search,
    search_params=(
        SearchParam("patient", "reference", "The person whose record was touched (Patient/<id>)"),
        SearchParam("agent-name", "string", "Username of the user who acted (exact, case-insensitive)"),
        SearchParam("altid", "token", "Username of the user who acted"),
        SearchParam("date", "date", "When it was recorded (prefixes eq, ne, lt, le, gt, ge, sa, eb)"),
        SearchParam("action", "token", "C, R, U, D or E"),
        SearchParam("outcome", "token", "0 success, 4 denied, 8 failed"),
        SearchParam("subtype", "token", "REST interaction (read, vread, search-type, create, update) or DICOM code"),
        SearchParam("_id", "token", "Logical id of the event"),
    ),
    sorts=("date",),
    documentation="The audit trail; auditors only, and every read of it is itself audited.",
)
