"""Referral outcomes: how the organization's community referrals fared, by need, by partner and by outcome.

For the referrals an organization sent in a period (by when they were sent), each group counts what was sent, how
many the partner accepted (at any point), rejected, completed, failed, and how many the sender cancelled or are
still open, and how long each step took: sent → decided (accepted or rejected), accepted → started, and sent →
completed. Times are medians and 90th percentiles in hours over the referrals that reached the step. Referrals
entered in error are left out (they should never have existed).

The figures are aggregates and name nobody; reading them is still audited, as a report (``access_outcomes``).
"""

from __future__ import annotations

import datetime
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from carecoord.accounts.models import User
from carecoord.accounts.permissions import Capability, can
from carecoord.assessments.scoring.sdoh import DOMAINS
from carecoord.audit.actions import record
from carecoord.audit.models import AuditAction, AuditOutcome
from carecoord.common.errors import AccessDenied, ValidationFailed
from carecoord.referrals.models import Referral, ReferralOutcome
from carecoord.referrals.states import OPEN, ReferralStatus

NEED_LABELS: dict[str, str] = {coding.code: coding.display or coding.code for coding in DOMAINS}
GROUPINGS: dict[str, str] = {"need": "Need", "partner": "Partner", "outcome": "Outcome"}
_COLUMNS = (
    "authored_on",
    "accepted_at",
    "started_at",
    "closed_at",
    "status",
    "outcome",
    "need",
    "target_directory_organization_id",
    "target_directory_organization__name",
    "target_display",
)
_UNDECIDED_LABELS: dict[str, str] = {
    ReferralStatus.REJECTED: "Rejected by the partner",
    ReferralStatus.CANCELLED: "Cancelled",
    ReferralStatus.FAILED: "Failed",
    ReferralStatus.COMPLETED: "Completed, no outcome given",
}


@dataclass(frozen=True)
class OutcomeFilters:
    """The period (sent on or after ``start``, on or before ``end``, local dates) and an optional need and partner."""

    start: datetime.date
    end: datetime.date
    need: str = ""
    partner: int | None = None  # a directory organization

    @classmethod
    def parse(cls, data: dict[str, str], *, today: datetime.date) -> OutcomeFilters:
        """From a query string or the command's options; the default period is the last 90 days."""
        start = _date(data.get("from", ""), "from") or today - datetime.timedelta(days=89)
        end = _date(data.get("to", ""), "to") or today
        if end < start:
            raise ValidationFailed("The period ends before it starts.", field="to")
        if (end - start).days > 366 * 3:
            raise ValidationFailed("Choose a period of three years or less.", field="from")
        need = data.get("need", "").strip()
        if need and need not in NEED_LABELS:
            raise ValidationFailed(f"Unknown need {need!r}.", field="need")
        partner_text = str(data.get("partner", "") or "").strip()
        if partner_text and not partner_text.isdigit():
            raise ValidationFailed("Choose a partner from the list.", field="partner")
        return cls(start=start, end=end, need=need, partner=int(partner_text) if partner_text else None)


def _date(text: str, name: str) -> datetime.date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(f"{text!r} is not a date (YYYY-MM-DD).", field=name) from None


@dataclass(frozen=True)
class StepTime:
    """How long a step took over the referrals that reached it, in hours."""

    count: int
    median: float | None
    p90: float | None

    @classmethod
    def of(cls, hours: list[float]) -> StepTime:
        if not hours:
            return cls(0, None, None)
        ordered = sorted(hours)
        p90 = ordered[0] if len(ordered) == 1 else statistics.quantiles(ordered, n=10, method="inclusive")[-1]
        return cls(len(ordered), statistics.median(ordered), p90)


