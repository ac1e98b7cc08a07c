"""MLLP test client and message builders shared by the transitions tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import hl7
from hl7.mllp import open_hl7_connection

from carecoord.transitions.config import ListenerConfig
from carecoord.transitions.listener import Listener

TIMEOUT = 20


@contextlib.asynccontextmanager
async def running_listener(**overrides: object) -> AsyncIterator[Listener]:
    config = ListenerConfig(port=0, **overrides)  # type: ignore[arg-type]
    listener = Listener(config)
    await listener.start()
    try:
        yield listener
    finally:
        await listener.close()


async def exchange(port: int, blocks: list[bytes], *, framed: bool = False) -> list[bytes]:
    """Send each block on one connection and read its acknowledgement before sending the next."""
    reader, writer = await open_hl7_connection("127.0.0.1", port, limit=8 * 1024 * 1024)
    replies = []
    try:
        for block in blocks:
            if framed:
                writer.write(block)
            else:
                writer.writeblock(block)
            await writer.drain()
            replies.append(await asyncio.wait_for(reader.readblock(), TIMEOUT))
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()
    return replies


def acks_in(reply: bytes) -> list[hl7.Message]:
    """The ACK messages in a reply (one, or several in a batch)."""
    text = reply.decode("utf-8", "replace")
    segments = [s for s in text.split("\r") if s]
    messages: list[list[str]] = []
    for segment in segments:
        if segment.startswith("MSH"):
            messages.append([segment])
        elif segment[:3] in ("FHS", "BHS", "BTS", "FTS"):
            continue
        else:
            messages[-1].append(segment)
    return [hl7.parse("\r".join(m)) for m in messages]


def msa(message: hl7.Message) -> tuple[str, str, str]:
    segment = message.segment("MSA")
    code = str(segment(1))
    control = str(segment(2)) if len(segment) > 2 else ""
    text = str(segment(3)) if len(segment) > 3 else ""
    return code, control, text


def adt(
    event: str = "A01",
    *,
    control: str = "MSG1",
    facility: str = "GENHOSP",
    mrn: str = "MRN100",
    authority: str = "GENHOSP",
    family: str = "RIVERA",
    given: str = "ANA",
    birth: str = "19500312",
    sex: str = "F",
    visit: str = "V100",
    patient_class: str = "I",
    admitted: str = "202401050830",
    discharged: str = "",
    disposition: str = "",
    diagnoses: tuple[tuple[str, str], ...] = (),
    extra: str = "",
    sep: str = "\r",
    version: str = "2.5.1",
) -> bytes:
    segments = [
        f"MSH|^~\\&|ADTAPP|{facility}|CARECOORD|CC|20240105083000||ADT^{event}^ADT_A01|{control}|P|{version}",
        f"EVN|{event}|20240105083000",
        f"PID|1||{mrn}^^^{authority}^MR||{family}^{given}||{birth}|{sex}",
        _pv1(
            {
                2: patient_class,
                3: f"4W^401^A^{facility}",
                4: "E",
                10: "MED",
                14: "7",
                19: visit,
                36: disposition,
                44: admitted,
                45: discharged,
            }
        ),
    ]
    for number, (code, display) in enumerate(diagnoses, start=1):
        segments.append(f"DG1|{number}|I10|{code}^{display}^I10||20240105|A")
    if extra:
        segments.append(extra)
    return (sep.join(segments) + sep).encode()


def _pv1(values: dict[int, str]) -> str:
    fields = ["PV1", "1"] + [""] * 45
    for number, value in values.items():
        fields[number] = value
    return "|".join(fields).rstrip("|")
