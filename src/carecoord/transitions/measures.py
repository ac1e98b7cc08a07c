"""What a transition's dates mean: does the discharge qualify, which TCM code the recorded care supports, and
whether the FUH follow-up was met. Pure functions of dates and codes (no database), so they are tested as
tables.

TCM (STANDARDS.md B.3): 99496 needs an interactive contact within 2 business days, high-complexity decision
making and the face-to-face visit within 7 calendar days; 99495 the same contact, at least moderate complexity
and the visit within 14 days (high complexity with the visit on days 8-14 bills 99495). Two documented,
timely, unsuccessful attempts stand for the contact. Medication reconciliation is due no later than the visit.
A visit day is counted as the visit date minus the discharge date ([R]: "within 7 days" read as on or before
the 7th day after the discharge date).

Only one TCM per person within 30 days of a discharge (B.3; the period is the discharge date and the next 29
days): ``tcm_verdicts`` judges a person's discharges in order, and a discharge inside the period of an earlier
one whose TCM can be billed gets no second TCM, with the reason. Whose discharge it was (which organization or
practitioner) does not matter: one practitioner bills it.

FUH (D.5): after a discharge with a principal diagnosis of mental illness or intentional self-harm, a
follow-up with a mental health provider within 7 and within 30 days; a visit on the discharge date does not
count. Which codes are "mental illness" is NCQA's value set, which we do not have: ``FUH_MENTAL_ILLNESS`` is
our reading of it [R]. ``fuh_standing`` applies D.5's exclusions and its readmission rule: a discharge is not
counted when the person died or was in hospice care, or was readmitted (or directly transferred) to nonacute
inpatient care within 30 days; a readmission or direct transfer to acute inpatient care for mental health in
those 30 days moves the count to that later discharge. D.5 is silent on an acute readmission for anything else:
the discharge stays counted [R].
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from carecoord.clinical.models import DischargeDisposition, EncounterClass
from carecoord.transitions.rules import ATTEMPTS_THAT_COUNT, FUH_WINDOWS, TCM_PERIOD_DAYS

# Stays whose discharge to the community starts TCM ([V-3p] B.3: inpatient acute, psychiatric, rehabilitation,
# LTCH, SNF, observation, partial hospitalization). The feed gives inpatient and observation classes.
QUALIFYING_CLASSES = frozenset({EncounterClass.INPATIENT, EncounterClass.OBSERVATION})
# Where the person goes: a community setting qualifies. An unknown disposition (hospitals often leave PV1-36
# empty) and "left against advice" (the person went home) are treated as community [R].
COMMUNITY_DISPOSITIONS = frozenset(
    {DischargeDisposition.HOME, DischargeDisposition.ALTERNATIVE_HOME, DischargeDisposition.LEFT_AGAINST_ADVICE, ""}
)

# [R] FUH "mental illness": ICD-10-CM F20-F48 and F50-F99 (not the organic disorders F01-F09, nor substance
# use F10-F19, which FUA follows); "intentional self-harm": X71-X83, T14.91, and poisonings or asphyxiation
# whose 6th character is 2 (T36-T65, T71).
_MENTAL_ILLNESS = re.compile(r"^F(2\d|3\d|4[0-8]|5\d|6\d|7\d|8\d|9\d)")
_SELF_HARM = re.compile(r"^(X7[1-9]|X8[0-3]|T14\.?91|T(3[6-9]|[45]\d|6[0-5]|71)\.?\d{2}2)")

COMPLEXITY_ORDER = ("straightforward", "low", "moderate", "high")


def qualifies_for_tcm(encounter_class: str, disposition: str) -> tuple[bool, str]:
    """Whether a discharge starts a transition, and why not."""
    if encounter_class not in QUALIFYING_CLASSES:
        return False, "Only inpatient and observation stays start a transition."
    if disposition not in COMMUNITY_DISPOSITIONS:
        return False, "The person was not discharged to the community."
    return True, ""


def is_fuh_diagnosis(code: str) -> bool:
    """A principal diagnosis that puts the discharge in FUH's denominator [R]."""
    normalized = code.strip().upper()
    return bool(_MENTAL_ILLNESS.match(normalized) or _SELF_HARM.match(normalized))


def principal_diagnosis(diagnoses: Sequence[dict[str, str]]) -> dict[str, str] | None:
    """The principal diagnosis among DG1 entries as sent: the first final one (DG1-6 = F), else the first [R]."""
    coded = [d for d in diagnoses if d.get("code")]
    final = [d for d in coded if (d.get("type") or "").upper() == "F"]
    chosen = final or coded
    return chosen[0] if chosen else None


# TCM -------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContactOutcome:
    """The interactive contact requirement: met (on which day, and whether by attempts), or not yet / missed."""

    met_on: datetime.date | None
    by_attempts: bool = False


