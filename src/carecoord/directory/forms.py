"""The directory search form: what a care manager types, read into a ``search.ServiceQuery``."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone

from carecoord.directory.geo import GeoPoint, normalize_zip, zip_point
from carecoord.directory.search import NEED_LABELS, ServiceQuery

PAGE_SIZE = 25
WHEN_CHOICES = [
    ("", "Any time"),
    ("now", "Open now"),
    *((str(day), f"Open on {name}") for day, name in enumerate(
        ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"), start=1)),
]  # fmt: skip
FIELDS = ("q", "need", "zip", "radius", "when", "language", "age", "residence", "free")


def _zip_field(label: str, help_text: str) -> forms.CharField:
    return forms.CharField(
        required=False,
        max_length=10,
        label=label,
        help_text=help_text,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code", "size": 7}),
    )


class DirectorySearchForm(forms.Form):
    q = forms.CharField(
        required=False,
        max_length=200,
        label="Search",
        widget=forms.TextInput(
            attrs={"type": "search", "autocomplete": "off", "spellcheck": "false", "placeholder": "e.g. food pantry"}
        ),
    )
    need = forms.ChoiceField(
        required=False,
        label="Need",
        choices=[("", "Any need"), *sorted(NEED_LABELS.items(), key=lambda item: item[1])],
    )
    zip = _zip_field("Near ZIP code", "Distance is measured from the ZIP code's centre.")
    radius = forms.FloatField(
        required=False,
        min_value=0.1,
        max_value=500,
        label="Within (km)",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "any distance", "size": 6}),
    )
    when = forms.ChoiceField(required=False, choices=WHEN_CHOICES, label="Open")
    language = forms.CharField(
        required=False,
        max_length=60,
        label="Language",
        widget=forms.TextInput(attrs={"placeholder": "e.g. Spanish", "autocomplete": "off"}),
    )
    age = forms.IntegerField(
        required=False, min_value=0, max_value=130, label="Age", widget=forms.NumberInput(attrs={"size": 4})
    )
    residence = _zip_field("Lives in ZIP", "Only services whose area covers this ZIP (or that name no area).")
    free = forms.BooleanField(required=False, label="Free only")
    page = forms.IntegerField(required=False, min_value=1, max_value=1000, widget=forms.HiddenInput)

    def clean_zip(self) -> str:
        return self._known_zip("zip")

    def clean_residence(self) -> str:
        value = str(self.cleaned_data.get("residence") or "").strip()
        if value and not normalize_zip(value):
            raise forms.ValidationError("Enter a five-digit ZIP code.")
        return normalize_zip(value)

    def _known_zip(self, name: str) -> str:
        value = str(self.cleaned_data.get(name) or "").strip()
        if not value:
            return ""
        if not normalize_zip(value):
            raise forms.ValidationError("Enter a five-digit ZIP code.")
        if zip_point(value) is None:
            raise forms.ValidationError(f"ZIP code {normalize_zip(value)} is not one we know.")
        return normalize_zip(value)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("radius") is not None and not cleaned.get("zip") and "zip" not in self.errors:
            self.add_error("zip", "Give a ZIP code to search within a distance.")
        return cleaned

    def has_criteria(self) -> bool:
        data = self.cleaned_data
        return any(data.get(name) not in (None, "", False) for name in FIELDS)

    def to_query(self, *, now: datetime.datetime | None = None) -> ServiceQuery:
        data = self.cleaned_data
        near: GeoPoint | None = zip_point(data["zip"]) if data.get("zip") else None
        when = data.get("when") or ""
        page = data.get("page") or 1
        return ServiceQuery(
            text=data.get("q") or "",
            needs=(data["need"],) if data.get("need") else (),
            near=near,
            radius_km=data.get("radius") if near is not None else None,
            open_at=(now or timezone.now()) if when == "now" else None,
            open_on=int(when) if when.isdigit() else None,
            language=data.get("language") or "",
            age=data.get("age"),
            residence_zip=data.get("residence") or "",
            free_only=bool(data.get("free")),
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
        )
