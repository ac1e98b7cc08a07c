"""Caseloads for supervisors: who holds how many people, who is waiting for a care manager, who could take them.

Reads only (no permission check; the supervisor views check ``ASSIGN_CASELOAD``). Every function is a fixed,
small number of aggregate statements whatever the team size (4,500 care managers, 200,000 people enrolled):
counts are grouped in the database, and ranking happens in Python over one row per care manager.
"""

from __future__ import annotations

import datetime
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from carecoord.accounts.models import License, Role, User
from carecoord.accounts.permissions import CLINICAL_CAPABILITIES, ROLE_CAPABILITIES, Capability
from carecoord.programs.models import CaseloadCoverage, Enrollment, EnrollmentStatus, Program
from carecoord.web.templatetags.carecoord import language_name

OPEN_ENROLLMENT = [EnrollmentStatus.ACTIVE, EnrollmentStatus.ON_HOLD]

# Roles that may hold a caseload (programs.actions: own a care plan or do outreach).
CASELOAD_ROLES: frozenset[str] = frozenset(
    role
    for role, granted in ROLE_CAPABILITIES.items()
    if Capability.OWN_CARE_PLAN in granted or Capability.OUTREACH in granted
)
# Roles that may hold a caseload that needs a licensed care manager (with a current license).
CLINICAL_ROLES: frozenset[str] = frozenset(
    role for role in CASELOAD_ROLES if ROLE_CAPABILITIES[role] >= CLINICAL_CAPABILITIES
)


@dataclass
class Coverage:
    """An arrangement in force or ahead: ``other`` covers this care manager, or this care manager covers them."""

    other_id: uuid.UUID
    other_name: str
    start_date: datetime.date
    end_date: datetime.date
    reason: str


@dataclass
class CaseloadRow:
    user_id: uuid.UUID
    name: str
    role: str
    role_label: str
    licensed: bool
    languages: list[str]
    active: int
    by_acuity: dict[str, int]
    caseload_limit: int | None
    covered_by: list[Coverage] = field(default_factory=list)  # colleagues covering this care manager
    covering: list[Coverage] = field(default_factory=list)  # care managers this one covers
    assignable: bool = True  # False for someone who still holds people but has left or changed role

    @property
    def over_limit(self) -> bool:
        return self.caseload_limit is not None and self.active > self.caseload_limit

    @property
    def at_limit(self) -> bool:
        return self.caseload_limit is not None and self.active >= self.caseload_limit

    @property
    def over_by(self) -> int:
        return 0 if self.caseload_limit is None else max(0, self.active - self.caseload_limit)

    @property
    def room(self) -> int | None:
        return None if self.caseload_limit is None else self.caseload_limit - self.active

    @property
    def away(self) -> Coverage | None:
        """Coverage in force today for this care manager (on leave), if any."""
        today = timezone.localdate()
        return next((c for c in self.covered_by if c.start_date <= today <= c.end_date), None)


@dataclass
class Suggestion:
    user: User
    score: float
    reasons: list[str]


def _full_name(first: str, last: str, username: str) -> str:
    return f"{first} {last}".strip() or username


def _licensed() -> Exists:
    return Exists(License.objects.filter(user_id=OuterRef("pk"), expires_on__gte=timezone.localdate()))


def _staff(organization_id: Any) -> QuerySet[User]:
    return User.objects.filter(organization_id=organization_id, is_active=True, role__in=CASELOAD_ROLES)


def _open_enrollments(organization_id: Any, program_code: str | None) -> QuerySet[Enrollment]:
    found = Enrollment.objects.filter(organization_id=organization_id, status__in=OPEN_ENROLLMENT)
    return found.filter(program_id=program_code) if program_code else found


def _coverages(organization_id: Any) -> Any:
    """Coverage arrangements not yet over, for the organization's care managers."""
    found = CaseloadCoverage.objects.filter(
        end_date__gte=timezone.localdate(), care_manager__organization_id=organization_id
    )
    return found.values(
        "care_manager_id",
        "care_manager__first_name",
        "care_manager__last_name",
        "care_manager__username",
        "covered_by_id",
        "covered_by__first_name",
        "covered_by__last_name",
        "covered_by__username",
        "start_date",
        "end_date",
        "reason",
    ).order_by("start_date")


