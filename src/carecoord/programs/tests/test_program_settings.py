"""Program rules are configuration: the Health Home lead's administrators change them in the admin center."""

from __future__ import annotations

import pytest

from carecoord.audit.models import AuditRecord
from carecoord.programs.models import Program
from carecoord.testing.factories import make_organization, make_user
from carecoord.web.testing import confirmed_device, plain_static_files, signed_in  # noqa: F401


@pytest.fixture
def lead_admin(db):
    lead = make_organization("Harbor Health Home", type="health_home")
    user = make_user("hh_admin", role="org_admin", organization=lead)
    confirmed_device(user)
    return user


def form_of(program: Program, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": program.name,
        "description": program.description,
        "min_core_services_per_month": program.min_core_services_per_month,
        "min_in_person_per_month": program.min_in_person_per_month,
        "min_minutes_per_month": program.min_minutes_per_month,
        "eligibility": "\n".join(program.eligibility),
        "required_consents": program.required_consents,
        "acuity_tiers": "\n".join(f"{t['code']}: {t['label']}" for t in program.acuity_tiers),
        "outreach_max_consecutive_months": program.outreach_max_consecutive_months or "",
        "outreach_max_billable_months_per_year": program.outreach_max_billable_months_per_year or "",
        "plan_due_days": program.plan_due_days or "",
        "plan_review_days": program.plan_review_days or "",
        "assessment_due_days": program.assessment_due_days or "",
        "caseload_limit": program.caseload_limit or "",
    }
    for flag in ("active", "outreach_allowed", "outreach_second_month_needs_in_person", "needs_licensed_care_manager"):
        if getattr(program, flag):
            data[flag] = "on"
    data.update(changes)
    return data


def test_shipped_programs_are_listed_with_their_rules(client, lead_admin):
    page = signed_in(client, lead_admin).get("/admin-center/programs/")
    assert page.status_code == 200
    text = page.content.decode()
    for name in ("NY Health Home (adult)", "Medicare Chronic Care Management", "NY Health Home Plus (HIV)"):
        assert name in text
    assert "2 months in a row, 2nd in person; 4 in any 12" in text


def test_lead_admin_changes_a_deadline_and_it_is_audited(client, lead_admin):
    program = Program.objects.get(code="ny-hh-adult")
    response = signed_in(client, lead_admin).post(
        "/admin-center/programs/ny-hh-adult/", form_of(program, plan_due_days=45, caseload_limit=40)
    )
    assert response.status_code == 302
    program.refresh_from_db()
    assert (program.plan_due_days, program.caseload_limit) == (45, 40)
    change = AuditRecord.objects.filter(object_type="Program", object_id="ny-hh-adult").get()
    assert change.detail["changed"]["plan_due_days"] == ["60", "45"]


def test_bad_rules_are_refused_next_to_the_field_and_nothing_changes(client, lead_admin):
    program = Program.objects.get(code="ny-hh-adult")
    response = signed_in(client, lead_admin).post(
        "/admin-center/programs/ny-hh-adult/",
        form_of(program, min_age=30, max_age=20, acuity_tiers="high High", plan_due_days=0),
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "The maximum age is below the minimum age." in text or "Write each tier as code: label" in text
    assert "Write each tier as code: label" in text
    program.refresh_from_db()
    assert program.plan_due_days == 60 and program.min_age == 18


def test_agency_admins_see_but_cannot_change_and_care_managers_cannot_see(client, olga_admin, alice_rn):
    confirmed_device(olga_admin)
    assert signed_in(client, olga_admin).get("/admin-center/programs/").status_code == 200
    assert client.get("/admin-center/programs/ny-hh-adult/").status_code == 403
    assert signed_in(client, alice_rn).get("/admin-center/programs/").status_code == 403
