"""A transition as the pages show it: each step with its due day (counted in business days where TCM counts
them), what was done, what is overdue, the TCM code in words and the FUH rates. Reads only what the caller has
already fetched through ``access``."""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass

from django.utils import timezone

from carecoord.transitions import measures, queries
from carecoord.transitions.calendar import BusinessCalendar
from carecoord.transitions.models import Transition, TransitionContact
from carecoord.transitions.rules import current_rules
from carecoord.web.templatetags.carecoord import day


@dataclass(frozen=True)
class Step:
    key: str
    label: str
    state: str  # done, due, overdue, missed, waiting, excluded (FUH does not count the discharge)
    words: str
    due: datetime.date | None = None

    @property
    def badge(self) -> tuple[str, str, str]:
        """(class, icon, text): the state never shown by colour alone."""
        return {
            "done": ("ok", "✓", "Done"),
            "due": ("accent", "◷", "Due"),
            "overdue": ("danger", "⚠", "Overdue"),
            "missed": ("danger", "✗", "Missed"),
            "waiting": ("", "○", "Not yet"),
            "excluded": ("", "-", "Not counted"),
        }[self.state]


@dataclass
class Summary:
    """``tcm`` is judged when first read (with the person's other discharges: one statement), so lists that show
    only the steps do not pay for it."""

    transition: Transition
    steps: tuple[Step, ...]
    fuh: tuple[measures.FuhRate, ...]
    contacts: tuple[TransitionContact, ...]
    today: datetime.date
    fuh_standing: measures.FuhStanding

    @functools.cached_property
    def tcm(self) -> measures.TcmVerdict:
        return queries.tcm_verdicts_for([self.transition], today=self.today)[self.transition.pk]

    @property
    def overdue(self) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.state in ("overdue", "missed"))

    @property
    def next_due(self) -> Step | None:
        waiting = [s for s in self.steps if s.state in ("due", "overdue") and s.due is not None]
        return min(waiting, key=lambda s: s.due or datetime.date.max) if waiting else None


def business_words(calendar: BusinessCalendar, due: datetime.date, today: datetime.date) -> str:
    """'today', 'in 2 business days', '1 business day late'."""
    if due == today:
        return "today"
    count = calendar.business_days_between(today, due)
    if due > today:
        return f"in {count} business day{'' if count == 1 else 's'}" if count else "on the next business day"
    late = -count
    return f"{late} business day{'' if late == 1 else 's'} late" if late else "overdue"


def calendar_words(due: datetime.date, today: datetime.date) -> str:
    delta = (due - today).days
    if delta == 0:
        return "today"
    if delta > 0:
        return f"in {delta} day{'' if delta == 1 else 's'}"
    return f"{-delta} day{'' if delta == -1 else 's'} late"


def _state(done: bool, due: datetime.date | None, today: datetime.date) -> str:
    if done:
        return "done"
    if due is None:
        return "waiting"
    return "overdue" if due < today else "due"


def summarize(transition: Transition, *, today: datetime.date | None = None) -> Summary:
    today = today or timezone.localdate()
    calendar = current_rules().calendar
    contacts = tuple(transition.contacts.all())
    closed = not transition.is_open
    steps = []

    attempts = sum(1 for c in contacts if not c.successful)
    if transition.contact_met_on is not None:
        how = "two documented attempts" if transition.contact_by_attempts else "interactive contact"
        contact_words = f"Met on {day(transition.contact_met_on)} ({how})."
    else:
        tried = f" {attempts} attempt{'' if attempts == 1 else 's'} so far." if attempts else ""
        contact_words = (
            f"Due by {day(transition.contact_due)} ({business_words(calendar, transition.contact_due, today)})." + tried
        )
    steps.append(
        Step(
            "contact",
            "Interactive contact within 2 business days",
            _state(transition.contact_met_on is not None or closed, transition.contact_due, today),
            contact_words,
            transition.contact_due,
        )
    )

    medrec_due = transition.visit_on or transition.visit_due
    if transition.medication_reconciled_on is not None:
        late = transition.visit_on is not None and transition.medication_reconciled_on > transition.visit_on
        medrec_words = f"Done on {day(transition.medication_reconciled_on)}" + (", after the visit." if late else ".")
    else:
        medrec_words = f"No later than the visit; by {day(medrec_due)} ({calendar_words(medrec_due, today)})."
    steps.append(
        Step(
            "medrec",
            "Medication reconciliation (licensed)",
            _state(transition.medication_reconciled_on is not None or closed, medrec_due, today),
            medrec_words,
            medrec_due,
        )
    )

    days = (transition.visit_due - transition.discharge_date).days
    if transition.visit_on is not None:
        visit_words = (
            f"Seen on {day(transition.visit_on)}, day {(transition.visit_on - transition.discharge_date).days}."
        )
    else:
        visit_words = (
            f"Within {days} days: by {day(transition.visit_due)} ({calendar_words(transition.visit_due, today)})."
        )
    steps.append(
        Step(
            "visit",
            "Face-to-face follow-up visit",
            _state(transition.visit_on is not None or closed, transition.visit_due, today),
            visit_words,
            transition.visit_due,
        )
    )

    steps.append(
        Step(
            "complexity",
            "Decision complexity (licensed)",
            "done" if transition.decision_complexity else "waiting",
            transition.get_decision_complexity_display()
            if transition.decision_complexity
            else "Not recorded yet: a licensed clinician records it.",
        )
    )

    fuh: tuple[measures.FuhRate, ...] = ()
    standing = queries.fuh_standing_for(transition) if transition.mental_health else measures.FuhStanding("none")
    if transition.mental_health and not standing.counted:
        steps.append(Step("fuh", "Mental health follow-up (FUH)", "excluded", standing.words))
    elif transition.mental_health:
        follow_ups = [transition.fuh_follow_up_on] if transition.fuh_follow_up_on else []
        fuh = measures.fuh_rates(discharge_date=transition.discharge_date, follow_ups=follow_ups, today=today)
        for rate in fuh:
            state = {"met": "done", "missed": "missed", "pending": "due"}[rate.state]
            steps.append(
                Step(
                    f"fuh{rate.days}",
                    f"Mental health follow-up within {rate.days} days (FUH)",
                    state,
                    rate.words[0].upper() + rate.words[1:] + ".",
                    rate.due,
                )
            )

    return Summary(
        transition=transition, steps=tuple(steps), fuh=fuh, contacts=contacts, today=today, fuh_standing=standing
    )


def overdue_first(summaries: list[Summary]) -> list[Summary]:
    """Overdue first, then the newest discharge first."""
    return sorted(summaries, key=lambda s: (not s.overdue, -s.transition.discharge_date.toordinal(), -s.transition.pk))