def caseload_summary(*, organization_id: uuid.UUID | str, program_code: str | None = None) -> list[CaseloadRow]:
    """One row per care manager of the organization (and anyone else holding its people), biggest first.

    Four statements: the staff, the caseload grouped by care manager, program and acuity, the programs'
    limits, and the coverage arrangements.
    """
    org = uuid.UUID(str(organization_id))
    rows: dict[Any, CaseloadRow] = {}
    staff = (
        _staff(org)
        .annotate(licensed=_licensed())
        .values("id", "first_name", "last_name", "username", "role", "languages", "licensed")
    )
    roles = dict(Role.choices)
    for user in staff:
        rows[user["id"]] = CaseloadRow(
            user_id=user["id"],
            name=_full_name(user["first_name"], user["last_name"], user["username"]),
            role=user["role"],
            role_label=str(roles.get(user["role"], user["role"])),
            licensed=bool(user["licensed"]) and user["role"] in CLINICAL_ROLES,
            languages=list(user["languages"] or []),
            active=0,
            by_acuity={},
            caseload_limit=None,
        )
    limits = dict(Program.objects.values_list("code", "caseload_limit"))
    grouped = (
        _open_enrollments(org, program_code)
        .filter(care_manager__isnull=False)
        .values("care_manager_id", "program_id", "acuity")
        .annotate(n=Count("*"))  # no id: the count reads only the enrollment_org_caseload index
        .order_by()
    )
    strays: set[Any] = set()
    for group in grouped:
        row = rows.get(group["care_manager_id"])
        if row is None:  # left, or changed role, but still holds people: show them so they can be reassigned
            strays.add(group["care_manager_id"])
            row = rows[group["care_manager_id"]] = CaseloadRow(
                user_id=group["care_manager_id"],
                name="",
                role="",
                role_label="",
                licensed=False,
                languages=[],
                active=0,
                by_acuity={},
                caseload_limit=None,
                assignable=False,
            )
        row.active += group["n"]
        acuity = group["acuity"] or ""
        row.by_acuity[acuity] = row.by_acuity.get(acuity, 0) + group["n"]
        limit = limits.get(group["program_id"])
        if limit is not None:
            row.caseload_limit = limit if row.caseload_limit is None else min(row.caseload_limit, limit)
    if strays:
        for holder in User.objects.filter(pk__in=strays).values(
            "id", "first_name", "last_name", "username", "role", "is_active"
        ):
            row = rows[holder["id"]]
            row.name = _full_name(holder["first_name"], holder["last_name"], holder["username"])
            row.role = holder["role"]
            row.role_label = str(roles.get(holder["role"], holder["role"])) + (
                "" if holder["is_active"] else " (inactive)"
            )
    for cover in _coverages(org):
        covered, covering = rows.get(cover["care_manager_id"]), rows.get(cover["covered_by_id"])
        if covered is not None:
            covered.covered_by.append(
                Coverage(
                    cover["covered_by_id"],
                    _full_name(
                        cover["covered_by__first_name"], cover["covered_by__last_name"], cover["covered_by__username"]
                    ),
                    cover["start_date"],
                    cover["end_date"],
                    cover["reason"],
                )
            )
        if covering is not None:
            covering.covering.append(
                Coverage(
                    cover["care_manager_id"],
                    _full_name(
                        cover["care_manager__first_name"],
                        cover["care_manager__last_name"],
                        cover["care_manager__username"],
                    ),
                    cover["start_date"],
                    cover["end_date"],
                    cover["reason"],
                )
            )
    return sorted(rows.values(), key=lambda row: (-row.active, row.name.lower()))


def unassigned_enrollments(*, organization_id: uuid.UUID | str, limit: int = 100) -> list[Enrollment]:
    """People enrolled with the organization who have no care manager, longest waiting first."""
    # The people are read by key after the page is chosen (a join would have the planner scan every patient).
    return list(
        _open_enrollments(uuid.UUID(str(organization_id)), None)
        .filter(care_manager__isnull=True)
        .select_related("program")
        .prefetch_related("patient")
        .order_by("start_date", "created_at")[:limit]
    )


def count_unassigned(*, organization_id: uuid.UUID | str) -> int:
    return _open_enrollments(uuid.UUID(str(organization_id)), None).filter(care_manager__isnull=True).count()


def caseload_of(*, care_manager_id: uuid.UUID | str, organization_id: uuid.UUID | str) -> QuerySet[Enrollment]:
    """The people a care manager holds for the organization (to reassign them)."""
    return (
        _open_enrollments(uuid.UUID(str(organization_id)), None)
        .filter(care_manager_id=uuid.UUID(str(care_manager_id)))
        .select_related("patient", "program")
        .order_by("patient__family_folded", "patient__given_folded", "program__name")
    )


# Suggestions --------------------------------------------------------------------------------------------------


