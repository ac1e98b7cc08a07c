"""The one door from an id to a person's record.

Every function here checks that the user may see the person, writes the audit record, and only then returns
the record. The rule, one condition per line in ``_decide``:

1. an inactive user, or a role without patient access (partner, org admin, auditor), sees nobody;
2. the user's organization has an active assignment, or an active program segment (assignment, outreach,
   enrollment), for the person, or
3. the user has a current place on the person's active care team *and* the user's organization is a current
   partner on the person's active sharing consent (DOH-5055 / DOH-5201), or
4. the user holds an unexpired break-the-glass grant for the person (purpose: emergency).

Data labelled 42 CFR Part 2 or HIV is a further gate, applied where labelled records are fetched
(``consents/access.py``).
"""

from __future__ import annotations

import datetime
import functools
import uuid
from dataclasses import dataclass
from typing import Any

import orjson
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from carecoord.accounts.models import User
from carecoord.accounts.permissions import Capability, can
from carecoord.audit.actions import not_found, record
from carecoord.audit.models import AuditAction, AuditOutcome, BreakGlassGrant, Purpose
from carecoord.careteams.models import CareTeam, CareTeamMember, CareTeamStatus
from carecoord.careteams.queries import active_places
from carecoord.common.errors import AccessDenied, NotFound
from carecoord.common.sql import column, fetch_one, prep, table, to_datetime
from carecoord.consents.models import SHARING_FORMS, Consent, ConsentPartner, ConsentStatus
from carecoord.consents.queries import sharing_partners
from carecoord.patients.models import Patient, PatientAssignment, PatientContact, PatientVersion
from carecoord.patients.queries import SearchTerms, parse_search, search_patients
from carecoord.programs.models import Segment
from carecoord.programs.queries import active_segments


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


def _active_segment(user: User) -> Exists:
    return Exists(active_segments(organization_id=user.organization_id).filter(patient=OuterRef("pk")))


def _shared_by_consent(user: User) -> Exists:
    return Exists(sharing_partners(organization_id=user.organization_id).filter(consent__patient=OuterRef("pk")))


def visible_patients(user: User) -> QuerySet[Patient]:
    """Everyone the user may see through assignment, segment or care team (break-the-glass is per record)."""
    if not can(user, Capability.VIEW_PATIENTS):
        return Patient.objects.none()
    return Patient.objects.filter(
        _active_assignment(user) | _active_segment(user) | (_care_team_place(user) & _shared_by_consent(user))
    )


@dataclass(frozen=True)
class Decision:
    allowed: bool
    purpose: str
    basis: str


@dataclass(frozen=True)
class AccessFacts:
    """What the access rule needs to know about one user and one person, read in one statement."""

    assigned: bool
    on_care_team: bool
    break_glass: bool
    consent_covers: bool = False


