"""Permission-checked reads of the ADT queues (raw messages carry PHI about people who may not be ours yet).

The intake error queue is for administrators (``MANAGE_ORGANIZATION``); the review queue for staff who
register people (``REGISTER_PATIENTS``), who link a message to a person with ``actions.link_message_to_patient``.
Each listing is audited, naming the queue and how many entries were shown.
"""

from __future__ import annotations

from carecoord.accounts.models import User
from carecoord.accounts.permissions import Capability, can
from carecoord.audit.actions import record
from carecoord.audit.models import AuditAction, AuditOutcome
from carecoord.common.errors import AccessDenied, NotFound
from carecoord.transitions import queries
from carecoord.transitions.models import AdtMessage, IntakeError


def _gate(user: User, capability: Capability, object_type: str) -> None:
    if not can(user, capability):
        record(by=user, action=AuditAction.READ, object_type=object_type, outcome=AuditOutcome.DENIED)
        raise AccessDenied("Your role may not see this HL7 intake queue.")


def access_intake_errors(user: User) -> list[IntakeError]:
    _gate(user, Capability.MANAGE_ORGANIZATION, "IntakeError")
    errors = queries.list_intake_errors()
    record(by=user, action=AuditAction.SEARCH, object_type="IntakeError", detail={"shown": len(errors)})
    return errors


def access_intake_error(user: User, error_id: object) -> IntakeError:
    _gate(user, Capability.MANAGE_ORGANIZATION, "IntakeError")
    error = IntakeError.objects.filter(pk=int(str(error_id))).first() if str(error_id).isdigit() else None
    if error is None:
        raise NotFound("No such intake error.")
    record(by=user, action=AuditAction.READ, object_type="IntakeError", object_id=str(error.pk))
    return error


def access_review_queue(user: User) -> list[AdtMessage]:
    _gate(user, Capability.REGISTER_PATIENTS, "AdtMessage")
    messages = queries.list_review_queue()
    record(by=user, action=AuditAction.SEARCH, object_type="AdtMessage", detail={"review_queue": len(messages)})
    return messages


def access_review_message(user: User, message_id: object) -> AdtMessage:
    _gate(user, Capability.REGISTER_PATIENTS, "AdtMessage")
    message = (
        AdtMessage.objects.filter(pk=int(str(message_id)), status="review").first()
        if str(message_id).isdigit()
        else None
    )
    if message is None:
        raise NotFound("No such message in review.")
    record(by=user, action=AuditAction.READ, object_type="AdtMessage", object_id=str(message.pk))
    return message
