"""Writes of the ADT feed: storing what arrives (before it is acknowledged), and working the two queues.

``receive_blocks`` is what the MLLP listener calls, in a worker thread, for the blocks that arrived while the
previous group was being stored (group commit): every message is judged, stored (``AdtMessage``) or kept as an
error (``IntakeError``) in one transaction, and only then are the acknowledgements returned for the listener to
send. A message already stored (same sending
facility and MSH-10) is acknowledged AA again and not stored twice.
"""

from __future__ import annotations

import contextlib
import datetime
import re
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from carecoord.accounts.models import User
from carecoord.accounts.permissions import Capability, can
from carecoord.audit.actions import record
from carecoord.audit.models import AuditAction, AuditOutcome
from carecoord.common import sql
from carecoord.common.errors import AccessDenied, Conflict, ValidationFailed
from carecoord.hl7v2 import ack as acks
from carecoord.hl7v2.messages import Block, Header, MessageError, ReceivedMessage, read_block
from carecoord.patients.access import access_patient
from carecoord.patients.models import Patient
from carecoord.transitions.adt import patient_key, read_person
from carecoord.transitions.models import (
    AdtMessage,
    AdtPatientLink,
    IntakeError,
    IntakeErrorStatus,
    MessageStatus,
)

_VERSION = re.compile(r"^2\.[1-9](\.\d+)*$")
# Codes that reject the message outright (AR); any other problem is an application error (AE).
_REJECT_CODES = frozenset({"200", "201", "202", "203"})


@dataclass(frozen=True)
class Reply:
    """The acknowledgement to send back, and what was done (for the listener's log and the tests)."""

    ack: bytes
    stored: int = 0
    duplicates: int = 0
    errors: int = 0


def _judge(message: ReceivedMessage) -> tuple[acks.Outcome, str]:
    """AA, or AE/AR with the reason; and the patient key of an accepted message.

    Intake reads the header and the person (``adt.read_person``: the key that keeps a person's messages in
    order); processing reads the rest (``adt.read_adt``: every field it cannot read is empty, and a message it
    cannot read at all fails there with its reason, for an administrator)."""
    if message.error is not None or message.header is None:
        error = message.error or MessageError("The MSH segment cannot be read.")
        return acks.Outcome(acks.REJECT, str(error), error.code, error.location or "MSH"), ""
    header = message.header
    if not header.message_code:
        return acks.Outcome(acks.REJECT, "MSH-9 message type is missing.", "200", "MSH^1^9"), ""
    if header.message_code != "ADT":
        reason = f"Only ADT messages are accepted here, not {header.message_type}."
        return acks.Outcome(acks.REJECT, reason, "200", "MSH^1^9"), ""
    if not header.trigger_event:
        return acks.Outcome(acks.REJECT, "MSH-9 trigger event is missing.", "201", "MSH^1^9^1^2"), ""
    if not _VERSION.match(header.version):
        reason = f"HL7 version {header.version or '(none)'} is not supported: send v2.1 to v2.9."
        return acks.Outcome(acks.REJECT, reason, "203", "MSH^1^12"), ""
    if not header.control_id:
        return acks.Outcome(acks.ERROR, "MSH-10 message control id is missing.", "101", "MSH^1^10"), ""
    if len(header.control_id) > 200 or len(header.sending_facility) > 200:
        return acks.Outcome(acks.ERROR, "MSH-4 or MSH-10 is longer than 200 characters.", "102", "MSH^1^10"), ""
    pid = ("PID", "PID" + header.delimiters.field)
    if not any(segment.strip() in pid or segment.startswith(pid[1]) for segment in message.text.split("\r")):
        return acks.Outcome(acks.ERROR, "The ADT message has no PID segment.", "100", "PID"), ""
    try:
        key = patient_key(read_person(message.text, header))
    except Exception as error:  # a structure we cannot read: refuse it, do not crash the block
        return acks.Outcome(acks.ERROR, f"The PID segment cannot be read: {error}.", "102", "PID"), ""
    return acks.Outcome(acks.ACCEPT), key


