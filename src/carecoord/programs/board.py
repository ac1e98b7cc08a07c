"""The enrollment board: where each person stands with one organization, program by program (UI.md screen 8).

Columns: referred → outreach → consented → enrolled → closed. A person is in one column per program:

- **referred**: a referral to the organization waiting for a decision, or an assignment segment in force with
  no outreach segment, no covering consent and no enrollment yet;
- **outreach**: an outreach segment in force, without a consent the program requires;
- **consented**: an assignment or outreach segment in force and a consent in force of a form the program
  requires that lists the organization, not yet enrolled;
- **enrolled**: an enrollment (active or on hold) with the organization;
- **closed**: an enrollment, or an outreach or assignment segment, that ended within ``closed_days`` (outreach
  that ended because the person enrolled is not a closing).

Built to stay a handful of statements at 200,000 people: each source (segments in force, pending referrals,
open and ended enrollments, ended segments) is one statement returning its first ``limit`` rows per stage with
the full count alongside (window functions), filtered on indexed columns with ``EXISTS`` subqueries; the
outreach rule status of every card comes from two batched reads (billable months, this month's attempts)
judged in Python with the same rules as ``programs.rules``; names for the cards come last, by primary key.
At most eleven statements, whatever the size.
"""

from __future__ import annotations

import datetime
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case, CharField, Count, Exists, F, OuterRef, Q, QuerySet, Value, When, Window
from django.db.models.functions import RowNumber
from django.db.models.lookups import In
from django.utils import timezone

from carecoord.careteams.models import CareTeamMember
from carecoord.consents.models import Consent, ConsentPartner
from carecoord.consents.queries import current_partner, in_force
from carecoord.patients.models import Patient
from carecoord.programs.models import (
    Enrollment,
    EnrollmentStatus,
    OutreachAttempt,
    OutreachMethod,
    OutreachMonth,
    OutreachMonthStatus,
    Program,
    ProgramReferral,
    ReferralStatus,
    Segment,
    SegmentEndReason,
    SegmentKind,
)
from carecoord.programs.rules import add_months, month_start

STAGES: list[tuple[str, str]] = [
    ("referred", "Referred"),
    ("outreach", "Outreach"),
    ("consented", "Consented"),
    ("enrolled", "Enrolled"),
    ("closed", "Closed"),
]

OPEN_ENROLLMENT = [EnrollmentStatus.ACTIVE, EnrollmentStatus.ON_HOLD]
ENDED_ENROLLMENT = [EnrollmentStatus.FINISHED, EnrollmentStatus.CANCELLED]


@dataclass
class BoardCard:
    patient_id: uuid.UUID
    name: str
    birth_date: datetime.date | None
    program_code: str
    program_name: str
    stage: str
    since: datetime.date | None
    care_manager_name: str
    rule_status: str
    flags: list[str] = field(default_factory=list)


@dataclass
class BoardColumn:
    stage: str
    label: str
    count: int
    cards: list[BoardCard] = field(default_factory=list)


# Subqueries ---------------------------------------------------------------------------------------------------


def _open_enrollment(organization_id: Any) -> Exists:
    return Exists(
        Enrollment.objects.filter(
            patient_id=OuterRef("patient_id"),
            program_id=OuterRef("program_id"),
            organization_id=organization_id,
            status__in=OPEN_ENROLLMENT,
        )
    )


def _open_segment(organization_id: Any, kinds: list[str], today: datetime.date) -> Exists:
    return Exists(
        Segment.objects.filter(
            Q(end_date__isnull=True) | Q(end_date__gte=today),
            patient_id=OuterRef("patient_id"),
            program_id=OuterRef("program_id"),
            organization_id=organization_id,
            kind__in=kinds,
            start_date__lte=today,
        )
    )


def _none(found: Exists) -> Q:
    """``NOT EXISTS``: PostgreSQL runs it as one anti-join (hashing the organization's open enrollments or
    segments once per statement), which measured faster than forcing a probe per row."""
    return ~Q(found)


