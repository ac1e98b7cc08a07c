"""The programs CareCoord ships with, configured from STANDARDS.md.

``install_catalog`` creates any shipped program that is missing and never overwrites one an administrator has
changed. Values marked [R] in STANDARDS.md (plan and assessment deadlines, review cadence, caseload sizes) are
defaults here, editable per program.
"""

from __future__ import annotations

from typing import Any

_NY_TIERS = [{"code": "high", "label": "High"}, {"code": "medium", "label": "Medium"}, {"code": "low", "label": "Low"}]
_NY_OUTREACH = {
    "outreach_allowed": True,
    "outreach_max_consecutive_months": 2,
    "outreach_second_month_needs_in_person": True,
    "outreach_max_billable_months_per_year": 4,
}

CATALOG: list[dict[str, Any]] = [
    {
        "code": "ny-hh-adult",
        "name": "NY Health Home (adult)",
        "description": "Medicaid Health Home care management for adults (SSA §1945).",
        "min_age": 18,
        "eligibility": [
            "Medicaid enrolled",
            "Two chronic conditions, or one chronic condition and at risk of a second, "
            "or one serious and persistent mental health condition",
        ],
        "required_consents": ["DOH-5055"],
        **_NY_OUTREACH,
        "min_core_services_per_month": 1,
        "assessment_due_days": 30,
        "plan_due_days": 60,
        "plan_review_days": 365,
        "acuity_tiers": _NY_TIERS,
        "caseload_limit": 50,
    },
    {
        "code": "ny-hhsc",
        "name": "NY Health Home Serving Children",
        "description": "Health Home care management for children and youth under 21.",
        "max_age": 20,
        "eligibility": [
            "Medicaid enrolled, under 21",
            "Two chronic conditions, or one serious condition (SED, complex trauma, HIV/AIDS or SMI)",
        ],
        "required_consents": ["DOH-5201", "DOH-5055"],
        **_NY_OUTREACH,
        "min_core_services_per_month": 1,
        "assessment_due_days": 30,
        "plan_due_days": 60,
        "plan_review_days": 182,
        "acuity_tiers": _NY_TIERS,
        "caseload_limit": 40,
    },
    {
        "code": "ny-hh-plus-smi",
        "name": "NY Health Home Plus (SMI)",
        "description": "Intensive Health Home care management for people with serious mental illness.",
        "min_age": 18,
        "eligibility": ["Enrolled in a Health Home", "Serious mental illness meeting HH+ criteria (e.g. AOT)"],
        "required_consents": ["DOH-5055"],
        **_NY_OUTREACH,
        "min_core_services_per_month": 4,
        "min_in_person_per_month": 2,
        "assessment_due_days": 30,
        "plan_due_days": 60,
        "plan_review_days": 182,
        "acuity_tiers": _NY_TIERS,
        "caseload_limit": 20,
    },
    {
        "code": "ny-hh-plus-hiv",
        "name": "NY Health Home Plus (HIV)",
        "description": "Intensive Health Home care management for people living with HIV.",
        "min_age": 18,
        "eligibility": ["Enrolled in a Health Home", "HIV with a viral load or engagement need meeting HH+ criteria"],
        "required_consents": ["DOH-5055"],
        **_NY_OUTREACH,
        "min_core_services_per_month": 4,
        "min_in_person_per_month": 2,
        "assessment_due_days": 30,
        "plan_due_days": 60,
        "plan_review_days": 182,
        "acuity_tiers": _NY_TIERS,
        "security_labels": ["HIV"],
        "caseload_limit": 20,
        "needs_licensed_care_manager": False,
    },
    {
        "code": "medicare-ccm",
        "name": "Medicare Chronic Care Management",
        "description": "CCM and complex CCM (99490, 99439, 99491, 99487, 99489).",
        "eligibility": [
            "Medicare Part B",
            "Two or more chronic conditions expected to last at least 12 months, "
            "placing the person at significant risk",
        ],
        "required_consents": ["CCM-VERBAL"],
        "min_minutes_per_month": 20,
        "plan_review_days": 365,
        "acuity_tiers": [{"code": "complex", "label": "Complex"}, {"code": "standard", "label": "Standard"}],
        "caseload_limit": 150,
    },
    {
        "code": "medicare-pcm",
        "name": "Medicare Principal Care Management",
        "description": "PCM for one complex chronic condition (99424-99427).",
        "eligibility": ["Medicare Part B", "One complex chronic condition expected to last at least 3 months"],
        "required_consents": ["CCM-VERBAL"],
        "min_minutes_per_month": 30,
        "plan_review_days": 365,
        "caseload_limit": 150,
    },
    {
        "code": "medicare-tcm",
        "name": "Medicare Transitional Care Management",
        "description": "The 30 days after discharge (99495, 99496).",
        "eligibility": ["Medicare Part B", "Discharged from a qualifying setting to the community"],
        "required_consents": [],
        "caseload_limit": 60,
        "needs_licensed_care_manager": True,
    },
    {
        "code": "complex-care",
        "name": "Complex care management",
        "description": "Intensive care management for people with complex medical and social needs.",
        "eligibility": ["High utilization or high risk score", "Complex medical, behavioral or social needs"],
        "required_consents": [],
        "assessment_due_days": 14,
        "plan_due_days": 30,
        "plan_review_days": 90,
        "acuity_tiers": [{"code": "high", "label": "High"}, {"code": "moderate", "label": "Moderate"}],
        "caseload_limit": 40,
        "needs_licensed_care_manager": True,
    },
    {
        "code": "plan-cm",
        "name": "Health plan case management",
        "description": "Managed care plan case management.",
        "eligibility": ["Member of the plan", "Referred by the plan or meets its stratification criteria"],
        "required_consents": [],
        "assessment_due_days": 30,
        "plan_due_days": 45,
        "plan_review_days": 182,
        "acuity_tiers": [{"code": "high", "label": "High"}, {"code": "medium", "label": "Medium"}],
        "caseload_limit": 75,
    },
]


def install_catalog() -> int:
    """Create the shipped programs that do not exist yet; returns how many were created."""
    from carecoord.programs.models import Program

    created = 0
    for entry in CATALOG:
        values = dict(entry)
        code = values.pop("code")
        _, made = Program.objects.get_or_create(code=code, defaults=values)
        created += int(made)
    return created


def install_after_migrate(*, using: str = "default", plan: Any = None, **_: Any) -> None:
    """post_migrate: install the catalog once the programs table exists."""
    from django.db import connections

    from carecoord.programs.models import Program

    if Program._meta.db_table in connections[using].introspection.table_names():
        install_catalog()
