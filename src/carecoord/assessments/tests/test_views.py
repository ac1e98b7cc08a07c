"""The assessment pages through HTTP: starting and filling a PHQ-9 (draft, refused completion naming the item,
completion with the item-9 safety task), the result page, the chart's banner and screening panel with its SVG
chart, who may give what, amendment history, retraction, the safety flag's resolution and custom questionnaires.
"""

from __future__ import annotations

import datetime
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from carecoord.assessments import instruments
from carecoord.assessments.models import QuestionnaireDefinition, QuestionnaireResponse, SafetyFlag
from carecoord.assessments.scoring.screens import PHQ9_ITEM9, PHQ9_ITEMS
from carecoord.tasks.models import Task
from carecoord.web.testing import plain_static_files, signed_in  # noqa: F401

from .builders import complete, definition, enroll_with, phq9

PHQ9 = instruments.PHQ9_URL
HVS = instruments.HUNGER_VITAL_SIGN_URL


@pytest.fixture
def alice_client(client, alice_rn):
    return signed_in(client, alice_rn)


@pytest.fixture
def enrolled(maria, alice_rn):
    """María enrolled with Alice as her care manager (the safety task goes to her)."""
    enroll_with(maria, alice_rn, care_manager=alice_rn)
    return maria


def start_url(patient, url: str) -> str:
    return f"/assessments/patients/{patient.pk}/new/{definition(url).pk}/"


def phq_form(points: dict[int, int], action: str) -> dict[str, str]:
    """Form fields for PHQ-9 items (1-9) with these points; an option's position is its points."""
    data = {f"a/{PHQ9_ITEMS[n - 1]}": str(p) for n, p in points.items()}
    data["action"] = action
    return data


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# --- starting and filling ----------------------------------------------------------------------------------------


def test_patient_page_offers_what_the_role_may_give(client, maria, alice_rn, bob_coordinator):
    page = text(signed_in(client, alice_rn).get(f"/assessments/patients/{maria.pk}/"))
    assert "Patient Health Questionnaire-9 (PHQ-9)" in page and "Hunger Vital Sign" in page
    assert "Comprehensive" in page
    page = text(signed_in(client, bob_coordinator).get(f"/assessments/patients/{maria.pk}/"))
    assert "Hunger Vital Sign" in page and "AHC" in page
    assert "(PHQ-9)" not in page and "GAD-7" not in page


def test_phq9_form_numbers_answers_and_hides_the_difficulty_item(alice_client, maria):
    response = alice_client.get(start_url(maria, PHQ9))
    assert response.status_code == 200
    page = text(response)
    assert page.count('data-question data-type="choice"') == 10
    assert '<kbd aria-hidden="true">0</kbd><span>Not at all</span>' in page
    assert '<kbd aria-hidden="true">3</kbd><span>Nearly every day</span>' in page
    assert 'data-live-total data-name="PHQ-9"' in page and 'data-max="27"' in page
    assert f'data-safety-item="{PHQ9_ITEM9}"' in page
    difficulty = re.search(r'<div [^>]*data-link-id="69722-7"[^>]*>', page)
    assert difficulty and " hidden" in difficulty.group(0) and "data-enable-when" in difficulty.group(0)
    assert '"op": "!=", "kind": "coding", "value": "http://loinc.org|LA6568-5"' in page.replace("&quot;", '"')
    assert 'src="/static/assessments/assessments.js" defer' in page and "<script>" not in page


def test_draft_resume_and_completion_naming_the_missing_item(alice_client, enrolled):
    response = alice_client.post(start_url(enrolled, PHQ9), phq_form({1: 1, 2: 2, 3: 0}, "draft"))
    draft = QuestionnaireResponse.objects.get(patient=enrolled)
    assert response.status_code == 302 and response["Location"] == f"/assessments/responses/{draft.pk}/"
    assert draft.status == "in-progress" and len(draft.items) == 3

    page = text(alice_client.get(response["Location"]))
    assert "Draft</span> saved" in page
    assert re.search(r'name="a/44255-8" value="2"[^>]*checked', page)  # the answer given comes back

    points = {n: 1 for n in range(1, 10)}
    del points[5]
    response = alice_client.post(f"/assessments/responses/{draft.pk}/", phq_form(points, "complete"))
    assert response.status_code == 422
    page = text(response)
    assert "There is a problem" in page
    assert "Question 5 “Poor appetite or overeating”: An answer is required" in page
    assert 'href="#i5"' in page and 'class="q-item q-question has-error' in page
    draft.refresh_from_db()
    assert draft.status == "in-progress"


