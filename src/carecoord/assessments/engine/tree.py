"""The answers of a QuestionnaireResponse as a tree of typed values, shaped like the Questionnaire."""

from __future__ import annotations

from dataclasses import dataclass

from .values import AnswerValue

__all__ = ["ResponseAnswer", "ResponseItem"]


@dataclass(frozen=True)
class ResponseAnswer:
    """One answer, and the answers to the question's child items given with it."""

    value: AnswerValue
    items: tuple[ResponseItem, ...] = ()


@dataclass(frozen=True)
class ResponseItem:
    """One occurrence of an item: a question's answers, or one instance of a (repeating) group's items."""

    link_id: str
    answers: tuple[ResponseAnswer, ...] = ()
    items: tuple[ResponseItem, ...] = ()

    @property
    def values(self) -> tuple[AnswerValue, ...]:
        return tuple(answer.value for answer in self.answers)

    def children(self) -> tuple[ResponseItem, ...]:
        """Child items: a group's, and those nested under each answer, in order."""
        return self.items + tuple(child for answer in self.answers for child in answer.items)
