"""The billing readiness rules as data, with the shipped values from STANDARDS.md A.3-A.4 and B.1-B.3.

Every value marked ``# [R]`` is unverified in STANDARDS.md (or a choice of ours where the sources conflict):
it is a default, not law. A deployment overrides any of it with the Django setting ``CONTACTS_BILLING_RULES``
(a dict merged over ``SHIPPED``; ``programs`` entries merge per program code), e.g. to cap 99437 at one unit.

Program kinds:

- ``health_home``: an enrolled month is billable with at least ``min_core_services`` core services delivered
  (A.4); the rate is the enrolled-month rate at the enrollment's acuity tier.
- ``health_home_plus``: the HH+ rate needs ``min_core_services`` core services, ``min_in_person`` of them in
  person and ``min_in_person_with_care_manager`` of those by the care manager (A.3); otherwise, with at least
  ``fallback_min_core_services``, the ordinary High Risk/High Need rate.
- ``time``: Medicare time-based codes in families (B.1, B.2). The first family (in order) whose acuity
  condition holds and whose base threshold is met is billed: one family per month (B.1 mutual exclusivity).
  ``staff`` says whose minutes count: ``practitioner`` (billing practitioner's own time) or ``clinical``
  (clinical staff under general supervision; which staff types count is ``clinical_staff_types``).
- ``tcm``: judged from the transitions workflow (discharges in the month: contact, medication reconciliation,
  visit and decision complexity; ``transitions.measures.tcm_verdict``).

For Health Home kinds, ``None`` in ``min_core_services`` / ``min_in_person`` means "the program's own monthly
minimum" (``Program.min_core_services_per_month`` / ``min_in_person_per_month``, editable by an org admin,
shipped from STANDARDS.md by ``programs/catalog.py``). ``consent_forms`` ``None`` means the program's
``required_consents``.
"""

from __future__ import annotations

import copy
from typing import Any

from django.conf import settings

_HH: dict[str, Any] = {
    "kind": "health_home",
    "min_core_services": None,  # the program's minimum: 1 (A.4)
    "consent_forms": None,  # the program's: DOH-5055 (DOH-5201 for children)
    "consent_lists_organization": True,
    "rate": "Health Home enrolled month",
}

_HH_PLUS: dict[str, Any] = {
    "kind": "health_home_plus",
    "min_core_services": None,  # the program's: 4 (A.3)
    "min_in_person": None,  # the program's: 2 (A.3)
    "min_in_person_with_care_manager": 0,
    "aot_min_in_person": 4,  # A.3; not applied: enrollments carry no AOT flag yet
    "fallback_min_core_services": 1,  # A.3: otherwise the HH High Risk/High Need rate
    "consent_forms": None,
    "consent_lists_organization": True,
    "rate": "Health Home Plus",
    "fallback_rate": "Health Home High Risk/High Need",
}

SHIPPED: dict[str, Any] = {
    "late_entry_hours": 24,  # [R] a contact recorded this long after it happened is a late entry
    "counted_outcomes": ["reached", "completed"],  # [R] outcomes whose core services were delivered
    "practitioner_license_types": ["MD", "NP", "PA"],  # [R] B.1 lists CNM and CNS too; not license types here
    "clinical_staff_types": ["clinical", "practitioner"],  # [R] practitioner time counts as clinical staff time
    "programs": {
        "ny-hh-adult": dict(_HH),
        "ny-hhsc": dict(_HH),
        "ny-hh-plus-smi": dict(_HH_PLUS),
        "ny-hh-plus-hiv": {**_HH_PLUS, "min_in_person_with_care_manager": 1},
        "medicare-ccm": {
            "kind": "time",
            "consent_forms": ["CCM-VERBAL"],  # B.1: consent documented before starting
            "consent_lists_organization": False,
            "families": [
                {
                    "name": "Complex CCM",
                    "acuity": ["complex"],
                    "staff": "clinical",
                    "base": {"code": "99487", "minutes": 60},
                    # [R] B.1: 85 minutes or 90 for the first unit (we use the full increment, 90)
                    "addon": {"code": "99489", "minutes": 30, "max_units": None},
                },
                {
                    "name": "CCM by the billing practitioner",
                    "staff": "practitioner",
                    "base": {"code": "99491", "minutes": 30},
                    "addon": {"code": "99437", "minutes": 30, "max_units": None},  # [R] unit cap conflicts
                },
                {
                    "name": "CCM",
                    "staff": "clinical",
                    "base": {"code": "99490", "minutes": 20},
                    "addon": {"code": "99439", "minutes": 20, "max_units": 2},  # [R] CMS cap wording
                },
            ],
        },
        "medicare-pcm": {
            "kind": "time",
            "consent_forms": ["CCM-VERBAL"],  # B.2: consent documented
            "consent_lists_organization": False,
            "families": [
                {
                    "name": "PCM by the billing practitioner",
                    "staff": "practitioner",
                    "base": {"code": "99424", "minutes": 30},
                    "addon": {"code": "99425", "minutes": 30, "max_units": None},  # [R] no cap read
                },
                {
                    "name": "PCM",
                    "staff": "clinical",
                    "base": {"code": "99426", "minutes": 30},
                    "addon": {"code": "99427", "minutes": 30, "max_units": None},  # [R] no cap read
                },
            ],
        },
        "medicare-tcm": {"kind": "tcm", "codes": ["99495", "99496"]},
    },
}


def rules() -> dict[str, Any]:
    """The rules in force: ``SHIPPED`` with the ``CONTACTS_BILLING_RULES`` setting merged over it."""
    merged = copy.deepcopy(SHIPPED)
    override: dict[str, Any] = getattr(settings, "CONTACTS_BILLING_RULES", None) or {}
    for key, value in override.items():
        if key == "programs":
            for code, entry in value.items():
                merged["programs"][code] = {**merged["programs"].get(code, {}), **entry}
        else:
            merged[key] = value
    return merged


def program_rule(code: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = rules()["programs"].get(code)
    return found
