"""HL7 v2 messages as they arrive in an MLLP block: decoding, segment splitting, batches and the MSH header.

Receivers meet real senders here: CR, LF or CRLF between segments (often mixed), a UTF-8 byte order mark,
custom encoding characters in MSH-1/MSH-2, and FHS/BHS batches. ``read_block`` turns one block into the
messages it carries, each with its own bytes exactly as received and its header, without judging whether
CareCoord accepts them (that is ``transitions``' business). Fields are read from the text with the message's
own delimiters (``transitions.adt``): one pass, no second parse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

BOM = b"\xef\xbb\xbf"
_SEPARATORS = re.compile(r"(\r\n|\r|\n)")
_BATCH_SEGMENTS = ("FHS", "BHS", "BTS", "FTS")
DEFAULT_ENCODING_CHARACTERS = "^~\\&"


class MessageError(Exception):
    """A block or message cannot be read. ``code`` is an HL7 table 0357 error code, ``location`` an ERR-2."""

    def __init__(self, message: str, *, code: str = "100", location: str = ""):
        super().__init__(message)
        self.code = code
        self.location = location


@dataclass(frozen=True)
class Delimiters:
    field: str = "|"
    component: str = "^"
    repetition: str = "~"
    escape: str = "\\"
    subcomponent: str = "&"

    @property
    def encoding_characters(self) -> str:
        return f"{self.component}{self.repetition}{self.escape}{self.subcomponent}"

    def escape_text(self, text: str) -> str:
        """Text made safe for a field: each delimiter replaced by its escape sequence (HL7 v2 2.7)."""
        esc = self.escape
        out = []
        for char in text:
            if char == esc:
                out.append(f"{esc}E{esc}")
            elif char == self.field:
                out.append(f"{esc}F{esc}")
            elif char == self.component:
                out.append(f"{esc}S{esc}")
            elif char == self.repetition:
                out.append(f"{esc}R{esc}")
            elif char == self.subcomponent:
                out.append(f"{esc}T{esc}")
            elif char in "\r\n":
                out.append(" ")
            else:
                out.append(char)
        return "".join(out)


@dataclass(frozen=True)
class Header:
    """What MSH says about a message: who sent it, its control id, type and version (as sent, unescaped)."""

    delimiters: Delimiters
    fields: tuple[str, ...]  # MSH-1 is fields[1]; fields[n] is MSH-n, raw (escaped) text

    def raw(self, number: int) -> str:
        return self.fields[number] if number < len(self.fields) else ""

    def component(self, number: int, index: int = 1) -> str:
        parts = self.raw(number).split(self.delimiters.repetition)[0].split(self.delimiters.component)
        return unescape(parts[index - 1], self.delimiters).strip() if index <= len(parts) else ""

    @property
    def sending_application(self) -> str:
        return self.raw(3)

    @property
    def sending_facility(self) -> str:
        """MSH-4 as sent (all components): the namespace half of the deduplication key."""
        return self.raw(4).strip()

    @property
    def control_id(self) -> str:
        return unescape(self.raw(10), self.delimiters).strip()

    @property
    def message_code(self) -> str:
        return self.component(9, 1).upper()

    @property
    def trigger_event(self) -> str:
        return self.component(9, 2).upper()

    @property
    def message_structure(self) -> str:
        return self.component(9, 3).upper()

    @property
    def processing_id(self) -> str:
        return self.component(11, 1)

    @property
    def version(self) -> str:
        return self.component(12, 1)

    @property
    def message_type(self) -> str:
        return "^".join(part for part in (self.message_code, self.trigger_event) if part)


@dataclass
class ReceivedMessage:
    """One message from a block: its bytes as received, its text with CR separators, and its header."""

    raw: bytes
    text: str
    header: Header | None
    error: MessageError | None = None


@dataclass
class Block:
    """What one MLLP block carried: one message, or a batch (FHS/BHS ... BTS/FTS) of them."""

    raw: bytes
    charset: str
    messages: list[ReceivedMessage] = field(default_factory=list)
    batch_header: Header | None = None  # BHS (or FHS when there is no BHS), read like an MSH
    file_header: bool = False
    error: MessageError | None = None  # the block as a whole cannot be read

    @property
    def is_batch(self) -> bool:
        return self.batch_header is not None or len(self.messages) > 1


def decode(raw: bytes) -> tuple[str, str]:
    """The block's text and the character set it was read in (UTF-8, else Latin-1, which reads any byte)."""
    body = raw[len(BOM) :] if raw.startswith(BOM) else raw
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return body.decode("latin-1"), "latin-1"


