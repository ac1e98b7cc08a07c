"""Permission-checked, audited fetches of community referrals. A referral has two sides:

1. the referring side: staff of the referring organization who may see the person (``patients.access``, which
   audits the read with the referral as the object; break-the-glass included);
2. the target side: a ``partner`` user of the organization the referral was sent to. They see the referral's own
   fields and what it shares (``Referral.shared``), never the chart: the person is not loaded for them, and every
   other page showing a person refuses their role;
3. anyone else is refused (403), audited as denied.

A secure link (``access_referral_by_token``) stands for the target side without an account: an unknown token is
404, an expired or revoked link, or one to a closed referral, is 410; neither shows anything of the referral.
Each use is counted and audited with the link's id and no user.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.utils import timezone

from carecoord.accounts.models import User
from carecoord.accounts.permissions import Capability, can
from carecoord.audit.actions import record
from carecoord.audit.models import AuditAction, AuditOutcome
from carecoord.common.errors import AccessDenied, NotFound
from carecoord.patients.access import access_patient
from carecoord.patients.models import Patient
from carecoord.referrals import actions
from carecoord.referrals.models import Referral, ReferralLink
from carecoord.referrals.queries import INBOX_FILTERS, inbox_of, referrals_of_patient, with_timeline
from carecoord.referrals.states import Side


class LinkGone(NotFound):
    """A secure link that worked once and no longer does (expired, revoked, or its referral closed)."""

    code = "gone"
    status = 410


@dataclass(frozen=True)
class ReferralAccess:
    """A referral fetched for someone, and the side they are on (``link`` when through a secure link)."""

    referral: Referral
    side: Side
    link: ReferralLink | None = None

    @property
    def is_target(self) -> bool:
        return self.side == Side.TARGET


def _parse(referral_id: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(referral_id))
    except ValueError:
        return None


def _audit(
    user: User, key: object, action: str, outcome: str, patient: uuid.UUID | None = None, **detail: object
) -> None:
    record(
        by=user,
        action=action,
        object_type="Referral",
        object_id=str(key)[:64],
        patient=patient,
        outcome=outcome,
        detail=detail,
    )


def access_referral(user: User, referral_id: object, *, action: str = AuditAction.READ) -> ReferralAccess:
    """One referral for ``user`` with their side (see the module docstring); audited whether allowed or not."""
    key = _parse(referral_id)
    referral = with_timeline(Referral.objects.filter(pk=key)).first() if key is not None else None
    if referral is None:
        _audit(user, referral_id, action, AuditOutcome.FAILED, reason="not-found")
        raise NotFound(f"No referral with id {referral_id}.")
    if user.organization_id == referral.referring_organization_id and can(user, Capability.VIEW_PATIENTS):
        patient = access_patient(
            user, referral.patient_id, action=action, object_type="Referral", object_id=str(referral.pk),
            detail={"side": "requester"},
        )  # fmt: skip
        referral.patient = patient
        return ReferralAccess(referral, Side.REQUESTER)
    if (
        referral.target_organization_id is not None
        and user.organization_id == referral.target_organization_id
        and can(user, Capability.VIEW_REFERRALS_TO_ORG)
    ):
        _audit(user, referral.pk, action, AuditOutcome.SUCCESS, referral.patient_id, side="target",
               shared=sorted(referral.shared))  # fmt: skip
        return ReferralAccess(referral, Side.TARGET)
    _audit(user, referral.pk, action, AuditOutcome.DENIED, referral.patient_id, reason="not-a-party")
    raise AccessDenied("This referral was not made by or sent to your organization.")


def referrals_of_accessed_patient(user: User, patient: Patient) -> list[Referral]:
    """The person's referrals made by the user's organization (the chart fetched the person, audited there)."""
    if not can(user, Capability.VIEW_PATIENTS):
        return []
    found = list(referrals_of_patient(patient.pk, user.organization_id))
    for referral in found:
        referral.patient = patient
    return found


def list_referrals_for_patient(user: User, patient_id: object) -> list[Referral]:
    """The person's referrals made by the user's organization, after the person's access check (audited)."""
    patient = access_patient(user, patient_id, object_type="Referral", detail={"list": "patient"})
    return referrals_of_accessed_patient(user, patient)


def list_partner_inbox(user: User, status: str = "open") -> list[Referral]:
    """Referrals sent to the partner user's organization, filtered (``queries.INBOX_FILTERS``), the longest
    waiting first; audited as one search naming the people listed."""
    if not can(user, Capability.VIEW_REFERRALS_TO_ORG):
        record(by=user, action=AuditAction.SEARCH, object_type="Referral", outcome=AuditOutcome.DENIED,
               detail={"list": "partner-inbox"})  # fmt: skip
        raise AccessDenied("Only partner organizations' users have a referral inbox.")
    _, statuses = INBOX_FILTERS.get(status, INBOX_FILTERS["open"])
    found = list(inbox_of(user.organization_id, statuses)[:500])
    if found:
        record(
            by=user,
            action=AuditAction.SEARCH,
            object_type="Referral",
            detail={
                "list": "partner-inbox",
                "status": status,
                "results": [str(r.pk) for r in found],
                "patients": sorted({str(r.patient_id) for r in found}),
            },
        )
    return found


def access_referral_by_token(token: str, *, action: str = AuditAction.READ) -> ReferralAccess:
    """The referral a secure link opens, for the target side, counting the use; NotFound for an unknown token,
    LinkGone for an expired or revoked link or a closed referral. Audited with the link's id, no user."""
    digest = actions.token_hash(token) if 20 <= len(token) <= 100 else ""
    link = (
        ReferralLink.objects.filter(token_hash=digest)
        .select_related(
            "referral",
            "referral__service",
            "referral__target_directory_organization",
            "referral__referring_organization",
        )
        .first()
        if digest
        else None
    )
    if link is None:
        record(by=None, action=action, object_type="ReferralLink", outcome=AuditOutcome.FAILED,
               detail={"reason": "unknown-token"}, username="secure link")  # fmt: skip
        raise NotFound("This link does not open anything.")
    referral = link.referral
    problem = link.unusable_because(timezone.now())
    if problem:
        record(by=None, action=action, object_type="ReferralLink", object_id=str(link.pk),
               patient=referral.patient_id, outcome=AuditOutcome.DENIED, detail={"reason": problem},
               username="secure link")  # fmt: skip
        raise LinkGone("This link no longer works.", reason=problem)
    actions.use_link(link=link)
    record(by=None, action=action, object_type="ReferralLink", object_id=str(link.pk), patient=referral.patient_id,
           detail={"referral": str(referral.pk), "use": link.use_count}, username="secure link")  # fmt: skip
    full = with_timeline(Referral.objects.filter(pk=referral.pk)).get()
    return ReferralAccess(full, Side.TARGET, link)
