"""Who must sign a plan before it is agreed, per program: a small table, not an engine.

Each rule is a tuple of groups; a plan is signed off when every group has a current signature from one of its
signer kinds. The shipped table is [R] (a default, not a published rule; STANDARDS.md A.3 leaves HH0008's
signature section unread): NY Health Home plans need the person (or guardian) and the care manager; Health
Home Plus and complex care also need a licensed clinician or a supervisor. Plans outside a program, and
programs not listed, need the person and the care manager.

Replace the table with the Django setting ``CAREPLAN_SIGN_OFF_RULES`` (program code → tuple of groups of
``SignerKind`` codes); program codes absent from the setting fall back to the shipped table.
"""

from __future__ import annotations

from django.conf import settings

from carecoord.careplans.models import SignerKind

SignOffRule = tuple[frozenset[str], ...]

PERSON_OR_GUARDIAN = frozenset({SignerKind.PERSON.value, SignerKind.GUARDIAN.value})
CARE_MANAGER = frozenset({SignerKind.CARE_MANAGER.value})
LICENSED_OR_SUPERVISOR = frozenset({SignerKind.LICENSED_CLINICIAN.value, SignerKind.SUPERVISOR.value})

DEFAULT_RULE: SignOffRule = (PERSON_OR_GUARDIAN, CARE_MANAGER)
WITH_CLINICAL_SIGN_OFF: SignOffRule = (PERSON_OR_GUARDIAN, CARE_MANAGER, LICENSED_OR_SUPERVISOR)

SIGN_OFF_RULES: dict[str, SignOffRule] = {
    "ny-hh-adult": DEFAULT_RULE,
    "ny-hhsc": DEFAULT_RULE,
    "ny-hh-plus-smi": WITH_CLINICAL_SIGN_OFF,
    "ny-hh-plus-hiv": WITH_CLINICAL_SIGN_OFF,
    "complex-care": WITH_CLINICAL_SIGN_OFF,
}


def rule_for(program_code: str | None) -> SignOffRule:
    """The signatures a plan of this program needs (``None``: a plan outside programs)."""
    configured = getattr(settings, "CAREPLAN_SIGN_OFF_RULES", None) or {}
    if program_code is not None and program_code in configured:
        return tuple(frozenset(group) for group in configured[program_code])
    if program_code is not None and program_code in SIGN_OFF_RULES:
        return SIGN_OFF_RULES[program_code]
    return DEFAULT_RULE
