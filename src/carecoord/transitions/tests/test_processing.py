"""Processing stored ADT messages: encounters for matched people, review for the others, cancels, idempotency."""

from __future__ import annotations

import datetime
import threading
import zoneinfo

import pytest

from carecoord.clinical.models import Condition, Encounter, EncounterStatus
from carecoord.common.errors import AccessDenied
from carecoord.patients.data import IdentifierData
from carecoord.patients.models import Patient
from carecoord.testing.factories import make_patient
from carecoord.transitions import processing
from carecoord.transitions.actions import (
    dismiss_intake_error,
    link_message_to_patient,
    receive_block,
    replay_intake_error,
)
from carecoord.transitions.config import WorkerConfig
from carecoord.transitions.models import AdtEvent, AdtMessage, IntakeError, MessageStatus
from carecoord.transitions.processing import claim, process_claimed, release_stale_claims, run_once
from carecoord.transitions.queries import list_intake_errors, list_review_queue
from carecoord.transitions.tests.helpers import adt

WORKER = WorkerConfig(name="test-worker")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


@pytest.fixture
def ana(alice_rn):
    """A person the hospital knows by Medicaid CIN; her MRN at GENHOSP is not in the registry."""
    return make_patient(
        alice_rn,
        family_name="Rivera",
        given_names="Ana",
        birth_date=datetime.date(1950, 3, 12),
        identifiers=[IdentifierData(kind="medicaid_cin", value="AB12345C")],
    )


def receive(*messages: bytes) -> None:
    for message in messages:
        reply = receive_block(raw=message, peer="test")
        assert b"MSA|AA|" in reply.ack, reply.ack


def cin_pid(control: str, event: str, **kwargs: object) -> bytes:
    return adt(event, control=control, **kwargs).replace(  # type: ignore[arg-type]
        b"PID|1||MRN100^^^GENHOSP^MR||", b"PID|1||MRN100^^^GENHOSP^MR~AB12345C^^^NYSDOH^MA||"
    )


def test_admission_and_discharge_make_one_finished_encounter_with_diagnoses(ana):
    receive(
        cin_pid("M1", "A01", diagnoses=(("I50.9", "Heart failure, unspecified"),)),
        cin_pid("M2", "A03", discharged="202401081200", disposition="03"),
    )
    assert run_once(WORKER) == 2
    encounter = Encounter.objects.get(patient=ana)
    assert encounter.status == EncounterStatus.FINISHED
    assert encounter.encounter_class == "IMP"
    assert encounter.source == "hl7v2" and encounter.source_identifier == "V100"
    assert encounter.discharge_disposition == "snf"
    assert encounter.service == "med" and encounter.priority == "EM" and encounter.admit_source == "emd"
    assert encounter.facility_name == "GENHOSP"
    assert encounter.period_start == datetime.datetime(2024, 1, 5, 8, 30, tzinfo=NEW_YORK)
    assert encounter.period_end == datetime.datetime(2024, 1, 8, 12, 0, tzinfo=NEW_YORK)
    condition = Condition.objects.get(patient=ana)
    assert (condition.code, condition.category, condition.encounter_id) == (
        "I50.9",
        "encounter-diagnosis",
        encounter.pk,
    )
    kinds = list(AdtEvent.objects.filter(patient=ana).order_by("pk").values_list("kind", flat=True))
    assert kinds == ["admission", "discharge"]
    assert set(AdtMessage.objects.values_list("status", flat=True)) == {MessageStatus.PROCESSED}


def test_processing_twice_changes_nothing(ana):
    receive(cin_pid("M1", "A01"), cin_pid("M1", "A01"))  # the resend is not stored
    run_once(WORKER)
    message = AdtMessage.objects.get()
    # Someone forces it back to waiting: it is claimed again, but it already produced its events.
    AdtMessage.objects.filter(pk=message.pk).update(status=MessageStatus.RECEIVED)
    assert run_once(WORKER) == 1
    assert AdtEvent.objects.count() == 1
    assert Encounter.objects.count() == 1


def test_cancel_admit_retracts_the_visit_and_its_diagnoses(ana):
    receive(cin_pid("M1", "A01", diagnoses=(("J18.9", "Pneumonia"),)), cin_pid("M2", "A11"))
    run_once(WORKER)
    encounter = Encounter.objects.get(patient=ana)
    assert encounter.status == EncounterStatus.ENTERED_IN_ERROR
    assert Condition.objects.get(patient=ana).verification_status == "entered-in-error"
    admission, cancel = AdtEvent.objects.order_by("pk")
    assert cancel.kind == "cancel" and cancel.retracts_id == admission.pk
    admission.refresh_from_db()
    assert admission.retracted_by_id == cancel.pk


def test_cancel_discharge_reopens_the_stay_and_nothing_else(ana):
    receive(
        cin_pid("M1", "A01"),
        cin_pid("M2", "A03", discharged="202401081200", disposition="01"),
        cin_pid("M3", "A13"),
    )
    run_once(WORKER)
    encounter = Encounter.objects.get(patient=ana)
    assert encounter.status == EncounterStatus.IN_PROGRESS
    assert encounter.period_end is None and encounter.discharge_disposition == ""
    assert encounter.period_start == datetime.datetime(2024, 1, 5, 8, 30, tzinfo=NEW_YORK)


