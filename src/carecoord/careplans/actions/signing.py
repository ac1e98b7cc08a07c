"""Signatures and the program's sign-off."""

from __future__ import annotations

from django.db import transaction

from carecoord.accounts.models import User
from carecoord.accounts.permissions import Capability, can
from carecoord.careplans.actions.base import (
    _commit,
    _deny,
    _may_write,
)
from carecoord.careplans.models import (
    CarePlan,
    CarePlanSignature,
    CarePlanStatus,
    GoalLifecycle,
    SignatureMethod,
    SignerKind,
)
from carecoord.common.errors import DomainError, ValidationFailed

# Signatures -------------------------------------------------------------------------------------------------------

STAFF_SIGNERS: dict[str, Capability] = {
    SignerKind.CARE_MANAGER: Capability.OWN_CARE_PLAN,
    SignerKind.SUPERVISOR: Capability.COSIGN,
    SignerKind.LICENSED_CLINICIAN: Capability.CLINICAL_GOALS,
}


def sign_plan(
    *,
    plan: CarePlan,
    signer_kind: str,
    by: User,
    method: str = "",
    signer_name: str = "",
    witness: str = "",
    note: str = "",
) -> CarePlanSignature:
    """Record agreement to the plan as it stands (its current version).

    The person or guardian signs in person (their name typed as they sign) or verbally (recorded by the user,
    with a witness). Staff sign for themselves, as what their role and license allow: care manager
    (``OWN_CARE_PLAN``), supervisor (``COSIGN``), licensed clinician (``CLINICAL_GOALS``: a current license).
    A draft plan becomes active once the program's sign-off (``signoff.rule_for``) is complete.
    """
    from carecoord.careplans.queries import signoff_state

    _may_write(by, plan)
    if signer_kind not in SignerKind.values:
        raise ValidationFailed(f"Unknown signer {signer_kind!r}.", field="signer_kind")
    if not plan.goals.exclude(lifecycle_status=GoalLifecycle.ENTERED_IN_ERROR).exists():
        raise DomainError("Add at least one goal before the plan is signed.", code="nothing-to-sign")
    signer_name, witness = signer_name.strip(), witness.strip()
    signer_user = None
    if signer_kind in STAFF_SIGNERS:
        if not can(by, STAFF_SIGNERS[signer_kind]):
            raise _deny(
                by, plan, f"You may not sign as {SignerKind(signer_kind).label.lower()}.", signer_kind=signer_kind
            )
        method, signer_user = SignatureMethod.ELECTRONIC, by
        signer_name = by.get_full_name() or by.username
    else:
        if method not in (SignatureMethod.IN_PERSON, SignatureMethod.VERBAL):
            raise ValidationFailed("Say whether they signed in person or agreed verbally.", field="method")
        if not signer_name and signer_kind == SignerKind.PERSON:
            signer_name = f"{plan.patient.given_names} {plan.patient.family_name}"
        if method == SignatureMethod.IN_PERSON and not signer_name:
            raise ValidationFailed("Type the name of the person signing.", field="signer_name")
        if method == SignatureMethod.VERBAL and not witness:
            raise ValidationFailed("A verbal agreement needs a witness.", field="witness")
        if signer_kind == SignerKind.GUARDIAN and not signer_name:
            raise ValidationFailed("Type the guardian's name.", field="signer_name")
    state = signoff_state(plan)
    if any(s.signer_kind == signer_kind for s in state.current):
        raise DomainError(
            f"This version is already signed by the {SignerKind(signer_kind).label.lower()}.", code="already-signed"
        )
    with transaction.atomic():
        signature = CarePlanSignature.objects.create(
            plan=plan,
            version=plan.version,
            content_digest=plan.content_digest,
            signer_kind=signer_kind,
            signer_name=signer_name[:200],
            signer_user=signer_user,
            method=method,
            witness=witness[:200],
            note=note.strip()[:300],
            recorded_by=by,
        )
        summary = f"Signed by {signature.signer_name} ({SignerKind(signer_kind).label.lower()})"
        if plan.status == CarePlanStatus.DRAFT and signoff_state(plan).complete:
            plan.status = CarePlanStatus.ACTIVE
            summary += "; the plan is now active"
        _commit(plan, by, summary, signer_kind=signer_kind, method=method, signed_version=signature.version)
    return signature
