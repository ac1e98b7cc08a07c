"""What each role may do, and which capabilities need a current professional license.

Permissions derive from the role template and the user's qualifications (PRODUCT.md, "Who uses it"):
clinical capabilities are granted only to a licensed care manager whose license is current.
"""

from __future__ import annotations

from enum import StrEnum

from carecoord.accounts.models import Role, User


class Capability(StrEnum):
    VIEW_PATIENTS = "view_patients"
    REGISTER_PATIENTS = "register_patients"
    EDIT_DEMOGRAPHICS = "edit_demographics"
    OUTREACH = "outreach"
    ENROLL = "enroll"
    SOCIAL_SCREENING = "social_screening"
    COMMUNITY_REFERRAL = "community_referral"
    TASKS = "tasks"
    NOTES = "notes"
    NONCLINICAL_PLAN = "nonclinical_plan"
    COMPREHENSIVE_ASSESSMENT = "comprehensive_assessment"
    BEHAVIORAL_SCREENING = "behavioral_screening"
    OWN_CARE_PLAN = "own_care_plan"
    CLINICAL_ASSESSMENT = "clinical_assessment"
    MEDICATION_RECONCILIATION = "medication_reconciliation"
    CLINICAL_GOALS = "clinical_goals"
    TRANSITION_CLINICAL = "transition_clinical"
    BREAK_GLASS = "break_glass"
    ASSIGN_CASELOAD = "assign_caseload"
    COSIGN = "cosign"
    REPORTS = "reports"
    REVIEW_BREAK_GLASS = "review_break_glass"
    VIEW_REFERRALS_TO_ORG = "view_referrals_to_org"
    MANAGE_USERS = "manage_users"
    MANAGE_ORGANIZATION = "manage_organization"
    MANAGE_PROGRAMS = "manage_programs"
    READ_AUDIT = "read_audit"


_COORDINATOR = {
    Capability.VIEW_PATIENTS,
    Capability.REGISTER_PATIENTS,
    Capability.EDIT_DEMOGRAPHICS,
    Capability.OUTREACH,
    Capability.ENROLL,
    Capability.SOCIAL_SCREENING,
    Capability.COMMUNITY_REFERRAL,
    Capability.TASKS,
    Capability.NOTES,
    Capability.NONCLINICAL_PLAN,
    Capability.BREAK_GLASS,
}
_CARE_MANAGER = _COORDINATOR | {
    Capability.COMPREHENSIVE_ASSESSMENT,
    Capability.BEHAVIORAL_SCREENING,
    Capability.OWN_CARE_PLAN,
}
CLINICAL_CAPABILITIES = frozenset(
    {
        Capability.CLINICAL_ASSESSMENT,
        Capability.MEDICATION_RECONCILIATION,
        Capability.CLINICAL_GOALS,
        Capability.TRANSITION_CLINICAL,
    }
)

ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.CARE_COORDINATOR: frozenset(_COORDINATOR),
    Role.CARE_MANAGER: frozenset(_CARE_MANAGER),
    Role.LICENSED_CARE_MANAGER: frozenset(_CARE_MANAGER | CLINICAL_CAPABILITIES),
    Role.SUPERVISOR: frozenset(
        _CARE_MANAGER
        | {
            Capability.ASSIGN_CASELOAD,
            Capability.COSIGN,
            Capability.REPORTS,
            Capability.REVIEW_BREAK_GLASS,
        }
    ),
    Role.PARTNER: frozenset({Capability.VIEW_REFERRALS_TO_ORG}),
    Role.ORG_ADMIN: frozenset({Capability.MANAGE_USERS, Capability.MANAGE_ORGANIZATION, Capability.MANAGE_PROGRAMS}),
    Role.AUDITOR: frozenset({Capability.READ_AUDIT}),
}

# Roles whose users see health data: they must use a second factor.
HEALTH_DATA_ROLES = frozenset(
    {
        Role.CARE_COORDINATOR,
        Role.CARE_MANAGER,
        Role.LICENSED_CARE_MANAGER,
        Role.SUPERVISOR,
        Role.PARTNER,
        Role.AUDITOR,
    }
)


def has_current_license(user: User) -> bool:
    return any(license.is_current() for license in user.licenses.all())


def capabilities(user: User) -> frozenset[Capability]:
    """Everything this user may do now: the role's capabilities, less clinical ones without a license."""
    if not user.is_active:
        return frozenset()
    granted = ROLE_CAPABILITIES.get(user.role, frozenset())
    if granted & CLINICAL_CAPABILITIES and not has_current_license(user):
        granted = granted - CLINICAL_CAPABILITIES
    return granted


def can(user: User, capability: Capability) -> bool:
    if capability in CLINICAL_CAPABILITIES:
        return capability in capabilities(user)
    return user.is_active and capability in ROLE_CAPABILITIES.get(user.role, frozenset())


def requires_mfa(user: User) -> bool:
    """Every role that sees health data needs a second factor; so do administrators, who grant access."""
    return user.role in HEALTH_DATA_ROLES or user.role == Role.ORG_ADMIN or user.is_superuser
