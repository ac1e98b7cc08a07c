"""The consent pages over HTTP: record (DOH-5055 with partners, Part 2 elements, verbal CCM), view, add a partner
on page 3, remove a partner, withdraw (DOH-5058), opt out (DOH-5059), revoke, and the chart header badges."""

from __future__ import annotations

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from carecoord.consents.actions import ConsentData, record_consent
from carecoord.consents.models import Consent, ConsentPartner, ConsentStatus
from carecoord.notifications.models import Notification
from carecoord.programs.actions import enroll
from carecoord.programs.models import Enrollment, EnrollmentStatus, Program
from carecoord.testing.factories import make_organization
from carecoord.web.testing import plain_static_files, signed_in  # noqa: F401

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def alice(client: Client, alice_rn) -> Client:
    return signed_in(client, alice_rn)


@pytest.fixture
def plan(db):
    return make_organization("Harbor Community Health Plan", "health_plan")


@pytest.fixture
def sharing(maria, alice_rn, agency, plan) -> Consent:
    return record_consent(
        patient=maria, data=ConsentData(form="DOH-5055", signed_on=TODAY, partners=[agency, plan]), by=alice_rn
    )


def test_record_page_offers_forms_partners_and_part2_elements(alice, maria, agency, cbo):
    page = alice.get(reverse("consents:new", args=[maria.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'value="DOH-5055"' in html and 'value="42-CFR-2"' in html and 'value="CCM-VERBAL"' in html
    assert 'value="DOH-5058"' not in html
    assert "Brooklyn Care Partners" in html and "Bed-Stuy Food Pantry" in html
    assert "42 CFR Part 2 consent elements" in html
    own = re.search(rf'<input[^>]*value="{agency.pk}"[^>]*>', html)
    assert own is not None and "checked" in own.group(0)  # the user's own organization is ticked to start
    other = re.search(rf'<input[^>]*value="{cbo.pk}"[^>]*>', html)
    assert other is not None and "checked" not in other.group(0)


def test_record_doh_5055_with_partners_then_view_it(alice, maria, agency, plan):
    response = alice.post(
        reverse("consents:new", args=[maria.pk]),
        {
            "form": "DOH-5055",
            "signed_on": TODAY.isoformat(),
            "signer_kind": "person",
            "language": "es",
            "interpreter_used": "on",
            "copy_given": "on",
            "partners": [str(agency.pk), str(plan.pk)],
        },
    )
    assert response.status_code == 302
    consent = Consent.objects.get(patient=maria, form="DOH-5055")
    assert set(consent.partners.values_list("organization_id", flat=True)) == {agency.pk, plan.pk}
    page = alice.get(response["Location"])
    html = page.content.decode()
    assert "Harbor Community Health Plan" in html and "On the signed form" in html
    assert "Spanish" in html and "interpreter used" in html
    assert "Add a partner (page 3)" in html
    chart = alice.get(reverse("web:chart", args=[maria.pk])).content.decode()
    assert "✓ DOH-5055 consent · 2 partners" in chart and "No consent recorded" not in chart


def test_a_community_organization_cannot_be_on_the_first_doh_5055(alice, maria, agency, cbo):
    page = alice.post(
        reverse("consents:new", args=[maria.pk]),
        {
            "form": "DOH-5055",
            "signed_on": TODAY.isoformat(),
            "signer_kind": "person",
            "language": "en",
            "partners": [str(agency.pk), str(cbo.pk)],
        },
    )
    assert page.status_code == 422
    html = page.content.decode()
    assert 'id="id_partners_error"' in html and "add them later with the person&#x27;s initials" in html
    assert 'id="error-summary"' in html and 'href="#id_partners"' in html
    assert not Consent.objects.filter(patient=maria).exists()


def test_part_2_consent_needs_its_elements(alice, maria, agency):
    url = reverse("consents:new", args=[maria.pk])
    base = {"form": "42-CFR-2", "signed_on": TODAY.isoformat(), "signer_kind": "person", "language": "en"}
    page = alice.post(url, {**base, "partners": [str(agency.pk)]})
    assert page.status_code == 422
    html = page.content.decode()
    for field in ("part2_recipients", "part2_disclosing_program", "part2_information", "part2_purpose"):
        assert f'id="id_{field}_error"' in html, field
    assert "right to revoke in writing" in html
    response = alice.post(
        url,
        {
            **base,
            "partners": [str(agency.pk)],
            "part2_recipients": "named",
            "part2_disclosing_program": "Kings Recovery Center",
            "part2_information": "Diagnoses, medications and attendance",
            "part2_purpose": "Treatment and care coordination",
            "part2_expiration": "End of treatment",
            "revocation_explained": "on",
        },
    )
    assert response.status_code == 302
    consent = Consent.objects.get(patient=maria, form="42-CFR-2")
    assert consent.released_labels == ["42CFRPart2"]
    html = alice.get(response["Location"]).content.decode()
    assert "Kings Recovery Center" in html and "Revoke in writing" in html


def test_verbal_medicare_consent(alice, maria):
    response = alice.post(
        reverse("consents:new", args=[maria.pk]),
        {
            "form": "CCM-VERBAL",
            "signed_on": TODAY.isoformat(),
            "signer_kind": "person",
            "language": "en",
            "verbal": "on",
        },
    )
    assert response.status_code == 302
    assert Consent.objects.get(patient=maria).verbal is True
    chart = alice.get(reverse("web:chart", args=[maria.pk])).content.decode()
    assert "Medicare care management consent (verbal)" in chart


def test_verbal_is_only_for_medicare_consent(alice, maria, agency):
    page = alice.post(
        reverse("consents:new", args=[maria.pk]),
        {
            "form": "DOH-5055",
            "signed_on": TODAY.isoformat(),
            "signer_kind": "person",
            "language": "en",
            "verbal": "on",
            "partners": [str(agency.pk)],
        },
    )
    assert page.status_code == 422 and 'id="id_verbal_error"' in page.content.decode()


def test_add_a_partner_on_page_3_needs_initials_and_date(alice, sharing, cbo):
    url = reverse("consents:add_partner", args=[sharing.pk])
    page = alice.post(url, {"organization": str(cbo.pk), "initials": "", "added_on": TODAY.isoformat()})
    assert page.status_code == 422 and 'id="id_initials_error"' in page.content.decode()
    response = alice.post(url, {"organization": str(cbo.pk), "initials": "MJG", "added_on": TODAY.isoformat()})
    assert response.status_code == 302
    partner = ConsentPartner.objects.get(consent=sharing, organization=cbo)
    assert partner.added_later and partner.initials == "MJG"
    html = alice.get(reverse("consents:detail", args=[sharing.pk])).content.decode()
    assert "Bed-Stuy Food Pantry" in html and "MJG" in html and "(page 3)" in html


def test_remove_a_partner_needs_a_reason_and_tells_them(alice, sharing, plan):
    url = reverse("consents:remove_partner", args=[sharing.pk, plan.pk])
    assert alice.get(url).status_code == 200
    page = alice.post(url, {"reason": ""})
    assert page.status_code == 422 and "Say why the partner is removed." in page.content.decode()
    assert alice.post(url, {"reason": "The person changed plans"}).status_code == 302
    assert ConsentPartner.objects.get(consent=sharing, organization=plan).removed_on == TODAY
    assert Notification.objects.filter(organization=plan, kind="partner_removed").exists()
    html = alice.get(reverse("consents:detail", args=[sharing.pk])).content.decode()
    assert "Removed" in html and "The person changed plans" in html


def test_withdrawal_refused_to_sign_needs_a_note_then_ends_everything(alice, alice_rn, maria, sharing, plan):
    enrollment = enroll(patient=maria, program=Program.objects.get(code="ny-hh-adult"), by=alice_rn)
    url = reverse("consents:withdraw", args=[maria.pk])
    page = alice.get(url)
    assert page.status_code == 200 and "Harbor Community Health Plan" in page.content.decode()
    page = alice.post(url, {"signed_on": TODAY.isoformat(), "signer_kind": "person", "refused_to_sign": "on"})
    assert page.status_code == 422 and 'id="id_note_error"' in page.content.decode()
    response = alice.post(
        url,
        {
            "signed_on": TODAY.isoformat(),
            "signer_kind": "person",
            "refused_to_sign": "on",
            "note": "Asked by phone to stop; would not sign the DOH-5058.",
        },
    )
    assert response.status_code == 302
    sharing.refresh_from_db()
    assert sharing.status == ConsentStatus.INACTIVE and sharing.withdrawn_on == TODAY
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.FINISHED
    assert Notification.objects.filter(organization=plan, kind="consent_withdrawn").exists()
    chart = alice.get(reverse("web:chart", args=[maria.pk])).content.decode()
    assert "Consent withdrawn" in chart and "(DOH-5058)" in chart


def test_withdrawal_with_nothing_to_withdraw(alice, maria):
    page = alice.post(
        reverse("consents:withdraw", args=[maria.pk]),
        {"signed_on": TODAY.isoformat(), "signer_kind": "person"},
    )
    assert page.status_code == 422 and "no information sharing consent to withdraw" in page.content.decode()


def test_opt_out_signed_by_the_care_manager(alice, maria):
    url = reverse("consents:opt_out", args=[maria.pk])
    assert alice.get(url).status_code == 200
    response = alice.post(url, {"signed_on": TODAY.isoformat(), "signer_kind": "care_manager", "note": "Declined"})
    assert response.status_code == 302
    consent = Consent.objects.get(patient=maria, form="DOH-5059")
    assert consent.status == ConsentStatus.REJECTED and consent.signer_name == "Alice Nguyen"
    html = alice.get(reverse("consents:list", args=[maria.pk])).content.decode()
    assert "Declined to enroll" in html


def test_opt_out_refused_while_a_sharing_consent_is_in_force(alice, maria, sharing):
    page = alice.post(
        reverse("consents:opt_out", args=[maria.pk]), {"signed_on": TODAY.isoformat(), "signer_kind": "person"}
    )
    assert page.status_code == 422 and "use a withdrawal (DOH-5058)" in page.content.decode()


def test_revoke_a_part_2_consent(alice, alice_rn, maria, agency):
    consent = record_consent(
        patient=maria,
        data=ConsentData(
            form="42-CFR-2",
            signed_on=TODAY - datetime.timedelta(days=3),
            partners=[agency],
            part2_recipients="named",
            part2_disclosing_program="Kings Recovery Center",
            part2_information="Everything",
            part2_purpose="Treatment",
            part2_expiration="none",
            revocation_explained=True,
        ),
        by=alice_rn,
    )
    url = reverse("consents:revoke", args=[consent.pk])
    assert alice.get(url).status_code == 200
    assert alice.post(url, {"on": TODAY.isoformat(), "note": "Letter received"}).status_code == 302
    consent.refresh_from_db()
    assert consent.status == ConsentStatus.INACTIVE


def test_consent_list_shows_every_form_with_status(alice, maria, sharing):
    html = alice.get(reverse("consents:list", args=[maria.pk])).content.decode()
    assert "DOH-5055 Health Home information sharing consent" in html and "✓ Active" in html
    assert reverse("consents:withdraw", args=[maria.pk]) in html


def test_another_organization_gets_403(client, eve_outsider, maria, sharing, plan):
    eve = signed_in(client, eve_outsider)
    assert eve.get(reverse("consents:list", args=[maria.pk])).status_code == 403
    assert eve.get(reverse("consents:new", args=[maria.pk])).status_code == 403
    assert eve.get(reverse("consents:detail", args=[sharing.pk])).status_code == 403
    assert eve.get(reverse("consents:withdraw", args=[maria.pk])).status_code == 403
    assert eve.post(reverse("consents:remove_partner", args=[sharing.pk, plan.pk]), {"reason": "x"}).status_code == 403
    assert ConsentPartner.objects.get(consent=sharing, organization=plan).removed_on is None


def test_roles_without_enrollment_cannot_record(client, olga_admin, maria):
    admin = signed_in(client, olga_admin)
    assert admin.get(reverse("consents:new", args=[maria.pk])).status_code == 403
    assert not Enrollment.objects.exists()