def test_completion_with_item9_shows_the_result_the_task_and_the_chart(alice_client, enrolled):
    points = {1: 2, 2: 2, 3: 2, 4: 1, 5: 1, 6: 1, 7: 1, 8: 1, 9: 1}  # 12: moderate; item 9 "Several days"
    response = alice_client.post(start_url(enrolled, PHQ9), phq_form(points, "complete"))
    done = QuestionnaireResponse.objects.get(patient=enrolled)
    assert response.status_code == 302 and response["Location"] == f"/assessments/responses/{done.pk}/"
    assert (done.status, done.total, done.band_code) == ("completed", 12, "moderate")

    page = text(alice_client.get(response["Location"]))
    assert '<span class="score-number">12</span> <span class="muted">of 27</span>' in page
    assert "▲ Moderate" in page
    assert "answered “Several days”: a safety task was created for Alice Nguyen." in page
    task = Task.objects.get(patient=enrolled, reason="phq9-item9-safety")
    assert f'href="/tasks/{task.pk}/"' in page and "Safety follow-up" in page and "As soon as possible" in page
    assert "LOINC 44261-6" in page  # the total's Observation

    chart = text(alice_client.get(f"/patients/{enrolled.pk}/"))
    start = chart.index('class="safety-banner"')
    assert start < chart.index('class="grid-3"')  # in the chart's header, before anything else
    banner = chart[start : chart.index("</header>", start)]
    assert "PHQ-9 question 9" in banner and "“Several days”" in banner
    assert f'href="/tasks/{task.pk}/"' in banner and "Resolve this flag" in banner
    panel = chart[chart.index('id="screening"') :]
    assert "Patient Health Questionnaire-9 (PHQ-9)" in panel and "<strong>12</strong>" in panel
    assert '<svg viewBox="0 0 640 236" role="img" aria-label="PHQ-9 score: one score, 12 of 27 (Moderate)' in panel
    assert "<caption>PHQ-9 scores by date</caption>" in panel
    assert "Safety follow-up" in chart[chart.index('id="tasks"') :]


def test_chart_draws_the_history_across_bands(alice_client, enrolled, alice_rn):
    now = timezone.now()
    for days, item_points in ((120, [0, 0, 1, 1, 1, 0, 0, 0, 0]), (80, [1, 1, 1, 1, 1, 1, 1, 1, 0])):
        complete(enrolled, alice_rn, PHQ9, phq9(item_points), authored=now - datetime.timedelta(days=days))
    complete(enrolled, alice_rn, PHQ9, phq9([3, 3, 2, 2, 2, 2, 2, 1, 0]), authored=now - datetime.timedelta(days=30))
    chart = text(alice_client.get(f"/patients/{enrolled.pk}/"))
    svg = chart[chart.index("<svg") : chart.index("</svg>")]
    assert 'aria-label="PHQ-9 scores over time: 3 scores from' in svg
    assert "Latest 17 of 27 (Moderately severe); lowest 3, highest 17." in svg
    assert svg.count('class="point"') == 3 and "<polyline" in svg
    for band in ("None-minimal", "Mild", "Moderate", "Moderately severe", "Severe"):
        assert f">{band} <tspan" in svg
    assert chart.count("<td>17 of 27</td>") == 1


def test_coordinator_gives_the_hunger_vital_sign_but_not_a_phq9(client, maria, bob_coordinator):
    bob = signed_in(client, bob_coordinator)
    assert bob.get(start_url(maria, PHQ9)).status_code == 403
    assert bob.post(start_url(maria, PHQ9), phq_form({1: 0}, "draft")).status_code == 403
    assert not QuestionnaireResponse.objects.exists()
    assert bob.get(start_url(maria, HVS)).status_code == 200
    response = bob.post(start_url(maria, HVS), {"a/88122-7": "1", "a/88123-5": "2", "action": "complete"})
    assert response.status_code == 302
    page = text(bob.get(response["Location"]))
    assert "At risk" in page and "Food insecurity" in page


