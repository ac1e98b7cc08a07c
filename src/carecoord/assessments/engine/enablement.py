"""Which items are enabled: ``enableWhen`` with every operator, ``enableBehavior`` all/any, nested and repeating.

Rules (FHIR R4): a condition with no answer to compare is false, except ``exists false``; ``=`` holds when any
answer equals, ``!=`` when any answer differs, ``>``/``<``/``>=``/``<=`` when any answer satisfies it; codings
compare by system and code. A disabled item's answers do not count and its children are disabled too. Inside
a repeating group a condition reads the answers of the same group instance when the question is in that group,
otherwise the nearest enclosing scope that holds the question.

Evaluation repeats until nothing changes: disabling one item can change what its dependants see. Circular
conditions are refused when the Questionnaire is parsed, so this settles in at most one round per item.
"""

from __future__ import annotations

import operator as op
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from .definition import EnableWhen, Item, Questionnaire
from .tree import ResponseAnswer, ResponseItem
from .values import AnswerValue, compare_values

__all__ = ["Evaluator", "Scope", "condition_holds", "disabled_nodes", "enabled_link_ids"]

_ORDERING: Mapping[str, Callable[[int, int], bool]] = {">": op.gt, "<": op.lt, ">=": op.ge, "<=": op.le}


@dataclass(frozen=True)
class Scope:
    """Where a condition looks for answers: the items defined under a group instance, and its response items."""

    defined: frozenset[str]
    nodes: tuple[ResponseItem, ...]
    parent: Scope | None = None


def condition_holds(condition: EnableWhen, question: Item, answers: Iterable[AnswerValue]) -> bool:
    """Whether one enableWhen holds, given the current answers to its question."""
    values = list(answers)
    if condition.operator == "exists":
        return bool(values) == condition.answer
    temporal = question.type in ("date", "dateTime")
    results = [compare_values(value, condition.answer, temporal=temporal) for value in values]
    if condition.operator == "=":
        return any(result == 0 for result in results)
    if condition.operator == "!=":
        return any(result is not None and result != 0 for result in results)
    test = _ORDERING[condition.operator]
    return any(result is not None and test(result, 0) for result in results)


class Evaluator:
    """Evaluates conditions over one response tree; ``disabled`` holds the ``id()`` of disabled response items."""

    def __init__(self, questionnaire: Questionnaire):
        self.questionnaire = questionnaire
        self.disabled: frozenset[int] = frozenset()
        self._defined: dict[str, frozenset[str]] = {}

    def defined_under(self, item: Item) -> frozenset[str]:
        if item.link_id not in self._defined:
            link_ids: set[str] = set()
            stack = list(item.items)
            while stack:
                child = stack.pop()
                link_ids.add(child.link_id)
                stack.extend(child.items)
            self._defined[item.link_id] = frozenset(link_ids)
        return self._defined[item.link_id]

    def answers(self, link_id: str, scope: Scope) -> list[AnswerValue]:
        current = scope
        while current.parent is not None and link_id not in current.defined:
            current = current.parent
        found: list[AnswerValue] = []
        stack = list(reversed(current.nodes))
        while stack:
            node = stack.pop()
            if id(node) in self.disabled:
                continue
            if node.link_id == link_id:
                found.extend(node.values)
            stack.extend(reversed(node.children()))
        return found

    def conditions_met(self, item: Item, scope: Scope) -> bool:
        if not item.enable_when:
            return True
        index = self.questionnaire.index
        results = (condition_holds(c, index[c.question], self.answers(c.question, scope)) for c in item.enable_when)
        return all(results) if item.enable_behavior == "all" else any(results)

    def mark(self, nodes: tuple[ResponseItem, ...], scope: Scope, parent_off: bool, found: set[int]) -> None:
        for node in nodes:
            item = self.questionnaire.index[node.link_id]
            off = parent_off or not self.conditions_met(item, scope)
            if off:
                found.add(id(node))
            defined = self.defined_under(item)
            if node.items:
                self.mark(node.items, Scope(defined, node.items, scope), off, found)
            for answer in node.answers:
                if answer.items:
                    self.mark(answer.items, Scope(defined, answer.items, scope), off, found)

    def settle(self, roots: tuple[ResponseItem, ...]) -> frozenset[int]:
        root = Scope(frozenset(self.questionnaire.index), roots)
        for _ in range(len(self.questionnaire.index) + 2):
            found: set[int] = set()
            self.mark(roots, root, False, found)
            if found == self.disabled:
                break
            self.disabled = frozenset(found)
        return self.disabled


def disabled_nodes(questionnaire: Questionnaire, roots: tuple[ResponseItem, ...]) -> frozenset[int]:
    """The ``id()`` of every response item that is disabled (its own conditions or an ancestor's)."""
    return Evaluator(questionnaire).settle(roots)


def enabled_link_ids(questionnaire: Questionnaire, answers: Mapping[str, Iterable[AnswerValue]]) -> frozenset[str]:
    """The linkIds to show, given the answers entered so far (linkId → values), for a live form.

    Every item is placed once (a repeating group counts as one instance, its answers pooled); items whose
    conditions fail, and their children, are left out. Display items and groups are included when enabled.
    """

    def build(items: tuple[Item, ...]) -> tuple[ResponseItem, ...]:
        return tuple(
            ResponseItem(
                link_id=item.link_id,
                answers=tuple(ResponseAnswer(value) for value in answers.get(item.link_id, ())),
                items=build(item.items),
            )
            for item in items
        )

    roots = build(questionnaire.items)
    disabled = disabled_nodes(questionnaire, roots)
    enabled: set[str] = set()
    stack = list(roots)
    while stack:
        node = stack.pop()
        if id(node) not in disabled:
            enabled.add(node.link_id)
            stack.extend(node.items)
    return frozenset(enabled)
