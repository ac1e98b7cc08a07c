"""The MLLP listener over real sockets against the real database: every sample file, duplicates, garbage."""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path

import pytest

from carecoord.hl7v2.messages import read_block
from carecoord.transitions.models import AdtMessage, IntakeError
from carecoord.transitions.tests.helpers import TIMEOUT, acks_in, adt, exchange, msa, running_listener

SAMPLES = Path(__file__).resolve().parents[5] / "shared" / "data" / "hl7v2"
pytestmark = pytest.mark.django_db(transaction=True)


def _samples() -> list[tuple[dict[str, str], bytes]]:
    with (SAMPLES / "INDEX.csv").open(encoding="utf-8") as index:
        rows = list(csv.DictReader(index))
    found = []
    for row in rows:
        path = SAMPLES / row["path"]
        if path.exists():  # INDEX lists some sources whose files are not shipped here
            found.append((row, path.read_bytes()))
    return found


def _check_well_formed(reply: bytes) -> list[tuple[str, str, str]]:
    answers = []
    for message in acks_in(reply):
        assert str(message.segment("MSH")(9)).startswith("ACK")
        code, control, text = msa(message)
        assert code in ("AA", "AE", "AR")
        if code != "AA":
            assert text, "AE/AR carries MSA-3 text"
            assert str(message.segment("ERR")(8)), "AE/AR carries an ERR segment saying why"
        answers.append((code, control, text))
    return answers


def test_every_sample_file_gets_a_well_formed_ack_and_adt_is_stored_once():
    samples = _samples()
    assert len(samples) > 500
    groups = [samples[i::3] for i in range(3)]

    async def scenario() -> list[list[bytes]]:
        async with running_listener() as listener:
            return await asyncio.wait_for(
                asyncio.gather(
                    *(
                        exchange(listener.port, [raw for row, raw in group if row["mllp_framing_bytes"] != "True"])
                        for group in groups
                    )
                ),
                TIMEOUT * 10,
            )

    replies = asyncio.run(scenario())
    accepted: set[tuple[str, str]] = set()
    refused = 0
    for group, group_replies in zip(groups, replies, strict=True):
        sent = [(row, raw) for row, raw in group if row["mllp_framing_bytes"] != "True"]
        for (row, raw), reply in zip(sent, group_replies, strict=True):
            answers = _check_well_formed(reply)
            is_adt = row["msh9_types"] and all(t.startswith("ADT^") for t in row["msh9_types"].split(";"))
            if not is_adt:
                assert all(code != "AA" for code, _, _ in answers), row["path"]
                refused += 1
                continue
            block = read_block(raw)
            for message, (code, control, _) in zip(block.messages, answers, strict=True):
                if code == "AA":
                    assert message.header is not None
                    assert control == message.header.control_id
                    accepted.add((message.header.sending_facility, control))
    assert len(accepted) > 20
    assert AdtMessage.objects.count() == len(accepted)
    stored = set(AdtMessage.objects.values_list("sending_facility", "control_id"))
    assert stored == accepted
    assert IntakeError.objects.count() >= refused
    assert refused > 200


def test_known_samples_get_the_expected_codes():
    files = {
        "microsoft-fhir-converter/ADT-A01-01.hl7": "AA",  # v2.8, repetitions, escapes, sub-components
        # MSH-2 "^~\\&" (a Java string saved literally): escape and sub-component characters clash.
        "linuxforhealth-hl7v2-fhir-converter/files/sample_win.hl7": "AR",
        "linuxforhealth-hl7v2-fhir-converter/from-java-tests/002_FHIRConverterTest_L57.hl7": "AA",  # LF, A40
        # no MSH-10
        "linuxforhealth-hl7v2-fhir-converter/from-java-tests/012_Hl7PatientFHIRConversionTest_L36.hl7": "AE",
        "microsoft-fhir-converter/ORU-R01-01.hl7": "AR",  # not ADT
        "hl7apy-tests/021_test_parser_L215.hl7": "AR",  # encoding characters that are not distinct
        "hl7apy-tests/005_test_core_L1177.hl7": "AR",
    }
    raws = [(SAMPLES / path).read_bytes() for path in files]

    async def scenario() -> list[bytes]:
        async with running_listener() as listener:
            return await exchange(listener.port, raws)

    replies = asyncio.run(scenario())
    for (path, expected), reply in zip(files.items(), replies, strict=True):
        (code, _, _), *_ = _check_well_formed(reply)
        assert code == expected, (path, reply)