def test_an_outsider_sees_nothing(client, maria, alice_rn, eve_outsider):
    done = complete(maria, alice_rn, PHQ9, phq9([0] * 9))
    eve = signed_in(client, eve_outsider)
    assert eve.get(f"/assessments/patients/{maria.pk}/").status_code in (403, 404)
    assert eve.get(start_url(maria, PHQ9)).status_code in (403, 404)
    assert eve.get(f"/assessments/responses/{done.pk}/").status_code in (403, 404)
    assert eve.get(f"/assessments/responses/{done.pk}/amend/").status_code in (403, 404)


# --- correcting a response ---------------------------------------------------------------------------------------


def test_amend_keeps_the_history(alice_client, maria, alice_rn):
    done = complete(maria, alice_rn, PHQ9, phq9([1, 1, 1, 0, 0, 0, 0, 0, 0]))
    page = text(alice_client.get(f"/assessments/responses/{done.pk}/amend/"))
    assert re.search(r'name="a/44250-9" value="1"[^>]*checked', page) and 'name="reason"' in page
    form = phq_form(dict.fromkeys(range(1, 10), 1), "amend")
    response = alice_client.post(f"/assessments/responses/{done.pk}/amend/", form)
    assert response.status_code == 422 and "Why the answers change" in text(response)  # a reason is needed
    form["reason"] = "Read the wrong column on the paper form"
    response = alice_client.post(f"/assessments/responses/{done.pk}/amend/", form)
    assert response.status_code == 302
    done.refresh_from_db()
    assert (done.status, done.total) == ("amended", 9)
    page = text(alice_client.get(f"/assessments/responses/{done.pk}/"))
    assert "<strong>Amended.</strong>" in page
    assert "Version 2</strong>: amended" in page and "total 9 (Mild)" in page
    assert "Version 1</strong>: completed" in page and "total 3 (None-minimal)" in page
    assert "Reason: Read the wrong column on the paper form" in page


def test_entered_in_error_stops_counting(alice_client, maria, alice_rn):
    done = complete(maria, alice_rn, PHQ9, phq9([1] * 9))
    response = alice_client.post(f"/assessments/responses/{done.pk}/entered-in-error/", {"reason": "Wrong person"})
    assert response.status_code == 302
    page = text(alice_client.get(f"/assessments/responses/{done.pk}/"))
    assert "<strong>Entered in error.</strong>" in page and "Reason: Wrong person" in page
    listing = text(alice_client.get(f"/assessments/patients/{maria.pk}/"))
    assert "✕ Entered in error" in listing and "does not count" in listing
    chart = text(alice_client.get(f"/patients/{maria.pk}/"))
    assert "<svg" not in chart and "No screening yet." in chart


def test_a_licensed_user_resolves_the_safety_flag(client, enrolled, alice_rn, bob_coordinator):
    complete(enrolled, alice_rn, PHQ9, phq9([0, 0, 0, 0, 0, 0, 0, 0, 2]))
    flag = SafetyFlag.objects.get(patient=enrolled)
    bob = signed_in(client, bob_coordinator)
    chart = text(bob.get(f"/patients/{enrolled.pk}/"))
    assert "More than half the days" in chart and "Resolve this flag" not in chart
    assert bob.post(f"/assessments/safety-flags/{flag.pk}/resolve/", {"resolution": "x"}).status_code == 403
    alice = signed_in(client, alice_rn)
    response = alice.post(f"/assessments/safety-flags/{flag.pk}/resolve/", {"resolution": "Reached her; safe"})
    assert response.status_code == 302 and response["Location"] == f"/patients/{enrolled.pk}/"
    flag.refresh_from_db()
    assert flag.resolved_by == alice_rn and flag.resolution == "Reached her; safe"
    assert 'class="safety-banner"' not in text(alice.get(f"/patients/{enrolled.pk}/"))


# --- any questionnaire -------------------------------------------------------------------------------------------


