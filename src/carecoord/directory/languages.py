"""Language names and codes for the directory: a service's languages are matched by ISO 639-1 code or by name.

Names come from Django's language table (``LANG_INFO``) and a few the table lacks; three-letter codes common in
HSDS data are read as their two-letter equivalents."""

from __future__ import annotations

import functools

from django.conf.locale import LANG_INFO

from carecoord.common.text import fold

EXTRA_NAMES = {
    "ht": "Haitian Creole",
    "zh": "Chinese",
    "yue": "Cantonese",
    "cmn": "Mandarin",
    "yi": "Yiddish",
    "tl": "Tagalog",
    "ase": "American Sign Language",
    "sm": "Samoan",
    "to": "Tongan",
    "so": "Somali",
    "ff": "Fula",
    "wo": "Wolof",
}
THREE_LETTER = {
    "eng": "en", "spa": "es", "fra": "fr", "fre": "fr", "zho": "zh", "chi": "zh", "rus": "ru", "ara": "ar",
    "ben": "bn", "hat": "ht", "kor": "ko", "ita": "it", "pol": "pl", "yid": "yi", "urd": "ur", "tgl": "tl",
    "vie": "vi", "por": "pt", "deu": "de", "ger": "de", "jpn": "ja", "hin": "hi", "fas": "fa", "per": "fa",
    "heb": "he", "grc": "el", "ell": "el", "sqi": "sq", "alb": "sq", "pan": "pa", "guj": "gu", "tam": "ta",
    "asl": "ase", "sgn": "ase",
}  # fmt: skip


@functools.cache
def _names() -> dict[str, str]:
    names = {code: str(info["name"]) for code, info in LANG_INFO.items() if "name" in info and "-" not in code}
    names.update(EXTRA_NAMES)
    return names


@functools.cache
def _codes_by_name() -> dict[str, str]:
    by_name = {fold(name): code for code, name in _names().items()}
    by_name.update({"mandarin": "cmn", "cantonese": "yue", "creole": "ht", "sign language": "ase", "farsi": "fa"})
    return by_name


@functools.cache
def _native_names() -> dict[str, str]:
    return {fold(str(info.get("name_local", ""))): code for code, info in LANG_INFO.items() if "-" not in code}


@functools.lru_cache(maxsize=512)
def language_code(text: str) -> str:
    """The code for a language given by code or by name ('es', 'spa', 'Spanish', 'español' → 'es'); '' if unknown."""
    key = fold(text)
    if not key:
        return ""
    compact = key.replace(" ", "-")
    if compact in _names():
        return compact
    if compact in THREE_LETTER:
        return THREE_LETTER[compact]
    if key.split()[0] in _names() and len(key.split()[0]) <= 3 and "-" in text:
        return key.split()[0]  # 'es-MX'
    if key in _codes_by_name():
        return _codes_by_name()[key]
    if key in _native_names():
        return _native_names()[key]
    for word in key.split():  # 'Chinese (Mandarin)' → 'zh'
        if word in _codes_by_name() and len(word) > 3:
            return _codes_by_name()[word]
    return ""


def language_name(code: str) -> str:
    """'es' → 'Spanish'; an unknown code is returned as it is."""
    return _names().get(code.lower(), code)


def language_words(name: str, code: str) -> list[str]:
    """The words a language is found by in the search index: its code(s) and its folded name words."""
    words: list[str] = []
    found = language_code(code) if code else ""
    found = found or language_code(name)
    for candidate in (found, THREE_LETTER.get(code.lower(), "") if code else "", code.lower()):
        if candidate and candidate not in words:
            words.append(candidate.replace(" ", "-"))
    for word in fold(name or language_name(found)).split():
        if word not in words:
            words.append(word)
    return words
