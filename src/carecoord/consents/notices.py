"""Statements that must travel with sensitive data when it is disclosed.

- 42 CFR §2.32: a notice (and a copy or explanation of the consent) accompanies each disclosure made with the
  patient's consent (STANDARDS.md E.2).
- NY Public Health Law §2782(5) / 10 NYCRR 63.5: written disclosures of confidential HIV information carry the
  statutory redisclosure prohibition (STANDARDS.md E.3).
"""

from __future__ import annotations

from collections.abc import Iterable

from carecoord.consents.models import SecurityLabel

PART2_NOTICE = (
    "This record, disclosed to you with the patient's consent, is protected by federal confidentiality rules "
    "(42 CFR part 2). These rules prohibit using or disclosing it, or testimony describing its contents, in any "
    "civil, criminal, administrative or legislative proceeding against the patient unless the patient consents "
    "in writing or a court orders it under 42 CFR 2.64 or 2.65. Any other use or disclosure is allowed only as "
    "42 CFR part 2 and the patient's consent permit; a general medical release is not enough."
)

HIV_NOTICE = (
    "This information has been disclosed to you from confidential records which are protected by state law. "
    "State law prohibits you from making any further disclosure of this information without the specific "
    "written consent of the person to whom it pertains, or as otherwise permitted by law. Any unauthorized "
    "further disclosure in violation of state law may result in a fine or jail sentence or both. A general "
    "authorization for the release of medical or other information is NOT sufficient authorization for the "
    "release of further information."
)

_NOTICES = {SecurityLabel.PART_2.value: PART2_NOTICE, SecurityLabel.HIV.value: HIV_NOTICE}


def notices_for(labels: Iterable[str]) -> list[str]:
    """The statements to show or send with data carrying ``labels``, in a stable order."""
    return [_NOTICES[label] for label in sorted(set(labels)) if label in _NOTICES]
