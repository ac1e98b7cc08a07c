"""People enrolled in a program whose hospitals send ADT, shared by the alert, workflow and page tests (each
test module wraps these in its own fixtures)."""

from __future__ import annotations

import datetime

from django.utils import timezone

from carecoord.accounts.models import User
from carecoord.consents.actions import ConsentData, record_consent
from carecoord.patients.data import IdentifierData
from carecoord.patients.models import Patient
from carecoord.programs.actions import enroll
from carecoord.programs.models import Enrollment, Program
from carecoord.testing.factories import make_patient
from carecoord.transitions.actions import receive_block
from carecoord.transitions.config import WorkerConfig
from carecoord.transitions.processing import run_once
from carecoord.transitions.tests.helpers import adt

WORKER = WorkerConfig(name="test-worker")
CIN = "AB12345C"


def enroll_person(patient: Patient, by: User, *, care_manager: User | None = None) -> Enrollment:
    record_consent(
        patient=patient,
        data=ConsentData(form="DOH-5055", signed_on=timezone.localdate(), partners=[by.organization]),
        by=by,
    )
    program = Program.objects.get(code="ny-hh-adult")
    return enroll(patient=patient, program=program, by=by, care_manager=care_manager or by)


def make_ana(by: User) -> Patient:
    """Ana Rivera, known to the hospital by her Medicaid CIN."""
    return make_patient(
        by,
        family_name="Rivera",
        given_names="Ana",
        birth_date=datetime.date(1950, 3, 12),
        identifiers=[IdentifierData(kind="medicaid_cin", value=CIN)],
    )


def message(event: str, control: str, **kwargs: object) -> bytes:
    """An ADT message naming Ana by MRN and CIN."""
    return adt(event, control=control, **kwargs).replace(  # type: ignore[arg-type]
        b"PID|1||MRN100^^^GENHOSP^MR||", f"PID|1||MRN100^^^GENHOSP^MR~{CIN}^^^NYSDOH^MA||".encode()
    )


def stamp(moment: datetime.datetime) -> str:
    return moment.strftime("%Y%m%d%H%M")


def process(*messages: bytes) -> int:
    """Store the messages as the listener does, then run the worker until nothing waits."""
    for raw in messages:
        reply = receive_block(raw=raw, peer="test")
        assert b"MSA|AA|" in reply.ack, reply.ack
    return run_once(WORKER)
