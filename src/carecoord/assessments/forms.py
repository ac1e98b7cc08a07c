"""The fill-in form of any Questionnaire: field names, reading a submitted form into QuestionnaireResponse items,
answers back into form values, and the tree of items a template renders.

Field names follow the Questionnaire's shape so any form can be read back without a form class: an item is
``<prefix>/<linkId>`` (the top prefix is ``a``); each instance of a group is ``<group name>[<n>]`` and the
instances a repeating group has are listed in ``<group name>[]``; a question's own child items hang under its
name. A choice answer is the option's position; ``other`` picks an open-choice item's free text
(``<name>/other``). The engine (``engine.validate_response``) checks everything; this module only translates.
"""

from __future__ import annotations

import datetime
import itertools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone

from carecoord.accounts.permissions import Capability
from carecoord.assessments import instruments
from carecoord.assessments.engine import AnswerValue, Coding, Item, Questionnaire, enabled_link_ids
from carecoord.assessments.engine.values import read_value
from carecoord.assessments.scoring.screens import (
    AUDIT_C_POINTS,
    DAST10_BANDS,
    DAST10_ITEMS,
    GAD7_BANDS,
    GAD7_ITEMS,
    PHQ9_BANDS,
    PHQ9_ITEMS,
)

TOP = "a"
OTHER = "other"
Data = Mapping[str, list[str]]

INPUT_TYPES = {"integer": "number", "decimal": "number", "date": "date", "dateTime": "datetime-local", "string": "text"}

# Short names and bands (low, high, label, code) of the instruments whose total is the sum of their answers'
# scores: what the live total shows.
Bands = tuple[tuple[int, int, str, str], ...]
SCREEN_BANDS: Bands = ((0, 2, "Negative screen", "negative"), (3, 6, "Positive screen", "positive"))
LIVE_TOTALS: Mapping[str, tuple[str, tuple[str, ...], Bands]] = {
    instruments.PHQ9_URL: ("PHQ-9", PHQ9_ITEMS, tuple((lo, hi, label, code) for lo, hi, code, label in PHQ9_BANDS)),
    instruments.PHQ2_URL: ("PHQ-2", PHQ9_ITEMS[:2], SCREEN_BANDS),
    instruments.GAD7_URL: ("GAD-7", GAD7_ITEMS, tuple((lo, hi, label, code) for lo, hi, code, label in GAD7_BANDS)),
    instruments.GAD2_URL: ("GAD-2", GAD7_ITEMS[:2], SCREEN_BANDS),
    instruments.DAST10_URL: (
        "DAST-10",
        DAST10_ITEMS,
        tuple((lo, hi, label, code) for lo, hi, code, label in DAST10_BANDS),
    ),
    instruments.AUDIT_C_URL: ("AUDIT-C", tuple(AUDIT_C_POINTS), ()),
}
AUDIT_C_BANDS: Mapping[str, Bands] = {
    "male": ((0, 3, "Negative (men: positive at 4 or more)", "negative"), (4, 12, "Positive (men)", "positive")),
    "female": ((0, 2, "Negative (women: positive at 3 or more)", "negative"), (3, 12, "Positive (women)", "positive")),
}
# A band's badge: colour reinforces the words, never replaces them.
BAND_CLASSES: Mapping[str, str] = {
    "minimal": "ok",
    "none": "ok",
    "low": "ok",
    "negative": "ok",
    "moderate": "warn",
    "positive": "warn",
    "moderately-severe": "danger",
    "substantial": "danger",
    "severe": "danger",
}


# --- reading a submitted form ------------------------------------------------------------------------------------


def read_items(questionnaire: Questionnaire, data: Data) -> list[dict[str, Any]]:
    """The submitted form as QuestionnaireResponse.item JSON (empty answers left out) for the actions."""
    return _read(questionnaire.items, TOP, data)


def _instances(item: Item, name: str, data: Data) -> list[str]:
    if not item.repeats:
        return ["0"]
    return list(dict.fromkeys(i for i in data.get(name + "[]", []) if i.isdigit()))


