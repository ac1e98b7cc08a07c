"""Security labels and the notices that travel with labelled data (42 CFR Part 2, NY HIV), in FHIR terms.

A labelled record the user's organization did not make is a disclosure: it carries its labels and the
obligation code NORDSLCD (no redisclosure without the person's consent) in ``meta.security``, and the
statutory notices both as narrative (``text``, status "additional") and where the type has one, as ``note``.
The organization that made the record sees its labels without the notice.
"""

from __future__ import annotations

from html import escape
from typing import Any

from carecoord.fhir.mapping.codes import coding

V3_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
NO_REDISCLOSURE = "NORDSLCD"
LABEL_DISPLAYS = {
    "42CFRPart2": "42 CFR Part2",
    "HIV": "HIV/AIDS information sensitivity",
}


def security(labels: list[str], notices: list[str]) -> list[dict[str, str]]:
    """``meta.security`` for a record with ``labels``; NORDSLCD when it is disclosed with notices."""
    codes = [coding(V3_ACT_CODE, label, LABEL_DISPLAYS.get(label, "")) for label in sorted(set(labels))]
    if notices:
        codes.append(coding(V3_ACT_CODE, NO_REDISCLOSURE, "no redisclosure without consent directive"))
    return codes


def narrative(notices: list[str]) -> dict[str, str]:
    paragraphs = "".join(f"<p>{escape(notice)}</p>" for notice in notices)
    return {"status": "additional", "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{paragraphs}</div>'}


def label(resource: dict[str, Any], labels: list[str], notices: list[str]) -> None:
    """Add the labels (and, for a disclosure, the notices as narrative) to ``resource``."""
    if labels:
        resource.setdefault("meta", {})["security"] = security(labels, notices)
    if notices:
        resource["text"] = narrative(notices)
