"""Writing clinical facts: validation naming the field, who may write, audit, the bulk path, amendments."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from carecoord.audit.models import AuditRecord
from carecoord.clinical.actions import (
    Coding,
    ConditionData,
    EncounterData,
    ObservationData,
    Quantity,
    amend_observation,
    finish_encounter,
    mark_entered_in_error,
    record_condition,
    record_encounter,
    record_observation,
    record_observations,
    update_condition_status,
    update_encounter,
)
from carecoord.clinical.models import Condition, Encounter, Observation, ObservationCategory
from carecoord.clinical.tests.builders import ADMITTED, condition, stay
from carecoord.common.errors import AccessDenied, Conflict, DomainError, ValidationFailed
from carecoord.testing.factories import make_patient

ICD = "http://hl7.org/fhir/sid/icd-10-cm"
HVS_ANSWER = Coding("http://loinc.org", "LA28397-0", "Often true")


def _hunger_vital_sign(reference: str = "QuestionnaireResponse/7") -> list[ObservationData]:
    common = {"derived_from": reference, "effective_at": ADMITTED, "source": "assessment"}
    return [
        ObservationData(code="88122-7", value=HVS_ANSWER, categories=["survey", "sdoh", "food-insecurity"], **common),
        ObservationData(code="88123-5", value=HVS_ANSWER, categories=["survey", "sdoh", "food-insecurity"], **common),
        ObservationData(
            code="88124-3",
            value=Coding("http://loinc.org", "LA19952-3", "At risk"),
            categories=["survey", "sdoh", "food-insecurity"],
            interpretation=["POS"],
            **common,
        ),
    ]


def test_record_condition_is_audited_with_the_access_decision(maria, alice_rn):
    row = condition(maria, alice_rn, "e11.9", display="Type 2 diabetes")
    assert row.code == "E11.9" and row.organization_id == alice_rn.organization_id and row.recorded_by == alice_rn
    decision, write = AuditRecord.objects.filter(object_type="Condition").order_by("pk")
    assert (decision.action, decision.outcome, decision.detail["basis"]) == ("create", "success", "assignment")
    assert (write.action, write.object_id, write.patient_id) == ("create", str(row.pk), maria.pk)
    assert write.detail == {"code": "E11.9", "status": "active"}


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"code_system": "http://example.org/codes"}, "code_system"),
        ({"code": "250.00"}, "code"),
        ({"code": "E11.9", "code_system": "http://snomed.info/sct"}, "code"),
        ({"clinical_status": "cured"}, "clinical_status"),
        ({"verification_status": "maybe"}, "verification_status"),
        ({"category": "health-concern"}, "category"),
        ({"onset_date": datetime.date(2099, 1, 1)}, "onset_date"),
        ({"onset_date": datetime.date(2024, 1, 1), "abatement_date": datetime.date(2023, 1, 1),
          "clinical_status": "resolved"}, "abatement_date"),
        ({"abatement_date": datetime.date(2024, 1, 1)}, "clinical_status"),
    ],
)  # fmt: skip
def test_invalid_conditions_name_the_field(maria, alice_rn, fields, field):
    values = {"code_system": ICD, "code": "E11.9", **fields}
    with pytest.raises(ValidationFailed) as error:
        record_condition(patient=maria, data=ConditionData(**values), by=alice_rn)
    assert field in error.value.errors
    assert not Condition.objects.exists()


def test_condition_on_another_persons_encounter_is_refused(maria, alice_rn):
    other = make_patient(alice_rn)
    visit = stay(other, alice_rn)
    with pytest.raises(ValidationFailed) as error:
        condition(maria, alice_rn, "I50.9", encounter=visit)
    assert "encounter" in error.value.errors


def test_update_condition_status(maria, alice_rn):
    row = condition(maria, alice_rn, "I50.9")
    update_condition_status(
        condition=row, clinical_status="resolved", abatement_date=datetime.date(2024, 5, 1), by=alice_rn
    )
    row.refresh_from_db()
    assert row.clinical_status == "resolved" and row.abatement_date == datetime.date(2024, 5, 1)
    assert AuditRecord.objects.filter(object_type="Condition", action="update", object_id=str(row.pk)).last().detail[
        "before"
    ] == {"clinical_status": "active", "verification_status": "confirmed"}
    with pytest.raises(ValidationFailed) as error:
        update_condition_status(
            condition=row, clinical_status="active", abatement_date=datetime.date(2024, 5, 1), by=alice_rn
        )
    assert "clinical_status" in error.value.errors


def test_a_user_of_an_unrelated_organization_may_not_write(maria, eve_outsider):
    with pytest.raises(AccessDenied):
        condition(maria, eve_outsider, "I50.9")
    denied = AuditRecord.objects.filter(object_type="Condition").last()
    assert (denied.outcome, denied.username, denied.patient_id) == ("denied", "eve_outsider", maria.pk)
    assert not Condition.objects.exists()


def test_roles_decide_what_may_be_recorded(maria, bob_coordinator, cbo_carla):
    """A coordinator records social-needs screening results, not diagnoses or laboratory results."""
    assert len(record_observations(patient=maria, observations=_hunger_vital_sign(), by=bob_coordinator)) == 3
    with pytest.raises(AccessDenied):
        condition(maria, bob_coordinator, "I50.9")
    with pytest.raises(AccessDenied):
        record_observation(
            patient=maria,
            data=ObservationData(code="718-7", value=Quantity(Decimal("12"), "g/dL"), categories=["laboratory"]),
            by=bob_coordinator,
        )
    with pytest.raises(AccessDenied):  # a partner sees only referrals
        record_observations(patient=maria, observations=_hunger_vital_sign(), by=cbo_carla)
    assert AuditRecord.objects.filter(object_type="Observation", outcome="denied").count() == 2
    assert AuditRecord.objects.filter(object_type="Condition", outcome="denied").count() == 1


def test_a_feed_writes_without_a_user_but_names_its_source(maria):
    data = EncounterData(encounter_class="EMER", period_start=ADMITTED, status="in-progress", source="hl7v2")
    visit = record_encounter(
        patient=maria,
        data=data,
        by=None,
    )
    assert visit.recorded_by is None and visit.organization is None
    with pytest.raises(ValidationFailed) as error:
        record_encounter(
            patient=maria,
            data=EncounterData(encounter_class="EMER", period_start=ADMITTED, status="in-progress"),
            by=None,
        )
    assert "source" in error.value.errors


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"encounter_class": "INPT"}, "encounter_class"),
        ({"status": "done"}, "status"),
        ({"priority": "ASAP"}, "priority"),
        ({"admit_source": "ed"}, "admit_source"),
        ({"discharge_disposition": "gone"}, "discharge_disposition"),
        ({"period_end": ADMITTED - datetime.timedelta(hours=1)}, "period_end"),
        ({"period_end": None}, "period_end"),  # finished without an end
        ({"period_start": ADMITTED.replace(tzinfo=None)}, "period_start"),
        ({"period_start": datetime.datetime(2099, 1, 1, tzinfo=datetime.UTC), "period_end": None,
          "status": "in-progress"}, "period_start"),
    ],
)  # fmt: skip
def test_invalid_encounters_name_the_field(maria, alice_rn, fields, field):
    values = {"encounter_class": "IMP", "period_start": ADMITTED, "period_end": ADMITTED + datetime.timedelta(days=2)}
    values.update(fields)
    with pytest.raises(ValidationFailed) as error:
        record_encounter(patient=maria, data=EncounterData(**values), by=alice_rn)
    assert field in error.value.errors


def test_a_planned_encounter_may_be_in_the_future(maria, alice_rn):
    start = datetime.datetime(2099, 1, 1, 9, tzinfo=datetime.UTC)
    data = EncounterData(encounter_class="IMP", period_start=start, status="planned", priority="EL")
    assert record_encounter(patient=maria, data=data, by=alice_rn).status == "planned"


def test_a_visit_number_is_unique_per_person_and_source(maria, alice_rn):
    data = EncounterData(
        encounter_class="IMP", period_start=ADMITTED, status="in-progress", source="hl7v2", source_identifier="V100"
    )
    first = record_encounter(patient=maria, data=data, by=None)
    with pytest.raises(Conflict) as error:
        record_encounter(patient=maria, data=data, by=None)
    assert error.value.code == "duplicate-encounter"
    record_encounter(patient=make_patient(alice_rn), data=data, by=None)  # another person: fine
    data.source = "fhir"
    record_encounter(patient=maria, data=data, by=None)  # another source: fine
    data.source_identifier = ""
    data.source = "hl7v2"
    record_encounter(patient=maria, data=data, by=None)
    record_encounter(patient=maria, data=data, by=None)  # no identifier: no constraint
    assert Encounter.objects.filter(patient=maria).count() == 4
    data.source_identifier = "V100"
    update_encounter(encounter=first, data=data, by=None)  # its own number: fine


def test_finish_encounter(maria, alice_rn):
    index = stay(maria, alice_rn, days=None, service="Oncology")
    assert index.status == "in-progress" and index.service == "oncology"
    end = ADMITTED + datetime.timedelta(days=4)
    finish_encounter(encounter=index, ended_at=end, discharge_disposition="snf", by=alice_rn)
    index.refresh_from_db()
    assert (index.status, index.period_end, index.discharge_disposition, index.service) == (
        "finished",
        end,
        "snf",
        "oncology",
    )
    update = AuditRecord.objects.filter(object_type="Encounter", action="update").last()
    assert update.detail["changed"] == ["discharge_disposition", "period_end", "status"]
    with pytest.raises(ValidationFailed):
        finish_encounter(encounter=index, ended_at=ADMITTED - datetime.timedelta(days=1), by=alice_rn)
    cancelled = stay(maria, alice_rn, days=None, status="cancelled", start=ADMITTED - datetime.timedelta(days=40))
    with pytest.raises(DomainError):
        finish_encounter(encounter=cancelled, ended_at=end, by=alice_rn)


def test_record_observations_inserts_in_bulk_with_one_audit_record(maria, alice_rn):
    with CaptureQueriesContext(connection) as queries:
        rows = record_observations(patient=maria, observations=_hunger_vital_sign(), by=alice_rn)
    inserts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    assert sum('"clinical_observation"' in sql for sql in inserts) == 1
    assert sum('"clinical_observationcategory"' in sql for sql in inserts) == 1
    assert [row.code for row in rows] == ["88122-7", "88123-5", "88124-3"] and all(row.pk for row in rows)
    assert ObservationCategory.objects.filter(patient=maria, code="sdoh").count() == 3
    write = AuditRecord.objects.filter(object_type="Observation", action="create").last()
    assert write.detail["observations"] == [str(row.pk) for row in rows]
    assert write.detail["derived_from"] == ["QuestionnaireResponse/7"]
    assert Observation.objects.get(pk=rows[2].pk).interpretation == ["POS"]


def test_one_bad_observation_records_none_and_names_its_place(maria, alice_rn):
    batch = _hunger_vital_sign()
    batch[1].code = "88123"
    batch[2].interpretation = ["POSITIVE"]
    with pytest.raises(ValidationFailed) as error:
        record_observations(patient=maria, observations=batch, by=alice_rn)
    assert set(error.value.errors) == {"observations[1].code", "observations[2].interpretation"}
    assert not Observation.objects.exists()


@pytest.mark.parametrize(
    ("value", "value_type", "stored"),
    [
        (Quantity(Decimal("13.2"), "g/dL", "g/dL"), "quantity", Decimal("13.2")),
        (17, "integer", 17),
        (0, "integer", 0),
        (True, "boolean", True),
        (False, "boolean", False),
        ("Lives with daughter", "string", "Lives with daughter"),
        (HVS_ANSWER, "coding", ("http://loinc.org", "LA28397-0", "Often true")),
        (None, "none", None),
    ],
)
def test_each_kind_of_value_round_trips(maria, alice_rn, value, value_type, stored):
    row = record_observation(patient=maria, data=ObservationData(code="44261-6", value=value), by=alice_rn)
    row = Observation.objects.get(pk=row.pk)
    assert row.value_type == value_type and row.value == stored


@pytest.mark.parametrize(
    ("value", "field"),
    [
        (Quantity(Decimal("NaN"), "g/dL"), "value"),
        (Quantity(Decimal("1"), ""), "value"),
        (Coding("", "LA33-6"), "value"),
        (2**70, "value"),
        (1.5, "value"),
    ],
)
def test_invalid_values_are_refused(maria, alice_rn, value, field):
    with pytest.raises(ValidationFailed) as error:
        record_observation(patient=maria, data=ObservationData(code="44261-6", value=value), by=alice_rn)
    assert field in error.value.errors


def test_amend_and_mark_entered_in_error(maria, alice_rn):
    row = record_observation(
        patient=maria, data=ObservationData(code="44261-6", value=12, categories=["survey"]), by=alice_rn
    )
    amend_observation(observation=row, value=14, reason="Item 3 was scored wrongly", by=alice_rn)
    row = Observation.objects.get(pk=row.pk)
    assert (row.value, row.status, row.version, row.value_type) == (14, "amended", 2, "integer")
    audit = AuditRecord.objects.filter(object_type="Observation", action="update").last()
    assert audit.detail["before"]["value"] == "12" and audit.detail["reason"] == "Item 3 was scored wrongly"
    amend_observation(observation=row, value=Quantity(Decimal("3"), "{score}"), reason="Unit", by=alice_rn)
    assert Observation.objects.get(pk=row.pk).value_integer is None
    with pytest.raises(ValidationFailed) as error:
        amend_observation(observation=row, value=3, reason=" ", by=alice_rn)
    assert "reason" in error.value.errors
    mark_entered_in_error(observation=row, reason="Wrong person", by=alice_rn)
    assert Observation.objects.get(pk=row.pk).status == "entered-in-error"
    with pytest.raises(DomainError):
        amend_observation(observation=row, value=3, reason="Again", by=alice_rn)