def _covering_consent(programs: list[Program], organization_id: Any, today: datetime.date) -> Q:
    """True for rows whose program requires a consent and the person has one in force listing the organization.

    One correlated ``EXISTS`` (the consent's form matched against the row's program inside it), so the planner
    probes the person's consents by index row by row instead of hashing every consent of the organization."""
    listed = ConsentPartner.objects.filter(current_partner(today), organization_id=organization_id).values("consent_id")
    by_forms: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for program in programs:
        if program.required_consents:
            by_forms[tuple(sorted(program.required_consents))].append(program.code)
    if not by_forms:
        return Q(pk__in=[])
    which = Q()
    for forms, codes in by_forms.items():
        which |= Q(form__in=list(forms)) & Q(In(OuterRef("program_id"), codes))
    return Q(Exists(Consent.objects.filter(in_force(today), which, patient_id=OuterRef("patient_id"), id__in=listed)))


def _on_care_team(user_id: Any, today: datetime.date) -> Exists:
    return Exists(
        CareTeamMember.objects.filter(
            Q(end_date__isnull=True) | Q(end_date__gte=today),
            care_team__patient_id=OuterRef("patient_id"),
            user_id=user_id,
            start_date__lte=today,
        )
    )


# The board ----------------------------------------------------------------------------------------------------


