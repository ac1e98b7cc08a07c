"""Taxonomy terms → the SDOH need categories screening uses (assessments.scoring.sdoh domain codes), as data.

A term meets the need of the first rule whose word appears in its name, or else in its parent's, and so on up."""

from __future__ import annotations

import re

NEED_RULES: tuple[tuple[str, str], ...] = (
    ("food", "food-insecurity"),
    ("meal", "food-insecurity"),
    ("nutrition", "food-insecurity"),
    ("hunger", "food-insecurity"),
    ("utilit", "utility-insecurity"),
    ("shelter", "housing-instability"),
    ("housing", "housing-instability"),
    ("homeless", "homelessness"),
    ("transit", "transportation-insecurity"),
    ("transportation", "transportation-insecurity"),
    ("employment", "employment-status"),
    ("job", "employment-status"),
    ("work", "employment-status"),
    ("abuse", "interpersonal-safety"),
    ("violence", "interpersonal-safety"),
    ("safety", "interpersonal-safety"),
    ("money", "financial-insecurity"),
    ("financial", "financial-insecurity"),
)


def need_of(names: list[str]) -> str:
    """The need category for a term given its name and its ancestors' names (nearest first); '' when none."""
    for name in names:
        words = re.findall(r"[a-z]+", name.lower())
        for stem, need in NEED_RULES:
            if any(word.startswith(stem) for word in words):
                return need
    return ""
