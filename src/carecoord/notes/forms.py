"""Forms: starting a note (template picker), a draft's sections (built from the template), an addendum, a
supervisor's return and marking a note entered in error."""

from __future__ import annotations

from typing import Any

from django import forms

from carecoord.notes.kinds import KINDS, NoteKind
from carecoord.programs.models import Enrollment

_TEXT = {"spellcheck": "true", "rows": 5, "autocomplete": "off"}


class StartForm(forms.Form):
    kind = forms.ChoiceField(choices=[(k.code, k.label) for k in KINDS.values()], label="Template")
    enrollment = forms.ChoiceField(required=False, label="Program")
    part2 = forms.BooleanField(required=False, label="Holds substance use treatment information (42 CFR Part 2)")

    def __init__(self, *args: Any, enrollments: list[Enrollment], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["enrollment"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(str(e.pk), e.program.name) for e in enrollments] + [("", "No program")]
        if enrollments and not self.is_bound:
            self.initial.setdefault("enrollment", str(enrollments[0].pk))


class SectionsForm(forms.Form):
    """One plain-text field per section of the note's template, spell-checked in the note's language."""

    part2 = forms.BooleanField(required=False, label="Holds substance use treatment information (42 CFR Part 2)")

    def __init__(self, *args: Any, kind: NoteKind, language: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for section in kind.sections:
            self.fields[f"s_{section.key}"] = forms.CharField(
                required=False,
                label=section.label,
                help_text=section.help,
                max_length=20_000,
                widget=forms.Textarea(attrs={**_TEXT, "lang": language}),
            )
        self.order_fields([f"s_{s.key}" for s in kind.sections])

    def sections(self) -> dict[str, str]:
        return {name[2:]: value for name, value in self.cleaned_data.items() if name.startswith("s_")}


class AddendumForm(forms.Form):
    text = forms.CharField(
        label="Addendum", max_length=20_000, widget=forms.Textarea(attrs={**_TEXT, "rows": 3, "lang": "en"})
    )


class ReturnForm(forms.Form):
    comment = forms.CharField(
        label="What should the author address?", max_length=2000, widget=forms.Textarea(attrs={**_TEXT, "rows": 2})
    )


class ErrorForm(forms.Form):
    reason = forms.CharField(label="Why is this note in error?", max_length=500)
