"""The supervisor's caseload page over HTTP: the team, assigning, bulk reassignment, coverage; others get 403."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from carecoord.consents.actions import ConsentData, record_consent
from carecoord.programs.actions import enroll
from carecoord.programs.models import CaseloadCoverage, Enrollment, Program
from carecoord.testing.factories import make_patient, make_user
from carecoord.web.testing import plain_static_files, signed_in  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def hh():
    return Program.objects.get(code="ny-hh-adult")


@pytest.fixture
def carl(agency):
    return make_user("carl_cm", role="care_manager", organization=agency, first_name="Carl", last_name="Ortiz")


def _enrolled(by, program, *, care_manager=None, **patient):
    person = make_patient(by, **patient)
    record_consent(
        patient=person,
        data=ConsentData(form="DOH-5055", signed_on=timezone.localdate(), partners=[by.organization]),
        by=by,
    )
    return enroll(patient=person, program=program, by=by, care_manager=care_manager)


@pytest.fixture
def supervisor_client(client, sam_supervisor):
    return signed_in(client, sam_supervisor)


def test_care_manager_gets_403(client, alice_rn):
    response = signed_in(client, alice_rn).get("/caseload/")
    assert response.status_code == 403
    assert signed_in(client, alice_rn).post("/caseload/assign/", {}).status_code == 403


def test_supervisor_sees_team_and_waiting_people(supervisor_client, sam_supervisor, alice_rn, carl, hh):
    _enrolled(sam_supervisor, hh, care_manager=alice_rn, family_name="Heldbyalice")
    _enrolled(sam_supervisor, hh, family_name="Nobodyyet")
    response = supervisor_client.get("/caseload/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Alice Nguyen" in page and "Carl Ortiz" in page
    assert '1 <span class="muted">of 50</span>' in page
    assert "Nobodyyet" in page
    assert "Waiting for a care manager" in page
    assert "Assign to" in page


def test_assign_from_waiting_list(supervisor_client, sam_supervisor, carl, hh):
    waiting = _enrolled(sam_supervisor, hh, family_name="Nobodyyet")
    response = supervisor_client.post("/caseload/assign/", {"enrollment": waiting.pk, "care_manager": carl.pk})
    assert response.status_code == 302
    waiting.refresh_from_db()
    assert waiting.care_manager_id == carl.pk
    page = supervisor_client.get(response["Location"]).content.decode()
    assert "is now with Carl Ortiz" in page


def test_assign_refuses_unlicensed_for_clinical_need(supervisor_client, sam_supervisor, carl, hh):
    person = make_patient(sam_supervisor, family_name="Clinical")
    record_consent(
        patient=person,
        data=ConsentData(form="DOH-5055", signed_on=timezone.localdate(), partners=[sam_supervisor.organization]),
        by=sam_supervisor,
    )
    episode = enroll(patient=person, program=hh, by=sam_supervisor, clinical_need=True)
    response = supervisor_client.post(
        "/caseload/assign/", {"enrollment": episode.pk, "care_manager": carl.pk}, follow=True
    )
    episode.refresh_from_db()
    assert episode.care_manager_id is None
    assert "needs a licensed care manager" in response.content.decode()


def test_bulk_reassign(supervisor_client, sam_supervisor, alice_rn, carl, hh):
    first = _enrolled(sam_supervisor, hh, care_manager=alice_rn, family_name="First")
    second = _enrolled(sam_supervisor, hh, care_manager=alice_rn, family_name="Second")
    _enrolled(sam_supervisor, hh, care_manager=alice_rn, family_name="Stays")
    page = supervisor_client.get(f"/caseload/staff/{alice_rn.pk}/").content.decode()
    assert "First" in page and "Stays" in page
    response = supervisor_client.post(
        f"/caseload/staff/{alice_rn.pk}/reassign/",
        {"enrollments": [str(first.pk), str(second.pk)], "to": str(carl.pk)},
        follow=True,
    )
    assert "Reassigned 2 people from Alice Nguyen to Carl Ortiz" in response.content.decode()
    holders = dict(Enrollment.objects.values_list("patient__family_name", "care_manager__username"))
    assert holders == {"First": "carl_cm", "Second": "carl_cm", "Stays": "alice_rn"}


def test_bulk_reassign_needs_a_choice(supervisor_client, sam_supervisor, alice_rn, carl, hh):
    first = _enrolled(sam_supervisor, hh, care_manager=alice_rn, family_name="First")
    response = supervisor_client.post(f"/caseload/staff/{alice_rn.pk}/reassign/", {"to": str(carl.pk)}, follow=True)
    assert "Check at least one person to reassign." in response.content.decode()
    first.refresh_from_db()
    assert first.care_manager_id == alice_rn.pk


def test_bulk_reassign_is_all_or_nothing(supervisor_client, sam_supervisor, alice_rn, carl, hh):
    plain = _enrolled(sam_supervisor, hh, care_manager=alice_rn, family_name="Plain")
    person = make_patient(sam_supervisor, family_name="Clinical")
    record_consent(
        patient=person,
        data=ConsentData(form="DOH-5055", signed_on=timezone.localdate(), partners=[sam_supervisor.organization]),
        by=sam_supervisor,
    )
    clinical = enroll(patient=person, program=hh, by=sam_supervisor, care_manager=alice_rn, clinical_need=True)
    response = supervisor_client.post(
        f"/caseload/staff/{alice_rn.pk}/reassign/",
        {"enrollments": [str(plain.pk), str(clinical.pk)], "to": str(carl.pk)},
        follow=True,
    )
    assert "Nobody was reassigned" in response.content.decode()
    assert set(Enrollment.objects.values_list("care_manager__username", flat=True)) == {"alice_rn"}


def test_other_organizations_care_manager_is_404(supervisor_client, eve_outsider):
    assert supervisor_client.get(f"/caseload/staff/{eve_outsider.pk}/").status_code == 404


def test_arrange_coverage(supervisor_client, sam_supervisor, alice_rn, carl, hh):
    _enrolled(sam_supervisor, hh, care_manager=alice_rn)
    form = supervisor_client.get(f"/caseload/coverage/?care_manager={alice_rn.pk}").content.decode()
    assert f'<option value="{alice_rn.pk}" selected>' in form
    today = timezone.localdate()
    response = supervisor_client.post(
        "/caseload/coverage/",
        {
            "care_manager": alice_rn.pk,
            "covered_by": carl.pk,
            "start_date": today.isoformat(),
            "end_date": (today + datetime.timedelta(days=5)).isoformat(),
            "reason": "Vacation",
        },
    )
    assert response.status_code == 302
    coverage = CaseloadCoverage.objects.get()
    assert (coverage.care_manager_id, coverage.covered_by_id, coverage.reason) == (alice_rn.pk, carl.pk, "Vacation")
    page = supervisor_client.get("/caseload/").content.decode()
    assert "Away: covered by Carl Ortiz" in page


def test_coverage_errors_are_shown(supervisor_client, alice_rn):
    today = timezone.localdate()
    response = supervisor_client.post(
        "/caseload/coverage/",
        {
            "care_manager": alice_rn.pk,
            "covered_by": alice_rn.pk,
            "start_date": today.isoformat(),
            "end_date": (today - datetime.timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Coverage cannot end before it starts." in page
    assert "Choose a colleague" in page
    assert not CaseloadCoverage.objects.exists()


def test_choose_page_ranks_and_lists_everyone(supervisor_client, sam_supervisor, alice_rn, carl, hh):
    waiting = _enrolled(sam_supervisor, hh, family_name="Nobodyyet", preferred_language="en")
    page = supervisor_client.get(f"/caseload/enrollments/{waiting.pk}/").content.decode()
    assert "Care manager for Nobodyyet" in page
    assert "Assign to Carl Ortiz" in page and "Assign to Alice Nguyen" in page
    assert page.count('name="care_manager"') >= 3
    other = _enrolled(sam_supervisor, hh, family_name="Elsewhere")
    Enrollment.objects.filter(pk=other.pk).update(organization=_other_org())
    assert supervisor_client.get(f"/caseload/enrollments/{other.pk}/").status_code == 404


def _other_org():
    from carecoord.testing.factories import make_organization

    return make_organization("Somewhere Else Care")


def test_large_team_shows_over_limit_first_then_everyone_on_request(
    supervisor_client, sam_supervisor, alice_rn, carl, hh, monkeypatch
):
    from carecoord.programs import caseload_views

    hh.caseload_limit = 1
    hh.save(update_fields=["caseload_limit"])
    _enrolled(sam_supervisor, hh, care_manager=carl)
    _enrolled(sam_supervisor, hh, care_manager=carl)
    monkeypatch.setattr(caseload_views, "TEAM_SHOWN", 1)
    page = supervisor_client.get("/caseload/").content.decode()
    assert "Carl Ortiz" in page and "Over the limit by 1" in page
    assert "Alice Nguyen" not in page.split("Waiting for a care manager")[0]
    assert "Show everyone" in page
    everyone = supervisor_client.get("/caseload/?team=all").content.decode()
    assert "Alice Nguyen" in everyone.split("Waiting for a care manager")[0]
