"""The questionnaire engine: pure functions over FHIR R4 Questionnaire and QuestionnaireResponse JSON.

No database and no Django: storage, FHIR and the UI build on these.

- ``parse_questionnaire(resource) -> Questionnaire`` reads and checks any Questionnaire (raises
  ``ValidationFailed`` with messages keyed by linkId).
- ``validate_response(questionnaire, response) -> NormalizedResponse`` checks a QuestionnaireResponse (types,
  answer options, repeats, maxLength, required items when completed, enableWhen) and returns typed answers.
- ``enabled_link_ids(questionnaire, answers)`` says which items a live form should show.
- ``Item.ordinal(value)`` / ``Questionnaire.ordinal(link_id, value)`` read an answer's score.
"""

from .definition import (
    ITEM_WEIGHT_URL,
    ORDINAL_VALUE_URL,
    SUPPORTED_TYPES,
    AnswerOption,
    EnableWhen,
    Item,
    Questionnaire,
    parse_questionnaire,
)
from .enablement import condition_holds, enabled_link_ids
from .responses import COMPLETE_STATUSES, RESPONSE_STATUSES, NormalizedResponse, validate_response
from .tree import ResponseAnswer, ResponseItem
from .values import AnswerValue, Coding, compare_values

__all__ = [
    "COMPLETE_STATUSES",
    "ITEM_WEIGHT_URL",
    "ORDINAL_VALUE_URL",
    "RESPONSE_STATUSES",
    "SUPPORTED_TYPES",
    "AnswerOption",
    "AnswerValue",
    "Coding",
    "EnableWhen",
    "Item",
    "NormalizedResponse",
    "Questionnaire",
    "ResponseAnswer",
    "ResponseItem",
    "compare_values",
    "condition_holds",
    "enabled_link_ids",
    "parse_questionnaire",
    "validate_response",
]