def contact_outcome(
    attempts: Iterable[tuple[datetime.date, bool]], *, due: datetime.date, discharge_date: datetime.date
) -> ContactOutcome:
    """From (date, successful) pairs: the first successful contact by ``due``, else the day of the second
    unsuccessful attempt by ``due``. Contacts before the discharge date do not count."""
    timely = sorted((day, ok) for day, ok in attempts if discharge_date <= day <= due)
    for day, ok in timely:
        if ok:
            return ContactOutcome(day)
    failed = [day for day, ok in timely if not ok]
    if len(failed) >= ATTEMPTS_THAT_COUNT:
        return ContactOutcome(failed[ATTEMPTS_THAT_COUNT - 1], by_attempts=True)
    return ContactOutcome(None)


@dataclass(frozen=True)
class TcmVerdict:
    """``code``: what the recorded care supports now; ``possible``: codes still within reach; ``words``: the
    sentence the chart shows; ``problems``: why a code is out of reach; ``still_needed``: what must still be
    recorded for a code within reach."""

    code: str | None
    possible: tuple[str, ...]
    words: str
    problems: tuple[str, ...]
    still_needed: tuple[str, ...] = ()


def _day(value: datetime.date) -> str:
    return value.strftime("%a %-d %b")


def _last_day(discharge_date: datetime.date, days: int) -> datetime.date:
    return discharge_date + datetime.timedelta(days=days)


def tcm_verdict(
    *,
    discharge_date: datetime.date,
    contact_due: datetime.date,
    contact: ContactOutcome,
    medication_reconciled_on: datetime.date | None,
    visit_on: datetime.date | None,
    complexity: str,
    today: datetime.date,
) -> TcmVerdict:
    problems: list[str] = []
    contact_missed = contact.met_on is None and today > contact_due
    if contact_missed:
        problems.append(f"No interactive contact (or two documented attempts) by {_day(contact_due)}.")
    medrec_late = visit_on is not None and (medication_reconciled_on is None or medication_reconciled_on > visit_on)
    if medrec_late:
        problems.append("Medication reconciliation was not done by the day of the visit.")
    if complexity in ("straightforward", "low"):
        problems.append(f"Decision making of {complexity} complexity: TCM needs at least moderate.")
    windows = {"99496": 7, "99495": 14}
    reachable: list[str] = []
    met: list[str] = []
    for candidate, days in windows.items():
        last = _last_day(discharge_date, days)
        complexity_ok = complexity in (("high",) if candidate == "99496" else ("moderate", "high"))
        complexity_open = complexity == "" or complexity_ok
        if visit_on is not None:
            visit_ok = visit_on <= last
            visit_open = visit_ok
        else:
            visit_ok, visit_open = False, today <= last
        if contact_missed or medrec_late or not complexity_open or not visit_open:
            continue
        reachable.append(candidate)
        if contact.met_on is not None and complexity_ok and visit_ok and medication_reconciled_on is not None:
            met.append(candidate)
    if visit_on is not None and visit_on > discharge_date + datetime.timedelta(days=14):
        problems.append(f"The visit on {_day(visit_on)} was more than 14 days after the discharge.")
    elif visit_on is None and today > discharge_date + datetime.timedelta(days=14):
        problems.append("No face-to-face visit within 14 days of the discharge.")
    code = met[0] if met else None
    needed: list[str] = []
    if code is None and reachable:
        if contact.met_on is None:
            needed.append(f"an interactive contact (or two documented attempts) by {_day(contact_due)}")
        if complexity == "":
            needed.append("the decision complexity, recorded by a licensed clinician")
        if medication_reconciled_on is None:
            needed.append("medication reconciliation no later than the visit")
    if code is not None:
        assert visit_on is not None
        words = f"{code} can be billed (visit on {_day(visit_on)})."
    elif reachable and visit_on is None:
        by_code = [
            f"{c} possible if the visit happens by {_day(_last_day(discharge_date, windows[c]))}" for c in reachable
        ]
        words = "; ".join(by_code) + "."
    elif reachable:
        words = f"{' or '.join(reachable)} possible once the rest is recorded."
    else:
        words = "Not billable as TCM: " + " ".join(problems)
    return TcmVerdict(
        code=code, possible=tuple(reachable), words=words, problems=tuple(problems), still_needed=tuple(needed)
    )


@dataclass(frozen=True)
class TcmStay:
    """What the TCM verdict reads of one discharge."""

    discharge_date: datetime.date
    contact_due: datetime.date
    contact: ContactOutcome
    medication_reconciled_on: datetime.date | None
    visit_on: datetime.date | None
    complexity: str


def tcm_period_end(discharge_date: datetime.date) -> datetime.date:
    """The last day of the TCM period: the discharge date and the next 29 days (B.3)."""
    return discharge_date + datetime.timedelta(days=TCM_PERIOD_DAYS - 1)