@functools.cache
def _facts_sql(vendor: str) -> str:
    """One statement answering the questions of the rule (built from model metadata, per database)."""
    a, s, m, t, g, p = PatientAssignment, Segment, CareTeamMember, CareTeam, BreakGlassGrant, Patient
    c, cp = Consent, ConsentPartner
    sharing = ", ".join(f"'{form}'" for form in sorted(SHARING_FORMS))  # constants, not input

    def c_(name: str) -> str:
        return f"{table(c)}.{column(c, name)}"

    def cp_(name: str) -> str:
        return f"{table(cp)}.{column(cp, name)}"

    # Names come from model metadata; every value is a bound parameter.
    return f"""
        SELECT
          EXISTS (SELECT 1 FROM {table(a)} WHERE {column(a, "patient")} = %(key)s
                  AND {column(a, "organization")} = %(org)s AND {column(a, "start_date")} <= %(today)s
                  AND ({column(a, "end_date")} IS NULL OR {column(a, "end_date")} >= %(today)s))
          OR EXISTS (SELECT 1 FROM {table(s)} WHERE {column(s, "patient")} = %(key)s
                  AND {column(s, "organization")} = %(org)s AND {column(s, "start_date")} <= %(today)s
                  AND ({column(s, "end_date")} IS NULL OR {column(s, "end_date")} >= %(today)s)),
          EXISTS (SELECT 1 FROM {table(m)} JOIN {table(t)} ON {table(t)}.{column(t, "id")} = {column(m, "care_team")}
                  WHERE {table(t)}.{column(t, "patient")} = %(key)s AND {column(m, "user")} = %(user)s
                  AND {table(t)}.{column(t, "status")} = %(team_active)s AND {column(m, "start_date")} <= %(today)s
                  AND ({column(m, "end_date")} IS NULL OR {column(m, "end_date")} >= %(today)s)),
          EXISTS (SELECT 1 FROM {table(g)} WHERE {column(g, "patient")} = %(key)s AND {column(g, "user")} = %(user)s
                  AND {column(g, "expires_at")} > %(now)s),
          EXISTS (SELECT 1 FROM {table(cp)} JOIN {table(c)} ON {c_("id")} = {column(cp, "consent")}
                  WHERE {c_("patient")} = %(key)s AND {cp_("organization")} = %(org)s
                  AND {c_("form")} IN ({sharing}) AND {c_("status")} = %(consent_active)s
                  AND {c_("signed_on")} <= %(today)s
                  AND ({c_("withdrawn_on")} IS NULL OR {c_("withdrawn_on")} > %(today)s)
                  AND ({c_("expires_on")} IS NULL OR {c_("expires_on")} >= %(today)s)
                  AND {cp_("added_on")} <= %(today)s
                  AND ({cp_("removed_on")} IS NULL OR {cp_("removed_on")} > %(today)s))
        FROM {table(p)} WHERE {column(p, "id")} = %(key)s
    """


def access_facts(user: User, patient_id: uuid.UUID) -> AccessFacts | None:
    """The facts for ``user`` and the person, or None when there is no such person."""
    params = {
        "key": prep(Patient, "id", patient_id),
        "today": prep(PatientAssignment, "start_date", timezone.localdate()),
        "now": prep(BreakGlassGrant, "expires_at", timezone.now()),
        "org": prep(PatientAssignment, "organization", user.organization_id),
        "user": prep(CareTeamMember, "user", user.pk),
        "team_active": CareTeamStatus.ACTIVE.value,
        "consent_active": ConsentStatus.ACTIVE.value,
    }
    row = fetch_one(_facts_sql(connection.vendor), params)
    if row is None:
        return None
    return AccessFacts(
        assigned=bool(row[0]), on_care_team=bool(row[1]), break_glass=bool(row[2]), consent_covers=bool(row[3])
    )


def _decide(user: User, facts: AccessFacts) -> Decision:
    if not user.is_active or not can(user, Capability.VIEW_PATIENTS):
        return Decision(False, Purpose.TREATMENT, "role")
    if facts.assigned:
        return Decision(True, Purpose.TREATMENT, "assignment")
    if facts.on_care_team and facts.consent_covers:
        return Decision(True, Purpose.TREATMENT, "care-team")
    if facts.break_glass:
        return Decision(True, Purpose.EMERGENCY, "break-glass")
    if facts.on_care_team:
        return Decision(False, Purpose.TREATMENT, "no-consent")
    return Decision(False, Purpose.TREATMENT, "no-relationship")


def _parse_id(patient_id: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(patient_id))
    except ValueError:
        return None


