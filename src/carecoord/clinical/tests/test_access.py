"""Permission-checked reads: through the person's access rule, audited, and refused to unrelated users."""

from __future__ import annotations

import datetime

import pytest

from carecoord.audit.models import AuditRecord
from carecoord.clinical.access import (
    access_conditions,
    access_encounters,
    access_observation,
    access_observations,
    access_risk_scores,
)
from carecoord.clinical.actions import ObservationData, record_observations
from carecoord.clinical.tests.builders import ADMITTED, condition, ed_visit, lab, stay
from carecoord.common.errors import AccessDenied, NotFound

DAY = datetime.timedelta(days=1)


def _screening(patient, by):
    return record_observations(
        patient=patient,
        observations=[
            ObservationData(code="88122-7", value=True, categories=["survey", "sdoh", "food-insecurity"],
                            effective_at=ADMITTED - 5 * DAY),
            ObservationData(code="93030-5", value=True, categories=["survey", "sdoh", "transportation-insecurity"],
                            effective_at=ADMITTED - 5 * DAY),
            ObservationData(code="44261-6", value=9, categories=["survey"], effective_at=ADMITTED - 2 * DAY),
        ],
        by=by,
    )  # fmt: skip


def test_observations_by_category_code_and_date(maria, alice_rn):
    food, transport, phq9 = _screening(maria, alice_rn)
    hemoglobin = lab(maria, alice_rn, "718-7", "11.2", "g/dL", when=ADMITTED + DAY)
    assert access_observations(alice_rn, maria.pk, category="sdoh") == [transport, food]  # newest, then last made
    assert access_observations(alice_rn, maria.pk, category="food-insecurity") == [food]
    assert access_observations(alice_rn, maria.pk, category="survey", code="44261-6") == [phq9]
    assert access_observations(alice_rn, maria.pk, category="laboratory") == [hemoglobin]
    assert access_observations(alice_rn, maria.pk, start=ADMITTED - 3 * DAY) == [hemoglobin, phq9]
    assert access_observations(alice_rn, maria.pk, end=ADMITTED - 3 * DAY, code="88122-7") == [food]
    assert access_observations(alice_rn, maria.pk, category="vital-signs") == []
    search = AuditRecord.objects.filter(object_type="Observation", action="search").last()
    assert search.outcome == "success" and search.patient_id == maria.pk
    assert search.detail["category"] == "vital-signs" and search.detail["basis"] == "assignment"


def test_category_search_does_not_cross_people(maria, alice_rn):
    from carecoord.testing.factories import make_patient

    other = make_patient(alice_rn)
    _screening(other, alice_rn)
    assert access_observations(alice_rn, maria.pk, category="sdoh") == []
    assert len(access_observations(alice_rn, other.pk, category="sdoh")) == 2


def test_one_observation(maria, alice_rn, eve_outsider):
    row = _screening(maria, alice_rn)[0]
    assert access_observation(alice_rn, row.pk) == row
    assert access_observation(alice_rn, str(row.pk)) == row
    read = AuditRecord.objects.filter(object_type="Observation", action="read").last()
    assert read.object_id == str(row.pk) and read.outcome == "success"
    with pytest.raises(AccessDenied):
        access_observation(eve_outsider, row.pk)
    denied = AuditRecord.objects.filter(object_type="Observation", action="read").last()
    assert (denied.outcome, denied.username, denied.object_id) == ("denied", "eve_outsider", str(row.pk))


@pytest.mark.parametrize("key", [999999, "nope", "12a"])
def test_an_unknown_observation_is_not_found_and_audited(alice_rn, key):
    with pytest.raises(NotFound):
        access_observation(alice_rn, key)
    failed = AuditRecord.objects.filter(object_type="Observation").last()
    assert failed.outcome == "failed" and failed.detail == {"reason": "not-found"}


def test_conditions_and_encounters(maria, alice_rn):
    chf = condition(maria, alice_rn, "I50.9")
    old = condition(maria, alice_rn, "J18.9", category="encounter-diagnosis", clinical_status="resolved",
                    abatement_date=datetime.date(2021, 1, 1))  # fmt: skip
    assert set(access_conditions(alice_rn, maria.pk)) == {chf, old}
    assert access_conditions(alice_rn, maria.pk, present_on=datetime.date(2025, 1, 1)) == [chf]
    assert access_conditions(alice_rn, maria.pk, category="encounter-diagnosis") == [old]
    visit = ed_visit(maria, alice_rn, start=ADMITTED - 10 * DAY)
    index = stay(maria, alice_rn, days=2)
    assert access_encounters(alice_rn, maria.pk) == [index, visit]
    assert access_encounters(alice_rn, maria.pk, encounter_class="EMER") == [visit]
    assert access_encounters(alice_rn, maria.pk, start=ADMITTED - DAY) == [index]
    assert AuditRecord.objects.filter(object_type="Encounter", action="search", outcome="success").count() == 3


@pytest.mark.parametrize(
    "read",
    [
        lambda user, patient: access_conditions(user, patient.pk),
        lambda user, patient: access_encounters(user, patient.pk),
        lambda user, patient: access_observations(user, patient.pk, category="sdoh"),
        lambda user, patient: access_risk_scores(user, patient.pk),
    ],
)
def test_a_user_of_an_unrelated_organization_is_refused_and_audited(maria, alice_rn, eve_outsider, read):
    condition(maria, alice_rn, "I50.9")
    with pytest.raises(AccessDenied):
        read(eve_outsider, maria)
    denied = AuditRecord.objects.last()
    assert (denied.outcome, denied.username, denied.patient_id) == ("denied", "eve_outsider", maria.pk)
    assert denied.detail["basis"] == "no-relationship"


def test_an_auditor_sees_no_clinical_record(maria, audrey_auditor):
    with pytest.raises(AccessDenied):
        access_observations(audrey_auditor, maria.pk)


def test_risk_scores_for_the_latest_discharge(maria, alice_rn):
    assert access_risk_scores(alice_rn, maria.pk).lace is None
    condition(maria, alice_rn, "I50.9")
    stay(maria, alice_rn, days=2, start=ADMITTED - 60 * DAY)
    latest = stay(maria, alice_rn, days=5, priority="EM", service="oncology")
    stay(maria, alice_rn, days=None, start=ADMITTED + 30 * DAY)  # still in hospital: not a discharge
    lab(maria, alice_rn, "718-7", "11.0", "g/dL", when=ADMITTED + 4 * DAY)
    lab(maria, alice_rn, "2951-2", "139", "mmol/L", when=ADMITTED + 4 * DAY)
    scores = access_risk_scores(alice_rn, maria.pk, age_adjusted=True)
    assert scores.index_stay == latest
    assert scores.lace.subject == f"Encounter/{latest.pk}" and scores.lace.total == 4 + 3 + 1 + 0
    assert scores.hospital.total == 1 + 2 + 0 + 0 + 1 + 0 + 2 and scores.hospital.band == "intermediate"
    assert scores.charlson.component("age").points == 1  # born 1968
    read = AuditRecord.objects.filter(object_type="RiskAssessment").last()
    assert read.action == "read" and read.outcome == "success" and read.patient_id == maria.pk