def test_batch_each_message_stored_and_acknowledged_in_a_batch_of_acks():
    raw = (SAMPLES / "python-hl7-tests/004_samples_L147.hl7").read_bytes()  # two batches; one control id repeats

    async def scenario() -> list[bytes]:
        async with running_listener() as listener:
            return await exchange(listener.port, [raw])

    (reply,) = asyncio.run(scenario())
    text = reply.decode()
    assert text.startswith("FHS|") and "\rBHS|" in text and text.rstrip("\r").endswith("FTS|1")
    answers = _check_well_formed(reply)
    assert [code for code, _, _ in answers] == ["AA", "AA", "AA"]
    assert [control for _, control, _ in answers] == ["12334456778890", "12334456778891", "12334456778890"]
    assert AdtMessage.objects.count() == 2


def test_duplicates_get_aa_and_are_stored_once_and_lf_and_custom_delimiters_are_read():
    first = adt(control="DUP1", sep="\n")
    custom = adt(control="CUSTOM1", mrn="MRN7").replace(b"|", b"$").replace(b"^", b"%").replace(b"$%~\\&", b"$%~\\&")

    async def scenario() -> list[bytes]:
        async with running_listener() as listener:
            return await exchange(listener.port, [first, first, adt(control="DUP1", sep="\r\n"), custom])

    replies = asyncio.run(scenario())
    assert [msa(acks_in(r)[0])[:2] for r in replies] == [
        ("AA", "DUP1"),
        ("AA", "DUP1"),
        ("AA", "DUP1"),
        ("AA", "CUSTOM1"),
    ]
    assert acks_in(replies[3])[0] is not None and replies[3].startswith(b"MSH$%~\\&$")
    assert AdtMessage.objects.count() == 2
    stored = AdtMessage.objects.get(control_id="DUP1")
    assert bytes(stored.raw) == first  # exactly as received
    assert stored.patient_key == "id:GENHOSP|MRN100"


def test_garbage_connection_is_closed_without_disturbing_a_good_one():
    async def scenario() -> tuple[bytes, list[bytes]]:
        async with running_listener() as listener:
            bad_reader, bad_writer = await asyncio.open_connection("127.0.0.1", listener.port)
            good = asyncio.create_task(
                exchange(listener.port, [adt(control=f"GOOD{i}", mrn=f"M{i}") for i in range(20)])
            )
            bad_writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n\x1c\r")
            await bad_writer.drain()
            answer = await asyncio.wait_for(bad_reader.read(), TIMEOUT)  # until the listener closes it
            bad_writer.close()
            return answer, await asyncio.wait_for(good, TIMEOUT)

    answer, replies = asyncio.run(scenario())
    assert answer.startswith(b"\x0bMSH|") and b"MSA|AR|" in answer and answer.endswith(b"\x1c\r")
    assert [msa(acks_in(r)[0])[0] for r in replies] == ["AA"] * 20
    assert AdtMessage.objects.count() == 20
    error = IntakeError.objects.get()
    assert b"GET / HTTP/1.1" in bytes(error.raw) and error.ack_code == "AR"


def test_idle_connection_is_closed():
    async def scenario() -> bytes:
        async with running_listener(idle_timeout=0.2) as listener:
            reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
            data = await asyncio.wait_for(reader.read(), TIMEOUT)
            writer.close()
            return data

    assert asyncio.run(scenario()) == b""


def test_non_adt_and_bad_versions_are_refused_with_a_reason_and_kept():
    oru = adt(control="O1").replace(b"ADT^A01^ADT_A01", b"ORU^R01")
    old = adt(control="V1", version="3.0")
    no_control = adt(control="")

    async def scenario() -> list[bytes]:
        async with running_listener() as listener:
            return await exchange(listener.port, [oru, old, no_control])

    replies = asyncio.run(scenario())
    codes = [msa(acks_in(r)[0]) for r in replies]
    assert codes[0][:2] == ("AR", "O1") and "ADT" in codes[0][2]
    assert codes[1][:2] == ("AR", "V1") and "version" in codes[1][2]
    assert codes[2][0] == "AE" and "MSH-10" in codes[2][2]
    assert str(acks_in(replies[0])[0].segment("ERR")(3)).startswith("200")
    assert IntakeError.objects.filter(status="new").count() == 3
    assert not AdtMessage.objects.exists()
