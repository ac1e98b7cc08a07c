"""A Questionnaire read once into typed, immutable items, with every structural rule checked.

``parse_questionnaire`` accepts any FHIR R4 Questionnaire (ours or one an administrator uploads) as a dict and
returns a ``Questionnaire`` or raises ``ValidationFailed`` with one list of messages per linkId (key
``"questionnaire"`` for the resource itself).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from carecoord.common.errors import ValidationFailed

from .values import VALUE_KEYS, AnswerValue, Coding, read_value

__all__ = [
    "ITEM_WEIGHT_URL",
    "ORDINAL_VALUE_URL",
    "SUPPORTED_TYPES",
    "AnswerOption",
    "EnableWhen",
    "Item",
    "Questionnaire",
    "parse_questionnaire",
]

ORDINAL_VALUE_URL = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
ITEM_WEIGHT_URL = "http://hl7.org/fhir/StructureDefinition/itemWeight"  # R5 name for the same idea
MAX_LENGTH_URL = "http://hl7.org/fhir/StructureDefinition/maxLength"  # only read if the element is absent

SUPPORTED_TYPES = frozenset(
    {"group", "display", "choice", "open-choice", "boolean", "integer", "decimal", "date", "dateTime", "string", "text"}
)
OPERATORS = frozenset({"exists", "=", "!=", ">", "<", ">=", "<="})
ORDERING_OPERATORS = frozenset({">", "<", ">=", "<="})
QUESTIONNAIRE_KEY = "questionnaire"


@dataclass(frozen=True)
class AnswerOption:
    """One permitted answer of a choice item, with its score (``ordinalValue``/``itemWeight``) if it has one."""

    value: AnswerValue
    ordinal: Decimal | None = None
    initial_selected: bool = False
    kind: str = "Coding"  # the value[x] suffix: Coding, String, Integer or Date


@dataclass(frozen=True)
class EnableWhen:
    """A condition on another item's answers. For ``exists`` the answer is a bool."""

    question: str
    operator: str
    answer: AnswerValue


@dataclass(frozen=True)
class Item:
    """A Questionnaire item (question, group or display text) and its children."""

    link_id: str
    type: str
    text: str | None = None
    codes: tuple[Coding, ...] = ()
    required: bool = False
    repeats: bool = False
    read_only: bool = False
    max_length: int | None = None
    options: tuple[AnswerOption, ...] = ()
    answer_value_set: str | None = None
    enable_when: tuple[EnableWhen, ...] = ()
    enable_behavior: Literal["all", "any"] = "all"
    initial: tuple[AnswerValue, ...] = ()
    items: tuple[Item, ...] = ()

    @property
    def is_question(self) -> bool:
        return self.type not in ("group", "display")

    @property
    def label(self) -> str:
        """How messages name the item: its linkId and text."""
        return f"{self.link_id} ({self.text!r})" if self.text else self.link_id

    def option_for(self, value: AnswerValue) -> AnswerOption | None:
        """The answer option equal to ``value`` (codings by system and code), if any."""
        for option in self.options:
            if type(option.value) is type(value) and option.value == value:
                return option
        return None

    def ordinal(self, value: AnswerValue) -> Decimal | None:
        """The score the questionnaire gives this answer (``ordinalValue`` or ``itemWeight``), or None."""
        option = self.option_for(value)
        return option.ordinal if option else None


@dataclass(frozen=True)
class Questionnaire:
    """A parsed Questionnaire. ``resource`` is the JSON it came from; ``index`` finds any item by linkId."""

    url: str | None
    version: str | None
    name: str | None
    title: str | None
    status: str
    codes: tuple[Coding, ...]
    items: tuple[Item, ...]
    resource: Mapping[str, Any] = field(repr=False, compare=False)
    index: Mapping[str, Item] = field(repr=False, compare=False, default_factory=dict)
    parents: Mapping[str, str | None] = field(repr=False, compare=False, default_factory=dict)

    def item(self, link_id: str) -> Item:
        """The item with this linkId (``KeyError`` if there is none)."""
        return self.index[link_id]

    def walk(self) -> Iterator[Item]:
        """Every item, depth first, in document order."""
        yield from _walk(self.items)

    def ordinal(self, link_id: str, value: AnswerValue) -> Decimal | None:
        """The score of ``value`` as an answer to ``link_id`` (None when unscored or not an option)."""
        return self.index[link_id].ordinal(value)

    def initial_answers(self) -> dict[str, tuple[AnswerValue, ...]]:
        """Starting answers for a new response: ``initial`` values and options marked ``initialSelected``."""
        out: dict[str, tuple[AnswerValue, ...]] = {}
        for item in self.walk():
            values = item.initial or tuple(o.value for o in item.options if o.initial_selected)
            if values:
                out[item.link_id] = values
        return out


