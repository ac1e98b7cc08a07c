"""Errors as values with a code.

Each layer raises a subclass of ``DomainError``; the edges translate it exactly once: the web into a form or
page error, FHIR into an OperationOutcome with a status, HL7 into an AE/AR acknowledgement, the CLI into a
message and a non-zero exit.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A business rule refused the operation. ``code`` is stable and machine readable."""

    code = "invalid"
    status = 422

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None, **detail: Any):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.field = field
        self.detail = detail

    def __str__(self) -> str:
        return self.message


class ValidationFailed(DomainError):
    """Input is malformed or breaks a field rule."""

    code = "invalid"
    status = 400

    def __init__(self, message: str, *, errors: dict[str, list[str]] | None = None, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.errors = errors or ({kwargs["field"]: [message]} if kwargs.get("field") else {})


class NotFound(DomainError):
    code = "not-found"
    status = 404


class AccessDenied(DomainError):
    """The user may not see or change this record. Always audited where raised."""

    code = "forbidden"
    status = 403


class Conflict(DomainError):
    """The write clashes with what is stored (duplicate identifier, stale version)."""

    code = "conflict"
    status = 409


class VersionConflict(Conflict):
    code = "version-conflict"
    status = 412