def enrollment_board(
    *,
    organization_id: uuid.UUID | str,
    program_code: str | None = None,
    care_manager_id: uuid.UUID | str | None = None,
    limit: int = 50,
    closed_days: int = 30,
) -> list[BoardColumn]:
    """The organization's pipeline, one column per stage, each with its full count and at most ``limit`` cards.

    ``care_manager_id`` narrows enrolled and closed people to that care manager's caseload, and earlier stages to
    people whose care team the user is on.
    """
    today = timezone.localdate()
    organization_id = uuid.UUID(str(organization_id))
    if care_manager_id is not None:
        care_manager_id = uuid.UUID(str(care_manager_id))
    programs = {p.code: p for p in Program.objects.all()}
    chosen = [programs[program_code]] if program_code in programs else list(programs.values())
    if program_code is not None and program_code not in programs:
        return [BoardColumn(stage, label, 0, []) for stage, label in STAGES]
    by_program: dict[str, Any] = {"program_id": program_code} if program_code else {}

    # Pre-enrollment: segments in force (assignment, outreach) without an open enrollment ------------------------
    segments = (
        Segment.objects.filter(
            Q(end_date__isnull=True) | Q(end_date__gte=today),
            organization_id=organization_id,
            kind__in=[SegmentKind.ASSIGNMENT, SegmentKind.OUTREACH],
            start_date__lte=today,
            **by_program,
        )
        .filter(_none(_open_enrollment(organization_id)))
        # An assignment and an outreach segment for the same program: the outreach one stands for the person.
        .filter(Q(kind=SegmentKind.OUTREACH) | _none(_open_segment(organization_id, [SegmentKind.OUTREACH], today)))
    )
    if care_manager_id is not None:
        segments = segments.filter(_on_care_team(care_manager_id, today))
    consented_q = _covering_consent(chosen, organization_id, today)

    referrals = ProgramReferral.objects.filter(
        receiving_organization_id=organization_id, status=ReferralStatus.PENDING, **by_program
    ).filter(
        _none(
            _open_segment(
                organization_id, [SegmentKind.ASSIGNMENT, SegmentKind.OUTREACH, SegmentKind.ENROLLMENT], today
            )
        )
    )
    if care_manager_id is not None:
        referrals = referrals.filter(_on_care_team(care_manager_id, today))

    # Enrolled and closed ------------------------------------------------------------------------------------------
    since = today - datetime.timedelta(days=closed_days)
    enrollments = Enrollment.objects.filter(organization_id=organization_id, **by_program)
    if care_manager_id is not None:
        enrollments = enrollments.filter(care_manager_id=care_manager_id)
    enrolled = enrollments.filter(status__in=OPEN_ENROLLMENT)
    ended = enrollments.filter(status__in=ENDED_ENROLLMENT, end_date__gte=since).filter(
        _none(_open_enrollment(organization_id))
    )
    ended_segments = (
        Segment.objects.filter(
            organization_id=organization_id,
            kind__in=[SegmentKind.ASSIGNMENT, SegmentKind.OUTREACH],
            end_date__gte=since,
            end_date__lt=today,
            **by_program,
        )
        .exclude(end_reason=SegmentEndReason.ENROLLED)
        .filter(_none(_open_enrollment(organization_id)))
        .filter(_none(_open_segment(organization_id, [SegmentKind.ASSIGNMENT, SegmentKind.OUTREACH], today)))
    )
    if care_manager_id is not None:
        ended_segments = ended_segments.filter(_on_care_team(care_manager_id, today))

    # Counts and cards: each source is one statement that returns its first ``limit`` rows, each carrying the
    # source's full count (``COUNT(*) OVER``), so the count never costs a second pass. -------------------------
    counts: dict[str, int] = defaultdict(int)
    cards: dict[str, list[BoardCard]] = defaultdict(list)
    segment_fields = ("patient_id", "program_id", "start_date", "kind")

    stage = Case(
        When(consented_q, then=Value("consented")),
        When(kind=SegmentKind.OUTREACH, then=Value("outreach")),
        default=Value("referred"),
        output_field=CharField(),
    )
    staged = (
        segments.annotate(stage=stage)
        .annotate(
            place=Window(RowNumber(), partition_by=[F("stage")], order_by=[F("start_date").asc(), F("id").asc()]),
            total=Window(Count("id"), partition_by=[F("stage")]),
        )
        .filter(place__lte=limit)
        .order_by("stage", "start_date", "id")
        .values(*segment_fields, "stage", "total")
    )
    for row in staged:
        counts[row["stage"]] = row["total"]
        cards[row["stage"]].append(_segment_card(row, row["stage"], programs))

    referral_rows = list(
        referrals.annotate(total=Window(Count("id")))
        .order_by("received_at", "id")
        .values("patient_id", "program_id", "received_at", "total")[:limit]
    )
    counts["referred"] += referral_rows[0]["total"] if referral_rows else 0
    cards["referred"].extend(_referral_card(row, programs, today) for row in referral_rows)
    cards["referred"] = sorted(cards["referred"], key=lambda card: card.since or today)[:limit]
    _judge_outreach(cards["outreach"], programs, organization_id, today)

    enrollment_fields = (
        "patient_id",
        "program_id",
        "start_date",
        "end_date",
        "end_reason",
        "status",
        "acuity",
        "clinical_need",
        "care_manager_id",
        "care_manager__first_name",
        "care_manager__last_name",
        "care_manager__username",
    )
    # Enrolled: people without a care manager first, then the most recently enrolled.
    unassigned_first = Case(When(care_manager__isnull=True, then=0), default=1)
    # Enrolled: a count, then the page in two index-ordered reads (people without a care manager, from a partial
    # index, then the rest, newest first) instead of sorting every enrollment of a large agency.
    counts["enrolled"] += enrolled.count()
    page_keys = list(
        enrolled.filter(care_manager__isnull=True).order_by("-start_date", "-id").values_list("pk", flat=True)[:limit]
    )
    if len(page_keys) < limit:
        page_keys += list(
            enrolled.filter(care_manager__isnull=False)
            .order_by("-start_date", "-id")
            .values_list("pk", flat=True)[: limit - len(page_keys)]
        )
    closed_page = list(
        ended.annotate(total=Window(Count("id"))).order_by("-end_date", "id").values("pk", "total")[:limit]
    )
    counts["closed"] += closed_page[0]["total"] if closed_page else 0
    for stage_name, keys, order in (
        ("enrolled", page_keys, (unassigned_first, "-start_date", "-id")),
        ("closed", [item["pk"] for item in closed_page], ("-end_date", "id")),
    ):
        if keys:  # the page's rows are read by key
            cards[stage_name].extend(
                _enrollment_card(row, stage_name, programs)
                for row in Enrollment.objects.filter(pk__in=keys).order_by(*order).values(*enrollment_fields)
            )
    ended_rows = list(
        ended_segments.annotate(total=Window(Count("id")))
        .order_by("-end_date", "id")
        .values(*segment_fields, "end_date", "end_reason", "total")[:limit]
    )
    counts["closed"] += ended_rows[0]["total"] if ended_rows else 0
    cards["closed"].extend(_ended_segment_card(row, programs) for row in ended_rows)
    cards["closed"] = sorted(cards["closed"], key=lambda card: card.since or today, reverse=True)[:limit]
    _name_people([card for stage_cards in cards.values() for card in stage_cards])

    return [BoardColumn(stage, label, counts[stage], cards[stage]) for stage, label in STAGES]


