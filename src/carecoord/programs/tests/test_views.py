"""The program pages over HTTP: referral inbox and decisions, referring from the chart, the chart's programs
section (outreach log, standing, claiming a month, labelled records), enrollment and its end, the board."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from carecoord.audit.models import AuditRecord
from carecoord.consents.actions import ConsentData, record_consent
from carecoord.notifications.models import Notification
from carecoord.programs.actions import (
    AttemptData,
    claim_outreach_month,
    enroll,
    record_outreach_attempt,
    refer_to_program,
)
from carecoord.programs.models import (
    Enrollment,
    EnrollmentStatus,
    OutreachAttempt,
    Program,
    ProgramReferral,
    ReferralStatus,
    Segment,
    SegmentKind,
)
from carecoord.programs.rules import add_months
from carecoord.testing.factories import make_organization, make_patient
from carecoord.web.testing import plain_static_files, signed_in  # noqa: F401

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def hh() -> Program:
    return Program.objects.get(code="ny-hh-adult")


@pytest.fixture
def clinic(db):
    return make_organization("Eastside Primary Care", type="primary_care")


@pytest.fixture
def alice(client: Client, alice_rn) -> Client:
    return signed_in(client, alice_rn)


@pytest.fixture
def eve() -> Client:
    return Client()


@pytest.fixture
def referral(maria, hh, agency, clinic) -> ProgramReferral:
    return refer_to_program(
        patient=maria,
        program=hh,
        receiving_organization=agency,
        source="provider",
        by=None,
        referring_organization=clinic,
        referrer_name="Dr. Patel",
        reason="Diabetes and depression, two ED visits this quarter",
    )


def _htmx(client: Client, url: str, data: dict[str, str]):
    return client.post(url, data, HTTP_HX_REQUEST="true")


def _attempt(maria, program, by, *, when=None, method="phone", outcome="no_answer"):
    return record_outreach_attempt(
        patient=maria,
        program=program,
        data=AttemptData(method=method, outcome=outcome, attempted_at=when or timezone.now()),
        by=by,
    )


# Referral inbox ------------------------------------------------------------------------------------------------


def test_inbox_lists_waiting_referrals_with_who_why_and_age(alice, referral):
    page = alice.get(reverse("programs:referrals"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "García, María José" in html and "NY Health Home (adult)" in html
    assert "Eastside Primary Care" in html and "Dr. Patel" in html
    assert "two ED visits" in html and "today" in html
    assert reverse("programs:referral_accept", args=[referral.pk]) in html
    audit = AuditRecord.objects.filter(object_type="ServiceRequest", action="search").latest("recorded_at")
    assert audit.detail["results"] == [str(referral.pk)] and audit.detail["patients"] == [str(referral.patient_id)]


def test_accepting_a_referral_starts_an_assignment_and_opens_the_chart(alice, referral, maria):
    response = alice.post(reverse("programs:referral_accept", args=[referral.pk]), {"start_date": ""})
    assert response.status_code == 302 and response["Location"].startswith(reverse("web:chart", args=[maria.pk]))
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ACCEPTED
    assert Segment.objects.filter(patient=maria, kind=SegmentKind.ASSIGNMENT, referral=referral).exists()
    assert "No referrals are waiting" in alice.get(reverse("programs:referrals")).content.decode()


def test_rejecting_needs_a_reason_shown_next_to_the_field_and_in_the_summary(alice, referral, clinic):
    url = reverse("programs:referral_reject", args=[referral.pk])
    page = alice.post(url, {"reason": "  "})
    assert page.status_code == 422
    html = page.content.decode()
    assert 'id="error-summary"' in html and "Say why the referral is rejected." in html
    assert 'id="id_reason_error"' in html
    response = alice.post(url, {"reason": "Lives outside our service area (Staten Island)"})
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.REJECTED
    assert Notification.objects.filter(organization=clinic, title__contains="rejected").exists()


def test_another_organization_cannot_see_or_decide_a_referral(eve, eve_outsider, referral):
    signed_in(eve, eve_outsider)
    assert "García" not in eve.get(reverse("programs:referrals")).content.decode()
    assert eve.get(reverse("programs:referral", args=[referral.pk])).status_code == 403
    assert eve.post(reverse("programs:referral_accept", args=[referral.pk])).status_code == 403
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.PENDING


def test_refer_to_a_program_from_the_chart(alice, maria, agency):
    url = reverse("programs:refer", args=[maria.pk])
    page = alice.get(url)
    assert page.status_code == 200 and "Refer to a program" in page.content.decode()
    missing = alice.post(url, {"source": "self"})
    assert missing.status_code == 422 and "error-summary" in missing.content.decode()
    response = alice.post(
        url,
        {"program": "complex-care", "receiving_organization": str(agency.pk), "source": "self", "reason": "Asked"},
    )
    assert response.status_code == 302
    assert ProgramReferral.objects.get(patient=maria, program_id="complex-care").receiving_organization == agency
    again = alice.post(url, {"program": "complex-care", "receiving_organization": str(agency.pk), "source": "self"})
    assert again.status_code == 422 and "already has a referral" in again.content.decode()


# The chart's programs section ----------------------------------------------------------------------------------


def test_chart_shows_the_programs_section_and_consent_badge(alice, maria):
    html = alice.get(reverse("web:chart", args=[maria.pk])).content.decode()
    assert 'id="programs"' in html and "Not enrolled in any program." in html
    assert "No consent recorded" in html
    assert reverse("programs:refer", args=[maria.pk]) in html
    fragment = alice.get(reverse("programs:section", args=[maria.pk]), HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    assert fragment.content.decode().lstrip().startswith('<section class="card programs-section" id="programs"')


def test_logging_an_attempt_through_htmx_returns_the_section_with_the_log(alice, alice_rn, maria, hh, referral):
    from carecoord.programs.actions import accept_referral

    accept_referral(referral=referral, by=alice_rn)
    when = timezone.localtime().replace(second=0, microsecond=0) - datetime.timedelta(minutes=5)
    response = _htmx(
        alice,
        reverse("programs:log_attempt", args=[maria.pk]),
        {
            "attempt-program": "ny-hh-adult",
            "attempt-attempted_at": when.strftime("%Y-%m-%dT%H:%M"),
            "attempt-method": "phone",
            "attempt-direction": "outbound",
            "attempt-outcome": "left_message",
            "attempt-duration_minutes": "4",
            "attempt-note": "Voicemail in Spanish",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section class="card programs-section" id="programs"')
    assert "Outreach attempt logged" in html and "Voicemail in Spanish" in html and "Left a message" in html
    attempt = OutreachAttempt.objects.get(patient=maria)
    assert attempt.duration_minutes == 4 and attempt.segment is not None
    assert "Billable months, last 12" in html and "0 of 4" in html


def test_a_bad_attempt_shows_its_errors_next_to_the_fields(alice, alice_rn, maria, hh, referral):
    from carecoord.programs.actions import accept_referral

    accept_referral(referral=referral, by=alice_rn)
    future = timezone.localtime() + datetime.timedelta(days=2)
    url = reverse("programs:log_attempt", args=[maria.pk])
    data = {
        "attempt-program": "ny-hh-adult",
        "attempt-attempted_at": future.strftime("%Y-%m-%dT%H:%M"),
        "attempt-method": "phone",
        "attempt-direction": "outbound",
        "attempt-outcome": "no_answer",
    }
    html = _htmx(alice, url, data).content.decode()
    assert "An attempt cannot be in the future." in html and 'id="id_attempt-attempted_at_error"' in html
    assert 'id="error-summary"' in html
    plain = alice.post(url, data)
    assert plain.status_code == 422 and "An attempt cannot be in the future." in plain.content.decode()
    assert not OutreachAttempt.objects.filter(patient=maria).exists()


def test_second_month_in_a_row_asks_for_an_in_person_attempt_and_claim_shows_the_verdict(
    alice, alice_rn, maria, hh, referral
):
    from carecoord.programs.actions import accept_referral

    accept_referral(referral=referral, by=alice_rn, start_date=add_months(TODAY.replace(day=1), -1))
    last_month = timezone.make_aware(datetime.datetime.combine(add_months(TODAY.replace(day=1), -1), datetime.time(10)))
    _attempt(maria, hh, alice_rn, when=last_month, outcome="reached")
    _, verdict = claim_outreach_month(patient=maria, program=hh, month=last_month.date(), by=alice_rn)
    assert verdict.billable
    _attempt(maria, hh, alice_rn, when=timezone.now() - datetime.timedelta(minutes=1))

    html = alice.get(reverse("web:chart", args=[maria.pk])).content.decode()
    assert "In-person attempt needed" in html
    assert "1 of 4" in html and "3 left" in html
    assert "1 billable month just before this one" in html

    response = _htmx(
        alice,
        reverse("programs:claim_month", args=[maria.pk]),
        {"claim-program": "ny-hh-adult", "claim-month": TODAY.strftime("%Y-%m")},
    )
    html = response.content.decode()
    assert response.status_code == 200 and 'id="claim-verdict"' in html
    assert "not billable" in html and "face-to-face" in html

    plain = alice.post(
        reverse("programs:claim_month", args=[maria.pk]),
        {"claim-program": "ny-hh-adult", "claim-month": TODAY.strftime("%Y-%m")},
        follow=True,
    )
    assert "not billable" in plain.content.decode()


def test_withheld_and_released_labelled_records(alice, alice_rn, maria, other_agency, eve_outsider):
    hiv = Program.objects.get(code="ny-hh-plus-hiv")
    record_consent(
        patient=maria,
        data=ConsentData(form="DOH-5055", signed_on=TODAY, partners=[other_agency, alice_rn.organization]),
        by=eve_outsider,
    )
    enroll(patient=maria, program=hiv, by=eve_outsider)
    html = alice.get(reverse("web:chart", args=[maria.pk])).content.decode()
    assert "1 record is not shared with your organization" in html
    assert f"<strong>{hiv.name}</strong>" not in html

    record_consent(
        patient=maria,
        data=ConsentData(form="NY-HIV-RELEASE", signed_on=TODAY, partners=[alice_rn.organization]),
        by=eve_outsider,
    )
    html = alice.get(reverse("web:chart", args=[maria.pk])).content.decode()
    assert "not shared with your organization" not in html
    assert f"<strong>{hiv.name}</strong>" in html and "Disclosed with consent" in html
    assert "State law prohibits you from making any further disclosure" in html


def test_another_organization_gets_403_on_program_pages(eve, eve_outsider, maria):
    signed_in(eve, eve_outsider)
    for name in ("programs:section", "programs:refer", "programs:enroll"):
        assert eve.get(reverse(name, args=[maria.pk])).status_code == 403, name
    response = eve.post(
        reverse("programs:log_attempt", args=[maria.pk]),
        {"attempt-program": "ny-hh-adult", "attempt-method": "phone"},
    )
    assert response.status_code == 403


# Enrollment ----------------------------------------------------------------------------------------------------


def test_enroll_without_consent_shows_the_consent_error(alice, maria, alice_rn):
    url = reverse("programs:enroll", args=[maria.pk])
    assert alice.get(url).status_code == 200
    page = alice.post(
        url, {"program": "ny-hh-adult", "start_date": TODAY.isoformat(), "care_manager": str(alice_rn.pk)}
    )
    assert page.status_code == 422
    html = page.content.decode()
    assert 'id="consent-missing"' in html and "needs a signed DOH-5055" in html
    assert reverse("consents:new", args=[maria.pk]) in html
    assert not Enrollment.objects.filter(patient=maria).exists()


def test_enroll_with_consent_and_end_it_with_a_reason(alice, maria, alice_rn, agency):
    record_consent(patient=maria, data=ConsentData(form="DOH-5055", signed_on=TODAY, partners=[agency]), by=alice_rn)
    response = alice.post(
        reverse("programs:enroll", args=[maria.pk]),
        {
            "program": "ny-hh-adult",
            "start_date": TODAY.isoformat(),
            "care_manager": str(alice_rn.pk),
            "acuity": "high",
        },
    )
    assert response.status_code == 302
    enrollment = Enrollment.objects.get(patient=maria)
    assert enrollment.care_manager == alice_rn and enrollment.acuity == "high"
    html = alice.get(reverse("web:chart", args=[maria.pk])).content.decode()
    assert "✓ Enrolled" in html and "Alice Nguyen" in html and "High" in html
    assert "✓ DOH-5055 consent · 1 partner" in html

    end_url = reverse("programs:end_enrollment", args=[enrollment.pk])
    assert alice.get(end_url).status_code == 200
    page = alice.post(end_url, {"end_date": TODAY.isoformat(), "reason": "other", "note": ""})
    assert page.status_code == 422 and "Say why the enrollment ends." in page.content.decode()
    response = alice.post(end_url, {"end_date": TODAY.isoformat(), "reason": "graduated"})
    assert response.status_code == 302
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.FINISHED and enrollment.end_reason == "graduated"


def test_enroll_shows_acuity_errors_from_the_program(alice, maria, alice_rn, agency):
    record_consent(patient=maria, data=ConsentData(form="DOH-5055", signed_on=TODAY, partners=[agency]), by=alice_rn)
    page = alice.post(
        reverse("programs:enroll", args=[maria.pk]),
        {"program": "ny-hh-adult", "start_date": TODAY.isoformat(), "acuity": "complex"},
    )
    assert page.status_code == 422 and 'id="id_acuity_error"' in page.content.decode()


def test_another_organization_cannot_end_an_enrollment(eve, eve_outsider, maria, alice_rn, agency):
    record_consent(patient=maria, data=ConsentData(form="DOH-5055", signed_on=TODAY, partners=[agency]), by=alice_rn)
    enrollment = enroll(patient=maria, program=Program.objects.get(code="ny-hh-adult"), by=alice_rn)
    signed_in(eve, eve_outsider)
    assert eve.get(reverse("programs:end_enrollment", args=[enrollment.pk])).status_code == 403


# The board -----------------------------------------------------------------------------------------------------


def test_board_shows_columns_with_counts_cards_and_filters(alice, alice_rn, maria, referral, agency):
    other = make_patient(alice_rn, family_name="Okafor", given_names="Grace", birth_date=datetime.date(1958, 11, 2))
    record_consent(patient=other, data=ConsentData(form="DOH-5055", signed_on=TODAY, partners=[agency]), by=alice_rn)
    enroll(patient=other, program=Program.objects.get(code="ny-hh-adult"), by=alice_rn, care_manager=alice_rn)

    page = alice.get(reverse("programs:board"))
    assert page.status_code == 200
    html = page.content.decode()
    for label in ("Referred", "Outreach", "Consented", "Enrolled", "Closed"):
        assert f'>{label} <span class="count"' in html
    assert "García, María José" in html and "Okafor, Grace" in html
    assert "Referral waiting for a decision" in html and "Care manager: Alice Nguyen" in html

    filtered = alice.get(reverse("programs:board"), {"program": "complex-care"}, HTTP_HX_REQUEST="true")
    fragment = filtered.content.decode()
    assert fragment.lstrip().startswith('<div class="board" id="board"')
    assert "García" not in fragment and "Okafor" not in fragment


def test_nav_links_to_referrals_and_enrollment(alice):
    html = alice.get(reverse("programs:board")).content.decode()
    assert f'href="{reverse("programs:referrals")}"' in html
    assert 'aria-current="page">Enrollment</a>' in html