def tcm_verdicts(stays: Sequence[TcmStay], *, today: datetime.date) -> list[TcmVerdict]:
    """One person's discharges judged together, in the order given back: TCM once per person within 30 days of a
    discharge. A discharge within the period of an earlier discharge whose TCM can be billed gets none."""
    order = sorted(range(len(stays)), key=lambda i: stays[i].discharge_date)
    verdicts: dict[int, TcmVerdict] = {}
    billed_on: datetime.date | None = None
    for index in order:
        stay = stays[index]
        if billed_on is not None and billed_on <= stay.discharge_date <= tcm_period_end(billed_on):
            problem = (
                f"TCM is already billable for the discharge on {_day(billed_on)}: one TCM per person within 30 days"
                f" of a discharge (that period ends {_day(tcm_period_end(billed_on))})."
            )
            verdicts[index] = TcmVerdict(
                code=None, possible=(), words="Not billable as TCM: " + problem, problems=(problem,)
            )
            continue
        verdict = tcm_verdict(
            discharge_date=stay.discharge_date,
            contact_due=stay.contact_due,
            contact=stay.contact,
            medication_reconciled_on=stay.medication_reconciled_on,
            visit_on=stay.visit_on,
            complexity=stay.complexity,
            today=today,
        )
        if verdict.code is not None:
            billed_on = stay.discharge_date
        verdicts[index] = verdict
    return [verdicts[i] for i in range(len(stays))]


# FUH -------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FuhRate:
    days: int
    due: datetime.date
    met_on: datetime.date | None
    state: str  # "met", "missed" or "pending"

    @property
    def words(self) -> str:
        if self.state == "met":
            assert self.met_on is not None
            return f"{self.days}-day follow-up met on {_day(self.met_on)}"
        if self.state == "missed":
            return f"{self.days}-day follow-up missed (was due by {_day(self.due)})"
        return f"{self.days}-day follow-up due by {_day(self.due)}"


def fuh_rates(
    *, discharge_date: datetime.date, follow_ups: Iterable[datetime.date], today: datetime.date
) -> tuple[FuhRate, ...]:
    """The 7- and 30-day rates from the dates of mental health follow-up visits (the discharge day excluded)."""
    counted = sorted(day for day in follow_ups if day > discharge_date)
    rates = []
    for days in FUH_WINDOWS:
        due = discharge_date + datetime.timedelta(days=days)
        met_on = next((day for day in counted if day <= due), None)
        state = "met" if met_on is not None else ("missed" if today > due else "pending")
        rates.append(FuhRate(days=days, due=due, met_on=met_on, state=state))
    return tuple(rates)


@dataclass(frozen=True)
class LaterStay:
    """An inpatient stay of the same person that began on or after a discharge: ``acute`` is false for
    nonacute inpatient care (rehabilitation, skilled nursing, long-term care, hospice); ``mental_health`` when
    its principal diagnosis puts it in FUH's denominator."""

    admitted_on: datetime.date
    acute: bool
    mental_health: bool


@dataclass(frozen=True)
class FuhStanding:
    """Whether a discharge counts for FUH: ``counted``, ``excluded`` (D.5's exclusions) or ``replaced`` (a mental
    health readmission within 30 days: the later discharge counts instead); ``words`` says why not."""

    state: str
    words: str = ""

    @property
    def counted(self) -> bool:
        return self.state == "counted"


def fuh_standing(
    *,
    discharge_date: datetime.date,
    later_stays: Iterable[LaterStay],
    died_on: datetime.date | None = None,
    hospice_on: datetime.date | None = None,
) -> FuhStanding:
    """D.5's exclusions and readmission rule for one FUH discharge. ``hospice_on``: a day in hospice care in the
    measurement year; ``died_on``: the date of death, if any."""
    if died_on is not None:
        return FuhStanding("excluded", f"The person died on {_day(died_on)}: FUH does not count the discharge.")
    if hospice_on is not None:
        return FuhStanding("excluded", f"Hospice care on {_day(hospice_on)}: FUH does not count the discharge.")
    last = discharge_date + datetime.timedelta(days=max(FUH_WINDOWS))
    for stay in sorted(later_stays, key=lambda s: s.admitted_on):
        if not discharge_date <= stay.admitted_on <= last:
            continue
        if not stay.acute:
            return FuhStanding(
                "excluded",
                f"Readmitted to nonacute inpatient care on {_day(stay.admitted_on)}, within 30 days: FUH does not "
                "count the discharge.",
            )
        if stay.mental_health:
            return FuhStanding(
                "replaced",
                f"Readmitted for mental health on {_day(stay.admitted_on)}, within 30 days: FUH counts the later "
                "discharge instead.",
            )
    return FuhStanding("counted")
