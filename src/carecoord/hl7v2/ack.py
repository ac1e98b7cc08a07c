"""Original-mode acknowledgements (HL7 v2 2.9.2): ACK with MSH sender and receiver swapped, MSA, ERR.

AA accepts; AE says the message had an error (a required field missing, unparseable content); AR rejects it
(not HL7, unsupported message type, event or version, broken framing). An AE/AR carries an ERR segment (ERR-2
location, ERR-3 code from HL7 table 0357, ERR-4 severity E, ERR-8 the reason in words) and the same reason in
MSA-3. A batch is answered by a batch of ACKs (see ``batch_ack``).
"""

from __future__ import annotations

import datetime
import itertools
import os
from dataclasses import dataclass

from carecoord.hl7v2.messages import Delimiters, Header

ACCEPT = "AA"
ERROR = "AE"
REJECT = "AR"

# HL7 table 0357, the codes this receiver uses.
ERROR_TEXT = {
    "0": "Message accepted",
    "100": "Segment sequence error",
    "101": "Required field missing",
    "102": "Data type error",
    "200": "Unsupported message type",
    "201": "Unsupported event code",
    "203": "Unsupported version id",
    "207": "Application internal error",
}

_counter = itertools.count(1)
_prefix = f"{os.getpid() % 100000:05d}"


def new_control_id() -> str:
    """A control id for our own ACKs: time, process and a counter (unique within this receiver)."""
    now = datetime.datetime.now(datetime.UTC)
    return f"CC{now:%Y%m%d%H%M%S}{_prefix}{next(_counter) % 1000000:06d}"


@dataclass(frozen=True)
class Outcome:
    """How one message is answered."""

    code: str  # AA, AE or AR
    reason: str = ""
    error_code: str = ""  # HL7 table 0357
    location: str = ""  # ERR-2, e.g. MSH^1^9


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y%m%d%H%M%S+0000")


def ack_segments(header: Header | None, outcome: Outcome, *, application: str, facility: str) -> list[str]:
    """The segments of the ACK to one message (with its own delimiters when its MSH could be read)."""
    d = header.delimiters if header is not None else Delimiters()
    sep = d.field
    if header is not None:
        # Swap: we become the sender (its MSH-5/6), it the receiver (its MSH-3/4). Copied fields stay escaped.
        sender_app = header.raw(5) or d.escape_text(application)
        sender_facility = header.raw(6) or d.escape_text(facility)
        receiver_app, receiver_facility = header.raw(3), header.raw(4)
        event = d.escape_text(header.trigger_event)
        processing = header.raw(11) or "P"
        version = header.raw(12) or "2.5"
        control = d.escape_text(header.control_id)
    else:
        sender_app, sender_facility = d.escape_text(application), d.escape_text(facility)
        receiver_app = receiver_facility = event = control = ""
        processing, version = "P", "2.5"
    message_type = f"ACK{d.component}{event}{d.component}ACK" if event else "ACK"
    msh = _join_header(
        [
            "MSH",
            d.encoding_characters,
            sender_app,
            sender_facility,
            receiver_app,
            receiver_facility,
            _now(),
            "",
            message_type,
            new_control_id(),
            processing,
            version,
        ],
        sep,
    )
    msa_fields = ["MSA", outcome.code, control]
    if outcome.code != ACCEPT:
        msa_fields.append(d.escape_text(outcome.reason))
    segments = [msh, sep.join(msa_fields)]
    if outcome.code != ACCEPT:
        code = outcome.error_code or "207"
        coded = d.component.join([code, d.escape_text(ERROR_TEXT.get(code, "")), "HL70357"])
        location = (
            d.component.join(d.escape_text(part) for part in outcome.location.split("^")) if outcome.location else ""
        )
        segments.append(sep.join(["ERR", "", location, coded, "E", "", "", "", d.escape_text(outcome.reason)]))
    return segments


def _join_header(values: list[str], sep: str) -> str:
    """MSH joined by its field separator: MSH-1 is the separator itself, so it is not repeated."""
    return values[0] + sep + sep.join(values[1:])


def ack(header: Header | None, outcome: Outcome, *, application: str, facility: str) -> str:
    """One ACK message, segments ended by CR."""
    return "\r".join(ack_segments(header, outcome, application=application, facility=facility)) + "\r"


def batch_ack(
    batch_header: Header | None,
    answers: list[tuple[Header | None, Outcome]],
    *,
    file_header: bool,
    application: str,
    facility: str,
) -> str:
    """A batch answering a batch: [FHS] BHS, one ACK per message in order, BTS (count), [FTS].

    BHS-12 (and FHS-12) name the batch (file) control id being answered; BHS-11 is our own.
    """
    d = batch_header.delimiters if batch_header is not None else Delimiters()
    sep = d.field
    theirs = batch_header.raw(11) if batch_header is not None else ""
    receiver_app = batch_header.raw(3) if batch_header is not None else ""
    receiver_facility = batch_header.raw(4) if batch_header is not None else ""

    def header(kind: str) -> str:
        return _join_header(
            [
                kind,
                d.encoding_characters,
                d.escape_text(application),
                d.escape_text(facility),
                receiver_app,
                receiver_facility,
                _now(),
                "",
                "",
                "",
                new_control_id(),
                theirs,
            ],
            sep,
        )

    lines: list[str] = []
    if file_header:
        lines.append(header("FHS"))
    lines.append(header("BHS"))
    for message_header, outcome in answers:
        lines.extend(ack_segments(message_header, outcome, application=application, facility=facility))
    lines.append(f"BTS{sep}{len(answers)}")
    if file_header:
        lines.append(f"FTS{sep}1")
    return "\r".join(lines) + "\r"
