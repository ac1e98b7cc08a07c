"""Facts about an inpatient stay that LACE and HOSPITAL share: length of stay, how acute the admission was, the
ED visit that led to it, and earlier encounters in a look-back window."""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass

from django.utils import timezone

from carecoord.clinical.models import Encounter
from carecoord.clinical.queries import encounters_starting
from carecoord.clinical.risk import tables
from carecoord.common.errors import DomainError


def reference(encounter: Encounter) -> str:
    return f"Encounter/{encounter.pk}"


def require_inpatient(encounter: Encounter, score: str) -> None:
    if encounter.encounter_class not in tables.INPATIENT_CLASSES:
        raise DomainError(
            f"{score} is computed for an inpatient stay, not a {encounter.get_encounter_class_display().lower()} "
            "encounter.",
            code="not-inpatient",
        )


def months_before(moment: datetime.datetime, months: int) -> datetime.datetime:
    """The same time ``months`` calendar months earlier (the 31st falls back to the month's last day)."""
    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def length_of_stay(encounter: Encounter, *, inclusive: bool) -> int | None:
    """Days from the admission date to the discharge date in local time (+1 when ``inclusive``); None before
    discharge."""
    if encounter.period_end is None:
        return None
    admitted = timezone.localtime(encounter.period_start).date()
    discharged = timezone.localtime(encounter.period_end).date()
    return (discharged - admitted).days + (1 if inclusive else 0)


def los_note(inclusive: bool) -> str:
    return (
        "Days counted from the admission date to the discharge date, both included."
        if inclusive
        else "Discharge date minus admission date."
    )


def leading_ed_visit(encounter: Encounter) -> Encounter | None:
    """The ED visit that led to this admission: the latest one that ended (or began, if it has no end) within
    ``ED_LEADS_TO_ADMISSION_HOURS`` before the admission."""
    window = datetime.timedelta(hours=tables.ED_LEADS_TO_ADMISSION_HOURS)
    start = encounter.period_start
    candidates = encounters_starting(
        encounter.patient_id, classes=tables.ED_CLASSES, start=start - window * 3, end=start + datetime.timedelta(0, 1)
    ).exclude(pk=encounter.pk)
    for visit in candidates:  # newest first
        if (visit.period_end or visit.period_start) >= start - window:
            return visit
    return None


@dataclass(frozen=True)
class Acuity:
    """Whether the admission was acute (emergent/urgent, or through the ED); None when nothing says."""

    acute: bool | None
    value: str
    sources: tuple[str, ...]
    note: str


def acuity(encounter: Encounter, leading: Encounter | None) -> Acuity:
    if encounter.admit_source in tables.ACUTE_ADMIT_SOURCES:
        return Acuity(True, f"admit source {encounter.admit_source}", (reference(encounter),), "Admitted via the ED.")
    if encounter.priority in tables.ACUTE_PRIORITIES:
        return Acuity(
            True, f"priority {encounter.priority}", (reference(encounter),), f"{encounter.get_priority_display()}."
        )
    if encounter.priority in tables.PLANNED_PRIORITIES:
        return Acuity(
            False, f"priority {encounter.priority}", (reference(encounter),), f"{encounter.get_priority_display()}."
        )
    if leading is not None:
        return Acuity(
            True,
            "ED visit before admission",
            (reference(encounter), reference(leading)),
            "Priority not recorded; an ED visit led to the admission.",
        )
    return Acuity(None, "", (reference(encounter),), "Admission priority and source not recorded.")


def prior_encounters(
    encounter: Encounter, *, classes: frozenset[str], months: int, exclude: Encounter | None = None
) -> list[Encounter]:
    """Real encounters of ``classes`` that began in the ``months`` before the admission (not this stay, nor
    ``exclude``)."""
    start = months_before(encounter.period_start, months)
    rows = encounters_starting(encounter.patient_id, classes=classes, start=start, end=encounter.period_start)
    excluded = {encounter.pk} | ({exclude.pk} if exclude is not None else set())
    return [row for row in rows if row.pk not in excluded]