def test_repeating_groups_and_conditions_of_the_comprehensive_assessment(alice_client, maria):
    url = start_url(maria, instruments.COMPREHENSIVE_ASSESSMENT_URL)
    page = text(alice_client.get(url))
    assert '<template id="' in page and "__N1__" in page and "+ Add another" in page
    assert 'type="checkbox"' in page and 'type="date"' in page and 'step="1"' in page
    assert "<legend>Medical" in page
    fields = {
        "a/medical[0]/medical.conditions[]": ["0", "3"],
        "a/medical[0]/medical.conditions[0]/medical.conditions.name": "Type 2 diabetes",
        "a/medical[0]/medical.conditions[3]/medical.conditions.name": "Asthma",
        "a/medical[0]/medical.hospital-stays": "false",
        "a/medical[0]/medical.hospital-stays-count": "4",  # disabled by the answer above: dropped
        "a/social[0]/social.transportation": "other",
        "a/social[0]/social.transportation/other": "My son drives me",
        "action": "draft",
    }
    response = alice_client.post(url, fields)
    assert response.status_code == 302
    draft = QuestionnaireResponse.objects.get(patient=maria)
    medical = next(node for node in draft.items if node["linkId"] == "medical")
    names = [
        child["item"][0]["answer"][0]["valueString"]
        for child in medical["item"]
        if child["linkId"] == "medical.conditions"
    ]
    assert names == ["Type 2 diabetes", "Asthma"]
    assert "medical.hospital-stays-count" not in json.dumps(draft.items)
    assert '{"valueString": "My son drives me"}' in json.dumps(draft.items)
    page = text(alice_client.get(f"/assessments/responses/{draft.pk}/"))
    assert 'value="Asthma"' in page and 'name="a/medical[0]/medical.conditions[]" value="1"' in page
    assert re.search(r'value="other" data-other checked', page) and 'value="My son drives me"' in page


@pytest.mark.parametrize("questionnaire", instruments.builtin(), ids=lambda q: q.name)
def test_every_builtin_renders_in_the_preview(client, olga_admin, questionnaire):
    row = QuestionnaireDefinition.objects.get(url=questionnaire.url, builtin=True)
    response = signed_in(client, olga_admin).get(f"/assessments/questionnaires/{row.pk}/")
    assert response.status_code == 200
    page = text(response)
    questions = [item for item in questionnaire.walk() if item.is_question]
    assert f"{len(questions)} question" in page
    for item in questions:
        assert f'data-link-id="{item.link_id}"' in page


def test_questionnaires_upload_preview_and_retire(client, olga_admin, alice_rn):
    admin = signed_in(client, olga_admin)
    page = text(admin.get("/assessments/questionnaires/"))
    assert "Built-in instruments" in page and "Patient Health Questionnaire-9 (PHQ-9)" in page
    form = {
        "resourceType": "Questionnaire",
        "url": "https://agency.example.org/q/housing",
        "version": "1",
        "title": "Housing check-in",
        "status": "active",
        "item": [
            {"linkId": "stable", "type": "boolean", "text": "Is your housing stable?", "required": True},
            {
                "linkId": "worry",
                "type": "text",
                "text": "What worries you about it?",
                "enableWhen": [{"question": "stable", "operator": "=", "answerBoolean": False}],
            },
        ],
    }
    upload = SimpleUploadedFile("housing.json", json.dumps(form).encode(), content_type="application/json")
    response = admin.post("/assessments/questionnaires/", {"file": upload, "capability": "social_screening"})
    created = QuestionnaireDefinition.objects.get(url="https://agency.example.org/q/housing")
    assert response.status_code == 302 and response["Location"] == f"/assessments/questionnaires/{created.pk}/"
    preview = text(admin.get(response["Location"]))
    assert "Is your housing stable?" in preview and "What worries you about it?" in preview and "Preview" in preview

    bad = SimpleUploadedFile("bad.json", b'{"resourceType": "Questionnaire", ', content_type="application/json")
    response = admin.post("/assessments/questionnaires/", {"file": bad, "capability": "social_screening"})
    assert response.status_code == 422 and "The file is not valid JSON (line 1" in text(response)
    broken = {**form, "url": "https://agency.example.org/q/other", "item": [{"linkId": "pick", "type": "choice"}]}
    upload = SimpleUploadedFile("broken.json", json.dumps(broken).encode(), content_type="application/json")
    response = admin.post("/assessments/questionnaires/", {"file": upload, "capability": "social_screening"})
    assert response.status_code == 422
    assert "pick: a choice item needs answerOption or answerValueSet" in text(response)

    response = admin.post(f"/assessments/questionnaires/{created.pk}/retire/")
    created.refresh_from_db()
    assert response.status_code == 302 and created.status == "retired"

    alice = signed_in(client, alice_rn)
    assert alice.post("/assessments/questionnaires/", {"capability": "social_screening"}).status_code == 403
    assert "Add a questionnaire" not in text(alice.get("/assessments/questionnaires/"))
