"""Contacts through HTTP: quick entry from the chart, the timer across requests, the contact log and time, who
may see what, and the audit."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from carecoord.audit.models import AuditRecord
from carecoord.common.errors import ValidationFailed
from carecoord.contacts.actions import ContactData, record_contact, start_timer
from carecoord.contacts.models import Contact, ContactTimer, MonthStatus, Readiness, TimeEntry
from carecoord.contacts.tests.helpers import THIS_MONTH, enrolled
from carecoord.web.testing import plain_static_files, signed_in  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def hh(alice_rn, maria):
    return enrolled(alice_rn, "ny-hh-adult", patient=maria, care_manager=alice_rn, acuity="high")


def _post_contact(client, patient, **fields):
    data = {"modality": "phone", "outcome": "reached", "next": reverse("web:chart", args=[patient.pk]), **fields}
    return client.post(reverse("contacts:new", args=[patient.pk]), data)


def test_the_chart_panel_offers_quick_entry_with_defaults(client, alice_rn, maria, hh):
    html = signed_in(client, alice_rn).get(reverse("web:chart", args=[maria.pk])).content.decode()
    assert 'id="quick-contact"' in html
    assert '<option value="phone" selected>' in html
    assert f'<option value="{hh.pk}" selected>' in html
    assert "At risk" in html and "1 core service" in html and "left" in html


def test_a_contact_saved_from_the_chart_turns_the_month_billable(client, alice_rn, maria, hh):
    signed_in(client, alice_rn)
    response = _post_contact(
        client, maria, enrollment=str(hh.pk), duration_minutes="12", core_services=["care-management"]
    )
    assert response.status_code == 302 and response["Location"] == reverse("web:chart", args=[maria.pk])
    saved = Contact.objects.get()
    assert (saved.duration_minutes, saved.core_services, saved.by_id, saved.staff_type) == (
        12,
        ["care-management"],
        alice_rn.pk,
        "clinical",
    )
    assert MonthStatus.objects.get(enrollment=hh, month=THIS_MONTH).status == Readiness.BILLABLE
    html = client.get(reverse("web:chart", args=[maria.pk])).content.decode()
    assert "✓ Billable" in html and "Health Home enrolled month (high acuity)" in html and "12 min recorded" in html
    audit = AuditRecord.objects.get(object_type="Contact", object_id=str(saved.pk))
    assert (audit.action, audit.patient_id, audit.user_id) == ("create", maria.pk, alice_rn.pk)


def test_the_timer_survives_a_reload_and_measures_the_contact(client, alice_rn, maria, hh):
    signed_in(client, alice_rn)
    chart = reverse("web:chart", args=[maria.pk])
    client.post(reverse("contacts:timer_start", args=[maria.pk]), {"next": chart})
    timer = ContactTimer.objects.get(user=alice_rn, patient=maria)
    client.post(reverse("contacts:timer_start", args=[maria.pk]), {"next": chart})  # another tab: same timer
    assert ContactTimer.objects.get().started_at == timer.started_at
    # Eleven and a half minutes on the phone later, the page is reloaded: the timer is still there.
    ContactTimer.objects.update(started_at=timezone.now() - datetime.timedelta(minutes=11, seconds=30))
    html = client.get(chart).content.decode()
    assert "data-timer-start=" in html and "Stop timer and save" in html
    _post_contact(client, maria, enrollment=str(hh.pk), use_timer="1", core_services=["care-coordination"])
    saved = Contact.objects.get()
    assert (saved.duration_minutes, saved.timed) == (12, True)
    assert not ContactTimer.objects.exists()


def test_a_timer_can_be_discarded(client, alice_rn, maria):
    signed_in(client, alice_rn)
    client.post(reverse("contacts:timer_start", args=[maria.pk]))
    client.post(reverse("contacts:timer_cancel", args=[maria.pk]))
    assert not ContactTimer.objects.exists()
    assert AuditRecord.objects.filter(object_type="ContactTimer", action="delete").exists()


def test_bad_input_comes_back_as_form_errors(client, alice_rn, maria, hh):
    signed_in(client, alice_rn)
    future = (timezone.localtime() + datetime.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = _post_contact(client, maria, occurred_at=future, use_timer="1")
    assert response.status_code == 400
    html = response.content.decode()
    assert "A contact cannot be in the future." in html and "No timer is running for this person." in html
    assert not Contact.objects.exists()


def test_late_entries_are_flagged_by_the_setting(alice_rn, maria, hh, settings):
    two_days_ago = timezone.now() - datetime.timedelta(days=2)
    data = ContactData(modality="home_visit", outcome="reached", occurred_at=two_days_ago, enrollment=hh)
    assert record_contact(patient=maria, data=data, by=alice_rn).late_entry
    settings.CONTACTS_BILLING_RULES = {"late_entry_hours": 72}
    assert not record_contact(patient=maria, data=data, by=alice_rn).late_entry


def test_actions_name_the_bad_fields(alice_rn, maria, eve_outsider):
    with pytest.raises(ValidationFailed) as refused:
        record_contact(
            patient=maria,
            data=ContactData(modality="pigeon", outcome="maybe", core_services=["lunch"], duration_minutes=5000),
            by=alice_rn,
        )
    assert set(refused.value.errors) == {"modality", "outcome", "core_services", "duration_minutes"}
    theirs = enrolled(eve_outsider, "ny-hh-adult")
    with pytest.raises(ValidationFailed) as refused:
        record_contact(
            patient=maria, data=ContactData(modality="phone", outcome="reached", enrollment=theirs), by=alice_rn
        )
    assert refused.value.errors == {"enrollment": ["That enrollment is another person's."]}


def test_the_contact_log_lists_contacts_and_time(client, alice_rn, maria, hh):
    signed_in(client, alice_rn)
    record_contact(
        patient=maria,
        data=ContactData(
            modality="collateral_provider",
            outcome="completed",
            duration_minutes=9,
            enrollment=hh,
            with_person=False,
            participants=[{"role": "provider", "name": "Dr. Lee"}],
            purpose="Medication list confirmed",
            links=["Task/abc"],
        ),
        by=alice_rn,
    )
    response = client.post(
        reverse("contacts:time", args=[maria.pk]),
        {"activity": "medication", "minutes": "25", "enrollment": str(hh.pk), "note": "Reconciled after discharge"},
    )
    assert response.status_code == 302
    assert TimeEntry.objects.get().minutes == 25
    html = client.get(reverse("contacts:log", args=[maria.pk])).content.decode()
    assert "Dr. Lee" in html and "Medication list confirmed" in html and "Task/abc" in html
    assert "Reconciled after discharge" in html and "34 min recorded" in html


def test_outsiders_and_other_roles_are_refused(client, eve_outsider, audrey_auditor, alice_rn, maria):
    start_timer(patient=maria, by=alice_rn)
    signed_in(client, eve_outsider)
    assert client.get(reverse("contacts:log", args=[maria.pk])).status_code == 403
    assert _post_contact(client, maria).status_code == 403
    assert client.post(reverse("contacts:timer_start", args=[maria.pk])).status_code == 403
    assert not Contact.objects.exists()
    assert AuditRecord.objects.filter(user=eve_outsider, patient_id=maria.pk, outcome="denied").exists()
    signed_in(client, audrey_auditor)
    assert client.get(reverse("contacts:log", args=[maria.pk])).status_code == 403
