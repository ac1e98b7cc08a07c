"""Judge one enrollment's calendar month against the rule table: billable, at risk or not billable, and why.

``judge_month`` reads the month's contacts and time entries for the enrollment (two queries, plus one for the
consent) and applies ``table.rules()``. While the month is open an unmet rule is *at risk* (what is missing,
days left); once it is over, *not billable*. Outreach months are judged by ``programs.rules`` (``outreach``).
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.db.models import Sum
from django.utils import timezone

from carecoord.accounts.models import User
from carecoord.consents.queries import covering_consent
from carecoord.contacts.billing.table import rules
from carecoord.contacts.models import IN_PERSON_MODALITIES, Contact, Readiness, StaffType, TimeEntry
from carecoord.patients.models import Patient
from carecoord.programs.models import Enrollment, EnrollmentStatus, Program
from carecoord.programs.rules import judge_outreach_month, month_start


class EnrollmentFacts(Protocol):
    """What judging a month reads of an enrollment: an ``Enrollment``, or the month report's lighter row."""

    @property
    def pk(self) -> Any: ...
    @property
    def program(self) -> Program: ...
    @property
    def patient_id(self) -> Any: ...
    @property
    def organization_id(self) -> Any: ...
    @property
    def care_manager_id(self) -> Any: ...
    @property
    def status(self) -> str: ...
    @property
    def acuity(self) -> str: ...
    @property
    def start_date(self) -> datetime.date: ...
    @property
    def end_date(self) -> datetime.date | None: ...


@dataclass
class MonthReadiness:
    """The verdict for one enrollment and month (stored as ``MonthStatus``)."""

    month: datetime.date
    status: str
    rate: str = ""
    codes: list[dict[str, Any]] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    counts: dict[str, Any] = field(default_factory=dict)
    days_left: int | None = None

    @property
    def code_text(self) -> str:
        return " + ".join(f"{c['code']} x{c['units']}" if c.get("units", 1) > 1 else c["code"] for c in self.codes)