def test_emergency_visit_and_demographic_fallback_when_unique(alice_rn):
    person = make_patient(
        alice_rn, family_name="Okoro", given_names="Chidi James", birth_date=datetime.date(1961, 7, 1), sex="male"
    )
    receive(
        adt("A04", control="E1", mrn="X9", family="OKORO", given="CHIDI", birth="19610701", sex="M", patient_class="E")
    )
    run_once(WORKER)
    event = AdtEvent.objects.get()
    assert (event.kind, event.patient_id) == ("ed-visit", person.pk)
    assert Encounter.objects.get(patient=person).encounter_class == "EMER"


def test_unmatched_waits_in_review_with_later_messages_until_linked(ana, alice_rn, audrey_auditor):
    receive(adt("A01", control="U1"), adt("A03", control="U2", discharged="202401081200"))
    # No CIN in these messages and the registry knows her under another family name: nobody matches.
    Patient.objects.filter(pk=ana.pk).update(family_folded="someoneelse")
    run_once(WORKER)
    first, second = AdtMessage.objects.order_by("pk")
    assert first.status == MessageStatus.REVIEW and "registry" in first.status_reason
    assert second.status == MessageStatus.RECEIVED  # held behind the first: in order per person
    assert [m.pk for m in list_review_queue()] == [first.pk]
    with pytest.raises(AccessDenied):
        link_message_to_patient(message=first, patient=ana, by=audrey_auditor)
    done = link_message_to_patient(message=first, patient=ana, by=alice_rn)
    assert [m.status for m in done] == [MessageStatus.PROCESSED, MessageStatus.PROCESSED]
    assert Encounter.objects.get(patient=ana).status == EncounterStatus.FINISHED
    # The facility's MRN now matches without review.
    receive(adt("A08", control="U3"))
    run_once(WORKER)
    assert AdtMessage.objects.get(control_id="U3").patient_id == ana.pk


def test_unused_events_are_ignored(ana):
    receive(cin_pid("M1", "A60"))
    run_once(WORKER)
    assert AdtMessage.objects.get().status == MessageStatus.IGNORED
    assert not AdtEvent.objects.exists()


def test_two_workers_never_hold_the_same_message_and_stale_claims_are_released(ana):
    receive(cin_pid("M1", "A01"), adt("A01", control="O1", mrn="OTHER1", family="NOBODY"))
    first = claim(worker="w1", limit=10)
    assert [m.control_id for m in first] == ["M1", "O1"]
    assert claim(worker="w2", limit=10) == []
    # w1 dies; its claims are released after the timeout and another worker finishes the work.
    AdtMessage.objects.update(claimed_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC))
    assert release_stale_claims(older_than=60) == 2
    second = claim(worker="w2", limit=10)
    assert len(second) == 2
    # The slow first worker wakes up: its claim is gone, so nothing it does is kept.
    assert process_claimed(first[0], worker="w1") == MessageStatus.PROCESSING
    assert not AdtEvent.objects.exists()
    for message in second:
        process_claimed(message, worker="w2")
    assert AdtEvent.objects.count() == 1


def test_intake_errors_are_replayed_after_repair_or_dismissed(olga_admin, bob_coordinator):
    broken = adt(control="")
    receive_block(raw=broken, peer="test")
    receive_block(raw=b"hello", peer="test")
    missing, garbage = IntakeError.objects.order_by("pk")
    assert [e.pk for e in list_intake_errors()] == [missing.pk, garbage.pk]
    with pytest.raises(AccessDenied):
        dismiss_intake_error(error=garbage, by=bob_coordinator, note="noise")
    replay_intake_error(error=missing, by=olga_admin, raw=adt(control="FIXED1"), note="control id added")
    missing.refresh_from_db()
    assert missing.status == "replayed" and missing.message.control_id == "FIXED1"
    dismiss_intake_error(error=garbage, by=olga_admin, note="port scanner")
    assert list_intake_errors() == []


def test_queues_are_seen_only_by_the_roles_that_work_them(olga_admin, bob_coordinator, audrey_auditor):
    from carecoord.transitions.access import access_intake_errors, access_review_queue

    receive_block(raw=b"hello", peer="test")
    assert len(access_intake_errors(olga_admin)) == 1
    with pytest.raises(AccessDenied):
        access_intake_errors(bob_coordinator)
    assert access_review_queue(bob_coordinator) == []
    with pytest.raises(AccessDenied):
        access_review_queue(audrey_auditor)


def test_a_stopping_worker_finishes_the_batch_in_hand_and_claims_no_more(ana):
    receive(*(cin_pid(f"S{n}", "A08") for n in range(3)))
    one_at_a_time = WorkerConfig(name="test-worker", batch_size=1)
    stop = threading.Event()
    real = processing.process_batch

    def then_stop(messages, **kwargs):
        real(messages, **kwargs)
        stop.set()  # SIGTERM arrives while the first batch is being applied

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(processing, "process_batch", then_stop)
        assert run_once(one_at_a_time, stop) == 1
    waiting = AdtMessage.objects.filter(status=MessageStatus.RECEIVED)
    assert waiting.count() == 2 and not waiting.exclude(claimed_by="").exists()  # left for the next worker
    assert run_once(one_at_a_time) == 2
