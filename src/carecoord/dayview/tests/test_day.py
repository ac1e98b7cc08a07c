"""The day view through its access function and over HTTP: every source with its reason and link, the order,
the filters, the counts fragment, outsiders, the audit, and a statement count that does not grow."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from carecoord.audit.models import AuditRecord
from carecoord.common.errors import AccessDenied
from carecoord.dayview.access import DayFilters, access_day, access_day_counts
from carecoord.dayview.tests.builders import DAY, full_day, later_today, person_on_caseload, task
from carecoord.testing.factories import make_patient
from carecoord.web.testing import plain_static_files, signed_in  # noqa: F401


@pytest.fixture
def built(alice_rn, maria, agency):
    return full_day(alice_rn, maria, agency)


def by_key(day):
    return {r.row.key: r for r in day.rows}


def test_every_source_appears_with_its_reason_and_its_one_click_action(built, alice_rn):
    day = access_day(alice_rn)
    rows = by_key(day)
    kinds = {r.row.kind for r in day.rows}
    assert kinds == {"safety", "transitions", "tasks", "contacts", "reviews", "screening", "referrals"}

    safety = next(r.row for r in day.rows if r.row.kind == "safety")
    assert safety.person and safety.person.name == "García, María José"
    assert safety.action_url.startswith("/tasks/")

    discharge = rows[f"Transition/{built.transition.pk}"].row
    contact_due = built.transition.contact_due
    assert discharge.why.startswith(
        "Discharged from GENHOSP yesterday — interactive contact within 2 business days: due by "
    )
    assert contact_due.strftime("%a %-d %b") in discharge.why and "business day" in discharge.why
    assert discharge.action_url == f"/transitions/{built.transition.pk}/"
    assert discharge.person and discharge.person.birth_date == datetime.date(1950, 3, 12)

    ed = next(r.row for r in day.rows if r.row.key.startswith("AdtEvent/"))
    assert ed.why.startswith("ED visit at GENHOSP today — check in with the person by ")
    assert ed.action_url == f"/patients/{built.ana.pk}/#transitions"

    overdue = rows[f"Task/{built.overdue.pk}"]
    assert overdue.overdue and "overdue since" in overdue.row.why and "(2 days)" in overdue.row.why
    assert overdue.row.action_url == f"/tasks/{built.overdue.pk}/"
    assert "Urgent, due today by" in rows[f"Task/{built.today.pk}"].row.why
    assert (
        "RN team" in rows[f"Task/{built.queued.pk}"].row.detail or "queue" in rows[f"Task/{built.queued.pk}"].row.detail
    )
    assert not any("Next week" in r.row.why for r in day.rows)

    month = timezone.localdate().strftime("%B")
    contacts = [r.row for r in day.rows if r.row.kind == "contacts"]
    assert {c.person.name for c in contacts if c.person} == {"García, María José", "Rivera, Ana"}
    assert all(c.why.startswith(f"No contact in {month} yet — ") and "left" in c.why for c in contacts)
    assert contacts[0].action_url.endswith("/#contact-log")

    review = rows[f"CarePlan/{built.plan_id}"].row
    assert (
        review.why.startswith("Care plan review overdue since ") and review.action_url == f"/careplans/{built.plan_id}/"
    )

    screening = [r.row for r in day.rows if r.row.kind == "screening"]
    assert any(s.person and s.person.name == "García, María José" and "never screened" in s.why for s in screening)
    assert all(s.action_url.endswith("#screening") for s in screening)

    referral = rows[f"ServiceRequest/{built.referral.pk}"].row
    assert (
        referral.why.startswith("Referred to ") and "by Dr. Lena Stone today — waiting for a decision" in referral.why
    )
    assert referral.action_url == f"/programs/referrals/{built.referral.pk}/"


def test_work_another_row_stands_for_is_not_listed_twice(built, alice_rn):
    day = access_day(alice_rn)
    task_titles = [r.row.title for r in day.rows if r.row.kind == "tasks"]
    assert not any(t.startswith("Safety follow-up") for t in task_titles)  # the safety flag's own task
    assert not any("ED visit at" in t or "Discharged" in t for t in task_titles)  # hospital rows stand for them
    assert not any("review" in t.lower() and "plan" in t.lower() for t in task_titles)


def test_the_order_is_safety_then_overdue_then_today_then_the_rest(built, alice_rn):
    day = access_day(alice_rn)
    bands = [r.band.code for r in day.rows]
    assert bands == sorted(bands)
    assert day.rows[0].row.kind == "safety"
    overdue = [r for r in day.rows if r.band.name == "overdue"]
    assert [r.days for r in overdue] == sorted(r.days for r in overdue)  # most overdue first
    today = [r.row for r in day.rows if r.band.name == "today"]
    assert [t.key for t in today if t.kind == "tasks"][:1] == [f"Task/{built.today.pk}"]  # urgent before routine


def test_filters_by_kind_and_mine_only(built, alice_rn):
    only_tasks = access_day(alice_rn, filters=DayFilters(kind="tasks"))
    assert {r.row.kind for r in only_tasks.rows} == {"tasks"}
    assert only_tasks.counts == access_day(alice_rn).counts  # the chips count everything
    mine = access_day(alice_rn, filters=DayFilters(kind="tasks", queues=False))
    keys = {r.row.key for r in mine.rows}
    assert f"Task/{built.queued.pk}" not in keys and f"Task/{built.today.pk}" in keys
    assert DayFilters.parse("nonsense", "mine") == DayFilters(kind="all", queues=False)


def test_the_page_and_the_counts_fragment(client, built, alice_rn):
    alice = signed_in(client, alice_rn)
    page = alice.get("/today/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "data-list" in html and html.count("data-item") == len(access_day(alice_rn).rows)
    assert 'hx-get="/today/counts/?kind=all"' in html and 'hx-trigger="every 60s"' in html
    assert (
        f'href="/transitions/{built.transition.pk}/"' in html and "García, María José" in html and "9 Mar 1968" in html
    )
    assert '<a href="/today/"' in html  # the navigation's first entry
    safety_only = alice.get("/today/?kind=safety&scope=mine").content.decode()
    assert "Safety concern" not in safety_only or "Pharmacy" not in safety_only
    assert "Call the pharmacy" not in safety_only
    counts = alice.get("/today/counts/?kind=tasks&scope=mine")
    fragment = counts.content.decode()
    assert counts.status_code == 200 and fragment.lstrip().startswith('<nav class="day-chips"')
    expected = access_day_counts(alice_rn, filters=DayFilters(queues=False))
    assert f'data-kind="tasks">Tasks <span class="n" aria-label="{expected["tasks"]} to do">' in fragment
    assert 'aria-current="true" data-kind="tasks"' in fragment and "scope=mine" in fragment


def test_an_outsider_sees_none_of_our_people_and_ours_never_see_theirs(client, built, alice_rn, eve_outsider):
    theirs = make_patient(eve_outsider, family_name="Marsh", given_names="Theo")
    task(eve_outsider, "Their overdue call", patient=theirs, due=timezone.now() - DAY)
    day = access_day(eve_outsider)
    assert all(r.row.person is None or r.row.person.id == theirs.pk for r in day.rows)
    assert next(r.row.why for r in day.rows if r.row.kind == "tasks").startswith("Their overdue call")
    ours = access_day(alice_rn)
    assert theirs.pk not in {r.row.person.id for r in ours.rows if r.row.person}
    assert "Marsh" not in signed_in(client, alice_rn).get("/today/").content.decode()


def test_roles_without_tasks_are_refused(client, audrey_auditor):
    with pytest.raises(AccessDenied):
        access_day(audrey_auditor)
    assert signed_in(client, audrey_auditor).get("/today/").status_code == 403


def test_the_listing_is_audited_once_naming_the_people_shown(built, alice_rn):
    before = AuditRecord.objects.count()
    day = access_day(alice_rn, filters=DayFilters(kind="referrals"))
    records = list(AuditRecord.objects.order_by("pk")[before:])
    assert len(records) == 1
    listing = records[0]
    assert (listing.action, listing.object_type) == ("search", "DayView")
    assert listing.detail["patients"] == [str(built.referral.patient_id)]
    assert listing.detail["results"] == [r.row.key for r in day.rows]
    before = AuditRecord.objects.count()
    access_day_counts(alice_rn)
    assert AuditRecord.objects.count() == before  # counts name no one


def _statements(user, client=None) -> int:
    with CaptureQueriesContext(connection) as captured:
        if client is None:
            access_day(user)
        else:
            assert client.get("/today/").status_code == 200
    return len(captured.captured_queries)


def test_the_statement_count_does_not_grow_with_people_or_tasks(client, built, alice_rn):
    alice = signed_in(client, alice_rn)
    alice.get("/today/")  # the first page of a session records its start (later ones within 30 s write nothing)
    small, small_page = _statements(alice_rn), _statements(alice_rn, alice)
    for n in range(6):
        enrollment = person_on_caseload(alice_rn, family_name=f"Person{n}", given_names="Test")
        for hours in (-50, -3, 1):
            task(
                alice_rn,
                f"Task {n} {hours}",
                patient=enrollment.patient,
                due=timezone.now() + datetime.timedelta(hours=hours),
            )
        task(alice_rn, f"Task {n} later", patient=enrollment.patient, due=later_today())
    grown = access_day(alice_rn)
    assert len(grown.rows) > len(access_day(alice_rn, filters=DayFilters(kind="safety")).rows) + 30
    assert _statements(alice_rn) == small
    assert _statements(alice_rn, alice) == small_page
    assert small <= 17, small  # one statement per source (community referral news added the 17th)
    print(f"statements: access_day {small}, page {small_page}")


def test_a_long_day_comes_in_pages_and_each_page_names_only_its_people(client, alice_rn, monkeypatch):
    monkeypatch.setattr("carecoord.dayview.access.PAGE_ROWS", 5)
    people = [person_on_caseload(alice_rn, family_name=f"Paged{n}", given_names="Test").patient for n in range(4)]
    for n, someone in enumerate(people):
        for hours in (-30, -20, -10):
            task(alice_rn, f"Call {n} {hours}", patient=someone, due=timezone.now() + datetime.timedelta(hours=hours))
    whole = access_day(alice_rn, filters=DayFilters(kind="tasks"))
    assert whole.matching == 12 and len(whole.rows) == 5 and whole.more == 7
    assert whole.band_totals == {1: 12}  # all twelve overdue, whatever the page shows
    third = access_day(alice_rn, filters=DayFilters.parse("tasks", None, "3"))
    assert (third.first, len(third.rows), third.more) == (10, 2, 0)
    assert [r.row.key for r in third.rows] == [
        r.row.key for r in access_day(alice_rn, filters=DayFilters(kind="tasks", page=99)).rows
    ]  # past the end: the last page
    pages = [access_day(alice_rn, filters=DayFilters(kind="tasks", page=n)).rows for n in (1, 2, 3)]
    keys = [r.row.key for rows in pages for r in rows]
    assert len(keys) == len(set(keys)) == 12  # each row on exactly one page, in the ranked order
    listing = AuditRecord.objects.filter(object_type="DayView").order_by("-pk").first()
    assert listing is not None and listing.detail["page"] == 3
    assert listing.detail["patients"] == sorted({str(r.row.person.id) for r in pages[2] if r.row.person})

    alice = signed_in(client, alice_rn)
    html = alice.get("/today/?kind=tasks&page=2").content.decode()
    assert "Rows 6\u201310 of 12" in html and 'rel="prev"' in html and 'rel="next"' in html
    assert html.count("<tr data-item") == 5 and 'Overdue <span class="count">12</span>' in html
    assert alice.get("/today/?page=nonsense").status_code == 200  # a bad page number shows the first