def _check(
    user: User,
    patient_id: object,
    *,
    action: str,
    object_type: str,
    object_id: str,
    detail: dict[str, object] | None,
) -> tuple[uuid.UUID, Decision]:
    """Decide and audit; raise NotFound or AccessDenied, or return the person's id and the decision."""
    key = _parse_id(patient_id)
    facts = access_facts(user, key) if key is not None else None
    if key is None or facts is None:
        raise not_found(
            by=user,
            action=action,
            object_type=object_type,
            object_id=object_id or patient_id,
            message=f"No person with id {patient_id}.",
        )
    decision = _decide(user, facts)
    record(
        by=user,
        action=action,
        object_type=object_type,
        object_id=str(object_id or key),
        patient=key,
        outcome=AuditOutcome.SUCCESS if decision.allowed else AuditOutcome.DENIED,
        purpose=decision.purpose,
        detail={"basis": decision.basis, **(detail or {})},
    )
    if not decision.allowed:
        raise AccessDenied("You do not have access to this person's record.", basis=decision.basis)
    return key, decision


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
    key, decision = _check(user, patient_id, action=action, object_type=object_type, object_id=object_id, detail=detail)
    patient = Patient.objects.select_related("primary_care_provider", "primary_care_organization").get(pk=key)
    patient.access_basis = decision.basis  # type: ignore[attr-defined]
    return patient


def check_break_glass_candidate(user: User, patient_id: object) -> Patient:
    """The person a user asks emergency access to; only existence is revealed, and the ask is audited."""
    key = _parse_id(patient_id)
    patient = Patient.objects.filter(pk=key).first() if key is not None else None
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
    found = search_patients(terms, within=visible_patients(user)).prefetch_related("identifiers", "phones")
    rows = list(found[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    record(
        by=user,
        action=AuditAction.SEARCH,
        object_type="Patient",
        detail={"query": text[:200], "results": [str(p.pk) for p in rows]},
    )
    return SearchResult(terms=terms, patients=rows, more=more)


@functools.cache
def _version_sql(latest: bool) -> str:
    """One stored version of a person's record: the FHIR read path, so hand-written (see common/sql.py)."""
    v = PatientVersion
    names = ", ".join(column(v, name) for name in ("id", "version", "recorded_at", "change", "snapshot"))
    where = f"{column(v, 'patient')} = %s" + ("" if latest else f" AND {column(v, 'version')} = %s")
    order = f" ORDER BY {column(v, 'version')} DESC LIMIT 1" if latest else ""
    return f"SELECT {names} FROM {table(v)} WHERE {where}{order}"


@dataclass(frozen=True)
class StoredVersion:
    """One stored version of a person's record (a PatientVersion row, read without building the model)."""

    patient_id: uuid.UUID
    version: int
    recorded_at: datetime.datetime
    change: str
    snapshot: dict[str, Any]


def access_patient_version(user: User, patient_id: object, version: int | None) -> StoredVersion:
    """A stored version of a record (the latest when ``version`` is None), after the access check.

    This is the FHIR read path: it never loads the live row, only the stored snapshot.
    """
    key, _ = _check(
        user,
        patient_id,
        action=AuditAction.READ,
        object_type="Patient",
        object_id="",
        detail={"version": version} if version else None,
    )
    latest = version is None
    row = fetch_one(_version_sql(latest), [prep(PatientVersion, "patient", key)] + ([] if latest else [version]))
    if row is None:
        raise NotFound(f"Person {patient_id} has no version {version}.")
    snapshot = orjson.loads(row[4]) if isinstance(row[4], str | bytes) else row[4]
    return StoredVersion(
        patient_id=key, version=row[1], recorded_at=to_datetime(row[2]) or row[2], change=row[3], snapshot=snapshot
    )


def access_contact(user: User, contact_id: object) -> PatientContact:
    """A person's caregiver or contact (FHIR RelatedPerson), through the person's access check."""
    try:
        key = uuid.UUID(str(contact_id))
    except ValueError:
        raise NotFound(f"No contact with id {contact_id}.") from None
    patient_id = PatientContact.objects.filter(pk=key).values_list("patient_id", flat=True).first()
    if patient_id is None:
        raise not_found(
            by=user, object_type="RelatedPerson", object_id=key, message=f"No contact with id {contact_id}."
        )
    access_patient(user, patient_id, object_type="RelatedPerson", object_id=str(key))
    return PatientContact.objects.select_related("patient").get(pk=key)