def delimiters_of(segment: str) -> Delimiters:
    """The delimiters a MSH/BHS/FHS segment declares in its first two fields."""
    if len(segment) < 4:
        raise MessageError(f"{segment[:3] or 'The header'} segment is too short to declare its delimiters.")
    field_sep = segment[3]
    if field_sep.isalnum() or field_sep in " \r\n":
        raise MessageError(f"{field_sep!r} cannot be the field separator.", location=f"{segment[:3]}^1^1")
    encoding = segment[4:].split(field_sep, 1)[0]
    chars = (encoding + DEFAULT_ENCODING_CHARACTERS[len(encoding) :])[:4] if len(encoding) < 4 else encoding[:4]
    if len(encoding) < 2:
        raise MessageError("MSH-2 must give at least the component and repetition characters.", location="MSH^1^2")
    used = [field_sep, *chars]
    if len(set(used)) != len(used) or any(char.isalnum() or char in " \r\n" for char in chars):
        raise MessageError(f"MSH-2 encoding characters {encoding!r} are not distinct delimiters.", location="MSH^1^2")
    return Delimiters(field_sep, chars[0], chars[1], chars[2], chars[3])


def read_header(segment: str) -> Header:
    delimiters = delimiters_of(segment)
    rest = segment[4:].split(delimiters.field)
    return Header(delimiters, (segment[:3], delimiters.field, *rest))


def unescape(text: str, delimiters: Delimiters) -> str:
    """Field text with HL7 escape sequences resolved (\\F\\ \\S\\ \\T\\ \\R\\ \\E\\ \\.br\\ \\Xhh\\; others dropped)."""
    esc = delimiters.escape
    if esc not in text:
        return text
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        end = text.find(esc, i + 1) if char == esc else -1
        if end == -1:
            out.append(char)
            i += 1
            continue
        sequence = text[i + 1 : end]
        simple = {
            "F": delimiters.field,
            "S": delimiters.component,
            "T": delimiters.subcomponent,
            "R": delimiters.repetition,
            "E": esc,
            ".br": "\n",
        }
        if sequence in simple:
            out.append(simple[sequence])
        elif sequence.startswith("X") and len(sequence) > 1:
            try:
                out.append(bytes.fromhex(sequence[1:]).decode("latin-1"))
            except ValueError:
                out.append(sequence)
        # \H\, \N\, \Cxxyy\, \Mxxyyzz\, \Zxx\: formatting and character-set switches carry no text.
        i = end + 1
    return "".join(out)


def _pieces(text: str) -> list[tuple[str, str]]:
    """(segment, separator as received) pairs; blank lines dropped."""
    parts = _SEPARATORS.split(text)
    pairs = []
    for index in range(0, len(parts), 2):
        segment = parts[index]
        separator = parts[index + 1] if index + 1 < len(parts) else ""
        if segment.strip():
            pairs.append((segment.lstrip(" \t"), separator))
    return pairs


def _message(pairs: list[tuple[str, str]], charset: str, raw: bytes | None) -> ReceivedMessage:
    text = "\r".join(segment for segment, _ in pairs) + "\r"
    original = raw if raw is not None else "".join(s + sep for s, sep in pairs).encode(charset)
    try:
        header = read_header(pairs[0][0])
    except MessageError as error:
        return ReceivedMessage(original, text, None, error)
    return ReceivedMessage(original, text, header)


def read_block(raw: bytes) -> Block:
    """Split one MLLP block into its messages (one, or a batch), keeping each one's bytes as received."""
    text, charset = decode(raw)
    block = Block(raw=raw, charset=charset)
    pairs = _pieces(text)
    if not pairs:
        block.error = MessageError("The block is empty.", code="100")
        return block
    first = pairs[0][0][:3]
    if first not in ("MSH", *_BATCH_SEGMENTS):
        block.error = MessageError(
            f"Not an HL7 v2 message: it starts with {pairs[0][0][:20]!r}, not MSH, BHS or FHS.", location="MSH"
        )
        return block
    if first == "MSH" and not any(segment.startswith(("MSH", *_BATCH_SEGMENTS)) for segment, _ in pairs[1:]):
        block.messages.append(_message(pairs, charset, raw))
        return block
    current: list[tuple[str, str]] | None = None
    for segment, separator in pairs:
        kind = segment[:3]
        if kind in _BATCH_SEGMENTS:
            if kind in ("FHS", "BHS"):
                block.file_header = block.file_header or kind == "FHS"
                try:
                    header = read_header(segment)
                except MessageError as error:
                    block.error = error
                    return block
                if kind == "BHS" or block.batch_header is None:
                    block.batch_header = header
            if current:
                block.messages.append(_message(current, charset, None))
            current = None
        elif kind == "MSH":
            if current:
                block.messages.append(_message(current, charset, None))
            current = [(segment, separator)]
        elif current is None:
            block.error = MessageError(f"Segment {kind} comes before any MSH in the batch.", location=kind)
            return block
        else:
            current.append((segment, separator))
    if current:
        block.messages.append(_message(current, charset, None))
    if not block.messages:
        block.error = MessageError("The batch carries no message (no MSH segment).", location="MSH")
    return block