def _read(items: Iterable[Item], prefix: str, data: Data) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for item in items:
        name = f"{prefix}/{item.link_id}"
        if item.type == "display":
            continue
        if item.type == "group":
            for index in _instances(item, name, data):
                children = _read(item.items, f"{name}[{index}]", data)
                if children:
                    out.append({"linkId": item.link_id, "item": children})
            continue
        answers = _answers(item, name, data)
        if answers:
            nested = _read(item.items, name, data) if item.items else []
            if nested:
                answers[0]["item"] = nested
            out.append({"linkId": item.link_id, "answer": answers})
    return out


def _answers(item: Item, name: str, data: Data) -> list[dict[str, Any]]:
    raw = [value for value in data.get(name, []) if value.strip()]
    if item.type in ("choice", "open-choice"):
        answers = []
        for value in raw:
            if value.isdigit() and int(value) < len(item.options):
                option = item.options[int(value)]
                answers.append(_option_json(option.value, option.kind))
            elif value != OTHER:
                answers.append({"valueString": value})  # not an option: the engine says so
        other = next((v.strip() for v in data.get(name + "/other", []) if v.strip()), "")
        if item.type == "open-choice" and other and (OTHER in raw or not raw):
            answers.append({"valueString": other})
        return answers
    if item.type == "boolean":
        return [{"valueBoolean": value == "true"} for value in raw[:1] if value in ("true", "false")]
    if item.type == "integer":
        return [{"valueInteger": _integer(value)} for value in raw]
    if item.type == "decimal":
        return [{"valueDecimal": value.strip()} for value in raw]
    if item.type == "date":
        return [{"valueDate": value.strip()} for value in raw]
    if item.type == "dateTime":
        return [{"valueDateTime": _date_time(value)} for value in raw]
    return [{"valueString": value.rstrip()} for value in raw]


def _option_json(value: AnswerValue, kind: str) -> dict[str, Any]:
    if isinstance(value, Coding):
        return {"valueCoding": value.to_fhir()}
    return {f"value{kind}": value}


def _integer(text: str) -> int | str:
    try:
        return int(text.strip())
    except ValueError:
        return text  # the engine refuses it, naming the item


def _date_time(text: str) -> str:
    """A browser's ``YYYY-MM-DDThh:mm`` in the installation's zone, as FHIR wants it (with an offset)."""
    try:
        moment = datetime.datetime.fromisoformat(text.strip())
    except ValueError:
        return text
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment.isoformat(timespec="seconds")


# --- answers back into form values -------------------------------------------------------------------------------


