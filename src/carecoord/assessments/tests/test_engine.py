"""The questionnaire engine on hand-made questionnaires, the FHIR spec's examples and the Gravity IG's."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from carecoord.assessments.engine import (
    Coding,
    EnableWhen,
    Item,
    condition_holds,
    enabled_link_ids,
    parse_questionnaire,
    validate_response,
)
from carecoord.common.errors import ValidationFailed

SHARED = Path(__file__).resolve().parents[5] / "shared" / "data"
FHIR_EXAMPLES = SHARED / "fhir-r4-examples" / "care-coordination-subset"
GRAVITY = SHARED / "gravity-sdoh-ig" / "stu2-2.0.0-json-converted"
SYS = "http://example.org/codes"
URL = "http://example.org/Questionnaire/test"


def coding(code: str) -> dict[str, str]:
    return {"system": SYS, "code": code}


def questionnaire(*items: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"resourceType": "Questionnaire", "url": URL, "status": "active", "item": list(items), **extra}


def question(link_id: str, type_: str = "string", **extra: Any) -> dict[str, Any]:
    return {"linkId": link_id, "text": f"Question {link_id}", "type": type_, **extra}


def choice(link_id: str, *codes: str, **extra: Any) -> dict[str, Any]:
    return question(link_id, "choice", answerOption=[{"valueCoding": coding(c)} for c in codes], **extra)


def ew(question_id: str, operator: str, **answer: Any) -> dict[str, Any]:
    """One enableWhen entry, e.g. ``ew("b", "=", answerString="x")``."""
    return {"question": question_id, "operator": operator, **answer}


def response(*items: dict[str, Any], status: str = "completed") -> dict[str, Any]:
    return {"resourceType": "QuestionnaireResponse", "questionnaire": URL, "status": status, "item": list(items)}


def answered(link_id: str, *values: dict[str, Any]) -> dict[str, Any]:
    return {"linkId": link_id, "answer": list(values)}


def errors_of(call: Any, *args: Any, **kwargs: Any) -> dict[str, list[str]]:
    with pytest.raises(ValidationFailed) as caught:
        call(*args, **kwargs)
    return caught.value.errors


# --- parsing ---------------------------------------------------------------------------------------------------


def test_parses_items_options_ordinals_and_initial_values() -> None:
    q = parse_questionnaire(
        questionnaire(
            {
                "linkId": "g",
                "type": "group",
                "item": [
                    question(
                        "a",
                        "choice",
                        answerOption=[
                            {
                                "valueCoding": coding("x"),
                                "extension": [
                                    {"url": "http://hl7.org/fhir/StructureDefinition/ordinalValue", "valueDecimal": 2}
                                ],
                            },
                            {
                                "valueCoding": {
                                    **coding("y"),
                                    "extension": [
                                        {
                                            "url": "http://hl7.org/fhir/StructureDefinition/itemWeight",
                                            "valueDecimal": 1.5,
                                        }
                                    ],
                                },
                                "initialSelected": True,
                            },
                        ],
                    ),
                    question("b", "integer", initial=[{"valueInteger": 7}], required=True),
                ],
            }
        )
    )
    assert [item.link_id for item in q.walk()] == ["g", "a", "b"]
    assert q.parents["a"] == "g"
    assert q.ordinal("a", Coding(SYS, "x")) == Decimal(2)
    assert q.ordinal("a", Coding(SYS, "y")) == Decimal("1.5")
    assert q.ordinal("a", Coding(SYS, "z")) is None
    assert q.initial_answers() == {"a": (Coding(SYS, "y"),), "b": (7,)}
    assert q.item("b").required


@pytest.mark.parametrize(
    ("items", "key", "fragment"),
    [
        ((question("a"), question("a")), "a", "used more than once"),
        ((question("a", "quantity"),), "a", "not supported"),
        ((question("a", "choice"),), "a", "needs answerOption or answerValueSet"),
        ((question("a", enableWhen=[ew("nope", "exists", answerBoolean=True)]),), "a", "nope"),
        ((question("a", enableWhen=[ew("a", "exists", answerBoolean=True)]),), "a", "itself"),
        ((question("b"), question("a", enableWhen=[ew("b", "~", answerString="x")])), "a", "~"),
        ((question("b"), question("a", enableWhen=[ew("b", "=", answerInteger=1)])), "a", "needs answerString"),
        (
            (choice("b", "x"), question("a", enableWhen=[ew("b", ">", answerCoding=coding("x"))])),
            "a",
            "cannot compare codes",
        ),
        (
            (question("b"), question("a", enableWhen=[ew("b", "=", answerString="x"), ew("b", "=", answerString="y")])),
            "a",
            "enableBehavior",
        ),
        ((question("a", "display", required=True),), "a", "cannot be required"),
        (({"linkId": "g", "type": "group"},), "g", "at least one child"),
        ((question("a", "integer", answerOption=[{"valueInteger": 1}]),), "a", "only choice and open-choice"),
        ((question("a", maxLength="ten"),), "a", "maxLength"),
        ((question("a", "integer", initial=[{"valueString": "x"}]),), "a", "initial value must be valueInteger"),
    ],
)
def test_questionnaire_errors_name_the_item(items: tuple[dict[str, Any], ...], key: str, fragment: str) -> None:
    errors = errors_of(parse_questionnaire, questionnaire(*items))
    assert any(fragment in message for message in errors[key]), errors


def test_circular_conditions_are_refused() -> None:
    errors = errors_of(
        parse_questionnaire,
        questionnaire(
            question("a", enableWhen=[ew("b", "exists", answerBoolean=True)]),
            question("b", enableWhen=[ew("a", "exists", answerBoolean=True)]),
        ),
    )
    assert "circle" in errors["a"][0]


def test_not_a_questionnaire() -> None:
    errors = errors_of(parse_questionnaire, {"resourceType": "Patient"})
    assert errors == {"questionnaire": ["resourceType must be Questionnaire"]}


def test_condition_without_system_takes_the_options_system() -> None:
    q = parse_questionnaire(
        questionnaire(choice("a", "x", "y"), question("b", enableWhen=[ew("a", "=", answerCoding={"code": "x"})]))
    )
    assert q.item("b").enable_when[0].answer == Coding(SYS, "x")


def test_contained_value_set_becomes_options() -> None:
    q = parse_questionnaire(
        questionnaire(
            question("a", "choice", answerValueSet="#vs"),
            contained=[
                {
                    "resourceType": "ValueSet",
                    "id": "vs",
                    "status": "active",
                    "compose": {"include": [{"system": SYS, "concept": [{"code": "x"}, {"code": "y"}]}]},
                }
            ],
        )
    )
    assert [o.value for o in q.item("a").options] == [Coding(SYS, "x"), Coding(SYS, "y")]


@pytest.mark.parametrize(
    "name",
    [
        "questionnaire-cqf-example.json",
        "questionnaire-example-bluebook.json",
        "questionnaire-example-f201-lifelines.json",
        "questionnaire-example-gcs.json",
    ],
)
def test_fhir_spec_examples_parse(name: str) -> None:
    q = parse_questionnaire(json.loads((FHIR_EXAMPLES / name).read_text()))
    assert q.index


def test_fhir_spec_example_with_quantity_items_is_refused_clearly() -> None:
    raw = json.loads((FHIR_EXAMPLES / "questionnaire-zika-virus-exposure-assessment.json").read_text())
    errors = errors_of(parse_questionnaire, raw)
    assert set(errors) == {"3", "5"}
    assert "item type 'quantity' is not supported" in errors["3"][0]


@pytest.mark.parametrize("name", ["HungerVitalSign", "PRAPARE"])
def test_gravity_questionnaires_and_their_example_responses(name: str) -> None:
    q = json.loads((GRAVITY / "questionnaire" / f"SDOHCC-Questionnaire{name}.json").read_text())
    r = json.loads((GRAVITY / "questionnaireresponse" / f"SDOHCC-QuestionnaireResponse{name}Example.json").read_text())
    normalized = validate_response(q, r)
    assert normalized.status == "completed"
    assert normalized.by_link_id


# --- enableWhen ------------------------------------------------------------------------------------------------


INTEGER_Q = Item("q", "integer")
DATE_Q = Item("q", "date")


@pytest.mark.parametrize(
    ("question_item", "condition", "answers", "expected"),
    [
        (INTEGER_Q, EnableWhen("q", "exists", True), [1], True),
        (INTEGER_Q, EnableWhen("q", "exists", True), [], False),
        (INTEGER_Q, EnableWhen("q", "exists", False), [], True),
        (INTEGER_Q, EnableWhen("q", "exists", False), [1], False),
        (INTEGER_Q, EnableWhen("q", "=", 3), [3], True),
        (INTEGER_Q, EnableWhen("q", "=", 3), [4], False),
        (INTEGER_Q, EnableWhen("q", "=", 3), [], False),
        (INTEGER_Q, EnableWhen("q", "!=", 3), [4], True),
        (INTEGER_Q, EnableWhen("q", "!=", 3), [3], False),
        (INTEGER_Q, EnableWhen("q", "!=", 3), [], False),
        (INTEGER_Q, EnableWhen("q", ">", 3), [4], True),
        (INTEGER_Q, EnableWhen("q", ">", 3), [3], False),
        (INTEGER_Q, EnableWhen("q", "<", 3), [2], True),
        (INTEGER_Q, EnableWhen("q", "<", 3), [3], False),
        (INTEGER_Q, EnableWhen("q", ">=", 3), [3], True),
        (INTEGER_Q, EnableWhen("q", ">=", 3), [2], False),
        (INTEGER_Q, EnableWhen("q", "<=", 3), [3], True),
        (INTEGER_Q, EnableWhen("q", "<=", 3), [4], False),
        (INTEGER_Q, EnableWhen("q", ">", 3), [1, 5], True),  # any answer satisfying is enough
        (Item("q", "decimal"), EnableWhen("q", ">=", Decimal("1.5")), [Decimal("1.50")], True),
        (Item("q", "decimal"), EnableWhen("q", "<", Decimal("1.5")), [Decimal("1.49")], True),
        (Item("q", "boolean"), EnableWhen("q", "=", True), [True], True),
        (Item("q", "boolean"), EnableWhen("q", "=", True), [False], False),
        (Item("q", "boolean"), EnableWhen("q", "!=", True), [False], True),
        (Item("q", "string"), EnableWhen("q", "=", "abc"), ["abc"], True),
        (Item("q", "string"), EnableWhen("q", ">", "abc"), ["abd"], True),
        (Item("q", "choice"), EnableWhen("q", "=", Coding(SYS, "x")), [Coding(SYS, "x", "label")], True),
        (Item("q", "choice"), EnableWhen("q", "=", Coding(SYS, "x")), [Coding("http://other", "x")], False),
        (Item("q", "choice"), EnableWhen("q", "!=", Coding(SYS, "x")), [Coding("http://other", "x")], True),
        (DATE_Q, EnableWhen("q", ">", "2024-01-01"), ["2024-01-02"], True),
        (DATE_Q, EnableWhen("q", "<", "2024-01-01"), ["2023-12-31"], True),
        (DATE_Q, EnableWhen("q", "=", "2024-01"), ["2024-01-15"], False),  # precision differs: undecided
        (DATE_Q, EnableWhen("q", ">", "2023"), ["2024-01-15"], True),  # decided on the common part
        (Item("q", "dateTime"), EnableWhen("q", "=", "2024-01-01T10:00:00Z"), ["2024-01-01T05:00:00-05:00"], True),
        (Item("q", "dateTime"), EnableWhen("q", "<", "2024-01-01T10:00:00Z"), ["2024-01-01T09:59:59Z"], True),
    ],
)
def test_condition_operators(question_item: Item, condition: EnableWhen, answers: list[Any], expected: bool) -> None:
    assert condition_holds(condition, question_item, answers) is expected


def gated(behavior: str | None = None) -> dict[str, Any]:
    extra = {"enableBehavior": behavior} if behavior else {}
    return questionnaire(
        question("a", "boolean"),
        question("n", "integer"),
        question(
            "follow",
            enableWhen=[
                ew("a", "=", answerBoolean=True),
                ew("n", ">", answerInteger=2),
            ],
            required=True,
            **extra,
        ),
    )


@pytest.mark.parametrize(
    ("behavior", "answers", "shown"),
    [
        ("all", {"a": [True], "n": [3]}, True),
        ("all", {"a": [True], "n": [2]}, False),
        ("all", {"a": [False], "n": [3]}, False),
        ("any", {"a": [True], "n": [0]}, True),
        ("any", {"a": [False], "n": [3]}, True),
        ("any", {"a": [False], "n": [1]}, False),
        ("any", {}, False),
    ],
)
def test_enable_behavior(behavior: str, answers: dict[str, list[Any]], shown: bool) -> None:
    q = parse_questionnaire(gated(behavior))
    assert ("follow" in enabled_link_ids(q, answers)) is shown


def test_disabling_cascades_through_chains_and_children() -> None:
    q = parse_questionnaire(
        questionnaire(
            question("c", enableWhen=[ew("b", "exists", answerBoolean=True)]),
            question("b", "boolean", enableWhen=[ew("a", "=", answerBoolean=True)]),
            question("a", "boolean"),
            {
                "linkId": "g",
                "type": "group",
                "enableWhen": [ew("a", "=", answerBoolean=True)],
                "item": [question("g.1")],
            },
        )
    )
    assert enabled_link_ids(q, {"a": [True], "b": [True]}) == {"a", "b", "c", "g", "g.1"}
    # b keeps a stale answer, but b is disabled, so its answer does not enable c
    assert enabled_link_ids(q, {"a": [False], "b": [True]}) == {"a"}


# --- responses -------------------------------------------------------------------------------------------------


def test_disabled_answers_are_dropped_or_rejected() -> None:
    q = parse_questionnaire(gated("all"))
    stale = response(
        answered("a", {"valueBoolean": False}),
        answered("n", {"valueInteger": 5}),
        answered("follow", {"valueString": "old"}),
    )
    normalized = validate_response(q, stale)
    assert normalized.dropped == ("follow",)
    assert normalized.answer("follow") is None
    errors = errors_of(validate_response, q, stale, disabled_answers="reject")
    assert "disable" in errors["follow"][0]


def test_required_only_when_enabled_and_completed() -> None:
    q = parse_questionnaire(gated("all"))
    enabled = response(answered("a", {"valueBoolean": True}), answered("n", {"valueInteger": 5}))
    errors = errors_of(validate_response, q, enabled)
    assert errors == {"follow": ["follow ('Question follow'): an answer is required"]}
    assert validate_response(q, {**enabled, "status": "in-progress"}).status == "in-progress"
    disabled = response(answered("a", {"valueBoolean": False}))
    assert validate_response(q, disabled).answers("a") == (False,)


@pytest.mark.parametrize(
    ("definition", "item", "fragment"),
    [
        (question("a", "integer"), answered("a", {"valueString": "1"}), "must be valueInteger, not valueString"),
        (question("a", "integer"), answered("a", {"valueInteger": True}), "whole number"),
        (question("a", "boolean"), answered("a", {"valueBoolean": "yes"}), "true or false"),
        (question("a", "decimal"), answered("a", {"valueDecimal": "abc"}), "number"),
        (question("a", "date"), answered("a", {"valueDate": "2024-02-30"}), "date"),
        (question("a", "dateTime"), answered("a", {"valueDateTime": "2024-01-01T10:00"}), "date-time"),
        (choice("a", "x", "y"), answered("a", {"valueCoding": coding("z")}), "not one of the answer options"),
        (choice("a", "x"), answered("a", {"valueCoding": {"code": "x"}}), "not one of the answer options"),
        (
            choice("a", "x", "y"),
            answered("a", {"valueCoding": coding("x")}, {"valueCoding": coding("y")}),
            "only one answer",
        ),
        (
            choice("a", "x", "y", repeats=True),
            answered("a", {"valueCoding": coding("x")}, {"valueCoding": coding("x")}),
            "twice",
        ),
        (question("a", maxLength=3), answered("a", {"valueString": "abcd"}), "longer than 3"),
        (question("a"), answered("a", {"valueString": "x", "valueInteger": 1}), "exactly one value"),
        (question("a"), {"linkId": "zzz", "answer": [{"valueString": "x"}]}, "not an item of this questionnaire"),
        (
            {"linkId": "g", "type": "group", "item": [question("a")]},
            answered("g", {"valueString": "x"}),
            "takes no answer",
        ),
    ],
)
def test_response_errors_name_the_item(definition: dict[str, Any], item: dict[str, Any], fragment: str) -> None:
    errors = errors_of(validate_response, questionnaire(definition), response(item, status="in-progress"))
    messages = [m for ms in errors.values() for m in ms]
    assert any(fragment in m for m in messages), errors
    assert all(m.startswith(("a ('Question a')", "g:", "zzz:")) for m in messages)  # linkId and text first


def test_item_in_the_wrong_place_and_repeated_non_repeating_item() -> None:
    q = questionnaire({"linkId": "g", "type": "group", "item": [question("a")]}, question("b"))
    errors = errors_of(
        validate_response,
        q,
        response(
            answered("a", {"valueString": "x"}),
            answered("b", {"valueString": "1"}),
            answered("b", {"valueString": "2"}),
        ),
    )
    assert "belongs under g" in errors["a"][0]
    assert "appears more than once" in errors["b"][0]


def test_response_status_and_questionnaire_are_checked() -> None:
    q = questionnaire(question("a"))
    errors = errors_of(validate_response, q, {**response(), "status": "done", "questionnaire": "http://other/q"})
    assert len(errors["response"]) == 2


def test_open_choice_takes_codes_or_free_text() -> None:
    q = questionnaire(
        question("a", "open-choice", repeats=True, answerOption=[{"valueCoding": coding("x")}], maxLength=5)
    )
    normalized = validate_response(q, response(answered("a", {"valueCoding": coding("x")}, {"valueString": "other"})))
    assert normalized.answers("a") == (Coding(SYS, "x"), "other")
    errors = errors_of(validate_response, q, response(answered("a", {"valueString": "too long"})))
    assert "longer than 5" in errors["a"][0]


def test_choice_with_integer_options() -> None:
    q = questionnaire(question("a", "choice", answerOption=[{"valueInteger": 1}, {"valueInteger": 2}]))
    assert validate_response(q, response(answered("a", {"valueInteger": 2}))).answer("a") == 2
    errors = errors_of(validate_response, q, response(answered("a", {"valueCoding": coding("x")})))
    assert "must be valueInteger" in errors["a"][0]


def repeating_groups() -> dict[str, Any]:
    return questionnaire(
        {
            "linkId": "meds",
            "type": "group",
            "repeats": True,
            "item": [
                question("meds.name", required=True),
                choice("meds.taking", "yes", "no"),
                question("meds.why", enableWhen=[ew("meds.taking", "=", answerCoding=coding("no"))], required=True),
            ],
        },
        {"linkId": "goals", "type": "group", "repeats": True, "required": True, "item": [question("goals.text")]},
    )


def med(name: str | None, taking: str | None = None, why: str | None = None) -> dict[str, Any]:
    items = []
    if name:
        items.append(answered("meds.name", {"valueString": name}))
    if taking:
        items.append(answered("meds.taking", {"valueCoding": coding(taking)}))
    if why:
        items.append(answered("meds.why", {"valueString": why}))
    return {"linkId": "meds", "item": items}


GOAL = {"linkId": "goals", "item": [answered("goals.text", {"valueString": "walk daily"})]}


def test_repeating_groups_keep_instances_and_conditions_read_their_own_instance() -> None:
    q = repeating_groups()
    normalized = validate_response(q, response(med("aspirin", "yes"), med("metformin", "no", "cost"), GOAL))
    assert [node.items[0].values for node in normalized.instances("meds")] == [("aspirin",), ("metformin",)]
    assert normalized.answers("meds.why") == ("cost",)
    # the first instance answered "yes": its own "why" is disabled even though another instance answered "no"
    stale = validate_response(q, response(med("aspirin", "yes", "stale"), med("metformin", "no", "cost"), GOAL))
    assert stale.dropped == ("meds.why",)
    assert stale.answers("meds.why") == ("cost",)


def test_required_children_per_group_instance_and_required_repeating_group() -> None:
    q = repeating_groups()
    errors = errors_of(validate_response, q, response(med(None, "no"), med("x", "no")))
    assert errors["meds.name"] == ["meds.name ('Question meds.name'): an answer is required"]
    assert errors["meds.why"] == ["meds.why ('Question meds.why'): an answer is required"] * 2
    assert "at least one answer in this section" in errors["goals"][0]


def test_question_children_nest_under_answers() -> None:
    q = questionnaire(question("a", "boolean", item=[question("a.1", required=True)]))
    nested = {"linkId": "a", "answer": [{"valueBoolean": True, "item": [answered("a.1", {"valueString": "x"})]}]}
    normalized = validate_response(q, response(nested))
    assert normalized.answers("a.1") == ("x",)
    assert normalized.to_fhir_items(parse_questionnaire(q))[0]["answer"][0]["item"][0]["linkId"] == "a.1"
    errors = errors_of(validate_response, q, response({"linkId": "a", "item": [answered("a.1", {"valueString": "x"})]}))
    assert "inside its answer" in errors["a"][0]


def test_to_fhir_items_round_trips() -> None:
    q = parse_questionnaire(
        questionnaire(
            choice("c", "x"),
            question("d", "date"),
            question("t", "dateTime"),
            question("n", "decimal"),
            question("b", "boolean"),
        )
    )
    raw = response(
        answered("c", {"valueCoding": coding("x")}),
        answered("d", {"valueDate": "2024-05"}),
        answered("t", {"valueDateTime": "2024-05-01T10:00:00+02:00"}),
        answered("n", {"valueDecimal": 1.25}),
        answered("b", {"valueBoolean": False}),
    )
    normalized = validate_response(q, raw)
    again = validate_response(q, response(*normalized.to_fhir_items(q)))
    assert again.by_link_id == normalized.by_link_id
    assert normalized.answer("n") == Decimal("1.25")
