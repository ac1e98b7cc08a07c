"""Test helper (and its test): QuestionnaireResponse dicts from simple (linkId → answer) maps."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

LOINC = "http://loinc.org"

Answer = str | bool | int | Sequence[str]


def make_response(
    url: str | None, answers: Mapping[str, Answer], *, status: str = "completed", system: str = LOINC
) -> dict[str, Any]:
    """A flat QuestionnaireResponse. A str answer is a code of ``system`` (LA codes by default); a list of str
    is several codes (a repeating item); bool and int become valueBoolean / valueInteger."""
    items = [{"linkId": link_id, "answer": _answers(value, system)} for link_id, value in answers.items()]
    response: dict[str, Any] = {"resourceType": "QuestionnaireResponse", "status": status, "item": items}
    if url:
        response["questionnaire"] = url
    return response


def _answers(value: Answer, system: str) -> list[dict[str, Any]]:
    if isinstance(value, bool):
        return [{"valueBoolean": value}]
    if isinstance(value, int):
        return [{"valueInteger": value}]
    if isinstance(value, str):
        return [{"valueCoding": {"system": system, "code": value}}]
    return [{"valueCoding": {"system": system, "code": code}} for code in value]


def grouped(url: str, groups: Mapping[str, Mapping[str, Answer]], *, status: str = "completed") -> dict[str, Any]:
    """A QuestionnaireResponse whose answers sit in top-level groups (PRAPARE)."""
    items = [
        {"linkId": group, "item": [{"linkId": k, "answer": _answers(v, LOINC)} for k, v in answers.items()]}
        for group, answers in groups.items()
    ]
    return {"resourceType": "QuestionnaireResponse", "questionnaire": url, "status": status, "item": items}


def test_make_response_builds_answers_of_each_kind() -> None:
    response = make_response("http://x/q", {"a": "LA33-6", "b": ["LA1-1", "LA2-2"], "c": True, "d": 3})
    answers = {item["linkId"]: item["answer"] for item in response["item"]}
    assert answers["a"] == [{"valueCoding": {"system": LOINC, "code": "LA33-6"}}]
    assert [a["valueCoding"]["code"] for a in answers["b"]] == ["LA1-1", "LA2-2"]
    assert answers["c"] == [{"valueBoolean": True}]
    assert answers["d"] == [{"valueInteger": 3}]
    assert response["status"] == "completed"
    assert response["questionnaire"] == "http://x/q"
