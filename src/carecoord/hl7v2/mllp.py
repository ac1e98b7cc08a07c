"""MLLP framing (HL7 v2 Appendix C): a block is VT (0x0B) + message + FS (0x1C) + CR (0x0D).

The server side uses python-hl7's asyncio support (``hl7.mllp.start_hl7_server``). Blocks are read with
``read_block`` instead of ``HL7StreamReader.readblock``: the same ``readuntil(FS CR)``, but it keeps the bytes
of a block that does not start with VT (they go to the error queue), and it tolerates whitespace between
blocks, which some senders write.
"""

from __future__ import annotations

import asyncio

START_BLOCK = b"\x0b"
END_BLOCK = b"\x1c\x0d"
_BETWEEN_BLOCKS = b"\r\n \t"


class FramingError(Exception):
    """The bytes before FS CR are not a block (no VT), or the block is larger than the limit."""

    def __init__(self, message: str, raw: bytes):
        super().__init__(message)
        self.raw = raw


def frame(data: bytes) -> bytes:
    return START_BLOCK + data + END_BLOCK


async def read_block(reader: asyncio.StreamReader) -> bytes:
    """The next block's content (without VT and FS CR).

    Raises ``asyncio.IncompleteReadError`` at the end of the stream (``partial`` holds any unfinished block)
    and ``FramingError`` for a block without VT or beyond the reader's limit; after a FramingError the
    connection should be closed, as the stream cannot be trusted to be in step.
    """
    try:
        data = await reader.readuntil(END_BLOCK)
    except asyncio.LimitOverrunError:
        head = await reader.read(4096)
        raise FramingError("The block is larger than the receiver accepts.", head) from None
    content = data[: -len(END_BLOCK)].lstrip(_BETWEEN_BLOCKS)
    if not content.startswith(START_BLOCK):
        raise FramingError("The block does not start with the MLLP start byte <VT> (0x0B).", data)
    return content[len(START_BLOCK) :]
