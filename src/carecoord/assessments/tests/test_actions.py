"""Storing responses through the actions: built-ins installed, drafts, completion with scoring and Observations,
amendment with history, retraction, who may do what, custom questionnaires, and the audit trail."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from carecoord.assessments import instruments
from carecoord.assessments.access import (
    access_questionnaire,
    access_questionnaires,
    access_response,
    access_responses,
    access_screening_summary,
)
from carecoord.assessments.actions import (
    amend_response,
    builtin_id,
    complete_response,
    create_questionnaire,
    enter_in_error,
    install_builtin_questionnaires,
    retire_questionnaire,
    save_response_draft,
    update_questionnaire,
)
from carecoord.assessments.models import QuestionnaireDefinition, QuestionnaireResponseVersion
from carecoord.audit.models import AuditRecord
from carecoord.clinical.models import Observation
from carecoord.clinical.queries import observations_of
from carecoord.common.errors import AccessDenied, Conflict, DomainError, NotFound, ValidationFailed

from .builders import complete, definition, gad7, hrsn_core, phq9, qr

PHQ9 = instruments.PHQ9_URL


def custom_form(url: str = "https://agency.example.org/q/intake", version: str = "1") -> dict:
    return {
        "resourceType": "Questionnaire",
        "url": url,
        "version": version,
        "title": "Agency intake",
        "status": "active",
        "item": [
            {"linkId": "reason", "type": "string", "text": "Why are you here today?", "required": True},
            {"linkId": "housing", "type": "boolean", "text": "Do you have housing?"},
        ],
    }


# --- built-ins ---------------------------------------------------------------------------------------------------


def test_builtins_are_installed_after_migrate_with_stable_ids(db):
    rows = QuestionnaireDefinition.objects.filter(builtin=True)
    assert {row.url for row in rows} == {q.url for q in instruments.builtin()}
    phq = rows.get(url=PHQ9)
    assert (phq.code, phq.version, phq.status, phq.organization_id) == ("44249-1", "1.0.0", "active", None)
    assert phq.pk == builtin_id(PHQ9, "1.0.0")
    assert phq.capability == "behavioral_screening"
    assert rows.get(url=instruments.AHC_HRSN_CORE_URL).capability == "social_screening"
    assert install_builtin_questionnaires() == 0  # already up to date


def test_a_changed_builtin_is_brought_back_on_install(db):
    phq = definition(PHQ9)
    phq.title = "edited"
    phq.save()
    assert install_builtin_questionnaires() == 1
    phq.refresh_from_db()
    assert phq.title.startswith("Patient Health Questionnaire-9") and phq.revision == 2


# --- drafts and completion ---------------------------------------------------------------------------------------


def test_a_draft_saves_partial_answers_and_keeps_each_version(maria, alice_rn):
    form = definition(PHQ9)
    first = save_response_draft(
        patient=maria, questionnaire=form, resource=qr(PHQ9, {"44250-9": "LA6569-3"}, status="in-progress"), by=alice_rn
    )
    assert (first.status, first.version, first.total) == ("in-progress", 1, None)
    assert [item["linkId"] for item in first.items] == ["44250-9"]
    again = save_response_draft(
        patient=maria,
        questionnaire=form,
        resource=qr(PHQ9, {"44250-9": "LA6569-3", "44255-8": "LA6570-1"}),
        by=alice_rn,
        response=first,
    )
    assert again.pk == first.pk and again.version == 2 and again.status == "in-progress"
    assert list(QuestionnaireResponseVersion.objects.filter(response=first).values_list("version", "status")) == [
        (1, "in-progress"),
        (2, "in-progress"),
    ]
    assert not Observation.objects.filter(patient=maria).exists()


def test_a_draft_still_checks_each_answer(maria, alice_rn):
    with pytest.raises(ValidationFailed) as error:
        save_response_draft(
            patient=maria, questionnaire=definition(PHQ9), resource=qr(PHQ9, {"44250-9": "LA9999-9"}), by=alice_rn
        )
    assert "44250-9" in error.value.errors


def test_completion_refuses_a_missing_required_item_naming_it(maria, alice_rn):
    answers = phq9([1] * 9)
    del answers["44260-8"]
    with pytest.raises(ValidationFailed) as error:
        complete(maria, alice_rn, PHQ9, answers)
    assert list(error.value.errors) == ["44260-8"]
    assert "44260-8" in error.value.errors["44260-8"][0] and "required" in error.value.errors["44260-8"][0]


def test_completing_a_draft_scores_it_and_records_the_total_observation(maria, alice_rn):
    draft = save_response_draft(
        patient=maria, questionnaire=definition(PHQ9), resource=qr(PHQ9, {"44250-9": "LA6571-9"}), by=alice_rn
    )
    done = complete_response(
        patient=maria,
        questionnaire=definition(PHQ9),
        resource=qr(PHQ9, phq9([3, 3, 2, 2, 1, 1, 0, 0, 0])),
        by=alice_rn,
        response=draft,
    )
    assert (done.pk, done.status, done.version) == (draft.pk, "completed", 2)
    assert (done.total, done.band_code, done.positive, done.flags) == (12, "moderate", True, [])
    (total,) = observations_of(maria.pk, codes=["44261-6"])
    assert (total.value_type, total.value_integer, total.categories) == ("integer", 12, ["survey"])
    assert (total.interpretation, total.derived_from, total.status) == (["POS"], done.reference, "final")
    assert total.effective_at == done.authored and total.source == "assessment"


def test_a_completed_response_cannot_be_saved_as_a_draft(maria, alice_rn):
    done = complete(maria, alice_rn, PHQ9, phq9([0] * 9))
    with pytest.raises(DomainError) as error:
        save_response_draft(
            patient=maria, questionnaire=definition(PHQ9), resource=qr(PHQ9, phq9([0] * 9)), by=alice_rn, response=done
        )
    assert error.value.code == "response-not-draft"


def test_a_negative_screen_has_no_interpretation(maria, alice_rn):
    complete(maria, alice_rn, instruments.GAD7_URL, gad7([1, 1, 0, 0, 0, 0, 0]))
    (total,) = observations_of(maria.pk, codes=["70274-6"])
    assert (total.value_integer, total.interpretation) == (2, [])


def test_an_authored_time_in_the_future_is_refused(maria, alice_rn):
    with pytest.raises(ValidationFailed) as error:
        complete(maria, alice_rn, PHQ9, phq9([0] * 9), authored=timezone.now() + datetime.timedelta(days=1))
    assert error.value.field == "authored"


# --- amendment and retraction ------------------------------------------------------------------------------------


def test_amendment_keeps_history_and_replaces_the_observations(maria, alice_rn):
    done = complete(maria, alice_rn, PHQ9, phq9([1, 1, 1, 1, 1, 0, 0, 0, 0]))
    (old,) = observations_of(maria.pk, codes=["44261-6"])
    amended = amend_response(
        response=done, resource=qr(PHQ9, phq9([3, 3, 3, 3, 3, 0, 0, 0, 0])), by=alice_rn, reason="Read back: item 1-5"
    )
    assert (amended.status, amended.version, amended.total, amended.band_code) == (
        "amended",
        2,
        15,
        "moderately-severe",
    )
    versions = list(QuestionnaireResponseVersion.objects.filter(response=done).order_by("version"))
    assert [(v.version, v.status, v.snapshot["total"]) for v in versions] == [(1, "completed", 5), (2, "amended", 15)]
    assert versions[1].reason == "Read back: item 1-5" and versions[1].recorded_by == alice_rn
    old.refresh_from_db()
    assert old.status == "entered-in-error"
    current = observations_of(maria.pk, codes=["44261-6"]).exclude(status="entered-in-error")
    assert [o.value_integer for o in current] == [15]


def test_amendment_needs_a_reason_and_a_finished_response(maria, alice_rn):
    done = complete(maria, alice_rn, PHQ9, phq9([0] * 9))
    with pytest.raises(ValidationFailed):
        amend_response(response=done, resource=qr(PHQ9, phq9([1] * 9)), by=alice_rn, reason=" ")
    draft = save_response_draft(patient=maria, questionnaire=definition(PHQ9), resource=qr(PHQ9, {}), by=alice_rn)
    with pytest.raises(DomainError) as error:
        amend_response(response=draft, resource=qr(PHQ9, phq9([1] * 9)), by=alice_rn, reason="x")
    assert error.value.code == "not-finished"


def test_entered_in_error_marks_the_response_and_its_observations(maria, alice_rn):
    done = complete(maria, alice_rn, PHQ9, phq9([2] * 9))
    enter_in_error(response=done, by=alice_rn, reason="Wrong person")
    assert done.status == "entered-in-error" and done.version == 2
    assert set(observations_of(maria.pk).values_list("status", flat=True)) == {"entered-in-error"}
    with pytest.raises(DomainError):
        enter_in_error(response=done, by=alice_rn, reason="again")


# --- who may ------------------------------------------------------------------------------------------------------


def test_a_coordinator_may_give_social_screens_but_not_behavioral_ones(maria, bob_coordinator):
    with pytest.raises(AccessDenied):
        complete(maria, bob_coordinator, PHQ9, phq9([0] * 9))
    denied = AuditRecord.objects.filter(object_type="QuestionnaireResponse", outcome="denied").get()
    assert denied.detail["basis"] == "role" and denied.user == bob_coordinator
    done = complete(maria, bob_coordinator, instruments.AHC_HRSN_CORE_URL, hrsn_core({"93030-5": "LA33-6"}))
    assert done.positive is True and done.findings[0]["domain"] == "transportation-insecurity"


def test_an_unrelated_organization_is_refused(maria, eve_outsider):
    with pytest.raises(AccessDenied):
        complete(maria, eve_outsider, PHQ9, phq9([0] * 9))
    assert AuditRecord.objects.filter(user=eve_outsider, outcome="denied", patient_id=maria.pk).exists()


def test_access_functions_audit_and_refuse_outsiders(maria, alice_rn, eve_outsider):
    done = complete(maria, alice_rn, PHQ9, phq9([1] * 9))
    assert access_response(alice_rn, done.pk) == done
    assert [r.pk for r in access_responses(alice_rn, maria.pk, questionnaire_url=PHQ9)] == [done.pk]
    assert access_responses(alice_rn, maria.pk, status="in-progress") == []
    panel = access_screening_summary(alice_rn, maria.pk)
    assert [(s.instrument_url, s.total, s.band_code) for s in panel.latest] == [(PHQ9, 9, "mild")]
    assert [p.total for p in panel.history[PHQ9]] == [9] and panel.history[instruments.GAD7_URL] == []
    with pytest.raises(AccessDenied):
        access_response(eve_outsider, done.pk)
    with pytest.raises(AccessDenied):
        access_screening_summary(eve_outsider, maria.pk)
    with pytest.raises(NotFound):
        access_response(alice_rn, "00000000-0000-0000-0000-000000000000")
    reads = AuditRecord.objects.filter(
        object_type="QuestionnaireResponse", user=alice_rn, action__in=["read", "search"]
    )
    assert reads.count() >= 4
    assert AuditRecord.objects.filter(object_type="QuestionnaireResponse", outcome="failed").exists()


def test_completion_is_audited_with_its_score(maria, alice_rn):
    done = complete(maria, alice_rn, PHQ9, phq9([1] * 9))
    write = AuditRecord.objects.filter(object_type="QuestionnaireResponse", object_id=str(done.pk)).last()
    assert (write.action, write.patient_id, write.detail["total"], write.detail["status"]) == (
        "create",
        maria.pk,
        9,
        "completed",
    )
    assert AuditRecord.objects.filter(object_type="Observation", action="create", patient_id=maria.pk).exists()


# --- custom questionnaires ----------------------------------------------------------------------------------------


def test_an_admin_creates_a_custom_questionnaire_and_a_care_manager_may_not(olga_admin, alice_rn, maria):
    made = create_questionnaire(resource=custom_form(), by=olga_admin)
    assert (made.builtin, made.organization_id, made.title, made.capability) == (
        False,
        olga_admin.organization_id,
        "Agency intake",
        "comprehensive_assessment",
    )
    assert made in access_questionnaires(alice_rn) and access_questionnaire(alice_rn, made.pk) == made
    with pytest.raises(AccessDenied):
        create_questionnaire(resource=custom_form(version="2"), by=alice_rn)
    done = complete_response(
        patient=maria,
        questionnaire=made,
        resource={"item": [{"linkId": "reason", "answer": [{"valueString": "Housing"}]}]},
        by=alice_rn,
    )
    assert done.total is None and not Observation.objects.filter(patient=maria).exists()


def test_other_organizations_do_not_see_a_custom_questionnaire(olga_admin, eve_outsider):
    made = create_questionnaire(resource=custom_form(), by=olga_admin)
    assert made not in access_questionnaires(eve_outsider)
    with pytest.raises(NotFound):
        access_questionnaire(eve_outsider, made.pk)


def test_a_custom_questionnaire_cannot_take_a_builtin_url_or_be_invalid(olga_admin):
    with pytest.raises(ValidationFailed) as error:
        create_questionnaire(resource=custom_form(url=PHQ9), by=olga_admin)
    assert "url" in error.value.errors
    broken = custom_form()
    broken["item"][0]["type"] = "slider"
    with pytest.raises(ValidationFailed) as error:
        create_questionnaire(resource=broken, by=olga_admin)
    assert "reason" in error.value.errors
    create_questionnaire(resource=custom_form(), by=olga_admin)
    with pytest.raises(Conflict):
        create_questionnaire(resource=custom_form(), by=olga_admin)


def test_update_in_place_until_answered_then_a_new_version(olga_admin, alice_rn, maria):
    made = create_questionnaire(resource=custom_form(), by=olga_admin)
    changed = custom_form()
    changed["title"] = "Agency intake (short)"
    assert update_questionnaire(definition=made, resource=changed, by=olga_admin).revision == 2
    complete_response(
        patient=maria,
        questionnaire=made,
        resource={"item": [{"linkId": "reason", "answer": [{"valueString": "Food"}]}]},
        by=alice_rn,
    )
    with pytest.raises(Conflict):
        update_questionnaire(definition=made, resource=changed, by=olga_admin)
    second = update_questionnaire(definition=made, resource=custom_form(version="2"), by=olga_admin)
    assert second.pk != made.pk and second.version == "2"
    retired = retire_questionnaire(definition=made, by=olga_admin)
    assert retired.status == "retired" and retired.resource["status"] == "retired"
    with pytest.raises(DomainError) as error:
        complete_response(patient=maria, questionnaire=made, resource={"item": []}, by=alice_rn)
    assert error.value.code == "questionnaire-retired"


def test_builtins_cannot_be_changed(olga_admin):
    with pytest.raises(DomainError) as error:
        retire_questionnaire(definition=definition(PHQ9), by=olga_admin)
    assert error.value.code == "builtin-read-only"
