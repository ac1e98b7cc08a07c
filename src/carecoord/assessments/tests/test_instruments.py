"""The built-in Questionnaire files: valid FHIR (fhir.resources R4B), our conventions, scores that match scoring."""

from __future__ import annotations

import json
from decimal import Decimal
from importlib import resources
from typing import Any

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire as FhirQuestionnaire

from carecoord.assessments import instruments
from carecoord.assessments.engine import Coding, Questionnaire, enabled_link_ids, validate_response
from carecoord.assessments.scoring.screens import AUDIT_C_POINTS, PHQ_POINTS
from carecoord.assessments.scoring.sdoh import SAFETY_POINTS
from carecoord.common.errors import ValidationFailed

from .test_responses import LOINC, grouped, make_response

LOCAL = "http://carecoord.org/fhir/CodeSystem/assessment-answer"
ALL = instruments.builtin()
IDS = [q.name or "" for q in ALL]


def raw(name: str) -> dict[str, Any]:
    return json.loads(resources.files(instruments).joinpath(name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", instruments.FILES)
def test_every_file_is_a_valid_r4_questionnaire(name: str) -> None:
    model = FhirQuestionnaire.model_validate(raw(name))
    assert model.status == "active"
    assert model.url and model.name and model.title


def test_builtin_and_by_url() -> None:
    assert len(ALL) == len(instruments.FILES) == 12
    assert instruments.by_url(instruments.PHQ9_URL) is instruments.by_url(instruments.PHQ9_URL + "|1.0.0")
    assert instruments.by_url("http://example.org/nope") is None
    assert instruments.builtin()[0] is ALL[0]


@pytest.mark.parametrize("questionnaire", ALL, ids=IDS)
def test_loinc_conventions(questionnaire: Questionnaire) -> None:
    url = questionnaire.url or ""
    if url.startswith("http://loinc.org/q/"):
        panel = url.removeprefix("http://loinc.org/q/")
        assert [(c.system, c.code) for c in questionnaire.codes] == [(LOINC, panel)]
    else:
        assert url.startswith("http://carecoord.org/fhir/Questionnaire/")
    for item in questionnaire.walk():
        loinc_codes = [c.code for c in item.codes if c.system == LOINC]
        if loinc_codes:
            assert loinc_codes == [item.link_id], "a LOINC-coded item uses its code as linkId"
        for option in item.options:
            assert isinstance(option.value, Coding)
            assert option.value.system in (LOINC, LOCAL) and option.value.display
            if option.value.system == LOINC:
                assert option.value.code.startswith("LA")


def ordinals(questionnaire: Questionnaire, link_id: str) -> dict[str, Decimal | None]:
    return {
        option.value.code: option.ordinal
        for option in questionnaire.item(link_id).options
        if isinstance(option.value, Coding)
    }


@pytest.mark.parametrize(
    ("url", "link_ids", "points"),
    [
        (
            instruments.PHQ9_URL,
            ["44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5", "44253-3", "44260-8"],
            PHQ_POINTS,
        ),
        (instruments.PHQ2_URL, ["44250-9", "44255-8"], PHQ_POINTS),
        (
            instruments.GAD7_URL,
            ["69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7"],
            PHQ_POINTS,
        ),
        (instruments.GAD2_URL, ["69725-0", "68509-9"], PHQ_POINTS),
        (instruments.AHC_HRSN_CORE_URL, ["95618-5", "95617-7", "95616-9", "95615-1"], SAFETY_POINTS),
        (instruments.NY_HRSN_12_URL, ["95618-5", "95617-7", "95616-9", "95615-1"], SAFETY_POINTS),
    ],
)
def test_ordinal_values_agree_with_scoring_tables(url: str, link_ids: list[str], points: dict[str, int]) -> None:
    questionnaire = instruments.by_url(url)
    assert questionnaire is not None
    for link_id in link_ids:
        assert ordinals(questionnaire, link_id) == {code: Decimal(p) for code, p in points.items()}


def test_audit_c_and_dast10_ordinals() -> None:
    audit = instruments.by_url(instruments.AUDIT_C_URL)
    dast = instruments.by_url(instruments.DAST10_URL)
    assert audit is not None and dast is not None
    for link_id, points in AUDIT_C_POINTS.items():
        assert ordinals(audit, link_id) == {code: Decimal(p) for code, p in points.items()}
    assert ordinals(dast, "dast10-3") == {"LA33-6": 0, "LA32-8": 1}
    assert all(ordinals(dast, f"dast10-{n}") == {"LA33-6": 1, "LA32-8": 0} for n in (1, 2, 4, 5, 6, 7, 8, 9, 10))


def test_phq9_difficulty_item_shows_once_a_problem_is_reported() -> None:
    phq9 = instruments.by_url(instruments.PHQ9_URL)
    assert phq9 is not None
    none = {link_id: [Coding(LOINC, "LA6568-5")] for link_id in ("44250-9", "44260-8")}
    assert "69722-7" not in enabled_link_ids(phq9, none)
    assert "69722-7" in enabled_link_ids(phq9, {**none, "44260-8": [Coding(LOINC, "LA6569-3")]})


def test_completed_phq9_needs_every_scored_item() -> None:
    phq9 = instruments.by_url(instruments.PHQ9_URL)
    assert phq9 is not None
    with pytest.raises(ValidationFailed) as caught:
        validate_response(phq9, make_response(phq9.url, {"44250-9": "LA6568-5"}))
    assert len(caught.value.errors) == 8
    assert "Feeling down, depressed, or hopeless" in caught.value.errors["44255-8"][0]


def test_prapare_grouped_response() -> None:
    prapare = instruments.by_url(instruments.PRAPARE_URL)
    assert prapare is not None
    response = grouped(
        prapare.url or "",
        {
            "93043-8": {"56051-6": "LA32-8", "32624-9": ["LA6156-9", "LA4457-3"]},
            "93042-0": {"63512-8": 3, "71802-3": "LA30189-7"},
            "93041-2": {"93031-3": ["LA30125-1", "LA30124-4"], "93030-5": ["LA32-8"]},
        },
    )
    normalized = validate_response(prapare, response)
    assert normalized.answers("63512-8") == (3,)
    assert [c.code for c in normalized.codings("93031-3")] == ["LA30125-1", "LA30124-4"]
    assert normalized.instances("93042-0")[0].items[0].link_id == "63512-8"


def local(code: str) -> dict[str, Any]:
    return {"valueCoding": {"system": LOCAL, "code": code}}


def item(link_id: str, *answers: dict[str, Any]) -> dict[str, Any]:
    return {"linkId": link_id, "answer": list(answers)}


def comprehensive(medical: list[dict[str, Any]], **overrides: list[dict[str, Any]]) -> dict[str, Any]:
    groups = {
        "medical": medical,
        "behavioral": [item("behavioral.diagnosis", {"valueBoolean": False})],
        "social": [item("social.living-situation", local("own-or-rent"))],
        "functional": [item("functional.falls", {"valueBoolean": False})],
        "supports": [item("supports.has-caregiver", {"valueBoolean": False})],
        "goals": [{"linkId": "goals.goal", "item": [item("goals.goal.text", {"valueString": "Walk to church again"})]}],
        **overrides,
    }
    return {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": instruments.COMPREHENSIVE_ASSESSMENT_URL,
        "status": "completed",
        "item": [
            item("assessment.date", {"valueDate": "2026-03-02"}),
            item("assessment.setting", local("telephone")),
            *({"linkId": link_id, "item": children} for link_id, children in groups.items()),
        ],
    }


MEDICAL_OK = [item("medical.hospital-stays", {"valueBoolean": False}), item("medical.ed-visits", {"valueInteger": 0})]


def test_comprehensive_assessment_minimal_complete_response() -> None:
    questionnaire = instruments.by_url(instruments.COMPREHENSIVE_ASSESSMENT_URL)
    assert questionnaire is not None
    assert questionnaire.initial_answers() == {"assessment.setting": (Coding(LOCAL, "in-person-home"),)}
    normalized = validate_response(questionnaire, comprehensive(MEDICAL_OK))
    assert normalized.answer("goals.goal.text") == "Walk to church again"


def test_comprehensive_assessment_follow_ups() -> None:
    questionnaire = instruments.by_url(instruments.COMPREHENSIVE_ASSESSMENT_URL)
    assert questionnaire is not None
    medical = [
        item("medical.hospital-stays", {"valueBoolean": True}),  # → how many stays is required
        item("medical.ed-visits", {"valueInteger": 2}),
        {
            "linkId": "medical.medications",
            "item": [
                item("medical.medications.name", {"valueString": "Metformin"}),
                item("medical.medications.taking", local("as-prescribed")),
                item("medical.medications.barrier", {"valueString": "stale"}),
            ],
        },
    ]
    with pytest.raises(ValidationFailed) as caught:
        validate_response(questionnaire, comprehensive(medical))
    assert list(caught.value.errors) == ["medical.hospital-stays-count"]
    medical.append(item("medical.hospital-stays-count", {"valueInteger": 1}))
    normalized = validate_response(questionnaire, comprehensive(medical))
    assert normalized.dropped == ("medical.medications.barrier",)
    shown = enabled_link_ids(questionnaire, {"medical.ed-visits": [2], "supports.has-caregiver": [True]})
    assert {"medical.ed-visits-reasons", "supports.caregivers", "supports.caregivers.name"} <= shown
    assert "medical.hospital-stays-count" not in shown


def test_comprehensive_assessment_needs_a_goal() -> None:
    questionnaire = instruments.by_url(instruments.COMPREHENSIVE_ASSESSMENT_URL)
    assert questionnaire is not None
    with pytest.raises(ValidationFailed) as caught:
        validate_response(questionnaire, comprehensive(MEDICAL_OK, goals=[]))
    assert "goals.goal" in caught.value.errors
