"""Alerts end to end: ADT messages stored and processed for an enrolled person become notices and tasks; cancels
withdraw them; a message processed again alerts nobody twice; people not enrolled get no alert."""

from __future__ import annotations

import datetime

import pytest

from carecoord.notifications.models import Notification
from carecoord.tasks.models import Task
from carecoord.testing.factories import make_patient
from carecoord.transitions.models import AdtEvent, AdtMessage, EventAlert, MessageStatus, Transition
from carecoord.transitions.processing import run_once
from carecoord.transitions.tests.enrolled import WORKER, enroll_person, make_ana, message, process
from carecoord.transitions.tests.helpers import adt


@pytest.fixture
def ana(alice_rn):
    return make_ana(alice_rn)


@pytest.fixture
def enrolled(ana, alice_rn):
    enroll_person(ana, alice_rn)
    return ana


HEART_FAILURE = (("I50.9", "Heart failure, unspecified"),)


def test_admission_alerts_the_care_manager_and_the_organization_with_a_task(enrolled, alice_rn):
    process(message("A01", "M1", diagnoses=HEART_FAILURE, admitted="202611200830"))
    notices = Notification.objects.filter(patient=enrolled).order_by("user_id")
    assert len(notices) == 2
    assert {n.user_id for n in notices} == {None, alice_rn.pk}
    for notice in notices:
        assert notice.kind == "hospital_event" and notice.organization_id == alice_rn.organization_id
        assert notice.title == "Admitted to GENHOSP"
        assert "I50.9 Heart failure, unspecified" in notice.body and "Ana Rivera" in notice.body
    task = Task.objects.get(patient=enrolled)
    assert task.title == "Admitted to GENHOSP: contact the hospital team"
    assert (task.owner_id, task.reason, task.status, task.priority) == (
        alice_rn.pk,
        "transition-admission",
        "accepted",
        "urgent",
    )
    assert EventAlert.objects.get().task_id == task.pk


def test_ed_visit_and_observation_alert_too(enrolled):
    process(message("A04", "E1", patient_class="E", visit="V200"))
    process(message("A04", "O1", patient_class="O", visit="V300", extra="PV2|||^OBSERVATION"))
    titles = set(Notification.objects.filter(user__isnull=True).values_list("title", flat=True))
    assert "ED visit at GENHOSP" in titles
    reasons = set(Task.objects.values_list("reason", flat=True))
    assert "transition-ed-visit" in reasons


def test_discharge_opens_the_transition_and_its_contact_task(enrolled, alice_rn):
    process(
        message("A01", "M1", admitted="202611200830"),
        message("A03", "M2", admitted="202611200830", discharged="202611251200", disposition="01"),
    )
    transition = Transition.objects.get(patient=enrolled)
    assert transition.contact_due == datetime.date(2026, 11, 30)
    discharge = Notification.objects.filter(user=alice_rn, title="Discharged from GENHOSP").get()
    assert "contact due by Mon 30 Nov" in discharge.body
    assert discharge.link == f"/transitions/{transition.pk}/"
    contact = Task.objects.get(reason="transition-contact")
    assert contact.focus == f"Transition/{transition.pk}" and contact.owner_id == alice_rn.pk
    alert = EventAlert.objects.get(event__kind="discharge")
    assert alert.task_id == contact.pk


def test_a_cancelled_admission_withdraws_its_task_and_sends_a_correction(enrolled, alice_rn):
    process(message("A01", "M1", admitted="202611200830"), message("A11", "M2"))
    task = Task.objects.get(reason="transition-admission")
    assert task.status == "entered-in-error" and "cancelled the admission (A11)" in task.status_reason
    corrections = Notification.objects.filter(title__startswith="Correction: admission at GENHOSP")
    assert {n.user_id for n in corrections} == {None, alice_rn.pk}
    assert EventAlert.objects.get().corrected_at is not None


def test_a_cancelled_discharge_cancels_the_transition_and_its_tasks(enrolled):
    process(
        message("A01", "M1", admitted="202611200830"),
        message("A03", "M2", admitted="202611200830", discharged="202611251200", disposition="01"),
        message("A13", "M3"),
    )
    transition = Transition.objects.get()
    assert transition.status == "cancelled" and "(A13)" in transition.status_reason
    steps = Task.objects.filter(focus=f"Transition/{transition.pk}")
    assert steps.exists() and set(steps.values_list("status", flat=True)) == {"entered-in-error"}
    assert Task.objects.get(reason="transition-admission").status == "accepted"  # the stay itself stands
    assert Notification.objects.filter(title="Correction: discharge at GENHOSP cancelled").count() == 2
    # The corrected discharge arrives: the same transition opens again with its tasks.
    process(message("A03", "M4", admitted="202611200830", discharged="202611271000", disposition="01"))
    transition.refresh_from_db()
    assert transition.status == "open" and transition.discharge_date == datetime.date(2026, 11, 27)
    assert transition.contact_due == datetime.date(2026, 12, 1)
    assert Task.objects.filter(focus=f"Transition/{transition.pk}", status="accepted").count() >= 2


def test_reprocessing_a_message_never_alerts_twice(enrolled):
    process(message("A01", "M1", admitted="202611200830"), message("A01", "M1", admitted="202611200830"))
    AdtMessage.objects.update(status=MessageStatus.RECEIVED)
    assert run_once(WORKER) == 1
    assert Notification.objects.count() == 2 and Task.objects.count() == 1
    # The hospital resends the admission under a new control id: the visit was already alerted.
    process(message("A01", "M1-RESENT", admitted="202611200830"))
    assert AdtEvent.objects.filter(kind="admission").count() == 2
    assert Notification.objects.count() == 2 and Task.objects.count() == 1


def test_people_not_enrolled_get_no_alert(ana, alice_rn):
    process(
        message("A01", "M1", admitted="202611200830"),
        message("A03", "M2", admitted="202611200830", discharged="202611251200", disposition="01"),
    )
    assert AdtEvent.objects.filter(patient=ana).count() == 2
    assert not Notification.objects.exists() and not Task.objects.exists() and not Transition.objects.exists()
    assert not EventAlert.objects.exists()


def test_a_discharge_to_a_nursing_facility_alerts_without_a_transition(enrolled, alice_rn):
    process(
        message("A01", "M1", admitted="202611200830"),
        message("A03", "M2", admitted="202611200830", discharged="202611251200", disposition="03"),
    )
    assert not Transition.objects.exists()
    title = "Discharged from GENHOSP to skilled nursing facility"
    assert Notification.objects.filter(user=alice_rn, title=title).exists()


def test_another_persons_messages_do_not_touch_the_enrolled(enrolled, alice_rn):
    other = make_patient(
        alice_rn, family_name="Okoro", given_names="Chidi", birth_date=datetime.date(1961, 7, 1), sex="male"
    )
    process(adt("A01", control="M1", mrn="X9", family="OKORO", given="CHIDI", birth="19610701", sex="M"))
    assert AdtEvent.objects.get().patient_id == other.pk
    assert not Notification.objects.exists()