def _walk(items: tuple[Item, ...]) -> Iterator[Item]:
    for item in items:
        yield item
        yield from _walk(item.items)


def parse_questionnaire(resource: Mapping[str, Any]) -> Questionnaire:
    """Read and check a Questionnaire; raise ``ValidationFailed`` (code ``invalid-questionnaire``) if it is wrong."""
    reader = _Reader(resource)
    questionnaire = reader.read()
    if reader.errors:
        raise ValidationFailed(
            "The questionnaire is not valid: " + _summary(reader.errors),
            code="invalid-questionnaire",
            errors=reader.errors,
        )
    return questionnaire


def _summary(errors: Mapping[str, list[str]]) -> str:
    first = next(iter(errors.values()))[0]
    more = sum(len(v) for v in errors.values()) - 1
    return first + (f" (and {more} more)" if more else "")


class _Reader:
    """Collects every problem in one pass so an administrator sees them all at once."""

    def __init__(self, resource: Mapping[str, Any]):
        self.resource = resource
        self.errors: dict[str, list[str]] = {}
        self.index: dict[str, Item] = {}
        self.parents: dict[str, str | None] = {}
        self.raw_items: dict[str, Mapping[str, Any]] = {}
        self.contained = {
            c.get("id"): c
            for c in resource.get("contained") or []
            if isinstance(c, Mapping) and c.get("resourceType") == "ValueSet"
        }

    def fail(self, key: str, message: str) -> None:
        self.errors.setdefault(key, []).append(message)

    def read(self) -> Questionnaire:
        r = self.resource
        if not isinstance(r, Mapping) or r.get("resourceType") != "Questionnaire":
            self.fail(QUESTIONNAIRE_KEY, "resourceType must be Questionnaire")
            return Questionnaire(None, None, None, None, "unknown", (), (), resource={})
        status = r.get("status")
        if status not in ("draft", "active", "retired", "unknown"):
            self.fail(QUESTIONNAIRE_KEY, "status must be draft, active, retired or unknown")
        raw_items = r.get("item") or []
        if not isinstance(raw_items, list):
            self.fail(QUESTIONNAIRE_KEY, "item must be a list")
            raw_items = []
        seen: set[str] = set()
        self._collect_link_ids(raw_items, None, seen)
        items = tuple(self._item(raw) for raw in raw_items if isinstance(raw, Mapping))
        questionnaire = Questionnaire(
            url=_str(r.get("url")),
            version=_str(r.get("version")),
            name=_str(r.get("name")),
            title=_str(r.get("title")),
            status=str(status),
            codes=self._codings(r.get("code"), QUESTIONNAIRE_KEY),
            items=items,
            resource=r,
            index=self.index,
            parents=self.parents,
        )
        if not self.errors:
            self._check_conditions(questionnaire)
        return questionnaire

    def _collect_link_ids(self, raw_items: list[Any], parent: str | None, seen: set[str]) -> None:
        for raw in raw_items:
            if not isinstance(raw, Mapping):
                self.fail(parent or QUESTIONNAIRE_KEY, "each item must be an object")
                continue
            link_id = raw.get("linkId")
            if not isinstance(link_id, str) or not link_id:
                self.fail(parent or QUESTIONNAIRE_KEY, f"an item ({raw.get('text')!r}) has no linkId")
                continue
            if link_id in seen:
                self.fail(link_id, f"linkId {link_id} is used more than once")
            seen.add(link_id)
            self.parents.setdefault(link_id, parent)
            self.raw_items.setdefault(link_id, raw)
            self._collect_link_ids(raw.get("item") or [], link_id, seen)

    def _item(self, raw: Mapping[str, Any]) -> Item:
        link_id = str(raw.get("linkId") or "")
        text = _str(raw.get("text"))
        label = f"{link_id} ({text!r})" if text else link_id
        item_type = raw.get("type")
        if item_type not in SUPPORTED_TYPES:
            supported = ", ".join(sorted(SUPPORTED_TYPES))
            self.fail(link_id, f"{label}: item type {item_type!r} is not supported (supported: {supported})")
            item_type = "display"
        children = tuple(self._item(c) for c in raw.get("item") or [] if isinstance(c, Mapping))
        if item_type == "display" and children:
            self.fail(link_id, f"{label}: a display item cannot have child items")
        if item_type == "group" and not children:
            self.fail(link_id, f"{label}: a group needs at least one child item")
        options = self._options(raw, link_id, label, item_type)
        value_set = _str(raw.get("answerValueSet"))
        if value_set and value_set.startswith("#") and not options:
            options = self._contained_options(value_set, link_id, label)
        if item_type in ("choice", "open-choice") and not options and not value_set:
            self.fail(link_id, f"{label}: a {item_type} item needs answerOption or answerValueSet")
        if item_type not in ("choice", "open-choice") and (options or value_set):
            self.fail(link_id, f"{label}: only choice and open-choice items may have answer options")
        max_length = raw.get("maxLength", _extension(raw, MAX_LENGTH_URL, "valueInteger"))
        if max_length is not None and (not isinstance(max_length, int) or isinstance(max_length, bool)):
            self.fail(link_id, f"{label}: maxLength must be an integer")
            max_length = None
        behavior = raw.get("enableBehavior", "all")
        conditions = tuple(self._condition(c, link_id, label) for c in raw.get("enableWhen") or [])
        if len(conditions) > 1 and "enableBehavior" not in raw:
            self.fail(link_id, f"{label}: enableBehavior (all or any) is needed with more than one enableWhen")
        if behavior not in ("all", "any"):
            self.fail(link_id, f"{label}: enableBehavior must be all or any")
            behavior = "all"
        item = Item(
            link_id=link_id,
            type=item_type,
            text=text,
            codes=self._codings(raw.get("code"), link_id),
            required=raw.get("required") is True,
            repeats=raw.get("repeats") is True,
            read_only=raw.get("readOnly") is True,
            max_length=max_length,
            options=options,
            answer_value_set=value_set,
            enable_when=tuple(c for c in conditions if c is not None),
            enable_behavior=behavior,
            initial=self._initial(raw, link_id, label, item_type),
            items=children,
        )
        if item_type == "display" and item.required:
            self.fail(link_id, f"{label}: a display item cannot be required")
        self.index[link_id] = item
        return item

    def _options(self, raw: Mapping[str, Any], link_id: str, label: str, item_type: str) -> tuple[AnswerOption, ...]:
        options = []
        for raw_option in raw.get("answerOption") or []:
            keys = [k for k in raw_option if k.startswith("value")] if isinstance(raw_option, Mapping) else []
            if len(keys) != 1:
                self.fail(link_id, f"{label}: each answerOption needs exactly one value")
                continue
            try:
                value = read_value(keys[0].removeprefix("value"), raw_option[keys[0]])
            except ValueError as error:
                self.fail(link_id, f"{label}: answerOption {keys[0]} {error}")
                continue
            selected = raw_option.get("initialSelected") is True
            options.append(AnswerOption(value, _ordinal(raw_option), selected, keys[0].removeprefix("value")))
        values = [o.value for o in options]
        if len(values) != len(set(values)):
            self.fail(link_id, f"{label}: answer options repeat a value")
        return tuple(options)

    def _contained_options(self, reference: str, link_id: str, label: str) -> tuple[AnswerOption, ...]:
        """Options from a ValueSet contained in the Questionnaire (other value sets need a terminology server)."""
        value_set = self.contained.get(reference[1:])
        if value_set is None:
            self.fail(link_id, f"{label}: answerValueSet {reference} names no contained ValueSet")
            return ()
        options = [
            AnswerOption(Coding(include.get("system"), concept["code"], concept.get("display")), _ordinal(concept))
            for include in (value_set.get("compose") or {}).get("include") or []
            for concept in include.get("concept") or []
            if concept.get("code")
        ] or [
            AnswerOption(Coding(entry.get("system"), entry["code"], entry.get("display")), _ordinal(entry))
            for entry in (value_set.get("expansion") or {}).get("contains") or []
            if entry.get("code")
        ]
        return tuple(options)

    def _condition(self, raw: Mapping[str, Any], link_id: str, label: str) -> EnableWhen | None:
        question = raw.get("question")
        operator = raw.get("operator")
        answers = [k for k in raw if k.startswith("answer")] if isinstance(raw, Mapping) else []
        target = self.raw_items.get(question) if isinstance(question, str) else None
        if target is None:
            self.fail(link_id, f"{label}: enableWhen refers to {question!r}, which is not an item")
            return None
        if question == link_id:
            self.fail(link_id, f"{label}: enableWhen cannot refer to the item itself")
            return None
        target_type = target.get("type")
        if target_type in ("group", "display"):
            self.fail(link_id, f"{label}: enableWhen refers to {question}, a {target_type} that takes no answer")
            return None
        if operator not in OPERATORS:
            known = ", ".join(sorted(OPERATORS))
            self.fail(link_id, f"{label}: enableWhen operator {operator!r} is not one of {known}")
            return None
        if len(answers) != 1:
            self.fail(link_id, f"{label}: each enableWhen needs exactly one answer[x]")
            return None
        suffix = answers[0].removeprefix("answer")
        allowed = ("Boolean",) if operator == "exists" else VALUE_KEYS.get(str(target_type), ())
        if suffix not in allowed:
            expected = " or ".join("answer" + s for s in allowed)
            self.fail(link_id, f"{label}: enableWhen on {question} ({target_type}) needs {expected}, not {answers[0]}")
            return None
        try:
            answer = read_value(suffix, raw[answers[0]])
        except ValueError as error:
            self.fail(link_id, f"{label}: enableWhen {answers[0]} {error}")
            return None
        if operator in ORDERING_OPERATORS and isinstance(answer, Coding | bool):
            self.fail(link_id, f"{label}: {operator} cannot compare codes or booleans")
            return None
        if isinstance(answer, Coding) and answer.system is None:
            # A condition written without the system matches the one option with that code, if there is one.
            same_code = [
                option["valueCoding"]
                for option in target.get("answerOption") or []
                if isinstance(option, Mapping) and (option.get("valueCoding") or {}).get("code") == answer.code
            ]
            if len(same_code) == 1:
                answer = Coding(same_code[0].get("system"), answer.code, answer.display)
        return EnableWhen(question=str(question), operator=operator, answer=answer)

    def _initial(self, raw: Mapping[str, Any], link_id: str, label: str, item_type: str) -> tuple[AnswerValue, ...]:
        values = []
        for entry in raw.get("initial") or []:
            keys = [k for k in entry if k.startswith("value")] if isinstance(entry, Mapping) else []
            suffix = keys[0].removeprefix("value") if len(keys) == 1 else ""
            if suffix not in VALUE_KEYS.get(item_type, ()):
                expected = " or ".join("value" + s for s in VALUE_KEYS.get(item_type, ())) or "nothing"
                self.fail(link_id, f"{label}: a {item_type} item's initial value must be {expected}")
                continue
            try:
                values.append(read_value(suffix, entry[keys[0]]))
            except ValueError as error:
                self.fail(link_id, f"{label}: initial {keys[0]} {error}")
        if len(values) > 1 and raw.get("repeats") is not True:
            self.fail(link_id, f"{label}: only a repeating item may have several initial values")
        return tuple(values)

    def _codings(self, raw: Any, key: str) -> tuple[Coding, ...]:
        codings = []
        for entry in raw or []:
            try:
                codings.append(Coding.from_fhir(entry))
            except (ValueError, AttributeError):
                self.fail(key, f"{key}: each code needs a code value")
        return tuple(codings)

    def _check_conditions(self, questionnaire: Questionnaire) -> None:
        """Enabling must not go round in a circle (an item cannot, through others, depend on itself)."""
        for item in questionnaire.walk():
            if _depends_on_itself(questionnaire, item.link_id):
                self.fail(item.link_id, f"{item.label}: enableWhen conditions depend on each other in a circle")