def _keep_error(
    *,
    raw: bytes,
    charset: str,
    peer: str,
    outcome: acks.Outcome,
    header: Header | None,
    received_at: datetime.datetime,
) -> IntakeError:
    return IntakeError.objects.create(
        received_at=received_at,
        peer=peer[:100],
        raw=raw,
        charset=charset,
        ack_code=outcome.code,
        error_code=outcome.error_code,
        location=outcome.location[:64],
        reason=outcome.reason,
        sending_facility=header.sending_facility[:200] if header else "",
        control_id=header.control_id[:200] if header else "",
        message_type=header.message_type[:32] if header else "",
        version=header.version[:16] if header else "",
    )


_STORED_FIELDS = (
    "received_at",
    "peer",
    "sending_application",
    "sending_facility",
    "control_id",
    "message_type",
    "trigger_event",
    "message_structure",
    "version",
    "batch_control_id",
    "charset",
    "raw",
    "patient_key",
    "status",
    "status_reason",
    "claimed_by",
    "attempts",
)


@dataclass(frozen=True)
class _Accepted:
    """An accepted message, ready to be stored."""

    message: ReceivedMessage
    key: str
    block: Block
    peer: str
    received_at: datetime.datetime

    def row(self) -> tuple[Any, ...]:
        header = self.message.header
        assert header is not None
        return (
            sql.prep(AdtMessage, "received_at", self.received_at),
            self.peer[:100],
            header.sending_application[:200],
            header.sending_facility,
            header.control_id,
            header.message_code[:16],
            header.trigger_event[:16],
            header.message_structure[:16],
            header.version[:16],
            self.block.batch_header.raw(11)[:200] if self.block.batch_header else "",
            self.block.charset,
            sql.prep(AdtMessage, "raw", self.message.raw),
            self.key,
            MessageStatus.RECEIVED.value,
            "",
            "",
            0,
        )

    @property
    def identity(self) -> tuple[str, str]:
        assert self.message.header is not None
        return self.message.header.sending_facility, self.message.header.control_id


def _store(accepted: list[_Accepted]) -> list[int | None]:
    """Store accepted messages in one statement; each one's new id, or None when it is a duplicate (its sending
    facility and control id already stored, or earlier in ``accepted``)."""
    inserted = sql.insert_rows(
        AdtMessage,
        _STORED_FIELDS,
        [item.row() for item in accepted],
        unique=("sending_facility", "control_id"),
        returning=("id", "sending_facility", "control_id"),
    )
    ids = {(facility, control): pk for pk, facility, control in inserted}
    return [ids.pop(item.identity, None) for item in accepted]


@dataclass
class _Plan:
    """What one block asks of the database, decided before any statement runs."""

    block: Block
    peer: str
    answers: list[tuple[Header | None, acks.Outcome]]
    accepted: list[_Accepted]
    errors: list[dict[str, Any]]


def _plan(raw: bytes, peer: str, received_at: datetime.datetime) -> _Plan:
    block = read_block(raw)
    if block.error is not None:
        outcome = acks.Outcome(acks.REJECT, str(block.error), block.error.code, block.error.location)
        error = {"raw": raw, "charset": block.charset, "outcome": outcome, "header": block.batch_header}
        return _Plan(block, peer, [(block.batch_header, outcome)], [], [error])
    plan = _Plan(block, peer, [], [], [])
    for message in block.messages:
        outcome, key = _judge(message)
        if outcome.code == acks.ACCEPT:
            plan.accepted.append(_Accepted(message, key, block, peer, received_at))
        else:
            plan.errors.append(
                {"raw": message.raw, "charset": block.charset, "outcome": outcome, "header": message.header}
            )
        plan.answers.append((message.header, outcome))
    return plan