@dataclass
class OutcomeRow:
    """One group's figures (``key`` is the need code, partner id or outcome code; '' for the totals)."""

    key: str
    label: str
    sent: int = 0
    accepted: int = 0
    rejected: int = 0
    cancelled: int = 0
    failed: int = 0
    completed: int = 0
    open: int = 0
    need_met: int = 0
    _to_decision: list[float] = field(default_factory=list, repr=False)
    _to_start: list[float] = field(default_factory=list, repr=False)
    _to_complete: list[float] = field(default_factory=list, repr=False)

    def add(self, row: dict[str, Any]) -> None:
        status = row["status"]
        self.sent += 1
        self.accepted += row["accepted_at"] is not None
        self.rejected += status == ReferralStatus.REJECTED
        self.cancelled += status == ReferralStatus.CANCELLED
        self.failed += status == ReferralStatus.FAILED
        self.completed += status == ReferralStatus.COMPLETED
        self.open += status in OPEN
        self.need_met += row["outcome"] in (ReferralOutcome.NEED_MET, ReferralOutcome.PARTLY_MET)
        sent = row["authored_on"]
        decided = row["accepted_at"] or (row["closed_at"] if status == ReferralStatus.REJECTED else None)
        if decided is not None:
            self._to_decision.append(_hours(sent, decided))
        if row["accepted_at"] is not None and row["started_at"] is not None:
            self._to_start.append(_hours(row["accepted_at"], row["started_at"]))
        if status == ReferralStatus.COMPLETED and row["closed_at"] is not None:
            self._to_complete.append(_hours(sent, row["closed_at"]))

    @property
    def acceptance_rate(self) -> float | None:
        """Accepted among those the partner decided on (accepted or rejected)."""
        decided = self.accepted + self.rejected
        return self.accepted / decided if decided else None

    @property
    def completion_rate(self) -> float | None:
        """Completed among those that are closed (open ones have not had their chance yet)."""
        closed = self.sent - self.open
        return self.completed / closed if closed else None

    @property
    def to_decision(self) -> StepTime:
        return StepTime.of(self._to_decision)

    @property
    def to_start(self) -> StepTime:
        return StepTime.of(self._to_start)

    @property
    def to_complete(self) -> StepTime:
        return StepTime.of(self._to_complete)


def _hours(start: datetime.datetime, end: datetime.datetime) -> float:
    return max((end - start).total_seconds(), 0.0) / 3600


@dataclass
class OutcomeReport:
    filters: OutcomeFilters
    totals: OutcomeRow
    groups: dict[str, list[OutcomeRow]]  # grouping → rows, most sent first
    partners: list[tuple[int, str]]  # every partner the organization referred to in the period, for the filter


def _group_keys(row: dict[str, Any]) -> dict[str, tuple[str, str]]:
    partner_id = row["target_directory_organization_id"]
    partner = row["target_directory_organization__name"] or row["target_display"] or "Partner not listed"
    if row["outcome"]:
        outcome = (row["outcome"], ReferralOutcome(row["outcome"]).label)
    elif row["status"] in OPEN:
        outcome = ("open", "Still open")
    else:
        outcome = (row["status"], _UNDECIDED_LABELS.get(row["status"], ReferralStatus(row["status"]).label))
    need = row["need"]
    return {
        "need": (need, NEED_LABELS.get(need, need or "No need recorded")),
        "partner": (str(partner_id or ""), partner),
        "outcome": outcome,
    }


