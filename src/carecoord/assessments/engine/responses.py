"""Check a QuestionnaireResponse against its Questionnaire and return its answers in a normalized form.

``validate_response`` reports every problem at once in ``ValidationFailed.errors``, keyed by linkId (key
``"response"`` for the resource itself), each message naming the item by linkId and text. Drafts
(``in-progress``) may be partial; ``completed`` and ``amended`` responses must answer every enabled required
item. Answers to items that other answers disable are dropped (listed in ``NormalizedResponse.dropped``), or
refused with ``disabled_answers="reject"``.

Required items inside a group: a non-repeating group counts as present even when the response leaves it out,
so its enabled required children are still required; a repeating group with no instance is only checked when
it is itself required, and each instance given must have its required children.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from carecoord.common.errors import ValidationFailed

from .definition import Item, Questionnaire, parse_questionnaire
from .enablement import Evaluator, Scope
from .tree import ResponseAnswer, ResponseItem
from .values import VALUE_KEYS, AnswerValue, Coding, read_value, value_to_fhir

__all__ = ["COMPLETE_STATUSES", "RESPONSE_STATUSES", "NormalizedResponse", "validate_response"]

RESPONSE_KEY = "response"
RESPONSE_STATUSES = frozenset({"in-progress", "completed", "amended", "entered-in-error", "stopped"})
COMPLETE_STATUSES = frozenset({"completed", "amended"})


@dataclass(frozen=True)
class NormalizedResponse:
    """A checked response: typed answers in the Questionnaire's shape, plus a flat index by linkId.

    ``items`` keeps group nesting and repeats (one ``ResponseItem`` per group instance); ``by_link_id`` pools
    every answer to a linkId in document order, which is what scorers read.
    """

    questionnaire_url: str | None
    status: str
    items: tuple[ResponseItem, ...]
    dropped: tuple[str, ...] = ()
    by_link_id: Mapping[str, tuple[AnswerValue, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, list[AnswerValue]] = {}
        for node in self.walk():
            if node.answers:
                index.setdefault(node.link_id, []).extend(node.values)
        object.__setattr__(self, "by_link_id", {k: tuple(v) for k, v in index.items()})

    def walk(self) -> Iterator[ResponseItem]:
        """Every response item, depth first, in document order."""
        stack = list(reversed(self.items))
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children()))

    def answers(self, link_id: str) -> tuple[AnswerValue, ...]:
        """All answers to ``link_id`` (empty if unanswered)."""
        return self.by_link_id.get(link_id, ())

    def answer(self, link_id: str) -> AnswerValue | None:
        """The first answer to ``link_id``, or None."""
        values = self.by_link_id.get(link_id, ())
        return values[0] if values else None

    def codings(self, link_id: str) -> tuple[Coding, ...]:
        """The coded answers to ``link_id``."""
        return tuple(v for v in self.answers(link_id) if isinstance(v, Coding))

    def instances(self, link_id: str) -> tuple[ResponseItem, ...]:
        """Every occurrence of ``link_id`` (e.g. each instance of a repeating group)."""
        return tuple(node for node in self.walk() if node.link_id == link_id)

    def to_fhir_items(self, questionnaire: Questionnaire) -> list[dict[str, Any]]:
        """The answers as QuestionnaireResponse.item JSON (with the options' displays), for storage or FHIR."""

        def convert(nodes: tuple[ResponseItem, ...]) -> list[dict[str, Any]]:
            out = []
            for node in nodes:
                item = questionnaire.index[node.link_id]
                entry: dict[str, Any] = {"linkId": node.link_id}
                if item.text:
                    entry["text"] = item.text
                if node.answers:
                    entry["answer"] = [_answer_to_fhir(a, item.type, convert) for a in node.answers]
                if node.items:
                    entry["item"] = convert(node.items)
                out.append(entry)
            return out

        return convert(self.items)


def _answer_to_fhir(answer: ResponseAnswer, item_type: str, convert: Any) -> dict[str, Any]:
    entry = value_to_fhir(answer.value, item_type)
    if answer.items:
        entry["item"] = convert(answer.items)
    return entry


def validate_response(
    questionnaire: Questionnaire | Mapping[str, Any],
    response: Mapping[str, Any],
    *,
    disabled_answers: Literal["drop", "reject"] = "drop",
) -> NormalizedResponse:
    """Check ``response`` (QuestionnaireResponse JSON) against ``questionnaire``; raise ``ValidationFailed``."""
    if not isinstance(questionnaire, Questionnaire):
        questionnaire = parse_questionnaire(questionnaire)
    checker = _Checker(questionnaire)
    normalized = checker.check(response, disabled_answers)
    if checker.errors:
        first = next(iter(checker.errors.values()))[0]
        count = sum(len(v) for v in checker.errors.values())
        raise ValidationFailed(
            f"The response is not valid: {first}" + (f" (and {count - 1} more)" if count > 1 else ""),
            code="invalid-response",
            errors=checker.errors,
        )
    return normalized


class _Checker:
    def __init__(self, questionnaire: Questionnaire):
        self.questionnaire = questionnaire
        self.errors: dict[str, list[str]] = {}

    def fail(self, key: str, message: str) -> None:
        self.errors.setdefault(key, []).append(message)

    def check(self, response: Mapping[str, Any], disabled_answers: str) -> NormalizedResponse:
        q = self.questionnaire
        if not isinstance(response, Mapping) or response.get("resourceType") not in (None, "QuestionnaireResponse"):
            self.fail(RESPONSE_KEY, "resourceType must be QuestionnaireResponse")
            return NormalizedResponse(q.url, "unknown", ())
        status = response.get("status")
        if status not in RESPONSE_STATUSES:
            self.fail(RESPONSE_KEY, f"status must be one of {', '.join(sorted(RESPONSE_STATUSES))}")
        canonical = response.get("questionnaire")
        if canonical and q.url and not _same_questionnaire(str(canonical), q.url):
            self.fail(RESPONSE_KEY, f"the response is for {canonical}, not {q.url}")
        raw_items = response.get("item") or []
        if not isinstance(raw_items, list):
            self.fail(RESPONSE_KEY, "item must be a list")
            raw_items = []
        roots = self.read_items(raw_items, q.items, None)
        evaluator = Evaluator(q)
        disabled = evaluator.settle(roots)
        dropped: list[str] = []
        kept = self.prune(roots, disabled, dropped)
        for link_id in dropped:
            if disabled_answers == "reject":
                self.fail(link_id, f"{q.index[link_id].label}: answered, but the other answers disable this item")
        if status in COMPLETE_STATUSES:
            self.check_required(q.items, kept, Scope(frozenset(q.index), kept), Evaluator(q))
        return NormalizedResponse(q.url, str(status), kept, tuple(dict.fromkeys(dropped)))

    def read_items(
        self, raw_items: list[Any], definitions: tuple[Item, ...], parent: Item | None
    ) -> tuple[ResponseItem, ...]:
        allowed = {item.link_id: item for item in definitions}
        counts: Counter[str] = Counter()
        nodes = []
        for raw in raw_items:
            link_id = raw.get("linkId") if isinstance(raw, Mapping) else None
            if not isinstance(link_id, str) or not link_id:
                self.fail(parent.link_id if parent else RESPONSE_KEY, "an answered item has no linkId")
                continue
            item = allowed.get(link_id)
            if item is None:
                self.fail(link_id, self._misplaced(link_id, parent))
                continue
            counts[link_id] += 1
            if counts[link_id] == 2 and not (item.type == "group" and item.repeats):
                hint = "; give several answers in one item" if item.is_question and item.repeats else ""
                self.fail(link_id, f"{item.label}: appears more than once{hint}")
            node = self.read_item(raw, item)
            if node is not None:
                nodes.append(node)
        return tuple(nodes)

    def _misplaced(self, link_id: str, parent: Item | None) -> str:
        if link_id not in self.questionnaire.index:
            return f"{link_id}: not an item of this questionnaire"
        item = self.questionnaire.index[link_id]
        home = self.questionnaire.parents.get(link_id)
        where = f"under {self.questionnaire.index[home].label}" if home else "at the top level"
        return f"{item.label}: answered in the wrong place (it belongs {where})"

    def read_item(self, raw: Mapping[str, Any], item: Item) -> ResponseItem | None:
        raw_answers = raw.get("answer") or []
        raw_children = raw.get("item") or []
        if not item.is_question:
            if raw_answers:
                self.fail(item.link_id, f"{item.label}: a {item.type} item takes no answer")
            if item.type == "display":
                return None
            children = self.read_items(raw_children, item.items, item)
            return ResponseItem(item.link_id, items=children) if children else None
        if raw_children:
            self.fail(item.link_id, f"{item.label}: a question's child items belong inside its answer")
        if len(raw_answers) > 1 and not item.repeats:
            self.fail(item.link_id, f"{item.label}: only one answer is allowed")
        answers = []
        for raw_answer in raw_answers:
            if not isinstance(raw_answer, Mapping):
                self.fail(item.link_id, f"{item.label}: each answer must be an object")
                continue
            value = self.read_answer(raw_answer, item)
            children = self.read_items(raw_answer.get("item") or [], item.items, item)
            if value is not None:
                answers.append(ResponseAnswer(value, children))
        values = [a.value for a in answers]
        if len(set(map(repr, values))) != len(values):
            self.fail(item.link_id, f"{item.label}: the same answer is given twice")
        return ResponseItem(item.link_id, tuple(answers)) if answers else None

    def read_answer(self, raw: Mapping[str, Any], item: Item) -> AnswerValue | None:
        keys = [k for k in raw if k.startswith("value")]
        if len(keys) != 1:
            self.fail(item.link_id, f"{item.label}: each answer needs exactly one value[x]")
            return None
        suffix = keys[0].removeprefix("value")
        allowed = self._allowed_suffixes(item)
        if suffix not in allowed:
            expected = " or ".join("value" + s for s in allowed)
            self.fail(item.link_id, f"{item.label}: a {item.type} answer must be {expected}, not {keys[0]}")
            return None
        try:
            value = read_value(suffix, raw[keys[0]])
        except ValueError as error:
            self.fail(item.link_id, f"{item.label}: {keys[0]} {error}")
            return None
        free_text = item.type == "open-choice" and suffix == "String"
        if item.options and not free_text:
            option = item.option_for(value)
            if option is None:
                self.fail(item.link_id, f"{item.label}: {_show(value)} is not one of the answer options")
                return None
            value = option.value  # the option's own coding, with its display
        if isinstance(value, str) and item.max_length is not None and len(value) > item.max_length:
            self.fail(item.link_id, f"{item.label}: the answer is longer than {item.max_length} characters")
            return None
        return value

    @staticmethod
    def _allowed_suffixes(item: Item) -> tuple[str, ...]:
        if item.type not in ("choice", "open-choice"):
            return VALUE_KEYS[item.type]
        kinds = tuple(dict.fromkeys(o.kind for o in item.options)) or ("Coding",)
        if item.type == "open-choice" and "String" not in kinds:
            kinds += ("String",)
        return kinds

    def prune(
        self, nodes: tuple[ResponseItem, ...], disabled: frozenset[int], dropped: list[str]
    ) -> tuple[ResponseItem, ...]:
        kept = []
        for node in nodes:
            if id(node) in disabled:
                dropped.extend(n.link_id for n in _subtree(node) if n.answers)
                continue
            answers = tuple(ResponseAnswer(a.value, self.prune(a.items, disabled, dropped)) for a in node.answers)
            children = self.prune(node.items, disabled, dropped)
            if answers or children:
                kept.append(ResponseItem(node.link_id, answers, children))
        return tuple(kept)

    def check_required(
        self, definitions: tuple[Item, ...], nodes: tuple[ResponseItem, ...], scope: Scope, evaluator: Evaluator
    ) -> None:
        for item in definitions:
            if item.type == "display" or not evaluator.conditions_met(item, scope):
                continue
            instances = [node for node in nodes if node.link_id == item.link_id]
            defined = evaluator.defined_under(item)
            if item.is_question:
                if item.required and not instances:
                    self.fail(item.link_id, f"{item.label}: an answer is required")
                for answer in (a for node in instances for a in node.answers):
                    if item.items:
                        self.check_required(item.items, answer.items, Scope(defined, answer.items, scope), evaluator)
                continue
            if not instances:
                if item.required:
                    self.fail(item.link_id, f"{item.label}: at least one answer in this section is required")
                elif not item.repeats:
                    self.check_required(item.items, (), Scope(defined, (), scope), evaluator)
            for node in instances:
                self.check_required(item.items, node.items, Scope(defined, node.items, scope), evaluator)


def _same_questionnaire(canonical: str, url: str) -> bool:
    """A canonical (version suffix ignored) names ``url``; a relative ``Questionnaire/x`` matches its tail."""
    reference = canonical.split("|")[0]
    if "://" in reference or reference.startswith("urn:"):
        return reference == url
    return url.endswith("/" + reference)


def _subtree(node: ResponseItem) -> Iterator[ResponseItem]:
    yield node
    for child in node.children():
        yield from _subtree(child)


def _show(value: AnswerValue) -> str:
    if isinstance(value, Coding):
        return f"code {value.code!r} (system {value.system or 'none'})"
    return repr(value)