# Card builders -------------------------------------------------------------------------------------------------


def _name_people(cards: list[BoardCard]) -> None:
    """Names and dates of birth for every card on the board, by primary key (one statement; the page queries
    above stay off the patient table, which the planner would otherwise scan whole to hash-join)."""
    people = {
        row["id"]: row
        for row in Patient.objects.filter(pk__in={card.patient_id for card in cards}).values(
            "id", "family_name", "given_names", "preferred_name", "birth_date"
        )
    }
    for card in cards:
        person = people.get(card.patient_id)
        if person is None:
            continue
        name = f"{person['family_name']}, {person['given_names']}"
        card.name = f"{name} ({person['preferred_name']})" if person["preferred_name"] else name
        card.birth_date = person["birth_date"]


def _card(row: dict[str, Any], stage: str, programs: dict[str, Program], since: Any) -> BoardCard:
    program = programs.get(row["program_id"])
    return BoardCard(
        patient_id=row["patient_id"],
        name="",
        birth_date=None,
        program_code=row["program_id"],
        program_name=program.name if program else row["program_id"],
        stage=stage,
        since=since,
        care_manager_name="",
        rule_status="",
    )


def _segment_card(row: dict[str, Any], stage: str, programs: dict[str, Program]) -> BoardCard:
    card = _card(row, stage, programs, row["start_date"])
    program = programs.get(card.program_code)
    if stage == "referred":
        card.rule_status = "Assigned: outreach not started"
        if program is not None and program.required_consents:
            card.flags.append("Consent missing")
    elif stage == "consented":
        card.rule_status = "Consent signed: ready to enroll"
    return card


def _referral_card(row: dict[str, Any], programs: dict[str, Program], today: datetime.date) -> BoardCard:
    received = timezone.localtime(row["received_at"]).date()
    card = _card(row, "referred", programs, received)
    waiting = (today - received).days
    card.rule_status = "Referral waiting for a decision" + (
        "" if waiting <= 0 else f" ({waiting} day{'s' if waiting != 1 else ''})"
    )
    card.flags.append("Decision needed")
    return card


def _care_manager_name(row: dict[str, Any]) -> str:
    if row.get("care_manager_id") is None:
        return ""
    full = f"{row.get('care_manager__first_name') or ''} {row.get('care_manager__last_name') or ''}".strip()
    return full or row.get("care_manager__username") or ""


def _enrollment_card(row: dict[str, Any], stage: str, programs: dict[str, Program]) -> BoardCard:
    since = row["start_date"] if stage == "enrolled" else row["end_date"]
    card = _card(row, stage, programs, since)
    card.care_manager_name = _care_manager_name(row)
    program = programs.get(card.program_code)
    if stage == "enrolled":
        if row["status"] == EnrollmentStatus.ON_HOLD:
            card.flags.append("On hold")
        if not card.care_manager_name:
            card.rule_status = "No care manager"
        else:
            card.rule_status = "On hold" if row["status"] == EnrollmentStatus.ON_HOLD else "Enrolled"
        if not row["acuity"] and program is not None and program.acuity_tiers:
            card.flags.append("Acuity not set")
        if row["clinical_need"] or (program is not None and program.needs_licensed_care_manager):
            card.flags.append("Licensed care manager")
    else:
        reason = row.get("end_reason") or ""
        label = dict(Enrollment._meta.get_field("end_reason").choices or []).get(reason, "")
        card.rule_status = f"Ended: {label}" if label else "Ended"
    return card


