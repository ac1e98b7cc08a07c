"""JSON Patch (RFC 6902) for the FHIR patch interaction: the operations applied to the resource as read, the result
then handled as a PUT of it (so a patch changes only what an update may change, with the same checks).

Operations: add, remove, replace, test, move and copy, with JSON Pointer paths (RFC 6901: ``/status``,
``/output/-``, ``~1`` for ``/`` and ``~0`` for ``~``). A malformed patch or a path that is not there is a 400; a
failed ``test`` is a 422 (the resource is not as the client thought; nothing is changed).
"""

from __future__ import annotations

import copy
from typing import Any

from carecoord.fhir.outcome import FhirError, bad_request


def _tokens(pointer: Any, where: str) -> list[str]:
    if not isinstance(pointer, str) or (pointer and not pointer.startswith("/")):
        raise bad_request(f"{where}: a path is a JSON Pointer such as /status, not {pointer!r}.", expression=where)
    return [part.replace("~1", "/").replace("~0", "~") for part in pointer.split("/")[1:]]


def _index(container: list[Any], token: str, where: str, *, adding: bool) -> int:
    if adding and token == "-":
        return len(container)
    if not token.isdigit() or (len(token) > 1 and token.startswith("0")):
        raise bad_request(f"{where}: {token!r} is not an array index.", expression=where)
    index = int(token)
    if index > len(container) or (index == len(container) and not adding):
        raise bad_request(f"{where}: index {index} is past the end of the array.", expression=where)
    return index


def _parent(document: Any, tokens: list[str], where: str) -> tuple[Any, str]:
    if not tokens:
        raise bad_request(f"{where}: the whole resource cannot be the target.", expression=where)
    node = document
    for token in tokens[:-1]:
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list):
            node = node[_index(node, token, where, adding=False)]
        else:
            raise bad_request(f"{where}: no such element in the resource.", expression=where)
    return node, tokens[-1]


def _get(document: Any, tokens: list[str], where: str) -> Any:
    node = document
    for token in tokens:
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list):
            node = node[_index(node, token, where, adding=False)]
        else:
            raise bad_request(f"{where}: no such element in the resource.", expression=where)
    return node


def _add(document: Any, tokens: list[str], value: Any, where: str) -> None:
    parent, last = _parent(document, tokens, where)
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        parent.insert(_index(parent, last, where, adding=True), value)
    else:
        raise bad_request(f"{where}: no such element in the resource.", expression=where)


def _remove(document: Any, tokens: list[str], where: str) -> Any:
    parent, last = _parent(document, tokens, where)
    if isinstance(parent, dict) and last in parent:
        return parent.pop(last)
    if isinstance(parent, list):
        return parent.pop(_index(parent, last, where, adding=False))
    raise bad_request(f"{where}: no such element in the resource.", expression=where)


def apply_patch(resource: dict[str, Any], operations: Any) -> dict[str, Any]:
    """``resource`` with ``operations`` applied (a copy; the argument is not changed)."""
    if not isinstance(operations, list) or not operations:
        raise bad_request("A JSON Patch is a non-empty array of operations.", issue_code="structure")
    document = copy.deepcopy(resource)
    for number, operation in enumerate(operations):
        where = f"patch[{number}]"
        if not isinstance(operation, dict):
            raise bad_request(f"{where} is not an operation object.", issue_code="structure")
        op = operation.get("op")
        tokens = _tokens(operation.get("path"), where)
        if op in ("add", "replace", "test") and "value" not in operation:
            raise bad_request(f"{where}: {op} needs a value.", expression=where)
        if op == "add":
            _add(document, tokens, copy.deepcopy(operation["value"]), where)
        elif op == "remove":
            _remove(document, tokens, where)
        elif op == "replace":
            _get(document, tokens, where)
            _remove(document, tokens, where)
            _add(document, tokens, copy.deepcopy(operation["value"]), where)
        elif op == "test":
            if _get(document, tokens, where) != operation["value"]:
                raise FhirError(
                    f"{where}: {operation.get('path')} is not {operation['value']!r}; nothing was changed.",
                    status=422,
                    issue_code="business-rule",
                    expression=where,
                )
        elif op in ("move", "copy"):
            source = _tokens(operation.get("from"), where)
            value = _remove(document, source, where) if op == "move" else copy.deepcopy(_get(document, source, where))
            _add(document, tokens, value, where)
        else:
            raise bad_request(f"{where}: unknown op {op!r}.", expression=where)
    if not isinstance(document, dict) or document.get("resourceType") != resource.get("resourceType"):
        raise bad_request("A patch cannot change the resource's type.", expression="resourceType")
    return document
