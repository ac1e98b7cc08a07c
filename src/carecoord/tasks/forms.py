"""Forms for tasks: a status change with its reason, a hand-over, a comment, a new task from a chart."""

from __future__ import annotations

from typing import Any

from django import forms

from carecoord.tasks.models import Recurrence, TaskKind, TaskPriority


class StatusForm(forms.Form):
    status = forms.CharField(widget=forms.HiddenInput)
    reason = forms.CharField(
        required=False, max_length=300, label="Reason", widget=forms.TextInput(attrs={"autocomplete": "off"})
    )


class CommentForm(forms.Form):
    text = forms.CharField(label="Comment", widget=forms.Textarea(attrs={"rows": 2}))


class AssignForm(forms.Form):
    to = forms.ChoiceField(label="Give to")

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["to"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "Choose a colleague or a queue"), *choices]


class NewTaskForm(forms.Form):
    title = forms.CharField(max_length=200, label="What needs doing")
    kind = forms.ChoiceField(choices=TaskKind.choices, initial=TaskKind.FOLLOW_UP, label="Kind")
    priority = forms.ChoiceField(choices=TaskPriority.choices, initial=TaskPriority.ROUTINE, label="Priority")
    due_at = forms.DateTimeField(
        required=False, label="Due", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    recurrence = forms.ChoiceField(choices=Recurrence.choices, required=False, label="Repeats")
    description = forms.CharField(required=False, label="Details", widget=forms.Textarea(attrs={"rows": 2}))
    requires_license = forms.BooleanField(required=False, label="Needs a licensed user")
