"""A risk score that explains itself: each component with the value found, where it came from, and its points.

Missing data, decided once for every score: a component whose input is not recorded (no hemoglobin during the
stay, a stay not yet discharged, an admission of unknown priority) has ``points=None``. The score's ``total``
then adds only the known components and is a lower bound; ``highest`` is what the total would be if every
unknown component took its maximum. ``band`` is given only when both ends fall in the same band (a LACE of 10
is high whatever is missing; a HOSPITAL of 4 with an unknown hemoglobin is not known to be low); otherwise it
is None and ``complete`` is False. Nothing unknown is ever counted as zero.

Where the absence of a record is itself the answer (no ED visit recorded in the last six months, no condition
coded for a Charlson category, no procedure recorded during the stay) the component is known, with a note
saying the count is of what is recorded.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Component:
    """One line of a score: ``value`` is the input found (days, a count, g/dL, a code), ``sources`` the records
    it came from as FHIR-style references (``Encounter/12``, ``Observation/40``)."""

    key: str
    label: str
    value: object
    points: int | None
    max_points: int
    sources: tuple[str, ...] = ()
    note: str = ""

    @property
    def known(self) -> bool:
        return self.points is not None


def points_for(value: int, table: tuple[tuple[int, int], ...]) -> int:
    """Points of ``value`` in a ``(lower bound, points)`` table ordered highest first."""
    for bound, points in table:
        if value >= bound:
            return points
    return 0


def band_for(total: int, bands: tuple[tuple[int, str], ...]) -> str:
    """The band of ``total`` in a ``(lower bound, band)`` table ordered lowest first."""
    found = bands[0][1]
    for bound, band in bands:
        if total >= bound:
            found = band
    return found


@dataclass(frozen=True)
class RiskScore:
    """A computed score for one subject (``Encounter/12`` for LACE and HOSPITAL, ``Patient/<id>`` for Charlson)."""

    name: str
    subject: str
    as_of: datetime.date
    components: tuple[Component, ...]
    bands: tuple[tuple[int, str], ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def total(self) -> int:
        """The sum of the known components: the score itself when complete, a lower bound otherwise."""
        return sum(c.points for c in self.components if c.points is not None)

    @property
    def highest(self) -> int:
        """The total if every unknown component took its maximum."""
        return self.total + sum(c.max_points for c in self.components if c.points is None)

    @property
    def complete(self) -> bool:
        return all(c.known for c in self.components)

    @property
    def band(self) -> str | None:
        """The risk band, or None when the unknown components could change it."""
        low, high = band_for(self.total, self.bands), band_for(self.highest, self.bands)
        return low if low == high else None

    @property
    def missing(self) -> tuple[str, ...]:
        """What was not found, one sentence per unknown component."""
        return tuple(f"{c.label}: {c.note}" for c in self.components if not c.known)

    def component(self, key: str) -> Component:
        return next(c for c in self.components if c.key == key)
