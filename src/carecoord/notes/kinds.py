"""Note templates as data: the sections of each kind of note, with labels and help text, and its LOINC type.

A note's ``sections`` are stored as ``{section key: text}``; adding a kind is adding an entry here. LOINC types
(DocumentReference.type): 11506-3 "Progress note" for the clinical progress formats (DAP, SOAP) and 34109-9
"Note" for the others, which have no more specific LOINC document type we rely on; the template itself travels
as a second coding in ``{base}/CodeSystem/note-template``.
"""

from __future__ import annotations

from dataclasses import dataclass

PROGRESS_NOTE = ("11506-3", "Progress note")
NOTE = ("34109-9", "Note")


@dataclass(frozen=True)
class Section:
    key: str
    label: str
    help: str


@dataclass(frozen=True)
class NoteKind:
    code: str
    label: str
    loinc: tuple[str, str]
    sections: tuple[Section, ...]

    def section(self, key: str) -> Section | None:
        return next((s for s in self.sections if s.key == key), None)


KINDS: dict[str, NoteKind] = {
    kind.code: kind
    for kind in (
        NoteKind(
            "dap",
            "DAP note",
            PROGRESS_NOTE,
            (
                Section("data", "Data", "What you saw and heard: facts, the person's own words, scores."),
                Section("assessment", "Assessment", "What it means: progress toward goals, risks, needs."),
                Section("plan", "Plan", "What happens next, who does it and by when."),
            ),
        ),
        NoteKind(
            "soap",
            "SOAP note",
            PROGRESS_NOTE,
            (
                Section("subjective", "Subjective", "What the person or family reports, in their words."),
                Section("objective", "Objective", "What was observed or measured (vitals, scores, records)."),
                Section("assessment", "Assessment", "Your judgement of the situation and progress."),
                Section("plan", "Plan", "Next steps, referrals, follow-up dates."),
            ),
        ),
        NoteKind(
            "outreach",
            "Outreach note",
            NOTE,
            (
                Section("attempt", "Attempt", "How you tried to reach the person and what happened."),
                Section("engagement", "Engagement", "Interest in the program, barriers, consent discussed."),
                Section("next_steps", "Next steps", "When and how you will try again."),
            ),
        ),
        NoteKind(
            "transition",
            "Transition call",
            NOTE,
            (
                Section("discharge", "Discharge", "Where from, when, diagnoses and instructions as understood."),
                Section("medications", "Medications", "Changes, supply, understanding, reconciliation needs."),
                Section("follow_up", "Follow-up", "Appointments made, transport, services in place."),
                Section("concerns", "Concerns", "Warning signs discussed, open questions, safety."),
            ),
        ),
        NoteKind(
            "case_conference",
            "Case conference",
            NOTE,
            (
                Section("participants", "Participants", "Who took part and their roles."),
                Section("discussion", "Discussion", "Situation, what has been tried, views of each party."),
                Section("decisions", "Decisions", "What was agreed, with owners and dates."),
            ),
        ),
    )
}


def kind_of(code: str) -> NoteKind:
    return KINDS[code]


def render_text(kind: NoteKind, sections: dict[str, str]) -> str:
    """The note as plain text: each section's label on its own line followed by its text."""
    parts = [f"{s.label}:\n{sections.get(s.key, '').strip()}" for s in kind.sections if sections.get(s.key, "").strip()]
    return "\n\n".join(parts)


def parse_text(kind: NoteKind, text: str) -> dict[str, str]:
    """Sections from plain text in the form ``render_text`` writes; text before any heading goes to the first."""
    headings = {f"{s.label}:".lower(): s.key for s in kind.sections}
    found: dict[str, list[str]] = {}
    current = kind.sections[0].key
    for line in text.splitlines():
        key = headings.get(line.strip().lower())
        if key is not None:
            current = key
            continue
        found.setdefault(current, []).append(line)
    return {key: "\n".join(lines).strip() for key, lines in found.items() if "\n".join(lines).strip()}