def build_outcomes(organization_id: Any, filters: OutcomeFilters) -> OutcomeReport:
    """The organization's referral outcomes for the filters (one statement; grouped here)."""
    zone = timezone.get_current_timezone()
    start = datetime.datetime.combine(filters.start, datetime.time.min, tzinfo=zone)
    end = datetime.datetime.combine(filters.end + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone)
    sent = Referral.objects.filter(
        referring_organization_id=organization_id, authored_on__gte=start, authored_on__lt=end
    ).exclude(status=ReferralStatus.ENTERED_IN_ERROR)
    partners = {
        pk: name
        for pk, name in sent.exclude(target_directory_organization=None)
        .values_list("target_directory_organization_id", "target_directory_organization__name")
        .distinct()
    }
    if filters.need:
        sent = sent.filter(need=filters.need)
    if filters.partner is not None:
        sent = sent.filter(target_directory_organization_id=filters.partner)
    totals = OutcomeRow("", "All referrals")
    groups: dict[str, dict[str, OutcomeRow]] = {grouping: {} for grouping in GROUPINGS}
    for values in sent.values_list(*_COLUMNS).iterator(chunk_size=2000):
        row = dict(zip(_COLUMNS, values, strict=True))
        totals.add(row)
        for grouping, (key, label) in _group_keys(row).items():
            groups[grouping].setdefault(key, OutcomeRow(key, label)).add(row)
    return OutcomeReport(
        filters=filters,
        totals=totals,
        groups={
            grouping: sorted(found.values(), key=lambda r: (-r.sent, r.label)) for grouping, found in groups.items()
        },
        partners=sorted(partners.items(), key=lambda item: item[1]),
    )


def may_read_outcomes(user: User) -> bool:
    """Supervisors (and anyone with reports) of the referring organization."""
    return can(user, Capability.REPORTS)


def access_outcomes(user: User, filters: OutcomeFilters) -> OutcomeReport:
    """The user's organization's referral outcomes, audited as a report read (or refused, audited)."""
    detail = {"from": filters.start.isoformat(), "to": filters.end.isoformat(), "need": filters.need}
    if not may_read_outcomes(user):
        record(
            by=user,
            action=AuditAction.READ,
            object_type="ReferralOutcomes",
            outcome=AuditOutcome.DENIED,
            detail={**detail, "basis": "role"},
        )
        raise AccessDenied("Referral outcome reports are for supervisors.")
    report = build_outcomes(user.organization_id, filters)
    record(
        by=user,
        action=AuditAction.READ,
        object_type="ReferralOutcomes",
        object_id=str(user.organization_id),
        detail={**detail, "partner": filters.partner, "referrals": report.totals.sent},
    )
    return report


# CSV: one row per group of one grouping, then the totals ----------------------------------------------------------


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _rate(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}"


CSV_COLUMNS: tuple[tuple[str, Callable[[OutcomeRow], object]], ...] = (
    ("sent", lambda r: r.sent),
    ("accepted", lambda r: r.accepted),
    ("rejected", lambda r: r.rejected),
    ("cancelled", lambda r: r.cancelled),
    ("failed", lambda r: r.failed),
    ("completed", lambda r: r.completed),
    ("open", lambda r: r.open),
    ("need_met", lambda r: r.need_met),
    ("acceptance_rate_pct", lambda r: _rate(r.acceptance_rate)),
    ("completion_rate_pct", lambda r: _rate(r.completion_rate)),
    ("hours_to_decision_median", lambda r: _fmt(r.to_decision.median)),
    ("hours_to_decision_p90", lambda r: _fmt(r.to_decision.p90)),
    ("hours_accepted_to_started_median", lambda r: _fmt(r.to_start.median)),
    ("hours_to_completion_median", lambda r: _fmt(r.to_complete.median)),
    ("hours_to_completion_p90", lambda r: _fmt(r.to_complete.p90)),
)


def csv_rows(report: OutcomeReport, grouping: str) -> Iterable[list[object]]:
    """The header, then a row per group (grouping: need, partner or outcome), then the totals."""
    if grouping not in GROUPINGS:
        raise ValidationFailed(f"Group by need, partner or outcome, not {grouping!r}.", field="by")
    period = f"{report.filters.start.isoformat()}/{report.filters.end.isoformat()}"
    yield ["period", grouping, f"{grouping}_label", *(name for name, _ in CSV_COLUMNS)]
    for row in [*report.groups[grouping], report.totals]:
        key = "total" if row is report.totals else row.key
        yield [period, key, row.label, *(value(row) for _, value in CSV_COLUMNS)]