def _ended_segment_card(row: dict[str, Any], programs: dict[str, Program]) -> BoardCard:
    card = _card(row, "closed", programs, row["end_date"])
    label = SegmentEndReason(row["end_reason"]).label if row["end_reason"] in SegmentEndReason.values else ""
    what = "Outreach" if row["kind"] == SegmentKind.OUTREACH else "Assignment"
    card.rule_status = f"{what} ended: {label}" if label else f"{what} ended"
    return card


# Outreach rule status, batched ---------------------------------------------------------------------------------


def _judge_outreach(
    cards: list[BoardCard], programs: dict[str, Program], organization_id: Any, today: datetime.date
) -> None:
    """Fill in each outreach card's rule status from two reads for the whole column.

    The same rules as ``rules.judge_outreach_month`` for the current month (STANDARDS.md A.4): billable months
    count across every organization and program for the person; attempts count the organization's own.
    """
    if not cards:
        return
    month = month_start(today)
    year_start = add_months(month, -11)
    patient_ids = {card.patient_id for card in cards}
    billed: dict[Any, set[datetime.date]] = defaultdict(set)
    for patient_id, claimed in OutreachMonth.objects.filter(
        patient_id__in=patient_ids,
        status=OutreachMonthStatus.BILLABLE,
        month__gte=add_months(year_start, -12),
        month__lte=month,
    ).values_list("patient_id", "month"):
        billed[patient_id].add(claimed)
    methods: dict[tuple[Any, str], list[str]] = defaultdict(list)
    for patient_id, program_id, method in OutreachAttempt.objects.filter(
        patient_id__in=patient_ids,
        organization_id=organization_id,
        attempted_at__date__gte=month,
        attempted_at__date__lt=add_months(month, 1),
    ).values_list("patient_id", "program_id", "method"):
        methods[(patient_id, program_id)].append(method)

    for card in cards:
        program = programs.get(card.program_code)
        if program is None:
            continue
        if program.required_consents:
            card.flags.append("Consent missing")
        if not program.outreach_allowed:
            card.rule_status = "Outreach: consent needed to enroll"
            continue
        months = billed[card.patient_id]
        tried = methods[(card.patient_id, card.program_code)]
        card.rule_status, extra = outreach_rule_status(program, months, tried, month)
        card.flags.extend(extra)


def outreach_rule_status(
    program: Program, billed: set[datetime.date], methods: list[str], month: datetime.date
) -> tuple[str, list[str]]:
    """What matters this month for a person in outreach, in plain words, and short flags.

    ``billed``: the person's billable outreach months (every organization); ``methods``: this organization's
    attempts this month.
    """
    flags: list[str] = []
    before = 0
    current = add_months(month, -1)
    while current in billed:
        before += 1
        current = add_months(current, -1)
    position = before + 1
    used = sum(1 for m in billed if add_months(month, -11) <= m < month)
    limit_year = program.outreach_max_billable_months_per_year
    limit_run = program.outreach_max_consecutive_months
    in_person = OutreachMethod.IN_PERSON in methods
    if limit_year is not None:
        flags.append(f"{used} of {limit_year} outreach months used")
    if limit_run is not None and position > limit_run:
        flags.append("Outreach pause")
        return (
            f"Outreach month {position} in a row: not billable (at most {limit_run}); pause billing this month",
            flags,
        )
    if limit_year is not None and used >= limit_year:
        flags.append("Outreach limit reached")
        return f"{used} of {limit_year} outreach months used: no billable outreach left this year", flags
    if program.outreach_second_month_needs_in_person and before >= 1 and not in_person:
        flags.append("In-person needed")
        return f"Outreach month {position} in a row: in-person attempt needed", flags
    if not methods:
        return "No outreach attempt yet this month", flags
    if all(method == OutreachMethod.MAIL for method in methods):
        return "Mail only this month: a call or visit is needed", flags
    if limit_year is not None:
        return f"{used} of {limit_year} outreach months used; this month can be billed", flags
    return "This month can be billed", flags


def board_programs() -> QuerySet[Program]:
    """Programs to filter the board by."""
    return Program.objects.filter(active=True).order_by("name")