def _reply(plan: _Plan, ids: list[int | None], *, application: str, facility: str) -> Reply:
    block = plan.block
    if block.error is not None:
        text = acks.ack(block.batch_header, plan.answers[0][1], application=application, facility=facility)
    elif block.is_batch:
        text = acks.batch_ack(
            block.batch_header, plan.answers, file_header=block.file_header, application=application, facility=facility
        )
    else:
        text = acks.ack(plan.answers[0][0], plan.answers[0][1], application=application, facility=facility)
    stored = sum(pk is not None for pk in ids)
    return Reply(ack=text.encode(block.charset), stored=stored, duplicates=len(ids) - stored, errors=len(plan.errors))


def receive_blocks(
    *, blocks: list[tuple[bytes, str]], application: str = "CARECOORD", facility: str = "CARECOORD"
) -> list[Reply]:
    """Judge, store and acknowledge MLLP blocks (each a message or a batch; ``(raw, peer)`` pairs) that arrived
    at about the same time: all of them in one transaction (group commit), committed before returning.

    A block that cannot be read at all (not HL7, a batch with segments outside any message) is kept as one
    error and answered with one AR. Otherwise each message is answered on its own: a single message with an
    ACK, a batch with a batch of ACKs in the same order (see ``hl7v2.ack.batch_ack``). A message already stored
    (same MSH-4 and MSH-10) is answered AA and not stored again. Everything is stored or nothing is.
    """
    received_at = timezone.now()
    plans = [_plan(raw, peer, received_at) for raw, peer in blocks]
    accepted = [item for plan in plans for item in plan.accepted]
    errors = [(plan.peer, error) for plan in plans for error in plan.errors]
    # One statement stores every accepted message; alone, it needs no transaction around it (autocommit).
    writes = bool(accepted) + len(errors)
    with transaction.atomic() if writes > 1 else contextlib.nullcontext():
        ids = iter(_store(accepted))
        for peer, error in errors:
            _keep_error(peer=peer, received_at=received_at, **error)
    return [
        _reply(plan, [next(ids) for _ in plan.accepted], application=application, facility=facility) for plan in plans
    ]


def receive_block(*, raw: bytes, peer: str, application: str = "CARECOORD", facility: str = "CARECOORD") -> Reply:
    """Judge, store and acknowledge one MLLP block (a message or a batch); see ``receive_blocks``."""
    return receive_blocks(blocks=[(raw, peer)], application=application, facility=facility)[0]


def record_framing_error(*, raw: bytes, peer: str, reason: str) -> IntakeError:
    """Bytes that were not an MLLP block (no start byte, too large, cut off): kept for an administrator."""
    outcome = acks.Outcome(acks.REJECT, reason, "100", "")
    return _keep_error(raw=raw, charset="latin-1", peer=peer, outcome=outcome, header=None, received_at=timezone.now())


# The queues -----------------------------------------------------------------------------------------------------


def _require(
    by: User, action: str, object_type: str, object_id: str, capability: Capability = Capability.MANAGE_ORGANIZATION
) -> None:
    if not can(by, capability):
        record(
            by=by,
            action=action,
            object_type=object_type,
            object_id=object_id,
            outcome=AuditOutcome.DENIED,
            detail={"basis": "role"},
        )
        raise AccessDenied("Your role may not work this HL7 intake queue.")


