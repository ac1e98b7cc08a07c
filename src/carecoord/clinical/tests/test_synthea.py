"""Real Synthea records, read in place from ../shared/data: conditions and encounters recorded through the
actions for a registered person, then the Charlson index and LACE computed from what was stored."""

from __future__ import annotations

import datetime
import gzip
import json
from pathlib import Path

import pytest

from carecoord.clinical.actions import ConditionData, EncounterData, record_condition, record_encounter
from carecoord.clinical.models import Encounter
from carecoord.clinical.queries import latest_inpatient_discharge
from carecoord.clinical.risk import charlson_for_patient, lace_for_encounter
from carecoord.testing.factories import make_patient

BUNDLES = Path(__file__).resolve().parents[4].parent / "shared" / "data" / "synthea-r4-bundles" / "bundles"

pytestmark = pytest.mark.skipif(not BUNDLES.is_dir(), reason="../shared/data is not present")


def _when(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text)


def load(name: str, patient, by) -> dict[str, Encounter]:
    """Record the bundle's encounters and conditions for ``patient``; returns encounters by bundle fullUrl."""
    with gzip.open(BUNDLES / name, "rt", encoding="utf-8") as stream:
        entries = json.load(stream)["entry"]
    encounters: dict[str, Encounter] = {}
    for entry in entries:
        resource = entry["resource"]
        if resource["resourceType"] != "Encounter":
            continue
        period = resource["period"]
        encounters[entry["fullUrl"]] = record_encounter(
            patient=patient,
            data=EncounterData(
                encounter_class=resource["class"]["code"],
                status=resource["status"],
                period_start=_when(period["start"]),
                period_end=_when(period["end"]) if "end" in period else None,
                type_code=resource["type"][0]["coding"][0]["code"],
                type_display=resource["type"][0]["coding"][0].get("display", ""),
                facility_name=resource.get("serviceProvider", {}).get("display", ""),
                source="fhir",
                source_identifier=entry["fullUrl"].removeprefix("urn:uuid:"),
            ),
            by=by,
        )
    for entry in entries:
        resource = entry["resource"]
        if resource["resourceType"] != "Condition":
            continue
        coding = resource["code"]["coding"][0]
        onset = _when(resource["onsetDateTime"]).date() if "onsetDateTime" in resource else None
        abated = _when(resource["abatementDateTime"]).date() if "abatementDateTime" in resource else None
        record_condition(
            patient=patient,
            data=ConditionData(
                code_system=coding["system"],
                code=coding["code"],
                display=coding.get("display", ""),
                clinical_status=resource["clinicalStatus"]["coding"][0]["code"],
                verification_status=resource["verificationStatus"]["coding"][0]["code"],
                onset_date=onset,
                abatement_date=abated,
                recorded_date=onset or abated,
                encounter=encounters.get(resource.get("encounter", {}).get("reference", "")),
                source="fhir",
            ),
            by=by,
        )
    return encounters


def test_charlson_of_a_synthea_person_with_mi_heart_failure_and_alzheimers(alice_rn):
    person = make_patient(
        alice_rn, family_name="Aufderhar", given_names="Beatrice", birth_date=datetime.date(1926, 6, 6)
    )
    load("Beatrice_Aufderhar_5451401c-ab1b-4adc-9df6-c02e856e492a.json.gz", person, alice_rn)
    score = charlson_for_patient(person, as_of=datetime.date(2013, 3, 1))
    assert {c.key: c.points for c in score.components if c.points} == {"mi": 1, "chf": 1, "dementia": 1}
    assert score.total == 3 and score.band == "moderate"
    assert score.component("mi").value == ("22298006", "399211009")  # MI and its history: counted once
    assert "6 conditions present" in score.notes[0]  # obesity and coronary heart disease are not in the index
    assert charlson_for_patient(person, as_of=datetime.date(2013, 3, 1), age_adjusted=True).total == 3 + 4
    assert charlson_for_patient(person, as_of=datetime.date(2005, 1, 1)).total == 1  # only the MI by then


def test_charlson_of_a_synthea_person_with_metastatic_prostate_cancer(alice_rn):
    person = make_patient(alice_rn, birth_date=datetime.date(1940, 1, 1))
    load("Adán_Pulido_7694b55e-b670-44a5-b426-c56027e97986.json.gz", person, alice_rn)
    score = charlson_for_patient(person)
    assert score.component("metastatic").points == 6
    assert score.component("tumor").points == 0 and score.component("tumor").sources  # counted as metastatic
    assert score.total == 6


def test_lace_of_a_synthea_inpatient_stay(alice_rn):
    person = make_patient(alice_rn, birth_date=datetime.date(1950, 1, 1))
    encounters = load("Barrett_Douglas_d21c38f7-9fc7-4729-b414-3e0fe5ce3d8b.json.gz", person, alice_rn)
    assert len(encounters) == Encounter.objects.filter(patient=person).count()
    stay = latest_inpatient_discharge(person.pk)
    assert stay is not None and stay.encounter_class == "IMP"
    score = lace_for_encounter(stay)
    length = score.component("L")
    expected_days = (
        stay.period_end.astimezone(datetime.UTC).date() - stay.period_start.astimezone(datetime.UTC).date()
    ).days
    assert abs(length.value - expected_days) <= 1  # local dates, not UTC
    # Synthea records no admission priority: acuity is known only if an ED visit led to the stay.
    assert score.component("A").known == (score.component("A").value is True)
    assert score.component("C").value == charlson_for_patient(person, as_of=score.as_of).total
    assert score.total <= score.highest <= 19