def data_from_items(questionnaire: Questionnaire, items: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    """Stored QuestionnaireResponse.item JSON as form values (to resume a draft or amend)."""
    data: dict[str, list[str]] = {}
    _fill(questionnaire, list(items), TOP, data)
    return data


def _fill(
    questionnaire: Questionnaire, nodes: list[Mapping[str, Any]], prefix: str, data: dict[str, list[str]]
) -> None:
    for node in nodes:
        item = questionnaire.index.get(str(node.get("linkId")))
        if item is None or not isinstance(node, Mapping):
            continue
        name = f"{prefix}/{item.link_id}"
        if item.type == "group":
            instances = data.setdefault(name + "[]", [])
            index = str(len(instances)) if item.repeats else "0"
            if index not in instances:
                instances.append(index)
            _fill(questionnaire, list(node.get("item") or []), f"{name}[{index}]", data)
            continue
        for answer in node.get("answer") or []:
            value = _stored_value(answer)
            if value is None:
                continue
            _put(item, name, value, data)
            if answer.get("item"):
                _fill(questionnaire, list(answer["item"]), name, data)


def _stored_value(answer: Mapping[str, Any]) -> AnswerValue | None:
    keys = [k for k in answer if k.startswith("value")]
    if len(keys) != 1:
        return None
    try:
        return read_value(keys[0].removeprefix("value"), answer[keys[0]])
    except ValueError:
        return None


def _put(item: Item, name: str, value: AnswerValue, data: dict[str, list[str]]) -> None:
    if item.options:
        for index, option in enumerate(item.options):
            if type(option.value) is type(value) and option.value == value:
                data.setdefault(name, []).append(str(index))
                return
        if item.type == "open-choice" and isinstance(value, str):
            data.setdefault(name, []).append(OTHER)
            data[name + "/other"] = [value]
        return
    if isinstance(value, bool):
        data.setdefault(name, []).append("true" if value else "false")
    elif item.type == "dateTime" and isinstance(value, str) and "T" in value:
        moment = timezone.localtime(datetime.datetime.fromisoformat(value.replace("Z", "+00:00")))
        data.setdefault(name, []).append(moment.strftime("%Y-%m-%dT%H:%M"))
    else:
        data.setdefault(name, []).append(str(value))


def initial_data(questionnaire: Questionnaire) -> dict[str, list[str]]:
    """A new form: one instance of each group, and the Questionnaire's initial answers."""
    data: dict[str, list[str]] = {}

    def walk(items: Iterable[Item], prefix: str) -> None:
        for item in items:
            name = f"{prefix}/{item.link_id}"
            if item.type == "group":
                data[name + "[]"] = ["0"]
                walk(item.items, f"{name}[0]")
                continue
            for value in item.initial or tuple(o.value for o in item.options if o.initial_selected):
                _put(item, name, value, data)
            walk(item.items, name)

    walk(questionnaire.items, TOP)
    return data


def pooled_answers(questionnaire: Questionnaire, data: Data) -> dict[str, list[AnswerValue]]:
    """Every answer in the form by linkId (instances pooled), typed, for ``enabled_link_ids``."""
    pooled: dict[str, list[AnswerValue]] = {}

    def walk(nodes: list[dict[str, Any]]) -> None:
        for node in nodes:
            for answer in node.get("answer", []):
                value = _stored_value(answer)
                if value is not None:
                    pooled.setdefault(node["linkId"], []).append(value)
                walk(answer.get("item", []))
            walk(node.get("item", []))

    walk(read_items(questionnaire, data))
    return pooled


# --- what the template renders -----------------------------------------------------------------------------------


@dataclass
class OptionView:
    value: str
    key: str
    label: str
    ordinal: str
    compare: str  # what enableWhen compares in the browser
    dom_id: str
    checked: bool


@dataclass
class InstanceView:
    index: str
    number: str
    nodes: list[NodeView]


@dataclass
class NodeView:
    """One item as the template draws it."""

    item: Item
    kind: str
    name: str
    dom_id: str
    number: int | None
    hidden: bool
    conditions: str = ""
    options: list[OptionView] = field(default_factory=list)
    values: list[str] = field(default_factory=list)
    other_text: str = ""
    other_checked: bool = False
    input_type: str = "text"
    step: str = ""
    instances: list[InstanceView] = field(default_factory=list)
    template: InstanceView | None = None
    next_index: int = 0
    depth: int = 0
    children: list[NodeView] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    help: str = ""

    @property
    def is_question(self) -> bool:
        return self.kind not in ("group", "display")

    @property
    def keyed(self) -> bool:
        return any(option.key for option in self.options)

    @property
    def value(self) -> str:
        return self.values[0] if self.values else ""

    @property
    def extra_values(self) -> list[str]:
        """A repeating text or number question: its answers after the first, plus a blank for one more."""
        return self.values[1:]


def option_keys(item: Item) -> list[str]:
    """The key that picks each option: its score when the scores are 0-9 rising in order (PHQ-9: 0-3), else
    its position 1, 2, ... 9, 0 (options past the tenth have no key)."""
    ordinals = [option.ordinal for option in item.options]
    if (
        ordinals
        and all(o is not None and o == o.to_integral_value() and 0 <= o <= 9 for o in ordinals)
        and all(a < b for a, b in itertools.pairwise(ordinals))  # type: ignore[operator]
    ):
        return [str(int(o)) for o in ordinals if o is not None]
    return [str(n + 1) if n < 9 else ("0" if n == 9 else "") for n in range(len(item.options))]


def _option_label(value: AnswerValue) -> str:
    if isinstance(value, Coding):
        return value.display or value.code
    return str(value)


def _compare_key(value: AnswerValue) -> str:
    if isinstance(value, Coding):
        return f"{value.system or ''}|{value.code}"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _conditions(item: Item, questionnaire: Questionnaire) -> str:
    if not item.enable_when:
        return ""
    rules = []
    for condition in item.enable_when:
        target = questionnaire.index[condition.question]
        answer = condition.answer
        if condition.operator == "exists":
            kind = "exists"
        elif isinstance(answer, Coding):
            kind = "coding"
        elif isinstance(answer, bool):
            kind = "boolean"
        elif isinstance(answer, int | Decimal):
            kind = "number"
        elif target.type in ("date", "dateTime"):
            kind = "date"
        else:
            kind = "string"
        rules.append({"q": condition.question, "op": condition.operator, "kind": kind, "value": _compare_key(answer)})
    return json.dumps({"behavior": item.enable_behavior, "rules": rules})


class FormBuilder:
    """Builds the item tree of one Questionnaire for the given form values and errors (by linkId)."""

    def __init__(self, questionnaire: Questionnaire, data: Data, errors: Mapping[str, list[str]] | None = None):
        self.questionnaire = questionnaire
        self.data = data
        self.errors = dict(errors or {})
        self.enabled = enabled_link_ids(questionnaire, pooled_answers(questionnaire, data))
        self.positions = {item.link_id: n for n, item in enumerate(questionnaire.walk())}
        self.numbers: dict[str, int] = {}
        for item in questionnaire.walk():
            if item.is_question:
                self.numbers[item.link_id] = len(self.numbers) + 1
        self.anchors: dict[str, str] = {}

    def nodes(self) -> list[NodeView]:
        return self._nodes(self.questionnaire.items, TOP, [], 0)

    def name_of(self, link_id: str) -> str:
        """How the page names an item: "Question 9 “Thoughts that …”" (or its text for a section)."""
        item = self.questionnaire.item(link_id)
        text = item.text or link_id
        short = text if len(text) <= 80 else text[:77].rstrip() + "…"
        number = self.numbers.get(link_id)
        return f"Question {number} “{short}”" if number else f"“{short}”"

    def _nodes(self, items: Iterable[Item], prefix: str, path: list[str], depth: int) -> list[NodeView]:
        return [self._node(item, prefix, path, depth) for item in items]

    def _node(self, item: Item, prefix: str, path: list[str], depth: int) -> NodeView:
        name = f"{prefix}/{item.link_id}"
        dom_id = "-".join([f"i{self.positions[item.link_id]}", *path])
        node = NodeView(
            item=item,
            kind="checks" if item.type in ("choice", "open-choice") and item.repeats else item.type,
            name=name,
            dom_id=dom_id,
            number=self.numbers.get(item.link_id),
            hidden=item.link_id not in self.enabled,
            conditions=_conditions(item, self.questionnaire),
            depth=depth,
        )
        if item.link_id in self.errors and item.link_id not in self.anchors and "__N" not in name:
            self.anchors[item.link_id] = dom_id
            node.errors = [self._message(item, message) for message in self.errors[item.link_id]]
        if item.type == "group":
            self._group(node, item, name, path, depth)
            return node
        chosen = self.data.get(name, [])
        if item.type in ("choice", "open-choice"):
            keys = option_keys(item)
            node.options = [
                OptionView(
                    value=str(n),
                    key=keys[n],
                    label=_option_label(option.value),
                    ordinal="" if option.ordinal is None else format(option.ordinal.normalize(), "f"),
                    compare=_compare_key(option.value),
                    dom_id=f"{dom_id}-o{n}",
                    checked=str(n) in chosen,
                )
                for n, option in enumerate(item.options)
            ]
            node.other_checked = OTHER in chosen
            node.other_text = next(iter(self.data.get(name + "/other", [])), "")
        elif item.type == "boolean":
            node.options = [
                OptionView("true", "1", "Yes", "", "true", f"{dom_id}-yes", "true" in chosen),
                OptionView("false", "2", "No", "", "false", f"{dom_id}-no", "false" in chosen),
            ]
        else:
            node.values = list(chosen)
            node.input_type = INPUT_TYPES.get(item.type, "text")
            node.step = "1" if item.type == "integer" else ("any" if item.type == "decimal" else "")
        help_items = [child for child in item.items if child.type == "display"]
        node.help = " ".join(child.text or "" for child in help_items)
        questions = [child for child in item.items if child.type != "display"]
        node.children = self._nodes(questions, name, path, depth + 1)
        return node

    def _group(self, node: NodeView, item: Item, name: str, path: list[str], depth: int) -> None:
        indices = _instances(item, name, self.data) if item.repeats else ["0"]
        if item.repeats and not indices:
            indices = ["0"]
        node.instances = [
            InstanceView(index, str(n + 1), self._nodes(item.items, f"{name}[{index}]", [*path, index], depth + 1))
            for n, index in enumerate(indices)
        ]
        if item.repeats:
            token = f"__N{depth}__"
            node.template = InstanceView(
                token, "", self._nodes(item.items, f"{name}[{token}]", [*path, token], depth + 1)
            )
            node.next_index = max((int(i) for i in indices), default=-1) + 1

    def _message(self, item: Item, message: str) -> str:
        """The engine names the item by linkId and text; the page names it by number and says the rest."""
        rest = message.removeprefix(item.label + ":").strip()
        return rest[:1].upper() + rest[1:] if rest else message

    def problems(self) -> list[tuple[str, str, str]]:
        """(name, message, anchor) of every error, in the Questionnaire's order, for the summary at the top
        (after ``nodes()``, which places each item's errors)."""
        out = []
        for item in self.questionnaire.walk():
            for message in self.errors.get(item.link_id, []):
                anchor = self.anchors.get(item.link_id, "")
                out.append((self.name_of(item.link_id), self._message(item, message), anchor))
        for key, messages in self.errors.items():
            if key not in self.questionnaire.index:
                out.extend(("", message, "") for message in messages)
        return out


def live_total(questionnaire: Questionnaire, *, sex: str | None = None) -> dict[str, Any] | None:
    """What the live total box needs: the items that count, the maximum, the bands; None for unscored forms."""
    url = questionnaire.url or ""
    known = LIVE_TOTALS.get(url)
    if known is not None:
        name, link_ids, bands = known
        if url == instruments.AUDIT_C_URL:
            bands = AUDIT_C_BANDS.get(sex or "", ())
    else:
        link_ids = tuple(
            item.link_id
            for item in questionnaire.walk()
            if item.options and all(option.ordinal is not None for option in item.options) and not item.repeats
        )
        name, bands = "Total", ()
    if not link_ids:
        return None
    highest = sum(
        max((o.ordinal for o in questionnaire.item(link_id).options if o.ordinal is not None), default=Decimal(0))
        for link_id in link_ids
        if link_id in questionnaire.index
    )
    return {
        "name": name,
        "items": json.dumps(list(link_ids)),
        "max": format(Decimal(highest).normalize(), "f"),
        "bands": json.dumps([[low, high, label, BAND_CLASSES.get(code, "")] for low, high, label, code in bands]),
    }


# --- small forms -------------------------------------------------------------------------------------------------


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Why", max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class ResolveFlagForm(forms.Form):
    resolution = forms.CharField(
        label="How was it resolved?",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="For example: reached the person, safety plan reviewed, crisis line given.",
    )


class UploadQuestionnaireForm(forms.Form):
    file = forms.FileField(label="Questionnaire JSON file", help_text="A FHIR R4 Questionnaire resource (.json).")
    capability = forms.ChoiceField(
        label="Who may fill it in",
        choices=[
            (Capability.COMPREHENSIVE_ASSESSMENT.value, "Care managers (assessment)"),
            (Capability.BEHAVIORAL_SCREENING.value, "Care managers (behavioral screening)"),
            (Capability.SOCIAL_SCREENING.value, "Care coordinators and care managers (social needs)"),
        ],
    )