def replay_intake_error(*, error: IntakeError, by: User, raw: bytes | None = None, note: str = "") -> Reply:
    """Run a kept message (as received, or as repaired in ``raw``) through intake again.

    Accepted (or found already stored): the error is marked replayed and points at the stored message.
    Refused again: a ValidationFailed with the new reason; the error stays in the queue.
    """
    _require(by, AuditAction.UPDATE, "IntakeError", str(error.pk))
    if error.status != IntakeErrorStatus.NEW:
        raise Conflict("This error has already been replayed or dismissed.", code="error-resolved")
    content = raw if raw is not None else bytes(error.raw)
    block = read_block(content)
    if block.error is not None or len(block.messages) != 1:
        reason = str(block.error) if block.error else "Replay one message at a time."
        raise ValidationFailed(reason, field="raw")
    message = block.messages[0]
    outcome, key = _judge(message)
    if outcome.code != acks.ACCEPT:
        raise ValidationFailed(f"Still refused ({outcome.code}): {outcome.reason}", field="raw")
    assert message.header is not None
    with transaction.atomic():
        (pk,) = _store([_Accepted(message, key, block, error.peer, timezone.now())])
        duplicate = pk is None
        if pk is None:
            pk = (
                AdtMessage.objects.only("pk")
                .get(sending_facility=message.header.sending_facility, control_id=message.header.control_id)
                .pk
            )
        error.status = IntakeErrorStatus.REPLAYED
        error.resolved_by = by
        error.resolved_at = timezone.now()
        error.resolution_note = note.strip()
        error.message_id = pk
        error.save(update_fields=["status", "resolved_by", "resolved_at", "resolution_note", "message"])
        record(
            by=by,
            action=AuditAction.UPDATE,
            object_type="IntakeError",
            object_id=str(error.pk),
            detail={"replayed_as": pk, "repaired": raw is not None, "duplicate": duplicate},
        )
    return Reply(ack=b"", stored=0 if duplicate else 1, duplicates=int(duplicate))


def dismiss_intake_error(*, error: IntakeError, by: User, note: str) -> IntakeError:
    """Nothing to repair (a test message, a feed sending the wrong type): the error leaves the queue."""
    _require(by, AuditAction.UPDATE, "IntakeError", str(error.pk))
    if error.status != IntakeErrorStatus.NEW:
        raise Conflict("This error has already been replayed or dismissed.", code="error-resolved")
    if not note.strip():
        raise ValidationFailed("Say why the message is dismissed.", field="note")
    with transaction.atomic():
        error.status = IntakeErrorStatus.DISMISSED
        error.resolved_by = by
        error.resolved_at = timezone.now()
        error.resolution_note = note.strip()
        error.save(update_fields=["status", "resolved_by", "resolved_at", "resolution_note"])
        record(
            by=by,
            action=AuditAction.UPDATE,
            object_type="IntakeError",
            object_id=str(error.pk),
            detail={"dismissed": True},
        )
    return error


def link_message_to_patient(*, message: AdtMessage, patient: Patient, by: User) -> list[AdtMessage]:
    """Someone says who the person in a message in review is: the facility's identifiers are linked to that
    person, and every message waiting in review for the same person is processed, in order.

    Returns the messages processed. Needs a role that registers people and access to the person (audited).
    """
    from carecoord.transitions.processing import content_of, process_waiting_for_key

    _require(by, AuditAction.UPDATE, "AdtMessage", str(message.pk), Capability.REGISTER_PATIENTS)
    access_patient(by, patient.pk, action=AuditAction.UPDATE, object_type="AdtMessage", object_id=str(message.pk))
    if message.status != MessageStatus.REVIEW:
        raise Conflict("This message is not waiting for review.", code="not-in-review")
    content = content_of(message)
    with transaction.atomic():
        for identifier in content.identifiers:
            link, created = AdtPatientLink.objects.get_or_create(
                authority=identifier.authority,
                identifier=identifier.value,
                defaults={"patient": patient, "created_by": by, "via": "review"},
            )
            if not created and link.patient_id != patient.pk:
                raise Conflict(
                    f"Identifier {identifier.value} from {identifier.authority} is already linked to another person.",
                    code="identifier-linked",
                )
        record(
            by=by,
            action=AuditAction.UPDATE,
            object_type="AdtMessage",
            object_id=str(message.pk),
            patient=patient,
            detail={"linked": [f"{i.authority}|{i.value}" for i in content.identifiers]},
        )
    return process_waiting_for_key(message.patient_key, patient=patient)
