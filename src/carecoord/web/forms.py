"""Shared form helpers: domain errors become form errors, and an error summary for the top of a page."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms

from carecoord.common.errors import DomainError, ValidationFailed


@dataclass(frozen=True)
class Problem:
    """One line of the error summary, linking to the field it is about."""

    label: str
    message: str
    anchor: str


def add_domain_error(form: forms.Form, error: DomainError, *, field_map: dict[str, str] | None = None) -> None:
    """Show a domain error next to its field (or above the form when it names none)."""
    items = error.errors if isinstance(error, ValidationFailed) and error.errors else None
    if items is None:
        items = {error.field or "": [error.message]}
    for path, messages in items.items():
        name = (field_map or {}).get(path, path)
        for message in messages:
            form.add_error(name if name in form.fields else None, message)


def problems_of(*forms_: forms.BaseForm) -> list[Problem]:
    """Every error of the given forms, in field order, for the summary at the top of the page."""
    found: list[Problem] = []
    for form in forms_:
        for message in form.non_field_errors():
            found.append(Problem(label="", message=str(message), anchor=""))
        for bound in form:
            for message in bound.errors:
                found.append(Problem(label=str(bound.label), message=str(message), anchor=str(bound.auto_id)))
    return found
