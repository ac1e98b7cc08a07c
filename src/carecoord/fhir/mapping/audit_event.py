"""FHIR AuditEvent from an audit record (DICOM/REST event types, C/R/U/D/E actions, 0/4/8 outcomes)."""

from __future__ import annotations

from typing import Any

from carecoord.audit.models import AuditAction, AuditOutcome, AuditRecord, Purpose
from carecoord.fhir.mapping.codes import V3_ACT_REASON, coding, username_system

DICOM = "http://dicom.nema.org/resources/ontology/DCM"
AUDIT_EVENT_TYPE = "http://terminology.hl7.org/CodeSystem/audit-event-type"
RESTFUL = "http://hl7.org/fhir/restful-interaction"
SOURCE_TYPE = "http://terminology.hl7.org/CodeSystem/security-source-type"
ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
OBJECT_ROLE = "http://terminology.hl7.org/CodeSystem/object-role"
PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"

REST = coding(AUDIT_EVENT_TYPE, "rest", "RESTful Operation")
# Our action -> (type, subtype or None, FHIR action code).
EVENTS: dict[str, tuple[dict[str, str], dict[str, str] | None, str]] = {
    AuditAction.READ: (REST, coding(RESTFUL, "read", "read"), "R"),
    AuditAction.SEARCH: (REST, coding(RESTFUL, "search-type", "search type"), "E"),
    AuditAction.CREATE: (REST, coding(RESTFUL, "create", "create"), "C"),
    AuditAction.UPDATE: (REST, coding(RESTFUL, "update", "update"), "U"),
    AuditAction.DELETE: (REST, coding(RESTFUL, "delete", "delete"), "D"),
    AuditAction.EXPORT: (coding(DICOM, "110106", "Export"), None, "R"),
    AuditAction.LOGIN: (coding(DICOM, "110114", "User Authentication"), coding(DICOM, "110122", "Login"), "E"),
    AuditAction.LOGOUT: (coding(DICOM, "110114", "User Authentication"), coding(DICOM, "110123", "Logout"), "E"),
    AuditAction.LOGIN_FAILED: (coding(DICOM, "110114", "User Authentication"), coding(DICOM, "110122", "Login"), "E"),
    AuditAction.BREAK_GLASS: (coding(DICOM, "110113", "Security Alert"), None, "E"),
    AuditAction.REVIEW: (coding(DICOM, "110113", "Security Alert"), None, "E"),
    AuditAction.SECURITY: (coding(DICOM, "110113", "Security Alert"), None, "U"),
}
ACTION_CODES = {
    "C": {AuditAction.CREATE},
    "R": {AuditAction.READ, AuditAction.EXPORT},
    "U": {AuditAction.UPDATE, AuditAction.SECURITY},
    "D": {AuditAction.DELETE},
    "E": {
        AuditAction.SEARCH,
        AuditAction.LOGIN,
        AuditAction.LOGOUT,
        AuditAction.LOGIN_FAILED,
        AuditAction.BREAK_GLASS,
        AuditAction.REVIEW,
    },
}
OUTCOMES: dict[str, str] = {AuditOutcome.SUCCESS: "0", AuditOutcome.DENIED: "4", AuditOutcome.FAILED: "8"}
FHIR_TYPES = frozenset(
    {"Patient", "RelatedPerson", "Organization", "Practitioner", "PractitionerRole", "AuditEvent", "CodeSystem"}
)


def _purpose(code: str) -> list[dict[str, Any]]:
    if not code:
        return []
    label = Purpose(code).label if code in Purpose.values else code
    return [{"coding": [coding(V3_ACT_REASON, code, str(label))]}]


def _entities(entry: AuditRecord) -> list[dict[str, Any]]:
    entities: list[dict[str, Any]] = []
    if entry.patient_id:
        entities.append(
            {
                "what": {"reference": f"Patient/{entry.patient_id}"},
                "type": coding(ENTITY_TYPE, "1", "Person"),
                "role": coding(OBJECT_ROLE, "1", "Patient"),
            }
        )
    if entry.object_type and not (entry.object_type == "Patient" and entry.patient_id):
        entity: dict[str, Any] = {"type": coding(ENTITY_TYPE, "2", "System Object")}
        if entry.object_type in FHIR_TYPES and entry.object_id:
            entity["what"] = {"reference": f"{entry.object_type}/{entry.object_id}"}
        else:
            entity["name"] = f"{entry.object_type}/{entry.object_id}" if entry.object_id else entry.object_type
        query = (entry.detail or {}).get("query")
        if entry.action == AuditAction.SEARCH and query:
            entity["role"] = coding(OBJECT_ROLE, "24", "Query")
            entity["detail"] = [{"type": "query", "valueString": str(query)}]
        entities.append(entity)
    return entities


def audit_event_resource(entry: AuditRecord) -> dict[str, Any]:
    event_type, subtype, action = EVENTS.get(entry.action, (REST, None, "E"))
    if entry.action == AuditAction.READ and (entry.detail or {}).get("version"):
        subtype = coding(RESTFUL, "vread", "vread")
    if entry.action == AuditAction.READ and (entry.detail or {}).get("history"):
        subtype = coding(RESTFUL, "history-instance", "history instance")
    recorded = entry.recorded_at.isoformat()
    agent: dict[str, Any] = {
        "type": {"coding": [coding(PARTICIPATION, "IRCP", "information recipient")]},
        "who": {
            "identifier": {"system": username_system(), "value": entry.username or "system"},
            "display": entry.username or "system",
        },
        "requestor": True,
    }
    if entry.username:
        agent["altId"] = entry.username
    if entry.client_address:
        agent["network"] = {"address": entry.client_address, "type": "2"}
    if entry.purpose:
        agent["purposeOfUse"] = _purpose(entry.purpose)
    resource: dict[str, Any] = {
        "resourceType": "AuditEvent",
        "id": str(entry.pk),
        "meta": {"versionId": "1", "lastUpdated": recorded},
        "type": event_type,
    }
    if subtype:
        resource["subtype"] = [subtype]
    resource["action"] = action
    resource["recorded"] = recorded
    resource["outcome"] = OUTCOMES.get(entry.outcome, "8")
    reason = (entry.detail or {}).get("reason") or (entry.detail or {}).get("basis")
    if reason:
        resource["outcomeDesc"] = str(reason)
    if entry.purpose:
        resource["purposeOfEvent"] = _purpose(entry.purpose)
    resource["agent"] = [agent]
    resource["source"] = {
        "site": entry.channel or "internal",
        "observer": {"display": "CareCoord"},
        "type": [coding(SOURCE_TYPE, "4", "Application Server")],
    }
    entities = _entities(entry)
    if entities:
        resource["entity"] = entities
    return resource