@dataclass
class _Candidate:
    id: uuid.UUID
    name: str
    role: str
    licensed: bool
    languages: frozenset[str]  # base codes, lower case: "es" for "es-US"
    active: int
    limit: int | None  # smallest limit of the programs they hold people in
    away_until: datetime.date | None


def _base(code: str) -> str:
    return (code or "").lower().split("-")[0]


def _candidates(organization_id: Any) -> list[_Candidate]:
    """Every care manager of the organization with their size, limit and leave: four statements."""
    today = timezone.localdate()
    users = (
        _staff(organization_id)
        .annotate(licensed=_licensed())
        .values("id", "first_name", "last_name", "username", "role", "languages", "licensed")
    )
    limits = dict(Program.objects.values_list("code", "caseload_limit"))
    sizes: dict[Any, int] = defaultdict(int)
    smallest: dict[Any, int] = {}
    for group in (
        _open_enrollments(organization_id, None)
        .filter(care_manager__isnull=False)
        .values("care_manager_id", "program_id")
        .annotate(n=Count("id"))
        .order_by()
    ):
        sizes[group["care_manager_id"]] += group["n"]
        limit = limits.get(group["program_id"])
        if limit is not None:
            smallest[group["care_manager_id"]] = min(limit, smallest.get(group["care_manager_id"], limit))
    away = dict(
        CaseloadCoverage.objects.filter(
            care_manager__organization_id=organization_id, start_date__lte=today, end_date__gte=today
        ).values_list("care_manager_id", "end_date")
    )
    return [
        _Candidate(
            id=user["id"],
            name=_full_name(user["first_name"], user["last_name"], user["username"]),
            role=user["role"],
            licensed=bool(user["licensed"]) and user["role"] in CLINICAL_ROLES,
            languages=frozenset(_base(str(code)) for code in user["languages"] or []),
            active=sizes.get(user["id"], 0),
            limit=smallest.get(user["id"]),
            away_until=away.get(user["id"]),
        )
        for user in users
    ]


# Weights: language and room under the limit count most, a smaller caseload less, leave pushes down.
_LANGUAGE, _ENGLISH, _ROOM, _ROOM_SHARE, _FULL, _AWAY = 50.0, 10.0, 30.0, 10.0, -40.0, -60.0


def _limit_for(candidate: _Candidate, program_limit: int | None) -> int | None:
    if candidate.limit is None:
        return program_limit
    return candidate.limit if program_limit is None else min(candidate.limit, program_limit)


_Scored = tuple[float, _Candidate]


def _order(item: _Scored) -> tuple[float, int, str]:
    return (-item[0], item[1].active, item[1].name.lower())


def _base_score(candidate: _Candidate, program_limit: int | None) -> float:
    """Everything but the language: room under the limit (strong), caseload size (weaker), leave."""
    score = 0.0
    cap = _limit_for(candidate, program_limit)
    if cap is not None:
        room = cap - candidate.active
        score += _ROOM + _ROOM_SHARE * room / cap if room > 0 else _FULL
    score -= min(candidate.active, 200) / 10
    if candidate.away_until is not None:
        score += _AWAY
    return score


class _Ranking:
    """Candidates pre-sorted once per (program limit, licence needed), overall and per language, so each person
    costs a few dozen comparisons even with thousands of care managers.

    Speaking the person's language adds the same bonus to every speaker, so the best ``k`` are among the best
    ``k`` speakers and the best ``k`` overall by the rest of the score."""

    def __init__(self, candidates: Sequence[_Candidate]) -> None:
        self.candidates = candidates
        self.sorted: dict[tuple[int | None, bool], tuple[list[_Scored], dict[str, list[_Scored]]]] = {}

    def _lists(self, program_limit: int | None, needs_license: bool) -> tuple[list[_Scored], dict[str, list[_Scored]]]:
        key = (program_limit, needs_license)
        if key not in self.sorted:
            ranked = sorted(
                (
                    (_base_score(candidate, program_limit), candidate)
                    for candidate in self.candidates
                    if candidate.licensed or not needs_license
                ),
                key=_order,
            )
            by_language: dict[str, list[_Scored]] = defaultdict(list)
            for item in ranked:
                for language in item[1].languages:
                    by_language[language].append(item)
            self.sorted[key] = (ranked, by_language)
        return self.sorted[key]

    def best(self, enrollment: Enrollment, limit: int) -> list[tuple[_Candidate, float, list[str]]]:
        program = enrollment.program
        needs_license = bool(enrollment.clinical_need or program.needs_licensed_care_manager)
        language = enrollment.patient.preferred_language or "en"
        wanted = _base(language)
        bonus = _ENGLISH if wanted == "en" else _LANGUAGE
        ranked, by_language = self._lists(program.caseload_limit, needs_license)
        pool: dict[Any, _Scored] = {}
        for score, candidate in by_language.get(wanted, [])[: limit + 1]:
            pool[candidate.id] = (score + bonus, candidate)
        for score, candidate in ranked[: limit + 1]:
            if candidate.id not in pool:
                pool[candidate.id] = (score + (bonus if wanted in candidate.languages else 0.0), candidate)
        pool.pop(enrollment.care_manager_id, None)
        best = sorted(((round(score, 1), candidate) for score, candidate in pool.values()), key=_order)[:limit]
        return [
            (candidate, score, _reasons(candidate, needs_license, language, program.caseload_limit))
            for score, candidate in best
        ]


