"""The month close through the actions: it freezes every enrollment's verdict, late work becomes a tracked
correction instead of a silent change, only supervisors and administrators close, only past months, and an
administrator's reopening (with a reason) is audited and brings the live verdicts back."""

from __future__ import annotations

import pytest

from carecoord.audit.models import AuditRecord
from carecoord.common.errors import AccessDenied, Conflict, ValidationFailed
from carecoord.contacts.actions import close_month, record_time, reopen_month
from carecoord.contacts.billing.report import report_rows
from carecoord.contacts.models import BillingCorrection, MonthClose, MonthStatus, Readiness
from carecoord.contacts.tests.helpers import PAST_MONTH, THIS_MONTH, contact, enrolled, in_month, minutes_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def hh(alice_rn, maria):
    return enrolled(alice_rn, "ny-hh-adult", patient=maria, care_manager=alice_rn, acuity="high")


@pytest.fixture
def ccm(alice_rn):
    return enrolled(alice_rn, "medicare-ccm", care_manager=alice_rn)


def test_close_freezes_every_enrollment_of_the_month(agency, alice_rn, sam_supervisor, hh, ccm):
    minutes_in(ccm, alice_rn, 25)  # 99490 in the past month; the Health Home person had no contact
    close = close_month(organization=agency, month=PAST_MONTH, by=sam_supervisor)
    assert (close.enrollments, close.billable, close.closed_by) == (2, 1, sam_supervisor)
    rows = {s.enrollment_id: s for s in MonthStatus.objects.filter(month=PAST_MONTH)}
    assert rows[hh.pk].closed and rows[hh.pk].status == Readiness.NOT_BILLABLE
    assert rows[ccm.pk].closed and rows[ccm.pk].codes == [{"code": "99490", "units": 1}]
    audit = AuditRecord.objects.get(object_type="MonthClose")
    assert (audit.user_id, audit.detail["change"], audit.detail["month"]) == (
        sam_supervisor.pk,
        "close",
        f"{PAST_MONTH:%Y-%m}",
    )


def test_a_late_contact_keeps_the_closed_figures_and_records_a_correction(agency, alice_rn, sam_supervisor, hh):
    close_month(organization=agency, month=PAST_MONTH, by=sam_supervisor)
    late = contact(hh, alice_rn, when=in_month(PAST_MONTH, 20))
    stored = MonthStatus.objects.get(enrollment=hh, month=PAST_MONTH)
    assert (stored.status, stored.closed) == (Readiness.NOT_BILLABLE, True)
    correction = BillingCorrection.objects.get()
    assert (correction.before_status, correction.before_codes) == (Readiness.NOT_BILLABLE, [])
    assert correction.after_status == Readiness.BILLABLE
    assert correction.after_codes == [{"code": "hh-enrolled", "units": 1, "tier": "high"}]
    assert (correction.trigger_type, correction.trigger_id, correction.by) == ("Contact", str(late.pk), alice_rn)
    row = next(r for r in report_rows(agency, PAST_MONTH) if r.patient_id == hh.patient_id)
    assert row.status == Readiness.NOT_BILLABLE and row.closed
    assert row.corrections == [correction]
    assert AuditRecord.objects.filter(object_type="BillingCorrection", patient_id=hh.patient_id).count() == 1


def test_work_that_changes_nothing_billed_is_not_a_correction(agency, alice_rn, sam_supervisor, hh):
    contact(hh, alice_rn, when=in_month(PAST_MONTH, 5))
    close_month(organization=agency, month=PAST_MONTH, by=sam_supervisor)
    contact(hh, alice_rn, when=in_month(PAST_MONTH, 20))  # billable already: same status and codes
    assert not BillingCorrection.objects.exists()


def test_a_second_late_entry_is_corrected_from_the_first_correction(agency, alice_rn, sam_supervisor, ccm):
    minutes_in(ccm, alice_rn, 25)
    close_month(organization=agency, month=PAST_MONTH, by=sam_supervisor)
    for _ in range(2):
        record_time(
            patient=ccm.patient,
            activity="medication",
            minutes=20,
            by=alice_rn,
            enrollment=ccm,
            performed_at=in_month(PAST_MONTH, 25),
        )
    first, second = BillingCorrection.objects.order_by("recorded_at", "id")
    assert first.before_codes == [{"code": "99490", "units": 1}]
    assert first.after_codes == second.before_codes == [{"code": "99490", "units": 1}, {"code": "99439", "units": 1}]
    assert second.after_codes == [{"code": "99490", "units": 1}, {"code": "99439", "units": 2}]
    assert first.trigger_type == "TimeEntry"
    assert MonthStatus.objects.get(enrollment=ccm, month=PAST_MONTH).codes == [{"code": "99490", "units": 1}]


def test_the_current_month_stays_live(agency, alice_rn, sam_supervisor, hh):
    close_month(organization=agency, month=PAST_MONTH, by=sam_supervisor)
    contact(hh, alice_rn)
    assert MonthStatus.objects.get(enrollment=hh, month=THIS_MONTH).status == Readiness.BILLABLE
    assert not BillingCorrection.objects.exists()


@pytest.mark.parametrize("who", ["alice_rn", "bob_coordinator", "audrey_auditor", "eve_outsider"])
def test_only_the_organizations_supervisors_and_admins_close(request, agency, hh, who):
    with pytest.raises(AccessDenied):
        close_month(organization=agency, month=PAST_MONTH, by=request.getfixturevalue(who))
    assert not MonthClose.objects.exists()


def test_an_admin_may_close(agency, olga_admin, hh):
    assert close_month(organization=agency, month=PAST_MONTH, by=olga_admin).enrollments == 1


def test_the_current_month_cannot_be_closed(agency, sam_supervisor, hh):
    with pytest.raises(ValidationFailed) as refused:
        close_month(organization=agency, month=THIS_MONTH, by=sam_supervisor)
    assert "has not ended" in refused.value.errors["month"][0]


def test_a_closed_month_cannot_be_closed_twice(agency, sam_supervisor, hh):
    close_month(organization=agency, month=PAST_MONTH, by=sam_supervisor)
    with pytest.raises(Conflict):
        close_month(organization=agency, month=PAST_MONTH, by=sam_supervisor)


def test_reopen_needs_an_admin_and_a_reason_and_is_audited(agency, alice_rn, sam_supervisor, olga_admin, hh):
    close_month(organization=agency, month=PAST_MONTH, by=sam_supervisor)
    contact(hh, alice_rn, when=in_month(PAST_MONTH, 20))
    with pytest.raises(AccessDenied):
        reopen_month(organization=agency, month=PAST_MONTH, reason="late notes", by=sam_supervisor)
    with pytest.raises(ValidationFailed):
        reopen_month(organization=agency, month=PAST_MONTH, reason="  ", by=olga_admin)
    close = reopen_month(organization=agency, month=PAST_MONTH, reason="Late home visit notes", by=olga_admin)
    assert (close.reopened_by, close.reopen_reason) == (olga_admin, "Late home visit notes")
    stored = MonthStatus.objects.get(enrollment=hh, month=PAST_MONTH)
    assert (stored.status, stored.closed) == (Readiness.BILLABLE, False)  # live again, with the late contact
    assert BillingCorrection.objects.count() == 1  # history stays
    audit = AuditRecord.objects.get(object_type="MonthClose", detail__change="reopen")
    assert (audit.user_id, audit.detail["reason"]) == (olga_admin.pk, "Late home visit notes")
    again = close_month(organization=agency, month=PAST_MONTH, by=sam_supervisor)  # a new close, history kept
    assert MonthClose.objects.count() == 2 and again.billable == 1
