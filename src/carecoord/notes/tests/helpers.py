"""Builders for the notes tests: enrolled people and notes written and signed through the actions."""

from __future__ import annotations

import datetime

from carecoord.accounts.models import User
from carecoord.notes.actions import sign_note, start_note
from carecoord.notes.models import ProgressNote
from carecoord.patients.models import Patient
from carecoord.programs.models import Enrollment


def signed(
    by: User,
    patient: Patient,
    *,
    kind: str = "dap",
    enrollment: Enrollment | None = None,
    event_at: datetime.datetime | None = None,
    part2: bool = False,
    text: str = "Talked about the new inhaler.",
) -> ProgressNote:
    note = start_note(
        patient=patient,
        kind=kind,
        by=by,
        enrollment=enrollment,
        event_at=event_at,
        part2=part2,
        sections={next(iter(_first_section(kind))): text},
    )
    return sign_note(note=note, by=by)


def _first_section(kind: str) -> list[str]:
    from carecoord.notes.kinds import KINDS

    return [KINDS[kind].sections[0].key]