def _reasons(candidate: _Candidate, needs_license: bool, language: str, program_limit: int | None) -> list[str]:
    reasons: list[str] = []
    if needs_license:
        reasons.append("Licensed, as this person needs")
    english = _base(language) == "en"
    if _base(language) in candidate.languages:
        reasons.append(f"Speaks {language_name(language)}")
    elif not english:
        reasons.append(f"Does not list {language_name(language)}")
    cap = _limit_for(candidate, program_limit)
    if cap is not None:
        room = cap - candidate.active
        if room > 0:
            reasons.append(f"Room for {room} more ({candidate.active} of {cap})")
        else:
            reasons.append(f"At or over the limit ({candidate.active} of {cap})")
    else:
        reasons.append(f"Caseload {candidate.active}")
    if candidate.away_until is not None:
        reasons.append(f"Away, covered until {candidate.away_until:%a %-d %b}")
    return reasons


def _from_summary(rows: Sequence[CaseloadRow]) -> list[_Candidate]:
    """Candidates from an unfiltered ``caseload_summary`` already read for the page (no further statements)."""
    today = timezone.localdate()
    return [
        _Candidate(
            id=row.user_id,
            name=row.name,
            role=row.role,
            licensed=row.licensed,
            languages=frozenset(_base(str(code)) for code in row.languages),
            active=row.active,
            limit=row.caseload_limit,
            away_until=next((c.end_date for c in row.covered_by if c.start_date <= today <= c.end_date), None),
        )
        for row in rows
        if row.assignable
    ]


def suggest_for(
    enrollments: Sequence[Enrollment], *, limit: int = 5, team: Sequence[CaseloadRow] | None = None
) -> dict[Any, list[Suggestion]]:
    """Suggestions for many enrollments of one organization at once (the unassigned list), keyed by enrollment id:
    four statements for the candidates (staff, limits, caseload sizes, leave), or none when ``team`` (the
    organization's ``caseload_summary`` for every program) is given; one for the chosen users."""
    if not enrollments:
        return {}
    candidates = _from_summary(team) if team is not None else _candidates(enrollments[0].organization_id)
    ranking = _Ranking(candidates)
    ranked = {enrollment.pk: ranking.best(enrollment, limit) for enrollment in enrollments}
    wanted = {candidate.id for picks in ranked.values() for candidate, _, _ in picks}
    users = User.objects.in_bulk(wanted)
    return {
        key: [Suggestion(users[candidate.id], score, reasons) for candidate, score, reasons in picks]
        for key, picks in ranked.items()
    }


def suggest_care_managers(enrollment: Enrollment, *, limit: int = 5) -> list[Suggestion]:
    """Staff who can hold this person's caseload, best first.

    A licensed care manager with a current license is required when the person has a clinical need or the
    program needs one (hard filter); speaking the person's preferred language and room under the caseload limit
    count most; a smaller caseload counts less; a care manager away on covered leave drops down.
    """
    return suggest_for([enrollment], limit=limit)[enrollment.pk]


def assignable_staff(*, organization_id: uuid.UUID | str) -> QuerySet[User]:
    """Everyone in the organization who may hold a caseload (for reassign and coverage pickers)."""
    return _staff(uuid.UUID(str(organization_id))).order_by("last_name", "first_name", "username")


def open_coverages(*, organization_id: uuid.UUID | str) -> QuerySet[CaseloadCoverage]:
    """Coverage arrangements in force or ahead, for the organization."""
    return (
        CaseloadCoverage.objects.filter(
            Q(end_date__gte=timezone.localdate()), care_manager__organization_id=uuid.UUID(str(organization_id))
        )
        .select_related("care_manager", "covered_by")
        .order_by("start_date")
    )
