"""Errors at the FHIR edge: every failure becomes one OperationOutcome, and its status is decided here only.

Interactions raise ``FhirError`` for protocol problems (bad parameters, unsupported interactions) and let
domain errors (``common.errors``) pass through; ``translate`` turns either into (status, OperationOutcome).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from carecoord.common.errors import (
    AccessDenied,
    Conflict,
    DomainError,
    NotFound,
    ValidationFailed,
    VersionConflict,
)

logger = logging.getLogger(__name__)

Issue = dict[str, Any]


def issue(code: str, diagnostics: str, *, severity: str = "error", expression: str | None = None) -> Issue:
    item: Issue = {"severity": severity, "code": code, "diagnostics": diagnostics}
    if expression:
        item["expression"] = [expression]
    return item


def operation_outcome(issues: list[Issue]) -> dict[str, Any]:
    return {"resourceType": "OperationOutcome", "issue": issues}


class FhirError(DomainError):
    """A request the FHIR edge refuses before reaching the domain (HTTP status and issue type given)."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        issue_code: str,
        expression: str | None = None,
        issues: list[Issue] | None = None,
    ) -> None:
        super().__init__(message, code=issue_code)
        self.status = status
        self.issues = issues or [issue(issue_code, message, expression=expression)]


def bad_request(message: str, *, expression: str | None = None, issue_code: str = "invalid") -> FhirError:
    return FhirError(message, status=400, issue_code=issue_code, expression=expression)


def not_supported(message: str, *, status: int = 405) -> FhirError:
    return FhirError(message, status=status, issue_code="not-supported")


# Domain error class -> FHIR IssueType, most specific first. Status comes from the error itself.
_ISSUE_TYPES: tuple[tuple[type[DomainError], str], ...] = (
    (ValidationFailed, "invalid"),
    (NotFound, "not-found"),
    (AccessDenied, "forbidden"),
    (VersionConflict, "conflict"),
    (Conflict, "conflict"),
)
_DUPLICATE_CODES = frozenset({"duplicate-identifier", "possible-duplicate", "duplicate-name"})


def _issue_type(error: DomainError) -> str:
    if error.code in _DUPLICATE_CODES:
        return "duplicate"
    for kind, issue_type in _ISSUE_TYPES:
        if isinstance(error, kind):
            return issue_type
    return "business-rule"


@contextmanager
def domain_paths(expression_for: Callable[[str], str]) -> Iterator[None]:
    """Domain errors raised inside carry ``expression_for``, turning their field paths into FHIRPath."""
    try:
        yield
    except DomainError as error:
        error.fhir_expression_for = expression_for  # type: ignore[attr-defined]
        raise


def translate(error: Exception) -> tuple[int, dict[str, Any]]:
    """The HTTP status and OperationOutcome for ``error``: the one place a failure gets its status."""
    expression_for: Callable[[str], str] | None = getattr(error, "fhir_expression_for", None)
    if isinstance(error, FhirError):
        return error.status, operation_outcome(error.issues)
    if isinstance(error, ValidationFailed) and error.errors:
        return error.status, operation_outcome(_validation_issues(error.errors, expression_for))
    if isinstance(error, DomainError):
        field = error.field
        expression = (expression_for(field) if expression_for else field) if field else None
        return error.status, operation_outcome([issue(_issue_type(error), error.message, expression=expression)])
    logger.exception("Unexpected error at the FHIR edge", exc_info=error)
    return 500, operation_outcome([issue("exception", "The server could not complete the request.")])


def _validation_issues(errors: Mapping[str, list[str]], expression_for: Callable[[str], str] | None) -> list[Issue]:
    issues = []
    for path, messages in errors.items():
        expression = expression_for(path) if expression_for else path
        for message in messages:
            issues.append(issue("invalid", message, expression=expression))
    return issues
