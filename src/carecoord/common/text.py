"""Text normalisation used for matching people and names."""

from __future__ import annotations

import re
import unicodedata

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def fold(text: str) -> str:
    """Lower-case, strip accents and turn every run of punctuation or space into one space."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    stripped = stripped.replace("ß", "ss").replace("ø", "o").replace("æ", "ae").replace("ł", "l")
    return _NON_ALNUM.sub(" ", stripped.lower()).strip()


def name_tokens(*parts: str | None) -> list[str]:
    """The distinct folded words of a person's names, in order of first appearance."""
    seen: dict[str, None] = {}
    for part in parts:
        if part:
            for token in fold(part).split():
                seen.setdefault(token, None)
    return list(seen)


def digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())
