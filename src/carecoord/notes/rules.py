"""Which notes must be co-signed, and when a note is a late entry ([R]: settings, with shipped defaults).

``NOTES_RULES`` (a Django setting, optional) is merged over ``SHIPPED``:

- ``late_entry_hours``: a note signed more than this many hours after its contact or event is a late entry;
- ``cosign``: by program code, ``"all"`` (every note made under the program) or ``"unlicensed"`` (notes by
  authors without a current license). Shipped: Health Home Plus (SMI, HIV) all notes; complex care notes by
  unlicensed staff. A program not listed needs no co-signature.
"""

from __future__ import annotations

import copy
from typing import Any

from django.conf import settings

from carecoord.accounts.models import User
from carecoord.accounts.permissions import has_current_license

ALL = "all"
UNLICENSED = "unlicensed"

SHIPPED: dict[str, Any] = {
    "late_entry_hours": 24,
    "cosign": {"ny-hh-plus-smi": ALL, "ny-hh-plus-hiv": ALL, "complex-care": UNLICENSED},
}


def rules() -> dict[str, Any]:
    merged = copy.deepcopy(SHIPPED)
    override: dict[str, Any] = getattr(settings, "NOTES_RULES", None) or {}
    for key, value in override.items():
        if key == "cosign":
            merged["cosign"].update(value)
        else:
            merged[key] = value
    return merged


def needs_cosign(program_code: str | None, author: User) -> bool:
    if not program_code:
        return False
    rule = rules()["cosign"].get(program_code)
    if rule == ALL:
        return True
    return rule == UNLICENSED and not has_current_license(author)
