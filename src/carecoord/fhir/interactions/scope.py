"""What a search over a person's records may look at, and the label gate for whole result sets.

Shared by the program types (EpisodeOfCare, Consent, CareTeam, ServiceRequest):

- ``people``: with ``patient=`` each named person goes through ``access_patient`` (403 for someone the user
  may not see, audited); without it, the search runs inside ``visible_patients``;
- ``gated``: labelled records (42 CFR Part 2, HIV) the user's organization did not make are checked person by
  person with ``programs.access.gate``; those not released are left out of the results and the total,
  silently, as a read of one of them would be refused;
- ``not_kept``: the common ``_lastUpdated`` parameter, refused (these records keep no time of last change);
- ``body_reference``: a reference in a posted resource, as (type, id), or a 400 naming the element.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet

from carecoord.accounts.models import User
from carecoord.accounts.queries import as_uuid
from carecoord.audit.models import AuditAction
from carecoord.common.errors import AccessDenied, NotFound
from carecoord.fhir.outcome import bad_request
from carecoord.fhir.search import SearchQuery, reference_id
from carecoord.patients.access import access_patient, visible_patients
from carecoord.patients.models import Patient
from carecoord.programs.access import Labelled, gate, released_to


@dataclass
class People:
    """The people a search may cover: those named by ``patient=`` (already access-checked) or all visible."""

    named: dict[uuid.UUID, Patient] = field(default_factory=dict)
    by_name: bool = False

    def condition(self, user: User, path: str = "patient") -> Q:
        if self.by_name:
            return Q(**{f"{path}_id__in": list(self.named)})
        return Q(**{f"{path}__in": visible_patients(user)})


def patient_ids(query: SearchQuery) -> list[str]:
    return [reference_id(v, "Patient") for c in query.criteria if c.param.name == "patient" for v in c.values]


def people(user: User, query: SearchQuery, object_type: str) -> People:
    """Access-check each person named by ``patient=``; an unknown person matches nothing, a hidden one is 403."""
    named = patient_ids(query)
    scope = People(by_name=bool(named))
    for value in named:
        try:
            patient = access_patient(user, value, action=AuditAction.SEARCH, object_type=object_type)
        except NotFound:
            continue
        scope.named[patient.pk] = patient
    return scope


def patient_condition(_: str, value: str) -> Q:
    """The ``patient`` search parameter itself (access is checked by ``people``)."""
    key = as_uuid(reference_id(value, "Patient"))
    return Q(patient_id=key) if key else Q(pk__in=[])


def not_kept(_: str, value: str) -> Q:
    """``_lastUpdated`` (accepted by ``parse_query`` for every type): these records keep no last-change time."""
    raise bad_request(
        "_lastUpdated is not supported for this type: its records keep no time of last change.",
        expression="_lastUpdated",
        issue_code="not-supported",
    )


@dataclass
class Gated:
    rows: QuerySet[Any]  # without the records withheld
    shown: dict[Any, Labelled]  # labelled records of other organizations that passed, with their notices
    withheld: int


def gated(user: User, rows: QuerySet[Any], labelled: Q, scope: People, object_type: str) -> Gated:
    """``rows`` without the labelled records not released to the user, and the ones shown with their notices.

    ``labelled`` selects the rows that need the gate: labelled and made by another organization.
    """
    candidates: dict[uuid.UUID, list[Any]] = {}
    for item in rows.filter(labelled).select_related("program"):
        candidates.setdefault(item.patient_id, []).append(item)
    hidden: list[Any] = []
    shown: dict[Any, Labelled] = {}
    for patient_id, items in candidates.items():
        patient = scope.named.get(patient_id)
        if patient is None:
            try:  # in visible_patients, so allowed: this records the labelled look-up and sets the basis
                patient = access_patient(user, patient_id, action=AuditAction.SEARCH, object_type=object_type)
            except (AccessDenied, NotFound):
                hidden.extend(item.pk for item in items)
                continue
        passed, _ = gate(user, patient, items, released_to(user, patient))
        shown.update((x.item.pk, x) for x in passed)  # type: ignore[attr-defined]
        hidden.extend(item.pk for item in items if item.pk not in shown)
    return Gated(rows=rows.exclude(pk__in=hidden) if hidden else rows, shown=shown, withheld=len(hidden))


def body_reference(value: Any, expression: str, allowed: Iterable[str], base: str = "") -> tuple[str, uuid.UUID] | None:
    """The (type, id) of a Reference in a request body; None when absent; 400 when malformed or not allowed."""
    if value is None:
        return None
    text = value.get("reference") if isinstance(value, dict) else None
    if not text:
        return None
    if base and text.startswith(base + "/"):
        text = text[len(base) + 1 :]
    kind, _, key = text.partition("/")
    allowed = tuple(allowed)
    if kind not in allowed or not key or "/" in key:
        raise bad_request(
            f"{expression} must reference {' or '.join(f'{a}/<id>' for a in allowed)}, not {text!r}.",
            expression=expression,
            issue_code="value",
        )
    parsed = as_uuid(key)
    if parsed is None:
        raise bad_request(f"{expression}: {text!r} is not an id known here.", expression=expression, issue_code="value")
    return kind, parsed