def _depends_on_itself(questionnaire: Questionnaire, start: str) -> bool:
    """True when ``start``'s enabling (through its conditions or its ancestors') leads back to ``start``."""

    def dependencies(link_id: str) -> set[str]:
        found: set[str] = set()
        current: str | None = link_id
        while current is not None:
            found.update(c.question for c in questionnaire.index[current].enable_when)
            current = questionnaire.parents.get(current)
        return found

    stack, seen = list(dependencies(start)), set()
    while stack:
        link_id = stack.pop()
        if link_id == start:
            return True
        if link_id not in seen:
            seen.add(link_id)
            stack.extend(dependencies(link_id))
    return False


def _ordinal(raw: Mapping[str, Any]) -> Decimal | None:
    """The score of an answer option: the ordinalValue/itemWeight extension on the option or its coding."""
    holders = [raw, raw.get("valueCoding") or {}]
    for holder in holders:
        for extension in holder.get("extension") or []:
            if extension.get("url") in (ORDINAL_VALUE_URL, ITEM_WEIGHT_URL):
                raw_value = extension.get("valueDecimal", extension.get("valueInteger"))
                if isinstance(raw_value, int | float) and not isinstance(raw_value, bool):
                    return Decimal(str(raw_value))
    return None


def _extension(raw: Mapping[str, Any], url: str, key: str) -> Any:
    for extension in raw.get("extension") or []:
        if isinstance(extension, Mapping) and extension.get("url") == url:
            return extension.get(key)
    return None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