def last_day(month: datetime.date) -> datetime.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def month_bounds(month: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The month as aware datetimes in the organization's zone: [first midnight, next first midnight)."""
    start = month_start(month)
    after = last_day(start) + datetime.timedelta(days=1)
    zone = timezone.get_current_timezone()
    return (
        datetime.datetime.combine(start, datetime.time.min, tzinfo=zone),
        datetime.datetime.combine(after, datetime.time.min, tzinfo=zone),
    )


def staff_type_of(user: User) -> str:
    """Billing practitioner (a current MD/NP/PA license, [R]), clinical staff (another current license) or
    non-clinical staff, as of today."""
    current = [lic.type for lic in user.licenses.all() if lic.is_current()]
    if any(kind in rules()["practitioner_license_types"] for kind in current):
        return StaffType.PRACTITIONER
    return StaffType.CLINICAL if current else StaffType.NON_CLINICAL


STAFF_TYPES = tuple(StaffType.values)
ContactRow = tuple[str, str, bool, list[str], int, str, Any]
"""A contact as the rules read it: modality, outcome, with_person, core services, minutes, staff type, by_id."""


def tally(
    contacts: list[ContactRow], minutes_by_staff: dict[str, int], care_manager_id: Any, table: dict[str, Any]
) -> dict[str, Any]:
    """The month's figures from its contacts and its time entries' minutes by staff type (no queries: the
    batched report loads many enrollments' rows at once and calls this for each)."""
    minutes: dict[str, int] = dict.fromkeys(STAFF_TYPES, 0)
    core = in_person = with_care_manager = 0
    counted = table["counted_outcomes"]
    for modality, outcome, with_person, services, duration, staff_type, by_id in contacts:
        minutes[staff_type] = minutes.get(staff_type, 0) + duration
        if not services or outcome not in counted:
            continue
        core += 1
        if modality in IN_PERSON_MODALITIES and with_person:
            in_person += 1
            if care_manager_id is not None and by_id == care_manager_id:
                with_care_manager += 1
    for staff_type, total in minutes_by_staff.items():
        minutes[staff_type] = minutes.get(staff_type, 0) + total
    return {
        "contacts": len(contacts),
        "core_services": core,
        "in_person": in_person,
        "in_person_with_care_manager": with_care_manager,
        "minutes": minutes,
        "clinical_minutes": sum(minutes.get(kind, 0) for kind in table["clinical_staff_types"]),
        "practitioner_minutes": minutes.get(StaffType.PRACTITIONER, 0),
    }


CONTACT_FIELDS = ("modality", "outcome", "with_person", "core_services", "duration_minutes", "staff_type", "by_id")


def _counts(enrollment: Enrollment, month: datetime.date, table: dict[str, Any]) -> dict[str, Any]:
    start, end = month_bounds(month)
    contacts: list[ContactRow] = list(
        Contact.objects.filter(enrollment=enrollment, occurred_at__gte=start, occurred_at__lt=end).values_list(
            *CONTACT_FIELDS
        )
    )
    entries = (
        TimeEntry.objects.filter(enrollment=enrollment, performed_at__gte=start, performed_at__lt=end)
        .values("staff_type")
        .annotate(total=Sum("minutes"))
    )
    by_staff = {entry["staff_type"]: entry["total"] or 0 for entry in entries}
    return tally(contacts, by_staff, enrollment.care_manager_id, table)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _no_core(verdict: MonthReadiness) -> str:
    if verdict.days_left:
        return "No core service delivered so far this month."
    return "No core service was delivered this month."


def _judge_health_home(
    rule: dict[str, Any], program: Program, counts: dict[str, Any], verdict: MonthReadiness, acuity: str
) -> None:
    core = counts["core_services"]
    tier = f" ({acuity} acuity)" if acuity else ""
    if rule["kind"] == "health_home":
        needed = (
            rule["min_core_services"] if rule["min_core_services"] is not None else program.min_core_services_per_month
        )
        needed = max(needed, 1)
        if core >= needed:
            verdict.status, verdict.rate = Readiness.BILLABLE, rule["rate"] + tier
            verdict.codes = [{"code": "hh-enrolled", "units": 1, "tier": acuity}]
        else:
            verdict.status = Readiness.NOT_BILLABLE
            verdict.reasons.append(_no_core(verdict) if core == 0 else f"Only {core} core services.")
            verdict.missing.append(_plural(needed - core, "core service"))
        return
    need_core = (
        rule["min_core_services"] if rule["min_core_services"] is not None else program.min_core_services_per_month
    )
    need_in_person = rule["min_in_person"] if rule["min_in_person"] is not None else program.min_in_person_per_month
    need_cm = rule["min_in_person_with_care_manager"]
    short: list[str] = []
    if core < need_core:
        short.append(_plural(need_core - core, "core service"))
    if counts["in_person"] < need_in_person:
        short.append(f"{need_in_person - counts['in_person']} in person")
    if counts["in_person_with_care_manager"] < need_cm:
        short.append(f"{need_cm - counts['in_person_with_care_manager']} in person with the care manager")
    if not short:
        verdict.status, verdict.rate = Readiness.BILLABLE, rule["rate"] + tier
        verdict.codes = [{"code": "hh-plus", "units": 1, "tier": acuity}]
        return
    verdict.missing.extend(short)
    if core >= rule["fallback_min_core_services"]:
        verdict.status, verdict.rate = Readiness.BILLABLE, rule["fallback_rate"] + tier
        verdict.codes = [{"code": "hh-high-risk", "units": 1, "tier": acuity}]
        verdict.reasons.append(
            f"Health Home Plus minimum not met ({core} core services, {counts['in_person']} in person"
            + (f", {counts['in_person_with_care_manager']} in person with the care manager" if need_cm else "")
            + f"): billed at the {rule['fallback_rate']} rate."
        )
    else:
        verdict.status = Readiness.NOT_BILLABLE
        verdict.reasons.append(_no_core(verdict))


def _judge_time(rule: dict[str, Any], counts: dict[str, Any], verdict: MonthReadiness, acuity: str) -> None:
    applicable = [f for f in rule["families"] if not f.get("acuity") or acuity in f["acuity"]]
    for family in applicable:
        minutes = counts["practitioner_minutes" if family["staff"] == "practitioner" else "clinical_minutes"]
        base, addon = family["base"], family.get("addon")
        if minutes < base["minutes"]:
            continue
        codes = [{"code": base["code"], "units": 1}]
        if addon:
            units = (minutes - base["minutes"]) // addon["minutes"]
            if addon.get("max_units") is not None:
                units = min(units, addon["max_units"])
            if units:
                codes.append({"code": addon["code"], "units": units})
        verdict.status, verdict.rate, verdict.codes = Readiness.BILLABLE, family["name"], codes
        better = applicable[: applicable.index(family)]
        for other in better:
            if other.get("acuity"):
                have = counts["practitioner_minutes" if other["staff"] == "practitioner" else "clinical_minutes"]
                verdict.missing.append(
                    f"{other['base']['minutes'] - have} more minutes for {other['name']} ({other['base']['code']})"
                )
        return
    verdict.status = Readiness.NOT_BILLABLE
    target = applicable[-1] if applicable else None
    if target is None:
        verdict.reasons.append("No billing code applies to this enrollment.")
        return
    staff = "billing practitioner" if target["staff"] == "practitioner" else "clinical staff"
    have = counts["practitioner_minutes" if target["staff"] == "practitioner" else "clinical_minutes"]
    verdict.reasons.append(
        f"{have} minutes of {staff} time; {target['base']['code']} needs {target['base']['minutes']}."
    )
    verdict.missing.append(f"{target['base']['minutes'] - have} more minutes of {staff} time")


def enrolled_in(enrollment: EnrollmentFacts, month: datetime.date) -> bool:
    if enrollment.status in (EnrollmentStatus.CANCELLED, EnrollmentStatus.PLANNED):
        return False
    return enrollment.start_date <= last_day(month) and (enrollment.end_date is None or enrollment.end_date >= month)


def _judge_tcm(
    enrollment: EnrollmentFacts, month: datetime.date, today: datetime.date, verdict: MonthReadiness
) -> MonthReadiness:
    """TCM (99495/99496) for discharges in the month, from the transitions workflow's recorded dates and decision
    complexity (``transitions.measures.tcm_verdict``, the same judgement the transition page shows)."""
    from carecoord.transitions.models import Transition, TransitionStatus
    from carecoord.transitions.queries import tcm_verdicts_for

    stays = list(
        Transition.objects.filter(
            patient_id=enrollment.patient_id,
            organization_id=enrollment.organization_id,
            discharge_date__gte=month,
            discharge_date__lte=last_day(month),
        )
        .exclude(status=TransitionStatus.CANCELLED)
        .order_by("discharge_date")
    )
    # Judged with the person's earlier discharges: one TCM per person within 30 days of a discharge.
    verdicts = tcm_verdicts_for(stays, today=today)
    judged = [(stay, verdicts[stay.pk]) for stay in stays]
    if not judged:
        verdict.status = Readiness.NOT_BILLABLE
        verdict.reasons.append("No discharge this month to bill transitional care for.")
        return verdict
    billed = [(stay, v) for stay, v in judged if v.code]
    if billed:
        stay, first = billed[0]  # TCM is billed once per person in the 30 days after a discharge
        verdict.status = Readiness.BILLABLE
        verdict.codes.append({"code": first.code, "units": 1})
        verdict.reasons.append(
            f"Discharge from {stay.facility or 'hospital'} on {stay.discharge_date:%a %-d %b}: {first.words}"
        )
        return verdict
    open_ones = [(stay, v) for stay, v in judged if v.possible]
    if open_ones:
        stay, first = open_ones[0]
        verdict.status = Readiness.AT_RISK
        verdict.reasons.append(first.words)
        verdict.missing.extend(first.still_needed)
        return verdict
    verdict.status = Readiness.NOT_BILLABLE
    verdict.reasons.extend(v.words for _, v in judged)
    return verdict


def consent_forms_for(rule: dict[str, Any], program: Program) -> list[str]:
    """The consent forms a month needs under ``rule`` (the program's own when the rule says ``None``)."""
    forms = rule.get("consent_forms")
    return list(program.required_consents) if forms is None else list(forms)


def consent_day(month: datetime.date, today: datetime.date) -> datetime.date:
    """The day a month's consent is judged on: its last day, or today while it is open."""
    return min(today, last_day(month_start(month)))


def judge_month(*, enrollment: Enrollment, month: datetime.date, today: datetime.date | None = None) -> MonthReadiness:
    """The billing readiness of ``enrollment`` in the calendar month containing ``month``."""
    month = month_start(month)
    today = today or timezone.localdate()
    table = rules()
    rule = table["programs"].get(enrollment.program.code)
    if rule is None or rule["kind"] == "tcm" or not enrolled_in(enrollment, month):
        return judge_loaded(enrollment=enrollment, month=month, today=today, table=table, counts={}, consented=True)
    counts = _counts(enrollment, month, table)
    forms = consent_forms_for(rule, enrollment.program)
    consented = True
    if forms:
        organization = enrollment.organization_id if rule.get("consent_lists_organization") else None
        found = covering_consent(enrollment.patient_id, forms, organization, on=consent_day(month, today))
        consented = found is not None
    return judge_loaded(
        enrollment=enrollment, month=month, today=today, table=table, counts=counts, consented=consented
    )


def judge_loaded(
    *,
    enrollment: EnrollmentFacts,
    month: datetime.date,
    today: datetime.date,
    table: dict[str, Any],
    counts: dict[str, Any],
    consented: bool,
) -> MonthReadiness:
    """The verdict from figures already loaded (``tally``) and whether the month's consent is in force: what
    ``judge_month`` does after its queries, and what the month-close report does for each enrollment of a batch.
    TCM months read the transitions workflow here (rare: one program's discharges)."""
    month = month_start(month)
    program = enrollment.program
    verdict = MonthReadiness(month=month, status=Readiness.NOT_BILLABLE)
    is_open = today <= last_day(month)
    if is_open:
        verdict.days_left = (last_day(month) - max(today, month)).days + 1
    rule = table["programs"].get(program.code)
    if rule is None:
        verdict.status = Readiness.NOT_ASSESSED
        verdict.reasons.append(f"{program} has no billing rules.")
        return verdict
    if rule["kind"] == "tcm":
        return _judge_tcm(enrollment, month, today, verdict)
    if not enrolled_in(enrollment, month):
        verdict.reasons.append("The person was not enrolled this month.")
        return verdict
    verdict.counts = counts
    forms = consent_forms_for(rule, program)
    if forms and not consented:
        verdict.status = Readiness.NOT_BILLABLE
        label = "no CCM consent" if "CCM-VERBAL" in forms else f"no {' or '.join(forms)} consent in force"
        verdict.reasons.append(f"Not billable: {label} on file.")
        verdict.missing.append(f"{' or '.join(forms)} consent")
        return verdict
    if rule["kind"] in ("health_home", "health_home_plus"):
        _judge_health_home(rule, program, counts, verdict, enrollment.acuity)
    elif rule["kind"] == "time":
        _judge_time(rule, counts, verdict, enrollment.acuity)
    if verdict.status == Readiness.NOT_BILLABLE and is_open:
        verdict.status = Readiness.AT_RISK
    return verdict


@dataclass(frozen=True)
class OutreachReadiness:
    program: Program
    month: datetime.date
    billable: bool
    reason: str
    days_left: int | None


def judge_outreach(
    *,
    patient: Patient,
    program: Program,
    organization_id: Any,
    month: datetime.date,
    today: datetime.date | None = None,
) -> OutreachReadiness:
    """An outreach month, judged by the enrollment issue's rules (``programs.rules``), with days left."""
    month = month_start(month)
    today = today or timezone.localdate()
    found = judge_outreach_month(patient=patient, program=program, organization_id=organization_id, month=month)
    days = (last_day(month) - max(today, month)).days + 1 if today <= last_day(month) else None
    return OutreachReadiness(program, month, found.billable, found.reason, days)
