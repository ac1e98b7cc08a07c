"""The one door from an id to a person's record.

Every function here checks that the user may see the person, writes the audit record, and only then returns
the record. The rule, one condition per line in ``_decide``:

1. an inactive user, or a role without patient access (partner, org admin, auditor), sees nobody;
2. the user's organization has an active assignment for the person, or
3. the user has a current place on the person's active care team, or
4. the user holds an unexpired break-the-glass grant for the person (purpose: emergency).

Consent restrictions join this rule with the consent module.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from carecoord.accounts.models import User
from carecoord.accounts.permissions import Capability, can
from carecoord.audit.actions import record
from carecoord.audit.models import AuditAction, AuditOutcome, BreakGlassGrant, Purpose
from carecoord.careteams.queries import active_places
from carecoord.common.errors import AccessDenied, NotFound
from carecoord.patients.models import Patient, PatientAssignment, PatientContact, PatientVersion
from carecoord.patients.queries import SearchTerms, parse_search, search_patients


def _active_assignment(user: User) -> Exists:
    today = timezone.localdate()
    return Exists(
        PatientAssignment.objects.filter(
            Q(end_date__isnull=True) | Q(end_date__gte=today),
            patient=OuterRef("pk"),
            organization_id=user.organization_id,
            start_date__lte=today,
        )
    )


def _care_team_place(user: User) -> Exists:
    return Exists(active_places(user_id=user.pk).filter(care_team__patient=OuterRef("pk")))


def _break_glass(user: User) -> Exists:
    return Exists(
        BreakGlassGrant.objects.filter(patient=OuterRef("pk"), user_id=user.pk, expires_at__gt=timezone.now())
    )


def visible_patients(user: User) -> QuerySet[Patient]:
    """Everyone the user may see through assignment or care team (break-the-glass is per record)."""
    if not can(user, Capability.VIEW_PATIENTS):
        return Patient.objects.none()
    return Patient.objects.filter(_active_assignment(user) | _care_team_place(user))


@dataclass(frozen=True)
class Decision:
    allowed: bool
    purpose: str
    basis: str


def _decide(user: User, patient: Patient) -> Decision:
    if not user.is_active or not can(user, Capability.VIEW_PATIENTS):
        return Decision(False, Purpose.TREATMENT, "role")
    if patient.assigned:  # type: ignore[attr-defined]
        return Decision(True, Purpose.TREATMENT, "assignment")
    if patient.on_care_team:  # type: ignore[attr-defined]
        return Decision(True, Purpose.TREATMENT, "care-team")
    if patient.break_glass:  # type: ignore[attr-defined]
        return Decision(True, Purpose.EMERGENCY, "break-glass")
    return Decision(False, Purpose.TREATMENT, "no-relationship")


def _load(user: User, patient_id: object, *, for_update: bool = False) -> Patient | None:
    try:
        key = uuid.UUID(str(patient_id))
    except ValueError:
        return None
    people = Patient.objects.annotate(
        assigned=_active_assignment(user), on_care_team=_care_team_place(user), break_glass=_break_glass(user)
    )
    if for_update:
        people = people.select_related("primary_care_provider", "primary_care_organization")
    return people.filter(pk=key).first()


def access_patient(
    user: User,
    patient_id: object,
    *,
    action: str = AuditAction.READ,
    object_type: str = "Patient",
    object_id: str = "",
    detail: dict[str, object] | None = None,
) -> Patient:
    """Fetch a person's record for ``user``; audited whether allowed, denied or not found."""
    patient = _load(user, patient_id, for_update=action != AuditAction.READ)
    if patient is None:
        record(
            by=user,
            action=action,
            object_type=object_type,
            object_id=str(object_id or patient_id)[:64],
            outcome=AuditOutcome.FAILED,
            detail={"reason": "not-found"},
        )
        raise NotFound(f"No person with id {patient_id}.")
    decision = _decide(user, patient)
    record(
        by=user,
        action=action,
        object_type=object_type,
        object_id=str(object_id or patient.pk),
        patient=patient,
        outcome=AuditOutcome.SUCCESS if decision.allowed else AuditOutcome.DENIED,
        purpose=decision.purpose,
        detail={"basis": decision.basis, **(detail or {})},
    )
    if not decision.allowed:
        raise AccessDenied("You do not have access to this person's record.", basis=decision.basis)
    patient.access_basis = decision.basis  # type: ignore[attr-defined]
    return patient


def check_break_glass_candidate(user: User, patient_id: object) -> Patient:
    """The person a user asks emergency access to; only existence is revealed, and the ask is audited."""
    patient = _load(user, patient_id)
    if patient is None:
        raise NotFound(f"No person with id {patient_id}.")
    return patient


@dataclass
class SearchResult:
    terms: SearchTerms
    patients: list[Patient]
    more: bool


def search_accessible_patients(user: User, text: str, *, limit: int = 25) -> SearchResult:
    """Search only among people the user may see; the search and the ids it returned are audited."""
    terms = parse_search(text)
    if terms.empty or not can(user, Capability.VIEW_PATIENTS):
        return SearchResult(terms=terms, patients=[], more=False)
    rows = list(search_patients(terms, within=visible_patients(user))[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    record(
        by=user,
        action=AuditAction.SEARCH,
        object_type="Patient",
        detail={"query": text[:200], "results": [str(p.pk) for p in rows]},
    )
    return SearchResult(terms=terms, patients=rows, more=more)


def access_patient_version(user: User, patient_id: object, version: int | None) -> PatientVersion:
    """A stored version of a record (the latest when ``version`` is None), after the access check."""
    patient = access_patient(user, patient_id, detail={"version": version} if version else None)
    versions = PatientVersion.objects.filter(patient=patient)
    found = versions.filter(version=version).first() if version else versions.order_by("-version").first()
    if found is None:
        raise NotFound(f"Person {patient_id} has no version {version}.")
    return found


def access_contact(user: User, contact_id: object) -> PatientContact:
    """A person's caregiver or contact (FHIR RelatedPerson), through the person's access check."""
    try:
        key = uuid.UUID(str(contact_id))
    except ValueError:
        raise NotFound(f"No contact with id {contact_id}.") from None
    patient_id = PatientContact.objects.filter(pk=key).values_list("patient_id", flat=True).first()
    if patient_id is None:
        record(
            by=user,
            action=AuditAction.READ,
            object_type="RelatedPerson",
            object_id=str(key),
            outcome=AuditOutcome.FAILED,
            detail={"reason": "not-found"},
        )
        raise NotFound(f"No contact with id {contact_id}.")
    access_patient(user, patient_id, object_type="RelatedPerson", object_id=str(key))
    return PatientContact.objects.select_related("patient").get(pk=key)
