"""The intake and processing hot paths: many connections at once (group commit, each ACK after its block is
committed), and a claimed batch processed with its lookups read ahead (statements per message, the same
outcome as message by message, and one message's failure kept to itself)."""

from __future__ import annotations

import asyncio
import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from carecoord.clinical.models import Condition, Encounter, EncounterStatus
from carecoord.patients.data import IdentifierData
from carecoord.testing.factories import make_patient
from carecoord.transitions.actions import receive_block
from carecoord.transitions.config import WorkerConfig
from carecoord.transitions.models import AdtEvent, AdtMessage, MessageStatus
from carecoord.transitions.processing import run_once
from carecoord.transitions.tests.helpers import acks_in, adt, msa, running_listener

WORKER = WorkerConfig(name="test-worker")
HEART_FAILURE = (("I50.9", "Heart failure, unspecified"),)


def _stored(control: str) -> bool:
    """Whether the message is in the database, seen from a connection of its own (in another thread)."""
    try:
        return AdtMessage.objects.filter(sending_facility="GENHOSP", control_id=control).exists()
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_connections_at_once_each_ack_follows_the_commit_and_a_message_sent_twice_is_stored_once():
    connections, per_connection = 6, 12

    async def client(port: int, number: int) -> list[tuple[str, str]]:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        answers = []
        try:
            for n in range(per_connection):
                # Connections 0 and 1 send the same messages at the same time (a sender retrying elsewhere).
                control = f"C{0 if number < 2 else number}N{n}"
                block = adt(control=control, mrn=f"MRN{number}", visit=f"V{number}")
                writer.write(b"\x0b" + block + b"\x1c\r")
                await writer.drain()
                reply = await asyncio.wait_for(reader.readuntil(b"\x1c\r"), 20)
                (ack,) = acks_in(reply[1:-2])
                answers.append(msa(ack)[:2])
                # Acknowledged means committed: another connection to the database sees it now.
                assert await asyncio.to_thread(_stored, control), control
        finally:
            writer.close()
        return answers

    async def scenario() -> list[list[tuple[str, str]]]:
        async with running_listener() as listener:
            return await asyncio.gather(*(client(listener.port, number) for number in range(connections)))

    replies = asyncio.run(scenario())
    assert all(code == "AA" for answers in replies for code, _ in answers)
    assert [control for _, control in replies[0]] == [control for _, control in replies[1]]
    assert AdtMessage.objects.count() == (connections - 1) * per_connection


@pytest.fixture
def people(alice_rn):
    return [
        make_patient(
            alice_rn,
            family_name=f"Person{n}",
            identifiers=[IdentifierData(kind="medicaid_cin", value=f"AB{n:05d}C")],
        )
        for n in range(12)
    ]


def _with_cin(block: bytes, cin: str) -> bytes:
    return block.replace(b"PID|1||", f"PID|1||{cin}^^^NYSDOH^MA~".encode())


@pytest.mark.django_db
def test_a_batch_takes_a_few_statements_per_message(people):
    for n in range(len(people)):
        visit = dict(mrn=f"MRN{n}", visit=f"V{n}", diagnoses=HEART_FAILURE)
        receive_block(raw=_with_cin(adt("A01", control=f"A{n}", **visit), f"AB{n:05d}C"), peer="test")
    with CaptureQueriesContext(connection) as statements:
        assert run_once(WORKER) == len(people)
    assert AdtMessage.objects.filter(status=MessageStatus.PROCESSED).count() == len(people)
    assert Encounter.objects.count() == Condition.objects.count() == len(people)
    # Processing's own statements (not the clinical actions' savepoints nor the audit trail's appends): about
    # fourteen per message, message by message; a batch reads ahead for all its messages at once.
    own = [
        q["sql"]
        for q in statements.captured_queries
        if not re.match(r'(SAVEPOINT|RELEASE|SELECT "id", "hash"|INSERT INTO "audit_|SELECT appended_id)', q["sql"])
    ]
    assert len(own) <= 6 * len(people), own


@pytest.mark.django_db
def test_two_keys_naming_one_person_in_a_batch_see_each_others_work(people):
    ana = people[0]
    # The hospital's MRN first, then the CIN first: two patient keys, one person, one visit, the same diagnosis.
    by_mrn = adt("A01", control="K1", diagnoses=HEART_FAILURE).replace(
        b"PID|1||MRN100^^^GENHOSP^MR", b"PID|1||MRN100^^^GENHOSP^MR~AB00000C^^^NYSDOH^MA"
    )
    receive_block(raw=by_mrn, peer="test")
    by_cin = adt("A03", control="K2", discharged="202401081200", diagnoses=HEART_FAILURE).replace(
        b"PID|1||MRN100^^^GENHOSP^MR", b"PID|1||AB00000C^^^NYSDOH^MA~MRN100^^^GENHOSP^MR"
    )
    receive_block(raw=by_cin, peer="test")
    assert len(set(AdtMessage.objects.values_list("patient_key", flat=True))) == 2
    assert run_once(WORKER) == 2
    assert set(AdtMessage.objects.values_list("status", flat=True)) == {MessageStatus.PROCESSED}
    encounter = Encounter.objects.get(patient=ana)
    assert encounter.status == EncounterStatus.FINISHED
    assert Condition.objects.filter(patient=ana).count() == 1
    assert list(AdtEvent.objects.order_by("pk").values_list("kind", flat=True)) == ["admission", "discharge"]


@pytest.mark.django_db
def test_a_message_that_fails_in_a_batch_fails_alone(people):
    future = (datetime.date.today() + datetime.timedelta(days=30)).strftime("%Y%m%d0800")
    for n in range(3):
        admitted = future if n == 1 else "202401050830"  # a stay that starts next month cannot be in progress
        block = _with_cin(adt("A01", control=f"F{n}", mrn=f"MRN{n}", visit=f"V{n}", admitted=admitted), f"AB{n:05d}C")
        receive_block(raw=block, peer="test")
    assert run_once(WORKER) == 3
    statuses = dict(AdtMessage.objects.values_list("control_id", "status"))
    assert statuses == {"F0": MessageStatus.PROCESSED, "F1": MessageStatus.FAILED, "F2": MessageStatus.PROCESSED}
    assert "not valid" in AdtMessage.objects.get(control_id="F1").status_reason
    assert Encounter.objects.count() == 2 and AdtEvent.objects.count() == 2
