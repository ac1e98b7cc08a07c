"""Transition pages over HTTP: the chart panel, the list, the transition page and its forms, and who may see them."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from carecoord.audit.models import AuditRecord
from carecoord.tasks.models import Task
from carecoord.transitions.models import Transition
from carecoord.transitions.tests.enrolled import enroll_person, make_ana, message, process, stamp
from carecoord.web.testing import plain_static_files, signed_in  # noqa: F401

DAY = datetime.timedelta(days=1)


@pytest.fixture
def ana(alice_rn):
    return make_ana(alice_rn)


@pytest.fixture
def transition(ana, alice_rn) -> Transition:
    """Ana enrolled, admitted four days ago and discharged home yesterday, through the ADT feed."""
    enroll_person(ana, alice_rn)
    now = timezone.localtime().replace(minute=0, second=0, microsecond=0)
    admitted, discharged = stamp(now.replace(hour=9) - 4 * DAY), stamp(now.replace(hour=11) - DAY)
    process(
        message("A01", "M1", admitted=admitted, diagnoses=(("I50.9", "Heart failure, unspecified"),)),
        message("A03", "M2", admitted=admitted, discharged=discharged, disposition="01"),
    )
    return Transition.objects.get(patient=ana)


@pytest.fixture
def alice_client(client, alice_rn):
    return signed_in(client, alice_rn)


def test_the_chart_shows_the_open_transition_with_its_clocks(alice_client, ana, transition):
    page = alice_client.get(f"/patients/{ana.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="s-transitions"' in html and "Discharged from GENHOSP" in html
    assert "Interactive contact within 2 business days" in html
    assert "TCM:</strong> 99496 possible if the visit happens by" in html
    assert 'href="#clinical-risk"' in html
    assert html.index('id="s-clinical"') < html.index('id="s-transitions"')


def test_the_list_shows_the_organizations_open_transitions(alice_client, transition, client, eve_outsider):
    page = alice_client.get("/transitions/")
    assert page.status_code == 200
    assert "Rivera, Ana" in page.content.decode()
    assert AuditRecord.objects.filter(object_type="Transition", action="search").exists()
    client.logout()
    eve = signed_in(client, eve_outsider).get("/transitions/")
    assert eve.status_code == 200 and "Rivera" not in eve.content.decode()
    assert eve.client.get(f"/transitions/{transition.pk}/").status_code == 403


def test_recording_each_step_through_the_page(alice_client, transition):
    url = f"/transitions/{transition.pk}/"
    assert alice_client.get(url).status_code == 200
    now = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    today = timezone.localdate().isoformat()
    answer = alice_client.post(
        f"{url}contact/",
        {
            "contact-occurred_at": now,
            "contact-method": "telephone",
            "contact-with_whom": "patient",
            "contact-outcome": "reached",
        },
    )
    assert answer.status_code == 302
    answer = alice_client.post(f"{url}medication/", {"medication-on": today, "medication-note": "No changes"})
    assert answer.status_code == 302
    answer = alice_client.post(f"{url}complexity/", {"complexity-complexity": "high"})
    assert answer.status_code == 302
    answer = alice_client.post(
        f"{url}visit/", {"visit-on": today, "visit-mode": "in-person", "visit-provider": "Dr. Lee"}
    )
    assert answer.status_code == 302
    transition.refresh_from_db()
    assert transition.contact_met_on == timezone.localdate() and transition.visit_on == timezone.localdate()
    assert transition.decision_complexity == "high" and transition.medication_reconciled_on is not None
    page = alice_client.get(url).content.decode()
    assert "99496 can be billed" in page
    assert not Task.objects.filter(focus=transition.focus, reason__startswith="transition-", status="accepted").exists()
    assert alice_client.post(f"{url}complete/", {"complete-note": ""}).status_code == 302
    transition.refresh_from_db()
    assert transition.status == "completed"


def test_errors_are_shown_next_to_the_field(alice_client, transition):
    url = f"/transitions/{transition.pk}/"
    answer = alice_client.post(
        f"{url}contact/",
        {
            "contact-occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "contact-method": "telephone",
            "contact-with_whom": "patient",
            "contact-outcome": "attempt",
        },
    )
    assert answer.status_code == 400
    html = answer.content.decode()
    assert 'class="error-summary"' in html and "counts only when documented" in html
    future = (timezone.localdate() + DAY).isoformat()
    answer = alice_client.post(f"{url}visit/", {"visit-on": future, "visit-mode": "in-person"})
    assert answer.status_code == 400 and "cannot be in the future" in answer.content.decode()


def test_a_coordinator_cannot_reconcile_medications(client, bob_coordinator, transition):
    bob = signed_in(client, bob_coordinator)
    page = bob.get(f"/transitions/{transition.pk}/").content.decode()
    assert "A licensed clinician reconciles medications" in page
    answer = bob.post(f"/transitions/{transition.pk}/medication/", {"medication-on": timezone.localdate().isoformat()})
    assert answer.status_code == 400 and "may not reconcile medications" in answer.content.decode()
